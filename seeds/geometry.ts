/**
 * Geometry for the generators, in plain JS so that the generated coordinates do
 * not depend on the database engine (PGlite and PostgreSQL ship different
 * PostGIS versions; ST_MakeValid may differ between them):
 *
 * - `Shape`: a banner polygon from the shipped boundary file with an edge index
 *   by latitude band: point-in-polygon (even–odd, so holes and overlapping parts
 *   count as outside — conservative) and distance to the nearest edge. Generated
 *   points keep a margin from every edge, so they are inside the polygon the
 *   database stores whatever repairs ST_MakeValid makes.
 * - The population grid: 1 km cells of an Albers equal-area conic projection
 *   fitted to Inner Mongolia (WGS84 ellipsoid, standard parallels 40° and 50° N,
 *   central meridian 112° E), so every cell has the same ground area (1 km²)
 *   across the region's 29° of longitude.
 */
import proj4 from 'proj4';
import type { FeatureCollection, Geometry, MultiPolygon, Polygon } from 'geojson';
import { readDataCsv, readDataJson } from './data/load.ts';
import type { Random } from './random.ts';

export type LonLat = readonly [number, number];

const M_PER_DEG_LAT = 110_574;
const M_PER_DEG_LON_EQ = 111_320;
const BAND_DEG = 0.02;

/** Ground distance in metres between two nearby points (equirectangular; < 0.5 % error within 100 km). */
export function distanceM(a: LonLat, b: LonLat): number {
  const kx = M_PER_DEG_LON_EQ * Math.cos((((a[1] + b[1]) / 2) * Math.PI) / 180);
  const dx = (a[0] - b[0]) * kx;
  const dy = (a[1] - b[1]) * M_PER_DEG_LAT;
  return Math.sqrt(dx * dx + dy * dy);
}

/** The point `metres` away from `origin` in direction `angle` (radians from east). */
export function offsetM(origin: LonLat, metres: number, angle: number): [number, number] {
  const kx = M_PER_DEG_LON_EQ * Math.cos((origin[1] * Math.PI) / 180);
  return [origin[0] + (metres * Math.cos(angle)) / kx, origin[1] + (metres * Math.sin(angle)) / M_PER_DEG_LAT];
}

export class Shape {
  readonly bbox: [number, number, number, number];
  /** Area in km² (rings on a local equirectangular plane; holes subtracted). */
  readonly areaKm2: number;
  private readonly x1: Float64Array;
  private readonly y1: Float64Array;
  private readonly x2: Float64Array;
  private readonly y2: Float64Array;
  private readonly bands: Int32Array[];

  constructor(geometry: Polygon | MultiPolygon) {
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    const edges: number[] = [];
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    let area = 0;
    for (const polygon of polygons) {
      polygon.forEach((ring, ringIndex) => {
        const kx = M_PER_DEG_LON_EQ * Math.cos(((ring[0]?.[1] ?? 0) * Math.PI) / 180);
        let twice = 0;
        for (let i = 0; i < ring.length; i++) {
          const p = ring[i]!;
          const q = ring[(i + 1) % ring.length]!;
          twice += p[0]! * kx * q[1]! * M_PER_DEG_LAT - q[0]! * kx * p[1]! * M_PER_DEG_LAT;
        }
        area += (ringIndex === 0 ? 1 : -1) * Math.abs(twice / 2);
        for (let i = 0; i < ring.length; i++) {
          const a = ring[i]!;
          const b = ring[(i + 1) % ring.length]!;
          if (a[0] === b[0] && a[1] === b[1]) continue;
          edges.push(a[0]!, a[1]!, b[0]!, b[1]!);
          minX = Math.min(minX, a[0]!);
          maxX = Math.max(maxX, a[0]!);
          minY = Math.min(minY, a[1]!);
          maxY = Math.max(maxY, a[1]!);
        }
      });
    }
    this.areaKm2 = area / 1e6;
    const n = edges.length / 4;
    this.x1 = new Float64Array(n);
    this.y1 = new Float64Array(n);
    this.x2 = new Float64Array(n);
    this.y2 = new Float64Array(n);
    const bandCount = Math.max(1, Math.ceil((maxY - minY) / BAND_DEG) + 1);
    const lists: number[][] = Array.from({ length: bandCount }, () => []);
    for (let i = 0; i < n; i++) {
      this.x1[i] = edges[4 * i]!;
      this.y1[i] = edges[4 * i + 1]!;
      this.x2[i] = edges[4 * i + 2]!;
      this.y2[i] = edges[4 * i + 3]!;
      const lo = Math.floor((Math.min(this.y1[i]!, this.y2[i]!) - minY) / BAND_DEG);
      const hi = Math.floor((Math.max(this.y1[i]!, this.y2[i]!) - minY) / BAND_DEG);
      for (let b = lo; b <= hi; b++) lists[b]!.push(i);
    }
    this.bands = lists.map((l) => Int32Array.from(l));
    this.bbox = [minX, minY, maxX, maxY];
  }

  private band(lat: number): number {
    return Math.floor((lat - this.bbox[1]) / BAND_DEG);
  }

  /** Even–odd point-in-polygon. */
  contains(lon: number, lat: number): boolean {
    if (lon < this.bbox[0] || lon > this.bbox[2] || lat < this.bbox[1] || lat > this.bbox[3]) return false;
    const edges = this.bands[this.band(lat)];
    if (!edges) return false;
    let inside = false;
    for (let k = 0; k < edges.length; k++) {
      const i = edges[k]!;
      const ya = this.y1[i]!;
      const yb = this.y2[i]!;
      if (ya > lat !== yb > lat) {
        const x = this.x1[i]! + ((lat - ya) * (this.x2[i]! - this.x1[i]!)) / (yb - ya);
        if (x > lon) inside = !inside;
      }
    }
    return inside;
  }

