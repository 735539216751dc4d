/**
 * A scenario against the baseline (or another scenario): per unit the rules
 * whose status changed (before/after measured values and shortfalls), people
 * losing and gaining access per facility class, how much further the people
 * affected travel (> 5, > 15, > 30 minutes), the facilities changed and whose
 * catchments moved, and the one-paragraph summary (summary.ts) whose numbers
 * are these.
 *
 * Only what can differ is compared: the units either evaluation recomputed
 * (all others share the baseline's results), and every cell of every class
 * (a linear pass over typed arrays).
 */
import type { Level } from '../domain/taxonomy.ts';
import { COVERED, GAP, type AccessResult } from '../access/engine.ts';
import { LEVEL_COUNT, LEVEL_INDEX } from '../access/inputs.ts';
import { classRef, type ClassRef } from '../access/views.ts';
import { LEVEL_DEPTH } from '../rules/sql.ts';
import { allRules } from '../rules/registry.ts';
import { FORCE_RANK, FORCES, type Bilingual, type Force, type ResultUnit, type RuleResult, type Status } from '../rules/types.ts';
import { inSubtree, type ScopedUnit } from '../rules/engine.ts';
import { STAFF_COLUMNS } from './changes.ts';
import { diffStates, unitResults, type Evaluated, type FacilityDelta } from './evaluate.ts';
import type { Facility } from './state.ts';

export type Direction = 'newly_failing' | 'fixed' | 'status' | 'value';

export interface RuleSide {
  status: Status | null;
  measured: number | null;
  measuredText: Bilingual | null;
  shortfall: number | null;
  shortfallText: Bilingual | null;
}

export interface RuleChange {
  ruleId: string;
  title: Bilingual;
  force: Force;
  indicative: boolean;
  unit: ResultUnit;
  direction: Direction;
  before: RuleSide;
  after: RuleSide;
}

export interface TravelFigures {
  /** People whose travel time to the nearest facility of the class grows. */
  longer: number;
  /** … and gets shorter. */
  shorter: number;
  over5: number;
  over15: number;
  over30: number;
  /** People left with no facility of the class at all (counted in every "over" bucket). */
  noFacility: number;
  /** Σ people × added minutes over those whose time grows (person-minutes). */
  addedPersonMinutes: number;
  /** Σ people × saved minutes over those whose time shrinks. */
  savedPersonMinutes: number;
}

export interface AccessFigures extends TravelFigures {
  /** Covered before, not covered after (people of the scenario's population). */
  losing: number;
  /** … of whom now in a plain gap (not a mobile-service area). */
  losingToGap: number;
  gaining: number;
}

export interface ClassDiff {
  class: ClassRef;
  coveredBefore: number;
  coveredAfter: number;
  population: number;
  totals: AccessFigures;
  /** Units (any level) where something changed, top-down. */
  units: ({ unit: { code: string; name: string; level: Level } } & AccessFigures)[];
  /** Facilities whose catchment (people for whom it is the nearest of the class) changed most. */
  catchments: { facilityId: number; name: string | null; before: number; after: number }[];
}

export interface FacilitySide {
  status: string;
  type: string;
  unitCode: string;
  lon: number;
  lat: number;
  beds: number | null;
  staff: number | null;
  departments: string[];
  mergedIntoId: number | null;
}

export interface FacilityChange {
  id: number;
  code: string;
  name: string;
  what: 'added' | 'closed' | 'merged_away' | 'moved' | 'updated' | 'reopened' | 'removed';
  before: FacilitySide | null;
  after: FacilitySide | null;
}

export interface ScenarioDiff {
  scenario: { id: number; version: number } | null;
  against: { id: number; version: number } | null;
  ruleSet: { id: number; version: number; name: string; targetYear: number };
  dataVersion: number;
  synthetic: boolean;
  rules: {
    newlyFailing: number;
    fixed: number;
    otherStatusChanges: number;
    valueChanges: number;
    byForce: Record<Force, { newlyFailing: number; fixed: number }>;
    /** Status changes, worst first (newly failing, by force, higher levels first). */
    changes: RuleChange[];
  };
  /** The unit whose subtree the diff covers (the region unless asked). */
  scope: { code: string; name: string; level: Level };
  /** Per unit: status and value changes of its rules. */
  units: { unit: ResultUnit; rules: RuleChange[] }[];
  access: ClassDiff[];
  facilities: FacilityChange[];
  unitsCompared: number;
}

function side(r: RuleResult | undefined): RuleSide {
  if (!r) return { status: null, measured: null, measuredText: null, shortfall: null, shortfallText: null };
  return { status: r.status, measured: r.measured.value, measuredText: r.measured.text, shortfall: r.shortfall?.value ?? null, shortfallText: r.shortfall?.text ?? null };
}

