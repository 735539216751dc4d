/**
 * The access engine: for every population cell and every facility class, the
 * facility reached first, its geodesic distance, the travel time and the
 * cell's state (covered / gap / mobile service); then the per-unit figures.
 *
 * `computeAccess` is the full evaluation; `updateAccess` applies a change
 * (facilities added, closed, moved or re-typed; cells or unit flags changed)
 * to a previous result and recomputes only the cells it can affect: cells whose
 * facility was removed, and cells the travel model says a new facility beats.
 * Both end in the same arrays as a full evaluation of the changed data
 * (test/access-incremental.test.ts).
 */
import { sql } from 'kysely';
import type { EvaluationContext } from '../engine/context.ts';
import { aggregateClass, COVERED, GAP, MOBILE, type UnitAggregates } from './aggregate.ts';
import {
  buildCellSet,
  buildUnitTable,
  deriveUnitFlags,
  loadFacilities,
  loadUnits,
  readCells,
  unitsQuery,
  type CellSet,
  type FacilitySet,
  type UnitTable,
} from './inputs.ts';
import { concatEcef } from './geodesic.ts';
import { paramsHash, type AccessParams, type FacilityClass } from './params.ts';
import { straightLineModel, type Assignment, type TravelModel } from './travel.ts';

export { COVERED, GAP, MOBILE };

export interface ClassAccess {
  cls: FacilityClass;
  /** Bit of the class in FacilitySet.mask. */
  bit: number;
  /** Facility indexes of the class. */
  members: Int32Array;
  nearest: Int32Array;
  distance: Float64Array;
  minutes: Float64Array;
  state: Uint8Array;
  agg: UnitAggregates;
}

export interface AccessTimings {
  loadMs: number;
  nearestMs: number;
  aggregateMs: number;
}

export interface AccessResult {
  params: AccessParams;
  paramsHash: string;
  dataVersion: number;
  scenario: { id: number; version: number } | null;
  cells: CellSet;
  units: UnitTable;
  facilities: FacilitySet;
  classes: ClassAccess[];
  model: TravelModel;
  timings: AccessTimings;
  /** Set by updateAccess: cell indexes whose assignment or state changed, per class key. */
  changedCells?: Map<string, Uint32Array>;
}

export interface AccessInputs {
  cells: CellSet;
  units: UnitTable;
  facilities: FacilitySet;
}

/**
 * Floating-point slack at a limit (not policy): a distance within 1 mm, or a
 * time within 1e-6 min (~0.5 mm at 30 km/h), of the limit is at the limit.
 */
export const LIMIT_TOLERANCE_M = 0.001;
export const LIMIT_TOLERANCE_MIN = 1e-6;

/**
 * covered = travel time (or distance) ≤ the class limit, inclusive (以内 includes
 * the number); out of reach in a mobile-service unit is MOBILE unless the
 * parameters fold it into covered or gap.
 */
export function stateOf(params: AccessParams, cls: FacilityClass, units: UnitTable, unit: number, facility: number, distance: number, minutes: number): number {
  if (facility >= 0) {
    const limit = cls.limit;
    if (limit.kind === 'time' ? minutes <= limit.minutes + LIMIT_TOLERANCE_MIN : distance <= limit.metres + LIMIT_TOLERANCE_M) return COVERED;
  }
  if (unit >= 0 && units.mobile[unit]) {
    if (params.mobileService === 'distinct') return MOBILE;
    if (params.mobileService === 'covered') return COVERED;
  }
  return GAP;
}

function membersOf(facilities: FacilitySet, bit: number): Int32Array {
  let n = 0;
  for (let f = 0; f < facilities.count; f++) if (facilities.mask[f]! & bit) n++;
  const members = new Int32Array(n);
  for (let f = 0, k = 0; f < facilities.count; f++) if (facilities.mask[f]! & bit) members[k++] = f;
  return members;
}

