/**
 * Exact nearest facility by geodesic distance, for millions of queries.
 *
 * A static 3D kd-tree over the facilities' ECEF coordinates (geodesic.ts). The
 * search prunes by the straight chord, which is never longer than the geodesic
 * and orders points like it up to a tiny, bounded slack (`window`); every point
 * inside that slack is measured geodesically and the least (geodesic, facility
 * id) wins. So the answer is the true geodesic minimum, ties broken by the lower
 * id — the same answer whatever order facilities were added in, which the
 * incremental update relies on.
 */
import { geodesicFromChord, type EcefPoints } from './geodesic.ts';

const LEAF_SIZE = 8;

/**
 * Largest amount by which a longer chord can still give a shorter geodesic,
 * for a best chord c (metres): the arc correction c³/24R² and its next term
 * vary with the radius of curvature R by ~2 % over the ellipsoid; 1 mm covers
 * the switch from the arc series to Vincenty at SERIES_LIMIT_M.
 */
export function window(c: number): number {
  const c3 = c * c * c;
  return 2.5e-17 * c3 + 1.2e-31 * c3 * c * c + 1e-3;
}

export interface NearestHit {
  /** Index into the facility points, or -1 when the tree is empty. */
  index: number;
  /** Geodesic metres (NaN when none). */
  distance: number;
  /** Chord metres to the answer. */
  chord: number;
  /** Chord metres to the nearest other facility (Infinity when none). */
  otherChord: number;
}

export class NearestTree {
  private readonly order: Int32Array;
  private readonly coords: Float64Array;
  private readonly stackLo: Int32Array;
  private readonly stackHi: Int32Array;
  private readonly stackAxis: Int8Array;
  private readonly stackPlane: Float64Array;

  /**
   * @param points facility points (ECEF)
   * @param members indexes into `points` that belong to the tree
   * @param ids facility ids per point index (tie-break)
   */
  constructor(
    private readonly points: EcefPoints,
    members: Int32Array,
    private readonly ids: Float64Array,
  ) {
    const n = members.length;
    this.order = Int32Array.from(members);
    this.coords = new Float64Array(n * 3);
    for (let k = 0; k < n; k++) {
      const p = members[k]!;
      this.coords[k * 3] = points.xyz[p * 3]!;
      this.coords[k * 3 + 1] = points.xyz[p * 3 + 1]!;
      this.coords[k * 3 + 2] = points.xyz[p * 3 + 2]!;
    }
    this.build(0, n - 1, 0);
    const depth = Math.ceil(Math.log2(Math.max(2, n))) * 2 + 8;
    this.stackLo = new Int32Array(depth);
    this.stackHi = new Int32Array(depth);
    this.stackAxis = new Int8Array(depth);
    this.stackPlane = new Float64Array(depth);
  }

  get size(): number {
    return this.order.length;
  }

  private build(lo: number, hi: number, axis: number): void {
    if (hi - lo <= LEAF_SIZE) return;
    const mid = (lo + hi) >> 1;
    this.select(mid, lo, hi, axis);
    const next = (axis + 1) % 3;
    this.build(lo, mid - 1, next);
    this.build(mid + 1, hi, next);
  }

  /** Floyd–Rivest selection: element k of [lo, hi] in place along `axis`. */
  private select(k: number, lo: number, hi: number, axis: number): void {
    const c = this.coords;
    while (hi > lo) {
      if (hi - lo > 600) {
        const n = hi - lo + 1;
        const m = k - lo + 1;
        const z = Math.log(n);
        const s = 0.5 * Math.exp((2 * z) / 3);
        const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
        this.select(k, Math.max(lo, Math.floor(k - (m * s) / n + sd)), Math.min(hi, Math.floor(k + ((n - m) * s) / n + sd)), axis);
      }
      const t = c[k * 3 + axis]!;
      let i = lo;
      let j = hi;
      this.swap(lo, k);
      if (c[hi * 3 + axis]! > t) this.swap(lo, hi);
      while (i < j) {
        this.swap(i, j);
        i++;
        j--;
        while (c[i * 3 + axis]! < t) i++;
        while (c[j * 3 + axis]! > t) j--;
      }
      if (c[lo * 3 + axis] === t) this.swap(lo, j);
      else {
        j++;
        this.swap(j, hi);
      }
      if (j <= k) lo = j + 1;
      if (k <= j) hi = j - 1;
    }
  }

  private swap(i: number, j: number): void {
    const o = this.order;
    const t = o[i]!;
    o[i] = o[j]!;
    o[j] = t;
    const c = this.coords;
    for (let a = 0; a < 3; a++) {
      const v = c[i * 3 + a]!;
      c[i * 3 + a] = c[j * 3 + a]!;
      c[j * 3 + a] = v;
    }
  }

  // Search state, kept on the instance so a query allocates nothing. Candidates
  // are points whose chord was within the bound when seen; the geodesic is only
  // measured for those still within the final bound (usually just one).
  private c1 = Infinity;
  private p1 = -1;
  private c2nd = Infinity;
  private bound2 = Infinity;
  private candCount = 0;
  private candPoint = new Int32Array(64);
  private candChord2 = new Float64Array(64);