function directionOf(a: RuleResult | undefined, b: RuleResult | undefined): Direction | null {
  const sa = a?.status ?? null;
  const sb = b?.status ?? null;
  if (sa !== sb) {
    if (sb === 'fail') return 'newly_failing';
    if (sa === 'fail') return 'fixed';
    return 'status';
  }
  if (!a || !b) return null;
  if (a.measured.value !== b.measured.value || (a.shortfall?.value ?? null) !== (b.shortfall?.value ?? null)) return 'value';
  return null;
}

const DIRECTION_RANK: Record<Direction, number> = { newly_failing: 0, fixed: 1, status: 2, value: 3 };

function compareChanges(order: Map<string, number>) {
  return (a: RuleChange, b: RuleChange) =>
    DIRECTION_RANK[a.direction] - DIRECTION_RANK[b.direction] ||
    FORCE_RANK[a.force] - FORCE_RANK[b.force] ||
    LEVEL_DEPTH[a.unit.level] - LEVEL_DEPTH[b.unit.level] ||
    (order.get(a.ruleId) ?? 0) - (order.get(b.ruleId) ?? 0) ||
    (a.unit.code < b.unit.code ? -1 : a.unit.code > b.unit.code ? 1 : 0);
}

function ruleDiff(base: Evaluated, target: Evaluated, scope: ScopedUnit) {
  const codes = new Set([...base.overrides.keys(), ...target.overrides.keys()]);
  const order = new Map(allRules().map((r, i) => [r.id, i]));
  const all: RuleChange[] = [];
  const units: ScenarioDiff['units'] = [];
  for (const code of codes) {
    const a = new Map(unitResults(base, code).map((r) => [r.ruleId, r]));
    const b = new Map(unitResults(target, code).map((r) => [r.ruleId, r]));
    const here: RuleChange[] = [];
    const any = (b.values().next().value ?? a.values().next().value) as RuleResult | undefined;
    if (!any || !inSubtree(any, scope)) continue;
    for (const ruleId of new Set([...a.keys(), ...b.keys()])) {
      const ra = a.get(ruleId);
      const rb = b.get(ruleId);
      const direction = directionOf(ra, rb);
      if (!direction) continue;
      const r = (rb ?? ra)!;
      here.push({ ruleId, title: r.title, force: r.force, indicative: r.indicative, unit: r.unit, direction, before: side(ra), after: side(rb) });
    }
    if (here.length === 0) continue;
    here.sort(compareChanges(order));
    units.push({ unit: here[0]!.unit, rules: here });
    all.push(...here);
  }
  units.sort((x, y) => LEVEL_DEPTH[x.unit.level] - LEVEL_DEPTH[y.unit.level] || (x.unit.code < y.unit.code ? -1 : 1));
  const byForce = Object.fromEntries(FORCES.map((f) => [f, { newlyFailing: 0, fixed: 0 }])) as Record<Force, { newlyFailing: number; fixed: number }>;
  let newlyFailing = 0;
  let fixed = 0;
  let otherStatusChanges = 0;
  let valueChanges = 0;
  for (const c of all) {
    if (c.direction === 'newly_failing') {
      newlyFailing++;
      byForce[c.force].newlyFailing++;
    } else if (c.direction === 'fixed') {
      fixed++;
      byForce[c.force].fixed++;
    } else if (c.direction === 'status') otherStatusChanges++;
    else valueChanges++;
  }
  return {
    rules: { newlyFailing, fixed, otherStatusChanges, valueChanges, byForce, changes: all.filter((c) => c.direction !== 'value').sort(compareChanges(order)) },
    units,
    unitsCompared: codes.size,
  };
}

const emptyFigures = (): AccessFigures => ({ losing: 0, losingToGap: 0, gaining: 0, longer: 0, shorter: 0, over5: 0, over15: 0, over30: 0, noFacility: 0, addedPersonMinutes: 0, savedPersonMinutes: 0 });

/** Minutes of difference below this are floating-point noise, not a change. */
const EPSILON_MIN = 1e-6;

/**
 * `only`: per class, the only cells that can differ (AccessResult.changedCells of
 * `b` when `b` was updated from `a` on the same cells and units); null = every cell.
 */
