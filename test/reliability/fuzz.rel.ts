/**
 * Bad input: at least RELIABILITY_FUZZ (default 10,000) generated malformed
 * requests across every registered /api route — random JSON, wrong types for
 * the route's own schema fields, missing required fields, huge numbers,
 * invalid geometries, SQL-looking and control-character strings, broken and
 * oversized bodies, wrong content types, hostile path and query values — sent
 * as an admin (so they reach validation and handlers), a viewer and anonymously.
 *
 * Expectations: zero 5xx, and zero writes: the data version, row counts and
 * content checksums of every table are the same before and after (failed-login
 * audit rows, which the login route writes by design, are excluded).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildTestApp, createTestDatabase, engine, tokenFor, type Credentials, type TestDatabase } from '../helpers/db.ts';
import { isUnsafeMethod } from '../../server/auth/policy.ts';
import type { RegisteredApiRoute } from '../../server/auth/plugin.ts';
import { envInt, percentile } from './harness.ts';

const TOTAL = envInt('RELIABILITY_FUZZ', 10_000);
const SEED = envInt('RELIABILITY_SEED', 20_250_607);

/** Small deterministic PRNG (mulberry32): a failing run can be replayed with RELIABILITY_SEED. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof rng>;

const NASTY_STRINGS = [
  "'; DROP TABLE facility; --",
  "' OR '1'='1",
  '1; SELECT pg_sleep(5)',
  "150430' UNION SELECT password_hash FROM app_user --",
  '$$; DELETE FROM audit_log; $$',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\u202E\u202D',
  '%00',
  '%s%s%s%n',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '{{7*7}}',
  '${jndi:ldap://x}',
  '',
  ' ',
  '\t\r\n',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '9'.repeat(400),
  '敖汉旗'.repeat(3000),
  'x'.repeat(70_000),
  '150430',
  '15043',
  '1504300000000',
  'null',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
];

const NASTY_NUMBERS = [0, -1, -2147483649, 2147483648, 9007199254740993, -9007199254740993, 1e308, -1e308, 1.5, 0.000001, 3.4e38, 18446744073709552000];

const BAD_GEOMETRIES: unknown[] = [
  { lon: 999, lat: 42 },
  { lon: 119.9, lat: 95 },
  { lon: '119.9', lat: [] },
  { lon: null, lat: null },
  { type: 'Point', coordinates: [119.9] },
  { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]] },
  { type: 'Polygon', coordinates: [[[0, 0], [1, 1]]] },
  { type: 'MultiPolygon', coordinates: [[[[1e308, 1e308], [0, 0], [1, 1], [1e308, 1e308]]]] },
  { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'LineString', coordinates: 'x' }, properties: null }] },
  [119.9, 42.3],
];

function randomJson(r: Rng, depth = 0): unknown {
  const k = r.int(depth > 3 ? 5 : 8);
  switch (k) {
    case 0:
      return r.pick(NASTY_STRINGS);
    case 1:
      return r.pick(NASTY_NUMBERS);
    case 2:
      return r.chance(0.5);
    case 3:
      return null;
    case 4:
      return r.pick(BAD_GEOMETRIES);
    case 5:
      return Array.from({ length: r.int(5) }, () => randomJson(r, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = 0; i < r.int(5); i += 1) object[r.pick(['id', 'name', 'code', 'unitCode', 'version', 'location', 'role', 'x', '__proto__', 'constructor', r.pick(NASTY_STRINGS).slice(0, 20)])] = randomJson(r, depth + 1);
      return object;
    }
  }
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  const?: unknown;
}

function typesOf(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  if (schema.anyOf) return schema.anyOf.flatMap(typesOf);
  if (schema.enum || schema.const !== undefined) return ['enum'];
  return Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
}

/** A value the field's schema rejects even after ajv's type coercion. */
function wrongValueFor(r: Rng, schema: JsonSchema): unknown {
  const types = typesOf(schema);
  const candidates: unknown[] = [];
  if (!types.includes('object')) candidates.push({ nested: r.pick(NASTY_STRINGS) }, { lon: 'x', lat: [] });
  if (!types.includes('array') && !types.includes('object')) candidates.push([[1], [2]]);
  if (types.includes('enum')) candidates.push(r.pick(NASTY_STRINGS.filter((s) => s.length > 0 && s.length < 100)) + '-not-a-choice');
  if (types.includes('integer') || types.includes('number')) candidates.push('abc', '1e309x', {}, r.pick(['1,5', '0x1g', '--1']));
  if (types.includes('boolean')) candidates.push('maybe', 'yesno', { b: true });
  if (types.includes('object') && schema.properties) {
    const keys = Object.keys(schema.properties);
    if (keys.length > 0) {
      const key = r.pick(keys);
      candidates.push({ [key]: wrongValueFor(r, schema.properties[key]!) });
    }
    candidates.push('not an object', 42, [1, 2, 3]);
  }
  if (types.includes('array')) candidates.push('not an array', { 0: 'x' }, [{ deep: [[[]]] }, { x: '\u0000' }]);
  if (candidates.length === 0) candidates.push({ nested: true });
  return r.pick(candidates);
}

