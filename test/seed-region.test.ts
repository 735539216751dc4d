/**
 * The whole-region seed in a database of its own (a copy of the template, so
 * Aohan is already there): every township and village, every facility and cell,
 * exact sums at every level, points inside their banner, calibration, and Aohan
 * unchanged — one banner seeded alone gets exactly the rows the region seed
 * gives it. This is the slowest test file (the region has ~105,000 generated
 * rows); it runs once per engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { seedAll, type SeedReport } from '../seeds/index.ts';
import { calibrationTable, CALIBRATION_TOLERANCE } from '../seeds/calibration.ts';

const CENSUS_TOTAL = 24_049_155;

async function aohanRows(db: TestDatabase['db']) {
  const { rows } = await sql<{ digest: string; n: number }>`
    SELECT md5(string_agg(row_text, '|' ORDER BY row_text)) AS digest, count(*)::int AS n FROM (
      SELECT concat_ws(',', code, parent_code, name, kind, urban, population, population_urban, pop_age_0_14, mobile_service, encode(ST_AsEWKB(point), 'hex'), source) AS row_text
        FROM admin_unit WHERE banner_code = '150430' AND level IN ('township', 'village')
      UNION ALL
      SELECT concat_ws(',', code, name, type, grade, encode(ST_AsEWKB(location), 'hex'), unit_code, beds, staff_doctors, staff_assistant_doctors, staff_nurses,
                       staff_gps, staff_public_health, departments::text, tcm_hall_level, villages_served::text, source)
        FROM facility WHERE banner_code = '150430'
      UNION ALL
      SELECT concat_ws(',', cell_key, encode(ST_AsEWKB(location), 'hex'), population, unit_code, source) FROM population_cell WHERE banner_code = '150430'
    ) r`.execute(db);
  return rows[0]!;
}

describe(`seed: the whole region (${engine})`, () => {
  let db: TestDatabase;
  let report: SeedReport;
  let aohanBefore: { digest: string; n: number };
  beforeAll(async () => {
    db = await createTestDatabase();
    aohanBefore = await aohanRows(db.db);
    report = await seedAll(db.db);
  }, 900_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it('loads all 1,225 townships and 14,592 villages under the 103 banners', async () => {
    const { rows } = await sql<{ level: string; n: number; banners: number }>`
      SELECT level, count(*)::int AS n, count(DISTINCT banner_code)::int AS banners FROM admin_unit
      WHERE level IN ('township', 'village') GROUP BY level ORDER BY level`.execute(db.db);
    expect(rows).toEqual([
      { level: 'township', n: 1225, banners: 103 },
      { level: 'village', n: 14_592, banners: 103 },
    ]);
    expect(report).toMatchObject({ banners: 103, townships: 1225, villages: 14_592, facilities: 24_600 });
    // The 19 townships of the statistical-only areas sit under their host banners.
    const { rows: hosted } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM admin_unit WHERE level = 'township' AND left(code, 6) <> parent_code`.execute(db.db);
    expect(hosted[0]!.n).toBe(19);
  });

  it('sums populations exactly at every level, cells included', async () => {
    const { rows } = await sql<{ check: string; bad: number }>`
      SELECT 'township = Σ villages' AS check, count(*)::int AS bad FROM admin_unit t
        WHERE t.level = 'township' AND t.population IS DISTINCT FROM (SELECT sum(v.population) FROM admin_unit v WHERE v.parent_code = t.code)
      UNION ALL
      SELECT 'banner = Σ townships', count(*)::int FROM admin_unit b
        WHERE b.level = 'banner' AND b.population IS DISTINCT FROM (SELECT sum(t.population) FROM admin_unit t WHERE t.parent_code = b.code)
      UNION ALL
      SELECT 'banner urban = Σ townships', count(*)::int FROM admin_unit b
        WHERE b.level = 'banner' AND b.population_urban IS DISTINCT FROM (SELECT sum(t.population_urban) FROM admin_unit t WHERE t.parent_code = b.code)
      UNION ALL
      SELECT 'village = Σ cells', count(*)::int FROM admin_unit v
        LEFT JOIN (SELECT unit_code, sum(population) AS p FROM population_cell GROUP BY unit_code) c ON c.unit_code = v.code
        WHERE v.level = 'village' AND v.population <> coalesce(c.p, 0)
      UNION ALL
      SELECT 'banner = Σ cells', count(*)::int FROM admin_unit b
        LEFT JOIN (SELECT banner_code, sum(population) AS p FROM population_cell GROUP BY banner_code) c ON c.banner_code = b.code
        WHERE b.level = 'banner' AND b.population <> coalesce(c.p, 0)`.execute(db.db);
    expect(rows).toEqual([
      { check: 'township = Σ villages', bad: 0 },
      { check: 'banner = Σ townships', bad: 0 },
      { check: 'banner urban = Σ townships', bad: 0 },
      { check: 'village = Σ cells', bad: 0 },
      { check: 'banner = Σ cells', bad: 0 },
    ]);
    const { rows: total } = await sql<{ villages: number; cells: number }>`
      SELECT (SELECT sum(population) FROM admin_unit WHERE level = 'village')::bigint AS villages,
             (SELECT sum(population) FROM population_cell)::bigint AS cells`.execute(db.db);
    expect(total[0]).toEqual({ villages: CENSUS_TOTAL, cells: CENSUS_TOTAL });
  });

  it('keeps the grid moderate: one row per populated 1 km cell, each with one unit', async () => {
    const { rows } = await sql<{ n: number; keys: number; sizes: number; empty: number }>`
      SELECT count(*)::int AS n, count(DISTINCT cell_key)::int AS keys, count(DISTINCT cell_size_m)::int AS sizes,
             count(*) FILTER (WHERE population <= 0)::int AS empty FROM population_cell`.execute(db.db);
    expect(rows[0]!.keys).toBe(rows[0]!.n);
    expect(rows[0]).toMatchObject({ sizes: 1, empty: 0 });
    expect(rows[0]!.n).toBe(report.cells);
    expect(rows[0]!.n).toBeGreaterThan(40_000);
    expect(rows[0]!.n).toBeLessThan(200_000);
  });

  it('puts every township, village, facility and cell strictly inside its real banner polygon', async () => {
    const { rows } = await sql<{ what: string; outside: number }>`
      SELECT 'units' AS what, count(*) FILTER (WHERE NOT ST_Contains(b.boundary, u.point))::int AS outside
        FROM admin_unit u JOIN admin_unit b ON b.code = u.banner_code WHERE u.level IN ('township', 'village')
      UNION ALL
      SELECT 'facilities', count(*) FILTER (WHERE NOT ST_Contains(b.boundary, f.location))::int
        FROM facility f JOIN admin_unit b ON b.code = f.banner_code
      UNION ALL
      SELECT 'cells', count(*) FILTER (WHERE NOT ST_Contains(b.boundary, c.location))::int
        FROM population_cell c JOIN admin_unit b ON b.code = c.banner_code`.execute(db.db);
    expect(rows).toEqual([
      { what: 'units', outside: 0 },
      { what: 'facilities', outside: 0 },
      { what: 'cells', outside: 0 },
    ]);
  });

  it('puts every seat township at its banner’s real seat (where the seat lies inside the polygon)', async () => {
    const { rows } = await sql<{ n: number; at_seat: number }>`
      SELECT count(*)::int AS n, count(*) FILTER (WHERE EXISTS (
        SELECT 1 FROM admin_unit t WHERE t.parent_code = b.code AND ST_DWithin(t.point::geography, b.point::geography, 1)))::int AS at_seat
      FROM admin_unit b WHERE b.level = 'banner'`.execute(db.db);
    expect(rows[0]!.n).toBe(103);
    expect(rows[0]!.at_seat).toBe(103 - report.seatsMoved.length);
    expect(report.seatsMoved.map((s) => s.banner)).toEqual(['150627']);
  });

  it('spreads pastoral gacha much wider around their sumu than farming villages around their town', async () => {
    const { rows } = await sql<{ kind: string; median: number }>`
      SELECT v.kind, percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Distance(v.point::geography, t.point::geography)) AS median
      FROM admin_unit v JOIN admin_unit t ON t.code = v.parent_code
      WHERE v.level = 'village' AND ((v.kind = '嘎查' AND t.kind = '苏木') OR (v.kind = '村' AND t.kind = '镇'))
      GROUP BY v.kind`.execute(db.db);
    const median = Object.fromEntries(rows.map((r) => [r.kind, r.median]));
    expect(median['嘎查']!).toBeGreaterThan(2 * median['村']!);
  });

  it('matches the published 2020 baselines of the region and of Aohan within 2 %', async () => {
    const table = [...(await calibrationTable(db.db, 'region')), ...(await calibrationTable(db.db, 'aohan'))];
    expect(table).toHaveLength(13);
    for (const row of table) expect(Math.abs(row.deviation), `${row.scope} ${row.measure}: ${row.generated} vs ${row.published}`).toBeLessThanOrEqual(CALIBRATION_TOLERANCE);
    expect(report.calibration).toEqual(table);
  });

  it('leaves rules room to fail: big banners without a psychiatric ward, villages without a clinic', async () => {
    const { rows } = await sql<{ big: number; with_ward: number; villages_without: number; mobile: number }>`
      SELECT (SELECT count(*) FROM admin_unit WHERE level = 'banner' AND population > 300000)::int AS big,
             (SELECT count(DISTINCT b.code) FROM admin_unit b JOIN facility f ON f.banner_code = b.code
               WHERE b.level = 'banner' AND b.population > 300000 AND f.ownership = 'public' AND 'psychiatry_ward' = ANY (f.departments))::int AS with_ward,
             (SELECT count(*) FROM (SELECT code FROM admin_unit WHERE kind IN ('村', '嘎查')
               EXCEPT SELECT unnest(villages_served) FROM facility) x)::int AS villages_without,
             (SELECT count(*) FROM admin_unit WHERE mobile_service)::int AS mobile`.execute(db.db);
    const r = rows[0]!;
    expect(r.with_ward).toBeGreaterThan(0);
    expect(r.with_ward).toBeLessThan(r.big);
    expect(r.villages_without).toBeGreaterThan(0);
    expect(r.villages_without).toBeLessThan(600);
    expect(r.mobile).toBeGreaterThan(0);
    expect(report.villagesUnder500 / report.administrativeVillages).toBeGreaterThan(0.2);
  });

  it('gives Aohan exactly the rows it gets when seeded alone', async () => {
    expect(await aohanRows(db.db)).toEqual(aohanBefore);
    expect(aohanBefore.n).toBeGreaterThan(19 + 249 + 656 + 500);
  });
});
