/**
 * Incremental recomputation (used by scenarios): after a change, updateAccess()
 * on the previous result must equal a full evaluation of the changed data —
 * same nearest facility, distance, minutes and state for every cell and class,
 * same per-unit figures — while recomputing only the affected cells.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import type { EvaluationContext } from '../server/engine/context.ts';
import { evaluateAccess, updateAccess, type AccessResult } from '../server/access/engine.ts';
import { DEFAULT_ACCESS_PARAMS, resolveAccessParams } from '../server/access/params.ts';
import { pointFromLonLat } from '../server/db/postgis.ts';
import { buildGrid, at, VILLAGES } from './fixtures/access/grid.ts';
import { fixtureContext, insertFacilities, withoutFacilities } from './fixtures/access/load.ts';

/** Every per-cell and per-unit figure of two results, keyed by cell id and facility id. */
function expectSameResults(a: AccessResult, b: AccessResult) {
  const cellIndexB = new Map<number, number>();
  for (let i = 0; i < b.cells.count; i++) cellIndexB.set(b.cells.ids[i]!, i);
  expect(a.cells.count).toBe(b.cells.count);
  a.classes.forEach((ca, k) => {
    const cb = b.classes[k]!;
    expect(ca.cls.key).toBe(cb.cls.key);
    const membersA = [...ca.members].map((f) => a.facilities.ids[f]).sort();
    const membersB = [...cb.members].map((f) => b.facilities.ids[f]).sort();
    expect(membersA).toEqual(membersB);
    for (let i = 0; i < a.cells.count; i++) {
      const j = cellIndexB.get(a.cells.ids[i]!)!;
      const fa = ca.nearest[i]! >= 0 ? a.facilities.ids[ca.nearest[i]!] : null;
      const fb = cb.nearest[j]! >= 0 ? b.facilities.ids[cb.nearest[j]!] : null;
      if (fa !== fb || ca.state[i] !== cb.state[j] || !Object.is(ca.distance[i], cb.distance[j]) || !Object.is(ca.minutes[i], cb.minutes[j])) {
        throw new Error(
          `class ${ca.cls.key}, cell ${a.cells.ids[i]}: incremental (${fa}, ${ca.distance[i]}, ${ca.minutes[i]}, ${ca.state[i]}) ≠ full (${fb}, ${cb.distance[j]}, ${cb.minutes[j]}, ${cb.state[j]})`,
        );
      }
    }
    expect(a.units.codes).toEqual(b.units.codes);
    for (const key of ['population', 'covered', 'gap', 'mobile', 'reachable', 'cells', 'p90Minutes', 'p90Distance'] as const) {
      expect(Array.from(ca.agg[key]), `${ca.cls.key}.${key}`).toEqual(Array.from(cb.agg[key]));
    }
    for (const key of ['sumMinutes', 'sumDistance'] as const) {
      ca.agg[key].forEach((v, u) => expect(Math.abs(v - cb.agg[key][u]!)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(v))));
    }
  });
}

