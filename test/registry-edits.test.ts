import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import gcoordModule from 'gcoord';
import { buildTestApp, createTestDatabase, createTestUser, engine, sessionFor, type TestDatabase } from './helpers/db.ts';
import { csv, fingerprint, insertWengniuteFixture, upload, WNT } from './fixtures/import/kit.ts';

const gcoord = gcoordModule as unknown as (typeof gcoordModule)['default'];

describe(`registry edits: create, update, close (${engine})`, () => {
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

  let seq = 0;
  const base = () => ({
    code: `ED-${++seq}`,
    name: `测试卫生院 ${seq}`,
    type: 'township_health_centre',
    unitCode: WNT.wudan.code,
    location: { lon: 119.02, lat: 42.94 },
  });
  const post = (payload: unknown, url = '/api/facilities') => app.inject({ method: 'POST', url, payload: payload as object });
  const patch = (id: number, payload: unknown) => app.inject({ method: 'PATCH', url: `/api/facilities/${id}`, payload: payload as object });
  const lastAudit = async () => {
    const { rows } = await sql<{ action: string; entity_id: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; details: Record<string, unknown> }>`
      SELECT action, entity_id, before, after, details FROM audit_log ORDER BY id DESC LIMIT 1`.execute(db.db);
    return rows[0]!;
  };

  it('creates a facility with version 1, audits it and bumps the data version', async () => {
    const before = await fingerprint(db.db);
    const res = await post({ ...base(), central: true, beds: 40, staff: { doctors: 8, gps: 2 }, departments: ['tcm_department', 'fever_clinic'], tcmHallLevel: 'quality' });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ version: 1, status: 'open', central: true, beds: 40, staff: { doctors: 8, gps: 2, nurses: null }, departments: ['fever_clinic', 'tcm_department'], bannerCode: WNT.banner, synthetic: false });
    expect(res.headers.location).toBe(`/api/facilities/${created.id}`);
    const after = await fingerprint(db.db);
    expect(after.version).toBe(before.version + 1);
    const audit = await lastAudit();
    expect(audit).toMatchObject({ action: 'facility.create', entity_id: String(created.id), before: null });
    expect(audit.after).toMatchObject({ code: created.code, beds: 40 });
  });

  it('converts GCJ-02 input and infers the unit from the location when none is given', async () => {
    const wgs: [number, number] = [119.3, 42.76];
    const [glon, glat] = gcoord.transform(wgs, gcoord.WGS84, gcoord.GCJ02) as [number, number];
    const { unitCode: _omit, ...noUnit } = base();
    const res = await post({ ...noUnit, type: 'village_clinic', location: { lon: glon, lat: glat }, crs: 'gcj02' });
    expect(res.statusCode, res.body).toBe(201);
    const [lon, lat] = res.json().location.coordinates;
    expect(Math.abs(lon - wgs[0])).toBeLessThan(1e-5);
    expect(Math.abs(lat - wgs[1])).toBeLessThan(1e-5);
    expect(res.json().unitCode).toBe(WNT.banner);
  });

  describe('refuses bad attributes and writes nothing', () => {
    const cases: [string, Record<string, unknown>, number, string, string][] = [
      ['negative beds', { beds: -1 }, 400, 'ValidationFailed', 'beds'],
      ['non-numeric staff', { staff: { nurses: 'many' } }, 400, 'ValidationFailed', 'staff.nurses'],
      ['unknown type', { type: 'spaceship' }, 400, 'ValidationFailed', 'general_hospital'],
      ['unknown department', { departments: ['astrology'] }, 400, 'ValidationFailed', 'psychiatry_ward'],
      ['a location outside Inner Mongolia (Beijing)', { location: { lon: 116.4, lat: 39.9 } }, 400, 'InvalidLocation', 'outside Inner Mongolia'],
      ['a location outside the unit’s banner (Aohan)', { location: { lon: 119.9, lat: 42.28 } }, 400, 'InvalidLocation', '翁牛特旗'],
      ['an unknown unit', { unitCode: '150426199' }, 400, 'InvalidBody', '150426199'],
      ['a malformed unit code', { unitCode: '15042' }, 400, 'ValidationFailed', 'unitCode'],
      ['central for a hospital', { type: 'general_hospital', central: true }, 400, 'InvalidBody', 'central'],
      ['paediatric beds above all beds', { beds: 10, bedsPaediatric: 20 }, 400, 'InvalidBody', 'paediatric'],
      ['an unknown served village', { villagesServed: ['150426100299'] }, 400, 'InvalidBody', '150426100299'],
      ['a missing location', { location: undefined }, 400, 'ValidationFailed', 'location'],
    ];
    it.each(cases)('%s', async (_label, change, status, code, mention) => {
      const before = await fingerprint(db.db);
      const res = await post({ ...base(), ...change });
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json().code).toBe(code);
      expect(`${res.json().message} ${JSON.stringify(res.json().details ?? [])}`).toContain(mention);
      expect(res.json().messageZh).toMatch(/[\u4e00-\u9fff]/);
      expect(await fingerprint(db.db)).toEqual(before);
    });

    it('a duplicate code is a 409 naming the existing facility', async () => {
      const first = (await post(base())).json();
      const before = await fingerprint(db.db);
      const res = await post({ ...base(), code: first.code });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ code: 'Conflict', existingId: first.id });
      expect(await fingerprint(db.db)).toEqual(before);
    });
  });

  describe('update with optimistic versions', () => {
    it('applies a change with the current version, audits before/after, and refuses a stale version with the current one', async () => {
      const created = (await post(base())).json();
      const res = await patch(created.id, { version: 1, beds: 55, staff: { nurses: 9 }, grade: '1' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ version: 2, beds: 55, grade: '1', staff: { nurses: 9 } });
      const audit = await lastAudit();
      expect(audit).toMatchObject({ action: 'facility.update', entity_id: String(created.id) });
      expect(audit.before).toMatchObject({ beds: null, version: 1 });
      expect(audit.after).toMatchObject({ beds: 55, version: 2 });
      expect(audit.details.changed).toEqual(expect.arrayContaining(['beds', 'staff_nurses', 'grade']));

      const before = await fingerprint(db.db);
      const stale = await patch(created.id, { version: 1, beds: 1 });
      expect(stale.statusCode).toBe(409);
      expect(stale.json()).toMatchObject({ code: 'VersionConflict', currentVersion: 2 });
      expect(stale.json().messageZh).toContain('版本');
      expect(await fingerprint(db.db)).toEqual(before);
    });

    it('lets exactly one of two concurrent edits with the same version win', async () => {
      const created = (await post(base())).json();
      const [a, b] = await Promise.all([patch(created.id, { version: 1, beds: 11 }), patch(created.id, { version: 1, beds: 22 })]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
      const winner = a.statusCode === 200 ? 11 : 22;
      const row = await db.db.selectFrom('facility').select(['beds', 'version']).where('id', '=', created.id).executeTakeFirstOrThrow();
      expect(row).toEqual({ beds: winner, version: 2 });
    });

    it('an unchanged update keeps the version; moving checks the new place', async () => {
      const created = (await post(base())).json();
      const same = await patch(created.id, { version: 1, name: created.name });
      expect(same.json().version).toBe(1);
      const moved = await patch(created.id, { version: 1, location: { lon: 119.361, lat: 42.761 }, unitCode: WNT.villages[3].code });
      expect(moved.statusCode, moved.body).toBe(200);
      expect(moved.json()).toMatchObject({ version: 2, unitCode: WNT.villages[3].code, townshipCode: WNT.wudunTaohai.code });
      const out = await patch(created.id, { version: 2, location: { lon: 120.3, lat: 42.3 } });
      expect(out.statusCode).toBe(400);
      expect(out.json().code).toBe('InvalidLocation');
    });

    it('an import that changes a facility bumps its version, so an editor holding the old one gets 409', async () => {
      const created = (await post(base())).json();
      const file = csv([
        ['机构编码', '机构名称', '机构类型', '所在区划代码', '经度', '纬度', '床位数'],
        [created.code, created.name, '卫生院', WNT.wudan.code, 119.02, 42.94, 77],
      ]);
      const imported = await upload(app, 'facilities', file, 'one.csv', { mode: 'commit' });
      expect(imported.json().counts).toMatchObject({ updated: 1 });
      const res = await patch(created.id, { version: 1, beds: 5 });
      expect(res.statusCode).toBe(409);
      expect(res.json().currentVersion).toBe(2);
    });
  });

  describe('close', () => {
    it('sets the status to closed (never deletes), merges, and refuses a second close and stale versions', async () => {
      const target = (await post(base())).json();
      const created = (await post(base())).json();
      const stale = await post({ version: 7 }, `/api/facilities/${created.id}/close`);
      expect(stale.statusCode).toBe(409);
      const self = await post({ version: 1, mergedIntoId: created.id }, `/api/facilities/${created.id}/close`);
      expect(self.statusCode).toBe(400);
      const res = await post({ version: 1, reason: '撤并至乡镇卫生院', mergedIntoId: target.id }, `/api/facilities/${created.id}/close`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: 'closed', mergedIntoId: target.id, version: 2 });
      expect(await db.db.selectFrom('facility').select('status').where('id', '=', created.id).executeTakeFirstOrThrow()).toEqual({ status: 'closed' });
      const audit = await lastAudit();
      expect(audit).toMatchObject({ action: 'facility.close', details: { reason: '撤并至乡镇卫生院', mergedIntoId: target.id } });
      expect(audit.before).toMatchObject({ status: 'open' });
      const again = await post({ version: 2 }, `/api/facilities/${created.id}/close`);
      expect(again.statusCode).toBe(409);
      expect(again.json().message).toContain('already closed');
      const history = (await app.inject({ method: 'GET', url: `/api/facilities/${created.id}/history` })).json();
      expect(history.entries.map((e: { action: string }) => e.action)).toEqual(['facility.close', 'facility.create']);
      expect((await app.inject({ method: 'DELETE', url: `/api/facilities/${created.id}` })).statusCode).toBe(404);
    });
  });
});

