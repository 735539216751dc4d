import crypto from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { Database } from '../db/schema.ts';
import { errorResponses } from '../http/common.ts';
import { invalidParameter } from '../errors.ts';
import { baselineContext } from '../engine/context.ts';
import { PromiseCache } from '../access/cache.ts';
import { readDataVersion } from '../access/inputs.ts';
import { accessResult, baselineInputs, resolveRuleSetAndVersion } from '../access/service.ts';
import { classOf } from '../access/views.ts';
import { parseScenario } from '../rules/routes.ts';
import { scenarioAccessResult } from '../scenarios/access.ts';
import { scenarioContext } from '../scenarios/model.ts';
import { encodeTile, type TileLayer } from './encode.ts';
import { accessLayer, cellsLayer, DETAIL_ZOOM, facilitiesLayer, LAYER_INFO, LAYER_NAMES, unitsLayer, type LayerName } from './layers.ts';
import { MAX_ZOOM, parseTile } from './tile.ts';

const TileParams = Type.Object({
  layer: Type.String({ description: `one of ${LAYER_NAMES.join(', ')}` }),
  z: Type.String({ description: `zoom 0–${MAX_ZOOM}` }),
  x: Type.String(),
  y: Type.String(),
});

const TileQuery = Type.Object(
  {
    class: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$', description: 'access layer: facility class (default: the 15-minute circle class)' })),
    ruleSet: Type.Optional(Type.Integer({ minimum: 1, description: 'access layer: rule set whose access parameters apply' })),
    scenario: Type.Optional(Type.String({ maxLength: 20, description: '"baseline" (default) or a scenario id you can read: every layer with its changes applied' })),
  },
  { additionalProperties: false },
);

const TileListResponse = Type.Object({
  tilejson: Type.String(),
  format: Type.String(),
  minzoom: Type.Integer(),
  maxzoom: Type.Integer(),
  layers: Type.Array(
    Type.Object({
      id: Type.String(),
      description: Type.Object({ zh: Type.String(), en: Type.String() }),
      tiles: Type.Array(Type.String()),
      fields: Type.Record(Type.String(), Type.String()),
    }),
  ),
});

/** Encoded tiles by ETag, per database; an ETag changes whenever the data or parameters do. */
const tileCaches = new WeakMap<Kysely<Database>, PromiseCache<Uint8Array>>();
const DEFAULT_TILE_CACHE = 2000;

function tileCache(db: Kysely<Database>): PromiseCache<Uint8Array> {
  let cache = tileCaches.get(db);
  if (!cache) tileCaches.set(db, (cache = new PromiseCache(DEFAULT_TILE_CACHE)));
  return cache;
}

/**
 * How many encoded tiles of one database to keep in memory (0 = encode every
 * request; concurrent requests for one tile still share the work). The bench
 * measures both.
 */
export function setTileCacheSize(db: Kysely<Database>, tiles: number): void {
  tileCaches.set(db, new PromiseCache(tiles));
}

