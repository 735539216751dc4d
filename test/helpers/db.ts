/**
 * A fresh database per test file: a copy of the run's template (see
 * test/setup/template.ts) on the engine under test.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { inject } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type DatabaseHandle } from '../../server/db/index.ts';
import { buildApp } from '../../server/app.ts';
import { DEFAULT_AUTH, type AuthSettings, type RateLimits } from '../../server/config.ts';
import { adminQuery, withDatabase } from '../setup/template.ts';

export const engine: 'pglite' | 'postgres' = inject('databaseUrl') ? 'postgres' : 'pglite';

export interface TestDatabase extends DatabaseHandle {
  /** Close and, on PostgreSQL, drop the copy. */
  dispose(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const url = inject('databaseUrl');
  if (url) {
    const name = `planner_t_${crypto.randomBytes(6).toString('hex')}`;
    await adminQuery(url, `CREATE DATABASE "${name}" TEMPLATE "${inject('postgresTemplate')}"`);
    const handle = await openDatabase({ databaseUrl: withDatabase(url, name), poolSize: 4 });
    let disposed = false;
    return {
      ...handle,
      async dispose() {
        if (disposed) return;
        disposed = true;
        await handle.close();
        await adminQuery(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      },
    };
  }
  const dump = fs.readFileSync(inject('pgliteTemplate'));
  const handle = await openDatabase({ loadDataDir: new Blob([dump]) });
  let disposed = false;
  return {
    ...handle,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await handle.close();
    },
  };
}

export interface TestAppOptions {
  /**
   * 'local' (default): the login-free local mode, every request acts as the local admin
   * (actor 'local'), as before authentication existed. 'required': requests need a
   * session or token — see loginAs / tokenFor / sessionFor in ./auth.ts.
   */
  auth?: 'local' | 'required';
  /** Rate limits per minute (default: all off in tests, so loops of requests are not throttled). */
  rateLimits?: Partial<RateLimits>;
  /** Other auth settings (session lifetimes, CORS origins …). */
  authSettings?: Partial<AuthSettings>;
  web?: boolean;
}

/** The app around a test database, with logging off and without the web bundle. */
export async function buildTestApp(db: DatabaseHandle, options: TestAppOptions = {}): Promise<FastifyInstance> {
  const auth: AuthSettings = {
    ...DEFAULT_AUTH,
    ...options.authSettings,
    mode: options.auth ?? options.authSettings?.mode ?? 'local',
    rateLimits: { login: 0, expensive: 0, api: 0, ...options.rateLimits },
  };
  const app = await buildApp({ config: { logLevel: 'silent', auth }, db, closeDatabase: false, web: options.web ?? false });
  await app.ready();
  return app;
}

export { createTestUser, loginAs, sessionFor, tokenFor, type TestUser, type Credentials } from './auth.ts';
