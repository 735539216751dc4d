import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { csv, fingerprint, insertWengniuteFixture, upload, WNT } from './fixtures/import/kit.ts';
import { ghsPopStyle, unsupportedProjection, worldPopStyle } from './fixtures/import/rasters.ts';

describe(`population cell import (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
    await insertWengniuteFixture(db.db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const cellsIn = async (banner: string) => {
    const { rows } = await sql<{ n: number; people: number }>`
      SELECT count(*)::int AS n, COALESCE(sum(population), 0)::int AS people FROM population_cell WHERE banner_code = ${banner}`.execute(db.db);
    return rows[0]!;
  };

  it('imports a CSV grid, assigns cells to the nearest village of their banner and re-imports as unchanged', async () => {
    const file = csv([
      ['网格编码', '经度', '纬度', '人口', '网格大小'],
      ['g-1', 119.031, 42.941, 120, 1000],
      ['g-2', 118.99, 42.932, 80.5, 1000],
      ['g-3', 119.361, 42.761, 40.5, 1000],
    ]);
    const res = await upload(app, 'population-cells', file, 'grid.csv', { mode: 'commit' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().counts).toMatchObject({ created: 3 });
    expect(res.json().warnings.map((w: { code: string }) => w.code)).toContain('rounded');
    const rows = await db.db.selectFrom('population_cell').select(['cell_key', 'unit_code', 'population', 'banner_code']).where('cell_key', 'in', ['g-1', 'g-2', 'g-3']).orderBy('cell_key').execute();
    expect(rows.map((r) => r.unit_code)).toEqual([WNT.villages[0].code, WNT.villages[1].code, WNT.villages[3].code]);
    expect(rows.reduce((s, r) => s + r.population, 0)).toBe(241);
    const again = await upload(app, 'population-cells', file, 'grid.csv', { mode: 'commit' });
    expect(again.json().counts).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
  });

  it('reads a WorldPop-style EPSG:4326 GeoTIFF: skips no-data and zero pixels, keeps the total', async () => {
    const raster = worldPopStyle();
    const before = await cellsIn(WNT.banner);
    const res = await upload(app, 'population-cells', raster.bytes, 'worldpop_2020_1km.tif', { mode: 'commit' });
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report.file.format).toBe('geotiff');
    expect(report.counts.created).toBe(raster.populated);
    expect(report.counts.skipped).toBe(24 - raster.populated);
    const after = await cellsIn(WNT.banner);
    expect(after.people - before.people).toBe(Math.round(raster.total));
    const sample = await db.db.selectFrom('population_cell').select(['cell_key', 'cell_size_m']).where('cell_key', 'like', 'EPSG:4326@%').limit(1).executeTakeFirstOrThrow();
    expect(sample.cell_size_m).toBe(928);
    const again = await upload(app, 'population-cells', raster.bytes, 'worldpop_2020_1km.tif', { mode: 'commit' });
    expect(again.json().counts).toMatchObject({ created: 0, updated: 0, unchanged: raster.populated });
  });

  it.each([
    ['user-defined with a Mollweide citation (as GDAL writes GHS-POP)', true],
    ['ESRI:54009 as the projected CS code', false],
  ])('reads a GHS-POP-style World Mollweide GeoTIFF: %s', async (_label, citationOnly) => {
    const raster = ghsPopStyle([119.3, 42.75 + (citationOnly ? 0 : 0.1)], citationOnly);
    const res = await upload(app, 'population-cells', raster.bytes, 'GHS_POP_E2020_R2023A_54009_1000.tif', { mode: 'commit' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().counts.created).toBe(raster.populated);
    const { rows } = await sql<{ lon: number; lat: number; size: number }>`
      SELECT ST_X(location) AS lon, ST_Y(location) AS lat, cell_size_m AS size FROM population_cell WHERE cell_key LIKE 'ESRI:54009@%' ORDER BY id DESC LIMIT 1`.execute(db.db);
    expect(rows[0]!.size).toBe(1000);
    expect(Math.abs(rows[0]!.lon - 119.3)).toBeLessThan(0.1);
  });

  it('refuses a GeoTIFF in a projection it cannot read, naming the supported ones', async () => {
    const before = await fingerprint(db.db);
    const res = await upload(app, 'population-cells', unsupportedProjection(), 'xian80.tif', { mode: 'commit' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('ImportUnreadable');
    expect(res.json().message).toContain('2385');
    expect(res.json().message).toContain('ESRI:54009');
    expect(res.json().messageZh).toContain('投影');
    expect(await fingerprint(db.db)).toEqual(before);
  });

  it('replaces the cells of the covered banners only with replace=true', async () => {
    const file = csv([
      ['cell_key', 'lon', 'lat', 'population', 'cell_size_m'],
      ['r-1', 119.02, 42.9, 1000, 1000],
    ]);
    const kept = await upload(app, 'population-cells', file, 'r.csv', { mode: 'validate' });
    expect(kept.json().warnings.map((w: { code: string }) => w.code)).toContain('other_cells_kept');
    const res = await upload(app, 'population-cells', file, 'r.csv', { mode: 'commit', replace: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().counts.deleted).toBeGreaterThan(5);
    expect(await cellsIn(WNT.banner)).toEqual({ n: 1, people: 1000 });
  });
});
