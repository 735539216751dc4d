/**
 * Gap areas and catchments: groups of population cells, described by figures
 * computed here and drawn as the union of the cells' squares by PostGIS.
 *
 * - A gap area is a connected cluster of cells in the GAP state of one class
 *   (cells touching at an edge or a corner belong together), with its people,
 *   area, and the nearest facility of the class to any of its cells.
 * - A catchment is the set of cells for which a facility is the nearest of its
 *   class, with its people and population per doctor and per bed.
 */
import { sql, type Kysely } from 'kysely';
import type { Geometry } from 'geojson';
import proj4 from 'proj4';
import { GRID_PROJ4 } from '../../seeds/geometry.ts';
import type { Database } from '../db/schema.ts';
import { GAP, type AccessResult, type ClassAccess } from './engine.ts';
import { LEVEL_COUNT, LEVEL_INDEX, type CellSet } from './inputs.ts';
import type { Bbox } from '../db/postgis.ts';

/** Squares are drawn 1 % larger than the cell so that neighbours overlap instead of merely touching. */
const SQUARE_OVERSIZE = 1.01;
/** Cell centres closer than this many cell sizes are neighbours (diagonal = √2). */
const NEIGHBOUR_FACTOR = 1.5;

function metresPerDegree(lat: number): { lon: number; lat: number } {
  const phi = (lat * Math.PI) / 180;
  return {
    lat: 111_132.954 - 559.822 * Math.cos(2 * phi) + 1.175 * Math.cos(4 * phi),
    lon: 111_412.84 * Math.cos(phi) - 93.5 * Math.cos(3 * phi),
  };
}

/**
 * The population grid's plane (seeds/geometry.ts): its cells are squares in an
 * Albers conic projection, turned against the meridians by the convergence
 * n·(λ − 112°) — about 5.6° in Aohan Banner, up to ~10° at the region's ends.
 * A square along the meridians around the centre leaves the cell's corners out
 * (a clinic near a corner of its own cell fell up to 35 m outside its catchment).
 */
const gridPlane = proj4('EPSG:4326', GRID_PROJ4);
/** A cell whose centre lies this close (metres) to the centre of a grid cell of its size is that grid cell. */
const GRID_SNAP_M = 0.01;

const ringCache = new WeakMap<CellSet, Float64Array>();

/**
 * The corners of the cell's square (lon, lat × 4, counter-clockwise from the
 * south-west), drawn 1 % larger: the grid square for a cell of the Albers grid,
 * otherwise a square along the meridians (cells imported from other grids).
 */
export function cellRing(result: AccessResult, i: number): Float64Array {
  const { cells } = result;
  let cache = ringCache.get(cells);
  if (!cache) {
    cache = new Float64Array(cells.count * 8).fill(NaN);
    ringCache.set(cells, cache);
  }
  const ring = cache.subarray(i * 8, i * 8 + 8);
  if (!Number.isNaN(ring[0]!)) return ring;
  const lon = cells.lon[i]!;
  const lat = cells.lat[i]!;
  const size = cells.sizeM[i]!;
  const half = (size * SQUARE_OVERSIZE) / 2;
  const [x, y] = gridPlane.forward([lon, lat]) as [number, number];
  const offX = x - (Math.floor(x / size) + 0.5) * size;
  const offY = y - (Math.floor(y / size) + 0.5) * size;
  const corners: [number, number][] = [
    [-half, -half],
    [half, -half],
    [half, half],
    [-half, half],
  ];
  if (Number.isFinite(x) && Number.isFinite(y) && Math.abs(offX) <= GRID_SNAP_M && Math.abs(offY) <= GRID_SNAP_M) {
    corners.forEach(([dx, dy], k) => {
      const [cLon, cLat] = gridPlane.inverse([x + dx, y + dy]) as [number, number];
      ring[k * 2] = cLon;
      ring[k * 2 + 1] = cLat;
    });
  } else {
    const m = metresPerDegree(lat);
    corners.forEach(([dx, dy], k) => {
      ring[k * 2] = lon + dx / m.lon;
      ring[k * 2 + 1] = lat + dy / m.lat;
    });
  }
  return ring;
}

/** The extent (lon/lat) of the cell's square. */
export function cellSquare(result: AccessResult, i: number): Bbox {
  const r = cellRing(result, i);
  return [Math.min(r[0]!, r[6]!), Math.min(r[1]!, r[3]!), Math.max(r[2]!, r[4]!), Math.max(r[5]!, r[7]!)];
}

function extend(b: number[], s: Bbox): void {
  if (s[0] < b[0]!) b[0] = s[0];
  if (s[1] < b[1]!) b[1] = s[1];
  if (s[2] > b[2]!) b[2] = s[2];
  if (s[3] > b[3]!) b[3] = s[3];
}

