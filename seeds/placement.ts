/**
 * Synthetic points of townships, villages and facilities inside the real banner
 * polygon. No public coordinates exist for them, so the seed places them,
 * reproducibly from the seed:
 *
 * - The township at the banner's seat (seatTownship()) sits exactly at the real
 *   seat (AMap). Streets gather around the seat; development-zone townships of a
 *   statistical area lie within 15 km of it; every other township seat is spread
 *   over the banner (best-candidate sampling: each new seat is the farthest of a
 *   dozen random candidates from the seats already placed).
 * - Villages cluster around their township's seat, inside its "territory" (a
 *   candidate is kept when its nearest township seat is its own). Farming villages
 *   (村) stay within about three quarters of the territory radius, denser near the
 *   seat; gacha of pastoral banners spread over the whole territory and beyond —
 *   herders live far from the sumu seat, and far from care. Communities (社区)
 *   pack around the street or town seat.
 * - Two villages that share a joint clinic lie 1.5–4 km apart.
 * - Every point keeps MARGIN_M from the polygon's edges and lies in the grid cell
 *   of no other village, so each village owns at least the cell it stands in.
 * - Facilities stand at (or a little off) their unit's point; league and region
 *   institutions near the league's / region's real seat.
 */
import { cellCentre, cellKey, cellOf, distanceM, fromGrid, GRID_CELL_M, offsetM, toGrid, type LonLat, type Shape } from './geometry.ts';
import type { FacilityPlan, PlannedFacility } from './facilities.ts';
import { rngFor, type Random } from './random.ts';
import type { BannerProfile, RegionModel } from './region.ts';
import { statisticalAreaHosts } from './topLevels.ts';
import { seatTownship, type TownshipRecord, type VillageRecord } from './townships.ts';

/** Distance every generated point keeps from the banner's edges. */
export const MARGIN_M = 250;
/** Distance a population cell's centre keeps from the edges. */
export const CELL_MARGIN_M = 100;

export interface PlacedFacility {
  code: string;
  location: [number, number];
  unit: string;
}

export interface BannerPoints {
  /** Township seats and village points. */
  units: Map<string, [number, number]>;
  facilities: PlacedFacility[];
  /** Where the banner's seat township was put (the real seat unless that lies outside the polygon). */
  seat: [number, number];
  seatMovedM: number;
  /** Territory of the banner: decides whether a grid cell (by its centre) is this banner's. */
  territory: Territory;
}

/**
 * A banner's polygon plus the tie-break with its neighbours: where two county
 * polygons of the boundary file overlap (vertices quantised to ~100 m), a point
 * belongs to the lower-coded banner.
 */
export class Territory {
  private readonly lower: Shape[];
  constructor(
    readonly code: string,
    readonly shape: Shape,
    model: RegionModel,
  ) {
    const [x0, y0, x1, y1] = shape.bbox;
    this.lower = [...model.banners.values()]
      .filter((b) => b.code < code && b.shape.bbox[0] <= x1 && b.shape.bbox[2] >= x0 && b.shape.bbox[1] <= y1 && b.shape.bbox[3] >= y0)
      .map((b) => b.shape);
  }

  owns(lon: number, lat: number, marginM: number): boolean {
    return this.shape.containsWithMargin(lon, lat, marginM) && !this.lower.some((s) => s.contains(lon, lat));
  }

  private readonly cellCache = new Map<string, boolean>();
  /** The cell's centre lies in this banner's territory, CELL_MARGIN_M from its edges. */
  ownsCell(ix: number, iy: number): boolean {
    const key = `${ix}:${iy}`;
    let owned = this.cellCache.get(key);
    if (owned === undefined) {
      const [lon, lat] = cellCentre(ix, iy);
      owned = this.owns(lon, lat, CELL_MARGIN_M);
      this.cellCache.set(key, owned);
    }
    return owned;
  }
}

function cellOfPoint(p: LonLat): string {
  const [x, y] = toGrid(p);
  const c = cellOf(x, y);
  return cellKey(c.ix, c.iy);
}

/** The nearest point to `p` (spiralling out in 100 m steps) that satisfies `ok`. */
function nearestValid(p: LonLat, ok: (q: LonLat) => boolean, maxM = 30_000): [number, number] {
  if (ok(p)) return [p[0], p[1]];
  for (let r = 100; r <= maxM; r += 100) {
    const steps = Math.max(8, Math.ceil((2 * Math.PI * r) / 100));
    for (let k = 0; k < steps; k++) {
      const q = offsetM(p, r, (2 * Math.PI * k) / steps);
      if (ok(q)) return q;
    }
  }
  throw new Error(`no valid point within ${maxM} m of ${p.join(',')}`);
}

