/**
 * Admin-unit queries. Plain functions of a Kysely instance (or transaction).
 */
import { sql, type Kysely } from 'kysely';
import type { Geometry as GeoJSONGeometry } from 'geojson';
import type { Database } from '../db/schema.ts';
import { asGeoJSON, intersectsBbox, metresToDegrees, type Bbox } from '../db/postgis.ts';
import type { Level } from '../domain/taxonomy.ts';

export interface UnitFilter {
  level?: Level | undefined;
  parent?: string | undefined;
  bbox?: Bbox | undefined;
  geometry: 'auto' | 'boundary' | 'point' | 'none';
  simplifyMetres?: number | undefined;
  limit: number;
  offset: number;
}

export interface UnitListRow {
  code: string;
  parent_code: string | null;
  level: string;
  name: string;
  kind: string | null;
  urban: boolean;
  population: number | null;
  population_urban: number | null;
  population_year: number | null;
  population_source: string | null;
  area_km2: number | null;
  mobile_service: boolean;
  synthetic: boolean;
  geometry: GeoJSONGeometry | null;
}

const UNIT_COLUMNS = [
  'code',
  'parent_code',
  'level',
  'name',
  'kind',
  'urban',
  'population',
  'population_urban',
  'population_year',
  'population_source',
  'area_km2',
  'mobile_service',
  'synthetic',
] as const;

function filtered(db: Kysely<Database>, filter: Omit<UnitFilter, 'geometry' | 'limit' | 'offset'>) {
  let query = db.selectFrom('admin_unit');
  if (filter.level) query = query.where('level', '=', filter.level);
  if (filter.parent) query = query.where('parent_code', '=', filter.parent);
  if (filter.bbox) {
    const bbox = filter.bbox;
    query = query.where((eb) =>
      eb.or([intersectsBbox(eb.ref('boundary'), bbox), eb.and([eb('boundary', 'is', null), intersectsBbox(eb.ref('point'), bbox)])]),
    );
  }
  return query;
}

export async function listUnits(db: Kysely<Database>, filter: UnitFilter): Promise<{ total: number; rows: UnitListRow[] }> {
  const base = filtered(db, filter);
  const tolerance = metresToDegrees(filter.simplifyMetres ?? 0);
  const [count, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    base
      .select(UNIT_COLUMNS)
      .select((eb) => {
        const geometry =
          filter.geometry === 'none'
            ? sql<GeoJSONGeometry | null>`NULL::json`
            : filter.geometry === 'point'
              ? asGeoJSON(eb.ref('point'))
              : filter.geometry === 'boundary'
                ? asGeoJSON(eb.ref('boundary'), tolerance)
                : sql<GeoJSONGeometry | null>`COALESCE(${asGeoJSON(eb.ref('boundary'), tolerance)}, ${asGeoJSON(eb.ref('point'))})`;
        return geometry.as('geometry');
      })
      .orderBy('code')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
  ]);
  return { total: Number(count.n), rows: rows as UnitListRow[] };
}

export interface UnitRow extends Omit<UnitListRow, 'geometry'> {
  league_code: string | null;
  banner_code: string | null;
  township_code: string | null;
  point: GeoJSONGeometry | null;
  bbox: [number, number, number, number] | null;
  boundary?: GeoJSONGeometry | null;
}

export async function findUnit(
  db: Kysely<Database>,
  code: string,
  options: { boundary?: boolean; simplifyMetres?: number } = {},
): Promise<UnitRow | undefined> {
  const row = await db
    .selectFrom('admin_unit')
    .select(UNIT_COLUMNS)
    .select(['league_code', 'banner_code', 'township_code'])
    .select((eb) => [
      asGeoJSON(eb.ref('point')).as('point'),
      sql<[number, number, number, number] | null>`CASE WHEN COALESCE(boundary, point) IS NULL THEN NULL ELSE
        json_build_array(round(ST_XMin(COALESCE(boundary, point))::numeric, 6), round(ST_YMin(COALESCE(boundary, point))::numeric, 6),
                         round(ST_XMax(COALESCE(boundary, point))::numeric, 6), round(ST_YMax(COALESCE(boundary, point))::numeric, 6)) END`.as('bbox'),
    ])
    .$if(options.boundary === true, (q) =>
      q.select((eb) => asGeoJSON(eb.ref('boundary'), metresToDegrees(options.simplifyMetres ?? 0)).as('boundary')),
    )
    .where('code', '=', code)
    .executeTakeFirst();
  return row as UnitRow | undefined;
}

/** Ancestors of a unit, region first, not including the unit itself. */
export async function parentChain(db: Kysely<Database>, code: string) {
  const { rows } = await sql<{ code: string; name: string; level: string; depth: number }>`
    WITH RECURSIVE up AS (
      SELECT a.code, a.name, a.level, a.parent_code, 0 AS depth FROM admin_unit a
        WHERE a.code = (SELECT parent_code FROM admin_unit WHERE code = ${code})
      UNION ALL
      SELECT a.code, a.name, a.level, a.parent_code, up.depth + 1 FROM admin_unit a JOIN up ON a.code = up.parent_code
    )
    SELECT code, name, level, depth FROM up ORDER BY depth DESC`.execute(db);
  return rows.map(({ code, name, level }) => ({ code, name, level }));
}

export async function directChildren(db: Kysely<Database>, code: string) {
  return db
    .selectFrom('admin_unit')
    .select(['code', 'name', 'level', 'population'])
    .where('parent_code', '=', code)
    .orderBy('code')
    .execute();
}

/** Column holding the ancestor code for a unit of this level (subtree filters). */
export function ancestorColumn(level: Level): 'league_code' | 'banner_code' | 'township_code' | null {
  switch (level) {
    case 'league':
      return 'league_code';
    case 'banner':
      return 'banner_code';
    case 'township':
      return 'township_code';
    default:
      return null;
  }
}

export async function descendantCounts(db: Kysely<Database>, unit: { code: string; level: Level }) {
  let query = db.selectFrom('admin_unit').select((eb) => ['level', eb.fn.countAll<number>().as('n')]).where('code', '<>', unit.code);
  const column = ancestorColumn(unit.level);
  if (unit.level === 'village') return {};
  if (column) query = query.where(column, '=', unit.code);
  const rows = await query.groupBy('level').execute();
  return Object.fromEntries(rows.map((r) => [r.level, Number(r.n)]));
}

export async function facilityCountsByType(db: Kysely<Database>, unit: { code: string; level: Level }) {
  let query = db.selectFrom('facility').select((eb) => ['type', eb.fn.countAll<number>().as('n')]);
  const column = ancestorColumn(unit.level);
  if (unit.level === 'village') query = query.where('unit_code', '=', unit.code);
  else if (column) query = query.where(column, '=', unit.code);
  const rows = await query.groupBy('type').execute();
  return Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
}

export async function unitExists(db: Kysely<Database>, code: string): Promise<{ code: string; level: Level } | undefined> {
  const row = await db.selectFrom('admin_unit').select(['code', 'level']).where('code', '=', code).executeTakeFirst();
  return row as { code: string; level: Level } | undefined;
}
