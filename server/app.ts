/**
 * The whole application as one Fastify instance. server.ts only reads config,
 * opens the database and listens; tests build the same app around a test
 * database and call `app.inject()`.
 *
 * Plugin order: infrastructure (errors, database, docs) → API routes → web.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/index.ts';
import errorsPlugin from './plugins/errors.ts';
import databasePlugin from './plugins/database.ts';
import openapiPlugin from './plugins/openapi.ts';
import webPlugin from './plugins/web.ts';
import securityPlugin from './plugins/security.ts';
import authPlugin from './auth/plugin.ts';
import authPages from './auth/pages.ts';
import { DEFAULT_AUTH } from './config.ts';
import { apiRoutes } from './routes.ts';

export interface BuildOptions {
  config: Pick<Config, 'logLevel'> & Partial<Config>;
  db: DatabaseHandle;
  /** Close the database when the app closes (default true). */
  closeDatabase?: boolean;
  /** Serve the web app at / (default true). */
  web?: boolean;
}

/** Largest accepted request body (imports have their own, larger limit). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.config.logLevel === 'silent' ? false : { level: options.config.logLevel },
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: options.config.auth?.trustProxy ?? false,
    ajv: {
      customOptions: {
        coerceTypes: 'array',
        removeAdditional: true,
        useDefaults: true,
        allErrors: false,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(errorsPlugin);
  await app.register(databasePlugin, { handle: options.db, closeOnExit: options.closeDatabase !== false });
  // Before any route: security headers and limits, then the auth hooks every /api route must pass (server/auth/policy.ts).
  await app.register(securityPlugin, { settings: options.config.auth ?? DEFAULT_AUTH, basemapUrl: options.config.basemapUrl });
  await app.register(authPlugin, { settings: options.config.auth ?? DEFAULT_AUTH });
  // The map UI tells the browser about the optional online basemap (GET /api/ui/config).
  app.decorate('basemapUrl', options.config.basemapUrl);
  await app.register(openapiPlugin);
  await app.register(
    async (api) => {
      for (const routes of apiRoutes) await api.register(routes);
    },
    { prefix: '/api' },
  );
  if (options.web !== false) await app.register(webPlugin);
  if (options.web !== false) await app.register(authPages);
  return app;
}
