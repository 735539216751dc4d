/**
 * `npm run seed [-- --banner 150430[,150402] --seed N]`: (re)load the seed into
 * the configured database (DATABASE_URL or the embedded one in DATA_DIR):
 * the real top levels, and the townships, villages, synthetic facilities and
 * population cells of the whole region or of the given banners. Idempotent;
 * the same seed number gives the same rows. Prints progress and the calibration
 * table (generated vs published 2020 baselines). Exit code 1 on any error.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openConfiguredDatabase } from '../bootstrap.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { DEFAULT_SEED, seedAll, SeedInputError } from '../../seeds/index.ts';
import { formatCalibration } from '../../seeds/calibration.ts';

const USAGE = `usage: npm run seed [-- --banner <code>[,<code>…]] [--seed <n>]
  --banner  seed only these banners below the top levels (6-digit codes, e.g. 150430 = 敖汉旗); default: all 103
  --seed    seed number of the synthetic layers (non-negative integer); default ${DEFAULT_SEED}`;

function parse(): { banners?: string[]; seed?: number } {
  const { values } = parseArgs({
    options: { banner: { type: 'string', multiple: true }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const banners = values.banner?.flatMap((b) => b.split(',')).map((b) => b.trim()).filter(Boolean);
  if (banners?.some((b) => !/^\d{6}$/.test(b))) throw new SeedInputError(`--banner takes 6-digit banner codes, got ${values.banner!.join(',')}\n${USAGE}`);
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!/^\d+$/.test(values.seed) || !Number.isSafeInteger(seed)) throw new SeedInputError(`--seed takes a non-negative integer, got ${values.seed}\n${USAGE}`);
  }
  return { ...(banners ? { banners } : {}), ...(seed !== undefined ? { seed } : {}) };
}

let options: { banners?: string[]; seed?: number };
try {
  options = parse();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

const config = loadConfig();
const handle = await openConfiguredDatabase(config, console.log);
try {
  await migrateToLatest(handle.db);
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const report = await seedAll(handle.db, { ...options, progress: (m) => console.log(`seed: ${m} (${elapsed()})`) });
  console.log(
    `seed: ${report.banners} banner(s), ${report.townships.toLocaleString('en')} townships, ${report.villages.toLocaleString('en')} villages, ` +
      `${report.facilities.toLocaleString('en')} facilities, ${report.cells.toLocaleString('en')} population cells (seed ${report.seed})`,
  );
  if (report.administrativeVillages > 0) {
    console.log(
      `seed: ${report.villagesUnder500.toLocaleString('en')} of ${report.administrativeVillages.toLocaleString('en')} administrative villages ` +
        `(${((100 * report.villagesUnder500) / report.administrativeVillages).toFixed(1)} %) have fewer than 500 residents`,
    );
  }
  for (const moved of report.seatsMoved) console.log(`seed: the real seat of ${moved.banner} lies outside its polygon; its seat township was placed ${moved.metres} m away, inside`);
  for (const line of formatCalibration(report.calibration)) console.log(line);
  console.log(`seed done in ${elapsed()} on ${handle.engine} (plan ${report.seconds.plan.toFixed(1)} s, place ${report.seconds.place.toFixed(1)} s, write ${report.seconds.write.toFixed(1)} s)`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
