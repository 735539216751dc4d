/**
 * The web app's API client (web/src/api.ts) against the real app: its fetch is
 * answered by `app.inject` (with a small cookie jar, as a browser keeps one).
 * Checked: query strings, JSON bodies, bilingual ApiError with the import's row
 * problems, the CSRF header on writes of a session, the 401 hook, and a stale
 * scenario version as a 409 conflict carrying the server's version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestDatabase, createTestUser, engine, type TestDatabase } from './helpers/db.ts';
import { ApiError, createApi, queryString } from '../web/src/api.ts';

/** A fetch answered by the app in-process, keeping cookies like a browser (one origin). */
function injectFetch(app: FastifyInstance) {
  const jar = new Map<string, string>();
  const calls: { method: string; url: string; headers: Record<string, string> }[] = [];
  const fetchImpl = async (input: string, init: RequestInit = {}): Promise<Response> => {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>), origin: 'http://localhost' };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let payload: string | Buffer | undefined;
    if (init.body instanceof FormData) {
      const request = new Request('http://localhost/', { method: 'POST', body: init.body });
      headers['content-type'] = request.headers.get('content-type')!;
      payload = Buffer.from(await request.arrayBuffer());
    } else if (typeof init.body === 'string') payload = init.body;
    const method = (init.method ?? 'GET') as 'GET';
    calls.push({ method, url: input, headers });
    const res = await app.inject({ method, url: input, headers: { host: 'localhost', ...headers }, ...(payload !== undefined ? { payload } : {}) });
    for (const c of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
      const [pair] = c.split(';');
      const [k, v] = pair!.split('=') as [string, string];
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c)) jar.delete(k);
      else jar.set(k, v);
    }
    return new Response(res.statusCode === 204 ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: { 'content-type': String(res.headers['content-type'] ?? '') } });
  };
  return { fetchImpl, calls, jar };
}

describe('queryString', () => {
  it('drops empty values and encodes the rest', () => {
    expect(queryString({ q: '敖汉', limit: 5, unit: undefined, scenario: null, ruleSet: '' })).toBe(`?q=${encodeURIComponent('敖汉')}&limit=5`);
    expect(queryString({})).toBe('');
    expect(queryString(undefined)).toBe('');
  });
});

describe('over the rate limit', () => {
  it('a read answered 429 waits the Retry-After the server gives and is sent once more; a write is not', async () => {
    const sent: string[] = [];
    let refuse = 1;
    const api = createApi(async (input, init) => {
      sent.push(`${init?.method} ${input}`);
      if (refuse-- > 0) return new Response(JSON.stringify({ code: 'RateLimited', message: 'Too many requests', messageZh: '请求过多' }), { status: 429, headers: { 'retry-after': '0' } });
      return new Response(JSON.stringify({ units: [] }), { status: 200 });
    });
    await expect(api.search('敖汉')).resolves.toEqual({ units: [] });
    expect(sent).toEqual(['GET /api/ui/search?q=%E6%95%96%E6%B1%89&limit=12', 'GET /api/ui/search?q=%E6%95%96%E6%B1%89&limit=12']);
    // Only once: a second 429 reaches the caller.
    refuse = 2;
    sent.length = 0;
    await expect(api.search('敖汉')).rejects.toMatchObject({ status: 429, messageZh: '请求过多' });
    expect(sent).toHaveLength(2);
    refuse = 1;
    sent.length = 0;
    await expect(api.createScenario({ name: 'x' })).rejects.toMatchObject({ status: 429 });
    expect(sent).toHaveLength(1);
  });

  it('the real limit answers 429 with a Retry-After the client can wait for', async () => {
    const db = await createTestDatabase();
    const app = await buildTestApp(db, { rateLimits: { expensive: 1 } });
    try {
      const first = await app.inject({ method: 'GET', url: '/api/ui/unit-stats?level=league' });
      expect(first.statusCode).toBe(200);
      const second = await app.inject({ method: 'GET', url: '/api/ui/unit-stats?level=league' });
      expect(second.statusCode).toBe(429);
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
      expect(second.json().messageZh).toMatch(/[\u4e00-\u9fff]/);
    } finally {
      await app.close();
      await db.dispose();
    }
  });
});