function computeClass(params: AccessParams, cls: FacilityClass, bit: number, inputs: AccessInputs, model: TravelModel): Omit<ClassAccess, 'agg'> {
  const { cells, facilities } = inputs;
  const members = membersOf(facilities, bit);
  const router = model.prepare(cells, facilities, members);
  const nearest = new Int32Array(cells.count).fill(-1);
  const distance = new Float64Array(cells.count).fill(NaN);
  const minutes = new Float64Array(cells.count).fill(NaN);
  const state = new Uint8Array(cells.count);
  const out: Assignment = { facility: -1, distance: NaN, minutes: NaN };
  for (let k = 0; k < cells.count; k++) {
    const i = cells.order[k]!;
    router.assign(i, out);
    nearest[i] = out.facility;
    distance[i] = out.distance;
    minutes[i] = out.minutes;
    state[i] = stateOf(params, cls, inputs.units, cells.unit[i]!, out.facility, out.distance, out.minutes);
  }
  return { cls, bit, members, nearest, distance, minutes, state };
}

export interface ComputeOptions {
  dataVersion?: number;
  scenario?: { id: number; version: number } | null;
  model?: TravelModel;
  loadMs?: number;
}

/** Full evaluation over loaded inputs (pure: no database). */
export function computeAccess(params: AccessParams, inputs: AccessInputs, options: ComputeOptions = {}): AccessResult {
  const model = options.model ?? straightLineModel(params, inputs.units);
  const t0 = performance.now();
  const partial = params.classes.map((cls, k) => computeClass(params, cls, 1 << k, inputs, model));
  const t1 = performance.now();
  const classes = partial.map((c) => ({ ...c, agg: aggregateClass(inputs.cells, inputs.units, c) }));
  const t2 = performance.now();
  return {
    params,
    paramsHash: paramsHash(params),
    dataVersion: options.dataVersion ?? 0,
    scenario: options.scenario ?? null,
    ...inputs,
    classes,
    model,
    timings: { loadMs: options.loadMs ?? 0, nearestMs: t1 - t0, aggregateMs: t2 - t1 },
  };
}

/** Load everything through the context and evaluate. */
export async function evaluateAccess(ctx: EvaluationContext, params: AccessParams, options: ComputeOptions & { inputs?: Partial<AccessInputs> } = {}): Promise<AccessResult> {
  const t0 = performance.now();
  const given = options.inputs ?? {};
  // Independent reads: on PostgreSQL they run at once on the pool (PGlite serialises them).
  const [units, rawCells, facilities] = await Promise.all([
    given.units ?? loadUnits(ctx),
    given.cells ? null : readCells(ctx),
    given.facilities ?? loadFacilities(ctx, params),
  ]);
  const cells = given.cells ?? buildCellSet(rawCells!, units);
  return computeAccess(
    params,
    { units, cells, facilities },
    { ...options, scenario: options.scenario ?? (ctx.scenarioId === null ? null : { id: ctx.scenarioId, version: ctx.scenarioVersion }), loadMs: performance.now() - t0 },
  );
}

export interface AccessChange {
  /** Facilities added, closed, moved or with changed attributes (ids as in ctx.facilities). */
  facilityIds?: readonly number[];
  /** Cells added, removed, moved or with a changed population. */
  cellIds?: readonly number[];
  /** Units whose urban / mobile_service flags or population changed. */
  unitCodes?: readonly string[];
}

function appendFacilities(base: FacilitySet, removed: Set<number>, added: FacilitySet): FacilitySet {
  const ecef = concatEcef(base.ecef, added.ecef);
  const mask = new Int32Array(base.count + added.count);
  const ids = new Float64Array(base.count + added.count);
  const synthetic = new Uint8Array(base.count + added.count);
  mask.set(base.mask);
  mask.set(added.mask, base.count);
  ids.set(base.ids);
  ids.set(added.ids, base.count);
  synthetic.set(base.synthetic);
  synthetic.set(added.synthetic, base.count);
  // Removed facilities keep their slot (indexes in earlier results stay valid) with no class.
  for (const f of removed) mask[f] = 0;
  return { count: ecef.count, ids, lon: ecef.lon, lat: ecef.lat, ecef, mask, synthetic };
}

/**
 * Apply a change to a previous result, recomputing only what it can affect.
 * Reads only the changed rows through `ctx` (the context with the change applied).
 */
