/**
 * Catchment polygons where they belong, on the seeded Aohan Banner (150430):
 * the polygon GET /api/access/catchments returns for a facility covers the
 * whole grid cell (the Albers square of seeds/geometry.ts, from its cell key)
 * of every cell whose nearest facility of the class it is — found here by an
 * exhaustive geodesic search — and holds the facility's own point whenever the
 * cell the facility stands in is one of them. When it is not, that cell has no
 * people or another facility is at least as near to its centre (a catchment
 * off to one side of its clinic is then correct).
 *
 * Regression: cells were drawn as squares along the meridians, while the grid
 * cells are turned by the projection's convergence (~5.6° here); six clinics
 * standing near a corner of their own cell fell 10–35 m outside their catchment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import proj4 from 'proj4';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { vincenty } from '../server/access/geodesic.ts';
import { GRID_CELL_M, GRID_PROJ4 } from '../seeds/geometry.ts';

interface Cell {
  id: number;
  ix: number;
  iy: number;
  lon: number;
  lat: number;
  population: number;
}

interface Member {
  id: number;
  lon: number;
  lat: number;
}

const grid = proj4('EPSG:4326', GRID_PROJ4);

/** The grid cell a point lies in, as column and row. */
function gridCellOf(lon: number, lat: number): [number, number] {
  const [x, y] = grid.forward([lon, lat]) as [number, number];
  return [Math.floor(x / GRID_CELL_M), Math.floor(y / GRID_CELL_M)];
}

/** The grid cell's square as a GeoJSON polygon (corners through the inverse projection). */
function gridSquare(c: Cell): string {
  const x0 = c.ix * GRID_CELL_M;
  const y0 = c.iy * GRID_CELL_M;
  const ring = [[x0, y0], [x0 + GRID_CELL_M, y0], [x0 + GRID_CELL_M, y0 + GRID_CELL_M], [x0, y0 + GRID_CELL_M], [x0, y0]].map(([x, y]) => grid.inverse([x!, y!]));
  return JSON.stringify({ type: 'Polygon', coordinates: [ring] });
}

/** Nearest member by an exhaustive geodesic search; ties go to the lower id (as in the engine). */
function nearestOf(c: Cell, members: Member[]): { id: number; distance: number } {
  let best = { id: -1, distance: Infinity };
  for (const f of members) {
    const d = vincenty(c.lon, c.lat, f.lon, f.lat);
    if (d < best.distance || (d === best.distance && f.id < best.id)) best = { id: f.id, distance: d };
  }
  return best;
}

describe(`catchment polygons on the seeded Aohan Banner (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let cells: Cell[];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
    const rows = (await sql<{ id: string; key: string; lon: number; lat: number; population: number }>`
      SELECT id::text, cell_key AS key, ST_X(location) AS lon, ST_Y(location) AS lat, population FROM population_cell ORDER BY id`.execute(db.db)).rows;
    cells = rows.map((r) => {
      const m = /^IM-AEA-1km:E(\d+)N(\d+)$/.exec(r.key);
      if (!m) throw new Error(`cell ${r.key} is not on the seeded grid`);
      return { id: Number(r.id), ix: Number(m[1]), iy: Number(m[2]), lon: r.lon, lat: r.lat, population: r.population };
    });
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  for (const cls of ['basic', 'township']) {
    it(`${cls}: each polygon covers the grid cells the facility is nearest to, and its own point when its own cell is one of them`, async () => {
      const res = await app.inject({ method: 'GET', url: `/api/access/catchments?class=${cls}&geometry=polygon&limit=2000` });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.numberReturned).toBe(body.numberMatched);
      const features = body.features as { geometry: unknown; properties: { facilityId: number; cells: number; location: { coordinates: [number, number] } } }[];
      const members: Member[] = features.map((f) => ({ id: f.properties.facilityId, lon: f.properties.location.coordinates[0], lat: f.properties.location.coordinates[1] }));
      expect(members.length).toBeGreaterThan(10);
      const nearest = new Map(cells.map((c) => [c.id, nearestOf(c, members)]));
      const cellAt = new Map(cells.map((c) => [`${c.ix},${c.iy}`, c]));

      // (a) every cell the facility is nearest to: the polygon covers its whole grid square.
      const polygonOf: number[] = [];
      const squares: string[] = [];
      for (const c of cells) {
        polygonOf.push(nearest.get(c.id)!.id);
        squares.push(gridSquare(c));
      }
      for (const f of features) {
        const own = cells.filter((c) => nearest.get(c.id)!.id === f.properties.facilityId).length;
        expect(f.properties.cells, `facility ${f.properties.facilityId}`).toBe(own);
        expect(f.geometry === null).toBe(own === 0);
      }
      const withPolygon = features.filter((f) => f.geometry !== null);
      const uncovered = (
        await sql<{ facility: number; cell: number }>`
          SELECT p.facility, c.cell
          FROM unnest(${withPolygon.map((f) => f.properties.facilityId)}::int8[], ${withPolygon.map((f) => JSON.stringify(f.geometry))}::text[]) AS p(facility, g)
          JOIN unnest(${cells.map((c) => c.id)}::int8[], ${polygonOf}::int8[], ${squares}::text[]) AS c(cell, facility, square) USING (facility)
          WHERE NOT ST_Covers(ST_SetSRID(ST_GeomFromGeoJSON(p.g), 4326), ST_SetSRID(ST_GeomFromGeoJSON(c.square), 4326))`.execute(db.db)
      ).rows;
      expect(uncovered).toEqual([]);

      // (b) the facility's own point: inside its polygon when the cell it stands in is in its catchment;
      // otherwise that cell has no people or another facility is at least as near to its centre.
      const inside: { id: number; lon: number; lat: number; geometry: string }[] = [];
      let elsewhere = 0;
      for (const f of features) {
        const m = members.find((x) => x.id === f.properties.facilityId)!;
        const [ix, iy] = gridCellOf(m.lon, m.lat);
        const ownCell = cellAt.get(`${ix},${iy}`);
        const winner = ownCell ? nearest.get(ownCell.id)! : undefined;
        if (ownCell && winner!.id === m.id) {
          inside.push({ ...m, geometry: JSON.stringify(f.geometry) });
        } else {
          elsewhere++;
          if (ownCell) expect(winner!.distance).toBeLessThanOrEqual(vincenty(ownCell.lon, ownCell.lat, m.lon, m.lat));
        }
      }
      expect(inside.length).toBeGreaterThan(elsewhere / 2);
      const outside = (
        await sql<{ id: number }>`
          SELECT t.id FROM unnest(${inside.map((f) => f.id)}::int8[], ${inside.map((f) => f.lon)}::float8[], ${inside.map((f) => f.lat)}::float8[], ${inside.map((f) => f.geometry)}::text[]) AS t(id, lon, lat, g)
          WHERE NOT ST_Covers(ST_SetSRID(ST_GeomFromGeoJSON(t.g), 4326), ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326))`.execute(db.db)
      ).rows;
      expect(outside).toEqual([]);
    }, 120_000);
  }
});
