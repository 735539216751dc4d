import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { csv, fingerprint, insertWengniuteFixture, upload, WNT } from './fixtures/import/kit.ts';

/** A square around a point, as a GeoJSON polygon ring (counter-clockwise, closed). */
function square(lon: number, lat: number, half = 0.05): number[][][] {
  return [[[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half], [lon - half, lat - half]]];
}

describe(`unit population and boundary imports (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
    await insertWengniuteFixture(db.db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  describe('unit populations', () => {
    const file = csv([
      ['统计用区划代码', '名称', '常住人口', '城镇人口', '经度', '纬度'],
      [WNT.wudan.code, '乌丹镇', 61_000, 40_000, '', ''],
      ['150426100204', '北山村民委员会', 640, '', 119.01, 42.97],
      ['150426101000', '乌敦套海镇', '6.2万', '', '', ''],
    ]);

    it('updates existing units, creates a new village under its township, and re-imports as unchanged', async () => {
      const res = await upload(app, 'unit-populations', file, 'pop.csv', { mode: 'commit' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().counts).toMatchObject({ created: 1, updated: 2, unchanged: 0 });
      const village = await db.db.selectFrom('admin_unit').selectAll().where('code', '=', '150426100204').executeTakeFirstOrThrow();
      expect(village).toMatchObject({ parent_code: WNT.wudan.code, level: 'village', kind: '村', urban: false, population: 640, township_code: WNT.wudan.code, banner_code: WNT.banner, synthetic: false });
      const township = await db.db.selectFrom('admin_unit').select(['population', 'population_urban', 'population_source', 'version']).where('code', '=', '150426101').executeTakeFirstOrThrow();
      expect(township).toMatchObject({ population: 62_000, version: 2 });
      expect(township.population_source).toContain('pop.csv');
      const again = await upload(app, 'unit-populations', file, 'pop.csv', { mode: 'commit' });
      expect(again.json().counts).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    });

    it('refuses a village whose township does not exist, a banner code it cannot create and a share above the total', async () => {
      const before = await fingerprint(db.db);
      const res = await upload(
        app,
        'unit-populations',
        csv([
          ['code', 'name', 'population', 'population_urban'],
          ['150426199201', '不存在镇某村', 500, ''],
          ['150499', '虚构旗', 1000, ''],
          [WNT.wudan.code, '乌丹镇', 100, 200],
          [WNT.villages[0].code, '', -5, ''],
        ]),
        'bad-pop.csv',
      );
      expect(res.statusCode).toBe(422);
      const body = res.json();
      const byCode = (code: string) => body.details.filter((d: { code: string }) => d.code === code);
      expect(byCode('parent_not_found')[0]).toMatchObject({ row: 2, value: '150426199201' });
      expect(byCode('parent_not_found')[0].en).toContain('150426199');
      expect(byCode('parent_not_found')[0].zh).toContain('不存在');
      expect(byCode('unit_not_found')[0]).toMatchObject({ row: 3 });
      expect(byCode('exceeds_total')[0]).toMatchObject({ row: 4, column: 'population_urban' });
      expect(byCode('negative')[0]).toMatchObject({ row: 5, column: 'population' });
      expect(await fingerprint(db.db)).toEqual(before);
    });
  });

  describe('unit boundaries', () => {
    const fc = (features: unknown[]) => JSON.stringify({ type: 'FeatureCollection', features });

    it('attaches a township boundary, sets its area and re-imports as unchanged', async () => {
      const file = fc([{ type: 'Feature', properties: { 区划代码: WNT.wudunTaohai.code, 名称: '乌敦套海镇' }, geometry: { type: 'Polygon', coordinates: square(WNT.wudunTaohai.lon, WNT.wudunTaohai.lat) } }]);
      const res = await upload(app, 'unit-boundaries', file, 'wdth.geojson', { mode: 'commit' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().counts).toMatchObject({ updated: 1, unchanged: 0 });
      const unit = await db.db.selectFrom('admin_unit').select(['area_km2']).where('code', '=', WNT.wudunTaohai.code).executeTakeFirstOrThrow();
      expect(unit.area_km2).toBeGreaterThan(70);
      expect(unit.area_km2).toBeLessThan(95);
      const again = await upload(app, 'unit-boundaries', file, 'wdth.geojson', { mode: 'commit' });
      expect(again.json().counts).toMatchObject({ updated: 0, unchanged: 1 });
    });

    it('refuses a self-intersecting polygon, an unknown unit, a point geometry and a boundary outside its banner', async () => {
      const before = await fingerprint(db.db);
      const [x, y] = [WNT.wudan.lon, WNT.wudan.lat];
      const bowtie = [[[x, y], [x + 0.05, y + 0.05], [x + 0.05, y], [x, y + 0.05], [x, y]]];
      const res = await upload(
        app,
        'unit-boundaries',
        fc([
          { type: 'Feature', properties: { code: WNT.wudan.code }, geometry: { type: 'Polygon', coordinates: bowtie } },
          { type: 'Feature', properties: { code: '150426188' }, geometry: { type: 'Polygon', coordinates: square(x, y) } },
          { type: 'Feature', properties: { code: WNT.villages[0].code }, geometry: { type: 'Point', coordinates: [x, y] } },
          { type: 'Feature', properties: { code: WNT.villages[1].code }, geometry: { type: 'Polygon', coordinates: square(111.7, 40.8) } },
          { type: 'Feature', properties: { code: WNT.villages[2].code }, geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 0.1, y], [x + 0.1, y + 0.1]]] } },
        ]),
        'bad.geojson',
      );
      expect(res.statusCode).toBe(422);
      const details = res.json().details as { row: number; code: string; en: string }[];
      expect(details.find((d) => d.row === 1)).toMatchObject({ code: 'invalid_geometry' });
      expect(details.find((d) => d.row === 1)!.en).toMatch(/self-intersection/i);
      expect(details.find((d) => d.row === 2)).toMatchObject({ code: 'unit_not_found' });
      expect(details.find((d) => d.row === 3)).toMatchObject({ code: 'invalid_geometry' });
      expect(details.find((d) => d.row === 4)).toMatchObject({ code: 'outside_parent' });
      expect(details.find((d) => d.row === 5)!.en).toMatch(/at least 4 positions/);
      expect(await fingerprint(db.db)).toEqual(before);
    });

    it('refuses GeoJSON that is not a FeatureCollection', async () => {
      for (const body of [
        JSON.stringify({ type: 'Feature', properties: { code: WNT.wudan.code }, geometry: { type: 'Polygon', coordinates: square(119, 42.9) } }),
        JSON.stringify({ type: 'Polygon', coordinates: square(119, 42.9) }),
        '[1, 2, 3]',
        '{"type": "FeatureCollection", "features": [',
      ]) {
        const res = await upload(app, 'unit-boundaries', body, 'x.geojson', { mode: 'commit' });
        expect(res.statusCode, body).toBe(400);
        expect(res.json().code).toBe('ImportUnreadable');
        expect(res.json().messageZh).toBeTruthy();
      }
    });
  });
});
