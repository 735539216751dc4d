/** `npm run migrate`: apply pending migrations to the configured database; exit 1 on failure. */
import { loadConfig } from '../config.ts';
import { openConfiguredDatabase } from '../bootstrap.ts';
import { migrateToLatest } from '../db/migrate.ts';

const config = loadConfig();
const handle = await openConfiguredDatabase(config, console.log);
try {
  const state = await migrateToLatest(handle.db);
  console.log(`migrations applied: ${state.applied.join(', ')}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
