import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import ExcelJS from 'exceljs';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { insertFacility } from './helpers/fixtures.ts';
import { csv, fingerprint, insertWengniuteFixture, upload, WNT } from './fixtures/import/kit.ts';

describe(`export, and export → import round trips (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
    await insertWengniuteFixture(db.db);
    const imported = await upload(
      app,
      'facilities',
      csv([
        ['机构编码', '机构名称', '机构类型', '等级', '状态', '所在区划代码', '经度', '纬度', '床位数', '儿科床位数', '全科医生', '科室', '中医馆等级', '开展助产服务', '服务嘎查村'],
        ['RT-1', '翁牛特旗医院', '综合医院', '三级', '运营', WNT.wudan.code, 119.017, 42.935, 420, 30, 12, '精神科（设病房）；ICU；新生儿科', '', '是', ''],
        ['RT-2', '乌丹镇中心卫生院', '中心卫生院', '一级', '运营', WNT.wudan.code, 119.02, 42.936, 40, '', 3, '中医（蒙医）科', '优质型', '否', ''],
        ['RT-3', '东门外联办卫生室', '村卫生室', '', '已关闭', WNT.villages[0].code, 119.031, 42.941, 0, '', '', '', '', '', `${WNT.villages[0].code};${WNT.villages[1].code}`],
        ['RT-4', '民营诊所 "仁和"', '诊所, 门诊部', '未定级', '运营', WNT.wudunTaohai.code, 119.351, 42.751, '', '', '', '', '', '', ''],
      ]).replace('"诊所, 门诊部"', '诊所'),
      'rt.csv',
      { mode: 'commit' },
    );
    expect(imported.statusCode, imported.body).toBe(200);
    // A seeded-style synthetic facility with full-precision coordinates.
    await insertFacility(db.db, { code: 'RT-SYN', name: '合成卫生室', type: 'village_clinic', unit_code: WNT.villages[3].code, lon: 119.36123456789, lat: 42.76198765432, synthetic: true, source: 'seed: synthetic', departments: ['tcm_service'] });
    // Something outside the subtree that must not be exported.
    await insertFacility(db.db, { code: 'RT-AOHAN', name: '敖汉某院', type: 'general_hospital', unit_code: '150430', lon: 119.9, lat: 42.28 });
    const cells = await upload(app, 'population-cells', csv([['cell_key', 'lon', 'lat', 'population'], ['rt-c1', 119.031, 42.941, 321], ['rt-c2', 119.3612345, 42.7612345, 77]]), 'c.csv', { mode: 'commit' });
    expect(cells.statusCode, cells.body).toBe(200);
    const boundary = await upload(
      app,
      'unit-boundaries',
      JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: WNT.wudunTaohai.code }, geometry: { type: 'Polygon', coordinates: [[[119.3, 42.7], [119.4, 42.7], [119.4, 42.8], [119.3, 42.8], [119.3, 42.7]]] } }] }),
      'b.geojson',
      { mode: 'commit' },
    );
    expect(boundary.statusCode, boundary.body).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const exportOf = async (kind: string, query: string) => {
    const res = await app.inject({ method: 'GET', url: `/api/exports/${kind}?${query}` });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
    return res;
  };

  it('writes CSV with a BOM, Chinese headers and labels, only the unit subtree', async () => {
    const res = await exportOf('facilities', `unit=${WNT.banner}`);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain(`facilities-${WNT.banner}.csv`);
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = res.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toMatch(/^机构编码,机构名称,机构类型,状态,等级/);
    expect(lines).toHaveLength(1 + 5);
    expect(res.body).toContain('中心卫生院');
    expect(res.body).toContain('综合医院');
    // Departments are stored in id order.
    expect(res.body).toContain('重症医学科（ICU）；新生儿科；精神科（设病房）');
    expect(res.body).not.toContain('RT-AOHAN');
    const township = await exportOf('facilities', `unit=${WNT.wudan.code}&headers=en&status=open`);
    const rows = township.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(rows[0]).toMatch(/^code,name,type,status,grade/);
    expect(rows.slice(1).map((r) => r.split(',')[0]).sort()).toEqual(['RT-1', 'RT-2']);
  });

  it('writes XLSX with a data sheet and a note on synthetic rows', async () => {
    const res = await exportOf('facilities', `unit=${WNT.banner}&format=xlsx`);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(1).getCell(2).value).toBe('机构名称');
    expect(sheet.actualRowCount).toBe(6);
    expect(JSON.stringify(workbook.worksheets[1]!.getSheetValues())).toContain('synthetic');
  });

  it('writes GeoJSON points with English property names', async () => {
    const res = await exportOf('facilities', `unit=${WNT.banner}&format=geojson`);
    const fc = res.json();
    expect(fc.type).toBe('FeatureCollection');
    const syn = fc.features.find((f: { properties: { code: string } }) => f.properties.code === 'RT-SYN');
    expect(syn).toMatchObject({ geometry: { type: 'Point', coordinates: [119.361235, 42.761988] }, properties: { synthetic: true, type: 'village_clinic', departments: ['tcm_service'] } });
  });

  it('refuses an edited export row whose facility was changed by someone else since the export', async () => {
    const exported = (await exportOf('facilities', `unit=${WNT.banner}&headers=en`)).body;
    const id = (await db.db.selectFrom('facility').select('id').where('code', '=', 'RT-2').executeTakeFirstOrThrow()).id;
    const edit = await app.inject({ method: 'PATCH', url: `/api/facilities/${id}`, payload: { version: 1, beds: 41 } });
    expect(edit.statusCode, edit.body).toBe(200);
    // The user changes RT-2 (beds 40 → 45) and RT-1 in the old export.
    const changed = exported.replace(/^(RT-2,[^\r]*?),40,/m, '$1,45,').replace(/^(RT-1,[^\r]*?),420,/m, '$1,421,');
    expect(changed).not.toBe(exported);
    const before = await fingerprint(db.db);
    const res = await upload(app, 'facilities', changed, 'old-export.csv', { mode: 'commit' });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().details).toEqual([expect.objectContaining({ code: 'stale_version', value: '1', column: 'version' })]);
    expect(res.json().details[0].en).toContain('now version 2');
    expect(await fingerprint(db.db)).toEqual(before);
    // Undo the concurrent edit so the round trips below start from the export's state.
    await app.inject({ method: 'PATCH', url: `/api/facilities/${id}`, payload: { version: 2, beds: 40 } });
  });

  const cases: [string, string, string, string][] = [
    ['facilities', 'csv', 'zh', 'facilities'],
    ['facilities', 'csv', 'en', 'facilities'],
    ['facilities', 'xlsx', 'zh', 'facilities'],
    ['facilities', 'geojson', 'en', 'facilities'],
    ['units', 'csv', 'zh', 'unit-populations'],
    ['units', 'xlsx', 'en', 'unit-populations'],
    ['units', 'geojson', 'en', 'unit-boundaries'],
    ['population-cells', 'csv', 'zh', 'population-cells'],
    ['population-cells', 'xlsx', 'zh', 'population-cells'],
    ['population-cells', 'geojson', 'en', 'population-cells'],
  ];
  it.each(cases)('%s as %s (%s headers) re-imports as %s and changes nothing', async (kind, format, headers, importKind) => {
    const file = await exportOf(kind, `unit=${WNT.banner}&format=${format}&headers=${headers}`);
    const before = await fingerprint(db.db);
    const res = await upload(app, importKind, file.rawPayload, `${kind}.${format}`, { mode: 'commit' });
    expect(res.statusCode, res.body.slice(0, 2000)).toBe(200);
    const report = res.json();
    expect(report.counts, JSON.stringify(report.warnings)).toMatchObject({ created: 0, updated: 0, deleted: 0 });
    expect(report.counts.unchanged).toBeGreaterThan(0);
    const after = await fingerprint(db.db);
    expect({ ...after, audit: 0 }).toEqual({ ...before, audit: 0 });
    expect(after.audit).toBe(before.audit + 1);
  });
});
