/**
 * Typed PostGIS helpers. Values are always bound parameters; geometry enters the
 * database through these constructors and leaves it only as GeoJSON.
 */
import { sql, type Expression, type RawBuilder } from 'kysely';
import type { Geometry as GeoJSONGeometry } from 'geojson';

export type Bbox = readonly [minLon: number, minLat: number, maxLon: number, maxLat: number];

/** Decimal places of coordinates leaving the database (~0.1 m). */
export const COORDINATE_DECIMALS = 6;

/** WGS84 envelope of a bbox, in the column's SRID (so the GiST index is used). */
export function envelope(bbox: Bbox): RawBuilder<string> {
  return sql<string>`ST_MakeEnvelope(${bbox[0]}, ${bbox[1]}, ${bbox[2]}, ${bbox[3]}, 4326)`;
}

export function pointFromLonLat(lon: number, lat: number): RawBuilder<string> {
  return sql<string>`ST_SetSRID(ST_MakePoint(${lon}, ${lat}), 4326)`;
}

/** A GeoJSON geometry, validated by PostGIS and forced to MultiPolygon (invalid rings repaired). */
export function multiPolygonFromGeoJSON(geometry: GeoJSONGeometry): RawBuilder<string> {
  return sql<string>`ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(geometry)}), 4326)), 3))`;
}

/** Geometry as parsed GeoJSON, coordinates rounded; optionally simplified (tolerance in degrees). */
export function asGeoJSON(geom: Expression<unknown>, simplifyDegrees = 0): RawBuilder<GeoJSONGeometry | null> {
  if (simplifyDegrees > 0) {
    return sql<GeoJSONGeometry | null>`ST_AsGeoJSON(ST_SimplifyPreserveTopology(${geom}, ${simplifyDegrees}::float8), ${sql.lit(COORDINATE_DECIMALS)})::json`;
  }
  return sql<GeoJSONGeometry | null>`ST_AsGeoJSON(${geom}, ${sql.lit(COORDINATE_DECIMALS)})::json`;
}

/** True when the geometry's bounding box intersects the bbox (index-assisted). */
export function intersectsBbox(geom: Expression<unknown>, bbox: Bbox): RawBuilder<boolean> {
  return sql<boolean>`${geom} && ${envelope(bbox)}`;
}

/** Metres to degrees of latitude, for simplification tolerances given in metres. */
export function metresToDegrees(metres: number): number {
  return metres / 111_320;
}

/** Geodesic length in metres between two geometries (spheroid). */
export function geodesicDistance(a: Expression<unknown>, b: Expression<unknown>): RawBuilder<number> {
  return sql<number>`ST_Distance(${a}::geography, ${b}::geography)`;
}
