/**
 * Open the configured database, bring its schema up to date and, on an empty
 * database, load the seed. Shared by the server and the CLI commands.
 */
import type { Config } from './config.ts';
import { openDatabase, pgliteDirFor, type DatabaseHandle } from './db/index.ts';
import { migrateToLatest } from './db/migrate.ts';
import { isEmpty, seedAll } from '../seeds/index.ts';

export interface BootstrapOptions {
  /** Seed an empty database (default true). */
  seedIfEmpty?: boolean;
  log?: (message: string) => void;
}

export async function openConfiguredDatabase(config: Config, log: (m: string) => void = () => {}): Promise<DatabaseHandle> {
  if (config.databaseUrl) {
    log(`database: PostgreSQL/PostGIS at ${redact(config.databaseUrl)}`);
    return openDatabase({ databaseUrl: config.databaseUrl });
  }
  const dir = pgliteDirFor(config.dataDir);
  log(`database: embedded PGlite + PostGIS in ${dir} (the first start creates it, ~15 s)`);
  return openDatabase({ pgliteDir: dir });
}

export async function bootstrap(config: Config, options: BootstrapOptions = {}): Promise<DatabaseHandle> {
  const log = options.log ?? (() => {});
  const handle = await openConfiguredDatabase(config, log);
  try {
    const state = await migrateToLatest(handle.db);
    log(`migrations: ${state.applied.length} applied, latest ${state.latest}`);
    if (options.seedIfEmpty !== false && (await isEmpty(handle.db))) {
      log(
        'empty database: loading the Inner Mongolia seed — real boundaries, 2020 census, 1,225 townships and 14,592 villages, ' +
          'with synthetic facilities and population grid (once; about 1–2 minutes on the embedded engine) …',
      );
      const started = Date.now();
      const report = await seedAll(handle.db, { progress: (m) => log(`  seed: ${m} (${((Date.now() - started) / 1000).toFixed(0)} s)`) });
      log(`seed loaded in ${((Date.now() - started) / 1000).toFixed(1)} s: ${report.facilities.toLocaleString('en')} facilities, ${report.cells.toLocaleString('en')} population cells (synthetic, seed ${report.seed})`);
    }
    return handle;
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
}

/** Hide the password of a connection string in logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
