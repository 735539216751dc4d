/** `npm run seed`: (re)load the seed into the configured database; idempotent. */
import { loadConfig } from '../config.ts';
import { openConfiguredDatabase } from '../bootstrap.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { seedAll } from '../../seeds/index.ts';

const config = loadConfig();
const handle = await openConfiguredDatabase(config, console.log);
try {
  await migrateToLatest(handle.db);
  const started = Date.now();
  await seedAll(handle.db, { progress: (m) => console.log(`seed: ${m} (${((Date.now() - started) / 1000).toFixed(1)} s)`) });
  console.log(`seed done in ${((Date.now() - started) / 1000).toFixed(1)} s on ${handle.engine}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