function accessDiff(a: AccessResult, b: AccessResult, scope: number, catchmentsPerClass: number, only: Map<string, Uint32Array> | null = null): ClassDiff[] {
  if (a.cells.count !== b.cells.count) throw new Error(`access results over different cells (${a.cells.count} vs ${b.cells.count})`);
  const { units } = b;
  const out: ClassDiff[] = [];
  b.classes.forEach((cb, k) => {
    const ca = a.classes[k]!;
    const totals = emptyFigures();
    const perUnit = new Map<number, AccessFigures>();
    const catchBefore = new Map<number, number>();
    const catchAfter = new Map<number, number>();
    const scopeLevel = LEVEL_INDEX[units.levels[scope]!];
    const subset = only ? (only.get(cb.cls.key) ?? new Uint32Array(0)) : null;
    const n = subset ? subset.length : b.cells.count;
    for (let k = 0; k < n; k++) {
      const i = subset ? subset[k]! : k;
      const u0 = b.cells.unit[i]!;
      if (scopeLevel > 0 && (u0 < 0 || units.ancestors[u0 * LEVEL_COUNT + scopeLevel] !== scope)) continue;
      const pa = a.cells.population[i]!;
      const pb = b.cells.population[i]!;
      const covA = ca.state[i] === COVERED;
      const covB = cb.state[i] === COVERED;
      const fa = ca.nearest[i]! >= 0 ? a.facilities.ids[ca.nearest[i]!]! : null;
      const fb = cb.nearest[i]! >= 0 ? b.facilities.ids[cb.nearest[i]!]! : null;
      const ma = ca.minutes[i]!;
      const mb = cb.minutes[i]!;
      const moved = fa !== fb || pa !== pb || !(Math.abs(ma - mb) <= EPSILON_MIN || (Number.isNaN(ma) && Number.isNaN(mb)));
      if (!moved && covA === covB) continue;
      if (fa !== fb || pa !== pb) {
        if (fa !== null) catchBefore.set(fa, (catchBefore.get(fa) ?? 0) + pa);
        if (fb !== null) catchAfter.set(fb, (catchAfter.get(fb) ?? 0) + pb);
      }
      const f = emptyFigures();
      if (covA && !covB) {
        f.losing = pb;
        if (cb.state[i] === GAP) f.losingToGap = pb;
      }
      if (!covA && covB) f.gaining = pb;
      if (!Number.isNaN(ma) && Number.isNaN(mb)) {
        f.noFacility = pb;
        f.longer = f.over5 = f.over15 = f.over30 = pb;
      } else if (!Number.isNaN(ma) && !Number.isNaN(mb)) {
        const d = mb - ma;
        if (d > EPSILON_MIN) {
          f.longer = pb;
          f.addedPersonMinutes = pb * d;
          if (d > 5) f.over5 = pb;
          if (d > 15) f.over15 = pb;
          if (d > 30) f.over30 = pb;
        } else if (d < -EPSILON_MIN) {
          f.shorter = pb;
          f.savedPersonMinutes = -pb * d;
        }
      } else if (Number.isNaN(ma) && !Number.isNaN(mb)) {
        f.shorter = pb;
      }
      add(totals, f);
      const u = u0;
      if (u < 0) continue;
      for (let l = 0; l < LEVEL_COUNT; l++) {
        const anc = units.ancestors[u * LEVEL_COUNT + l]!;
        if (anc < 0) continue;
        let acc = perUnit.get(anc);
        if (!acc) perUnit.set(anc, (acc = emptyFigures()));
        add(acc, f);
      }
    }
    const unitRows = [...perUnit.entries()]
      .filter(([u, f]) => (f.losing || f.gaining || f.longer || f.shorter) && LEVEL_INDEX[units.levels[u]!] >= scopeLevel)
      .map(([u, f]) => ({ unit: { code: units.codes[u]!, name: units.names[u]!, level: units.levels[u]! }, ...roundFigures(f) }))
      .sort((x, y) => LEVEL_DEPTH[x.unit.level] - LEVEL_DEPTH[y.unit.level] || y.losing - x.losing || y.longer - x.longer || (x.unit.code < y.unit.code ? -1 : 1));
    out.push({
      class: classRef(cb.cls),
      coveredBefore: ca.agg.covered[scope]!,
      coveredAfter: cb.agg.covered[scope]!,
      population: cb.agg.population[scope]!,
      totals: roundFigures(totals),
      units: unitRows,
      catchments: catchmentChanges(a, b, k, catchBefore, catchAfter, catchmentsPerClass),
    });
  });
  return out;
}

function add(acc: AccessFigures, f: AccessFigures): void {
  for (const key of Object.keys(acc) as (keyof AccessFigures)[]) acc[key] += f[key];
}

function roundFigures(f: AccessFigures): AccessFigures {
  return { ...f, addedPersonMinutes: Math.round(f.addedPersonMinutes), savedPersonMinutes: Math.round(f.savedPersonMinutes) };
}

