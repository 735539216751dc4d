/**
 * Vector tiles on the seeded Aohan Banner: every layer decodes (Mapbox Vector
 * Tile 2) and holds exactly the features in its bounds; ETags follow the data
 * version; bad addresses answer 4xx in English and Chinese.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import type { Point } from 'geojson';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { bumpDataVersion } from '../server/facilities/repository.ts';
import { tileBounds, type Tile } from '../server/tiles/tile.ts';

/** The tile containing a lon/lat at zoom z. */
function tileAt(lon: number, lat: number, z: number): Tile {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return { z, x, y };
}

// 新惠镇, the seat of Aohan Banner.
const SEAT = { lon: 119.92, lat: 42.28 };

describe(`vector tiles (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const fetchTile = async (layer: string, t: Tile, query = '') => {
    const res = await app.inject({ method: 'GET', url: `/api/tiles/${layer}/${t.z}/${t.x}/${t.y}.pbf${query}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
    return { res, tile: new VectorTile(new PbfReader(res.rawPayload)) };
  };

  const inside = (p: [number, number], b: [number, number, number, number]) => p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3];

  it('lists the layers with URL templates', async () => {
    const body = (await app.inject({ method: 'GET', url: '/api/tiles' })).json();
    expect(body.layers.map((l: { id: string }) => l.id)).toEqual(['units', 'facilities', 'cells', 'access']);
    expect(body.layers[0].tiles[0]).toBe('/api/tiles/units/{z}/{x}/{y}.pbf');
  });

  it('facilities: exactly the facilities inside the tile, at their places', async () => {
    const t = tileAt(SEAT.lon, SEAT.lat, 12);
    const { tile } = await fetchTile('facilities', t);
    const layer = tile.layers.facilities!;
    expect(layer).toBeDefined();
    const bounds = tileBounds(t);
    const buffered = tileBounds(t, 64);
    const { rows } = await sql<{ id: number; lon: number; lat: number }>`
      SELECT id, ST_X(location) AS lon, ST_Y(location) AS lat FROM facility WHERE location && ST_MakeEnvelope(${bounds[0]}, ${bounds[1]}, ${bounds[2]}, ${bounds[3]}, 4326)`.execute(db.db);
    expect(rows.length).toBeGreaterThan(0);
    const got = new Map<number, [number, number]>();
    for (let k = 0; k < layer.length; k++) {
      const f = layer.feature(k);
      const g = f.toGeoJSON(t.x, t.y, t.z).geometry as Point;
      got.set(Number(f.properties.id), g.coordinates as [number, number]);
      expect(inside(g.coordinates as [number, number], buffered)).toBe(true);
      expect(typeof f.properties.name).toBe('string');
    }
    for (const r of rows) {
      const p = got.get(Number(r.id));
      expect(p, `facility ${r.id}`).toBeDefined();
      // Quantised to the 4096-unit tile grid: within one unit (~10 m at z 12).
      expect(Math.abs(p![0] - r.lon)).toBeLessThan(2e-4);
      expect(Math.abs(p![1] - r.lat)).toBeLessThan(2e-4);
    }
  });

  it('units: Aohan Banner at z 7, its township seats at z 9 and villages at z 10', async () => {
    const banner = (await fetchTile('units', tileAt(SEAT.lon, SEAT.lat, 7))).tile.layers.units!;
    const codes = Array.from({ length: banner.length }, (_, k) => banner.feature(k).properties.code);
    expect(codes).toContain('150430');
    const aohan = Array.from({ length: banner.length }, (_, k) => banner.feature(k)).find((f) => f.properties.code === '150430')!;
    expect(aohan.properties).toMatchObject({ name: '敖汉旗', level: 'banner', population: 448_712 });
    expect(aohan.type).toBe(3);
    const z9 = (await fetchTile('units', tileAt(SEAT.lon, SEAT.lat, 9))).tile.layers.units!;
    const levels9 = new Set(Array.from({ length: z9.length }, (_, k) => z9.feature(k).properties.level));
    expect([...levels9].sort()).toEqual(['banner', 'township']);
    const z10 = (await fetchTile('units', tileAt(SEAT.lon, SEAT.lat, 10))).tile.layers.units!;
    const levels10 = new Set(Array.from({ length: z10.length }, (_, k) => z10.feature(k).properties.level));
    expect(levels10.has('village')).toBe(true);
  });

  it('cells: single cells from z 10, bins below that add up to the cells in the tile', async () => {
    const t10 = tileAt(SEAT.lon, SEAT.lat, 10);
    const layer = (await fetchTile('cells', t10)).tile.layers.cells!;
    const b = tileBounds(t10, 64);
    const { rows } = await sql<{ n: number; p: number }>`
      SELECT count(*)::int AS n, sum(population)::int8 AS p FROM population_cell
      WHERE location && ST_MakeEnvelope(${b[0]}, ${b[1]}, ${b[2]}, ${b[3]}, 4326)`.execute(db.db);
    expect(layer.length).toBe(rows[0]!.n);
    let pop = 0;
    for (let k = 0; k < layer.length; k++) pop += Number(layer.feature(k).properties.population);
    expect(pop).toBe(Number(rows[0]!.p));

    const t7 = tileAt(SEAT.lon, SEAT.lat, 7);
    const bins = (await fetchTile('cells', t7)).tile.layers.cells!;
    const b7 = tileBounds(t7, 64);
    const { rows: r7 } = await sql<{ p: number; n: number }>`
      SELECT sum(population)::int8 AS p, count(*)::int AS n FROM population_cell
      WHERE population > 0 AND location && ST_MakeEnvelope(${b7[0]}, ${b7[1]}, ${b7[2]}, ${b7[3]}, 4326)`.execute(db.db);
    let binPop = 0;
    let binCells = 0;
    for (let k = 0; k < bins.length; k++) {
      binPop += Number(bins.feature(k).properties.population);
      binCells += Number(bins.feature(k).properties.cells);
    }
    expect(binPop).toBe(Number(r7[0]!.p));
    expect(binCells).toBe(r7[0]!.n);
    expect(bins.length).toBeLessThan(r7[0]!.n);
  });

  it('access: states and minutes per cell, and bins whose people add up', async () => {
    const t10 = tileAt(SEAT.lon, SEAT.lat, 10);
    const layer = (await fetchTile('access', t10, '?class=basic')).tile.layers.access!;
    expect(layer.length).toBeGreaterThan(0);
    const b = tileBounds(t10, 64);
    for (let k = 0; k < layer.length; k++) {
      const f = layer.feature(k);
      expect(['covered', 'gap', 'mobile']).toContain(f.properties.state);
      expect(Number(f.properties.minutes)).toBeGreaterThanOrEqual(0);
      const g = f.toGeoJSON(t10.x, t10.y, t10.z).geometry as Point;
      expect(inside(g.coordinates as [number, number], b)).toBe(true);
    }
    const cells = (await fetchTile('cells', t10)).tile.layers.cells!;
    let populated = 0;
    for (let k = 0; k < cells.length; k++) if (Number(cells.feature(k).properties.population) > 0) populated++;
    expect(layer.length).toBe(populated);
    const t7 = tileAt(SEAT.lon, SEAT.lat, 7);
    const bins = (await fetchTile('access', t7, '?class=township')).tile.layers.access!;
    for (let k = 0; k < bins.length; k++) {
      const p = bins.feature(k).properties;
      expect(Number(p.covered) + Number(p.gap) + Number(p.mobile)).toBe(Number(p.population));
    }
  });

  it('answers an empty tile where there is nothing', async () => {
    const { res, tile } = await fetchTile('facilities', tileAt(80, 30, 10));
    expect(res.rawPayload.length).toBe(0);
    expect(Object.keys(tile.layers)).toEqual([]);
  });

  it('is cacheable: ETag, 304 on If-None-Match, a new ETag after any data change', async () => {
    const url = `/api/tiles/units/7/${tileAt(SEAT.lon, SEAT.lat, 7).x}/${tileAt(SEAT.lon, SEAT.lat, 7).y}.pbf`;
    const first = await app.inject({ method: 'GET', url });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    expect(first.headers['cache-control']).toContain('no-cache');
    const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
    const access1 = await app.inject({ method: 'GET', url: url.replace('/units/', '/access/') + '?class=basic' });
    const access2 = await app.inject({ method: 'GET', url: url.replace('/units/', '/access/') + '?class=township' });
    expect(access1.headers.etag).not.toBe(access2.headers.etag);
    await bumpDataVersion(db.db);
    const after = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(etag);
  });

  it('rejects bad layers, zooms and coordinates with bilingual 4xx', async () => {
    const cases: [string, number, string][] = [
      ['/api/tiles/roads/5/25/12.pbf', 400, 'layer'],
      ['/api/tiles/units/25/0/0.pbf', 400, 'z'],
      ['/api/tiles/units/5/32/0.pbf', 400, 'x'],
      ['/api/tiles/units/5/0/-1.pbf', 400, 'y'],
      ['/api/tiles/units/a/0/0.pbf', 400, 'z'],
      ['/api/tiles/units/2.5/0/0.pbf', 400, 'z'],
      ['/api/tiles/access/5/25/12.pbf?class=nope', 400, 'class'],
      ['/api/tiles/access/5/25/12.pbf?ruleSet=424242', 404, ''],
      ['/api/tiles/units/5/25/12.png', 404, ''],
    ];
    for (const [url, status, field] of cases) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(status);
      const body = res.json();
      expect(body.messageZh, url).toMatch(/[\u4e00-\u9fff]/);
      if (field) expect(body.details[0].field, url).toBe(field);
    }
  });
});
