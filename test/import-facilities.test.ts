import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import gcoordModule from 'gcoord';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { ANALYZE_AFTER_ROWS } from '../server/importexport/service.ts';
import { csv, fingerprint, insertWengniuteFixture, upload, WNT } from './fixtures/import/kit.ts';

const gcoord = gcoordModule as unknown as (typeof gcoordModule)['default'];
const MESSY = fs.readFileSync(path.join(import.meta.dirname, 'fixtures/import/facilities-messy.csv'));

const HEADER = ['机构编码', '机构名称', '机构类型', '所在区划代码', '经度', '纬度', '床位数', '执业医师', '注册护士', '科室'];
const ROWS = [
  ['WNT-H1', '翁牛特旗医院', '综合医院', WNT.wudan.code, 119.017, 42.935, 420, 120, 160, '精神科（设病房）、ICU、急诊科'],
  ['WNT-T1', '乌丹镇中心卫生院', '中心卫生院', WNT.wudan.code, 119.02, 42.936, 40, 12, 10, '中医（蒙医）科'],
  ['WNT-V1', '东门外村卫生室', '村卫生室', WNT.villages[0].code, 119.031, 42.941, 0, 0, 0, ''],
  ['WNT-V2', '西门外村卫生室', 'village_clinic', WNT.villages[1].code, 118.991, 42.931, null, null, null, null],
];

