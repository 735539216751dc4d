/**
 * The access engine on a synthetic sumu (test/fixtures/access/grid.ts): the
 * nearest facility agrees with an exhaustive search, per-unit sums add up,
 * gap polygons hold exactly the gap cells, catchments partition the people,
 * closing the only facility of a class in reach uncovers exactly its catchment.
 * The key SQL statements are snapshotted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import * as turf from '@turf/turf';
import type { Geometry, MultiPolygon, Polygon } from 'geojson';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import type { EvaluationContext } from '../server/engine/context.ts';
import { fixtureContext, withoutFacilities } from './fixtures/access/load.ts';
import { COVERED, GAP, MOBILE, evaluateAccess, type AccessResult } from '../server/access/engine.ts';
import { resolveAccessParams, type AccessParams } from '../server/access/params.ts';
import { unitFigures } from '../server/access/aggregate.ts';
import { catchments, gapAreas, unionOfSquares } from '../server/access/areas.ts';
import { cellsQuery, facilitiesQuery, unitsQuery } from '../server/access/inputs.ts';
import { vincenty } from '../server/access/geodesic.ts';
import { circleRow, villagesOutOfReach } from '../server/access/views.ts';
import { buildGrid, TOWNSHIP, VILLAGES } from './fixtures/access/grid.ts';

function testParams(overrides: Record<string, unknown> = {}): AccessParams {
  const { params, problems } = resolveAccessParams({
    classes: [
      { key: 'basic', name: { zh: '基本', en: 'Basic' }, filter: { types: ['village_clinic', 'township_health_centre', 'general_hospital'] }, limit: { kind: 'distance', metres: 3000 } },
      { key: 'township', name: { zh: '乡镇', en: 'Township' }, filter: { types: ['township_health_centre', 'general_hospital'] }, limit: { kind: 'time', minutes: 15 } },
      { key: 'mch', name: { zh: '妇幼', en: 'MCH' }, filter: { anyOf: [{ types: ['mch_hospital'] }, { departmentsAny: ['obstetrics'] }] }, limit: { kind: 'time', minutes: 60 } },
    ],
    circleClass: 'basic',
    ...overrides,
  });
  if (problems.length) throw new Error(JSON.stringify(problems));
  return params;
}

const byKey = (r: AccessResult, key: string) => r.classes.find((c) => c.cls.key === key)!;

describe(`access engine on a synthetic sumu (${engine})`, () => {
  let db: TestDatabase;
  let ctx: EvaluationContext;
  let result: AccessResult;
  let ids: Map<string, number>;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ facilities: ids } = await buildGrid(db.db));
    ctx = fixtureContext(db.db, 'G-');
    result = await evaluateAccess(ctx, testParams());
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('finds the same nearest facility as an exhaustive geodesic search (no all-pairs in the engine)', () => {
    for (const cls of result.classes) {
      for (let i = 0; i < result.cells.count; i++) {
        let best = -1;
        let bestD = Infinity;
        for (const f of cls.members) {
          const d = vincenty(result.cells.lon[i]!, result.cells.lat[i]!, result.facilities.lon[f]!, result.facilities.lat[f]!);
          if (d < bestD) {
            bestD = d;
            best = f;
          }
        }
        expect(cls.nearest[i]).toBe(best);
        expect(Math.abs(cls.distance[i]! - bestD)).toBeLessThan(1e-3);
      }
    }
  });

  it('puts the closed clinic in no class and counts only open facilities', () => {
    const closed = ids.get('G-VC-CLOSED')!;
    expect([...result.facilities.ids]).not.toContain(closed);
    expect(byKey(result, 'basic').members.length).toBe(7);
    expect(byKey(result, 'mch').members.length).toBe(1);
  });

  it('adds up per unit: covered + uncovered = population, and units sum to their parent', () => {
    for (const cls of result.classes) {
      const t = unitFigures(cls.agg, result.units.index.get(TOWNSHIP)!);
      const villages = VILLAGES.map((v) => unitFigures(cls.agg, result.units.index.get(v)!));
      expect(t.population).toBe(villages.reduce((s, v) => s + v.population, 0));
      expect(t.covered).toBe(villages.reduce((s, v) => s + v.covered, 0));
      expect(t.gap).toBe(villages.reduce((s, v) => s + v.gap, 0));
      for (let u = 0; u < result.units.count; u++) {
        const f = unitFigures(cls.agg, u);
        expect(f.covered + f.uncovered).toBe(f.population);
        expect(f.gap + f.mobile).toBe(f.uncovered);
      }
    }
    const { population } = unitFigures(byKey(result, 'basic').agg, result.units.index.get(TOWNSHIP)!);
    expect(population).toBeGreaterThan(0);
  });

  it('matches the cell table: the township’s population equals Σ of its cells in the database', async () => {
    const { rows } = await sql<{ p: number }>`SELECT sum(population)::int8 AS p FROM population_cell WHERE township_code = ${TOWNSHIP} AND source = 'test fixture'`.execute(db.db);
    expect(unitFigures(byKey(result, 'basic').agg, result.units.index.get(TOWNSHIP)!).population).toBe(Number(rows[0]!.p));
  });

  it('weights the mean and 90th percentile by people', () => {
    const cls = byKey(result, 'township');
    const u = result.units.index.get(VILLAGES[0]!)!;
    const list: { m: number; p: number }[] = [];
    for (let i = 0; i < result.cells.count; i++) if (result.cells.unit[i] === u) list.push({ m: cls.minutes[i]!, p: result.cells.population[i]! });
    const total = list.reduce((s, x) => s + x.p, 0);
    const mean = list.reduce((s, x) => s + x.m * x.p, 0) / total;
    list.sort((a, b) => a.m - b.m);
    let cum = 0;
    const p90 = list.find((x) => (cum += x.p) >= 0.9 * total)!.m;
    const f = unitFigures(cls.agg, u);
    expect(f.meanMinutes).toBeCloseTo(mean, 3);
    expect(f.p90Minutes).toBeCloseTo(p90, 3);
  });

  it('marks people out of reach in the mobile-service village as mobile, not as a gap', () => {
    const basic = byKey(result, 'basic');
    const ne = result.units.index.get(VILLAGES[3]!)!;
    let mobile = 0;
    for (let i = 0; i < result.cells.count; i++) {
      if (result.cells.unit[i] !== ne) continue;
      expect(basic.state[i]).not.toBe(GAP);
      if (basic.state[i] === MOBILE) mobile += result.cells.population[i]!;
    }
    expect(mobile).toBeGreaterThan(0);
    expect(unitFigures(basic.agg, ne)).toMatchObject({ gap: 0, mobile });
    // …and the villages listed as out of reach are ordered by people in gaps.
    const top = villagesOutOfReach(result, basic, result.units.index.get(TOWNSHIP)!);
    expect(top.length).toBeGreaterThan(0);
    for (let k = 1; k < top.length; k++) expect(top[k - 1]!.gap).toBeGreaterThanOrEqual(top[k]!.gap);
  });

  it('draws gap polygons that contain exactly the gap cells', async () => {
    const basic = byKey(result, 'basic');
    const areas = gapAreas(result, basic);
    expect(areas.length).toBeGreaterThan(1);
    const geoms = await unionOfSquares(db.db, result, areas.map((a) => Array.from(a.cells)));
    const inside = (g: Geometry | null, i: number) =>
      turf.booleanPointInPolygon([result.cells.lon[i]!, result.cells.lat[i]!], g as Polygon | MultiPolygon);
    let gapCells = 0;
    for (let i = 0; i < result.cells.count; i++) {
      const holders = areas.filter((_, k) => inside(geoms[k]!, i)).map((a) => a.id);
      if (basic.state[i] === GAP && result.cells.population[i]! > 0) {
        gapCells++;
        expect(holders).toHaveLength(1);
        expect(areas.find((a) => a.id === holders[0])!.cells).toContain(i);
      } else {
        expect(holders, `cell ${result.cells.ids[i]} (state ${basic.state[i]}) lies in a gap polygon`).toEqual([]);
      }
    }
    expect(areas.reduce((s, a) => s + a.cells.length, 0)).toBe(gapCells);
    // Figures of an area: people, area and the facility nearest to any of its cells.
    for (const a of areas) {
      expect(a.population).toBe([...a.cells].reduce((s, i) => s + result.cells.population[i]!, 0));
      expect(a.areaKm2).toBeCloseTo(a.cells.length, 6);
      const nearest = Math.min(...[...a.cells].map((i) => basic.distance[i]!));
      expect(a.nearestDistanceM).toBeCloseTo(nearest, 1);
      expect(nearest).toBeGreaterThan(3000.001);
    }
  });

  it('partitions people into catchments, with population per doctor and bed inputs', () => {
    for (const cls of result.classes) {
      const c = catchments(result, cls);
      const total = [...cls.members].reduce((s, f) => s + c.population[f]!, 0);
      expect(total).toBe(unitFigures(cls.agg, result.units.index.get('150000')!).population);
    }
  });

  it('closing the only facility of a class uncovers exactly its catchment', async () => {
    // The hospital is the only facility with obstetrics (class mch).
    const mch = byKey(result, 'mch');
    const hospital = [...result.facilities.ids].indexOf(ids.get('G-HOSP')!);
    const catchmentCells = new Set<number>();
    for (let i = 0; i < result.cells.count; i++) if (mch.nearest[i] === hospital) catchmentCells.add(i);
    expect(catchmentCells.size).toBe(result.cells.count);
    const scenario = withoutFacilities(ctx, [ids.get('G-HOSP')!]);
    const after = await evaluateAccess(scenario, testParams());
    const mchAfter = byKey(after, 'mch');
    for (let i = 0; i < result.cells.count; i++) {
      expect(mchAfter.nearest[i]).toBe(-1);
      if (mch.state[i] === COVERED) expect(mchAfter.state[i]).not.toBe(COVERED);
    }
    // In the basic class, closing it uncovers exactly the covered cells of its catchment that no other facility reaches.
    const basic = byKey(result, 'basic');
    const basicAfter = byKey(after, 'basic');
    for (let i = 0; i < result.cells.count; i++) {
      const wasOwn = basic.nearest[i] === hospital;
      if (!wasOwn) {
        expect(basicAfter.state[i]).toBe(basic.state[i]);
        expect(basicAfter.distance[i]).toBe(basic.distance[i]);
      }
    }
  });

  it('computes the 15-minute circle per unit against the target share, with mobile areas apart', () => {
    const r = circleRow(result, result.units.index.get(VILLAGES[3]!)!);
    expect(r.mobile).toBeGreaterThan(0);
    expect(r.population).toBe(r.within + r.mobile + r.gap);
    const t = circleRow(result, result.units.index.get(TOWNSHIP)!);
    expect(t.share).toBeCloseTo(t.within / (t.population - t.mobile), 6);
    expect(t.status).toBe(t.share! >= 0.9 ? 'pass' : 'fail');
    if (t.status === 'fail') expect(t.shortfallPeople).toBe(Math.ceil(0.9 * (t.population - t.mobile)) - t.within);
  });
});

// Same SQL on both engines: the snapshot name does not mention the engine.
describe('access engine statements', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('keeps the key statements stable (compiled SQL snapshot)', () => {
    const ctx = fixtureContext(db.db, 'G-');
    const params = testParams();
    const compile = (q: { compile: (db: never) => { sql: string; parameters: readonly unknown[] } }) => {
      const c = q.compile(db.db as never);
      return { sql: c.sql.replace(/\s+/g, ' ').trim(), parameters: c.parameters };
    };
    expect(compile(facilitiesQuery(ctx, params))).toMatchSnapshot();
    expect(compile(cellsQuery(ctx))).toMatchSnapshot();
    expect(compile(unitsQuery(ctx))).toMatchSnapshot();
  });
});
