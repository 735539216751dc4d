import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { clearSeededLayers, insertFacility, insertUnit } from './helpers/fixtures.ts';

describe(`GET /api/facilities (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
    await clearSeededLayers(db.db);
    await insertUnit(db.db, { code: '150430100', parent: '150430', level: 'township', name: '新惠镇', lon: 119.9, lat: 42.28 });
    await insertUnit(db.db, { code: '150430100203', parent: '150430100', level: 'village', name: '扎赛营子村委会', lon: 119.95, lat: 42.3 });
    ids.hospital = await insertFacility(db.db, {
      lon: 119.901,
      lat: 42.281,
      name: '敖汉旗医院',
      code: 'AH-001',
      type: 'general_hospital',
      grade: '2A',
      run_by_level: 'banner',
      unit_code: '150430100',
      beds: 800,
      staff_doctors: 200,
      staff_nurses: 300,
      departments: ['psychiatry_ward', 'icu', 'paediatrics_ward'],
      synthetic: true,
    });
    ids.clinic = await insertFacility(db.db, { lon: 119.95, lat: 42.3, name: '扎赛营子村卫生室', type: 'village_clinic', unit_code: '150430100203', staff_village_doctors: 1 });
    ids.closed = await insertFacility(db.db, { lon: 119.96, lat: 42.31, name: '旧卫生室', type: 'village_clinic', status: 'closed', unit_code: '150430100203' });
    // In another league (通辽市 科尔沁区 150502).
    ids.elsewhere = await insertFacility(db.db, { lon: 122.26, lat: 43.62, name: '科尔沁区医院', type: 'general_hospital', unit_code: '150502' });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });
  const idsOf = (body: { features: { id: number }[] }) => body.features.map((f) => f.id).sort((a, b) => a - b);

  it('lists facilities as GeoJSON points', async () => {
    const body = (await get('/api/facilities')).json();
    expect(body.numberMatched).toBe(4);
    const hospital = body.features.find((f: { id: number }) => f.id === ids.hospital);
    expect(hospital.geometry).toEqual({ type: 'Point', coordinates: [119.901, 42.281] });
    expect(hospital.properties).toMatchObject({ name: '敖汉旗医院', type: 'general_hospital', grade: '2A', bannerCode: '150430', leagueCode: '150400', beds: 800, synthetic: true });
  });

  it('filters by type, status, unit subtree, text and bbox', async () => {
    expect(idsOf((await get('/api/facilities?type=general_hospital')).json())).toEqual([ids.hospital, ids.elsewhere].sort((a, b) => a! - b!));
    expect(idsOf((await get('/api/facilities?type=village_clinic&status=open')).json())).toEqual([ids.clinic]);
    expect(idsOf((await get('/api/facilities?status=open,closed&unit=150430100203')).json())).toEqual([ids.clinic, ids.closed].sort((a, b) => a! - b!));
    expect((await get('/api/facilities?unit=150400')).json().numberMatched).toBe(3);
    expect((await get('/api/facilities?unit=150430100')).json().numberMatched).toBe(3);
    expect((await get('/api/facilities?unit=150000')).json().numberMatched).toBe(4);
    expect(idsOf((await get('/api/facilities?q=敖汉')).json())).toEqual([ids.hospital]);
    expect(idsOf((await get('/api/facilities?bbox=122,43,123,44')).json())).toEqual([ids.elsewhere]);
    const page = (await get('/api/facilities?limit=1&offset=1')).json();
    expect(page).toMatchObject({ numberMatched: 4, numberReturned: 1 });
  });

  it('returns one facility with all attributes', async () => {
    const res = await get(`/api/facilities/${ids.hospital}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: ids.hospital,
      code: 'AH-001',
      gradeLevel: 2,
      unitName: '新惠镇',
      staff: { doctors: 200, nurses: 300, gps: null },
      departments: ['psychiatry_ward', 'icu', 'paediatrics_ward'],
      version: 1,
      location: { type: 'Point', coordinates: [119.901, 42.281] },
    });
  });

  describe('bad input', () => {
    it.each([
      ['/api/facilities/999999', 404, 'FacilityNotFound', '999999'],
      ['/api/facilities/abc', 400, 'ValidationFailed', 'id'],
      ['/api/facilities/0', 400, 'ValidationFailed', 'id'],
      ['/api/facilities?type=spaceship', 400, 'InvalidParameter', 'general_hospital'],
      ['/api/facilities?type=village_clinic,ufo', 400, 'InvalidParameter', 'ufo'],
      ['/api/facilities?status=demolished', 400, 'InvalidParameter', 'planned, open, suspended, closed'],
      ['/api/facilities?unit=159999', 404, 'UnitNotFound', '159999'],
      ['/api/facilities?unit=x', 400, 'InvalidUnitCode', 'unit'],
      ['/api/facilities?bbox=1,2', 400, 'InvalidParameter', 'bbox'],
      ['/api/facilities?limit=5001', 400, 'ValidationFailed', 'limit'],
      ['/api/facilities?limit=ten', 400, 'ValidationFailed', 'limit'],
      ["/api/facilities?q=%27%3B%20DROP%20TABLE%20facility%3B--", 200, undefined, undefined],
    ])('%s → %i', async (url, status, code, mention) => {
      const res = await get(url);
      expect(res.statusCode).toBe(status);
      if (code) {
        expect(res.json().code).toBe(code);
        expect(res.json().message).toContain(mention);
        expect(res.json().messageZh).toBeTruthy();
      }
    });

    it('still has its facilities after SQL-looking input', async () => {
      expect((await get('/api/facilities')).json().numberMatched).toBe(4);
    });
  });
});
