/**
 * The scenario API end to end (app.inject, real database with the complete
 * Aohan Banner): the life of a scenario (create, add / remove / reorder
 * changes, rename, duplicate, evaluate, diff and its exports, delete), the
 * merge advisor's candidate turned into a change, every bad input the issue
 * lists (4xx with message and messageZh, nothing written), optimistic
 * versions under concurrent writes, and ?scenario= on the access and tile
 * routes: the same read permission as GET /api/scenarios/:id, tiles keyed by
 * the scenario's version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { buildTestApp, createTestDatabase, engine, loginAs, type Credentials, type TestDatabase } from './helpers/db.ts';
import { count } from './helpers/fixtures.ts';
import type { Tile } from '../server/tiles/tile.ts';

interface FacilityRow {
  id: number;
  unit_code: string;
  name: string;
  type: string;
  lon: number;
  lat: number;
}

async function aohanFacilities(db: TestDatabase): Promise<FacilityRow[]> {
  const { rows } = await sql<FacilityRow>`
    SELECT id, unit_code, name, type, ST_X(location) AS lon, ST_Y(location) AS lat FROM facility
    WHERE banner_code = '150430' AND status = 'open' ORDER BY id`.execute(db.db);
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/** The tile containing a lon/lat at zoom z. */
function tileAt(lon: number, lat: number, z: number): Tile {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return { z, x, y };
}