export function intersects(a: readonly number[], b: Bbox): boolean {
  return a[0]! <= b[2] && a[2]! >= b[0] && a[1]! <= b[3] && a[3]! >= b[1];
}

export interface GapArea {
  /** Stable while the cluster keeps its lowest cell: `<class>-<lowest cell id>`. */
  id: string;
  cells: Uint32Array;
  population: number;
  areaKm2: number;
  /** Facility index (into result.facilities) nearest to any cell of the area, -1 when the class has none. */
  nearestFacility: number;
  nearestDistanceM: number | null;
  bbox: [number, number, number, number];
  /** Unit indexes the area touches at township, banner and league level. */
  units: Set<number>;
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    const p = this.parent;
    while (p[i] !== i) {
      p[i] = p[p[i]!]!;
      i = p[i]!;
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

const gapCache = new WeakMap<ClassAccess, GapArea[]>();

/** The connected clusters of gap cells of one class, most people first. */
export function gapAreas(result: AccessResult, cls: ClassAccess): GapArea[] {
  const cached = gapCache.get(cls);
  if (cached) return cached;
  const { cells, units } = result;
  const members: number[] = [];
  for (let i = 0; i < cells.count; i++) if (cls.state[i] === GAP && cells.population[i]! > 0) members.push(i);
  // Neighbours through a hash of ECEF space in buckets larger than the neighbour distance.
  let maxSize = 0;
  for (const i of members) maxSize = Math.max(maxSize, cells.sizeM[i]!);
  const bucket = Math.max(1, maxSize * NEIGHBOUR_FACTOR);
  const xyz = cells.ecef.xyz;
  const key = (x: number, y: number, z: number) => `${x},${y},${z}`;
  const grid = new Map<string, number[]>();
  const cellBucket = members.map((i) => {
    const b = [Math.floor(xyz[i * 3]! / bucket), Math.floor(xyz[i * 3 + 1]! / bucket), Math.floor(xyz[i * 3 + 2]! / bucket)] as const;
    const k = key(b[0], b[1], b[2]);
    const list = grid.get(k);
    if (list) list.push(i);
    else grid.set(k, [i]);
    return b;
  });
  const position = new Map<number, number>();
  members.forEach((i, k) => position.set(i, k));
  const uf = new UnionFind(members.length);
  members.forEach((i, k) => {
    const [bx, by, bz] = cellBucket[k]!;
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (let dz = -1; dz <= 1; dz++) {
          const list = grid.get(key(bx + dx, by + dy, bz + dz));
          if (!list) continue;
          for (const j of list) {
            if (j <= i) continue;
            const limit = NEIGHBOUR_FACTOR * Math.max(cells.sizeM[i]!, cells.sizeM[j]!);
            const ex = xyz[i * 3]! - xyz[j * 3]!;
            const ey = xyz[i * 3 + 1]! - xyz[j * 3 + 1]!;
            const ez = xyz[i * 3 + 2]! - xyz[j * 3 + 2]!;
            if (ex * ex + ey * ey + ez * ez <= limit * limit) uf.union(k, position.get(j)!);
          }
        }
      }
    }
  });
  const groups = new Map<number, number[]>();
  members.forEach((i, k) => {
    const root = uf.find(k);
    const g = groups.get(root);
    if (g) g.push(i);
    else groups.set(root, [i]);
  });
  const areas: GapArea[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => cells.ids[a]! - cells.ids[b]!);
    let population = 0;
    let area = 0;
    let nearestFacility = -1;
    let nearestDistance = Infinity;
    const bbox = [Infinity, Infinity, -Infinity, -Infinity];
    const touched = new Set<number>();
    for (const i of list) {
      population += cells.population[i]!;
      area += (cells.sizeM[i]! * cells.sizeM[i]!) / 1e6;
      const f = cls.nearest[i]!;
      const d = cls.distance[i]!;
      if (f >= 0 && (d < nearestDistance || (d === nearestDistance && result.facilities.ids[f]! < result.facilities.ids[nearestFacility]!))) {
        nearestFacility = f;
        nearestDistance = d;
      }
      extend(bbox, cellSquare(result, i));
      const u = cells.unit[i]!;
      if (u >= 0) {
        for (const level of [LEVEL_INDEX.league, LEVEL_INDEX.banner, LEVEL_INDEX.township]) {
          const a = units.ancestors[u * LEVEL_COUNT + level]!;
          if (a >= 0) touched.add(a);
        }
        touched.add(u);
      }
    }
    areas.push({
      id: `${cls.cls.key}-${cells.ids[list[0]!]}`,
      cells: Uint32Array.from(list),
      population,
      areaKm2: Math.round(area * 1000) / 1000,
      nearestFacility,
      nearestDistanceM: nearestFacility < 0 ? null : Math.round(nearestDistance * 10) / 10,
      bbox: bbox as [number, number, number, number],
      units: touched,
    });
  }
  areas.sort((a, b) => b.population - a.population || (a.id < b.id ? -1 : 1));
  gapCache.set(cls, areas);
  return areas;
}

