/**
 * Scenario evaluation, incremental: a scenario's results are an earlier
 * evaluation (the baseline's, or the same scenario's at an earlier version)
 * with only what the difference between the two states reaches recomputed —
 *
 *  - access: `updateAccess` re-assigns only the cells whose nearest facility
 *    left a class, the cells a new or moved facility beats, and the cells whose
 *    population changed (server/access/README.md);
 *  - rules: `evaluate(ctx, ruleSet, { units })` only for the units the
 *    difference reaches: the units (and ancestors) a changed facility stood or
 *    stands in; for village clinics also the villages it lists and the villages
 *    within the rule set's adjacency distance (joint clinics, 002:25); units
 *    whose population changed; and for the access rules (15-minute circle) the
 *    units whose cells changed state.
 *
 * `fullEvaluation` runs everything over the same scenario relations; the
 * property test (test/scenarios-incremental.test.ts) checks both agree on
 * random change sets.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { baselineContext, type EvaluationContext } from '../engine/context.ts';
import { evaluate, type Evaluation } from '../rules/engine.ts';
import { allRules } from '../rules/registry.ts';
import type { RuleSetRecord } from '../rules/ruleSets.ts';
import type { RuleResult } from '../rules/types.ts';
import type { AggregateReuse } from '../rules/evaluators/batch.ts';
import { prefilterDegrees } from '../rules/evaluators/villageClinic.ts';
import { PromiseCache } from '../access/cache.ts';
import { evaluateAccess, updateAccess, type AccessResult } from '../access/engine.ts';
import { LEVEL_COUNT, LEVEL_INDEX } from '../access/inputs.ts';
import { accessResult, rememberResult } from '../access/service.ts';
import type { Level } from '../domain/taxonomy.ts';
import { contextOf } from './context.ts';
import { baselineFor, POPULATION_COLUMNS, REGION, ScenarioState, type Facility } from './state.ts';
import { readDataVersion } from './repository.ts';

export interface EvaluationStats {
  /** What the evaluation started from. */
  base: 'baseline' | 'scenario' | 'full';
  facilitiesChanged: number;
  unitsChanged: number;
  cellsChanged: number;
  unitsReevaluated: number;
  /** Cells whose state or nearest facility changed, per class (vs the base). */
  cellsReassigned: Record<string, number>;
  timings: { stage: string; ms: number }[];
  totalMs: number;
}

/** Rule and access results of the baseline or of a scenario, for one rule set and data version. */
export interface Evaluated {
  ruleSet: RuleSetRecord;
  dataVersion: number;
  scenario: { id: number; version: number } | null;
  state: ScenarioState;
  /** The baseline's evaluation (region-wide), by unit code. */
  baseline: BaselineRules;
  /** Results of the units recomputed for this state (all rules of the unit), by unit code. */
  overrides: Map<string, RuleResult[]>;
  access: AccessResult;
  stats: EvaluationStats;
}

export interface BaselineRules {
  evaluation: Evaluation;
  byUnit: Map<string, RuleResult[]>;
  /**
   * The baseline's aggregate rows per reporting unit (server/rules/evaluators/batch.ts):
   * a re-evaluation rescans only the units whose facilities the scenario changed,
   * so league and region figures do not cost a scan of every facility again.
   */
  aggregates: AggregateReuse['rows'];
}

/** The rule results of one unit. */
export function unitResults(e: Evaluated, code: string): RuleResult[] {
  return e.overrides.get(code) ?? e.baseline.byUnit.get(code) ?? [];
}

/** Every rule result of an evaluation (baseline order, recomputed units in place). */
export function* allResults(e: Evaluated): Generator<RuleResult> {
  for (const [code, results] of e.baseline.byUnit) yield* e.overrides.get(code) ?? results;
  for (const [code, results] of e.overrides) if (!e.baseline.byUnit.has(code)) yield* results;
}

function byUnit(results: readonly RuleResult[]): Map<string, RuleResult[]> {
  const map = new Map<string, RuleResult[]>();
  for (const r of results) {
    const list = map.get(r.unit.code);
    if (list) list.push(r);
    else map.set(r.unit.code, [r]);
  }
  return map;
}

/** The baseline's data moved on while evaluating: the caller starts again. */
export class StaleBaseline extends Error {
  override name = 'StaleBaseline';
}

/**
 * The settings rule evaluations want (see server/rules/engine.ts), in one
 * transaction that reads a consistent snapshot; `fn` gets the data version that
 * snapshot sees. Settings and version in one round trip (set_config(…, true) is
 * SET LOCAL): a re-evaluation is a handful of statements, each round trip counts.
 */