/** A body that the route's schema must refuse (for state-changing routes nothing may be written). */
function malformedBody(r: Rng, schema: JsonSchema | undefined): { payload: string | Buffer; contentType: string } {
  const json = (value: unknown) => ({ payload: JSON.stringify(value), contentType: 'application/json' });
  const variant = r.int(10);
  const props = schema?.properties ? Object.keys(schema.properties) : [];
  if (variant === 0 || !schema || props.length === 0) {
    // Not an object at all, or random JSON with junk keys.
    return json(r.pick([r.pick(NASTY_STRINGS), r.pick(NASTY_NUMBERS), [randomJson(r)], null, true]));
  }
  if (variant === 1) return { payload: r.pick(['{"a":', '{"name": "x",}', "{'single': 'quotes'}", '[1,2', '\u0000', '{"a": NaN}', '{"a": 1e999999}', 'null null']), contentType: 'application/json' };
  if (variant === 2) return { payload: r.pick(['name=x&role=admin', '<xml/>', 'just text']), contentType: r.pick(['application/x-www-form-urlencoded', 'application/xml', 'text/html', 'image/png']) };
  // Near-valid: every known field filled with something plausible, then one broken.
  const body: Record<string, unknown> = {};
  for (const key of props) if (r.chance(0.6)) body[key] = randomJson(r, 2);
  if (variant === 3 && schema.required && schema.required.length > 0) {
    for (const key of schema.required) delete body[key];
    body[r.pick(['x', 'extra', r.pick(NASTY_STRINGS).slice(0, 10)])] = randomJson(r, 2);
    return json(body);
  }
  const broken = r.pick(props);
  body[broken] = wrongValueFor(r, schema.properties![broken]!);
  return json(body);
}

function pathValue(r: Rng): string {
  return r.pick([
    'abc',
    '-1',
    '0',
    '1.5',
    '99999999999999999999999',
    '1e9',
    "1' OR '1'='1",
    '%00',
    '%2e%2e%2f%2e%2e%2f',
    encodeURIComponent('敖汉旗'),
    'null',
    'x'.repeat(300),
    encodeURIComponent('<script>'),
    String(2 ** 53 + 7),
    '1000000001',
  ]);
}

function randomQuery(r: Rng, schema: JsonSchema | undefined): string {
  const params = new URLSearchParams();
  const keys = schema?.properties ? Object.keys(schema.properties) : [];
  for (let i = 0; i < 1 + r.int(4); i += 1) {
    const key = keys.length > 0 && r.chance(0.8) ? r.pick(keys) : r.pick(['x', 'limit', 'offset', 'bbox', '__proto__', 'unit']);
    const value = r.pick([
      ...NASTY_STRINGS.filter((s) => s.length < 2000),
      ...NASTY_NUMBERS.map(String),
      '181,-91,182,95',
      '1,2,3',
      '119,42,118,41',
      'a,b,c,d',
      '150430,150102',
      'true',
    ]);
    params.append(key, value);
  }
  return params.toString();
}

function fillPath(r: Rng, url: string): string {
  return url.replace(/:([A-Za-z_][A-Za-z0-9_]*)(\([^)]*\))?/g, () => pathValue(r)).replace(/\*$/, pathValue(r));
}

