/**
 * What each tile layer holds, by zoom. Every layer is a SQL relation of
 * features (encode.ts turns it into a tile on either engine):
 *
 * - units: leagues (z ≤ 5), banners (z 6–7), + township seats (z 8–9), + villages (z ≥ 10)
 * - facilities: hospitals and township/community centres below z 9, every facility from z 9
 * - cells: population cells from z 10; below, cells summed into bins of 4 × 4 pixels
 * - access: one class's result per cell from z 10 (state, minutes, nearest facility);
 *   below, bins with people covered / in gaps / served by mobile services
 */
import { sql, type RawBuilder } from 'kysely';
import { HOSPITAL_TYPES, type Level } from '../domain/taxonomy.ts';
import { COVERED, GAP, MOBILE, type AccessResult, type ClassAccess } from '../access/engine.ts';
import type { CellSet } from '../access/inputs.ts';
import type { TileLayer } from './encode.ts';
import { BUFFER, degreesPerPixel, EXTENT, tileBounds, type Tile } from './tile.ts';

export const LAYER_NAMES = ['units', 'facilities', 'cells', 'access'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

export const LAYER_INFO: Record<LayerName, { zh: string; en: string; fields: Record<string, string> }> = {
  units: {
    zh: '行政区划：盟市（z≤5）、旗县（z6–7）、苏木乡镇驻地（z8–9）、嘎查村（z≥10）',
    en: 'Administrative units: leagues (z ≤ 5), banners (z 6–7), township seats (z 8–9), villages (z ≥ 10)',
    fields: { code: 'NBS code', name: 'name', level: 'region … village', population: 'resident population', density: 'people per km²', mobile_service: 'flagged for mobile service', urban: 'street / community', synthetic: 'generated point or population' },
  },
  facilities: {
    zh: '医疗卫生机构（z<9 仅医院与乡镇/社区卫生服务中心）',
    en: 'Health facilities (below z 9 only hospitals and township/community health centres)',
    fields: { id: 'facility id', code: 'code', name: 'name', type: 'facility type', status: 'open, planned, suspended, closed', grade: 'hospital grade', beds: 'beds', synthetic: 'generated facility' },
  },
  cells: {
    zh: '人口网格（z≥10 为单个网格，以下按像素汇总）',
    en: 'Population cells (single cells from z 10; summed into pixel bins below)',
    fields: { id: 'cell id (z ≥ 10)', population: 'people', cells: 'cells in the bin', unit_code: 'unit (z ≥ 10)', synthetic: 'generated cell' },
  },
  access: {
    zh: '可达性结果（按设施类别；?class=basic&ruleSet=…）',
    en: 'Access results for one facility class (?class=basic&ruleSet=…)',
    fields: {
      state: 'covered, gap or mobile (z ≥ 10); worst state in the bin below',
      population: 'people',
      covered: 'people within the limit',
      gap: 'people out of reach',
      mobile: 'people out of reach in mobile-service areas',
      minutes: 'travel minutes to the nearest facility (z ≥ 10); population-weighted mean below',
      distance_m: 'geodesic metres (z ≥ 10)',
      facility_id: 'nearest facility of the class (z ≥ 10)',
    },
  },
};

/** Cells are drawn one by one from this zoom on, binned below it. */
export const DETAIL_ZOOM = 10;

function envelope(tile: Tile): RawBuilder<unknown> {
  const [minLon, minLat, maxLon, maxLat] = tileBounds(tile, BUFFER);
  return sql`ST_MakeEnvelope(${minLon}, ${minLat}, ${maxLon}, ${maxLat}, 4326)`;
}

function levelsAt(z: number): Level[] {
  if (z <= 5) return ['league'];
  if (z <= 7) return ['banner'];
  if (z <= 9) return ['banner', 'township'];
  return ['banner', 'township', 'village'];
}

/** `units`, `facilities` and `cells` relations default to the tables (a scenario passes its context's relations). */
export function unitsLayer(tile: Tile, units: RawBuilder<unknown> = sql`admin_unit`): TileLayer {
  const env = envelope(tile);
  // Two tile units: below what a tile can show.
  const tolerance = (degreesPerPixel(tile.z) * 256 * 2) / EXTENT;
  return {
    name: 'units',
    properties: ['code', 'name', 'level', 'population', 'density', 'mobile_service', 'urban', 'synthetic'],
    features: sql`
      SELECT CASE WHEN u.boundary IS NULL THEN u.point
                  -- Plain Douglas-Peucker (keeping collapsed rings) is ~8× faster than the
                  -- topology-preserving variant; both encoders repair what it bends.
                  ELSE ST_Simplify(ST_ClipByBox2D(u.boundary, ${env}::box2d), ${tolerance}::float8, true) END AS geom,
             u.code, u.name, u.level, u.population,
             CASE WHEN u.area_km2 > 0 AND u.population IS NOT NULL THEN round((u.population / u.area_km2)::numeric, 2)::float8 END AS density,
             u.mobile_service, u.urban, u.synthetic
      FROM ${units} AS u
      WHERE u.level = ANY(${levelsAt(tile.z)}::text[])
        AND (u.boundary && ${env} OR (u.boundary IS NULL AND u.point && ${env}))`,
  };
}

const MAJOR_TYPES = [...HOSPITAL_TYPES, 'township_health_centre', 'community_health_centre'];

export function facilitiesLayer(tile: Tile, facilities: RawBuilder<unknown> = sql`facility`): TileLayer {
  const env = envelope(tile);
  return {
    name: 'facilities',
    properties: ['id', 'code', 'name', 'type', 'status', 'grade', 'beds', 'synthetic'],
    features: sql`
      SELECT f.location AS geom, f.id, f.code, f.name, f.type, f.status, f.grade, f.beds, f.synthetic
      FROM ${facilities} AS f
      WHERE f.location && ${env}
        ${tile.z < 9 ? sql`AND f.type = ANY(${MAJOR_TYPES}::text[])` : sql``}`,
  };
}

/** Bin size in degrees below DETAIL_ZOOM: 4 pixels of a 256-pixel tile. */
function binDegrees(z: number): number {
  return degreesPerPixel(z) * 4;
}

export function cellsLayer(tile: Tile, cells: CellSet | null, relation: RawBuilder<unknown> = sql`population_cell`): TileLayer {
  const env = envelope(tile);
  if (tile.z >= DETAIL_ZOOM || !cells) {
    return {
      name: 'cells',
      properties: ['id', 'population', 'unit_code', 'synthetic'],
      features: sql`
        SELECT c.location AS geom, c.id, c.population, c.unit_code, c.synthetic
        FROM ${relation} AS c
        WHERE c.location && ${env}`,
    };
  }
  // Low zooms cover up to the whole region: bin the cells the access engine
  // already holds for this data version instead of grouping them in SQL per tile.
  const bins = binCells(tile, cells, (i) => cells.population[i]! > 0);
  const list = [...bins.values()];
  return {
    name: 'cells',
    properties: ['population', 'cells', 'synthetic'],
    features: sql`
      SELECT ST_SetSRID(ST_MakePoint(t.x, t.y), 4326) AS geom, t.population, t.cells, t.synthetic
      FROM unnest(${list.map((b) => b.sx / b.pop)}::float8[], ${list.map((b) => b.sy / b.pop)}::float8[], ${list.map((b) => b.pop)}::int8[],
                  ${list.map((b) => b.cells.length)}::int4[], ${list.map((b) => b.cells.some((i) => cells.synthetic[i] === 1))}::bool[])
           AS t(x, y, population, cells, synthetic)`,
  };
}

interface Bin {
  sx: number;
  sy: number;
  pop: number;
  cells: number[];
}

/** Cells of the tile (with buffer) in bins of 4 × 4 pixels, with population-weighted positions. */
function binCells(tile: Tile, cells: CellSet, keep: (i: number) => boolean): Map<string, Bin> {
  const [minLon, minLat, maxLon, maxLat] = tileBounds(tile, BUFFER);
  const g = binDegrees(tile.z);
  const bins = new Map<string, Bin>();
  for (let i = 0; i < cells.count; i++) {
    const x = cells.lon[i]!;
    const y = cells.lat[i]!;
    if (x < minLon || x > maxLon || y < minLat || y > maxLat || !keep(i)) continue;
    const key = `${Math.floor(x / g)},${Math.floor(y / g)}`;
    let b = bins.get(key);
    if (!b) bins.set(key, (b = { sx: 0, sy: 0, pop: 0, cells: [] }));
    const p = cells.population[i]!;
    b.sx += x * p;
    b.sy += y * p;
    b.pop += p;
    b.cells.push(i);
  }
  return bins;
}

const STATE_NAME: Record<number, string> = { [COVERED]: 'covered', [GAP]: 'gap', [MOBILE]: 'mobile' };

/** The access result of one class as features: cells or bins of the tile, from memory into SQL arrays. */
export function accessLayer(tile: Tile, result: AccessResult, cls: ClassAccess): TileLayer {
  const { cells } = result;
  const round = (v: number, d: number) => (Number.isNaN(v) ? null : Math.round(v * 10 ** d) / 10 ** d);
  if (tile.z >= DETAIL_ZOOM) {
    const [minLon, minLat, maxLon, maxLat] = tileBounds(tile, BUFFER);
    const inside: number[] = [];
    for (let i = 0; i < cells.count; i++) {
      const x = cells.lon[i]!;
      const y = cells.lat[i]!;
      if (x >= minLon && x <= maxLon && y >= minLat && y <= maxLat && cells.population[i]! > 0) inside.push(i);
    }
    return {
      name: 'access',
      properties: ['id', 'population', 'state', 'minutes', 'distance_m', 'facility_id'],
      features: sql`
        SELECT ST_SetSRID(ST_MakePoint(t.x, t.y), 4326) AS geom, t.id, t.population, t.state, t.minutes, t.distance_m, t.facility_id
        FROM unnest(${inside.map((i) => cells.lon[i]!)}::float8[], ${inside.map((i) => cells.lat[i]!)}::float8[],
                    ${inside.map((i) => cells.ids[i]!)}::float8[], ${inside.map((i) => cells.population[i]!)}::int4[],
                    ${inside.map((i) => STATE_NAME[cls.state[i]!]!)}::text[], ${inside.map((i) => round(cls.minutes[i]!, 2))}::float8[],
                    ${inside.map((i) => round(cls.distance[i]!, 1))}::float8[],
                    ${inside.map((i) => (cls.nearest[i]! >= 0 ? String(result.facilities.ids[cls.nearest[i]!]!) : null))}::int8[])
             AS t(x, y, id, population, state, minutes, distance_m, facility_id)`,
    };
  }
  // Bins as for the cells layer: population-weighted position and figures.
  const bins = new Map<string, { sx: number; sy: number; pop: number; covered: number; gap: number; mobile: number; sm: number; reach: number }>();
  for (const [key, bin] of binCells(tile, cells, (i) => cells.population[i]! > 0)) {
    const b = { sx: bin.sx, sy: bin.sy, pop: bin.pop, covered: 0, gap: 0, mobile: 0, sm: 0, reach: 0 };
    for (const i of bin.cells) {
      const p = cells.population[i]!;
      const st = cls.state[i]!;
      if (st === COVERED) b.covered += p;
      else if (st === MOBILE) b.mobile += p;
      else b.gap += p;
      if (cls.nearest[i]! >= 0) {
        b.sm += p * cls.minutes[i]!;
        b.reach += p;
      }
    }
    bins.set(key, b);
  }
  const list = [...bins.values()];
  return {
    name: 'access',
    properties: ['population', 'covered', 'gap', 'mobile', 'state', 'minutes'],
    features: sql`
      SELECT ST_SetSRID(ST_MakePoint(t.x, t.y), 4326) AS geom, t.population, t.covered, t.gap, t.mobile, t.state, t.minutes
      FROM unnest(${list.map((b) => b.sx / b.pop)}::float8[], ${list.map((b) => b.sy / b.pop)}::float8[], ${list.map((b) => b.pop)}::int8[],
                  ${list.map((b) => b.covered)}::int8[], ${list.map((b) => b.gap)}::int8[], ${list.map((b) => b.mobile)}::int8[],
                  ${list.map((b) => (b.gap > 0 ? 'gap' : b.mobile > 0 ? 'mobile' : 'covered'))}::text[],
                  ${list.map((b) => (b.reach > 0 ? round(b.sm / b.reach, 2) : null))}::float8[])
           AS t(x, y, population, covered, gap, mobile, state, minutes)`,
  };
}