async function inEvaluationTransaction<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>, dataVersion: number) => Promise<T>): Promise<T> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const { rows } = await sql<{ data_version: number | null }>`
        SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true),
               set_config('max_parallel_workers_per_gather', '0', true),
               (SELECT data_version FROM data_state WHERE id = 1) AS data_version`.execute(trx);
      return fn(trx, Number(rows[0]?.data_version ?? 0));
    });
}

function ms(t0: number): number {
  return Math.round((performance.now() - t0) * 10) / 10;
}

// ── baseline ────────────────────────────────────────────────────────────────

const baselines = new WeakMap<Kysely<Database>, PromiseCache<Evaluated>>();

function baselineCache(db: Kysely<Database>): PromiseCache<Evaluated> {
  let cache = baselines.get(db);
  if (!cache) baselines.set(db, (cache = new PromiseCache(4)));
  return cache;
}

/** The baseline's rules (region-wide) and access for a rule set, cached per rule set version and data version. */
export async function baselineEvaluated(db: Kysely<Database>, ruleSet: RuleSetRecord, dataVersion?: number): Promise<Evaluated> {
  const dv = dataVersion ?? (await readDataVersion(db));
  return baselineCache(db).get(`rs${ruleSet.id}@${ruleSet.version}|d${dv}`, async () => {
    const started = performance.now();
    const timings: { stage: string; ms: number }[] = [];
    let t = performance.now();
    const cached = await accessResult(db, ruleSet.params.access, baselineContext(db), dv);
    timings.push({ stage: 'access (baseline)', ms: ms(t) });
    t = performance.now();
    const aggregates: AggregateReuse['rows'] = new Map();
    // Never stale: when an edit landed meanwhile, access is evaluated again in the
    // rules' snapshot, so both are of the data version that snapshot sees.
    const { evaluation, access, version } = await inEvaluationTransaction(db, async (trx, current) => {
      const ctx = baselineContext(trx);
      const access = current === dv ? cached : await evaluateAccess(ctx, ruleSet.params.access, { dataVersion: current });
      rememberResult(trx, ctx, access);
      const evaluation = await evaluate(ctx, ruleSet, { dataVersion: current, aggregates: { rows: aggregates } });
      return { evaluation, access, version: current };
    });
    timings.push({ stage: version === dv ? 'rules (baseline)' : `rules and access (baseline; data moved on to version ${version})`, ms: ms(t) });
    return {
      ruleSet,
      dataVersion: version,
      scenario: null,
      state: new ScenarioState(baselineFor(db, version)),
      baseline: { evaluation, byUnit: byUnit(evaluation.results), aggregates },
      overrides: new Map(),
      access,
      stats: { base: 'full', facilitiesChanged: 0, unitsChanged: 0, cellsChanged: 0, unitsReevaluated: evaluation.results.length > 0 ? byUnit(evaluation.results).size : 0, cellsReassigned: {}, timings, totalMs: ms(started) },
    };
  });
}

// ── what a difference reaches ───────────────────────────────────────────────

export interface FacilityDelta {
  id: number;
  before: Facility | null;
  after: Facility | null;
}

export interface StateDiff {
  facilities: FacilityDelta[];
  units: string[];
  cells: number[];
}

function sameFacility(a: Facility | null, b: Facility | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.lon !== b.lon || a.lat !== b.lat) return false;
  const keys = new Set([...Object.keys(a.row), ...Object.keys(b.row)]);
  for (const k of keys) {
    if (k === 'updated_at' || k === 'version') continue;
    if (JSON.stringify(a.row[k]) !== JSON.stringify(b.row[k])) return false;
  }
  return true;
}

/** Facilities, units and cells whose effective rows differ between two states of one baseline. */
export function diffStates(a: ScenarioState, b: ScenarioState): StateDiff {
  // States of two data versions (a diff whose sides were evaluated while edits landed) each hold
  // only the baseline rows their own changes needed: a row one side never loaded is the other's.
  const other = a.base !== b.base;
  const facilities: FacilityDelta[] = [];
  for (const id of new Set([...a.facilities.keys(), ...b.facilities.keys()])) {
    const before = a.facility(id) ?? (other ? (b.base.facilities.get(id) ?? null) : null);
    const after = b.facility(id) ?? (other ? (a.base.facilities.get(id) ?? null) : null);
    if (!sameFacility(before, after)) facilities.push({ id, before, after });
  }
  const units: string[] = [];
  for (const code of new Set([...a.units.keys(), ...b.units.keys()])) {
    const x = a.unit(code) ?? (other ? (b.base.units.get(code) ?? null) : null);
    const y = b.unit(code) ?? (other ? (a.base.units.get(code) ?? null) : null);
    if (POPULATION_COLUMNS.some((c) => x?.[c] !== y?.[c])) units.push(code);
  }
  const cells: number[] = [];
  for (const id of new Set([...a.cells.keys(), ...b.cells.keys()])) if (a.cells.get(id) !== b.cells.get(id)) cells.push(id);
  return { facilities: facilities.sort((x, y) => x.id - y.id), units: units.sort(), cells: cells.sort((x, y) => x - y) };
}

