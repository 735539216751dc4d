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

/** The app around a test database, with logging off and without the web bundle. */
export async function buildTestApp(db: DatabaseHandle): Promise<FastifyInstance> {
  const app = await buildApp({ config: { logLevel: 'silent' }, db, closeDatabase: false, web: false });
  await app.ready();
  return app;
}