/**
 * A point in the free grid cell nearest to `centre` (rings of cells outwards):
 * the fallback when random draws around a crowded seat keep hitting taken cells.
 */
function nearestFreeCell(rng: Random, centre: LonLat, usable: (p: LonLat) => boolean, maxCells = 80): [number, number] {
  const [x, y] = toGrid(centre);
  const c = cellOf(x, y);
  for (let ring = 0; ring <= maxCells; ring++) {
    const candidates: { ix: number; iy: number; d: number }[] = [];
    for (let dx = -ring; dx <= ring; dx++) {
      for (let dy = -ring; dy <= ring; dy++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
        candidates.push({ ix: c.ix + dx, iy: c.iy + dy, d: dx * dx + dy * dy });
      }
    }
    candidates.sort((a, b) => a.d - b.d || a.ix - b.ix || a.iy - b.iy);
    for (const cell of candidates) {
      for (let k = 0; k < 6; k++) {
        const p = fromGrid((cell.ix + 0.1 + 0.8 * rng.next()) * GRID_CELL_M, (cell.iy + 0.1 + 0.8 * rng.next()) * GRID_CELL_M);
        if (usable(p)) return p;
      }
    }
  }
  throw new Error(`no free grid cell within ${maxCells} km of ${centre.join(',')}`);
}

export function placeBanner(banner: BannerProfile, model: RegionModel, plan: FacilityPlan, seed: number): BannerPoints {
  const territory = new Territory(banner.code, banner.shape, model);
  const inside = (p: LonLat) => territory.owns(p[0], p[1], MARGIN_M);
  const seat = nearestValid(banner.seat, inside);
  const units = new Map<string, [number, number]>();
  const townshipSeats: { code: string; point: [number, number] }[] = [];

  // ── township seats ──
  const rng = rngFor(seed, 'points', banner.code);
  const seatT = seatTownship(banner.units);
  const townships = banner.units.townships;
  const statisticalAreas = statisticalAreaHosts();
  const streets = townships.filter((t) => t.kind === '街道' && t.code !== seatT.code && t.censusAreaCode === banner.code);
  const urbanRadiusM = 1500 + 700 * Math.sqrt(streets.length);
  const put = (t: TownshipRecord, p: [number, number]) => {
    units.set(t.code, p);
    townshipSeats.push({ code: t.code, point: p });
  };
  put(seatT, seat);
  for (const t of streets) put(t, around(rng, seat, 600, urbanRadiusM, inside));
  for (const t of townships) {
    if (units.has(t.code)) continue;
    if (t.censusAreaCode !== banner.code && /开发区|高新区/.test(statisticalAreas.get(t.censusAreaCode)?.name ?? '')) {
      put(t, around(rng, seat, 4000, 15_000, inside));
      continue;
    }
    // Best candidate: the farthest of a dozen random points from the seats so far.
    let best: [number, number] | null = null;
    let bestDistance = -1;
    for (let k = 0; k < 12; k++) {
      const c = banner.shape.randomPoint(rng, 1000);
      if (!inside(c)) continue;
      let nearest = Infinity;
      for (const s of townshipSeats) nearest = Math.min(nearest, distanceM(c, s.point));
      if (nearest > bestDistance) {
        bestDistance = nearest;
        best = c;
      }
    }
    put(t, best ?? nearestValid(banner.shape.randomPoint(rng, 1000), inside));
  }

  // ── villages ──
  const ruralTownships = townships.filter((t) => t.kind !== '街道').length;
  const territoryRadiusM = Math.min(60_000, Math.max(3000, Math.sqrt((banner.shape.areaKm2 * 1e6) / Math.max(1, ruralTownships) / Math.PI)));
  const occupied = new Set<string>();
  const nearestSeat = (p: LonLat) => {
    let best = '';
    let bestD = Infinity;
    for (const s of townshipSeats) {
      const d = distanceM(p, s.point);
      if (d < bestD) {
        bestD = d;
        best = s.code;
      }
    }
    return best;
  };
  const usable = (p: LonLat) => {
    if (!inside(p)) return false;
    const [x, y] = toGrid(p);
    const c = cellOf(x, y);
    return !occupied.has(cellKey(c.ix, c.iy)) && territory.ownsCell(c.ix, c.iy);
  };
  const claim = (code: string, p: [number, number]) => {
    units.set(code, p);
    occupied.add(cellOfPoint(p));
  };
  // Joint-clinic partners are placed next to the village that hosts the clinic.
  const partnerOf = new Map<string, string>();
  for (const f of plan.facilities) {
    if (f.bannerCode === banner.code && f.type === 'village_clinic' && f.villages_served.length > 1) {
      const host = f.place.anchor === 'unit' ? f.place.unit : f.villages_served[0]!;
      for (const v of f.villages_served) if (v !== host) partnerOf.set(v, host);
    }
  }
  const vrng = rngFor(seed, 'village-points', banner.code);
  const deferred: VillageRecord[] = [];
  for (const t of townships) {
    const centre = units.get(t.code)!;
    const communities = t.villages.filter((v) => v.kind === '社区').length;
    for (const v of t.villages) {
      if (partnerOf.has(v.code)) {
        deferred.push(v);
        continue;
      }
      claim(v.code, villagePoint(vrng, v, t, centre, communities, banner.pastoral, territoryRadiusM, seatT.code, usable, nearestSeat));
    }
  }
  for (const v of deferred) {
    const host = units.get(partnerOf.get(v.code)!)!;
    claim(v.code, around(vrng, host, 1500, 4000, usable, (c) => nearestFreeCell(vrng, c, usable)));
  }

  // ── facilities ──
  const frng = rngFor(seed, 'facility-points', banner.code);
  const facilities: PlacedFacility[] = [];
  for (const f of plan.facilities) {
    if (f.bannerCode !== banner.code) continue;
    facilities.push(placeFacility(frng, f, units, model, townshipSeats, inside));
  }
  return { units, facilities, seat, seatMovedM: distanceM(seat, banner.seat), territory };
}