export function diffSize(d: StateDiff): number {
  return d.facilities.length * 4 + d.units.length + d.cells.length / 50;
}

function withAncestors(out: Set<string>, row: { unit_code?: string; code?: string; township_code: string | null; banner_code: string | null; league_code: string | null }): void {
  const own = row.unit_code ?? row.code;
  if (own) out.add(own);
  for (const c of [row.township_code, row.banner_code, row.league_code]) if (c) out.add(c);
  out.add(REGION);
}

/** Levels the access-kind rules (the 15-minute circle …) are evaluated at. */
function accessRuleLevels(): Set<Level> {
  return new Set(allRules().filter((r) => r.kind === 'access').flatMap((r) => r.levels));
}

/**
 * Units whose rule results the difference can change (see the module comment).
 * `access` is the updated access result (its changed cells).
 */
async function reachedUnits(trx: Kysely<Database>, ruleSet: RuleSetRecord, diff: StateDiff, target: ScenarioState, access: AccessResult | null): Promise<Set<string>> {
  const out = new Set<string>();
  const clinicSites: { lon: number; lat: number }[] = [];
  for (const d of diff.facilities) {
    for (const f of [d.before, d.after]) {
      if (!f) continue;
      withAncestors(out, f.row);
      if (f.row.type === 'village_clinic') {
        clinicSites.push({ lon: f.lon, lat: f.lat });
        for (const v of f.row.villages_served) {
          const unit = target.unit(v);
          if (unit) withAncestors(out, unit);
          else out.add(v);
        }
      }
    }
  }
  if (clinicSites.length > 0 && ruleSet.params.rules.adjacencyMode !== 'listed_only') {
    const metres = ruleSet.params.rules.adjacencyMetres;
    // Villages for which a changed clinic is (or was) a partner within the adjacency distance.
    const { rows } = await sql<{ code: string; township_code: string | null; banner_code: string | null; league_code: string | null }>`
      SELECT DISTINCT v.code, v.township_code, v.banner_code, v.league_code
      FROM unnest(${clinicSites.map((s) => s.lon)}::float8[], ${clinicSites.map((s) => s.lat)}::float8[]) AS p(lon, lat)
      JOIN admin_unit AS v ON v.level = 'village' AND v.point IS NOT NULL
        AND ST_DWithin(v.point, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326), ${prefilterDegrees(metres)}::float8)
        AND ST_DWithin(v.point::geography, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)::geography, ${metres}::float8)`.execute(trx);
    for (const r of rows) withAncestors(out, r);
  }
  for (const code of diff.units) {
    const unit = target.unit(code);
    if (unit) withAncestors(out, unit);
  }
  if (access?.changedCells) {
    const levels = accessRuleLevels();
    const { cells, units } = access;
    const touched = new Set<number>();
    for (const list of access.changedCells.values()) for (const i of list) if (cells.unit[i]! >= 0) touched.add(cells.unit[i]!);
    for (const u of touched) {
      for (const level of levels) {
        const a = units.ancestors[u * LEVEL_COUNT + LEVEL_INDEX[level]]!;
        if (a >= 0) out.add(units.codes[a]!);
      }
    }
  }
  return out;
}

// ── incremental and full ────────────────────────────────────────────────────

export interface Target {
  state: ScenarioState;
  scenario: { id: number; version: number } | null;
}