export async function updateAccess(ctx: EvaluationContext, base: AccessResult, change: AccessChange, options: { dataVersion?: number } = {}): Promise<AccessResult> {
  const t0 = performance.now();
  const params = base.params;
  let units = base.units;
  let cells = base.cells;
  const recheck = new Set<number>(); // cells whose assignment must be recomputed in every class
  const restate = new Set<number>(); // cells whose state may change (flags) in every class

  if (change.unitCodes?.length) {
    const codes = [...new Set(change.unitCodes)];
    const { rows } = await sql<{ code: string; urban: boolean; mobile_service: boolean; population: number | null }>`
      SELECT u.code, u.urban, u.mobile_service, u.population FROM (${unitsQuery(ctx)}) AS u WHERE u.code = ANY(${codes}::text[])`.execute(ctx.db);
    const urbanOwn = Uint8Array.from(units.urbanOwn);
    const mobileOwn = Uint8Array.from(units.mobileOwn);
    const population = [...units.population];
    for (const r of rows) {
      const u = units.index.get(r.code);
      if (u === undefined) continue;
      urbanOwn[u] = r.urban ? 1 : 0;
      mobileOwn[u] = r.mobile_service ? 1 : 0;
      population[u] = r.population === null ? null : Number(r.population);
    }
    units = { ...units, urbanOwn, mobileOwn, population, urban: new Uint8Array(units.count), mobile: new Uint8Array(units.count) };
    deriveUnitFlags(units);
    for (let i = 0; i < cells.count; i++) {
      const u = cells.unit[i]!;
      if (u >= 0 && (units.urban[u] !== base.units.urban[u] || units.mobile[u] !== base.units.mobile[u])) restate.add(i);
    }
  }

  if (change.cellIds?.length) {
    const ids = [...new Set(change.cellIds)];
    const raw = await readCells(ctx, sql`c.id = ANY(${ids.map(String)}::int8[])`);
    const byId = new Map<number, number>();
    for (let i = 0; i < cells.count; i++) byId.set(cells.ids[i]!, i);
    const appended = raw.ids.filter((id) => !byId.has(id)).length;
    const count = cells.count + appended;
    const grow = <T extends Float64Array | Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(count);
      b.set(a);
      return b;
    };
    const next = {
      ids: grow(cells.ids, (n) => new Float64Array(n)),
      lon: grow(cells.lon, (n) => new Float64Array(n)),
      lat: grow(cells.lat, (n) => new Float64Array(n)),
      population: grow(cells.population, (n) => new Float64Array(n)),
      sizeM: grow(cells.sizeM, (n) => new Float64Array(n)),
      unit: grow(cells.unit, (n) => new Int32Array(n)),
      synthetic: grow(cells.synthetic, (n) => new Uint8Array(n)),
    };
    const seen = new Set<number>();
    let end = cells.count;
    for (let k = 0; k < raw.count; k++) {
      const id = raw.ids[k]!;
      seen.add(id);
      const i = byId.get(id) ?? end++;
      next.ids[i] = id;
      next.lon[i] = raw.lon[k]!;
      next.lat[i] = raw.lat[k]!;
      next.population[i] = raw.population[k]!;
      next.sizeM[i] = raw.sizeM[k]!;
      next.unit[i] = units.index.get(raw.unitCodes[k]!) ?? -1;
      next.synthetic[i] = raw.synthetic[k]!;
      recheck.add(i);
    }
    // A cell gone from the context keeps its slot with no people.
    for (const id of ids) {
      const i = byId.get(id);
      if (i !== undefined && !seen.has(id)) {
        next.population[i] = 0;
        recheck.add(i);
      }
    }
    const rebuilt = buildCellSet(
      { count, ids: next.ids, lon: next.lon, lat: next.lat, population: next.population, sizeM: next.sizeM, unitCodes: [], synthetic: next.synthetic },
      units,
    );
    cells = { ...rebuilt, unit: next.unit };
  }

  let facilities = base.facilities;
  const removedByClass = new Map<number, Set<number>>();
  const addedByClass = new Map<number, number[]>();
  if (change.facilityIds?.length) {
    const ids = [...new Set(change.facilityIds)];
    const fresh = await loadFacilities(ctx, params, ids);
    const changedIds = new Set(ids);
    const removed = new Set<number>();
    for (let f = 0; f < base.facilities.count; f++) if (base.facilities.mask[f] && changedIds.has(base.facilities.ids[f]!)) removed.add(f);
    facilities = appendFacilities(base.facilities, removed, fresh);
    params.classes.forEach((_, k) => {
      const bit = 1 << k;
      const r = new Set([...removed].filter((f) => base.facilities.mask[f]! & bit));
      const a: number[] = [];
      for (let j = 0; j < fresh.count; j++) if (fresh.mask[j]! & bit) a.push(base.facilities.count + j);
      if (r.size) removedByClass.set(k, r);
      if (a.length) addedByClass.set(k, a);
    });
  }

  const model = straightLineModel(params, units);
  const changedCells = new Map<string, Uint32Array>();
  const classes: ClassAccess[] = [];
  const t1 = performance.now();
  let nearestMs = 0;
  let aggregateMs = 0;
  params.classes.forEach((cls, k) => {
    const prev = base.classes[k]!;
    const removed = removedByClass.get(k);
    const added = addedByClass.get(k);
    const cellsGrew = cells.count !== base.cells.count;
    if (!removed && !added && recheck.size === 0 && restate.size === 0 && !cellsGrew) {
      classes.push(prev);
      return;
    }
    const s0 = performance.now();
    const bit = 1 << k;
    const members = removed || added ? membersOf(facilities, bit) : prev.members;
    const router = model.prepare(cells, facilities, members);
    const grow = <T extends Float64Array | Uint8Array | Int32Array>(a: T, make: (n: number) => T, fill: number): T => {
      const b = make(cells.count);
      b.fill(fill);
      b.set(a.subarray(0, Math.min(a.length, cells.count)));
      return b;
    };
    const nearest = grow(prev.nearest, (n) => new Int32Array(n), -1);
    const distance = grow(prev.distance, (n) => new Float64Array(n), NaN);
    const minutes = grow(prev.minutes, (n) => new Float64Array(n), NaN);
    const state = grow(prev.state, (n) => new Uint8Array(n), 0);
    const touched = new Set<number>(recheck);
    for (let i = base.cells.count; i < cells.count; i++) touched.add(i);
    if (removed) for (let i = 0; i < cells.count; i++) if (removed.has(nearest[i]!)) touched.add(i);
    const out: Assignment = { facility: -1, distance: NaN, minutes: NaN };
    for (const i of touched) {
      router.assign(i, out);
      nearest[i] = out.facility;
      distance[i] = out.distance;
      minutes[i] = out.minutes;
    }
    if (added) {
      const current: Assignment = { facility: -1, distance: NaN, minutes: NaN };
      for (let i = 0; i < cells.count; i++) {
        if (touched.has(i)) continue;
        current.facility = nearest[i]!;
        current.distance = distance[i]!;
        current.minutes = minutes[i]!;
        for (const f of added) {
          if (router.beats(i, f, current)) {
            // Re-assign through the router: it picks the best of all new facilities.
            router.assign(i, out);
            nearest[i] = out.facility;
            distance[i] = out.distance;
            minutes[i] = out.minutes;
            touched.add(i);
            break;
          }
        }
      }
    }
    for (const i of restate) {
      if (nearest[i]! >= 0) minutes[i] = model.minutes(cells, i, distance[i]!);
      touched.add(i);
    }
    const changed: number[] = [];
    for (const i of touched) {
      const st = stateOf(params, cls, units, cells.unit[i]!, nearest[i]!, distance[i]!, minutes[i]!);
      if (st !== state[i] || nearest[i] !== prev.nearest[i] || i >= base.cells.count || recheck.has(i)) changed.push(i);
      state[i] = st;
    }
    const s1 = performance.now();
    const arrays = { nearest, distance, minutes, state };
    // Same cells in the same slots: the previous sort orders only need the touched cells re-placed.
    const previous = cellsGrew ? undefined : { agg: prev.agg, changed: [...touched] };
    classes.push({ cls, bit, members, ...arrays, agg: aggregateClass(cells, units, arrays, previous) });
    aggregateMs += performance.now() - s1;
    nearestMs += s1 - s0;
    changedCells.set(cls.key, Uint32Array.from(changed.sort((a, b) => a - b)));
  });
  return {
    params,
    paramsHash: base.paramsHash,
    dataVersion: options.dataVersion ?? base.dataVersion,
    scenario: ctx.scenarioId === null ? base.scenario : { id: ctx.scenarioId, version: ctx.scenarioVersion },
    cells,
    units,
    facilities,
    classes,
    model,
    timings: { loadMs: t1 - t0, nearestMs, aggregateMs },
    changedCells,
  };
}

export { buildUnitTable };
