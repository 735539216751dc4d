/**
 * `npm run import -- --kind facilities --file x.csv [--encoding gbk] [--crs gcj02] [--dry-run]`:
 * the same import as POST /api/imports/{kind}; exits 1 listing every problem.
 */
import { loadConfig } from '../config.ts';
import { bootstrap } from '../bootstrap.ts';
import { IMPORT_USAGE, runImportCommand } from '../importexport/cli.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
  console.log(IMPORT_USAGE);
  process.exit(argv.length === 0 ? 1 : 0);
}
const config = loadConfig();
const handle = await bootstrap(config, { log: (m) => console.error(`[import] ${m}`) });
try {
  process.exitCode = await runImportCommand(argv, { db: handle.db, out: (l) => console.log(l), err: (l) => console.error(l) });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