/** The target's results from an earlier evaluation of the same baseline and rule set. */
export async function reevaluate(db: Kysely<Database>, base: Evaluated, target: Target): Promise<Evaluated> {
  const started = performance.now();
  const timings: { stage: string; ms: number }[] = [];
  let t = performance.now();
  const lap = (stage: string) => {
    timings.push({ stage, ms: ms(t) });
    t = performance.now();
  };
  const diff = diffStates(base.state, target.state);
  const { access, results, reached } = await inEvaluationTransaction(db, async (trx, current) => {
    if (current !== base.dataVersion) throw new StaleBaseline();
    const ctx: EvaluationContext = contextOf(trx, target.state, target.scenario);
    const change = {
      facilityIds: diff.facilities.map((d) => d.id),
      cellIds: diff.cells,
      unitCodes: diff.units,
    };
    const touched = change.facilityIds.length + change.cellIds.length + change.unitCodes.length > 0;
    const access = touched ? await updateAccess(ctx, base.access, change, { dataVersion: base.dataVersion }) : base.access;
    lap('access (incremental)');
    const reached = await reachedUnits(trx, base.ruleSet, diff, target.state, touched ? access : null);
    lap('units reached');
    if (reached.size === 0) return { access, results: [] as RuleResult[], reached };
    rememberResult(trx, ctx, access);
    // Facilities that differ from the baseline's (whose aggregate rows are kept), as they were and as they are.
    const changed = diffStates(new ScenarioState(target.state.base), target.state).facilities.flatMap((d) => [d.before, d.after].flatMap((f) => (f ? [f.row] : [])));
    const evaluation = await evaluate(ctx, base.ruleSet, { units: [...reached], dataVersion: base.dataVersion, timings, aggregates: { rows: base.baseline.aggregates, changed } });
    lap(`rules (${reached.size} units)`);
    return { access, results: evaluation.results, reached };
  });
  const overrides = new Map(base.overrides);
  const fresh = byUnit(results);
  for (const code of reached) overrides.set(code, fresh.get(code) ?? []);
  const cellsReassigned: Record<string, number> = {};
  for (const [key, list] of access.changedCells ?? []) cellsReassigned[key] = list.length;
  return {
    ruleSet: base.ruleSet,
    dataVersion: base.dataVersion,
    scenario: target.scenario,
    state: target.state,
    baseline: base.baseline,
    overrides,
    access,
    stats: {
      base: base.scenario ? 'scenario' : 'baseline',
      facilitiesChanged: diff.facilities.length,
      unitsChanged: diff.units.length,
      cellsChanged: diff.cells.length,
      unitsReevaluated: reached.size,
      cellsReassigned,
      timings,
      totalMs: ms(started),
    },
  };
}

/** Everything evaluated from scratch over the scenario relations (no reuse): the reference the incremental path must match. */
export async function fullEvaluation(db: Kysely<Database>, ruleSet: RuleSetRecord, target: Target, baseline: BaselineRules): Promise<Evaluated> {
  return inEvaluationTransaction(db, (trx, dataVersion) => fullEvaluationIn(trx, dataVersion, ruleSet, target, baseline));
}

/**
 * A scenario evaluated from scratch in one snapshot: its changes applied to the
 * data that snapshot sees (`prepare` builds the state with `trx`), rules and
 * access over the scenario relations. Slower than the incremental path (a whole
 * region), but it cannot go stale — the fallback while edits keep moving the data.
 */
export async function snapshotEvaluation<M extends { state: ScenarioState; scenario: { id: number; version: number } }>(
  db: Kysely<Database>,
  ruleSet: RuleSetRecord,
  prepare: (trx: Transaction<Database>, dataVersion: number) => Promise<M>,
): Promise<{ model: M; evaluated: Evaluated }> {
  return inEvaluationTransaction(db, async (trx, dataVersion) => {
    const model = await prepare(trx, dataVersion);
    const target: Target = { state: model.state, scenario: { id: model.scenario.id, version: model.scenario.version } };
    const evaluated = await fullEvaluationIn(trx, dataVersion, ruleSet, target, null);
    return { model, evaluated };
  });
}

async function fullEvaluationIn(trx: Transaction<Database>, dataVersion: number, ruleSet: RuleSetRecord, target: Target, baselineRules: BaselineRules | null): Promise<Evaluated> {
  const started = performance.now();
  const ctx = contextOf(trx, target.state, target.scenario);
  const access = await evaluateAccess(ctx, ruleSet.params.access, { dataVersion });
  rememberResult(trx, ctx, access);
  const evaluation = await evaluate(ctx, ruleSet, { dataVersion });
  const overrides = byUnit(evaluation.results);
  // Without a baseline of this version, the evaluation stands for itself.
  const baseline = baselineRules ?? { evaluation, byUnit: new Map<string, RuleResult[]>(), aggregates: new Map() };
  for (const code of baseline.byUnit.keys()) if (!overrides.has(code)) overrides.set(code, []);
  return {
    ruleSet,
    dataVersion,
    scenario: target.scenario,
    state: target.state,
    baseline,
    overrides,
    access,
    stats: { base: 'full', facilitiesChanged: 0, unitsChanged: 0, cellsChanged: 0, unitsReevaluated: overrides.size, cellsReassigned: {}, timings: [], totalMs: ms(started) },
  };
}