const tileRoutes: FastifyPluginAsyncTypebox = async (app) => {

  app.get(
    '/tiles',
    {
      schema: {
        tags: ['tiles'],
        summary: 'The vector tile layers (TileJSON-style list with URL templates and fields)',
        response: { 200: TileListResponse },
      },
    },
    async () => ({
      tilejson: '3.0.0',
      format: 'pbf',
      minzoom: 0,
      maxzoom: MAX_ZOOM,
      layers: LAYER_NAMES.map((id) => ({
        id,
        description: { zh: LAYER_INFO[id].zh, en: LAYER_INFO[id].en },
        tiles: [`/api/tiles/${id}/{z}/{x}/{y}.pbf`],
        fields: LAYER_INFO[id].fields,
      })),
    }),
  );

  app.get(
    '/tiles/:layer/:z/:x/:y.pbf',
    {
      schema: {
        tags: ['tiles'],
        summary: 'Mapbox vector tile of a layer (units, facilities, cells, access); ETag from the data version and parameters',
        params: TileParams,
        querystring: TileQuery,
        response: {
          200: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'application/vnd.mapbox-vector-tile' }),
          304: Type.Null({ description: 'Not modified (If-None-Match matched the ETag)' }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { layer: layerParam } = request.params;
      if (!(LAYER_NAMES as readonly string[]).includes(layerParam)) {
        throw invalidParameter(
          'layer',
          `unknown tile layer '${layerParam}'; layers: ${LAYER_NAMES.join(', ')}`,
          `未知的图层“${layerParam}”；可用图层：${LAYER_NAMES.join('、')}`,
          layerParam,
        );
      }
      const layer = layerParam as LayerName;
      const tile = parseTile(request.params.z, request.params.x, request.params.y);
      const handle = app.dbHandle;
      const scenarioId = parseScenario(request.query.scenario);
      let key: string;
      let make: () => TileLayer[];
      if (scenarioId !== null) {
        // A scenario's layers: its relations, its access result (incremental); keyed by its version.
        const ctx = await scenarioContext(app.db, scenarioId);
        const dataVersion = await readDataVersion(app.db);
        const scenarioKey = `s${ctx.scenarioId}@${ctx.scenarioVersion}/d${dataVersion}`;
        if (layer === 'access') {
          const { effective } = await resolveRuleSetAndVersion(app.db, request.query.ruleSet);
          const { result } = await scenarioAccessResult(app.db, scenarioId, effective.params);
          const wanted = request.query.class ?? result.params.circleClass;
          const cls = classOf(result, wanted);
          if (!cls) {
            const keys = result.classes.map((c) => c.cls.key).join(', ');
            throw invalidParameter('class', `unknown facility class '${wanted}'; classes of this rule set: ${keys}`, `未知的设施类别“${wanted}”；该规则集的类别：${keys}`, wanted);
          }
          key = `access/${cls.cls.key}/p${result.paramsHash}/${scenarioKey}`;
          make = () => [accessLayer(tile, result, cls)];
        } else if (layer === 'cells') {
          const { effective } = await resolveRuleSetAndVersion(app.db, request.query.ruleSet);
          const cells = tile.z < DETAIL_ZOOM ? (await scenarioAccessResult(app.db, scenarioId, effective.params)).result.cells : null;
          key = `cells/${scenarioKey}`;
          make = () => [cellsLayer(tile, cells, ctx.cells)];
        } else {
          key = `${layer}/${scenarioKey}`;
          make = () => [layer === 'units' ? unitsLayer(tile, ctx.units) : facilitiesLayer(tile, ctx.facilities)];
        }
      } else if (layer === 'access') {
        // One round trip for the rule set and the data version; a cached tile needs nothing else.
        const { effective, dataVersion } = await resolveRuleSetAndVersion(app.db, request.query.ruleSet);
        const result = await accessResult(app.db, effective.params, baselineContext(app.db), dataVersion);
        const wanted = request.query.class ?? result.params.circleClass;
        const cls = classOf(result, wanted);
        if (!cls) {
          const keys = result.classes.map((c) => c.cls.key).join(', ');
          throw invalidParameter('class', `unknown facility class '${wanted}'; classes of this rule set: ${keys}`, `未知的设施类别“${wanted}”；该规则集的类别：${keys}`, wanted);
        }
        key = `access/${cls.cls.key}/p${result.paramsHash}/d${result.dataVersion}`;
        make = () => [accessLayer(tile, result, cls)];
      } else if (layer === 'cells') {
        // Low zooms bin the cells the access engine holds in memory for this data version.
        const dataVersion = await readDataVersion(app.db);
        const inputs = tile.z < DETAIL_ZOOM ? await baselineInputs(app.db, dataVersion) : null;
        key = `${layer}/d${dataVersion}`;
        make = () => [cellsLayer(tile, inputs?.cells ?? null)];
      } else {
        key = `${layer}/d${await readDataVersion(app.db)}`;
        make = () => [layer === 'units' ? unitsLayer(tile) : facilitiesLayer(tile)];
      }
      const etag = `"${crypto.createHash('sha1').update(`${key}/${tile.z}/${tile.x}/${tile.y}`).digest('base64url').slice(0, 22)}"`;
      reply.header('ETag', etag);
      // Tiles change with any edit: always revalidate (cheap: the ETag), never serve stale.
      reply.header('Cache-Control', 'private, no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send(null);
      const body = await tileCache(app.db).get(etag, () => encodeTile(handle, tile, make()));
      return reply.type('application/vnd.mapbox-vector-tile').send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    },
  );
};

export default tileRoutes;
