/**
 * Derive `im_leagues_dissolved_wgs84.geojson.gz` — the 12 league boundaries and
 * the region's — from the banner polygons in `im_counties_echarts_wgs84.geojson.gz`,
 * with PostGIS (in an in-memory PGlite: no server needed). The seed loads the
 * result instead of dissolving at every first start (the union is the slowest
 * step of the top-level seed: tens of seconds on the embedded engine), and both
 * engines get the very same league and region polygons.
 *
 *   node --import tsx seeds/data/derive-boundaries.ts
 *
 * Method: each banner polygon is made valid (as the seed loads it), the banners
 * of a league are unioned on a 1e-6° precision grid (robust; a floating-point
 * union raises a GEOS topology error on 赤峰市), and the slivers the quantised
 * county edges leave — parts and holes under 1 km² — are dropped (no league has
 * a real enclave or exclave that small). The region is the union of the leagues,
 * cleaned the same way. Coordinates are written with 6 decimals (~0.1 m).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import type { FeatureCollection, Geometry, MultiPolygon } from 'geojson';
import { openDatabase } from '../../server/db/index.ts';
import { DATA_DIR, readDataCsv, readDataJson } from './load.ts';
import { DISSOLVED_FILE } from '../topLevels.ts';


/** Union of the members' polygons, cleaned of slivers under 1 km² (parts and holes). */
function dissolved(members: ReturnType<typeof sql>) {
  return sql<{ geojson: string }>`
    WITH unioned AS (SELECT ST_Union(m.geom, 1e-6) AS geom FROM (${members}) m),
    polygons AS (
      SELECT d.geom AS poly FROM unioned u, LATERAL ST_Dump(u.geom) d WHERE ST_Area(d.geom::geography) >= 1e6
    ),
    cleaned AS (
      SELECT ST_MakePolygon(ST_ExteriorRing(p.poly), ARRAY(
        SELECT ST_ExteriorRing(r.geom) FROM ST_DumpRings(p.poly) r
        WHERE r.path[1] > 0 AND ST_Area(ST_MakePolygon(ST_ExteriorRing(r.geom))::geography) >= 1e6
      )) AS poly FROM polygons p
    )
    SELECT ST_AsGeoJSON(ST_Multi(ST_Collect(poly)), 6) AS geojson FROM cleaned`;
}

async function derive(db: Kysely<unknown>): Promise<FeatureCollection<MultiPolygon, { code: string; level: 'league' | 'region' }>> {
  const counties = readDataJson<FeatureCollection<Geometry, { adcode: string; city_adcode: string }>>('im_counties_echarts_wgs84.geojson.gz');
  await sql`CREATE TEMP TABLE banner (code text, league text, geom geometry)`.execute(db);
  for (const f of counties.features) {
    await sql`INSERT INTO banner VALUES (${String(f.properties.adcode)}, ${String(f.properties.city_adcode)},
      ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(f.geometry)}), 4326)), 3)))`.execute(db);
  }
  await sql`CREATE TEMP TABLE league (code text, geom geometry)`.execute(db);
  const features: FeatureCollection<MultiPolygon, { code: string; level: 'league' | 'region' }>['features'] = [];
  const leagues = readDataCsv('im_admin_divisions_nbs2023.csv').filter((d) => d.level === 'city');
  for (const league of leagues) {
    const { rows } = await dissolved(sql`SELECT geom FROM banner WHERE league = ${league.code!}`).execute(db);
    const geometry = JSON.parse(rows[0]!.geojson) as MultiPolygon;
    await sql`INSERT INTO league VALUES (${league.code!}, ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(geometry)}), 4326))`.execute(db);
    features.push({ type: 'Feature', properties: { code: league.code!, level: 'league' }, geometry });
  }
  const { rows } = await dissolved(sql`SELECT geom FROM league`).execute(db);
  features.push({ type: 'Feature', properties: { code: '150000', level: 'region' }, geometry: JSON.parse(rows[0]!.geojson) as MultiPolygon });
  return { type: 'FeatureCollection', features };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const handle = await openDatabase({});
  try {
    const collection = await derive(handle.db as unknown as Kysely<unknown>);
    const file = path.join(DATA_DIR, DISSOLVED_FILE);
    fs.writeFileSync(file, zlib.gzipSync(JSON.stringify(collection), { level: 9 }));
    console.log(`wrote ${file}: ${collection.features.length} boundaries`);
  } finally {
    await handle.close();
  }
}
