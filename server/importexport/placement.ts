/**
 * Where points stand: inside Inner Mongolia, inside the banner (or own boundary)
 * of the unit they claim, and — when no unit is given — which unit they fall in.
 * One set-based query for any number of points; registry edits call it with one.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Level } from '../domain/taxonomy.ts';

export const REGION_CODE = '150000';

/**
 * Named tolerances (assumptions, not policy): the seeded boundaries are quantised
 * to ~100 m and users' points are often a few hundred metres off, so a point up
 * to ~2 km outside the region or its banner is accepted. For files the region
 * test uses a buffer of a 0.005°-simplified outline, i.e. 1.5–2 km.
 */
export const PLACEMENT_TOLERANCE_DEG = 0.02;
export const REGION_SIMPLIFY_DEG = 0.005;
/** Below this many points the exact ST_DWithin is cheaper than building the buffered outline. */
const EXACT_REGION_TEST_MAX = 200;

export type Containment = 'in' | 'near' | 'out';

export interface PlacementInput {
  ord: number;
  lon: number;
  lat: number;
  unitCode: string | null;
}

export interface Placement {
  ord: number;
  /** The unit code the point was checked with (given, or inferred before). */
  unitCode: string | null;
  /** 'unknown' when the database has no region boundary. */
  region: Containment | 'unknown';
  unitFound: boolean;
  unitLevel: Level | null;
  unitName: string | null;
  bannerCode: string | null;
  /** The unit's own boundary (township/village with one) or else its banner's; null when there is none. */
  unitCheck: Containment | null;
  checkedAgainst: string | null;
  checkedAgainstName: string | null;
  unitLon: number | null;
  unitLat: number | null;
  /** Deepest unit whose boundary contains the point (only for points without a unit). */
  inferredCode: string | null;
  /** Nearest village settlement point inside the inferred unit (only with `settle`). */
  settlementCode: string | null;
}

interface Row {
  ord: number;
  unit_code: string | null;
  region: Placement['region'];
  unit_found: boolean;
  unit_level: Level | null;
  unit_name: string | null;
  banner_code: string | null;
  unit_check: Containment | null;
  checked_against: string | null;
  checked_against_name: string | null;
  unit_lon: number | null;
  unit_lat: number | null;
  inferred_code: string | null;
  settlement_code: string | null;
}

const CHUNK = 20_000;

export async function checkPlacements(
  db: Kysely<Database>,
  inputs: PlacementInput[],
  options: { settle?: boolean } = {},
): Promise<Map<number, Placement>> {
  const out = new Map<number, Placement>();
  // Points of one banner together, so PostGIS reuses its prepared polygon.
  const sorted = [...inputs].sort((a, b) => {
    const ua = a.unitCode ?? '';
    const ub = b.unitCode ?? '';
    return ua < ub ? -1 : ua > ub ? 1 : a.lon - b.lon;
  });
  const exact = inputs.length <= EXACT_REGION_TEST_MAX;
  for (let i = 0; i < sorted.length; i += CHUNK) {
    const chunk = sorted.slice(i, i + CHUNK);
    const source = sql`
      SELECT t.ord, t.unit_code, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) AS g
      FROM unnest(${chunk.map((c) => c.ord)}::int[], ${chunk.map((c) => c.lon)}::float8[],
                  ${chunk.map((c) => c.lat)}::float8[], ${chunk.map((c) => c.unitCode)}::text[]) AS t(ord, lon, lat, unit_code)`;
    for (const r of await placementRows(db, source, exact, options.settle === true)) out.set(r.ord, toPlacement(r));
  }
  return out;
}

/**
 * The same checks for points already staged in a table (columns ord, lon, lat,
 * unit_code): no second transfer of the rows, one statement for the whole file.
 * Only rows with something to report come back (outside the region, unit
 * missing or unknown, outside the unit's banner), plus about `samples` others
 * for the coordinate-shift detector: an absent row is fine.
 */
export async function checkStagedPlacements(db: Kysely<Database>, table: string, options: { samples?: number } = {}): Promise<Map<number, Placement>> {
  const { rows: count } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db);
  const every = Math.max(1, Math.floor(count[0]!.n / (options.samples ?? 5000)));
  const source = sql`SELECT ord, unit_code, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g FROM ${sql.table(table)} WHERE lon IS NOT NULL ORDER BY unit_code, lon`;
  const rows = await placementRows(db, source, false, false, every);
  return new Map(rows.map((r) => [r.ord, toPlacement(r)]));
}

function toPlacement(r: Row): Placement {
  return {
    ord: r.ord,
    unitCode: r.unit_code,
    region: r.region,
    unitFound: r.unit_found,
    unitLevel: r.unit_level,
    unitName: r.unit_name,
    bannerCode: r.banner_code,
    unitCheck: r.unit_check,
    checkedAgainst: r.checked_against,
    checkedAgainstName: r.checked_against_name,
    unitLon: r.unit_lon,
    unitLat: r.unit_lat,
    inferredCode: r.inferred_code,
    settlementCode: r.settlement_code,
  };
}