  private visit(p: number, d2: number): void {
    if (d2 > this.bound2) return;
    const c = Math.sqrt(d2);
    if (c < this.c1) {
      this.c2nd = this.c1;
      this.c1 = c;
      this.p1 = p;
    } else if (c < this.c2nd) {
      this.c2nd = c;
    }
    const w = this.c1 + window(this.c1);
    if (c <= w) {
      if (this.candCount === this.candPoint.length) this.compact(w * w);
      this.candPoint[this.candCount] = p;
      this.candChord2[this.candCount] = d2;
      this.candCount++;
    }
    // The search must also settle the second-nearest chord (the skip test of the
    // next cells relies on it), so the bound never drops below it.
    const b = Math.max(w, this.c2nd);
    this.bound2 = b * b;
  }

  /** Drop candidates the bound has since excluded; grow when many facilities tie. */
  private compact(limit2: number): void {
    let k = 0;
    for (let j = 0; j < this.candCount; j++) {
      if (this.candChord2[j]! <= limit2) {
        this.candPoint[k] = this.candPoint[j]!;
        this.candChord2[k] = this.candChord2[j]!;
        k++;
      }
    }
    this.candCount = k;
    if (k > this.candPoint.length / 2) {
      // Many facilities at (almost) the same distance, e.g. geocoded to one seat.
      const points = new Int32Array(this.candPoint.length * 2);
      const chords = new Float64Array(this.candPoint.length * 2);
      points.set(this.candPoint);
      chords.set(this.candChord2);
      this.candPoint = points;
      this.candChord2 = chords;
    }
  }

  /**
   * Nearest facility of the tree to point `qi` of `query`: least geodesic
   * distance, then least id. Also reports `otherChord`, the chord to the
   * nearest *other* facility (Infinity when there is none), which bounds how
   * far the answer holds for neighbouring points.
   */
  nearest(query: EcefPoints, qi: number, out: NearestHit): NearestHit {
    const n = this.order.length;
    out.index = -1;
    out.distance = NaN;
    out.chord = NaN;
    out.otherChord = Infinity;
    if (n === 0) return out;
    const qx = query.xyz[qi * 3]!;
    const qy = query.xyz[qi * 3 + 1]!;
    const qz = query.xyz[qi * 3 + 2]!;
    this.candCount = 0;
    this.c1 = Infinity;
    this.p1 = -1;
    this.c2nd = Infinity;
    this.bound2 = Infinity;

    const coords = this.coords;
    const order = this.order;
    const sLo = this.stackLo;
    const sHi = this.stackHi;
    const sAx = this.stackAxis;
    const sPlane = this.stackPlane;
    sLo[0] = 0;
    sHi[0] = n - 1;
    sAx[0] = 0;
    sPlane[0] = 0;
    let top = 1;
    while (top > 0) {
      top--;
      if (sPlane[top]! > this.bound2) continue;
      const lo = sLo[top]!;
      const hi = sHi[top]!;
      const axis = sAx[top]!;
      if (hi - lo <= LEAF_SIZE) {
        for (let k = lo; k <= hi; k++) {
          const dx = coords[k * 3]! - qx;
          const dy = coords[k * 3 + 1]! - qy;
          const dz = coords[k * 3 + 2]! - qz;
          const d2 = dx * dx + dy * dy + dz * dz;
          if (d2 <= this.bound2) this.visit(order[k]!, d2);
        }
        continue;
      }
      const mid = (lo + hi) >> 1;
      const dx = coords[mid * 3]! - qx;
      const dy = coords[mid * 3 + 1]! - qy;
      const dz = coords[mid * 3 + 2]! - qz;
      const d2 = dx * dx + dy * dy + dz * dz;
      if (d2 <= this.bound2) this.visit(order[mid]!, d2);
      const diff = (axis === 0 ? qx : axis === 1 ? qy : qz) - coords[mid * 3 + axis]!;
      const next = (axis + 1) % 3;
      // Far side first on the stack, so the near side is searched first and the
      // far side is re-checked against the tightened bound when popped.
      if (diff < 0) {
        if (mid + 1 <= hi) {
          sLo[top] = mid + 1;
          sHi[top] = hi;
          sAx[top] = next;
          sPlane[top] = diff * diff;
          top++;
        }
        if (lo <= mid - 1) {
          sLo[top] = lo;
          sHi[top] = mid - 1;
          sAx[top] = next;
          sPlane[top] = 0;
          top++;
        }
      } else {
        if (lo <= mid - 1) {
          sLo[top] = lo;
          sHi[top] = mid - 1;
          sAx[top] = next;
          sPlane[top] = diff * diff;
          top++;
        }
        if (mid + 1 <= hi) {
          sLo[top] = mid + 1;
          sHi[top] = hi;
          sAx[top] = next;
          sPlane[top] = 0;
          top++;
        }
      }
    }
    const w = this.c1 + window(this.c1);
    const limit2 = w * w;
    let bestS = Infinity;
    let bestId = Infinity;
    let bestIndex = -1;
    let bestChord2 = NaN;
    for (let j = 0; j < this.candCount; j++) {
      const d2 = this.candChord2[j]!;
      if (d2 > limit2) continue;
      const p = this.candPoint[j]!;
      const s = geodesicFromChord(query, qi, this.points, p, d2);
      const id = this.ids[p]!;
      if (s < bestS || (s === bestS && id < bestId)) {
        bestS = s;
        bestId = id;
        bestIndex = p;
        bestChord2 = d2;
      }
    }
    out.index = bestIndex;
    out.distance = bestS;
    out.chord = Math.sqrt(bestChord2);
    // Nearest other: the second chord if the winner is the chord-nearest, else the first.
    out.otherChord = bestIndex === this.p1 ? this.c2nd : this.c1;
    return out;
  }
}
