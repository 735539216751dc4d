import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { clearSeededLayers, insertFacility, insertUnit } from './helpers/fixtures.ts';

describe(`GET /api/units (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
    await clearSeededLayers(db.db);
    await insertUnit(db.db, { code: '150430100', parent: '150430', level: 'township', name: '新惠镇', population: 1000, lon: 119.9, lat: 42.28 });
    await insertUnit(db.db, { code: '150430100203', parent: '150430100', level: 'village', name: '扎赛营子村委会', population: 400, lon: 119.95, lat: 42.3 });
    await insertFacility(db.db, { lon: 119.95, lat: 42.3, type: 'village_clinic', unit_code: '150430100203' });
    await insertFacility(db.db, { lon: 119.9, lat: 42.28, type: 'general_hospital', grade: '2A', unit_code: '150430100' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });

  it('lists banners as a GeoJSON FeatureCollection with census population', async () => {
    const res = await get('/api/units?level=banner&limit=200&simplify=1000');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.type).toBe('FeatureCollection');
    expect(body.numberMatched).toBe(103);
    expect(body.numberReturned).toBe(103);
    const aohan = body.features.find((f: { id: string }) => f.id === '150430');
    expect(aohan.properties).toMatchObject({ name: '敖汉旗', level: 'banner', population: 448712, parentCode: '150400' });
    expect(aohan.geometry.type).toBe('MultiPolygon');
    const sum = body.features.reduce((s: number, f: { properties: { population: number } }) => s + f.properties.population, 0);
    expect(sum).toBe(24_049_155);
  });

  it('pages with limit and offset (default 100, max 1000)', async () => {
    const first = (await get('/api/units?level=banner&geometry=none')).json();
    expect(first.numberReturned).toBe(100);
    const rest = (await get('/api/units?level=banner&geometry=none&offset=100')).json();
    expect(rest.numberReturned).toBe(3);
    expect(rest.features[0].geometry).toBeNull();
    const ids = new Set([...first.features, ...rest.features].map((f: { id: string }) => f.id));
    expect(ids.size).toBe(103);
  });

  it('filters by parent and by bbox', async () => {
    const chifeng = (await get('/api/units?parent=150400&geometry=none')).json();
    expect(chifeng.numberMatched).toBe(12);
    expect(chifeng.features.every((f: { properties: { parentCode: string } }) => f.properties.parentCode === '150400')).toBe(true);
    // A small box around Aohan's seat only touches Aohan (and perhaps its neighbours).
    const box = (await get('/api/units?level=banner&bbox=119.85,42.25,119.95,42.32&geometry=none')).json();
    expect(box.features.map((f: { id: string }) => f.id)).toContain('150430');
    expect(box.numberMatched).toBeLessThanOrEqual(3);
    // Points stand in for units without a boundary.
    const villages = (await get('/api/units?level=village&bbox=119.9,42.25,120,42.35')).json();
    expect(villages.features).toHaveLength(1);
    expect(villages.features[0].geometry).toEqual({ type: 'Point', coordinates: [119.95, 42.3] });
  });

  it('returns one unit with parent chain, children and counts', async () => {
    const res = await get('/api/units/150430');
    expect(res.statusCode).toBe(200);
    const unit = res.json();
    expect(unit).toMatchObject({ code: '150430', name: '敖汉旗', population: 448712 });
    expect(unit.parentChain.map((p: { code: string }) => p.code)).toEqual(['150000', '150400']);
    expect(unit.children).toEqual([{ code: '150430100', name: '新惠镇', level: 'township', population: 1000 }]);
    expect(unit.descendantCounts).toEqual({ township: 1, village: 1 });
    expect(unit.facilityCounts).toEqual({ village_clinic: 1, general_hospital: 1 });
    expect(unit.bbox).toHaveLength(4);
    expect(unit.boundary).toBeUndefined();
    const withBoundary = (await get('/api/units/150430?boundary=true&simplify=500')).json();
    expect(withBoundary.boundary.type).toBe('MultiPolygon');
    const village = (await get('/api/units/150430100203')).json();
    expect(village.parentChain.map((p: { code: string }) => p.code)).toEqual(['150000', '150400', '150430', '150430100']);
  });

  it('rounds coordinates to 6 decimals', async () => {
    const body = (await get('/api/units?level=league&limit=1')).json();
    const coords = JSON.stringify(body.features[0].geometry.coordinates);
    expect(coords).not.toMatch(/\.\d{7,}/);
  });

  describe('bad input', () => {
    it.each([
      ['/api/units/999999', 404, 'UnitNotFound', '999999'],
      ['/api/units/150430999999', 404, 'UnitNotFound', '150430999999'],
      ['/api/units/abc', 400, 'InvalidUnitCode', 'abc'],
      ['/api/units?bbox=1,2,3', 400, 'InvalidParameter', 'bbox'],
      ['/api/units?bbox=1,2,3,4,5', 400, 'InvalidParameter', 'bbox'],
      ['/api/units?bbox=a,b,c,d', 400, 'InvalidParameter', 'bbox'],
      ['/api/units?bbox=200,40,210,41', 400, 'InvalidParameter', 'bbox'],
      ['/api/units?bbox=110,95,111,96', 400, 'InvalidParameter', 'bbox'],
      ['/api/units?bbox=120,42,119,43', 400, 'InvalidParameter', 'bbox'],
      ['/api/units?limit=abc', 400, 'ValidationFailed', 'limit'],
      ['/api/units?limit=1001', 400, 'ValidationFailed', 'limit'],
      ['/api/units?limit=0', 400, 'ValidationFailed', 'limit'],
      ['/api/units?offset=-1', 400, 'ValidationFailed', 'offset'],
      ['/api/units?level=city', 400, 'ValidationFailed', 'region, league, banner, township, village'],
      ['/api/units?geometry=polygon', 400, 'ValidationFailed', 'geometry'],
      ['/api/units?simplify=-5', 400, 'ValidationFailed', 'simplify'],
      ['/api/units?parent=15', 400, 'InvalidUnitCode', 'parent'],
    ])('%s → %i %s', async (url, status, code, mention) => {
      const res = await get(url);
      expect(res.statusCode).toBe(status);
      const body = res.json();
      expect(body.code).toBe(code);
      expect(body.message).toContain(mention);
      expect(body.messageZh).toMatch(/[\u4e00-\u9fff]/);
      expect(JSON.stringify(body)).not.toMatch(/select |stack|\.ts:/i);
    });
  });
});

describe(`GET /api/health (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('reports engine, PostGIS and migration level', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: 'ok', engine, migration: { latest: expect.any(String) } });
    expect(body.postgis).toMatch(/^3\.\d+/);
    expect(body.units).toMatchObject({ region: 1, league: 12, banner: 103 });
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/units', '/api/units/{code}', '/api/facilities', '/api/facilities/{id}', '/api/health']));
    const page = await app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
  });

  it('answers unknown routes with a bilingual 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NotFound', messageZh: expect.stringContaining('不存在') });
  });
});
