/**
 * The complete Aohan Banner (150430) as the test template holds it — the same
 * rows `npm run seed` writes for Aohan: real townships and villages, synthetic
 * points, populations, facilities and population cells, calibrated to 001:34-38.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { seedAll, SeedInputError, DEFAULT_SEED } from '../seeds/index.ts';
import { calibrationTable, CALIBRATION_TOLERANCE } from '../seeds/calibration.ts';

const AOHAN_POPULATION = 448_712;
const AOHAN_URBAN = 144_417;

describe(`seed: Aohan Banner in the test template (${engine})`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('holds its 19 townships and 249 villages with real names, codes and kinds', async () => {
    const rows = await db.db
      .selectFrom('admin_unit')
      .select(['code', 'name', 'level', 'kind', 'urban', 'parent_code', 'banner_code', 'township_code', 'synthetic'])
      .where('banner_code', '=', '150430')
      .where('level', 'in', ['township', 'village'])
      .orderBy('code')
      .execute();
    const townships = rows.filter((r) => r.level === 'township');
    const villages = rows.filter((r) => r.level === 'village');
    expect(townships).toHaveLength(19);
    expect(villages).toHaveLength(249);
    expect(townships.find((t) => t.code === '150430100')).toMatchObject({ name: '新惠镇', kind: '镇', urban: false, parent_code: '150430' });
    expect(townships.find((t) => t.code === '150430207')).toMatchObject({ name: '敖润苏莫苏木', kind: '苏木' });
    expect(townships.find((t) => t.code === '150430404')).toMatchObject({ kind: '街道', urban: true });
    expect(townships.find((t) => t.code === '150430401')).toMatchObject({ name: '敖汉旗工业园区', kind: '其他' });
    expect(new Set(villages.map((v) => v.kind))).toEqual(new Set(['村', '嘎查', '社区']));
    for (const v of villages) {
      expect(v.urban, v.name).toBe(v.kind === '社区');
      expect(v.township_code).toBe(v.parent_code);
      expect(v.code.startsWith(v.parent_code!)).toBe(true);
    }
    expect(rows.every((r) => r.synthetic)).toBe(true);
  });

  it('sums populations exactly: villages to townships, townships to the census total, urban included', async () => {
    const { rows: townships } = await sql<{ code: string; population: number; urban: number; villages: number; villages_urban: number }>`
      SELECT t.code, t.population, t.population_urban AS urban, sum(v.population)::bigint AS villages, sum(v.population_urban)::bigint AS villages_urban
      FROM admin_unit t JOIN admin_unit v ON v.parent_code = t.code
      WHERE t.level = 'township' AND t.banner_code = '150430' GROUP BY t.code`.execute(db.db);
    expect(townships).toHaveLength(19);
    for (const t of townships) {
      expect(t.villages, t.code).toBe(t.population);
      expect(t.villages_urban, t.code).toBe(t.urban);
    }
    const total = await db.db
      .selectFrom('admin_unit')
      .select((eb) => [eb.fn.sum<number>('population').as('population'), eb.fn.sum<number>('population_urban').as('urban'), eb.fn.sum<number>('pop_age_65_plus').as('old')])
      .where('parent_code', '=', '150430')
      .executeTakeFirstOrThrow();
    const banner = await db.db.selectFrom('admin_unit').select(['population', 'population_urban', 'pop_age_65_plus']).where('code', '=', '150430').executeTakeFirstOrThrow();
    expect(Number(total.population)).toBe(AOHAN_POPULATION);
    expect(banner.population).toBe(AOHAN_POPULATION);
    expect(Number(total.urban)).toBe(AOHAN_URBAN);
    expect(Number(total.old)).toBe(banner.pop_age_65_plus);
  });

  it('has population cells summing exactly to every village, township and the banner', async () => {
    const { rows: mismatched } = await sql<{ code: string }>`
      SELECT u.code FROM admin_unit u
      LEFT JOIN (SELECT unit_code, sum(population)::bigint AS people FROM population_cell GROUP BY unit_code) c ON c.unit_code = u.code
      WHERE u.level = 'village' AND u.banner_code = '150430' AND coalesce(c.people, 0) <> u.population`.execute(db.db);
    expect(mismatched).toEqual([]);
    const { rows } = await sql<{ people: number; cells: number; townships: number; size: number; keys: number }>`
      SELECT sum(population)::bigint AS people, count(*)::int AS cells, count(DISTINCT township_code)::int AS townships,
             min(cell_size_m) AS size, count(DISTINCT cell_key)::int AS keys
      FROM population_cell WHERE banner_code = '150430'`.execute(db.db);
    expect(rows[0]).toMatchObject({ people: AOHAN_POPULATION, townships: 19, size: 1000 });
    expect(rows[0]!.keys).toBe(rows[0]!.cells);
    expect(rows[0]!.cells).toBeGreaterThan(500);
    const { rows: zero } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM population_cell WHERE population <= 0 OR NOT synthetic`.execute(db.db);
    expect(zero[0]!.n).toBe(0);
  });

  it('puts every generated point strictly inside the real banner polygon', async () => {
    const { rows } = await sql<{ what: string; outside: number; total: number }>`
      WITH b AS (SELECT boundary FROM admin_unit WHERE code = '150430')
      SELECT 'units' AS what, count(*) FILTER (WHERE NOT ST_Contains(b.boundary, u.point))::int AS outside, count(*)::int AS total
        FROM admin_unit u, b WHERE u.banner_code = '150430' AND u.level IN ('township', 'village')
      UNION ALL
      SELECT 'facilities', count(*) FILTER (WHERE NOT ST_Contains(b.boundary, f.location))::int, count(*)::int
        FROM facility f, b WHERE f.banner_code = '150430'
      UNION ALL
      SELECT 'cells', count(*) FILTER (WHERE NOT ST_Contains(b.boundary, c.location))::int, count(*)::int
        FROM population_cell c, b WHERE c.banner_code = '150430'`.execute(db.db);
    expect(rows.map((r) => [r.what, r.outside])).toEqual([['units', 0], ['facilities', 0], ['cells', 0]]);
    expect(rows.find((r) => r.what === 'units')!.total).toBe(268);
  });

  it('places the seat township 新惠镇 at the real seat and villages around their township seats', async () => {
    const { rows } = await sql<{ metres: number }>`
      SELECT ST_Distance(t.point::geography, b.point::geography) AS metres
      FROM admin_unit t, admin_unit b WHERE t.code = '150430100' AND b.code = '150430'`.execute(db.db);
    expect(rows[0]!.metres).toBeLessThan(1);
    // A farming village is nearer its own township seat than the banner is wide: the median is a few km.
    const { rows: spread } = await sql<{ median: number }>`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Distance(v.point::geography, t.point::geography)) AS median
      FROM admin_unit v JOIN admin_unit t ON t.code = v.parent_code
      WHERE v.banner_code = '150430' AND v.kind = '村'`.execute(db.db);
    expect(spread[0]!.median).toBeGreaterThan(1000);
    expect(spread[0]!.median).toBeLessThan(12_000);
  });

  it('holds the institutions 001 names, with their published grades', async () => {
    const named = await db.db
      .selectFrom('facility')
      .select(['name', 'type', 'grade', 'central', 'run_by_level', 'township_code', 'source'])
      .where('banner_code', '=', '150430')
      .where('name', 'in', ['敖汉旗医院', '敖汉旗中医蒙医医院', '敖汉旗妇幼保健院', '长胜中心卫生院', '敖汉旗仁康养老康复护理院'])
      .orderBy('name')
      .execute();
    expect(named.map((f) => f.name).sort()).toEqual(['敖汉旗中医蒙医医院', '敖汉旗仁康养老康复护理院', '敖汉旗医院', '敖汉旗妇幼保健院', '长胜中心卫生院'].sort());
    const byName = new Map(named.map((f) => [f.name, f]));
    expect(byName.get('敖汉旗医院')).toMatchObject({ type: 'general_hospital', run_by_level: 'banner' });
    expect(byName.get('敖汉旗中医蒙医医院')).toMatchObject({ type: 'tcm_hospital', grade: '3', run_by_level: 'banner' });
    expect(byName.get('敖汉旗妇幼保健院')).toMatchObject({ type: 'mch_hospital' });
    expect(byName.get('长胜中心卫生院')).toMatchObject({ type: 'township_health_centre', central: true, township_code: '150430102' });
    expect(byName.get('敖汉旗中医蒙医医院')!.source).toContain('001:36');
  });

  it('matches the published 2020 baselines of Aohan within 2 % (001:34-36)', async () => {
    const table = await calibrationTable(db.db, 'aohan');
    expect(table.map((r) => r.measure).sort()).toEqual(['beds', 'doctors', 'gps', 'institutions', 'nurses', 'tcmClinics', 'tcmHospitals']);
    for (const row of table) expect(Math.abs(row.deviation), `${row.measure}: ${row.generated} vs ${row.published}`).toBeLessThanOrEqual(CALIBRATION_TOLERANCE);
    const institutions = table.find((r) => r.measure === 'institutions')!;
    expect(institutions.generated).toBe(656);
  });

  it('gives the rule engine every attribute it reads, and leaves plausible gaps', async () => {
    const { rows } = await sql<{ type: string; n: number; no_gp: number; no_hall: number; no_mental: number; doctors: number }>`
      SELECT type, count(*)::int AS n,
             count(*) FILTER (WHERE staff_gps = 0)::int AS no_gp,
             count(*) FILTER (WHERE tcm_hall_level IS NULL)::int AS no_hall,
             count(*) FILTER (WHERE NOT 'mental_health_service' = ANY (departments))::int AS no_mental,
             sum(staff_doctors + staff_assistant_doctors)::int AS doctors
      FROM facility WHERE banner_code = '150430' GROUP BY type`.execute(db.db);
    const t = Object.fromEntries(rows.map((r) => [r.type, r]));
    expect(t.township_health_centre!.n).toBe(16);
    expect(t.community_health_centre!.n).toBe(2);
    // 中医馆实现了100%全覆盖 (001:36): every township and community health centre has a TCM hall.
    expect(t.township_health_centre!.no_hall + t.community_health_centre!.no_hall).toBe(0);
    // No psychiatric ward yet in Aohan (a plan task, 001:276): the >300,000 rule fails there.
    const { rows: ward } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM facility WHERE banner_code = '150430' AND 'psychiatry_ward' = ANY (departments)`.execute(db.db);
    expect(ward[0]!.n).toBe(0);
    // Every village clinic serves the villages it lists; joint clinics serve two.
    const { rows: clinics } = await sql<{ joint: number; orphans: number; without: number }>`
      SELECT count(*) FILTER (WHERE cardinality(villages_served) = 2)::int AS joint,
             count(*) FILTER (WHERE NOT (unit_code = ANY (villages_served)))::int AS orphans,
             (SELECT count(*)::int FROM (SELECT code FROM admin_unit WHERE banner_code = '150430' AND kind IN ('村', '嘎查')
                EXCEPT SELECT unnest(villages_served) FROM facility) x) AS without
      FROM facility WHERE banner_code = '150430' AND type = 'village_clinic'`.execute(db.db);
    expect(clinics[0]!.orphans).toBe(0);
    // 「全旗乡村医疗机构“空白点”全部消除」(001:34): every administrative village has a clinic (own or joint).
    expect(clinics[0]!.without).toBe(0);
    const { rows: staffed } = await sql<{ missing: number }>`
      SELECT count(*)::int AS missing FROM facility
      WHERE banner_code = '150430' AND (beds IS NULL OR staff_doctors IS NULL OR staff_nurses IS NULL OR staff_gps IS NULL
        OR staff_village_doctors IS NULL OR staff_public_health IS NULL OR staff_supervisors IS NULL OR provides_deliveries IS NULL)`.execute(db.db);
    expect(staffed[0]!.missing).toBe(0);
  });

  it('labels every generated row synthetic with the generator and the seed', async () => {
    const { rows } = await sql<{ what: string; bad: number }>`
      SELECT 'units' AS what, count(*) FILTER (WHERE NOT synthetic OR source NOT LIKE ${`%seeds/placement.ts (seed ${DEFAULT_SEED})%`}
                                               OR population_source NOT LIKE ${`%seeds/population.ts (seed ${DEFAULT_SEED})%`})::int AS bad
        FROM admin_unit WHERE banner_code = '150430' AND level IN ('township', 'village')
      UNION ALL
      SELECT 'facilities', count(*) FILTER (WHERE NOT synthetic OR source NOT LIKE ${`synthetic: seeds/facilities.ts (seed ${DEFAULT_SEED})%`})::int FROM facility
      UNION ALL
      SELECT 'cells', count(*) FILTER (WHERE NOT synthetic OR source NOT LIKE ${`synthetic: seeds/grid.ts (seed ${DEFAULT_SEED})%`})::int FROM population_cell`.execute(db.db);
    expect(rows.map((r) => [r.what, r.bad])).toEqual([['units', 0], ['facilities', 0], ['cells', 0]]);
  });

  it('refuses an unknown banner code, naming what to use', async () => {
    await expect(seedAll(db.db, { banners: ['150499'] })).rejects.toThrow(SeedInputError);
    await expect(seedAll(db.db, { banners: ['150499'] })).rejects.toThrow(/150499.*150430/);
  });
});

/** Every column of the generated rows, geometry as its exact binary form. */
async function snapshot(db: TestDatabase['db']) {
  const units = await sql<Record<string, unknown>>`
    SELECT code, parent_code, level, name, kind, urban, population, population_urban, population_source, pop_age_0_14, pop_age_65_plus,
           mobile_service, encode(ST_AsEWKB(point), 'hex') AS point, synthetic, source, league_code, banner_code, township_code
    FROM admin_unit WHERE banner_code = '150430' AND level IN ('township', 'village') ORDER BY code`.execute(db);
  const facilities = await sql<Record<string, unknown>>`
    SELECT code, name, type, central, run_by_level, ownership, grade, status, encode(ST_AsEWKB(location), 'hex') AS location, unit_code,
           beds, beds_paediatric, staff_doctors, staff_assistant_doctors, staff_nurses, staff_gps, staff_tcm_doctors, staff_tcm_gps,
           staff_village_doctors, staff_public_health, staff_supervisors, staff_tcm_capable, departments, tcm_hall_level,
           tcm_technique_categories, tcm_techniques, provides_deliveries, villages_served, synthetic, source, banner_code, township_code
    FROM facility WHERE banner_code = '150430' ORDER BY code`.execute(db);
  const cells = await sql<Record<string, unknown>>`
    SELECT cell_key, encode(ST_AsEWKB(location), 'hex') AS location, cell_size_m, population, unit_code, synthetic, source
    FROM population_cell WHERE banner_code = '150430' ORDER BY cell_key`.execute(db);
  return { units: units.rows, facilities: facilities.rows, cells: cells.rows };
}