async function placementRows(db: Kysely<Database>, source: RawBuilder<unknown>, exact: boolean, settle: boolean, sampleEvery?: number): Promise<Row[]> {
  const query = sql<Row>`
      WITH p AS (${source}),
      region AS MATERIALIZED (SELECT boundary FROM admin_unit WHERE code = ${REGION_CODE} AND boundary IS NOT NULL),
      region_near AS MATERIALIZED (
        SELECT ST_Buffer(ST_SimplifyPreserveTopology(boundary, ${REGION_SIMPLIFY_DEG}::float8), ${PLACEMENT_TOLERANCE_DEG}::float8) AS g FROM region
      )
      SELECT p.ord, p.unit_code,
        CASE WHEN r.boundary IS NULL THEN 'unknown'
             -- Inside its banner (the region is the union of the banners): no need to test the region's 40,000-vertex outline.
             WHEN own.level = 'banner' AND ST_Intersects(own.boundary, p.g) THEN 'in'
             WHEN ST_Intersects(r.boundary, p.g) THEN 'in'
             WHEN ${exact} AND ST_DWithin(r.boundary, p.g, ${PLACEMENT_TOLERANCE_DEG}::float8) THEN 'near'
             WHEN NOT ${exact} AND EXISTS (SELECT 1 FROM region_near n WHERE ST_Intersects(n.g, p.g)) THEN 'near'
             ELSE 'out' END AS region,
        u.code IS NOT NULL AS unit_found,
        u.level AS unit_level,
        u.name AS unit_name,
        u.banner_code,
        CASE WHEN own.boundary IS NULL THEN NULL
             WHEN ST_Intersects(own.boundary, p.g) THEN 'in'
             WHEN ST_DWithin(own.boundary, p.g, ${PLACEMENT_TOLERANCE_DEG}::float8) THEN 'near'
             ELSE 'out' END AS unit_check,
        own.code AS checked_against,
        own.name AS checked_against_name,
        ST_X(u.point) AS unit_lon,
        ST_Y(u.point) AS unit_lat,
        inferred.code AS inferred_code,
        settled.code AS settlement_code
      FROM p
      LEFT JOIN region r ON true
      LEFT JOIN admin_unit u ON u.code = p.unit_code
      LEFT JOIN admin_unit own ON own.code = CASE
          WHEN u.boundary IS NOT NULL AND u.level IN ('banner', 'township', 'village') THEN u.code
          ELSE u.banner_code END
      LEFT JOIN LATERAL (
        SELECT a.code, a.level FROM admin_unit a
        WHERE p.unit_code IS NULL AND a.boundary IS NOT NULL AND a.level IN ('banner', 'township', 'village')
          AND ST_Intersects(a.boundary, p.g)
        ORDER BY length(a.code) DESC, a.code LIMIT 1
      ) inferred ON true
      LEFT JOIN LATERAL (
        SELECT v.code FROM admin_unit v
        WHERE ${settle} AND inferred.code IS NOT NULL AND inferred.level <> 'village'
          AND v.level = 'village' AND v.point IS NOT NULL
          AND (CASE WHEN inferred.level = 'banner' THEN v.banner_code ELSE v.township_code END) = inferred.code
        ORDER BY v.point <-> p.g LIMIT 1
      ) settled ON true`;
  if (sampleEvery === undefined) return (await query.execute(db)).rows;
  const { rows } = await sql<Row>`
    SELECT * FROM (${query}) q
    WHERE q.region NOT IN ('in', 'unknown') OR NOT q.unit_found OR q.unit_check = 'out' OR q.ord % ${sampleEvery} = 0`.execute(db);
  return rows;
}

/**
 * Give staged rows (columns ord, lon, lat, unit_code) without a unit the deepest
 * unit whose boundary holds their point (a banner, or a township/village where
 * boundaries were imported) and, with `settle`, inside it the nearest village
 * settlement point — a Voronoi assignment where villages have points but no
 * boundaries. One statement; returns how many rows got a unit.
 */
export async function inferStagedUnits(db: Kysely<Database>, table: string, options: { settle?: boolean } = {}): Promise<number> {
  const result = await sql`
    UPDATE ${sql.table(table)} s SET unit_code = x.code
    FROM (
      SELECT t.ord, COALESCE(settled.code, inferred.code) AS code
      FROM ${sql.table(table)} t
      CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) AS g) p
      CROSS JOIN LATERAL (
        SELECT a.code, a.level FROM admin_unit a
        WHERE a.boundary IS NOT NULL AND a.level IN ('banner', 'township', 'village') AND ST_Intersects(a.boundary, p.g)
        ORDER BY length(a.code) DESC, a.code LIMIT 1
      ) inferred
      LEFT JOIN LATERAL (
        SELECT v.code FROM admin_unit v
        WHERE ${options.settle === true} AND inferred.level <> 'village' AND v.level = 'village' AND v.point IS NOT NULL
          AND (CASE WHEN inferred.level = 'banner' THEN v.banner_code ELSE v.township_code END) = inferred.code
        ORDER BY v.point <-> p.g LIMIT 1
      ) settled ON true
      WHERE t.unit_code IS NULL AND t.lon IS NOT NULL
    ) x
    WHERE s.ord = x.ord`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
