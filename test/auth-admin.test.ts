import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestDatabase, createTestUser, engine, loginAs, tokenFor, type Credentials, type TestDatabase } from './helpers/db.ts';
import { TEST_PASSWORD, fillUrl } from './helpers/auth.ts';

describe(`administration API (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let admin: Credentials;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db, { auth: 'required' });
    admin = await loginAs(app, 'admin', { name: 'chief' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const post = (url: string, payload: unknown, who = admin) => app.inject({ method: 'POST', url, headers: who.headers, payload: payload as object });
  const patch = (url: string, payload: unknown, who = admin) => app.inject({ method: 'PATCH', url, headers: who.headers, payload: payload as object });

  it('creates a user with a one-time password that works once and must be changed', async () => {
    const response = await post('/api/admin/users', { name: 'Zhao.Min', displayName: '赵敏', role: 'editor', unitCode: '150430' });
    expect(response.statusCode).toBe(201);
    const { user, oneTimePassword } = response.json();
    expect(user).toMatchObject({ name: 'zhao.min', displayName: '赵敏', role: 'editor', unitCode: '150430', unitName: '敖汉旗', mustChangePassword: true, disabled: false, version: 1 });
    expect(oneTimePassword).toMatch(/^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/);
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: 'zhao.min', password: oneTimePassword } });
    expect(login.statusCode).toBe(200);
    expect(login.json().user.mustChangePassword).toBe(true);
    // It is not shown again.
    const again = await app.inject({ method: 'GET', url: `/api/admin/users/${user.id}`, headers: admin.headers });
    expect(again.body).not.toContain(oneTimePassword);
  });

  it('validates new users: names, duplicates, weak passwords, scope only for editors and only on real units', async () => {
    const cases: [unknown, number, string][] = [
      [{ name: 'local', displayName: 'x', role: 'viewer' }, 400, 'reserved'],
      [{ name: '-bad', displayName: 'x', role: 'viewer' }, 400, 'name'],
      [{ name: 'chief', displayName: 'dup', role: 'viewer' }, 409, 'already exists'],
      [{ name: 'weak.one', displayName: 'x', role: 'viewer', password: 'short' }, 400, 'at least 10'],
      [{ name: 'weak.two', displayName: 'x', role: 'viewer', password: 'weak.two-password' }, 400, 'login name'],
      [{ name: 'scoped.viewer', displayName: 'x', role: 'viewer', unitCode: '150430' }, 400, 'editors only'],
      [{ name: 'scoped.ghost', displayName: 'x', role: 'editor', unitCode: '159999' }, 400, 'No league, banner or township'],
      [{ name: 'no.role', displayName: 'x', role: 'root' }, 400, 'role'],
    ];
    for (const [payload, status, message] of cases) {
      const response = await post('/api/admin/users', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(status);
      expect(response.json().message, JSON.stringify(payload)).toContain(message);
      expect(response.json().messageZh).toBeTruthy();
    }
    const names = (await db.db.selectFrom('app_user').select('name').execute()).map((r) => r.name);
    expect(names).not.toEqual(expect.arrayContaining(['weak.one', 'weak.two', 'scoped.viewer', 'scoped.ghost']));
  });

  it('changes role and scope with optimistic versions (stale → 409) and audits before/after', async () => {
    const created = (await post('/api/admin/users', { name: 'li.wei', displayName: '李伟', role: 'viewer', password: 'li wei strong pass' })).json().user;
    const promoted = await patch(`/api/admin/users/${created.id}`, { version: 1, role: 'editor', unitCode: '150400' });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json()).toMatchObject({ role: 'editor', unitCode: '150400', unitName: '赤峰市', version: 2 });
    const stale = await patch(`/api/admin/users/${created.id}`, { version: 1, role: 'admin' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'VersionConflict', currentVersion: 2 });
    expect((await app.inject({ method: 'GET', url: `/api/admin/users/${created.id}`, headers: admin.headers })).json().role).toBe('editor');
    // Leaving the editor role drops the scope.
    const planner = await patch(`/api/admin/users/${created.id}`, { version: 2, role: 'planner' });
    expect(planner.json()).toMatchObject({ role: 'planner', unitCode: null, version: 3 });
    const audit = await db.db.selectFrom('audit_log').selectAll().where('entity_id', '=', 'li.wei').where('action', '=', 'user.role').orderBy('id').execute();
    expect(audit.length).toBe(2);
    expect(audit[0]).toMatchObject({ actor: 'chief', before: { role: 'viewer', unitCode: null }, after: { role: 'editor', unitCode: '150400' } });
  });

  it('takes effect at once: a demoted user loses access on the next request', async () => {
    const editor = await loginAs(app, 'admin');
    expect((await app.inject({ method: 'GET', url: '/api/admin/users', headers: editor.headers })).statusCode).toBe(200);
    await patch(`/api/admin/users/${editor.user.id}`, { version: editor.user.version, role: 'viewer' });
    expect((await app.inject({ method: 'GET', url: '/api/admin/users', headers: editor.headers })).statusCode).toBe(403);
  });

  it('never disables or demotes the last active admin', async () => {
    const solo = await createTestDatabase();
    const soloApp = await buildTestApp(solo, { auth: 'required' });
    try {
      const only = await loginAs(soloApp, 'admin');
      const demote = await soloApp.inject({ method: 'PATCH', url: `/api/admin/users/${only.user.id}`, headers: only.headers, payload: { version: 1, role: 'editor' } });
      expect(demote.statusCode).toBe(409);
      expect(demote.json().code).toBe('LastAdmin');
      const disable = await soloApp.inject({ method: 'PATCH', url: `/api/admin/users/${only.user.id}`, headers: only.headers, payload: { version: 1, disabled: true } });
      expect(disable.statusCode).toBe(409);
      const second = await loginAs(soloApp, 'admin');
      const now = await soloApp.inject({ method: 'PATCH', url: `/api/admin/users/${only.user.id}`, headers: second.headers, payload: { version: 1, disabled: true } });
      expect(now.statusCode).toBe(200);
    } finally {
      await soloApp.close();
      await solo.dispose();
    }
  });

  it('disabling a user ends their sessions; enabling lets them log in again', async () => {
    const victim = await loginAs(app, 'planner');
    const disabled = await patch(`/api/admin/users/${victim.user.id}`, { version: victim.user.version, disabled: true });
    expect(disabled.statusCode).toBe(200);
    expect(await db.db.selectFrom('user_session').select('id').where('user_id', '=', victim.user.id).execute()).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/api/rules', headers: victim.headers })).statusCode).toBe(401);
    await patch(`/api/admin/users/${victim.user.id}`, { version: disabled.json().version, disabled: false });
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: victim.user.name, password: TEST_PASSWORD } });
    expect(login.statusCode).toBe(200);
    const actions = (await db.db.selectFrom('audit_log').select('action').where('entity_id', '=', victim.user.name).execute()).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['user.disable', 'user.enable']));
  });

  it('resets a password: new one-time password, old password and sessions stop working', async () => {
    const { user } = await createTestUser(app, { role: 'viewer' });
    const victim = await loginAs(app, 'viewer');
    const reset = await post(`/api/admin/users/${victim.user.id}/password`, {});
    expect(reset.statusCode).toBe(200);
    const otp = reset.json().oneTimePassword;
    expect(otp).toBeTruthy();
    expect(reset.json().user.mustChangePassword).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/api/rules', headers: victim.headers })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: victim.user.name, password: TEST_PASSWORD } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: victim.user.name, password: otp } })).statusCode).toBe(200);
    const given = await post(`/api/admin/users/${user.id}/password`, { password: 'an admin chosen phrase' });
    expect(given.json().oneTimePassword).toBeNull();
    expect((await post(`/api/admin/users/${user.id}/password`, { password: 'short' })).statusCode).toBe(400);
    expect((await post('/api/admin/users/987654321/password', {})).statusCode).toBe(404);
  });

  it("lists everyone's tokens without secrets and revokes any of them", async () => {
    const script = await tokenFor(app, 'editor');
    const list = await app.inject({ method: 'GET', url: `/api/admin/tokens?userId=${script.user.id}`, headers: admin.headers });
    expect(list.statusCode).toBe(200);
    const [token] = list.json().tokens;
    expect(token).toMatchObject({ userName: script.user.name, active: true });
    expect(list.body).not.toContain(script.token!);
    const revoke = await app.inject({ method: 'DELETE', url: `/api/admin/tokens/${token.id}`, headers: admin.headers });
    expect(revoke.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/rules', headers: script.headers })).statusCode).toBe(401);
    const after = await app.inject({ method: 'GET', url: `/api/admin/tokens?userId=${script.user.id}`, headers: admin.headers });
    expect(after.json().tokens[0]).toMatchObject({ active: false, revokedBy: 'chief' });
    expect((await app.inject({ method: 'GET', url: `/api/admin/tokens?userId=${script.user.id}&active=true`, headers: admin.headers })).json().total).toBe(0);
  });

  it('signs a user out everywhere', async () => {
    const a = await loginAs(app, 'viewer');
    const response = await app.inject({ method: 'DELETE', url: `/api/admin/users/${a.user.id}/sessions`, headers: admin.headers });
    expect(response.statusCode).toBe(200);
    expect(response.json().message).toMatch(/^1 session/);
    expect((await app.inject({ method: 'GET', url: '/api/rules', headers: a.headers })).statusCode).toBe(401);
  });

  describe('audit log', () => {
    it('filters by actor, action prefix, entity and time range', async () => {
      const since = new Date(Date.now() - 1000).toISOString();
      await post('/api/admin/users', { name: 'audit.target', displayName: '审计对象', role: 'viewer' });
      const byActor = await app.inject({ method: 'GET', url: `/api/admin/audit?actor=chief&action=user.*&from=${since}`, headers: admin.headers });
      expect(byActor.statusCode).toBe(200);
      const entries = byActor.json().entries as { actor: string; action: string; entityId: string }[];
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.every((e) => e.actor === 'chief' && e.action.startsWith('user.'))).toBe(true);
      expect(entries.some((e) => e.entityId === 'audit.target')).toBe(true);
      const exact = await app.inject({ method: 'GET', url: '/api/admin/audit?action=user.create&entityType=user&entityId=audit.target', headers: admin.headers });
      expect(exact.json().total).toBe(1);
      const future = await app.inject({ method: 'GET', url: `/api/admin/audit?from=${new Date(Date.now() + 3600_000).toISOString()}`, headers: admin.headers });
      expect(future.json()).toEqual({ total: 0, entries: [] });
      const backwards = await app.inject({ method: 'GET', url: `/api/admin/audit?from=${new Date().toISOString()}&to=${since}`, headers: admin.headers });
      expect(backwards.statusCode).toBe(400);
      const badTime = await app.inject({ method: 'GET', url: '/api/admin/audit?from=yesterday', headers: admin.headers });
      expect(badTime.statusCode).toBe(400);
    });

    it('exports CSV with a BOM, Chinese headers and neutralised formulas', async () => {
      await post('/api/admin/users', { name: 'csv.user', displayName: '=HYPERLINK("http://evil")', role: 'viewer' });
      const response = await app.inject({ method: 'GET', url: '/api/admin/audit/export?entityId=csv.user', headers: admin.headers });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
      expect(response.headers['content-disposition']).toMatch(/attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"/);
      const raw = response.rawPayload;
      expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = response.body.replace(/^\uFEFF/, '').trim().split('\r\n');
      expect(lines[0]).toBe('编号 id,时间 at,操作人 actor,操作 action,对象类型 entity_type,对象 entity_id,修改前 before,修改后 after,详情 details');
      expect(lines.length).toBe(2);
      expect(lines[1]).toContain(',chief,user.create,user,csv.user,');
      expect(lines[1]).not.toMatch(/,=HYPERLINK/);
    });
  });

  it('never returns a password hash from any route (every GET as admin, and the writes above)', async () => {
    const hashes = (await db.db.selectFrom('app_user').select('password_hash').execute()).map((r) => r.password_hash);
    expect(hashes.length).toBeGreaterThan(5);
    const someUser = (await db.db.selectFrom('app_user').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    const bodies: string[] = [];
    for (const route of app.apiRouteList.filter((r) => r.method === 'GET')) {
      const url = fillUrl(route.url, { id: String(someUser) });
      const response = await app.inject({ method: 'GET', url, headers: admin.headers });
      bodies.push(`${url} ${JSON.stringify(response.headers)} ${response.body}`);
    }
    for (const url of ['/api/admin/users?limit=1000', '/api/admin/audit?limit=1000', '/api/admin/audit/export', '/api/auth/me', '/api/admin/tokens']) {
      bodies.push((await app.inject({ method: 'GET', url, headers: admin.headers })).body);
    }
    bodies.push((await post('/api/admin/users', { name: 'leak.check', displayName: 'x', role: 'viewer', password: 'leak check pass 1' })).body);
    bodies.push((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: 'leak.check', password: 'leak check pass 1' } })).body);
    const all = bodies.join('\n');
    expect(all).not.toMatch(/scrypt\$/);
    expect(all).not.toMatch(/password_?hash/i);
    for (const hash of hashes) expect(all).not.toContain(hash.split('$')[5]);
  }, 300_000);
});