describe(`scenario API (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let facilities: FacilityRow[];
  let clinics: FacilityRow[];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
    facilities = await aohanFacilities(db);
    clinics = facilities.filter((f) => f.type === 'village_clinic');
    expect(clinics.length).toBeGreaterThan(10);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });
  const get = (url: string) => app.inject({ method: 'GET', url });

  async function create(name: string): Promise<{ id: number; version: number }> {
    const res = await post('/api/scenarios', { name });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }

  async function add(id: number, version: number, change: object): Promise<number> {
    const res = await post(`/api/scenarios/${id}/changes`, { version, change });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().scenario.version;
  }

  it('creates a scenario, edits its changes, evaluates and diffs it, exports the diff, duplicates and deletes it', async () => {
    const created = await post('/api/scenarios', { name: ' 合并试点 ', description: '两所村卫生室合并' });
    expect(created.statusCode).toBe(201);
    const s = created.json();
    expect(s).toMatchObject({ name: '合并试点', version: 1, owner: 'local', access: 'owner', changes: [], conflicts: 0 });

    const [a, b, c] = clinics;
    const close = await post(`/api/scenarios/${s.id}/changes`, { version: 1, change: { kind: 'close_facility', facilityId: a!.id } });
    expect(close.statusCode, close.body).toBe(201);
    expect(close.json().scenario.version).toBe(2);
    expect(close.json().change).toMatchObject({ position: 1, kind: 'close_facility', inherited: false, conflict: null });
    expect(close.json().change.summary.zh).toContain('关闭');
    let version = await add(s.id, 2, { kind: 'update_facility', facilityId: b!.id, set: { beds: 4, staff: { villageDoctors: 2 } } });
    // Inserted in front: position 1.
    const first = await post(`/api/scenarios/${s.id}/changes`, { version, change: { kind: 'update_facility', facilityId: c!.id, set: { beds: 1 } }, position: 1 });
    expect(first.statusCode, first.body).toBe(201);
    version = first.json().scenario.version;
    const ids = (first.json().scenario.changes as { id: number; position: number; kind: string }[]).map((x) => [x.position, x.kind]);
    expect(ids).toEqual([
      [1, 'update_facility'],
      [2, 'close_facility'],
      [3, 'update_facility'],
    ]);

    const changes = (await get(`/api/scenarios/${s.id}/changes`)).json();
    expect(changes.version).toBe(version);
    const order = (changes.changes as { id: number }[]).map((x) => x.id).reverse();
    const reordered = await app.inject({ method: 'PUT', url: `/api/scenarios/${s.id}/changes/order`, payload: { version, order } });
    expect(reordered.statusCode, reordered.body).toBe(200);
    expect((reordered.json().changes as { id: number }[]).map((x) => x.id)).toEqual(order);
    version = reordered.json().version;
    const removed = await app.inject({ method: 'DELETE', url: `/api/scenarios/${s.id}/changes/${order[0]}?version=${version}` });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().changes).toHaveLength(2);
    version = removed.json().version;
    const renamed = await app.inject({ method: 'PATCH', url: `/api/scenarios/${s.id}`, payload: { version, name: '合并试点二' } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: '合并试点二', version: version + 1 });
    version = renamed.json().version;

    const evaluation = await get(`/api/scenarios/${s.id}/evaluation?unit=150430`);
    expect(evaluation.statusCode, evaluation.body).toBe(200);
    expect(evaluation.json()).toMatchObject({ scenario: { id: s.id, version }, scope: { code: '150430' }, conflicts: 0 });
    expect(evaluation.json().stats.base).toMatch(/baseline|scenario/);
    expect(evaluation.json().stats.unitsReevaluated).toBeGreaterThan(0);

    const diff = await get(`/api/scenarios/${s.id}/diff?unit=150430`);
    expect(diff.statusCode, diff.body).toBe(200);
    const d = diff.json();
    expect(d.scenario).toMatchObject({ id: s.id, version });
    expect(d.against).toBeNull();
    expect(d.facilities.map((f: { id: number; what: string }) => [f.id, f.what]).sort()).toEqual([
      [a!.id, 'closed'],
      [c!.id, 'updated'],
    ].sort());
    expect(d.summary.zh).toContain('合并试点二');
    expect(d.summary.en).toContain('合并试点二');
    const basic = d.access.find((x: { class: { key: string } }) => x.class.key === 'basic');
    expect(basic.totals.gaining).toBe(0);
    // Closing a clinic moves the people of its catchment to another one.
    expect(basic.catchments.find((x: { facilityId: number }) => x.facilityId === a!.id)).toMatchObject({ after: 0 });

    const csv = await get(`/api/scenarios/${s.id}/diff/export?unit=150430&format=csv`);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.charCodeAt(0)).toBe(0xfeff);
    expect(csv.body).toContain(a!.name);
    const xlsx = await get(`/api/scenarios/${s.id}/diff/export?unit=150430&format=xlsx`);
    expect(xlsx.statusCode).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(book.worksheets.length).toBeGreaterThan(1);

    // Another scenario based on this one inherits its changes; the diff against it shows only its own.
    const child = await post('/api/scenarios', { name: '子情景', basedOn: s.id });
    expect(child.statusCode, child.body).toBe(201);
    expect(child.json().changes.every((x: { inherited: boolean }) => x.inherited)).toBe(true);
    const childVersion = await add(child.json().id, child.json().version, { kind: 'close_facility', facilityId: b!.id });
    const vsParent = (await get(`/api/scenarios/${child.json().id}/diff?against=${s.id}&unit=150430`)).json();
    expect(vsParent.against).toMatchObject({ id: s.id });
    expect(vsParent.facilities.map((f: { id: number }) => f.id)).toEqual([b!.id]);

    const copy = await post(`/api/scenarios/${s.id}/duplicate`, {});
    expect(copy.statusCode, copy.body).toBe(201);
    expect(copy.json()).toMatchObject({ name: '合并试点二（副本）', version: 1, owner: 'local' });
    expect(copy.json().changes.map((x: { change: unknown }) => x.change)).toEqual(d.changes.map((x: { change: unknown }) => x.change));

    const listed = (await get('/api/scenarios')).json();
    expect(listed.scenarios.map((x: { id: number }) => x.id)).toEqual(expect.arrayContaining([s.id, child.json().id, copy.json().id]));

    // Deleting the parent keeps what the child evaluates to: its changes are copied in.
    const stale = await app.inject({ method: 'DELETE', url: `/api/scenarios/${s.id}?version=${version - 1}` });
    expect(stale.statusCode).toBe(409);
    const deleted = await app.inject({ method: 'DELETE', url: `/api/scenarios/${s.id}?version=${version}` });
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json()).toEqual({ deleted: s.id, flattenedInto: [child.json().id] });
    expect((await get(`/api/scenarios/${s.id}`)).statusCode).toBe(404);
    const flattened = (await get(`/api/scenarios/${child.json().id}`)).json();
    expect(flattened.version).toBeGreaterThan(childVersion);
    expect(flattened.basedOn).toEqual([]);
    expect(flattened.changes.map((x: { kind: string; inherited: boolean }) => [x.kind, x.inherited])).toEqual([
      ['close_facility', false],
      ['update_facility', false],
      ['close_facility', false],
    ]);
  });

  it('the merge advisor proposes candidates for Aohan, each evaluated, and one becomes a scenario change', async () => {
    const res = await get('/api/merge-advisor?unit=150430&limit=20');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.scope.code).toBe('150430');
    expect(body.numberMatched).toBeGreaterThan(0);
    expect(body.candidates.length).toBeGreaterThan(0);
    const ranks = body.candidates.map((c: { rank: number }) => c.rank);
    expect(ranks).toEqual([...ranks].sort((x: number, y: number) => x - y));
    const evaluated = body.candidates.filter((c: { effect: unknown }) => c.effect !== null);
    expect(evaluated.length).toBeGreaterThan(0);
    // Ranked: candidates that newly fail no rule come first.
    const failing = evaluated.map((c: { effect: { newlyFailing: number } }) => c.effect.newlyFailing > 0);
    expect(failing).toEqual([...failing].sort((x: boolean, y: boolean) => Number(x) - Number(y)));
    // The advisor's figures (its diff looks only at the cells the update changed) are those of the
    // same change as a scenario (the full diff, region-wide), for the best and the worst candidates.
    for (const candidate of [evaluated[0], evaluated[1], evaluated[evaluated.length - 1]]) {
      const s = await create(`顾问建议 ${candidate.key}`);
      const added = await post(`/api/scenarios/${s.id}/changes`, { version: s.version, change: candidate.change });
      expect(added.statusCode, added.body).toBe(201);
      const diff = (await get(`/api/scenarios/${s.id}/diff`)).json();
      expect(diff.rules.newlyFailing, candidate.key).toBe(candidate.effect.newlyFailing);
      expect(diff.rules.fixed, candidate.key).toBe(candidate.effect.fixed);
      expect(diff.access.find((c: { class: { key: string } }) => c.class.key === candidate.effect.class).totals, candidate.key).toEqual(candidate.effect.access);
      expect(diff.access.reduce((n: number, c: { totals: { losing: number } }) => n + c.totals.losing, 0), candidate.key).toBe(candidate.effect.losingAnyClass);
    }
  });

  describe('bad input: 4xx naming the problem in English and Chinese, nothing written', () => {
    let scenario: { id: number; version: number };
    let closed: FacilityRow;
    let hospital: FacilityRow;

    beforeAll(async () => {
      scenario = await create('错误输入');
      closed = clinics[5]!;
      scenario.version = await add(scenario.id, scenario.version, { kind: 'close_facility', facilityId: closed.id });
      hospital = facilities.find((f) => f.type === 'general_hospital')!;
    });

    async function snapshot() {
      return {
        scenario: await db.db.selectFrom('scenario').selectAll().where('id', '=', scenario.id).executeTakeFirstOrThrow(),
        changes: await count(db.db, 'scenario_change'),
        scenarios: await count(db.db, 'scenario'),
        audit: await count(db.db, 'audit_log'),
        facilities: await count(db.db, 'facility'),
      };
    }

    const cases: [string, () => { method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'; url: string; payload?: object }, number, RegExp][] = [
      ['an unknown facility id', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'close_facility', facilityId: 987654321 } } }), 400, /no facility with id 987654321/],
      ['an unknown unit code (population)', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'set_unit_population', unitCode: '150430999999', population: 100 } } }), 400, /150430999999/],
      [
        'an unknown unit code (new facility)',
        () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'add_facility', facility: { name: '新卫生室', type: 'village_clinic', location: { lon: 119.92, lat: 42.28 }, unitCode: '150430999998' } } } }),
        400,
        /150430999998/,
      ],
      ['closing a facility closed earlier in the scenario', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'close_facility', facilityId: closed.id } } }), 400, /already closed by change #1 of this scenario/],
      ['updating a facility closed earlier in the scenario', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'update_facility', facilityId: closed.id, set: { beds: 3 } } } }), 400, /already closed by change #1/],
      ['merging a facility closed earlier in the scenario', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'merge_facilities', facilityIds: [clinics[6]!.id, closed.id] } } }), 400, /already closed/],
      ['merging a facility with itself', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'merge_facilities', facilityIds: [clinics[6]!.id, clinics[6]!.id] } } }), 400, /cannot be merged with itself/],
      ['an empty merge', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'merge_facilities', facilityIds: [] } } }), 400, /empty merge/],
      ['a merge of one facility', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'merge_facilities', facilityIds: [clinics[6]!.id] } } }), 400, /at least two/],
      ['merging different types without saying so', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'merge_facilities', facilityIds: [clinics[6]!.id, hospital.id] } } }), 400, /allowMixedTypes/],
      ['a survivor outside the merge', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'merge_facilities', facilityIds: [clinics[6]!.id, clinics[7]!.id], survivorId: clinics[8]!.id } } }), 400, /survivor/],
      ['moving a facility outside the region (Beijing)', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'move_facility', facilityId: hospital.id, location: { lon: 116.4, lat: 39.9 } } } }), 400, /outside Inner Mongolia/],
      ['a new facility outside the region', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'add_facility', facility: { name: '京外', type: 'general_hospital', location: { lon: 116.4, lat: 39.9 } } } } }), 400, /outside Inner Mongolia/],
      ['negative beds', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'update_facility', facilityId: hospital.id, set: { beds: -5 } } } }), 400, /beds/],
      ['negative staff on a new facility', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'add_facility', facility: { name: '新', type: 'village_clinic', location: { lon: 119.92, lat: 42.28 }, staff: { villageDoctors: -1 } } } } }), 400, /villageDoctors/],
      ['an unknown change kind', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'demolish', facilityId: hospital.id } } }), 400, /kind/],
      ['an unknown department', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'update_facility', facilityId: hospital.id, set: { departments: ['astrology'] } } } }), 400, /departments/],
      ['a position beyond the end', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version, change: { kind: 'close_facility', facilityId: hospital.id }, position: 5 } }), 400, /position/],
      ['a stale version (add)', () => ({ method: 'POST', url: `/api/scenarios/${scenario.id}/changes`, payload: { version: scenario.version - 1, change: { kind: 'close_facility', facilityId: hospital.id } } }), 409, /changed by someone else/],
      ['a stale version (rename)', () => ({ method: 'PATCH', url: `/api/scenarios/${scenario.id}`, payload: { version: scenario.version - 1, name: '新名' } }), 409, /changed by someone else/],
      ['a stale version (delete)', () => ({ method: 'DELETE', url: `/api/scenarios/${scenario.id}?version=${scenario.version - 1}` }), 409, /changed by someone else/],
      ['a reorder that is not a permutation', () => ({ method: 'PUT', url: `/api/scenarios/${scenario.id}/changes/order`, payload: { version: scenario.version, order: [1, 2, 3] } }), 400, /order must list/],
      ['removing a change of another scenario', () => ({ method: 'DELETE', url: `/api/scenarios/${scenario.id}/changes/987654?version=${scenario.version}` }), 404, /no change 987654/],
      ['a change to an unknown scenario', () => ({ method: 'POST', url: '/api/scenarios/987654/changes', payload: { version: 1, change: { kind: 'close_facility', facilityId: hospital.id } } }), 404, /987654/],
      ['a scenario based on an unknown one', () => ({ method: 'POST', url: '/api/scenarios', payload: { name: 'x', basedOn: 987654 } }), 404, /987654/],
      ['a blank name', () => ({ method: 'POST', url: '/api/scenarios', payload: { name: '   ' } }), 400, /name/],
      ['a diff against something that is not a scenario id', () => ({ method: 'GET', url: `/api/scenarios/${scenario.id}/diff?against=yesterday` }), 400, /against/],
    ];

    for (const [what, request, status, pattern] of cases) {
      it(what, async () => {
        const before = await snapshot();
        const res = await app.inject(request());
        expect(res.statusCode, res.body).toBe(status);
        const body = res.json();
        expect(body.message).toMatch(pattern);
        expect(body.messageZh).toMatch(/[\u4e00-\u9fff]/);
        if (status === 409) expect(body.currentVersion).toBe(scenario.version);
        expect(await snapshot()).toEqual(before);
      });
    }

    it('removing or reordering a change a later change depends on is refused (nothing written)', async () => {
      const s = await create('依赖');
      const added = await post(`/api/scenarios/${s.id}/changes`, {
        version: s.version,
        change: { kind: 'add_facility', facility: { name: '新建卫生室', type: 'village_clinic', location: { lon: clinics[9]!.lon + 0.01, lat: clinics[9]!.lat } } },
      });
      expect(added.statusCode, added.body).toBe(201);
      const newId = added.json().change.change.facilityId as number;
      expect(newId).toBeLessThan(0);
      const updated = await post(`/api/scenarios/${s.id}/changes`, { version: added.json().scenario.version, change: { kind: 'update_facility', facilityId: newId, set: { beds: 2 } } });
      expect(updated.statusCode, updated.body).toBe(201);
      const version = updated.json().scenario.version;
      const ids = (updated.json().scenario.changes as { id: number }[]).map((x) => x.id);
      const before = await snapshot();
      const remove = await app.inject({ method: 'DELETE', url: `/api/scenarios/${s.id}/changes/${ids[0]}?version=${version}` });
      expect(remove.statusCode, remove.body).toBe(400);
      expect(remove.json().message).toMatch(/would make change #\d+ \(update_facility\) invalid: no facility -\d+ was added earlier/);
      expect(remove.json().messageZh).toMatch(/[\u4e00-\u9fff]/);
      const reorder = await app.inject({ method: 'PUT', url: `/api/scenarios/${s.id}/changes/order`, payload: { version, order: [ids[1], ids[0]] } });
      expect(reorder.statusCode, reorder.body).toBe(400);
      expect(reorder.json().messageZh).toMatch(/[\u4e00-\u9fff]/);
      expect(await snapshot()).toEqual(before);
      const unchanged = (await get(`/api/scenarios/${s.id}`)).json();
      expect(unchanged.version).toBe(version);
      expect(unchanged.changes.map((x: { id: number }) => x.id)).toEqual(ids);
    });
  });

  describe('optimistic versions under concurrent writes', () => {
    it('five writes based on the same version: exactly one succeeds, the others get 409 with the current version', async () => {
      const s = await create('并发');
      const auditBefore = await count(db.db, 'audit_log');
      const targets = clinics.slice(12, 17);
      const responses = await Promise.all(targets.map((f) => post(`/api/scenarios/${s.id}/changes`, { version: s.version, change: { kind: 'close_facility', facilityId: f.id } })));
      const statuses = responses.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409]);
      const winner = responses.find((r) => r.statusCode === 201)!;
      for (const r of responses.filter((x) => x.statusCode === 409)) {
        expect(r.json()).toMatchObject({ code: 'VersionConflict', currentVersion: s.version + 1 });
        expect(r.json().messageZh).toContain('已被他人修改');
      }
      const stored = (await get(`/api/scenarios/${s.id}`)).json();
      expect(stored.version).toBe(s.version + 1);
      expect(stored.changes).toHaveLength(1);
      expect(stored.changes[0].id).toBe(winner.json().change.id);
      expect(await count(db.db, 'audit_log')).toBe(auditBefore + 1);
    });

    it('concurrent renames and a delete based on the same version: exactly one succeeds', async () => {
      const s = await create('并发二');
      const responses = await Promise.all([
        app.inject({ method: 'PATCH', url: `/api/scenarios/${s.id}`, payload: { version: s.version, name: '甲' } }),
        app.inject({ method: 'PATCH', url: `/api/scenarios/${s.id}`, payload: { version: s.version, name: '乙' } }),
        post(`/api/scenarios/${s.id}/changes`, { version: s.version, change: { kind: 'close_facility', facilityId: clinics[17]!.id } }),
        app.inject({ method: 'DELETE', url: `/api/scenarios/${s.id}?version=${s.version}` }),
      ]);
      const ok = responses.filter((r) => r.statusCode < 300);
      expect(ok).toHaveLength(1);
      expect(responses.filter((r) => r.statusCode === 409 || r.statusCode === 404)).toHaveLength(3);
    });
  });
});

describe(`?scenario= on the access and tile routes: the scenario's read permission, tiles keyed by its version (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let owner: Credentials;
  let stranger: Credentials;
  let reader: Credentials;
  let admin: Credentials;
  let scenario: { id: number; version: number };
  let hospital: FacilityRow;
  let tile: Tile;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db, { auth: 'required' });
    owner = await loginAs(app, 'planner');
    stranger = await loginAs(app, 'planner');
    reader = await loginAs(app, 'viewer');
    admin = await loginAs(app, 'admin');
    hospital = (await aohanFacilities(db)).find((f) => f.type === 'general_hospital')!;
    tile = tileAt(hospital.lon, hospital.lat, 12);
    const created = await app.inject({ method: 'POST', url: '/api/scenarios', headers: owner.headers, payload: { name: '私有情景' } });
    expect(created.statusCode, created.body).toBe(201);
    const added = await app.inject({ method: 'POST', url: `/api/scenarios/${created.json().id}/changes`, headers: owner.headers, payload: { version: 1, change: { kind: 'close_facility', facilityId: hospital.id } } });
    expect(added.statusCode, added.body).toBe(201);
    scenario = { id: created.json().id, version: added.json().scenario.version };
    const shared = await app.inject({ method: 'PUT', url: `/api/scenarios/${scenario.id}/shares/${reader.user.name}`, headers: owner.headers, payload: { permission: 'read' } });
    expect(shared.statusCode, shared.body).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const urls = () => [
    `/api/access/units?unit=150430&scenario=${scenario.id}`,
    `/api/access/units/150430?scenario=${scenario.id}`,
    `/api/access/circle?unit=150430&scenario=${scenario.id}`,
    `/api/access/gaps?unit=150430&scenario=${scenario.id}`,
    `/api/access/catchments?unit=150430&scenario=${scenario.id}`,
    `/api/access/cells?bbox=119.8,42.2,120.0,42.4&scenario=${scenario.id}`,
    `/api/evaluations?unit=150430&scenario=${scenario.id}`,
    ...['units', 'facilities', 'cells', 'access'].map((layer) => `/api/tiles/${layer}/${tile.z}/${tile.x}/${tile.y}.pbf?scenario=${scenario.id}`),
    `/api/tiles/cells/7/${tileAt(hospital.lon, hospital.lat, 7).x}/${tileAt(hospital.lon, hospital.lat, 7).y}.pbf?scenario=${scenario.id}`,
  ];

  it('a private scenario of another user is not found there, exactly as GET /api/scenarios/:id', async () => {
    const direct = await app.inject({ method: 'GET', url: `/api/scenarios/${scenario.id}`, headers: stranger.headers });
    expect(direct.statusCode).toBe(404);
    for (const url of [...urls(), `/api/merge-advisor?unit=150430&limit=1&scenario=${scenario.id}`]) {
      const res = await app.inject({ method: 'GET', url, headers: stranger.headers });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ code: 'ScenarioNotFound' });
      expect(res.json().messageZh, url).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('the owner, a user it is shared with and an admin get the scenario’s figures', async () => {
    for (const who of [owner, reader, admin]) {
      for (const url of urls()) {
        const res = await app.inject({ method: 'GET', url, headers: who.headers });
        expect(res.statusCode, `${who.user.role} ${url}: ${res.body.slice(0, 300)}`).toBe(200);
      }
    }
    // The figures are the scenario's: the access envelope names it.
    const unit = (await app.inject({ method: 'GET', url: `/api/access/units/150430?scenario=${scenario.id}`, headers: reader.headers })).json();
    expect(unit.versions.scenario).toMatchObject({ id: scenario.id, version: scenario.version });
  });

  it('a malformed scenario parameter is a 400', async () => {
    for (const url of [`/api/access/units?scenario=abc`, `/api/tiles/facilities/${tile.z}/${tile.x}/${tile.y}.pbf?scenario=-1`]) {
      const res = await app.inject({ method: 'GET', url, headers: owner.headers });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().messageZh).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('tiles show the scenario’s facilities and change ETag with its version', async () => {
    const url = (q: string) => `/api/tiles/facilities/${tile.z}/${tile.x}/${tile.y}.pbf${q}`;
    const statusIn = (payload: Buffer) => {
      const layer = new VectorTile(new PbfReader(payload)).layers.facilities!;
      for (let i = 0; i < layer.length; i++) {
        const f = layer.feature(i);
        if (Number(f.properties.id) === hospital.id) return f.properties.status;
      }
      return undefined;
    };
    const baseline = await app.inject({ method: 'GET', url: url(''), headers: owner.headers });
    const before = await app.inject({ method: 'GET', url: url(`?scenario=${scenario.id}`), headers: owner.headers });
    expect(statusIn(baseline.rawPayload)).toBe('open');
    expect(statusIn(before.rawPayload)).toBe('closed');
    expect(before.headers.etag).not.toBe(baseline.headers.etag);
    // Same version: 304 on revalidation; another user's tile request is still refused.
    const again = await app.inject({ method: 'GET', url: url(`?scenario=${scenario.id}`), headers: { ...owner.headers, 'if-none-match': String(before.headers.etag) } });
    expect(again.statusCode).toBe(304);
    const sneaky = await app.inject({ method: 'GET', url: url(`?scenario=${scenario.id}`), headers: { ...stranger.headers, 'if-none-match': String(before.headers.etag) } });
    expect(sneaky.statusCode).toBe(404);

    // Reopen it in a new version: new ETag, new content (the cached tile of the old version is not served).
    const reopened = await app.inject({
      method: 'POST',
      url: `/api/scenarios/${scenario.id}/changes`,
      headers: owner.headers,
      payload: { version: scenario.version, change: { kind: 'update_facility', facilityId: hospital.id, set: { status: 'planned' } } },
    });
    expect(reopened.statusCode, reopened.body).toBe(201);
    scenario.version = reopened.json().scenario.version;
    const after = await app.inject({ method: 'GET', url: url(`?scenario=${scenario.id}`), headers: { ...owner.headers, 'if-none-match': String(before.headers.etag) } });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(statusIn(after.rawPayload)).toBe('planned');
    // The access layer too: keyed by the scenario's version.
    const access = (q: string) => app.inject({ method: 'GET', url: `/api/tiles/access/${tile.z}/${tile.x}/${tile.y}.pbf${q}`, headers: owner.headers });
    const [a0, a1] = [await access(''), await access(`?scenario=${scenario.id}`)];
    expect(a1.headers.etag).not.toBe(a0.headers.etag);
  });
});
