/**
 * How a population cell reaches care: the one place that knows. Callers (the
 * engine, its incremental update, aggregates, API) only see a TravelModel:
 * "which facility of this class does cell i reach first, how far is it, how
 * many minutes". Today's model is the straight line — geodesic distance ×
 * detour factor ÷ speed, urban or rural speed by the cell's unit. A road
 * network (pgRouting, or a graph in process) replaces it by implementing the
 * same interface: `assign` from a multi-source shortest-path tree, `beats`
 * by comparing travel times.
 */
import { chord2, geodesicFromChord } from './geodesic.ts';
import { NearestTree, window, type NearestHit } from './kdtree.ts';
import type { CellSet, FacilitySet, UnitTable } from './inputs.ts';
import type { AccessParams } from './params.ts';

export interface Assignment {
  /** Facility index, -1 when the class has no facility at all. */
  facility: number;
  /** Geodesic metres to that facility (NaN when none). */
  distance: number;
  /** Travel minutes (NaN when none). */
  minutes: number;
}

/** A model prepared for one class's facilities. */
export interface ClassRouter {
  /**
   * The facility cell `i` reaches first. Calls for neighbouring cells in a row
   * are fastest (the straight-line router reuses the previous search when it
   * provably still holds), but any order gives the same answers.
   */
  assign(i: number, out: Assignment): Assignment;
  /**
   * Would member facility `f` be reached before the cell's current assignment?
   * Must agree with `assign`: after adding f, assign(i) = f exactly when beats(i, f, current).
   */
  beats(i: number, f: number, current: Assignment): boolean;
}

export interface TravelModel {
  readonly method: string;
  prepare(cells: CellSet, facilities: FacilitySet, members: Int32Array): ClassRouter;
  /** Minutes for a cell at `distance` metres from a facility (reports, tooltips). */
  minutes(cells: CellSet, i: number, distance: number): number;
}

export function straightLineModel(params: AccessParams, units: UnitTable): TravelModel {
  // metres per minute along the way
  const urban = (params.urbanSpeedKmh * 1000) / 60;
  const rural = (params.ruralSpeedKmh * 1000) / 60;
  const detour = params.detourFactor;
  const minutes = (cells: CellSet, i: number, distance: number) => {
    const u = cells.unit[i]!;
    const speed = u >= 0 && units.urban[u] ? urban : rural;
    return (distance * detour) / speed;
  };
  return {
    method: 'straight_line',
    minutes,
    prepare(cells, facilities, members) {
      const tree = new NearestTree(facilities.ecef, members, facilities.ids);
      const hit: NearestHit = { index: -1, distance: NaN, chord: NaN, otherChord: Infinity };
      const cx = cells.ecef.xyz;
      const fx = facilities.ecef.xyz;
      // The last fully searched cell ("anchor"), its facility and the chord from
      // it to the nearest other facility.
      let anchor = -1;
      let anchorFacility = -1;
      let anchorOther = Infinity;
      return {
        assign(i, out) {
          if (anchor >= 0 && anchorFacility >= 0) {
            // Triangle inequality on chords: every other facility is at least
            // anchorOther − δ from cell i. If the anchor's facility is closer than
            // that by more than the chord/geodesic slack, it is i's answer too.
            let dx = cx[i * 3]! - cx[anchor * 3]!;
            let dy = cx[i * 3 + 1]! - cx[anchor * 3 + 1]!;
            let dz = cx[i * 3 + 2]! - cx[anchor * 3 + 2]!;
            const delta = Math.sqrt(dx * dx + dy * dy + dz * dz);
            dx = cx[i * 3]! - fx[anchorFacility * 3]!;
            dy = cx[i * 3 + 1]! - fx[anchorFacility * 3 + 1]!;
            dz = cx[i * 3 + 2]! - fx[anchorFacility * 3 + 2]!;
            const c2 = dx * dx + dy * dy + dz * dz;
            const c = Math.sqrt(c2);
            if (c + window(c) < anchorOther - delta) {
              out.facility = anchorFacility;
              out.distance = geodesicFromChord(cells.ecef, i, facilities.ecef, anchorFacility, c2);
              out.minutes = minutes(cells, i, out.distance);
              return out;
            }
          }
          tree.nearest(cells.ecef, i, hit);
          anchor = i;
          anchorFacility = hit.index;
          anchorOther = hit.otherChord;
          out.facility = hit.index;
          out.distance = hit.distance;
          out.minutes = hit.index < 0 ? NaN : minutes(cells, i, hit.distance);
          return out;
        },
        beats(i, f, current) {
          if (current.facility < 0) return true;
          const c2 = chord2(cells.ecef, i, facilities.ecef, f);
          // The chord never exceeds the geodesic: a cheap rejection for far cells.
          if (c2 > current.distance * current.distance) return false;
          const s = geodesicFromChord(cells.ecef, i, facilities.ecef, f, c2);
          return s < current.distance || (s === current.distance && facilities.ids[f]! < facilities.ids[current.facility]!);
        },
      };
    },
  };
}