  /** Distance in metres from the point to the nearest edge, searched up to `limitM` (returns limitM when none is nearer). */
  distanceToEdgeM(lon: number, lat: number, limitM: number): number {
    const kx = M_PER_DEG_LON_EQ * Math.cos((lat * Math.PI) / 180);
    const from = Math.max(0, this.band(lat - limitM / M_PER_DEG_LAT));
    const to = Math.min(this.bands.length - 1, this.band(lat + limitM / M_PER_DEG_LAT));
    let best = limitM;
    for (let b = from; b <= to; b++) {
      const edges = this.bands[b]!;
      for (let k = 0; k < edges.length; k++) {
        const i = edges[k]!;
        const ax = (this.x1[i]! - lon) * kx;
        const ay = (this.y1[i]! - lat) * M_PER_DEG_LAT;
        const bx = (this.x2[i]! - lon) * kx;
        const by = (this.y2[i]! - lat) * M_PER_DEG_LAT;
        const dx = bx - ax;
        const dy = by - ay;
        const len2 = dx * dx + dy * dy;
        const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
        const px = ax + t * dx;
        const py = ay + t * dy;
        const d = Math.sqrt(px * px + py * py);
        if (d < best) best = d;
      }
    }
    return best;
  }

  /** Inside and at least `marginM` from every edge. */
  containsWithMargin(lon: number, lat: number, marginM: number): boolean {
    return this.contains(lon, lat) && this.distanceToEdgeM(lon, lat, marginM) >= marginM;
  }

  /** A uniformly random point inside (with margin), by rejection from the bounding box. */
  randomPoint(rng: Random, marginM: number): [number, number] {
    for (let attempt = 0; attempt < 10_000; attempt++) {
      const lon = rng.range(this.bbox[0], this.bbox[2]);
      const lat = rng.range(this.bbox[1], this.bbox[3]);
      if (this.containsWithMargin(lon, lat, marginM)) return [lon, lat];
    }
    throw new Error('randomPoint: no point found inside the polygon');
  }
}

// ── population grid ─────────────────────────────────────────────────────────
export const GRID_NAME = 'IM-AEA-1km';
export const GRID_CELL_M = 1000;
export const GRID_PROJ4 = '+proj=aea +lat_0=45 +lon_0=112 +lat_1=40 +lat_2=50 +x_0=2000000 +y_0=1000000 +ellps=WGS84 +units=m +no_defs';
const gridProjection = proj4('EPSG:4326', GRID_PROJ4);

/** Grid coordinates (metres, all positive over Inner Mongolia) of a WGS84 point. */
export function toGrid(p: LonLat): [number, number] {
  const [x, y] = gridProjection.forward([p[0], p[1]]);
  return [x!, y!];
}

export function fromGrid(x: number, y: number): [number, number] {
  const [lon, lat] = gridProjection.inverse([x, y]);
  return [lon!, lat!];
}

export interface GridCell {
  ix: number;
  iy: number;
}

export function cellOf(x: number, y: number): GridCell {
  return { ix: Math.floor(x / GRID_CELL_M), iy: Math.floor(y / GRID_CELL_M) };
}

/** Stable key of a cell: grid name and column/row of its lower-left corner in km, e.g. IM-AEA-1km:E2385N0265. */
export function cellKey(ix: number, iy: number): string {
  return `${GRID_NAME}:E${String(ix).padStart(4, '0')}N${String(iy).padStart(4, '0')}`;
}

export function cellCentre(ix: number, iy: number): [number, number] {
  return fromGrid((ix + 0.5) * GRID_CELL_M, (iy + 0.5) * GRID_CELL_M);
}

// ── the shipped banner polygons and seats ───────────────────────────────────
let shapes: Map<string, Shape> | null = null;

/** Banner polygons by code, from the same file the top-level seed loads. */
export function bannerShapes(): Map<string, Shape> {
  if (shapes) return shapes;
  const fc = readDataJson<FeatureCollection<Geometry, { adcode: string }>>('im_counties_echarts_wgs84.geojson.gz');
  shapes = new Map();
  const features = [...fc.features].sort((a, b) => (String(a.properties.adcode) < String(b.properties.adcode) ? -1 : 1));
  for (const feature of features) {
    const g = feature.geometry;
    if (g.type !== 'Polygon' && g.type !== 'MultiPolygon') throw new Error(`banner ${feature.properties.adcode}: ${g.type} boundary`);
    shapes.set(String(feature.properties.adcode), new Shape(g));
  }
  return shapes;
}

/** Real government seats (AMap, WGS84) of the leagues and banners. */
export function seats(): Map<string, [number, number]> {
  return new Map(readDataCsv('im_seats_amap2020.csv').map((r) => [r.adcode!, [Number(r.seat_lon_wgs84), Number(r.seat_lat_wgs84)]]));
}

/**
 * The banner that owns a point: the lowest-coded banner whose polygon contains
 * it. Adjacent county polygons of the boundary file overlap in slivers (their
 * vertices are quantised); this tie-break gives every point, and so every grid
 * cell, exactly one banner — the same one whichever banners are being seeded.
 */
export function owningBanner(lon: number, lat: number): string | null {
  for (const [code, shape] of bannerShapes()) {
    if (shape.contains(lon, lat)) return code;
  }
  return null;
}