/** Every table's size and content hash, and the data version: what "zero writes" compares. */
async function snapshot(db: TestDatabase): Promise<Record<string, string>> {
  const { rows: tables } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname NOT LIKE 'kysely_%' AND c.relname <> 'spatial_ref_sys'
    ORDER BY 1`.execute(db.db);
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const filter = name === 'audit_log' ? sql`WHERE t.action <> 'auth.login_failed'` : sql``;
    // api_token.last_used_at and user_session.last_seen_at change on use by design: hash the rest.
    const row =
      name === 'api_token'
        ? sql`(t.id, t.user_id, t.name, t.token_hash, t.revoked_at, t.expires_at)::text`
        : name === 'user_session'
          ? sql`(t.id, t.user_id, t.expires_at)::text`
          : sql`t::text`;
    const { rows } = await sql<{ n: number; h: string | null }>`
      SELECT count(*)::int AS n, md5(string_agg(${row}, '|' ORDER BY ${row})) AS h FROM ${sql.table(name)} AS t ${filter}`.execute(db.db);
    out[name] = `${rows[0]!.n}:${rows[0]!.h ?? '-'}`;
  }
  return out;
}

describe(`fuzz: ${TOTAL} malformed requests across every route (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let admin: Credentials;
  let viewer: Credentials;

  beforeAll(async () => {
    db = await createTestDatabase();
    if (process.env.RELIABILITY_LOG) {
      // Debugging a 5xx: the server's own error log (e.g. RELIABILITY_LOG=error).
      const { buildApp } = await import('../../server/app.ts');
      const { DEFAULT_AUTH } = await import('../../server/config.ts');
      app = await buildApp({
        config: { logLevel: process.env.RELIABILITY_LOG as 'error', auth: { ...DEFAULT_AUTH, mode: 'required', rateLimits: { login: 0, expensive: 0, api: 0 } } },
        db,
        closeDatabase: false,
        web: false,
      });
      await app.ready();
    } else {
      app = await buildTestApp(db, { auth: 'required' });
    }
    admin = await tokenFor(app, 'admin');
    viewer = await tokenFor(app, 'viewer');
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('answers every one with a 4xx (or a 2xx for harmless reads), writes nothing', async () => {
    const r = rng(SEED);
    const routes: RegisteredApiRoute[] = app.apiRouteList.filter((route) => route.url !== '/api/auth/logout');
    const before = await snapshot(db);
    const statuses = new Map<number, number>();
    const fiveHundreds: string[] = [];
    const latencies: number[] = [];
    const perRoute = new Map<string, number>();
    const started = Date.now();
    let oversized = 0;

    for (let i = 0; i < TOTAL; i += 1) {
      const route = routes[i % routes.length]!;
      const schema = (route.schema ?? {}) as { body?: JsonSchema; querystring?: JsonSchema };
      const who = r.next();
      const headers: Record<string, string> = who < 0.9 ? { ...admin.headers } : who < 0.95 ? { ...viewer.headers } : {};
      const url = fillPath(r, route.url) + (r.chance(0.7) ? `?${randomQuery(r, schema.querystring)}` : '');
      const options: InjectOptions = { method: route.method as InjectOptions['method'], url, headers };
      if (isUnsafeMethod(route.method)) {
        if (r.chance(0.01)) {
          oversized += 1;
          options.payload = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) });
          headers['content-type'] = 'application/json';
        } else if (route.url.startsWith('/api/imports/')) {
          // Garbage files for the import route: broken CSV, GeoJSON with invalid geometries, binary noise.
          const file = r.pick([
            'code,name,type\n' + Array.from({ length: 5 }, () => `${r.pick(NASTY_STRINGS).slice(0, 30)},${r.pick(NASTY_STRINGS).slice(0, 30)},not_a_type`).join('\n'),
            '\uFEFF机构编码,机构名称\n"unterminated,quote\n',
            JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: '159999999999' }, geometry: r.pick(BAD_GEOMETRIES) }] }),
            JSON.stringify(randomJson(r)),
            Buffer.from(Array.from({ length: 256 }, () => r.int(256))).toString('latin1'),
            '',
          ]);
          options.payload = file;
          headers['content-type'] = r.pick(['text/csv', 'application/geo+json', 'application/octet-stream', 'application/json', 'multipart/form-data; boundary=x']);
          options.url = `${fillPath(r, route.url).replace(/\/[^/]*$/, `/${r.pick(['facilities', 'unit-populations', 'population-cells', 'unit-boundaries', 'nope'])}`)}?mode=${r.pick(['validate', 'commit', 'bogus'])}`;
        } else {
          const body = malformedBody(r, schema.body);
          options.payload = body.payload;
          headers['content-type'] = body.contentType;
        }
      }
      const t0 = performance.now();
      const response = await app.inject(options);
      latencies.push(performance.now() - t0);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      perRoute.set(`${route.method} ${route.url}`, (perRoute.get(`${route.method} ${route.url}`) ?? 0) + 1);
      if (response.statusCode >= 500) {
        fiveHundreds.push(`${options.method} ${String(options.url).slice(0, 200)} body=${String(options.payload ?? '').slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`);
      }
      if (isUnsafeMethod(route.method) && response.statusCode < 300) {
        fiveHundreds.push(`accepted a malformed write: ${options.method} ${String(options.url).slice(0, 200)} body=${String(options.payload ?? '').slice(0, 200)} → ${response.statusCode}`);
      }
    }
    const after = await snapshot(db);
    const seconds = (Date.now() - started) / 1000;
    const changed = Object.keys(before).filter((table) => before[table] !== after[table]);

    console.log(
      [
        `[fuzz] ${TOTAL} requests over ${routes.length} routes in ${seconds.toFixed(1)} s (${engine}, seed ${SEED}); ${oversized} oversized bodies`,
        `[fuzz] statuses: ${[...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join('  ')}`,
        `[fuzz] latency ms: p50 ${percentile(latencies, 50).toFixed(1)}  p95 ${percentile(latencies, 95).toFixed(1)}  max ${Math.max(...latencies).toFixed(0)}`,
        `[fuzz] 5xx: ${fiveHundreds.filter((f) => !f.startsWith('accepted')).length}; malformed writes accepted: ${fiveHundreds.filter((f) => f.startsWith('accepted')).length}; tables changed: ${changed.length === 0 ? 'none' : changed.join(', ')}`,
      ].join('\n'),
    );
    expect(fiveHundreds.slice(0, 20)).toEqual([]);
    expect(changed).toEqual([]);
    expect(Math.min(...perRoute.values())).toBeGreaterThanOrEqual(Math.floor(TOTAL / routes.length));
  });
});
