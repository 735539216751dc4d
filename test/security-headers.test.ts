import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { DEFAULT_AUTH } from '../server/config.ts';
import { buildTestApp, createTestDatabase, createTestUser, engine, loginAs, type TestDatabase } from './helpers/db.ts';

describe(`security headers, CORS, limits and error masking (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db, { auth: 'required', web: true });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('sends a CSP the map app works under, and the usual hardening headers', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toMatch(/worker-src 'self' blob:/);
    expect(csp).toMatch(/img-src 'self' data: blob:/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(response.headers['referrer-policy']).toBe('same-origin');
    expect(response.headers['strict-transport-security']).toBeUndefined(); // plain http
    const api = await app.inject({ method: 'GET', url: '/api/health' });
    expect(api.headers['content-security-policy']).toBeTruthy();
    expect(api.headers['x-powered-by']).toBeUndefined();
  });

  it('sends HSTS on https requests (behind a TLS proxy)', async () => {
    const proxied = await buildApp({
      config: { logLevel: 'silent', auth: { ...DEFAULT_AUTH, mode: 'required', trustProxy: true, rateLimits: { login: 0, expensive: 0, api: 0 } } },
      db,
      closeDatabase: false,
      web: false,
    });
    try {
      await proxied.ready();
      const response = await proxied.inject({ method: 'GET', url: '/api/health', headers: { 'x-forwarded-proto': 'https' } });
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      // Cookies become Secure on https.
      const { user, password } = await createTestUser(proxied, { role: 'viewer' });
      const login = await proxied.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-proto': 'https' },
        payload: { name: user.name, password },
      });
      expect(String(login.headers['set-cookie'])).toMatch(/Secure/);
    } finally {
      await proxied.close();
    }
  });

  it('adds the basemap origin to the CSP when BASEMAP_URL is set', async () => {
    const withBasemap = await buildApp({
      config: { logLevel: 'silent', basemapUrl: 'https://tiles.example.org/{z}/{x}/{y}.png' },
      db,
      closeDatabase: false,
      web: false,
    });
    try {
      await withBasemap.ready();
      const csp = String((await withBasemap.inject({ method: 'GET', url: '/api/health' })).headers['content-security-policy']);
      expect(csp).toMatch(/img-src[^;]*https:\/\/tiles\.example\.org/);
      expect(csp).toMatch(/connect-src[^;]*https:\/\/tiles\.example\.org/);
    } finally {
      await withBasemap.close();
    }
  });

  it('keeps the API docs working without upgrade-insecure-requests on http', async () => {
    const docs = await app.inject({ method: 'GET', url: '/api/docs' });
    expect(docs.statusCode).toBe(200);
    expect(String(docs.headers['content-security-policy'])).not.toContain('upgrade-insecure-requests');
  });

  it('sends no CORS headers to other origins by default (same origin only)', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/health', headers: { origin: 'https://elsewhere.example' } });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/api/units',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.statusCode).toBeGreaterThanOrEqual(400);
  });

  it('allows the configured CORS origins only', async () => {
    const cors = await buildTestApp(db, { auth: 'required', authSettings: { corsOrigins: ['https://portal.example.gov.cn'] } });
    try {
      const allowed = await cors.inject({ method: 'GET', url: '/api/health', headers: { origin: 'https://portal.example.gov.cn' } });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://portal.example.gov.cn');
      expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
      const other = await cors.inject({ method: 'GET', url: '/api/health', headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await cors.inject({
        method: 'OPTIONS',
        url: '/api/units',
        headers: { origin: 'https://portal.example.gov.cn', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.statusCode).toBe(204);
      expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
    } finally {
      await cors.close();
    }
  });

  it('rate-limits login attempts: 429 with Retry-After and a bilingual message', async () => {
    const limited = await buildTestApp(db, { auth: 'required', rateLimits: { login: 5 } });
    try {
      const { user } = await createTestUser(limited, { role: 'viewer' });
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 7; i += 1) {
        last = await limited.inject({ method: 'POST', url: '/api/auth/login', payload: { name: user.name, password: `wrong password ${i}` } });
        statuses.push(last.statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(last!.headers['retry-after'])).toBeLessThanOrEqual(60);
      const body = last!.json();
      expect(body).toMatchObject({ statusCode: 429, code: 'RateLimited' });
      expect(body.messageZh).toMatch(/频繁/);
      // Even the right password is refused while limited: the limit counts attempts, not failures.
      const right = await limited.inject({ method: 'POST', url: '/api/auth/login', payload: { name: user.name, password: 'correct horse battery staple' } });
      expect(right.statusCode).toBe(429);
      // Another client address is not affected.
      const elsewhere = await limited.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.1.2.3', payload: { name: user.name, password: 'correct horse battery staple' } });
      expect(elsewhere.statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('rate-limits expensive endpoints per user, separately from cheap ones', async () => {
    const limited = await buildTestApp(db, { auth: 'required', rateLimits: { expensive: 2, api: 1000 } });
    try {
      const a = await loginAs(limited, 'admin');
      const b = await loginAs(limited, 'admin');
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await limited.inject({ method: 'GET', url: '/api/admin/audit/export', headers: a.headers })).statusCode);
      expect(statuses).toEqual([200, 200, 429]);
      expect((await limited.inject({ method: 'GET', url: '/api/admin/audit', headers: a.headers })).statusCode).toBe(200);
      expect((await limited.inject({ method: 'GET', url: '/api/admin/audit/export', headers: b.headers })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('refuses bodies over the limit with 413 before authentication reads them', async () => {
    const admin = await loginAs(app, 'admin');
    const big = JSON.stringify({ name: 'x', displayName: 'y'.repeat(2 * 1024 * 1024), role: 'viewer' });
    const response = await app.inject({ method: 'POST', url: '/api/admin/users', headers: { ...admin.headers, 'content-type': 'application/json' }, payload: big });
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('PayloadTooLarge');
    const anonymous = await app.inject({ method: 'POST', url: '/api/admin/users', headers: { 'content-type': 'application/json' }, payload: big });
    expect(anonymous.statusCode).toBe(401);
  });

  it('never shows a stack trace or SQL in an error response', async () => {
    const boom = await buildApp({ config: { logLevel: 'silent' }, db, closeDatabase: false, web: false });
    // Not under /api: needs no policy entry. Throws a database error carrying SQL text.
    boom.get('/test-boom', async () => {
      await boom.db.selectFrom('no_such_table' as never).selectAll().execute();
      return {};
    });
    boom.get('/test-throw', async () => {
      throw new Error('secret detail at SELECT password_hash FROM app_user');
    });
    try {
      await boom.ready();
      for (const url of ['/test-boom', '/test-throw']) {
        const response = await boom.inject({ method: 'GET', url });
        expect(response.statusCode).toBe(500);
        expect(response.json()).toMatchObject({ code: 'InternalError', message: 'Internal server error. The problem was logged.' });
        expect(response.body).not.toMatch(/SELECT|no_such_table|password_hash|at .*\.ts:\d+|stack/i);
      }
    } finally {
      await boom.close();
    }
  });

  it('answers malformed JSON, wrong types and unknown routes with bilingual 4xx bodies only', async () => {
    const admin = await loginAs(app, 'admin');
    const cases = [
      { method: 'POST', url: '/api/admin/users', headers: { ...admin.headers, 'content-type': 'application/json' }, payload: '{"name": "x",' },
      { method: 'POST', url: '/api/admin/users', headers: admin.headers, payload: { name: 12, displayName: [], role: 'root' } },
      { method: 'GET', url: "/api/admin/users?limit=1e309&role=' OR 1=1 --", headers: admin.headers },
      { method: 'GET', url: '/api/no/such/route', headers: admin.headers },
    ] as const;
    for (const c of cases) {
      const response = await app.inject(c as never);
      expect(response.statusCode, c.url).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, c.url).toBeLessThan(500);
      const body = response.json();
      expect(body.message).toBeTruthy();
      expect(body.messageZh).toBeTruthy();
      expect(response.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
    }
  });
});
