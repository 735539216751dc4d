/**
 * Golden fixture: a handful of facilities and cells with hand-placed distances
 * (test/fixtures/access/golden.in.geojson). The engine's output is compared
 * with golden.out.geojson (coordinates and figures truncated); `REGEN=1`
 * rewrites it. Independently of the engine, distances are checked against the
 * meridian arc, PostGIS geography and turf.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import * as turf from '@turf/turf';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { evaluateAccess, type AccessResult } from '../server/access/engine.ts';
import { resolveAccessParams } from '../server/access/params.ts';
import { STATE_NAMES } from '../server/access/views.ts';
import { unitFigures } from '../server/access/aggregate.ts';
import { FIXTURE_DIR, fixtureContext, insertCells, insertFacilities, insertUnits, readGolden } from './fixtures/access/load.ts';
import { meridianArc } from './fixtures/access/meridian.ts';

const fixture = readGolden('golden.in.geojson');
const OUT = path.join(FIXTURE_DIR, 'golden.out.geojson');

describe(`access engine, golden fixture (${engine})`, () => {
  let db: TestDatabase;
  let result: AccessResult;
  const facilityCode = new Map<number, string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    await insertUnits(db.db, fixture.units);
    const ids = await insertFacilities(db.db, fixture.facilities);
    for (const [code, id] of ids) facilityCode.set(id, code);
    await insertCells(db.db, fixture.cells);
    const { params, problems } = resolveAccessParams(fixture.params);
    expect(problems).toEqual([]);
    result = await evaluateAccess(fixtureContext(db.db, 'GF-'), params);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  const cellIndex = (key: string) => {
    const c = fixture.cells.findIndex((x) => x.key === key);
    // Cells are read back in database order: find by coordinates.
    const cell = fixture.cells[c]!;
    for (let i = 0; i < result.cells.count; i++) if (result.cells.lon[i] === cell.lon && result.cells.lat[i] === cell.lat) return i;
    throw new Error(`cell ${key} not found`);
  };

  it('matches the hand-computed nearest facility, distance and state of every cell', () => {
    for (const cell of fixture.cells) {
      const i = cellIndex(cell.key);
      for (const [key, want] of Object.entries(cell.expect)) {
        const cls = result.classes.find((c) => c.cls.key === key)!;
        const f = cls.nearest[i]!;
        expect({ cell: cell.key, key, nearest: facilityCode.get(result.facilities.ids[f]!), state: STATE_NAMES[cls.state[i]!] }).toEqual({
          cell: cell.key,
          key,
          nearest: want.nearest,
          state: want.state,
        });
        if (want.metres !== undefined) expect(Math.abs(cls.distance[i]! - want.metres)).toBeLessThan(0.001);
        if (want.minutes !== undefined) expect(Math.abs(cls.minutes[i]! - want.minutes)).toBeLessThan(1e-5);
      }
    }
  });

  it('counts a cell exactly at the limit as covered, and half a metre beyond as not (inclusive limits)', () => {
    const basic = result.classes.find((c) => c.cls.key === 'basic')!;
    const township = result.classes.find((c) => c.cls.key === 'township')!;
    // c2 is 3000 m (± 0.05 mm) from A with a 3000 m limit; c8 is 15.0000 min from B with a 15 min limit.
    expect(Math.abs(basic.distance[cellIndex('c2')]! - 3000)).toBeLessThan(1e-4);
    expect(STATE_NAMES[basic.state[cellIndex('c2')]!]).toBe('covered');
    expect(STATE_NAMES[basic.state[cellIndex('c3')]!]).toBe('gap');
    expect(Math.abs(township.minutes[cellIndex('c8')]! - 15)).toBeLessThan(1e-6);
    expect(STATE_NAMES[township.state[cellIndex('c8')]!]).toBe('covered');
    expect(STATE_NAMES[township.state[cellIndex('c9')]!]).toBe('gap');
  });

  it('never counts a closed facility (D stands 111 m from c1 but is closed)', () => {
    const basic = result.classes.find((c) => c.cls.key === 'basic')!;
    const ids = new Set([...basic.members].map((f) => facilityCode.get(result.facilities.ids[f]!)));
    expect(ids.has('GF-D')).toBe(false);
    expect(facilityCode.get(result.facilities.ids[basic.nearest[cellIndex('c1')]!]!)).toBe('GF-A');
  });

  it('agrees with the meridian arc to 1 mm, with PostGIS geography to 1e-6 and with turf to 0.5 %', async () => {
    const pairs: { cell: string; facility: string; engine: number }[] = [];
    for (const cell of fixture.cells) {
      const i = cellIndex(cell.key);
      for (const cls of result.classes) {
        const f = cls.nearest[i]!;
        pairs.push({ cell: cell.key, facility: facilityCode.get(result.facilities.ids[f]!)!, engine: cls.distance[i]! });
      }
    }
    const fac = new Map(fixture.facilities.map((f) => [f.code, f]));
    const cel = new Map(fixture.cells.map((c) => [c.key, c]));
    const { rows } = await sql<{ d: number }>`
      SELECT ST_Distance(ST_SetSRID(ST_MakePoint(a, b), 4326)::geography, ST_SetSRID(ST_MakePoint(c, d), 4326)::geography) AS d
      FROM unnest(${pairs.map((p) => cel.get(p.cell)!.lon)}::float8[], ${pairs.map((p) => cel.get(p.cell)!.lat)}::float8[],
                  ${pairs.map((p) => fac.get(p.facility)!.lon)}::float8[], ${pairs.map((p) => fac.get(p.facility)!.lat)}::float8[])
           WITH ORDINALITY AS t(a, b, c, d, n) ORDER BY n`.execute(db.db);
    pairs.forEach((p, k) => {
      const c = cel.get(p.cell)!;
      const f = fac.get(p.facility)!;
      expect(Math.abs(p.engine - rows[k]!.d) / rows[k]!.d).toBeLessThan(1e-6);
      const t = turf.distance([c.lon, c.lat], [f.lon, f.lat], { units: 'meters' });
      expect(Math.abs(p.engine - t) / t).toBeLessThan(0.005);
      if (c.meridianOf === p.facility) expect(Math.abs(p.engine - meridianArc(c.lat, f.lat))).toBeLessThan(0.001);
    });
  });

  it('sums per unit: covered + uncovered = population, gap and mobile apart', () => {
    const basic = result.classes.find((c) => c.cls.key === 'basic')!;
    const at = (code: string) => unitFigures(basic.agg, result.units.index.get(code)!);
    expect(at('150430190201')).toMatchObject({ population: 1000, covered: 300, gap: 700, mobile: 0, uncovered: 700 });
    expect(at('150430190202')).toMatchObject({ population: 110, covered: 50, gap: 60 });
    expect(at('150430190')).toMatchObject({ population: 1110, covered: 350, gap: 760, mobile: 0 });
    expect(at('150430191')).toMatchObject({ population: 2000, covered: 500, gap: 700, mobile: 800, uncovered: 1500 });
    expect(at('150430')).toMatchObject({ population: 3110, covered: 850, gap: 1460, mobile: 800 });
    for (const cls of result.classes) {
      for (let u = 0; u < result.units.count; u++) {
        const f = unitFigures(cls.agg, u);
        expect(f.covered + f.uncovered).toBe(f.population);
      }
    }
  });

  it('reproduces the golden output (REGEN=1 to refresh)', () => {
    const r = (v: number, d: number) => (Number.isNaN(v) ? null : Math.round(v * 10 ** d) / 10 ** d);
    const features = fixture.cells.map((cell) => {
      const i = cellIndex(cell.key);
      return {
        type: 'Feature',
        id: cell.key,
        geometry: { type: 'Point', coordinates: [r(cell.lon, 6), r(cell.lat, 6)] },
        properties: Object.fromEntries(
          result.classes.map((cls) => [
            cls.cls.key,
            {
              nearest: facilityCode.get(result.facilities.ids[cls.nearest[i]!]!) ?? null,
              distanceM: r(cls.distance[i]!, 2),
              minutes: r(cls.minutes[i]!, 3),
              state: STATE_NAMES[cls.state[i]!],
            },
          ]),
        ),
      };
    });
    const units = result.classes.map((cls) => ({
      class: cls.cls.key,
      units: fixture.units.map((u) => ({ code: u.code, ...unitFigures(cls.agg, result.units.index.get(u.code)!) })),
    }));
    const out = { type: 'FeatureCollection', features, units };
    if (process.env.REGEN === '1') fs.writeFileSync(OUT, `${JSON.stringify(out, null, 1)}\n`);
    expect(out).toEqual(JSON.parse(fs.readFileSync(OUT, 'utf8')));
  });
});