describe(`seed: determinism and re-seeding of Aohan (${engine})`, () => {
  let db: TestDatabase;
  let template: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    template = await snapshot(db.db);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('changes nothing when seeded again with the same seed', async () => {
    const before = await db.db.selectFrom('facility').select(['id', 'code', 'updated_at']).orderBy('id').execute();
    const report = await seedAll(db.db, { banners: ['150430'] });
    expect(report).toMatchObject({ townships: 19, villages: 249, facilities: 656 });
    expect(await snapshot(db.db)).toEqual(template);
    // Not even rewritten: ids and update times stay.
    expect(await db.db.selectFrom('facility').select(['id', 'code', 'updated_at']).orderBy('id').execute()).toEqual(before);
  });

  it('generates byte-identical rows from scratch with the same seed', async () => {
    await sql`DELETE FROM population_cell WHERE banner_code = '150430'`.execute(db.db);
    await sql`DELETE FROM facility WHERE banner_code = '150430'`.execute(db.db);
    await sql`DELETE FROM admin_unit WHERE banner_code = '150430' AND level = 'village'`.execute(db.db);
    await sql`DELETE FROM admin_unit WHERE banner_code = '150430' AND level = 'township'`.execute(db.db);
    await seedAll(db.db, { banners: ['150430'], seed: DEFAULT_SEED });
    expect(await snapshot(db.db)).toEqual(template);
  });

  it('with another seed: other points and sizes, the same real totals and calibration, no leftovers', async () => {
    await seedAll(db.db, { banners: ['150430'], seed: 7 });
    const other = await snapshot(db.db);
    expect(other.units.map((u) => u.code)).toEqual(template.units.map((u) => u.code));
    expect(other.units.map((u) => u.point)).not.toEqual(template.units.map((u) => u.point));
    const population = (rows: Record<string, unknown>[]) => rows.filter((u) => u.level === 'township').reduce((s, u) => s + Number(u.population), 0);
    expect(population(other.units)).toBe(AOHAN_POPULATION);
    expect(other.cells.reduce((s, c) => s + Number(c.population), 0)).toBe(AOHAN_POPULATION);
    expect(other.facilities).toHaveLength(656);
    expect(other.facilities.every((f) => String(f.source).includes('(seed 7)'))).toBe(true);
    expect(other.cells.every((c) => String(c.source).includes('(seed 7)'))).toBe(true);
    for (const row of await calibrationTable(db.db, 'aohan')) expect(Math.abs(row.deviation)).toBeLessThanOrEqual(CALIBRATION_TOLERANCE);
  });

  it('leaves rows a user edited or replaced alone', async () => {
    await db.db.updateTable('facility').set({ beds: 1234, version: 2 }).where('name', '=', '敖汉旗医院').execute();
    const village = (await db.db.selectFrom('admin_unit').select('code').where('parent_code', '=', '150430100').orderBy('code').executeTakeFirstOrThrow()).code;
    await db.db.updateTable('admin_unit').set({ population: 999, population_urban: null, synthetic: false }).where('code', '=', village).execute();
    await seedAll(db.db, { banners: ['150430'] });
    expect((await db.db.selectFrom('facility').select('beds').where('name', '=', '敖汉旗医院').executeTakeFirstOrThrow()).beds).toBe(1234);
    expect((await db.db.selectFrom('admin_unit').select('population').where('code', '=', village).executeTakeFirstOrThrow()).population).toBe(999);
  });
});
