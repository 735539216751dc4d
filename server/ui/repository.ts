/**
 * Unit search for the map's search box: a part of the Chinese name (no pinyin
 * needed — planners type 敖汉 or 新惠) or the start of an NBS code. One
 * statement; the query is a bound parameter with LIKE wildcards escaped.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Level } from '../domain/taxonomy.ts';

export interface UnitSearchRow {
  code: string;
  name: string;
  level: Level;
  kind: string | null;
  population: number | null;
  league_name: string | null;
  banner_name: string | null;
  township_name: string | null;
  lon: number | null;
  lat: number | null;
  min_lon: number | null;
  min_lat: number | null;
  max_lon: number | null;
  max_lat: number | null;
  synthetic: boolean;
}

/** `%`, `_` and `\` typed by a user are literal characters, not LIKE patterns. */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function searchUnits(db: Kysely<Database>, query: string, levels: readonly Level[], limit: number): Promise<UnitSearchRow[]> {
  const q = query.trim();
  const literal = likeLiteral(q);
  const contains = `%${literal}%`;
  const prefix = `${literal}%`;
  const codeLike = /^[0-9]+$/.test(q) ? prefix : null;
  // Ranked: exact name, exact code, name starts with the query, then higher levels
  // first (a banner before its villages), shorter names, code.
  const { rows } = await sql<UnitSearchRow>`
    SELECT u.code, u.name, u.level, u.kind, u.population::float8 AS population,
           l.name AS league_name, b.name AS banner_name, t.name AS township_name,
           ST_X(COALESCE(u.point, ST_PointOnSurface(u.boundary))) AS lon,
           ST_Y(COALESCE(u.point, ST_PointOnSurface(u.boundary))) AS lat,
           ST_XMin(u.boundary) AS min_lon, ST_YMin(u.boundary) AS min_lat,
           ST_XMax(u.boundary) AS max_lon, ST_YMax(u.boundary) AS max_lat,
           u.synthetic
    FROM admin_unit AS u
    LEFT JOIN admin_unit AS l ON l.code = u.league_code AND u.level NOT IN ('region', 'league')
    LEFT JOIN admin_unit AS b ON b.code = u.banner_code AND u.level IN ('township', 'village')
    LEFT JOIN admin_unit AS t ON t.code = u.township_code AND u.level = 'village'
    WHERE u.level = ANY(${levels as Level[]}::text[])
      AND (u.name LIKE ${contains} ESCAPE '\\' OR (${codeLike}::text IS NOT NULL AND u.code LIKE ${codeLike} ESCAPE '\\'))
    ORDER BY (u.name = ${q}) DESC, (u.code = ${q}) DESC, (u.name LIKE ${prefix} ESCAPE '\\') DESC,
             array_position(ARRAY['region', 'league', 'banner', 'township', 'village']::text[], u.level::text),
             length(u.name), u.code
    LIMIT ${limit}`.execute(db);
  return rows;
}