/** The facilities whose catchments changed most, with their whole catchment before and after. */
function catchmentChanges(a: AccessResult, b: AccessResult, k: number, before: Map<number, number>, after: Map<number, number>, limit: number) {
  const delta = new Map<number, number>();
  for (const [id, p] of before) delta.set(id, (delta.get(id) ?? 0) - p);
  for (const [id, p] of after) delta.set(id, (delta.get(id) ?? 0) + p);
  const top = [...delta.entries()].filter(([, d]) => d !== 0).sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]) || x[0] - y[0]).slice(0, limit).map(([id]) => id);
  if (top.length === 0) return [];
  const wanted = new Set(top);
  const total = (r: AccessResult, acc: Map<number, number>) => {
    const cls = r.classes[k]!;
    for (let i = 0; i < r.cells.count; i++) {
      const f = cls.nearest[i]!;
      if (f < 0) continue;
      const id = r.facilities.ids[f]!;
      if (wanted.has(id)) acc.set(id, (acc.get(id) ?? 0) + r.cells.population[i]!);
    }
  };
  const tb = new Map<number, number>();
  const ta = new Map<number, number>();
  total(a, tb);
  total(b, ta);
  return top.map((id) => ({ facilityId: id, name: null as string | null, before: tb.get(id) ?? 0, after: ta.get(id) ?? 0 }));
}

function facilitySide(f: Facility | null): FacilitySide | null {
  if (!f) return null;
  const staff = Object.values(STAFF_COLUMNS).map((c) => f.row[c] as number | null);
  return {
    status: f.row.status,
    type: f.row.type,
    unitCode: f.row.unit_code,
    lon: Math.round(f.lon * 1e6) / 1e6,
    lat: Math.round(f.lat * 1e6) / 1e6,
    beds: f.row.beds,
    staff: staff.every((s) => s === null) ? null : staff.reduce<number>((s, v) => s + (v ?? 0), 0),
    departments: f.row.departments,
    mergedIntoId: f.row.merged_into_id,
  };
}

function whatOf(d: FacilityDelta): FacilityChange['what'] {
  const { before, after } = d;
  if (!before) return 'added';
  if (!after) return 'removed';
  if (before.row.status !== 'closed' && after.row.status === 'closed') return after.row.merged_into_id !== null ? 'merged_away' : 'closed';
  if (before.row.status === 'closed' && after.row.status !== 'closed') return 'reopened';
  if (before.lon !== after.lon || before.lat !== after.lat) return 'moved';
  return 'updated';
}

export function facilityChanges(base: Evaluated, target: Evaluated): FacilityChange[] {
  return diffStates(base.state, target.state).facilities.map((d) => {
    const f = (d.after ?? d.before)!;
    return { id: d.id, code: f.row.code, name: f.row.name, what: whatOf(d), before: facilitySide(d.before), after: facilitySide(d.after) };
  });
}

/** The diff of `target` against `base` (the baseline or another scenario's evaluation), in a unit's subtree (default: the region). */
export function diffEvaluations(
  base: Evaluated,
  target: Evaluated,
  options: {
    scope?: ScopedUnit;
    catchmentsPerClass?: number;
    /** The caller knows `target` was re-evaluated directly from `base` (the merge advisor): compare only the cells the update changed. */
    derivedFromBase?: boolean;
  } = {},
): ScenarioDiff {
  const units = target.access.units;
  const scopeUnit: ScopedUnit = options.scope ?? { ...target.baseline.evaluation.root };
  const scopeIndex = units.index.get(scopeUnit.code);
  if (scopeIndex === undefined) throw new Error(`unit ${scopeUnit.code} is not in the access result`);
  const rules = ruleDiff(base, target, scopeUnit);
  const a = base.access;
  const b = target.access;
  // Same cells and unit flags: cells outside changedCells have identical assignments, times and states.
  const only = options.derivedFromBase && (a === b || (b.changedCells && a.cells === b.cells && a.units === b.units)) ? (a === b ? new Map<string, Uint32Array>() : b.changedCells!) : null;
  const access = accessDiff(a, b, scopeIndex, options.catchmentsPerClass ?? 10, only);
  const facilities = facilityChanges(base, target);
  const names = new Map<number, string>();
  for (const f of facilities) names.set(f.id, f.name);
  for (const cls of access) for (const c of cls.catchments) c.name = names.get(c.facilityId) ?? target.state.facility(c.facilityId)?.row.name ?? base.state.facility(c.facilityId)?.row.name ?? null;
  return {
    scenario: target.scenario,
    against: base.scenario,
    ruleSet: { id: target.ruleSet.id, version: target.ruleSet.version, name: target.ruleSet.name, targetYear: target.ruleSet.targetYear },
    dataVersion: target.dataVersion,
    synthetic: target.baseline.evaluation.synthetic || facilities.some((f) => target.state.facility(f.id)?.row.synthetic === true),
    scope: { code: scopeUnit.code, name: scopeUnit.name, level: scopeUnit.level },
    rules: rules.rules,
    units: rules.units,
    access,
    facilities,
    unitsCompared: rules.unitsCompared,
  };
}