describe(`web API client against the real app (${engine})`, () => {
  let db: TestDatabase;
  let local: FastifyInstance;
  let required: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase();
    local = await buildTestApp(db);
    required = await buildTestApp(db, { auth: 'required' });
  });
  afterAll(async () => {
    await local?.close();
    await required?.close();
    await db?.dispose();
  });

  it('reads config, searches units by a Chinese name part, and reads a unit', async () => {
    const api = createApi(injectFetch(local).fetchImpl);
    const config = await api.config();
    expect(config.authMode).toBe('local');
    expect(config.features.scenarios).toBe(true);
    const hits = await api.search('敖汉');
    expect(hits.units.map((h) => h.code)).toContain('150430');
    const unit = await api.unit('150430');
    expect(unit.name).toBe('敖汉旗');
    expect(unit.population).toBe(448712);
  });

  it('evaluations and unit stats take the rule set and leave out an absent scenario', async () => {
    const { fetchImpl, calls } = injectFetch(local);
    const api = createApi(fetchImpl);
    const sets = await api.ruleSets();
    const ruleSet = sets.ruleSets.find((r) => r.isDefault)!.id;
    const evaluation = await api.evaluations({ unit: '150430', level: 'banner', limit: 100, ruleSet, scenario: null });
    const psych = evaluation.results.find((r) => r.ruleId === 'im-psych-ward-pop-gt-300k')!;
    expect(psych.status).toBe('fail');
    expect(psych.citations[0]!.quote).toContain('精神科');
    expect(calls.at(-1)!.url).toBe(`/api/evaluations?unit=150430&level=banner&limit=100&ruleSet=${ruleSet}`);
    const stats = await api.unitStats({ level: 'banner', unit: '150400', ruleSet });
    expect(stats.items.find((i) => i.code === '150430')?.worst).toBe('must');
  });

  it('an error answer becomes an ApiError with both languages; an import keeps its row problems', async () => {
    const api = createApi(injectFetch(local).fetchImpl);
    const missing = await api.unit('150499').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect((missing as ApiError).status).toBe(404);
    expect((missing as ApiError).message.length).toBeGreaterThan(5);
    expect((missing as ApiError).messageZh).toMatch(/[\u4e00-\u9fff]/);

    const csv = '机构编码,机构名称,机构类型,所在区划代码,经度,纬度\r\nAPI-T-1,测试卫生室,村卫生室,150430100203,119.84,142.33\r\n';
    const bad = await api.importFile('facilities', new Blob([csv], { type: 'text/csv' }), { mode: 'validate', filename: 'bad.csv' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ApiError);
    expect((bad as ApiError).details.map((p) => p.row)).toEqual([2]);
    expect((bad as ApiError).details[0]!.zh).toMatch(/[\u4e00-\u9fff]/);
  });

  it('a session sends its CSRF token on writes; a 401 reaches the listener', async () => {
    const { fetchImpl, calls } = injectFetch(required);
    const api = createApi(fetchImpl);
    const unauthorized: number[] = [];
    api.onUnauthorized((e) => unauthorized.push(e.status));
    expect((await api.me()).authenticated).toBe(false);
    await expect(api.scenarios()).rejects.toMatchObject({ status: 401 });
    expect(unauthorized).toEqual([401]);

    const { user, password } = await createTestUser(required, { role: 'planner' });
    const me = await api.login(user.name, password);
    expect(me.csrfToken).toBeTruthy();
    // Without the token a write of the session is refused …
    await expect(api.createScenario({ name: 'without the token' })).rejects.toMatchObject({ status: 403 });
    // … with it, it goes through.
    api.setCsrfToken(me.csrfToken);
    const scenario = await api.createScenario({ name: '客户端测试' });
    expect(calls.at(-1)!.headers['x-csrf-token']).toBe(me.csrfToken);
    expect(calls.filter((c) => c.method === 'GET').every((c) => !('x-csrf-token' in c.headers))).toBe(true);
    expect(scenario.name).toBe('客户端测试');
  });

  it('a stale scenario version is a conflict that carries the current version', async () => {
    const api = createApi(injectFetch(local).fetchImpl);
    const scenario = await api.createScenario({ name: '版本冲突' });
    const facility = (await api.facilities({ unit: '150430', type: 'village_clinic', limit: 1 })).features[0]!.properties.id;
    const added = await api.addChange(scenario.id, scenario.version, { kind: 'close_facility', facilityId: facility });
    expect(added.scenario.version).toBe(scenario.version + 1);
    const stale = await api.addChange(scenario.id, scenario.version, { kind: 'close_facility', facilityId: facility }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ApiError);
    expect((stale as ApiError).isConflict).toBe(true);
    expect((stale as ApiError).currentVersion).toBe(added.scenario.version);
    const removed = await api.removeChange(scenario.id, added.change.id, added.scenario.version);
    expect(removed.changes).toHaveLength(0);
  });
});
