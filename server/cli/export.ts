/**
 * `npm run export -- --kind facilities --format xlsx --unit 150430 [--out file]`:
 * the same export as GET /api/exports/{kind}.
 */
import { loadConfig } from '../config.ts';
import { bootstrap } from '../bootstrap.ts';
import { EXPORT_USAGE, runExportCommand } from '../importexport/cli.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
  console.log(EXPORT_USAGE);
  process.exit(argv.length === 0 ? 1 : 0);
}
const config = loadConfig();
const handle = await bootstrap(config, { log: (m) => console.error(`[export] ${m}`) });
try {
  process.exitCode = await runExportCommand(argv, { db: handle.db, out: (l) => console.log(l), err: (l) => console.error(l) });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
