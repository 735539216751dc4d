/**
 * Makes the database handle available as `app.db` (Kysely) and `app.dbHandle`.
 * The handle is opened by the caller (server.ts or a test) and closed here in
 * onClose, so a graceful shutdown never loses writes.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../db/index.ts';
import type { Database } from '../db/schema.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>;
    dbHandle: DatabaseHandle;
  }
}

export interface DatabasePluginOptions {
  handle: DatabaseHandle;
  /** Close the handle when the app closes (default true). */
  closeOnExit?: boolean;
}

export default fp<DatabasePluginOptions>(
  async function databasePlugin(app: FastifyInstance, opts) {
    app.decorate('db', opts.handle.db);
    app.decorate('dbHandle', opts.handle);
    if (opts.closeOnExit !== false) {
      app.addHook('onClose', async () => {
        await opts.handle.close();
      });
    }
  },
  { name: 'database' },
);
