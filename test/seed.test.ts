import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { seedTopLevels, statisticalAreaHosts } from '../seeds/topLevels.ts';

const CENSUS_TOTAL = 24_049_155;

describe(`seed of the real top levels (${engine})`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  async function levelCounts() {
    const rows = await db.db
      .selectFrom('admin_unit')
      .select((eb) => ['level', eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('population').as('population')])
      .where('level', 'in', ['region', 'league', 'banner'])
      .groupBy('level')
      .orderBy('level')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.level, { n: Number(r.n), population: Number(r.population) }]));
  }

  it('loads exactly 1 region, 12 leagues and 103 banners summing to the census total', async () => {
    expect(await levelCounts()).toEqual({
      region: { n: 1, population: CENSUS_TOTAL },
      league: { n: 12, population: CENSUS_TOTAL },
      banner: { n: 103, population: CENSUS_TOTAL },
    });
  });

  it('keeps every league equal to the sum of its banners', async () => {
    const { rows } = await sql<{ code: string; population: number; banners: number }>`
      SELECT l.code, l.population, sum(b.population)::bigint AS banners
      FROM admin_unit l JOIN admin_unit b ON b.parent_code = l.code
      WHERE l.level = 'league' GROUP BY l.code, l.population`.execute(db.db);
    expect(rows).toHaveLength(12);
    for (const row of rows) expect(Number(row.banners), row.code).toBe(Number(row.population));
  });

  it('has Aohan Banner with its census population, seat and boundary', async () => {
    const aohan = await db.db
      .selectFrom('admin_unit')
      .select(['name', 'kind', 'population', 'population_urban', 'parent_code', 'area_km2'])
      .select((eb) => [sql<boolean>`ST_Contains(${eb.ref('boundary')}, ${eb.ref('point')})`.as('seat_inside')])
      .where('code', '=', '150430')
      .executeTakeFirstOrThrow();
    expect(aohan).toMatchObject({ name: '敖汉旗', kind: '旗', population: 448_712, population_urban: 144_417, parent_code: '150400', seat_inside: true });
    expect(aohan.area_km2).toBeGreaterThan(8000);
    expect(aohan.area_km2).toBeLessThan(8500);
  });

  it('attaches the five statistical-only areas to their host banners', async () => {
    const hosts = statisticalAreaHosts();
    expect(hosts.size).toBe(5);
    const sayhan = await db.db.selectFrom('admin_unit').select(['population', 'population_source']).where('code', '=', '150105').executeTakeFirstOrThrow();
    // 赛罕区 own census + 呼和浩特经济技术开发区 136,150
    expect(hosts.get('150172')).toEqual({ host: '150105', name: '呼和浩特经济技术开发区', population: 136_150 });
    expect(sayhan.population_source).toContain('150172');
    const none = await db.db.selectFrom('admin_unit').select('code').where('code', 'in', [...hosts.keys()]).execute();
    expect(none).toEqual([]);
  });

  it('dissolves league and region boundaries that cover the banners', async () => {
    const { rows } = await sql<{ level: string; area: number }>`
      SELECT level, sum(ST_Area(boundary::geography)) / 1e6 AS area FROM admin_unit
      WHERE level IN ('region', 'league', 'banner') GROUP BY level`.execute(db.db);
    const area = Object.fromEntries(rows.map((r) => [r.level, Number(r.area)]));
    expect(area.region).toBeGreaterThan(1_100_000);
    expect(Math.abs(area.league! - area.banner!) / area.banner!).toBeLessThan(0.001);
    expect(Math.abs(area.region! - area.banner!) / area.banner!).toBeLessThan(0.001);
  });

  it('is idempotent', async () => {
    const before = await db.db.selectFrom('admin_unit').select(['code', 'population', 'name', 'parent_code']).orderBy('code').execute();
    await db.db.transaction().execute((trx) => seedTopLevels(trx));
    const after = await db.db.selectFrom('admin_unit').select(['code', 'population', 'name', 'parent_code']).orderBy('code').execute();
    expect(after).toEqual(before);
    expect(await levelCounts()).toMatchObject({ banner: { n: 103, population: CENSUS_TOTAL } });
  });
});
