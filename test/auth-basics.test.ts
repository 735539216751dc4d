import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestDatabase, createTestUser, engine, loginAs, sessionFor, tokenFor, type TestDatabase } from './helpers/db.ts';
import { TEST_PASSWORD } from './helpers/auth.ts';

function cookiesOf(response: { headers: Record<string, unknown> }): string[] {
  return ([] as string[]).concat((response.headers['set-cookie'] as string | string[] | undefined) ?? []);
}

describe(`authentication (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db, { auth: 'required' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('refuses anonymous requests to data routes with 401 and a bilingual message', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/units?level=league' });
    expect(response.statusCode).toBe(401);
    const body = response.json();
    expect(body.code).toBe('Unauthorized');
    expect(body.message).toMatch(/Log in/);
    expect(body.messageZh).toMatch(/登录/);
  });

  it('keeps public routes public', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    const me = await app.inject({ method: 'GET', url: '/api/auth/me' });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ mode: 'required', authenticated: false, user: null, csrfToken: null });
  });

  it('logs in with an HttpOnly SameSite=Strict cookie and reads data with it', async () => {
    const { user } = await createTestUser(app, { role: 'viewer', name: 'wang.li', displayName: '王丽' });
    const response = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: 'Wang.Li', password: TEST_PASSWORD } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ authenticated: true, via: 'session', user: { name: 'wang.li', displayName: '王丽', role: 'viewer', mustChangePassword: false } });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const cookies = cookiesOf(response);
    const session = cookies.find((c) => c.startsWith('planner_session='))!;
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Strict/i);
    expect(session).toMatch(/Path=\//);
    expect(session).not.toMatch(/Secure/); // plain http in tests; Secure on https
    const csrfCookie = cookies.find((c) => c.startsWith('planner_csrf='))!;
    expect(csrfCookie).not.toMatch(/HttpOnly/i);

    const cookie = session.split(';')[0]!;
    const units = await app.inject({ method: 'GET', url: '/api/units?level=league', headers: { cookie } });
    expect(units.statusCode).toBe(200);
    const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ authenticated: true, via: 'session', user: { id: user.id, name: 'wang.li' }, csrfToken: body.csrfToken, sessionExpiresAt: body.sessionExpiresAt });
    const hours = (Date.parse(body.sessionExpiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(app.authSettings.sessionTtlHours - 0.1);
    expect(hours).toBeLessThanOrEqual(app.authSettings.sessionTtlHours);
    // The session id is stored hashed, never as the cookie value.
    const stored = await db.db.selectFrom('user_session').select('id').where('user_id', '=', user.id).execute();
    expect(stored.length).toBe(1);
    expect(stored[0]!.id).not.toBe(cookie.split('=')[1]);
    expect(stored[0]!.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers a wrong password and an unknown name alike, and audits both failures', async () => {
    const { user } = await createTestUser(app, { role: 'viewer' });
    const wrong = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: user.name, password: 'not the password' } });
    const unknown = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: 'nobody-here', password: 'not the password' } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().message).toBe(unknown.json().message);
    expect(wrong.json().code).toBe('InvalidCredentials');
    expect(cookiesOf(wrong)).toEqual([]);
    const rows = await db.db.selectFrom('audit_log').select(['actor', 'details']).where('action', '=', 'auth.login_failed').execute();
    expect(rows.map((r) => r.actor)).toEqual(expect.arrayContaining([user.name, 'nobody-here']));
  });

  it('ends the session on logout; the old cookie then gets 401', async () => {
    const viewer = await loginAs(app, 'viewer');
    const out = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: viewer.headers });
    expect(out.statusCode).toBe(200);
    expect(cookiesOf(out).some((c) => /^planner_session=;/.test(c) || /planner_session=.*Expires=Thu, 01 Jan 1970/.test(c))).toBe(true);
    const after = await app.inject({ method: 'GET', url: '/api/units?level=league', headers: viewer.headers });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('SessionExpired');
  });

  it('expires sessions after their lifetime and after idling', async () => {
    const a = await loginAs(app, 'viewer');
    const b = await loginAs(app, 'viewer');
    expect((await app.inject({ method: 'GET', url: '/api/rules', headers: a.headers })).statusCode).not.toBe(401);
    await db.db.updateTable('user_session').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('user_id', '=', a.user.id).execute();
    await db.db
      .updateTable('user_session')
      .set({ last_seen_at: sql<Date>`now() - make_interval(mins => ${app.authSettings.sessionIdleMinutes + 1})` })
      .where('user_id', '=', b.user.id)
      .execute();
    for (const who of [a, b]) {
      const response = await app.inject({ method: 'GET', url: '/api/units?level=league', headers: who.headers });
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe('SessionExpired');
    }
  });

  it('refuses a disabled user at login and on existing sessions and tokens', async () => {
    const viewer = await loginAs(app, 'viewer');
    const script = await tokenFor(app, 'viewer');
    await db.db.updateTable('app_user').set({ disabled: true }).where('id', 'in', [viewer.user.id, script.user.id]).execute();
    expect((await app.inject({ method: 'GET', url: '/api/units?level=league', headers: viewer.headers })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/units?level=league', headers: script.headers })).statusCode).toBe(401);
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: viewer.user.name, password: TEST_PASSWORD } });
    expect(login.statusCode).toBe(401);
  });

  describe('CSRF', () => {
    it('refuses a cookie-authenticated write without the CSRF header, accepts it with the header', async () => {
      const admin = await loginAs(app, 'admin');
      const payload = { name: `csrf-${Date.now()}`, displayName: 'CSRF', role: 'viewer' };
      const without = await app.inject({ method: 'POST', url: '/api/admin/users', headers: { cookie: admin.cookie! }, payload });
      expect(without.statusCode).toBe(403);
      expect(without.json().code).toBe('CsrfRejected');
      const wrong = await app.inject({ method: 'POST', url: '/api/admin/users', headers: { cookie: admin.cookie!, 'x-csrf-token': 'nope' }, payload });
      expect(wrong.statusCode).toBe(403);
      expect(await db.db.selectFrom('app_user').select('id').where('name', '=', payload.name).executeTakeFirst()).toBeUndefined();
      const ok = await app.inject({ method: 'POST', url: '/api/admin/users', headers: admin.headers, payload });
      expect(ok.statusCode).toBe(201);
    });

    it('refuses a write from another origin even with a valid CSRF token', async () => {
      const admin = await loginAs(app, 'admin');
      const response = await app.inject({
        method: 'POST',
        url: '/api/admin/users',
        headers: { ...admin.headers, origin: 'https://evil.example' },
        payload: { name: `x-${Date.now()}`, displayName: 'x', role: 'viewer' },
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('CsrfRejected');
      const sameOrigin = await app.inject({
        method: 'POST',
        url: '/api/admin/users',
        headers: { ...admin.headers, origin: 'http://localhost:80' },
        payload: { name: `y-${Date.now()}`, displayName: 'y', role: 'viewer' },
      });
      expect(sameOrigin.statusCode).toBe(201);
    });

    it('recognises its own origin behind a TLS proxy and on other ports', async () => {
      const admin = await loginAs(app, 'admin');
      const attempt = (host: string, origin: string) =>
        app.inject({
          method: 'POST',
          url: '/api/auth/tokens',
          headers: { ...admin.headers, host, origin },
          payload: { name: 'origin check' },
        });
      expect((await attempt('planner.example.gov.cn', 'https://planner.example.gov.cn')).statusCode).toBe(201);
      expect((await attempt('10.0.0.5:8080', 'http://10.0.0.5:8080')).statusCode).toBe(201);
      expect((await attempt('10.0.0.5:8080', 'http://10.0.0.5:9090')).statusCode).toBe(403);
      expect((await attempt('planner.example.gov.cn', 'https://planner.example.gov.cn.evil.example')).statusCode).toBe(403);
      expect((await attempt('planner.example.gov.cn', 'null')).statusCode).toBe(403);
    });

    it('exempts bearer tokens (scripts) from the CSRF header', async () => {
      const admin = await tokenFor(app, 'admin');
      const response = await app.inject({
        method: 'POST',
        url: '/api/admin/users',
        headers: admin.headers,
        payload: { name: `tok-${Date.now()}`, displayName: 'token-made', role: 'viewer' },
      });
      expect(response.statusCode).toBe(201);
    });

    it('lets a logged-in browser log in again without a token (new session), still same-site only', async () => {
      const { user } = await createTestUser(app, { role: 'viewer' });
      const first = await loginAs(app, 'viewer');
      const again = await app.inject({ method: 'POST', url: '/api/auth/login', headers: { cookie: first.cookie! }, payload: { name: user.name, password: TEST_PASSWORD } });
      expect(again.statusCode).toBe(200);
      expect(again.json().user.name).toBe(user.name);
    });

    it('refuses a cross-site login (login CSRF)', async () => {
      const { user } = await createTestUser(app, { role: 'viewer' });
      const response = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { origin: 'https://evil.example' },
        payload: { name: user.name, password: TEST_PASSWORD },
      });
      expect(response.statusCode).toBe(403);
    });
  });

  describe('API tokens', () => {
    it('are shown once, stored hashed, record last use and stop working when revoked', async () => {
      const editor = await loginAs(app, 'editor');
      const created = await app.inject({ method: 'POST', url: '/api/auth/tokens', headers: editor.headers, payload: { name: 'nightly import' } });
      expect(created.statusCode).toBe(201);
      const { token, record } = created.json();
      expect(token).toMatch(/^imgp_[A-Za-z0-9_-]{40,}$/);
      expect(record).toMatchObject({ name: 'nightly import', active: true, lastUsedAt: null, prefix: token.slice(0, 11) });
      const row = await db.db.selectFrom('api_token').selectAll().where('id', '=', record.id).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(token);

      const bearer = { authorization: `Bearer ${token}` };
      expect((await app.inject({ method: 'GET', url: '/api/units?level=league', headers: bearer })).statusCode).toBe(200);
      const list = await app.inject({ method: 'GET', url: '/api/auth/tokens', headers: editor.headers });
      const listed = list.json().tokens.find((t: { id: number }) => t.id === record.id);
      expect(listed.lastUsedAt).not.toBeNull();
      expect(list.body).not.toContain(token);

      const revoke = await app.inject({ method: 'DELETE', url: `/api/auth/tokens/${record.id}`, headers: editor.headers });
      expect(revoke.statusCode).toBe(200);
      const after = await app.inject({ method: 'GET', url: '/api/units?level=league', headers: bearer });
      expect(after.statusCode).toBe(401);
      expect(after.json().message).toMatch(/revoked/);
    });

    it("cannot revoke someone else's token through the self-service route", async () => {
      const a = await tokenFor(app, 'viewer');
      const b = await loginAs(app, 'viewer');
      const tokenId = (await db.db.selectFrom('api_token').select('id').where('user_id', '=', a.user.id).executeTakeFirstOrThrow()).id;
      const response = await app.inject({ method: 'DELETE', url: `/api/auth/tokens/${tokenId}`, headers: b.headers });
      expect(response.statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/api/units?level=league', headers: a.headers })).statusCode).toBe(200);
    });

    it('refuses expired tokens and malformed Authorization headers', async () => {
      const t = await tokenFor(app, 'viewer');
      await db.db.updateTable('api_token').set({ expires_at: sql<Date>`now() - interval '1 minute'` }).where('user_id', '=', t.user.id).execute();
      expect((await app.inject({ method: 'GET', url: '/api/units?level=league', headers: t.headers })).statusCode).toBe(401);
      const basic = await app.inject({ method: 'GET', url: '/api/units?level=league', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
      expect(basic.statusCode).toBe(401);
      expect(basic.json().message).toMatch(/Bearer/);
      // Even on a public route a broken token is reported, not silently ignored.
      expect((await app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: 'Bearer imgp_nonsense' } })).statusCode).toBe(401);
    });
  });

  describe('passwords', () => {
    it('forces a user with a one-time password to change it before anything else', async () => {
      const { user } = await createTestUser(app, { role: 'planner', mustChangePassword: true });
      const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: user.name, password: TEST_PASSWORD } });
      expect(login.statusCode).toBe(200);
      expect(login.json().user.mustChangePassword).toBe(true);
      const cookie = cookiesOf(login).find((c) => c.startsWith('planner_session='))!.split(';')[0]!;
      const headers = { cookie, 'x-csrf-token': login.json().csrfToken };
      const blocked = await app.inject({ method: 'GET', url: '/api/units?level=league', headers });
      expect(blocked.statusCode).toBe(403);
      expect(blocked.json().code).toBe('PasswordChangeRequired');
      const weak = await app.inject({ method: 'POST', url: '/api/auth/password', headers, payload: { currentPassword: TEST_PASSWORD, newPassword: 'short' } });
      expect(weak.statusCode).toBe(400);
      expect(weak.json().code).toBe('WeakPassword');
      const wrongCurrent = await app.inject({ method: 'POST', url: '/api/auth/password', headers, payload: { currentPassword: 'guess guess guess', newPassword: 'a much better passphrase' } });
      expect(wrongCurrent.statusCode).toBe(400);
      const changed = await app.inject({ method: 'POST', url: '/api/auth/password', headers, payload: { currentPassword: TEST_PASSWORD, newPassword: 'a much better passphrase' } });
      expect(changed.statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/api/units?level=league', headers })).statusCode).toBe(200);
      const relogin = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: user.name, password: 'a much better passphrase' } });
      expect(relogin.statusCode).toBe(200);
      expect(relogin.json().user.mustChangePassword).toBe(false);
    });

    it('stores scrypt hashes, never the password', async () => {
      const { user, password } = await createTestUser(app, { role: 'viewer', password: 'unique passphrase 4711' });
      const row = await db.db.selectFrom('app_user').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
      expect(row.password_hash).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(row.password_hash).not.toContain(password);
    });
  });

  it('gives actorOf(request) the logged-in user: audit rows name them', async () => {
    const admin = await loginAs(app, 'admin', { name: 'audit-admin' });
    const response = await app.inject({
      method: 'POST',
      url: '/api/admin/users',
      headers: admin.headers,
      payload: { name: 'audited-user', displayName: '被审计', role: 'planner' },
    });
    expect(response.statusCode).toBe(201);
    const row = await db.db.selectFrom('audit_log').selectAll().where('action', '=', 'user.create').where('entity_id', '=', 'audited-user').executeTakeFirstOrThrow();
    expect(row.actor).toBe('audit-admin');
    expect(row.after).toMatchObject({ name: 'audited-user', role: 'planner' });
    expect(JSON.stringify(row)).not.toMatch(/scrypt\$/);
  });

  it('creates sessions for tests without scrypt (sessionFor) that behave like real ones', async () => {
    const { user } = await createTestUser(app, { role: 'viewer' });
    const s = await sessionFor(app, user);
    expect((await app.inject({ method: 'GET', url: '/api/units?level=league', headers: s.headers })).statusCode).toBe(200);
  });
});

describe(`login-free local mode (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('acts as the local admin without credentials', async () => {
    const me = await app.inject({ method: 'GET', url: '/api/auth/me' });
    expect(me.json()).toMatchObject({ mode: 'local', authenticated: true, via: 'local', user: { name: 'local', role: 'admin', id: null } });
    expect((await app.inject({ method: 'GET', url: '/api/admin/users' })).statusCode).toBe(200);
    const created = await app.inject({ method: 'POST', url: '/api/admin/users', payload: { name: 'made-locally', displayName: '本地创建', role: 'viewer' } });
    expect(created.statusCode).toBe(201);
    const row = await db.db.selectFrom('audit_log').select('actor').where('entity_id', '=', 'made-locally').executeTakeFirstOrThrow();
    expect(row.actor).toBe('local');
  });

  it('answers only requests addressed to a loopback name (no DNS rebinding)', async () => {
    const rebinding = await app.inject({ method: 'GET', url: '/api/units?level=league', headers: { host: 'attacker.example:8080' } });
    expect(rebinding.statusCode).toBe(403);
    expect(rebinding.json().message).toMatch(/local mode/);
    expect((await app.inject({ method: 'GET', url: '/api/units?level=league', headers: { host: '127.0.0.1:8080' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/units?level=league', headers: { host: '[::1]:8080' } })).statusCode).toBe(200);
  });

  it('refuses cross-site writes even without a session (a web page posting to localhost)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/admin/users',
      headers: { origin: 'https://evil.example' },
      payload: { name: 'from-evil', displayName: 'evil', role: 'admin' },
    });
    expect(response.statusCode).toBe(403);
    const simple = await app.inject({
      method: 'POST',
      url: '/api/admin/users',
      headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'from-evil2', displayName: 'evil', role: 'admin' }),
    });
    expect(simple.statusCode).toBe(403);
    expect(await db.db.selectFrom('app_user').select('id').where('name', 'like', 'from-evil%').execute()).toEqual([]);
  });

  it('still lets a user log in and act as themselves', async () => {
    const viewer = await loginAs(app, 'viewer');
    const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: viewer.headers });
    expect(me.json().user.name).toBe(viewer.user.name);
    expect((await app.inject({ method: 'GET', url: '/api/admin/users', headers: viewer.headers })).statusCode).toBe(403);
  });
});