export interface Catchments {
  population: Float64Array;
  cells: Int32Array;
  /** Σ population × distance, for the mean distance of the catchment's people. */
  sumDistance: Float64Array;
  maxDistance: Float64Array;
  /** Per facility: minLon, minLat, maxLon, maxLat of its cells' squares and its own point. */
  bbox: Float64Array;
}

const catchmentCache = new WeakMap<ClassAccess, Catchments>();

export function catchments(result: AccessResult, cls: ClassAccess): Catchments {
  const cached = catchmentCache.get(cls);
  if (cached) return cached;
  const F = result.facilities.count;
  const c: Catchments = {
    population: new Float64Array(F),
    cells: new Int32Array(F),
    sumDistance: new Float64Array(F),
    maxDistance: new Float64Array(F),
    bbox: new Float64Array(F * 4),
  };
  for (let f = 0; f < F; f++) {
    c.bbox[f * 4] = c.bbox[f * 4 + 2] = result.facilities.lon[f]!;
    c.bbox[f * 4 + 1] = c.bbox[f * 4 + 3] = result.facilities.lat[f]!;
  }
  const { cells } = result;
  for (let i = 0; i < cells.count; i++) {
    const f = cls.nearest[i]!;
    if (f < 0) continue;
    const pop = cells.population[i]!;
    c.population[f]! += pop;
    c.cells[f]!++;
    c.sumDistance[f]! += pop * cls.distance[i]!;
    if (cls.distance[i]! > c.maxDistance[f]!) c.maxDistance[f] = cls.distance[i]!;
    const s = cellSquare(result, i);
    if (s[0] < c.bbox[f * 4]!) c.bbox[f * 4] = s[0];
    if (s[1] < c.bbox[f * 4 + 1]!) c.bbox[f * 4 + 1] = s[1];
    if (s[2] > c.bbox[f * 4 + 2]!) c.bbox[f * 4 + 2] = s[2];
    if (s[3] > c.bbox[f * 4 + 3]!) c.bbox[f * 4 + 3] = s[3];
  }
  catchmentCache.set(cls, c);
  return c;
}

/** Cell indexes of each listed facility's catchment. */
export function catchmentCells(result: AccessResult, cls: ClassAccess, facilities: readonly number[]): Map<number, number[]> {
  const wanted = new Map<number, number[]>(facilities.map((f) => [f, []]));
  for (let i = 0; i < result.cells.count; i++) {
    const list = wanted.get(cls.nearest[i]!);
    if (list) list.push(i);
  }
  return wanted;
}

/** Geometry rounding grid (degrees, ~1 cm) for a robust union on both engines. */
const UNION_GRID = 1e-7;

/**
 * Union of the squares of each group of cells (cellRing), as GeoJSON (MultiPolygon or
 * Polygon). Groups are keyed by their position in `groups`.
 */
export async function unionOfSquares(db: Kysely<Database>, result: AccessResult, groups: readonly (readonly number[])[]): Promise<(Geometry | null)[]> {
  const k: number[] = [];
  const xs: number[][] = [[], [], [], []];
  const ys: number[][] = [[], [], [], []];
  groups.forEach((cellsOfGroup, g) => {
    for (const i of cellsOfGroup) {
      const r = cellRing(result, i);
      k.push(g);
      for (let c = 0; c < 4; c++) {
        xs[c]!.push(r[c * 2]!);
        ys[c]!.push(r[c * 2 + 1]!);
      }
    }
  });
  const out: (Geometry | null)[] = groups.map(() => null);
  if (k.length === 0) return out;
  const { rows } = await sql<{ k: number; geometry: Geometry }>`
    SELECT s.k, ST_AsGeoJSON(ST_Union(ST_SetSRID(ST_MakePolygon(ST_MakeLine(ARRAY[
             ST_MakePoint(s.x0, s.y0), ST_MakePoint(s.x1, s.y1), ST_MakePoint(s.x2, s.y2), ST_MakePoint(s.x3, s.y3), ST_MakePoint(s.x0, s.y0)])), 4326),
           ${UNION_GRID}::float8), 6)::json AS geometry
    FROM unnest(${k}::int4[], ${xs[0]}::float8[], ${ys[0]}::float8[], ${xs[1]}::float8[], ${ys[1]}::float8[],
                ${xs[2]}::float8[], ${ys[2]}::float8[], ${xs[3]}::float8[], ${ys[3]}::float8[]) AS s(k, x0, y0, x1, y1, x2, y2, x3, y3)
    GROUP BY s.k`.execute(db);
  for (const row of rows) out[row.k] = row.geometry;
  return out;
}
