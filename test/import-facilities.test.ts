import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { csv, fingerprint, insertWengniuteFixture, upload, WNT } from './fixtures/import/kit.ts';

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
});
