/**
 * The one place that knows how each engine makes a vector tile. Layers are
 * given as SQL relations of features (a `geom` column in EPSG:4326 plus
 * property columns), the same for both engines:
 *
 * - PostgreSQL/PostGIS: ST_AsMVTGeom + ST_AsMVT in the database.
 * - PGlite: its PostGIS is built without protobuf (no ST_AsMVT/ST_AsMVTGeom),
 *   so the features leave as GeoJSON and geojson-vt + vt-pbf cut and encode
 *   the tile in process.
 *
 * Both clip with the same extent and buffer; geometry simplification differs
 * slightly (geojson-vt simplifies, ST_AsMVTGeom snaps to the tile grid), the
 * features and their properties do not.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import geojsonvt, { type LegacyTile } from 'geojson-vt';
import { fromGeojsonVt } from 'vt-pbf';
import type { Feature, FeatureCollection, Geometry } from 'geojson';
import type { Database } from '../db/schema.ts';
import type { Engine } from '../db/index.ts';
import { BUFFER, EXTENT, type Tile } from './tile.ts';

export interface TileLayer {
  /** Layer name inside the tile (what a map style's source-layer names). */
  name: string;
  /** Rows with `geom` (EPSG:4326) and the property columns; already limited to the tile's area. */
  features: RawBuilder<unknown>;
  properties: readonly string[];
}

export interface TileDatabase {
  db: Kysely<Database>;
  engine: Engine;
}

export async function encodeTile(handle: TileDatabase, tile: Tile, layers: readonly TileLayer[]): Promise<Uint8Array> {
  if (layers.length === 0) return new Uint8Array(0);
  return handle.engine === 'postgres' ? encodeWithPostGIS(handle.db, tile, layers) : encodeInProcess(handle.db, tile, layers);
}

async function encodeWithPostGIS(db: Kysely<Database>, tile: Tile, layers: readonly TileLayer[]): Promise<Uint8Array> {
  const parts = layers.map((layer) => {
    const props = layer.properties.map((p) => sql`f.${sql.ref(p)}`);
    return sql`COALESCE((
      SELECT ST_AsMVT(q, ${layer.name}, ${sql.lit(EXTENT)}, 'geom')
      FROM (
        SELECT ST_AsMVTGeom(ST_Transform(f.geom, 3857), ST_TileEnvelope(${tile.z}::int, ${tile.x}::int, ${tile.y}::int), ${sql.lit(EXTENT)}, ${sql.lit(BUFFER)}, true) AS geom
               ${props.length ? sql`, ${sql.join(props)}` : sql``}
        FROM (${layer.features}) AS f
      ) AS q
      WHERE q.geom IS NOT NULL), ''::bytea)`;
  });
  const { rows } = await sql<{ tile: Uint8Array }>`SELECT ${sql.join(parts, sql` || `)} AS tile`.execute(db);
  return rows[0]?.tile ?? new Uint8Array(0);
}

async function encodeInProcess(db: Kysely<Database>, tile: Tile, layers: readonly TileLayer[]): Promise<Uint8Array> {
  const encoded: Record<string, LegacyTile> = {};
  for (const layer of layers) {
    const props = layer.properties.map((p) => sql`f.${sql.ref(p)}`);
    const { rows } = await sql<Record<string, unknown> & { geometry: Geometry }>`
      SELECT ST_AsGeoJSON(f.geom, 7)::json AS geometry ${props.length ? sql`, ${sql.join(props)}` : sql``}
      FROM (${layer.features}) AS f`.execute(db);
    if (rows.length === 0) continue;
    const features: Feature[] = rows.map(({ geometry, ...properties }) => ({
      type: 'Feature',
      geometry,
      // ST_AsMVT leaves NULL properties out; do the same.
      properties: Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== null && v !== undefined)),
    }));
    const collection: FeatureCollection = { type: 'FeatureCollection', features };
    const index = new geojsonvt(collection, { maxZoom: tile.z, indexMaxZoom: 0, extent: EXTENT, buffer: BUFFER, tolerance: 1 });
    const cut = index.getTile(tile.z, tile.x, tile.y);
    if (cut && cut.features.length > 0) encoded[layer.name] = cut;
  }
  if (Object.keys(encoded).length === 0) return new Uint8Array(0);
  return fromGeojsonVt(encoded, { version: 2, extent: EXTENT });
}