describe(`incremental access updates (${engine})`, () => {
  let db: TestDatabase;
  let ids: Map<string, number>;
  let ctx: EvaluationContext;
  let base: AccessResult;
  const params = DEFAULT_ACCESS_PARAMS;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ facilities: ids } = await buildGrid(db.db));
    ctx = fixtureContext(db.db, 'G-');
  });
  afterAll(async () => {
    await db?.dispose();
  });
  beforeEach(async () => {
    base = await evaluateAccess(ctx, params);
  });

  const fullNow = () => evaluateAccess(ctx, params);

  it('closing a facility: incremental equals full, and only its catchment was recomputed', async () => {
    const id = ids.get('G-VC2')!;
    const basic = base.classes.find((c) => c.cls.key === 'basic')!;
    const index = [...base.facilities.ids].indexOf(id);
    const catchment = new Set<number>();
    for (let i = 0; i < base.cells.count; i++) if (basic.nearest[i] === index) catchment.add(i);
    expect(catchment.size).toBeGreaterThan(0);
    await db.db.updateTable('facility').set({ status: 'closed' }).where('id', '=', id).execute();
    try {
      const inc = await updateAccess(ctx, base, { facilityIds: [id] });
      expectSameResults(inc, await fullNow());
      // Only cells of its catchment can change in the basic class; a village clinic is in no other class.
      const changed = [...inc.changedCells!.get('basic')!];
      expect(changed.every((i) => catchment.has(i))).toBe(true);
      expect(inc.changedCells!.has('township')).toBe(false);
      expect(inc.classes.find((c) => c.cls.key === 'township')).toBe(base.classes.find((c) => c.cls.key === 'township'));
    } finally {
      await db.db.updateTable('facility').set({ status: 'open' }).where('id', '=', id).execute();
    }
  });

  it('adding, moving and re-typing facilities: incremental equals full', async () => {
    const added = await insertFacilities(db.db, [{ code: 'G-NEW', ...at(17000, 17000), type: 'township_health_centre', unit: VILLAGES[3]! }]);
    const moved = ids.get('G-VC4')!;
    const retyped = ids.get('G-VC3')!;
    const p = at(8000, 19000);
    await db.db.updateTable('facility').set({ location: pointFromLonLat(p.lon, p.lat) }).where('id', '=', moved).execute();
    await db.db.updateTable('facility').set({ type: 'township_health_centre' }).where('id', '=', retyped).execute();
    try {
      const inc = await updateAccess(ctx, base, { facilityIds: [added.get('G-NEW')!, moved, retyped] });
      expectSameResults(inc, await fullNow());
      expect(inc.changedCells!.get('township')!.length).toBeGreaterThan(0);
      // A later update applies to the updated result as well.
      await db.db.updateTable('facility').set({ status: 'closed' }).where('id', '=', added.get('G-NEW')!).execute();
      const again = await updateAccess(ctx, inc, { facilityIds: [added.get('G-NEW')!] });
      expectSameResults(again, await fullNow());
    } finally {
      await db.db.deleteFrom('facility').where('code', '=', 'G-NEW').execute();
      const q = at(4000, 20000);
      await db.db.updateTable('facility').set({ location: pointFromLonLat(q.lon, q.lat) }).where('id', '=', moved).execute();
      await db.db.updateTable('facility').set({ type: 'village_clinic' }).where('id', '=', retyped).execute();
    }
  });

  it('a scenario context (relations with the change applied) gives the same as full evaluation of that context', async () => {
    const closed = ids.get('G-THC')!;
    const scenario = withoutFacilities(ctx, [closed], 7, 3);
    const inc = await updateAccess(scenario, base, { facilityIds: [closed] });
    const full = await evaluateAccess(scenario, params);
    expectSameResults(inc, full);
    expect(inc.scenario).toEqual({ id: 7, version: 3 });
    // The baseline result is untouched.
    expectSameResults(base, await fullNow());
  });

  it('cell population and location changes, and a unit flagged for mobile service: incremental equals full', async () => {
    const { rows } = await sql<{ id: number }>`SELECT id FROM population_cell WHERE source = 'test fixture' ORDER BY id LIMIT 3`.execute(db.db);
    const [a, b, c] = rows.map((r) => Number(r.id)) as [number, number, number];
    const p = at(23000, 1000);
    await sql`UPDATE population_cell SET population = population + 1000 WHERE id = ${a}`.execute(db.db);
    await sql`UPDATE population_cell SET location = ${pointFromLonLat(p.lon, p.lat)} WHERE id = ${b}`.execute(db.db);
    await sql`UPDATE population_cell SET population = 0 WHERE id = ${c}`.execute(db.db);
    await sql`UPDATE admin_unit SET mobile_service = true WHERE code = ${VILLAGES[1]!}`.execute(db.db);
    try {
      const inc = await updateAccess(ctx, base, { cellIds: [a, b, c], unitCodes: [VILLAGES[1]!] });
      expectSameResults(inc, await fullNow());
    } finally {
      await sql`UPDATE admin_unit SET mobile_service = false WHERE code = ${VILLAGES[1]!}`.execute(db.db);
    }
  });

  it('the incremental path does less work than a full evaluation', async () => {
    const id = ids.get('G-VC1')!;
    const scenario = withoutFacilities(ctx, [id]);
    const inc = await updateAccess(scenario, base, { facilityIds: [id] });
    const changed = [...inc.changedCells!.values()].reduce((s, a) => s + a.length, 0);
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(base.cells.count);
    // Classes the facility is not in keep the very same arrays.
    const untouched = inc.classes.filter((c, k) => c === base.classes[k]);
    expect(untouched.map((c) => c.cls.key)).toEqual(expect.arrayContaining(['township', 'banner_hospital']));
  });

  it('works with non-default parameters (distance limits, mobile counted as covered)', async () => {
    const { params: custom, problems } = resolveAccessParams({
      mobileService: 'covered',
      classes: [{ key: 'basic', name: { zh: '基本', en: 'Basic' }, filter: { types: ['village_clinic', 'township_health_centre'] }, limit: { kind: 'distance', metres: 4000 } }],
      circleClass: 'basic',
    });
    expect(problems).toEqual([]);
    const b0 = await evaluateAccess(ctx, custom);
    const id = ids.get('G-VC5')!;
    const scenario = withoutFacilities(ctx, [id], 2, 1);
    expectSameResults(await updateAccess(scenario, b0, { facilityIds: [id] }), await evaluateAccess(scenario, custom));
  });
});
