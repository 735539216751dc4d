/**
 * Scenario privacy helpers (server/auth/scenarios.ts) and the sharing routes,
 * plus the unit-scope helpers (server/auth/scope.ts) other routes call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { buildTestApp, createTestDatabase, engine, loginAs, type Credentials, type TestDatabase } from './helpers/db.ts';
import { insertFacility, insertUnit } from './helpers/fixtures.ts';
import { accessFrom, scenarioAccess, visibleScenarios } from '../server/auth/scenarios.ts';
import { assertCanEditFacility, assertCanEditUnits, facilitiesOutsideScope, pointsAt, scopePrefix, unitsContaining, unitsOutsideScope, valuesAt } from '../server/auth/scope.ts';
import { LOCAL_PRINCIPAL, type Principal } from '../server/auth/principal.ts';

function principalOf(c: Credentials): Principal {
  return { userId: c.user.id, name: c.user.name, displayName: c.user.displayName, role: c.user.role, unitCode: c.user.unitCode, mustChangePassword: false, via: 'session' };
}

describe(`scenario privacy and sharing (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let owner: Credentials;
  let colleague: Credentials;
  let stranger: Credentials;
  let viewer: Credentials;
  let admin: Credentials;
  let scenarioId: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db, { auth: 'required' });
    owner = await loginAs(app, 'planner');
    colleague = await loginAs(app, 'planner');
    stranger = await loginAs(app, 'planner');
    viewer = await loginAs(app, 'viewer');
    admin = await loginAs(app, 'admin');
    const row = await db.db.insertInto('scenario').values({ name: '合并试点', description: null, owner: owner.user.name, based_on_id: null }).returning('id').executeTakeFirstOrThrow();
    scenarioId = Number(row.id);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const access = (c: Credentials) => scenarioAccess(db.db, principalOf(c), scenarioId);

  it('is private to its owner until shared (admins may read)', async () => {
    expect(await access(owner)).toBe('owner');
    expect(await access(colleague)).toBe('none');
    expect(await access(viewer)).toBe('none');
    expect(await access(admin)).toBe('read');
    expect(await scenarioAccess(db.db, null, scenarioId)).toBe('none');
    expect(await scenarioAccess(db.db, principalOf(owner), 987654321)).toBe('none');
  });

  it('lists only visible scenarios', async () => {
    const other = await db.db.insertInto('scenario').values({ name: '别人的', description: null, owner: stranger.user.name, based_on_id: null }).returning('id').executeTakeFirstOrThrow();
    const ids = async (c: Credentials | null) =>
      (await db.db.selectFrom('scenario').select('id').where(visibleScenarios(c ? principalOf(c) : null)).orderBy('id').execute()).map((r) => Number(r.id));
    expect(await ids(owner)).toEqual([scenarioId]);
    expect(await ids(stranger)).toEqual([Number(other.id)]);
    expect(await ids(colleague)).toEqual([]);
    expect(await ids(null)).toEqual([]);
    expect(await ids(admin)).toEqual([scenarioId, Number(other.id)]);
  });

  it('shares read-only and editable with named users; only the owner manages shares', async () => {
    const share = (who: Credentials, user: string, permission: string) =>
      app.inject({ method: 'PUT', url: `/api/scenarios/${scenarioId}/shares/${user}`, headers: who.headers, payload: { permission } });
    // A stranger cannot even see that the scenario exists.
    const foreign = await share(stranger, stranger.user.name, 'edit');
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe('ScenarioNotFound');

    const readOnly = await share(owner, viewer.user.name, 'read');
    expect(readOnly.statusCode).toBe(200);
    expect(readOnly.json()).toMatchObject({ scenarioId, userName: viewer.user.name, permission: 'read', grantedBy: owner.user.name });
    expect(await access(viewer)).toBe('read');

    expect((await share(owner, colleague.user.name, 'edit')).statusCode).toBe(200);
    expect(await access(colleague)).toBe('edit');
    // A colleague with edit access still cannot re-share.
    expect((await share(colleague, stranger.user.name, 'read')).statusCode).toBe(403);
    expect(await access(stranger)).toBe('none');

    const list = await app.inject({ method: 'GET', url: `/api/scenarios/${scenarioId}/shares`, headers: owner.headers });
    expect(list.json()).toMatchObject({ scenarioId, owner: owner.user.name });
    expect(list.json().shares.map((s: { userName: string; permission: string }) => [s.userName, s.permission]).sort()).toEqual(
      [
        [colleague.user.name, 'edit'],
        [viewer.user.name, 'read'],
      ].sort(),
    );
    // A viewer with an edit share still cannot edit (editing needs the planner role).
    expect(accessFrom(principalOf(viewer), owner.user.name, 'edit')).toBe('read');

    expect((await share(owner, 'no-such-user', 'read')).statusCode).toBe(404);
    expect((await share(owner, owner.user.name, 'read')).statusCode).toBe(400);
    expect((await share(owner, viewer.user.name, 'admin')).statusCode).toBe(400);

    const unshare = await app.inject({ method: 'DELETE', url: `/api/scenarios/${scenarioId}/shares/${colleague.user.name}`, headers: owner.headers });
    expect(unshare.statusCode).toBe(200);
    expect(await access(colleague)).toBe('none');
    const audit = await db.db.selectFrom('audit_log').select(['action', 'actor']).where('entity_type', '=', 'scenario').where('entity_id', '=', String(scenarioId)).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['scenario.share', 'scenario.share', 'scenario.unshare']);
  });

  it('drops shares with the scenario', async () => {
    const temp = await db.db.insertInto('scenario').values({ name: 'temp', description: null, owner: owner.user.name, based_on_id: null }).returning('id').executeTakeFirstOrThrow();
    await app.inject({ method: 'PUT', url: `/api/scenarios/${temp.id}/shares/${colleague.user.name}`, headers: owner.headers, payload: { permission: 'read' } });
    await db.db.deleteFrom('scenario').where('id', '=', temp.id).execute();
    expect(await db.db.selectFrom('scenario_share').select('user_name').where('scenario_id', '=', temp.id).execute()).toEqual([]);
  });

  it('gives the local admin ownership of local scenarios', () => {
    expect(accessFrom(LOCAL_PRINCIPAL, 'local', null)).toBe('owner');
  });
});

describe(`unit scopes for editors (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let township: string;
  let village: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db, { auth: 'required' });
    // A township of Aohan Banner and one of its villages (the test seed has them; a fixture otherwise).
    const row = await db.db.selectFrom('admin_unit').select(['code', 'parent_code']).where('level', '=', 'village').where('banner_code', '=', '150430').orderBy('code').executeTakeFirst();
    if (row) {
      village = row.code;
      township = row.parent_code!;
    } else {
      township = '150430100';
      village = '150430100201';
      await insertUnit(db.db, { code: township, parent: '150430', level: 'township', name: '新惠镇' });
      await insertUnit(db.db, { code: village, parent: township, level: 'village', name: '测试村' });
    }
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('derives the subtree prefix of league, banner and township codes', () => {
    expect(scopePrefix('150000')).toBeNull();
    expect(scopePrefix('150400')).toBe('1504');
    expect(scopePrefix('150430')).toBe('150430');
    expect(scopePrefix('150430100')).toBe('150430100');
  });

  it('judges existing units by ancestry and unknown ones by code structure', async () => {
    const unknown = '150430999999'; // not in the database: judged by its code
    const codes = ['150430', township, village, unknown, '150402', '150102', '150400', '152500'];
    expect(await unitsOutsideScope(db.db, '150430', codes)).toEqual(['150102', '150400', '150402', '152500']);
    expect(await unitsOutsideScope(db.db, '150400', codes)).toEqual(['150102', '152500']);
    expect(await unitsOutsideScope(db.db, township, codes)).toEqual(['150102', '150400', '150402', '150430', unknown, '152500'].sort());
    expect(await unitsOutsideScope(db.db, '150000', codes)).toEqual([]);
  });

  it('judges facilities by where they stand', async () => {
    const inside = await insertFacility(db.db, { lon: 119.92, lat: 42.3, unit_code: village });
    const outside = await insertFacility(db.db, { lon: 111.68, lat: 40.82, unit_code: '150102' });
    expect(await facilitiesOutsideScope(db.db, '150430', [inside, outside, 987654321])).toEqual([outside]);
    expect(await facilitiesOutsideScope(db.db, '150400', [inside])).toEqual([]);
  });

  it('assertCanEditUnits / assertCanEditFacility: 403 OutOfScope outside, nothing inside, 403 below editor', async () => {
    const fake = (principal: Principal | null) => ({ principal, server: app }) as unknown as FastifyRequest;
    const scoped: Principal = { userId: 1, name: 'e', displayName: 'e', role: 'editor', unitCode: '150430', mustChangePassword: false, via: 'session' };
    await expect(assertCanEditUnits(fake(scoped), [village])).resolves.toBeUndefined();
    // Inside a transaction, on the transaction (the embedded engine has one connection).
    await expect(db.db.transaction().execute((trx) => assertCanEditUnits(fake(scoped), ['150102'], trx))).rejects.toMatchObject({ code: 'OutOfScope' });
    await expect(assertCanEditUnits(fake(scoped), ['150430', '150102'])).rejects.toMatchObject({ statusCode: 403, code: 'OutOfScope', extra: { outside: ['150102'] } });
    await expect(assertCanEditUnits(fake({ ...scoped, unitCode: null }), ['150102'])).resolves.toBeUndefined();
    await expect(assertCanEditUnits(fake({ ...scoped, role: 'admin' }), ['150102'])).resolves.toBeUndefined();
    await expect(assertCanEditUnits(fake({ ...scoped, role: 'planner', unitCode: null }), ['150430'])).rejects.toMatchObject({ statusCode: 403, code: 'Forbidden' });
    await expect(assertCanEditUnits(fake(null), ['150430'])).rejects.toMatchObject({ statusCode: 401 });
    const outside = await insertFacility(db.db, { lon: 111.68, lat: 40.82, unit_code: '150102' });
    await expect(assertCanEditFacility(fake(scoped), outside)).rejects.toMatchObject({ statusCode: 403, code: 'OutOfScope' });
  });

  it('finds the unit a point stands in (for moves by coordinates), converting GCJ-02', async () => {
    const [aohan] = await unitsContaining(db.db, [[119.92, 42.3]]);
    expect(aohan!.startsWith('150430')).toBe(true);
    expect(await unitsContaining(db.db, [[0, 0]])).toEqual([]);
    expect(pointsAt({ location: { lon: 119.92, lat: 42.3 } }, 'location')).toEqual([[119.92, 42.3]]);
    const [gcj] = pointsAt({ location: { lon: 119.92, lat: 42.3 }, crs: 'gcj02' }, 'location');
    expect(gcj![0]).toBeLessThan(119.92);
    expect(gcj![0]).toBeGreaterThan(119.9);
    expect(pointsAt({ location: { lon: 'x', lat: 1 } }, 'location')).toEqual([]);
    expect(pointsAt({ location: [1, 2] }, 'location')).toEqual([]);
  });

  it('lets a scoped editor edit inside the subtree and refuses everything outside it (end to end)', async () => {
    const editor = await loginAs(app, 'editor', { unitCode: '150430' });
    const f = await db.db.selectFrom('facility').select(['id', 'version', 'beds']).where('banner_code', '=', '150430').orderBy('id').executeTakeFirstOrThrow();
    const patch = (id: number, payload: object) => app.inject({ method: 'PATCH', url: `/api/facilities/${id}`, headers: editor.headers, payload });
    const inside = await patch(Number(f.id), { version: f.version, beds: (f.beds ?? 0) + 1 });
    expect(inside.statusCode, inside.body).toBe(200);
    const moved = await patch(Number(f.id), { version: f.version + 1, location: { lon: 120.5, lat: 49.5 } });
    expect(moved.statusCode).toBe(403);
    expect(moved.json().code).toBe('OutOfScope');
    const relabelled = await patch(Number(f.id), { version: f.version + 1, unitCode: '150102' });
    expect(relabelled.statusCode).toBe(403);
    const foreign = await insertFacility(db.db, { lon: 111.68, lat: 40.82, unit_code: '150102' });
    expect((await patch(foreign, { version: 1, beds: 1 })).statusCode).toBe(403);
    const closeForeign = await app.inject({ method: 'POST', url: `/api/facilities/${foreign}/close`, headers: editor.headers, payload: { version: 1 } });
    expect(closeForeign.statusCode).toBe(403);
    const created = await app.inject({
      method: 'POST',
      url: '/api/facilities',
      headers: editor.headers,
      payload: { code: 'SCOPE-OUT-1', name: '越界卫生室', type: 'village_clinic', location: { lon: 120.5, lat: 49.5 } },
    });
    expect(created.statusCode).toBe(403);
    const after = await db.db.selectFrom('facility').select(['version', 'unit_code']).where('id', '=', f.id).executeTakeFirstOrThrow();
    expect(after.version).toBe(f.version + 1);
    expect(after.unit_code.startsWith('150430')).toBe(true);
    expect(await db.db.selectFrom('facility').select('id').where('code', '=', 'SCOPE-OUT-1').execute()).toEqual([]);
  });

  it('reads scope targets the way validation would coerce them', () => {
    expect(valuesAt({ unitCode: '150430' }, 'unitCode')).toEqual(['150430']);
    expect(valuesAt({ unitCode: 150102 }, 'unitCode')).toEqual(['150102']);
    expect(valuesAt({ unitCode: ['150102'] }, 'unitCode')).toEqual(['150102']);
    expect(valuesAt({ changes: [{ unitCode: '1' }, { unitCode: '2' }, {}] }, 'changes.*.unitCode')).toEqual(['1', '2']);
    expect(valuesAt({ a: { b: ' 150430 ' } }, 'a.b')).toEqual(['150430']);
    expect(valuesAt(undefined, 'a')).toEqual([]);
    expect(valuesAt({ __proto__: { unitCode: 'x' } }, 'unitCode')).toEqual([]);
  });
});