/** A random point between `minM` and `maxM` from `centre` satisfying `ok` (the range widens if needed). */
function around(
  rng: Random,
  centre: LonLat,
  minM: number,
  maxM: number,
  ok: (p: LonLat) => boolean,
  fallback: (centre: LonLat) => [number, number] = (c) => nearestValid(c, ok, 60_000),
): [number, number] {
  let lo = minM;
  let hi = maxM;
  for (let attempt = 0; attempt < 400; attempt++) {
    const p = offsetM(centre, rng.range(lo, hi), rng.range(0, 2 * Math.PI));
    if (ok(p)) return p;
    if (attempt % 40 === 39) {
      lo = 0;
      hi *= 1.5;
    }
  }
  return fallback(centre);
}

function villagePoint(
  rng: Random,
  v: VillageRecord,
  t: TownshipRecord,
  centre: [number, number],
  communities: number,
  pastoral: boolean,
  territoryRadiusM: number,
  seatTownshipCode: string,
  usable: (p: LonLat) => boolean,
  nearestSeat: (p: LonLat) => string,
): [number, number] {
  if (v.kind === '社区') {
    const dense = t.kind === '街道' || t.code === seatTownshipCode;
    const sigma = dense ? 600 + 350 * Math.sqrt(communities) : 800;
    for (let attempt = 0; attempt < 300; attempt++) {
      const grow = 1 + Math.floor(attempt / 30) * 0.5;
      const p = offsetM(centre, Math.abs(rng.normal()) * sigma * grow, rng.range(0, 2 * Math.PI));
      if (usable(p)) return p;
    }
    return nearestFreeCell(rng, centre, usable);
  }
  const wide = v.kind === '嘎查' && pastoral;
  for (let attempt = 0; attempt < 300; attempt++) {
    const grow = 1 + Math.floor(attempt / 40) * 0.4;
    const u = rng.next();
    const r = (wide ? 1.3 * territoryRadiusM * Math.sqrt(u) : 0.75 * territoryRadiusM * u ** 0.7) * grow;
    const p = offsetM(centre, Math.max(300, r), rng.range(0, 2 * Math.PI));
    if (!usable(p)) continue;
    // Stay in the township's own territory unless that proves impossible.
    if (attempt < 120 && nearestSeat(p) !== t.code) continue;
    return p;
  }
  return nearestFreeCell(rng, centre, usable);
}

function placeFacility(
  rng: Random,
  f: PlannedFacility,
  units: Map<string, [number, number]>,
  model: RegionModel,
  townshipSeats: { code: string; point: [number, number] }[],
  inside: (p: LonLat) => boolean,
): PlacedFacility {
  const place = f.place;
  let base: [number, number];
  let unit: string;
  if (place.anchor === 'unit') {
    const p = units.get(place.unit);
    if (!p) throw new Error(`facility ${f.code}: unit ${place.unit} has no point`);
    base = p;
    unit = place.unit;
  } else {
    const seatPoint = place.seat === '150000' ? model.regionSeat : model.leagues.get(place.seat)!.seat;
    base = nearestValid(seatPoint, inside);
    unit = '';
  }
  const location = around(rng, base, place.jitterM[0], place.jitterM[1], inside);
  if (!unit) {
    let best = Infinity;
    for (const s of townshipSeats) {
      const d = distanceM(location, s.point);
      if (d < best) {
        best = d;
        unit = s.code;
      }
    }
  }
  return { code: f.code, location, unit };
}
