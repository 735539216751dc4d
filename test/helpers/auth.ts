/**
 * Users and credentials for tests of an app built with `buildTestApp(db, { auth: 'required' })`.
 *
 *   const viewer = await loginAs(app, 'viewer');                 // through POST /api/auth/login
 *   await app.inject({ method: 'GET', url: '/api/units', headers: viewer.headers });
 *   const editor = await loginAs(app, 'editor', { unitCode: '150430' });
 *   await app.inject({ method: 'POST', url: …, headers: editor.headers, payload });  // cookie + x-csrf-token
 *   const script = await tokenFor(app, 'editor');                // Authorization: Bearer …
 *   const fast = await sessionFor(app, user);                    // a session without scrypt (matrix tests)
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../server/auth/roles.ts';
import { hashPassword } from '../../server/auth/passwords.ts';
import { createSession, createToken, insertUser, type UserRecord } from '../../server/auth/repository.ts';

export const TEST_PASSWORD = 'correct horse battery staple';

let hash: Promise<string> | undefined;
let counter = 0;

export interface TestUser {
  user: UserRecord;
  password: string;
}

export interface Credentials {
  user: UserRecord;
  /** Headers to pass to app.inject: cookie + x-csrf-token, or authorization. */
  headers: Record<string, string>;
  csrfToken?: string;
  cookie?: string;
  token?: string;
}

/** Insert a user directly (the password is TEST_PASSWORD unless given). */
export async function createTestUser(
  app: FastifyInstance,
  options: { role: Role; unitCode?: string | null; name?: string; displayName?: string; password?: string; mustChangePassword?: boolean },
): Promise<TestUser> {
  counter += 1;
  const name = options.name ?? `t-${options.role}-${process.pid}-${counter}-${crypto.randomBytes(2).toString('hex')}`;
  const password = options.password ?? TEST_PASSWORD;
  const passwordHash = options.password ? await hashPassword(options.password) : await (hash ??= hashPassword(TEST_PASSWORD));
  const user = await insertUser(app.db, {
    name,
    displayName: options.displayName ?? `测试${options.role}`,
    role: options.role,
    unitCode: options.unitCode ?? null,
    passwordHash,
    mustChangePassword: options.mustChangePassword ?? false,
  });
  return { user, password };
}

/** A session for an existing user, created directly (no scrypt): for tests that need many. */
export async function sessionFor(app: FastifyInstance, user: UserRecord): Promise<Credentials> {
  const session = await createSession(app.db, user.id, app.authSettings.sessionTtlHours);
  const cookie = `planner_session=${session.token}`;
  return { user, cookie, csrfToken: session.csrfToken, headers: { cookie, 'x-csrf-token': session.csrfToken } };
}

/** Create a user with `role` and log in through POST /api/auth/login. */
export async function loginAs(
  app: FastifyInstance,
  role: Role,
  options: { unitCode?: string | null; name?: string } = {},
): Promise<Credentials> {
  const { user, password } = await createTestUser(app, { role, ...options });
  const response = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: user.name, password } });
  if (response.statusCode !== 200) throw new Error(`login as ${role} failed: ${response.statusCode} ${response.body}`);
  const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const session = setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith('planner_session='));
  if (!session) throw new Error('login set no session cookie');
  const csrfToken = (response.json() as { csrfToken: string }).csrfToken;
  return { user, cookie: session, csrfToken, headers: { cookie: session, 'x-csrf-token': csrfToken } };
}

/** Create a user with `role` and an API token for it. */
export async function tokenFor(app: FastifyInstance, role: Role, options: { unitCode?: string | null } = {}): Promise<Credentials> {
  const { user } = await createTestUser(app, { role, ...options });
  const { token } = await createToken(app.db, user.id, 'test', null);
  return { user, token, headers: { authorization: `Bearer ${token}` } };
}

/** A value for each path parameter that reaches the handler (usually a 404 or 400 there). */
function sampleParam(name: string): string {
  switch (name) {
    case 'code':
      return '150430';
    case 'kind':
      return 'facilities';
    case 'layer':
      return 'facilities';
    case 'z':
    case 'x':
    case 'y':
      return '0';
    case 'user':
      return 'nobody-at-all';
    case '*':
      return 'nothing-here';
    default:
      return '987654321';
  }
}

/** A route pattern with sample values for its parameters (overrides by name). */
export function fillUrl(url: string, overrides: Record<string, string> = {}): string {
  return url
    .replace(/:([A-Za-z_][A-Za-z0-9_]*)(\([^)]*\))?/g, (_m, name: string) => encodeURIComponent(overrides[name] ?? sampleParam(name)))
    .replace(/\*$/, sampleParam('*'));
}

