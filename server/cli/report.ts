/**
 * `npm run report -- --unit 150430 --format pdf --out aohan.pdf`: gap reports
 * on the configured database (server/reports/cli.ts).
 */
import { loadConfig } from '../config.ts';
import { bootstrap } from '../bootstrap.ts';
import { REPORT_USAGE, runReportCommand } from '../reports/cli.ts';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
  console.log(REPORT_USAGE);
  process.exit(argv.length === 0 ? 1 : 0);
}
const config = loadConfig();
const handle = await bootstrap(config, { log: (m) => console.error(`[report] ${m}`) });
try {
  process.exitCode = await runReportCommand(argv, { db: handle.db, out: (l) => console.log(l), err: (l) => console.error(l) });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
