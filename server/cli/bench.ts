/**
 * `npm run bench [-- name…]`: performance figures of every registered bench
 * (server/bench/registry.ts) on the configured database (DATABASE_URL or the
 * embedded one in DATA_DIR), printed as a table. Targets are checked here, by
 * reading the figures — never by timed assertions in tests.
 */
import os from 'node:os';
import { loadConfig } from '../config.ts';
import { bootstrap } from '../bootstrap.ts';
import { benches } from '../bench/registry.ts';

const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = benches.filter((b) => only.length === 0 || only.some((o) => b.name.includes(o)));
if (selected.length === 0) {
  console.log(benches.length === 0 ? 'nothing to measure yet' : `no bench matches ${only.join(', ')}`);
  process.exit(0);
}

const config = loadConfig();
const handle = await bootstrap(config, { log: (m) => console.log(`[bench] ${m}`) });
const rows: { bench: string; label: string; value: number; unit: string; note: string }[] = [];
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, engine ${handle.engine}`);
try {
  for (const bench of selected) {
    console.log(`\n── ${bench.name}`);
    await bench.run({
      db: handle.db,
      engine: handle.engine,
      log: (m) => console.log(`   ${m}`),
      report(label, value, unit, note = '') {
        rows.push({ bench: bench.name, label, value, unit, note });
        console.log(`   ${label}: ${value.toLocaleString('en', { maximumFractionDigits: 2 })} ${unit}${note ? `  (${note})` : ''}`);
      },
    });
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
console.log('\n| bench | measure | value | note |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.bench} | ${r.label} | ${r.value.toLocaleString('en', { maximumFractionDigits: 2 })} ${r.unit} | ${r.note} |`);
