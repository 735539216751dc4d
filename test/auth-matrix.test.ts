/**
 * The role × route matrix: walks every registered /api route (app.apiRouteList,
 * filled by the auth plugin's onRoute hook) and checks that anonymous callers,
 * each role, and an editor limited to a unit subtree get exactly what the route's
 * entry in server/auth/policy.ts says: 401 without a session, 403 below the
 * minimum role or outside the subtree, never 401/403 when allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildTestApp, createTestDatabase, createTestUser, engine, sessionFor, type Credentials, type TestDatabase } from './helpers/db.ts';
import { insertFacility } from './helpers/fixtures.ts';
import { POLICY, isUnsafeMethod, policyKey, type RoutePolicy, type ScopeSource } from '../server/auth/policy.ts';
import { ROLES, roleAtLeast, type Role } from '../server/auth/roles.ts';
import type { RegisteredApiRoute } from '../server/auth/plugin.ts';
import { fillUrl } from './helpers/auth.ts';

const IN_SCOPE_UNIT = '150430'; // 敖汉旗, Chifeng
const OUT_SCOPE_UNIT = '150102'; // 新城区, Hohhot
const IN_SCOPE_POINT = { lon: 119.92, lat: 42.3 }; // Aohan's seat
const OUT_SCOPE_POINT = { lon: 120.5, lat: 49.5 }; // Hulunbuir

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: Record<string, unknown> = target;
  for (let i = 0; i < parts.length - 1; i += 1) {
    const part = parts[i]!;
    const nextIsArray = parts[i + 1] === '*';
    if (part === '*') continue;
    node[part] ??= nextIsArray ? [{}] : {};
    node = (Array.isArray(node[part]) ? (node[part] as Record<string, unknown>[])[0]! : node[part]) as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function request(route: RegisteredApiRoute, headers: Record<string, string>, target?: { source: ScopeSource; value: unknown }): InjectOptions {
  const params: Record<string, string> = {};
  const query: Record<string, string> = {};
  const body: Record<string, unknown> = {};
  if (target) {
    if (target.source.in === 'params') params[target.source.field] = String(target.value);
    else if (target.source.in === 'query') query[target.source.field] = String(target.value);
    else setPath(body, target.source.field, target.value);
  }
  const qs = new URLSearchParams(query).toString();
  return {
    method: route.method as InjectOptions['method'],
    url: fillUrl(route.url, params) + (qs ? `?${qs}` : ''),
    headers,
    ...(isUnsafeMethod(route.method) ? { payload: body } : {}),
  };
}

function label(route: RegisteredApiRoute, who: string): string {
  return `${who} → ${route.method} ${route.url} (${route.policy.access}; ${route.policy.owner})`;
}

describe(`role × route matrix (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  const sessions = {} as Record<Role, Credentials>;
  let scoped: Credentials;
  let facilityIn: number;
  let facilityOut: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db, { auth: 'required' });
    for (const role of ROLES) sessions[role] = await sessionFor(app, (await createTestUser(app, { role })).user);
    scoped = await sessionFor(app, (await createTestUser(app, { role: 'editor', unitCode: IN_SCOPE_UNIT })).user);
    facilityIn = await insertFacility(db.db, { lon: 119.92, lat: 42.3, unit_code: IN_SCOPE_UNIT });
    facilityOut = await insertFacility(db.db, { lon: 111.68, lat: 40.82, unit_code: OUT_SCOPE_UNIT });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  /** Routes in an order where logging out (which ends the caller's session) comes last. */
  function routes(): RegisteredApiRoute[] {
    const all = [...app.apiRouteList];
    return [...all.filter((r) => r.url !== '/api/auth/logout'), ...all.filter((r) => r.url === '/api/auth/logout')];
  }

  it('has a policy entry for every registered /api route and a route for every entry', () => {
    const registered = app.policyKeysInUse;
    expect(registered.size).toBeGreaterThan(20);
    for (const route of app.apiRouteList) expect(POLICY[policyKey(route.method, route.url)]).toBe(route.policy);
    const stale = Object.keys(POLICY).filter((key) => !registered.has(key));
    expect(stale, 'entries in server/auth/policy.ts without a route').toEqual([]);
  });

  it('refuses to start an app with an /api route missing from the policy table, naming the route and the file', async () => {
    const { buildApp } = await import('../server/app.ts');
    const { apiRoutes } = await import('../server/routes.ts');
    const extra = async (api: FastifyInstance) => {
      api.get('/not-in-the-table', async () => ({ ok: true }));
    };
    apiRoutes.push(extra);
    try {
      const built = await buildApp({ config: { logLevel: 'silent' }, db, closeDatabase: false, web: false });
      await expect(built.ready()).rejects.toThrow(
        /No access policy for GET \/api\/not-in-the-table.*server\/auth\/policy\.ts/,
      );
      await built.close().catch(() => {});
    } finally {
      apiRoutes.splice(apiRoutes.indexOf(extra), 1);
    }
  });

  it('answers anonymous callers 401 on every non-public route, and never 401/403 on public ones', async () => {
    const failures: string[] = [];
    for (const route of routes()) {
      const response = await app.inject(request(route, {}));
      const publicRoute = route.policy.access === 'public';
      const ok = publicRoute ? ![401, 403].includes(response.statusCode) : response.statusCode === 401;
      if (!ok) failures.push(`${label(route, 'anonymous')}: got ${response.statusCode} ${response.body.slice(0, 160)}`);
      if (!publicRoute && response.statusCode === 401) expect(response.json().messageZh).toBeTruthy();
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('gives every role exactly what the table says', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of routes()) {
      for (const role of ROLES) {
        const response = await app.inject(request(route, sessions[role].headers));
        checked += 1;
        const allowed = route.policy.access === 'public' || roleAtLeast(role, route.policy.access);
        const ok = allowed ? ![401, 403].includes(response.statusCode) : response.statusCode === 403;
        if (!ok) failures.push(`${label(route, role)}: expected ${allowed ? 'not 401/403' : '403'}, got ${response.statusCode} ${response.body.slice(0, 200)}`);
        if (!allowed && response.statusCode === 403) expect(response.json().code).toBe('Forbidden');
        if (route.url === '/api/auth/logout') sessions[role] = await sessionFor(app, sessions[role].user);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(app.apiRouteList.length * ROLES.length);
  }, 600_000); // every route × every role, evaluations and exports included: minutes on a busy machine

  it('limits an editor with a unit scope to that subtree on every scoped route', async () => {
    const failures: string[] = [];
    let scopedChecks = 0;
    const values = (source: ScopeSource): { inside: unknown; outside: unknown } =>
      source.kind === 'unit'
        ? { inside: IN_SCOPE_UNIT, outside: OUT_SCOPE_UNIT }
        : source.kind === 'point'
          ? { inside: IN_SCOPE_POINT, outside: OUT_SCOPE_POINT }
          : { inside: facilityIn, outside: facilityOut };
    for (const route of routes()) {
      if (route.url === '/api/auth/logout') continue;
      const policy: RoutePolicy = route.policy;
      const allowed = policy.access === 'public' || roleAtLeast('editor', policy.access);
      if (!allowed) continue;
      if (policy.scope === 'refuse' && isUnsafeMethod(route.method)) {
        const response = await app.inject(request(route, scoped.headers));
        if (response.statusCode !== 403 || response.json().code !== 'OutOfScope') failures.push(`${label(route, 'scoped editor')}: expected 403 OutOfScope, got ${response.statusCode}`);
        const unscoped = await app.inject(request(route, sessions.editor.headers));
        if ([401, 403].includes(unscoped.statusCode)) failures.push(`${label(route, 'editor')}: got ${unscoped.statusCode}`);
        scopedChecks += 1;
        continue;
      }
      if (Array.isArray(policy.scope) && isUnsafeMethod(route.method)) {
        for (const source of policy.scope as readonly ScopeSource[]) {
          const { inside, outside } = values(source);
          const out = await app.inject(request(route, scoped.headers, { source, value: outside }));
          if (out.statusCode !== 403 || out.json().code !== 'OutOfScope') {
            failures.push(`${label(route, 'scoped editor')} with ${source.in}.${source.field}=${JSON.stringify(outside)}: expected 403 OutOfScope, got ${out.statusCode} ${out.body.slice(0, 160)}`);
          }
          const inn = await app.inject(request(route, scoped.headers, { source, value: inside }));
          if ([401, 403].includes(inn.statusCode)) failures.push(`${label(route, 'scoped editor')} with ${source.in}.${source.field}=${JSON.stringify(inside)}: got ${inn.statusCode} ${inn.body.slice(0, 160)}`);
          const unscoped = await app.inject(request(route, sessions.editor.headers, { source, value: outside }));
          if ([401, 403].includes(unscoped.statusCode)) failures.push(`${label(route, 'editor')} with ${source.in}.${source.field}=${JSON.stringify(outside)}: got ${unscoped.statusCode}`);
          scopedChecks += 1;
        }
        continue;
      }
      // Routes without a scope: the scoped editor is an editor like any other.
      const response = await app.inject(request(route, scoped.headers));
      if ([401, 403].includes(response.statusCode)) failures.push(`${label(route, 'scoped editor')}: got ${response.statusCode} ${response.body.slice(0, 160)}`);
    }
    expect(failures).toEqual([]);
    expect(scopedChecks).toBeGreaterThan(0);
  }, 600_000);

  it('accepts API tokens the same way as sessions', async () => {
    const { tokenFor } = await import('./helpers/auth.ts');
    const viewer = await tokenFor(app, 'viewer');
    const admin = await tokenFor(app, 'admin');
    expect((await app.inject({ method: 'GET', url: '/api/units?level=league', headers: viewer.headers })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/admin/users', headers: viewer.headers })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/admin/users', headers: admin.headers })).statusCode).toBe(200);
  });
});
