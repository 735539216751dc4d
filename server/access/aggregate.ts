/**
 * Per-unit access figures, village → township → banner → league → region, for
 * one class: population covered / in a gap / served by mobile services,
 * population-weighted mean and 90th percentile of travel time and distance.
 *
 * Every cell adds to the unit it lies in and to each ancestor, in one pass over
 * the cells; the percentiles come from one global sort of the cells per
 * measure (radix, linear time) walked once. The same function runs after an
 * incremental update, so incremental and full results are bit-identical.
 */
import { LEVEL_COUNT, type CellSet, type UnitTable } from './inputs.ts';
import { nonNegativeKeys, radixArgsort } from './sort.ts';

export const COVERED = 1;
export const GAP = 2;
export const MOBILE = 3;

export interface UnitAggregates {
  /** Σ population of the unit's cells (the basis of every share). */
  population: Float64Array;
  covered: Float64Array;
  gap: Float64Array;
  mobile: Float64Array;
  /** Population with some facility of the class at all (any distance). */
  reachable: Float64Array;
  cells: Int32Array;
  /** Σ population × minutes and × metres over reachable cells. */
  sumMinutes: Float64Array;
  sumDistance: Float64Array;
  /** Weighted 90th percentile: the least value within which ≥ 90 % of the unit's people live; NaN when unreachable or empty. */
  p90Minutes: Float64Array;
  p90Distance: Float64Array;
  /** Cells in ascending (sort key, index) order of minutes and of distance: kept so that an update can merge instead of sort. */
  orderMinutes: Uint32Array;
  orderDistance: Uint32Array;
}

/** What changed since a previous aggregation of the same cells (incremental updates). */
export interface PreviousAggregation {
  agg: UnitAggregates;
  /** Cell indexes whose minutes or distance may differ. */
  changed: readonly number[];
}

export interface ClassArrays {
  nearest: Int32Array;
  distance: Float64Array;
  minutes: Float64Array;
  state: Uint8Array;
}

/**
 * Cells in ascending order of (sort key, index). With a previous order of the
 * same cells, only the changed cells are re-placed: the others keep their keys,
 * so removing the changed ones leaves a sorted list to merge them into — the
 * result is exactly the order a full sort gives.
 */
function orderOf(values: Float64Array, previous: Uint32Array | null, changed: readonly number[]): { order: Uint32Array; keys: Uint32Array } {
  const keys = nonNegativeKeys(values);
  if (!previous || previous.length !== values.length) return { order: radixArgsort(keys), keys };
  const moved = new Uint8Array(values.length);
  for (const i of changed) moved[i] = 1;
  const fresh = Uint32Array.from(new Set(changed)).sort((a, b) => keys[a]! - keys[b]! || a - b);
  const order = new Uint32Array(values.length);
  let k = 0;
  let j = 0;
  for (let p = 0; p < previous.length; p++) {
    const i = previous[p]!;
    if (moved[i]) continue;
    while (j < fresh.length && (keys[fresh[j]!]! < keys[i]! || (keys[fresh[j]!]! === keys[i]! && fresh[j]! < i))) order[k++] = fresh[j++]!;
    order[k++] = i;
  }
  while (j < fresh.length) order[k++] = fresh[j++]!;
  return { order, keys };
}

/** Weighted percentile per unit by walking cells in ascending value. */
function percentiles(cells: CellSet, units: UnitTable, values: Float64Array, order: Uint32Array, totals: Float64Array, fraction: number): Float64Array {
  const out = new Float64Array(units.count).fill(NaN);
  const cum = new Float64Array(units.count);
  const done = new Uint8Array(units.count);
  const anc = units.ancestors;
  // cum ≥ fraction × total, compared on integers (populations are whole people).
  const num = Math.round(fraction * 1000);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const v = values[i]!;
    if (Number.isNaN(v)) break;
    const pop = cells.population[i]!;
    if (pop <= 0) continue;
    const u = cells.unit[i]!;
    if (u < 0) continue;
    for (let l = 0; l < LEVEL_COUNT; l++) {
      const a = anc[u * LEVEL_COUNT + l]!;
      if (a < 0 || done[a]) continue;
      cum[a]! += pop;
      if (cum[a]! * 1000 >= totals[a]! * num) {
        out[a] = v;
        done[a] = 1;
      }
    }
  }
  return out;
}

/**
 * Add every unit's own figures to its ancestors', deepest level first so that
 * no figure is counted twice (each unit passes on only what lies directly in it).
 */
