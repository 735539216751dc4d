/**
 * The access API end to end: the seeded Aohan Banner (150430: its townships,
 * villages, calibrated synthetic facilities and population cells) plus a small
 * synthetic sumu in Alxa Left Banner. Every response carries its assumptions;
 * bad input answers 4xx in English and Chinese.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { ALXA, buildGrid } from './fixtures/access/grid.ts';
import { bumpDataVersion } from '../server/facilities/repository.ts';

describe(`access API (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let ids: Map<string, number>;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ facilities: ids } = await buildGrid(db.db, ALXA));
    await bumpDataVersion(db.db);
    app = await buildTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });

  it('prints the parameters in effect and every assumption', async () => {
    const res = await get('/api/access/params');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.params).toMatchObject({ urbanMode: 'walk', ruralMode: 'motorbike', detourFactor: 1.3, circleMinutes: 15, mobileService: 'distinct' });
    expect(body.classes.map((c: { key: string }) => c.key)).toEqual(['basic', 'township', 'banner_hospital', 'psychiatric', 'tcm', 'mch']);
    const keys = body.assumptions.map((a: { key: string }) => a.key);
    expect(keys).toEqual(expect.arrayContaining(['access.urbanMode', 'access.ruralMode', 'access.detourFactor', 'access.circle', 'access.classes.basic']));
    const circle = body.assumptions.find((a: { key: string }) => a.key === 'access.circle');
    expect(circle).toMatchObject({ basis: 'assumption', citation: '003_ea3fa2f3d5dcf77a.txt:31' });
    expect(circle.description.zh).toContain('原文未给出');
  });

  it('reports Aohan Banner’s townships: people covered and not, summing to the banner and its census', async () => {
    const res = await get('/api/access/units?unit=150430&level=township&class=basic&limit=100');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.scope).toEqual({ code: '150430', name: '敖汉旗', level: 'banner' });
    expect(body.numberMatched).toBe(19);
    expect(body.assumptions.length).toBeGreaterThan(8);
    expect(body.travel.zh).toContain('绕行系数 1.3');
    expect(body.provenance.synthetic).toBe(true);
    expect(body.provenance.note.zh).toContain('合成数据');
    let population = 0;
    for (const item of body.items) {
      expect(item.figures.covered + item.figures.uncovered).toBe(item.figures.population);
      expect(item.figures.gap + item.figures.mobile).toBe(item.figures.uncovered);
      population += item.figures.population;
    }
    const banner = (await get('/api/access/units/150430')).json();
    const basic = banner.classes.find((c: { class: { key: string } }) => c.class.key === 'basic');
    expect(basic.figures.population).toBe(population);
    // The seed's cells sum exactly to the census (448,712 people).
    const { rows } = await sql<{ p: number }>`SELECT sum(population)::int8 AS p FROM population_cell WHERE banner_code = '150430'`.execute(db.db);
    expect(population).toBe(Number(rows[0]!.p));
    expect(banner.unitPopulation).toBe(448_712);
    expect(population).toBe(448_712);
    expect(basic.figures.meanMinutes).toBeGreaterThan(0);
    expect(basic.figures.p90Minutes).toBeGreaterThanOrEqual(basic.figures.meanMinutes * 0);
    expect(banner.circle.unit.code).toBe('150430');
  });

  it('lists the 15-minute circle per banner and township with citation, mode, speeds and detour factor', async () => {
    const res = await get('/api/access/circle?unit=150430');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.citations[0]).toMatchObject({ file: '003_ea3fa2f3d5dcf77a.txt', lines: '31' });
    expect(body.citations[0].quote).toContain('15分钟基本医疗卫生服务圈基本形成');
    expect(body.travel.en).toContain('motorbike 30 km/h');
    expect(body.items).toHaveLength(20);
    for (const row of body.items) {
      expect(['pass', 'fail', 'not_applicable', 'unknown']).toContain(row.status);
      expect(row.within + row.mobile + row.gap).toBe(row.population);
      if (row.status === 'pass' || row.status === 'fail') expect(row.share).toBeCloseTo(row.within / (row.population - row.mobile), 5);
    }
  });

  it('returns gap areas as GeoJSON polygons with a bbox filter, people, area and nearest facility', async () => {
    const all = (await get(`/api/access/gaps?class=basic&unit=${ALXA.township}`)).json();
    expect(all.type).toBe('FeatureCollection');
    expect(all.numberMatched).toBeGreaterThan(0);
    const f = all.features[0];
    expect(f.geometry.type).toMatch(/Polygon/);
    expect(f.properties.population).toBeGreaterThan(0);
    expect(f.properties.nearestFacility.code).toMatch(/^G-.*-152921$/);
    expect(f.properties.nearestDistanceM).toBeGreaterThan(0);
    expect(f.bbox).toHaveLength(4);
    // A bbox around the sumu finds them; one far away finds none.
    const [minLon, minLat] = [ALXA.origin.lon - 0.01, ALXA.origin.lat - 0.01];
    const near = (await get(`/api/access/gaps?class=basic&bbox=${minLon},${minLat},${minLon + 0.4},${minLat + 0.3}`)).json();
    expect(near.numberMatched).toBeGreaterThanOrEqual(all.numberMatched);
    const far = (await get('/api/access/gaps?class=basic&bbox=90,30,91,31')).json();
    expect(far.numberMatched).toBe(0);
    expect(all.assumptions.length).toBeGreaterThan(0);
  });

  it('returns catchments with population per doctor and per bed, and the small ones for the merge advisor', async () => {
    const res = await get(`/api/access/catchments?class=township&unit=${ALXA.township}&geometry=polygon`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const thc = body.features.find((f: { id: number }) => f.id === ids.get('G-THC-152921'));
    expect(thc.properties).toMatchObject({ beds: 20, doctors: 4, type: 'township_health_centre' });
    expect(thc.properties.populationPerDoctor).toBe(Math.round((thc.properties.population / 4) * 10) / 10);
    expect(thc.properties.populationPerBed).toBe(Math.round((thc.properties.population / 20) * 10) / 10);
    expect(thc.geometry.type).toMatch(/Polygon/);
    const small = (await get('/api/access/catchments?class=basic&unit=150430&small=true&geometry=point&limit=2000')).json();
    expect(small.smallCatchmentPopulation).toBe(500);
    for (const f of small.features) {
      expect(f.properties.population).toBeLessThan(500);
      expect(f.properties.small).toBe(true);
      expect(f.geometry.type).toBe('Point');
    }
  });

  it('returns cell results in a bbox', async () => {
    const o = ALXA.origin;
    const body = (await get(`/api/access/cells?class=basic&bbox=${o.lon - 0.01},${o.lat - 0.01},${o.lon + 0.05},${o.lat + 0.05}`)).json();
    expect(body.numberReturned).toBeGreaterThan(0);
    for (const f of body.features) {
      expect(['covered', 'gap', 'mobile']).toContain(f.properties.state);
      expect(f.properties.distanceM).toBeGreaterThan(0);
    }
  });

  it('uses a rule set’s access parameters and names the rule set', async () => {
    const row = await db.db
      .insertInto('rule_set')
      .values({ name: '步行 15 分钟（测试）', params: JSON.stringify({ access: { ruralMode: 'walk', ruralSpeedKmh: 5 } }) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const res = await get(`/api/access/units/${ALXA.township}?ruleSet=${row.id}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.ruleSet).toMatchObject({ id: Number(row.id), name: '步行 15 分钟（测试）' });
    expect(body.travel.zh).toContain('农村牧区步行 5 km/h');
    const slow = body.classes.find((c: { class: { key: string } }) => c.class.key === 'basic').figures;
    const fast = (await get(`/api/access/units/${ALXA.township}`)).json().classes.find((c: { class: { key: string } }) => c.class.key === 'basic').figures;
    expect(slow.covered).toBeLessThan(fast.covered);
    expect(slow.meanMinutes).toBeGreaterThan(fast.meanMinutes);
  });

  describe('bad input', () => {
    const bad = async (url: string, status: number, code: string, param?: string) => {
      const res = await get(url);
      expect(res.statusCode, url).toBe(status);
      const body = res.json();
      expect(body.code).toBe(code);
      expect(body.message.length).toBeGreaterThan(10);
      expect(body.messageZh).toMatch(/[\u4e00-\u9fff]/);
      if (param) expect(JSON.stringify(body.details ?? [])).toContain(param);
      return body;
    };
    it('rejects unknown classes, units, levels and rule sets with bilingual messages', async () => {
      const c = await bad('/api/access/units?class=hospitalz', 400, 'InvalidParameter', 'class');
      expect(c.message).toContain('basic');
      await bad('/api/access/units?class=Bad-Key', 400, 'ValidationFailed', 'class');
      await bad('/api/access/units?unit=15043', 400, 'InvalidUnitCode');
      await bad('/api/access/units?unit=159999', 404, 'UnitNotFound');
      await bad('/api/access/units/159999', 404, 'UnitNotFound');
      await bad('/api/access/units?unit=150430100&level=banner', 400, 'InvalidParameter', 'level');
      await bad('/api/access/units?level=county', 400, 'ValidationFailed', 'level');
      await bad('/api/access/units?limit=0', 400, 'ValidationFailed', 'limit');
      await bad('/api/access/units?ruleSet=999999', 404, 'RuleSetNotFound');
      await bad('/api/access/units?ruleSet=abc', 400, 'ValidationFailed', 'ruleSet');
      await bad('/api/access/gaps?bbox=1,2,3', 400, 'InvalidParameter', 'bbox');
      await bad('/api/access/gaps?bbox=120,43,119,42', 400, 'InvalidParameter', 'bbox');
      await bad('/api/access/catchments?geometry=hexagon', 400, 'ValidationFailed', 'geometry');
      await bad('/api/access/cells', 400, 'ValidationFailed', 'bbox');
    });
    it('says which stored access parameter of a rule set is invalid', async () => {
      const row = await db.db
        .insertInto('rule_set')
        .values({ name: '坏参数（测试）', params: JSON.stringify({ access: { detourFactor: 0.2, circleClass: 'nope' } }) })
        .returning('id')
        .executeTakeFirstOrThrow();
      const body = await bad(`/api/access/circle?ruleSet=${row.id}`, 400, 'InvalidParameter', 'detourFactor');
      expect(body.messageZh).toContain('可达性参数无效');
    });
  });
});