describe(`registry edits and imports by an editor limited to one banner (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let headers: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db, { auth: 'required' });
    await insertWengniuteFixture(db.db);
    const { user } = await createTestUser(app, { role: 'editor', unitCode: '150430' });
    headers = (await sessionFor(app, user)).headers;
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('refuses a facility whose inferred unit is outside the scope', async () => {
    const before = await fingerprint(db.db);
    const res = await app.inject({ method: 'POST', url: '/api/facilities', headers, payload: { code: 'SC-1', name: '越界卫生室', type: 'village_clinic', location: { lon: 119.02, lat: 42.94 } } });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().code).toBe('OutOfScope');
    expect(await fingerprint(db.db)).toEqual(before);
  });

  it('refuses an import that touches units outside the scope, naming them', async () => {
    const before = await fingerprint(db.db);
    const { payload, headers: mp } = await import('./fixtures/import/kit.ts').then((k) =>
      k.multipart(csv([['code', 'name', 'type', 'unit_code', 'lon', 'lat'], ['SC-2', '越界', '村卫生室', WNT.villages[0].code, 119.031, 42.941]]), 'x.csv'),
    );
    const res = await app.inject({ method: 'POST', url: '/api/imports/facilities?mode=commit', headers: { ...headers, ...mp }, payload });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.json().message).toContain(WNT.villages[0].code);
    expect(await fingerprint(db.db)).toEqual(before);
  });
});