function rollUp(units: UnitTable, sums: Float64Array[], counts: Int32Array): void {
  const anc = units.ancestors;
  const own = sums.map((a) => Float64Array.from(a));
  const ownCounts = Int32Array.from(counts);
  for (let u = 0; u < units.count; u++) {
    if (ownCounts[u] === 0) continue;
    const base = u * LEVEL_COUNT;
    for (let l = 0; l < LEVEL_COUNT; l++) {
      const a = anc[base + l]!;
      if (a < 0 || a === u) continue;
      for (let k = 0; k < sums.length; k++) sums[k]![a]! += own[k]![u]!;
      counts[a]! += ownCounts[u]!;
    }
  }
}

export function aggregateClass(cells: CellSet, units: UnitTable, arrays: ClassArrays, previous?: PreviousAggregation): UnitAggregates {
  const U = units.count;
  const agg: UnitAggregates = {
    population: new Float64Array(U),
    covered: new Float64Array(U),
    gap: new Float64Array(U),
    mobile: new Float64Array(U),
    reachable: new Float64Array(U),
    cells: new Int32Array(U),
    sumMinutes: new Float64Array(U),
    sumDistance: new Float64Array(U),
    p90Minutes: new Float64Array(0),
    p90Distance: new Float64Array(0),
    orderMinutes: new Uint32Array(0),
    orderDistance: new Uint32Array(0),
  };
  // Cells add to their own unit; units then add to their ancestors (units are
  // far fewer than cells). Summation order is fixed (cell index, then unit
  // index), so equal inputs give bit-identical sums.
  const { population, covered, gap, mobile, reachable, sumMinutes, sumDistance } = agg;
  const cellCount = agg.cells;
  const cellUnit = cells.unit;
  const cellPop = cells.population;
  const { state, nearest, minutes, distance } = arrays;
  for (let i = 0; i < cells.count; i++) {
    const u = cellUnit[i]!;
    if (u < 0) continue;
    const pop = cellPop[i]!;
    const st = state[i]!;
    population[u]! += pop;
    cellCount[u]!++;
    if (st === COVERED) covered[u]! += pop;
    else if (st === MOBILE) mobile[u]! += pop;
    else gap[u]! += pop;
    if (nearest[i]! >= 0) {
      reachable[u]! += pop;
      sumMinutes[u]! += pop * minutes[i]!;
      sumDistance[u]! += pop * distance[i]!;
    }
  }
  rollUp(units, [population, covered, gap, mobile, reachable, sumMinutes, sumDistance], cellCount);
  const changed = previous?.changed ?? [];
  agg.orderMinutes = orderOf(arrays.minutes, previous?.agg.orderMinutes ?? null, changed).order;
  agg.orderDistance = orderOf(arrays.distance, previous?.agg.orderDistance ?? null, changed).order;
  agg.p90Minutes = percentiles(cells, units, arrays.minutes, agg.orderMinutes, agg.population, 0.9);
  agg.p90Distance = percentiles(cells, units, arrays.distance, agg.orderDistance, agg.population, 0.9);
  return agg;
}

export interface UnitFigures {
  population: number;
  covered: number;
  uncovered: number;
  gap: number;
  mobile: number;
  /** covered ÷ population (null when nobody lives there). */
  shareCovered: number | null;
  /** covered ÷ (population − mobile): the share among people not served by mobile services. */
  shareCoveredExMobile: number | null;
  meanMinutes: number | null;
  p90Minutes: number | null;
  meanDistanceM: number | null;
  p90DistanceM: number | null;
  cells: number;
  /** People with no facility of the class anywhere in the data. */
  unreachable: number;
}

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export function unitFigures(agg: UnitAggregates, u: number): UnitFigures {
  const population = agg.population[u]!;
  const covered = agg.covered[u]!;
  const gap = agg.gap[u]!;
  const mobile = agg.mobile[u]!;
  const reachable = agg.reachable[u]!;
  const exMobile = population - mobile;
  return {
    population,
    covered,
    uncovered: gap + mobile,
    gap,
    mobile,
    shareCovered: population > 0 ? round(covered / population, 6) : null,
    shareCoveredExMobile: exMobile > 0 ? round(covered / exMobile, 6) : null,
    meanMinutes: reachable > 0 ? round(agg.sumMinutes[u]! / reachable, 3) : null,
    p90Minutes: Number.isNaN(agg.p90Minutes[u]!) ? null : round(agg.p90Minutes[u]!, 3),
    meanDistanceM: reachable > 0 ? round(agg.sumDistance[u]! / reachable, 1) : null,
    p90DistanceM: Number.isNaN(agg.p90Distance[u]!) ? null : round(agg.p90Distance[u]!, 1),
    cells: agg.cells[u]!,
    unreachable: population - reachable,
  };
}