describe(`facility import (${engine})`, () => {
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

  it('validates without writing and reports what would change', async () => {
    const before = await fingerprint(db.db);
    const res = await upload(app, 'facilities', csv([HEADER, ...ROWS]), 'wnt.csv');
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ mode: 'validate', committed: false, rows: 4, counts: { created: 4, updated: 0, unchanged: 0 } });
    expect(await fingerprint(db.db)).toEqual(before);
  });

  it('commits, then a re-import of the same file changes nothing', async () => {
    const body = csv([HEADER, ...ROWS]);
    const first = await upload(app, 'facilities', body, 'wnt.csv', { mode: 'commit' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().counts).toMatchObject({ created: 4, updated: 0, unchanged: 0 });
    const row = await db.db.selectFrom('facility').selectAll().where('code', '=', 'WNT-T1').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ type: 'township_health_centre', central: true, beds: 40, departments: ['tcm_department'], unit_code: WNT.wudan.code, banner_code: WNT.banner, synthetic: false });
    const after = await fingerprint(db.db);
    const again = await upload(app, 'facilities', body, 'wnt.csv', { mode: 'commit' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().counts).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    const afterAgain = await fingerprint(db.db);
    expect(afterAgain.facilities).toBe(after.facilities);
    expect(afterAgain.version).toBe(after.version);
    expect(afterAgain.audit).toBe(after.audit + 1);
    const { rows } = await sql<{ action: string; details: { counts: Record<string, number> } }>`SELECT action, details FROM audit_log ORDER BY id DESC LIMIT 1`.execute(db.db);
    expect(rows[0]).toMatchObject({ action: 'import.facilities', details: { counts: { created: 0, updated: 0, unchanged: 4 } } });
  });

  it('moves a facility to another unit: ancestors follow, version goes up', async () => {
    const moved = csv([HEADER, ['WNT-V2', '西门外村卫生室', 'village_clinic', WNT.villages[3].code, 119.361, 42.761, null, null, null, null]]);
    const res = await upload(app, 'facilities', moved, 'move.csv', { mode: 'commit' });
    expect(res.json().counts, res.body).toMatchObject({ updated: 1 });
    const row = await db.db.selectFrom('facility').select(['unit_code', 'township_code', 'banner_code', 'version']).where('code', '=', 'WNT-V2').executeTakeFirstOrThrow();
    expect(row).toEqual({ unit_code: WNT.villages[3].code, township_code: WNT.wudunTaohai.code, banner_code: WNT.banner, version: 2 });
  });

  it('reads a messy Chinese sheet: title rows, synonyms, full-width digits, 1,020, 40张, DMS coordinates, padded codes', async () => {
    const res = await upload(app, 'facilities', MESSY, '翁牛特旗机构名录.csv', { mode: 'commit' });
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ rows: 4, counts: { created: 4 }, file: { encoding: 'utf-8-bom' } });
    expect(report.columns.ignored).toEqual(['序号', '备注']);
    expect(report.warnings.map((w: { code: string }) => w.code)).toContain('ignored_columns');
    const rows = await db.db.selectFrom('facility').selectAll().select([sql<number>`ST_X(location)`.as('lon'), sql<number>`ST_Y(location)`.as('lat')]).where('code', 'like', 'MS-%').orderBy('code').execute();
    expect(rows[0]).toMatchObject({ name: '翁牛特旗人民医院', type: 'general_hospital', beds: 1020, staff_doctors: 210, staff_nurses: 312, departments: ['emergency', 'icu', 'paediatrics', 'psychiatry_ward'] });
    expect(rows[1]).toMatchObject({ type: 'township_health_centre', central: true, beds: 40 });
    expect(rows[1]!.lon).toBeCloseTo(119.02, 6);
    expect(rows[1]!.lat).toBeCloseTo(42.94, 6);
    expect(rows[2]).toMatchObject({ name: '东门外村卫生室', type: 'village_clinic', beds: null, unit_code: WNT.villages[0].code });
    expect(rows[3]).toMatchObject({ unit_code: WNT.wudunTaohai.code, departments: ['fever_clinic'] });
  });

  it('detects the same sheet saved by Chinese Excel as GBK, and finds it unchanged', async () => {
    const gbk = iconv.encode(MESSY.subarray(3).toString('utf8'), 'gbk');
    const res = await upload(app, 'facilities', gbk, 'gbk.csv', { mode: 'commit' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ file: { encoding: 'gb18030' }, counts: { created: 0, updated: 0, unchanged: 4 } });
  });

  it('reads XLSX with a title row, numeric codes, formulas and rich text', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('说明').addRow(['本表说明']);
    const sheet = workbook.addWorksheet('机构');
    sheet.addRow(['乌丹镇机构（2023）']);
    sheet.mergeCells('A1:F1');
    sheet.addRow(['机构编码', '机构名称', '机构类型', '所在区划代码', '经度', '纬度', '床位数', '执业医师']);
    sheet.addRow(['XL-1', { richText: [{ text: '南梁村' }, { text: '卫生室', font: { bold: true } }] }, '村卫生室', Number(WNT.villages[2].code), 119.021, 42.901, 0, 1]);
    sheet.addRow(['XL-2', '乌丹镇社区卫生服务站', '社区卫生服务站', Number(WNT.wudan.code), 119.018, 42.936, { formula: '2*3', result: 6 }, 2]);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    const res = await upload(app, 'facilities', bytes, 'wudan.xlsx', { mode: 'commit' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ file: { format: 'xlsx', sheet: '机构' }, counts: { created: 2 } });
    const rows = await db.db.selectFrom('facility').select(['code', 'name', 'beds', 'unit_code']).where('code', 'like', 'XL-%').orderBy('code').execute();
    expect(rows).toEqual([
      { code: 'XL-1', name: '南梁村卫生室', beds: 0, unit_code: WNT.villages[2].code },
      { code: 'XL-2', name: '乌丹镇社区卫生服务站', beds: 6, unit_code: WNT.wudan.code },
    ]);
    const wrongSheet = await upload(app, 'facilities', bytes, 'wudan.xlsx', { sheet: '说明' });
    expect(wrongSheet.statusCode).toBe(422);
    expect(wrongSheet.json().details[0].code).toBe('missing_column');
    const noSheet = await upload(app, 'facilities', bytes, 'wudan.xlsx', { sheet: '9' });
    expect(noSheet.statusCode).toBe(400);
    expect(noSheet.json().message).toContain('说明, 机构');
    const bySheetNumber = await upload(app, 'facilities', bytes, 'wudan.xlsx', { sheet: '2' });
    expect(bySheetNumber.json().counts).toMatchObject({ unchanged: 2 });
  });

  it('reads GeoJSON points with English properties', async () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', geometry: { type: 'Point', coordinates: [119.331, 42.731] }, properties: { code: 'GJ-1', name: '新地村卫生室', type: 'village_clinic', unit_code: WNT.villages[4].code, departments: ['tcm_service'], lon: 0, lat: 0 } },
      ],
    };
    const res = await upload(app, 'facilities', JSON.stringify(fc), 'x.geojson', { mode: 'commit' });
    expect(res.statusCode, res.body).toBe(200);
    const row = await db.db.selectFrom('facility').select(['departments', sql<number>`ST_X(location)`.as('lon')]).where('code', '=', 'GJ-1').executeTakeFirstOrThrow();
    expect(row).toEqual({ departments: ['tcm_service'], lon: 119.331 });
  });

  describe('GCJ-02 coordinates', () => {
    // Clinics standing exactly at their village's point, as copied from a Chinese web map.
    const shifted = WNT.villages.map((v, i) => {
      const [lon, lat] = gcoord.transform([v.lon, v.lat], gcoord.WGS84, gcoord.GCJ02) as [number, number];
      return [`GCJ-${i}`, `${v.name}卫生室`, '村卫生室', v.code, lon.toFixed(6), lat.toFixed(6), 0, 0, 0, ''];
    });
    const file = csv([HEADER, ...shifted]);

    it('warns when WGS84 points look GCJ-02-shifted', async () => {
      const res = await upload(app, 'facilities', file, 'amap.csv');
      expect(res.statusCode, res.body).toBe(200);
      const warning = res.json().warnings.find((w: { code: string }) => w.code === 'looks_gcj02');
      expect(warning, JSON.stringify(res.json().warnings)).toBeTruthy();
      expect(warning.en).toContain('crs=gcj02');
      expect(warning.zh).toContain('GCJ-02');
    });

    it('converts with crs=gcj02 (no warning), and the points land on their villages', async () => {
      const res = await upload(app, 'facilities', file, 'amap.csv', { mode: 'commit', crs: 'gcj02' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().warnings.map((w: { code: string }) => w.code)).not.toContain('looks_gcj02');
      const { rows } = await sql<{ d: number }>`
        SELECT max(ST_Distance(f.location::geography, u.point::geography)) AS d FROM facility f JOIN admin_unit u ON u.code = f.unit_code WHERE f.code LIKE 'GCJ-%'`.execute(db.db);
      expect(rows[0]!.d).toBeLessThan(5);
    });

    it('warns when points declared GCJ-02 were WGS84 already', async () => {
      const wgs = csv([HEADER, ...WNT.villages.map((v, i) => [`W-${i}`, `${v.name}卫生室`, '村卫生室', v.code, v.lon, v.lat, 0, 0, 0, ''])]);
      const res = await upload(app, 'facilities', wgs, 'gps.csv', { crs: 'gcj02' });
      expect(res.json().warnings.map((w: { code: string }) => w.code)).toContain('looks_wgs84');
    });
  });

  it('without a unit column, places new facilities in the banner by their point and keeps existing ones in their unit', async () => {
    const res = await upload(
      app,
      'facilities',
      csv([
        ['code', 'name', 'type', 'lon', 'lat'],
        ['NU-1', '无区划卫生室', '村卫生室', 119.2, 42.8],
        ['WNT-V1', '东门外村卫生室', '村卫生室', 119.031, 42.941],
      ]),
      'nounit.csv',
      { mode: 'commit' },
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().warnings.find((w: { code: string }) => w.code === 'unit_inferred')).toMatchObject({ count: 1 });
    const units = await db.db.selectFrom('facility').select(['code', 'unit_code']).where('code', 'in', ['NU-1', 'WNT-V1']).orderBy('code').execute();
    expect(units).toEqual([
      { code: 'NU-1', unit_code: WNT.banner },
      { code: 'WNT-V1', unit_code: WNT.villages[0].code },
    ]);
  });

  it(`a large import (≥ ${ANALYZE_AFTER_ROWS} rows changed) refreshes the table's planner statistics; a small one does not`, async () => {
    const reltuples = async () => {
      const { rows } = await sql<{ estimate: number; actual: number }>`
        SELECT (SELECT reltuples::int FROM pg_class WHERE oid = 'facility'::regclass) AS estimate, (SELECT count(*)::int FROM facility) AS actual`.execute(db.db);
      return rows[0]!;
    };
    await sql`ANALYZE facility`.execute(db.db);
    const small = await upload(app, 'facilities', csv([HEADER, ['AN-SMALL', '统计测试卫生室', '村卫生室', WNT.wudan.code, 119.0161, 42.9349, 0, 0, 0, '']]), 'small.csv', { mode: 'commit' });
    expect(small.statusCode, small.body).toBe(200);
    expect(small.json().timings.analyze).toBeUndefined();
    const stale = await reltuples();
    expect(stale.estimate).toBe(stale.actual - 1);

    const rows = Array.from({ length: ANALYZE_AFTER_ROWS }, (_, i) => [`AN-${String(i).padStart(4, '0')}`, `统计测试诊所${i}`, '诊所', WNT.wudan.code, (119.01 + (i % 40) * 0.0003).toFixed(6), (42.93 + Math.floor(i / 40) * 0.0003).toFixed(6), i % 9, 1, 1, '']);
    const large = await upload(app, 'facilities', csv([HEADER, ...rows]), 'large.csv', { mode: 'commit' });
    expect(large.statusCode, large.body).toBe(200);
    expect(large.json().counts).toMatchObject({ created: ANALYZE_AFTER_ROWS });
    expect(large.json().timings.analyze).toBeGreaterThanOrEqual(0);
    const fresh = await reltuples();
    expect(fresh.estimate).toBe(fresh.actual);
  });
});
