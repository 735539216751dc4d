/**
 * Population cells: points with a population, from a table (CSV, XLSX, GeoJSON
 * points) or a population raster (GeoTIFF). Upserted by cell key. A cell without a
 * unit code goes to the smallest unit whose boundary holds it and, inside it, to
 * the nearest village settlement point (a Voronoi assignment), so per-village
 * figures work where villages have points but no boundaries.
 */
import { sql } from 'kysely';
import { FieldSet, cellOf, type FieldSpec } from './columns.ts';
import { inEnvelope } from './coords.ts';
import { readPoint, reportPlacement } from './locate.ts';
import { checkStagedPlacements, inferStagedUnits } from './placement.ts';
import { readPopulationRaster, roundPreservingTotal } from './raster.ts';
import { readTable } from './read.ts';
import { createStage, fillStage, type StageColumn } from './stage.ts';
import type { ColumnReport, ImportKind, KindContext, Plan } from './types.ts';
import { parseBoolean, parseCode, parseCount, parseDecimal, parseText, parseUnitCode } from './values.ts';

type CellField = 'cell_key' | 'lon' | 'lat' | 'population' | 'cell_size_m' | 'unit_code' | 'synthetic' | 'source' | 'id' | 'banner_code' | 'unit_name';

export const CELL_FIELD_SPECS: FieldSpec<CellField>[] = [
  { key: 'cell_key', zh: '网格编码', en: 'cell_key', synonyms: ['网格代码', '网格编号', '格网编码', 'cell_id', 'cell', 'grid_id', 'key'] },
  { key: 'lon', zh: '经度', en: 'lon', synonyms: ['lng', 'longitude', 'x'] },
  { key: 'lat', zh: '纬度', en: 'lat', synonyms: ['latitude', 'y'] },
  { key: 'population', zh: '人口', en: 'population', required: true, synonyms: ['人口数', '常住人口', '人数', 'pop', 'value', 'count'] },
  { key: 'cell_size_m', zh: '网格大小（米）', en: 'cell_size_m', synonyms: ['网格大小', '网格尺寸', '分辨率', 'cell_size', 'resolution'] },
  { key: 'unit_code', zh: '所在区划代码', en: 'unit_code', synonyms: ['区划代码', '行政区划代码', 'unit', 'adcode'] },
  { key: 'synthetic', zh: '合成数据', en: 'synthetic' },
  { key: 'source', zh: '数据来源', en: 'source', synonyms: ['来源'] },
  { key: 'id', zh: '编号', en: 'id', readOnly: true },
  { key: 'banner_code', zh: '旗县代码', en: 'banner_code', readOnly: true },
  { key: 'unit_name', zh: '所在区划名称', en: 'unit_name', readOnly: true },
];
export const cellFields = new FieldSet<CellField>(CELL_FIELD_SPECS);

/** Cell size assumed for a table without a cell-size column (a named assumption, reported as a warning). */
export const DEFAULT_CELL_SIZE_M = 1000;

const STAGE = 'import_cell';
const STAGE_COLUMNS: StageColumn[] = [
  { name: 'ord', type: 'integer' },
  { name: 'cell_key', type: 'text' },
  { name: 'lon', type: 'float8' },
  { name: 'lat', type: 'float8' },
  { name: 'cell_size_m', type: 'integer' },
  { name: 'population', type: 'integer' },
  { name: 'unit_code', type: 'text' },
  { name: 'synthetic', type: 'boolean' },
  { name: 'source', type: 'text' },
];

interface CellDraft {
  ord: number;
  key: string | null;
  lon: number;
  lat: number;
  value: number;
  cellSizeM: number;
  unit: string | null;
  synthetic: boolean | null;
  source: string | null;
}

async function fromRaster(ctx: KindContext) {
  const raster = await readPopulationRaster(ctx.file.bytes);
  const drafts: CellDraft[] = raster.cells
    .filter((c) => inEnvelope(c.lon, c.lat))
    .map((c, i) => ({ ord: i + 1, key: c.key, lon: c.lon, lat: c.lat, value: c.value, cellSizeM: c.cellSizeM, unit: null, synthetic: null, source: null }));
  if (raster.bands > 1) {
    ctx.warnings.push({ code: 'first_band', en: `The raster has ${raster.bands} bands; the first one was read as people per pixel.`, zh: `该栅格有 ${raster.bands} 个波段，按第一个波段（每像元人口）读取。` });
  }
  if (raster.negative > 0) {
    ctx.warnings.push({ code: 'negative_pixels', en: `${raster.negative} pixels have negative values that are not the declared no-data value; they were ignored.`, zh: `${raster.negative} 个像元为负值且不是声明的无数据值，已忽略。`, count: raster.negative });
  }
  ctx.warnings.push({
    code: 'raster_read',
    en: `Read ${raster.crs.id}, ${raster.width} × ${raster.height} pixels at ${Number(raster.resolution[0].toPrecision(6))} ${raster.crs.geographic ? '°' : 'm'}; window over Inner Mongolia ${raster.window[2] - raster.window[0]} × ${raster.window[3] - raster.window[1]}; ${drafts.length} populated pixels.`,
    zh: `已读取 ${raster.crs.id} 栅格 ${raster.width} × ${raster.height} 像元，分辨率 ${Number(raster.resolution[0].toPrecision(6))}${raster.crs.geographic ? '°' : ' 米'}；内蒙古范围窗口 ${raster.window[2] - raster.window[0]} × ${raster.window[3] - raster.window[1]}；有人口像元 ${drafts.length} 个。`,
  });
  return { drafts, rows: raster.cells.length, skipped: raster.empty + (raster.cells.length - drafts.length), columns: { mapped: [], ignored: [] } as ColumnReport, encoding: null, sheet: null };
}

async function fromTable(ctx: KindContext) {
  const { table, encoding } = await readTable(ctx, cellFields, ['lon', 'lat']);
  const mapping = cellFields.map(table.headers, ctx.problems, { required: [['lon'], ['lat']] });
  const columns = { mapped: mapping.mapped, ignored: mapping.ignored };
  if (table.rows.length === 0) ctx.problems.add(null, null, null, 'no_rows', 'the file has a header but no data rows', '文件只有表头，没有数据行');
  if (mapping.index.population === undefined || mapping.index.lon === undefined || mapping.index.lat === undefined || table.rows.length === 0) {
    return null;
  }
  if (mapping.index.cell_size_m === undefined) {
    ctx.warnings.push({ code: 'default_cell_size', en: `No cell-size column: cells are taken as ${DEFAULT_CELL_SIZE_M} m.`, zh: `没有网格大小列：按 ${DEFAULT_CELL_SIZE_M} 米网格处理。` });
  }
  const p = ctx.problems;
  const drafts: CellDraft[] = [];
  for (const r of table.rows) {
    const h = (f: CellField) => mapping.header[f] ?? f;
    const cell = (f: CellField) => cellOf(mapping, r.cells, f);
    const key = parseCode(cell('cell_key') ?? '');
    if (!key.ok) p.add(r.row, h('cell_key'), cell('cell_key'), key.code, `cell key ${key.en}`, `网格编码${key.zh}`);
    const pop = parseDecimal(cell('population') ?? '');
    if (!pop.ok) p.add(r.row, h('population'), cell('population'), pop.code, `population ${pop.en}`, `人口${pop.zh}`);
    else if (pop.value === null) p.add(r.row, h('population'), '', 'required', 'the population is required', '人口为必填项');
    else if (pop.value < 0) p.add(r.row, h('population'), cell('population'), 'negative', 'the population must not be negative', '人口不能为负数');
    let size = DEFAULT_CELL_SIZE_M;
    const sizeRaw = cell('cell_size_m');
    if (sizeRaw !== undefined) {
      const s = parseCount(sizeRaw);
      if (!s.ok || s.value === 0) p.add(r.row, h('cell_size_m'), sizeRaw, s.ok ? 'not_positive' : s.code, 'the cell size must be a positive whole number of metres', '网格大小必须是正整数（米）');
      else if (s.value !== null) size = s.value;
    }
    const unit = parseUnitCode(cell('unit_code') ?? '');
    if (!unit.ok) p.add(r.row, h('unit_code'), cell('unit_code'), unit.code, `unit code ${unit.en}`, `所在区划代码${unit.zh}`);
    let synthetic: boolean | null = null;
    if (cell('synthetic') !== undefined) {
      const b = parseBoolean(cell('synthetic')!);
      if (!b.ok) p.add(r.row, h('synthetic'), cell('synthetic'), b.code, b.en, b.zh);
      else synthetic = b.value;
    }
    let source: string | null = null;
    if (cell('source') !== undefined) {
      const t = parseText(cell('source')!, 500);
      if (!t.ok) p.add(r.row, h('source'), cell('source'), t.code, t.en, t.zh);
      else source = t.value;
    }
    const point = readPoint(p, r.row, cell('lon'), cell('lat'), { lon: h('lon'), lat: h('lat') }, ctx.options.crs);
    if (point && pop.ok && pop.value !== null && pop.value >= 0 && unit.ok) {
      drafts.push({ ord: r.row, key: key.ok ? key.value : null, lon: point[0], lat: point[1], value: pop.value, cellSizeM: size, unit: unit.value, synthetic, source });
    }
  }
  // Duplicate keys (explicit, or derived from the point when the file has none).
  const seen = new Map<string, number>();
  for (const d of drafts) {
    d.key ??= `pt:${d.lon.toFixed(6)},${d.lat.toFixed(6)}`;
    const first = seen.get(d.key);
    if (first !== undefined) {
      p.add(d.ord, mapping.header.cell_key ?? `${mapping.header.lon ?? '经度'} / ${mapping.header.lat ?? '纬度'}`, d.key, 'duplicate_cell', `the cell ${d.key} also appears in row ${first}`, `网格 ${d.key} 在第 ${first} 行已出现`);
    } else seen.set(d.key, d.ord);
  }
  return { drafts, rows: table.rows.length, skipped: 0, columns, encoding, sheet: table.sheet ?? null };
}

async function plan(ctx: KindContext): Promise<Plan | null> {
  const raster = ctx.format === 'geotiff';
  const read = raster ? await fromRaster(ctx) : await fromTable(ctx);
  if (!read) return null;
  const { drafts, columns } = read;
  let skipped = read.skipped;

  // Whole people, total kept.
  if (drafts.some((d) => !Number.isInteger(d.value))) {
    const total = drafts.reduce((s, d) => s + d.value, 0);
    const rounded = roundPreservingTotal(drafts.map((d) => d.value));
    drafts.forEach((d, i) => (d.value = rounded[i]!));
    ctx.warnings.push({
      code: 'rounded',
      en: `Fractional populations were rounded to whole people, carrying remainders so the total (${Math.round(total).toLocaleString('en')}) is kept.`,
      zh: `小数人口已取整，余数顺延，总人口（${Math.round(total).toLocaleString('en')}）保持不变。`,
    });
  }

  ctx.mark('validate');

  // Stage every cell once; units, placement and the upsert run over the staging table.
  await createStage(ctx.trx, STAGE, STAGE_COLUMNS, 'existing_id bigint, changed boolean');
  await fillStage(
    ctx.trx,
    STAGE,
    STAGE_COLUMNS,
    drafts.map((d) => ({
      ord: d.ord,
      cell_key: d.key,
      lon: d.lon,
      lat: d.lat,
      cell_size_m: d.cellSizeM,
      population: d.value,
      unit_code: d.unit,
      synthetic: d.synthetic ?? false,
      source: d.source ?? ctx.defaultSource,
    })),
  );
  ctx.mark('stage');
  await inferStagedUnits(ctx.trx, STAGE, { settle: true });
  const placements = await checkStagedPlacements(ctx.trx, STAGE);
  const dropped: number[] = [];
  for (const d of drafts) {
    // Only rows with something to report come back.
    const pl = placements.get(d.ord);
    if (!pl) continue;
    if (raster) {
      // A global raster is clipped to the region: cells outside it are skipped, not errors.
      if (pl.region === 'out' || pl.unitCode === null) dropped.push(d.ord);
    } else {
      reportPlacement(ctx.problems, d.ord, [d.lon, d.lat], d.unit ?? pl.unitCode, pl, { lon: '经度', lat: '纬度', unit: '所在区划代码' });
    }
  }
  if (dropped.length > 0) await sql`DELETE FROM ${sql.table(STAGE)} WHERE ord = ANY(${dropped}::int[])`.execute(ctx.trx);
  const zero = await sql`DELETE FROM ${sql.table(STAGE)} WHERE population = 0`.execute(ctx.trx);
  skipped += dropped.length + Number(zero.numAffectedRows ?? 0);
  const { rows: left } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(STAGE)}`.execute(ctx.trx);
  if (raster && left[0]!.n === 0) {
    ctx.problems.add(null, null, null, 'no_cells', 'the raster has no populated pixel inside Inner Mongolia (wrong area, or all no-data?)', '该栅格在内蒙古范围内没有任何有人口的像元（区域不对，或全部为无数据值？）');
  }
  ctx.mark('placement');

  const counts = { created: 0, updated: 0, unchanged: 0, deleted: 0, skipped };
  const base = { rows: read.rows, counts, columns, encoding: read.encoding, sheet: read.sheet };
  if (ctx.problems.size > 0) return { ...base, write: async () => ({ details: {} }), touchedUnits: async () => [] };

  const hasSynthetic = columns.mapped.some((m) => m.field === 'synthetic');
  const hasSource = columns.mapped.some((m) => m.field === 'source');
  await sql.raw(`CREATE UNIQUE INDEX ON ${STAGE} (cell_key)`).execute(ctx.trx);
  const compared = [
    'c.population = s.population',
    'c.cell_size_m = s.cell_size_m',
    'c.unit_code = s.unit_code',
    'round(ST_X(c.location)::numeric, 6) = round(s.lon::numeric, 6)',
    'round(ST_Y(c.location)::numeric, 6) = round(s.lat::numeric, 6)',
    ...(hasSynthetic ? ['c.synthetic = s.synthetic'] : []),
    ...(hasSource ? ['c.source IS NOT DISTINCT FROM s.source'] : []),
  ];
  await sql.raw(`UPDATE ${STAGE} s SET existing_id = c.id, changed = NOT (${compared.join(' AND ')}) FROM population_cell c WHERE c.cell_key = s.cell_key`).execute(ctx.trx);
  // Cells of the covered banners that the file does not contain: replaced, or double-counted.
  const { rows: classes } = await sql<{ created: number; updated: number; unchanged: number; others: number }>`
    WITH banners AS (SELECT DISTINCT u.banner_code FROM ${sql.raw(STAGE)} s JOIN admin_unit u ON u.code = s.unit_code WHERE u.banner_code IS NOT NULL)
    SELECT (SELECT count(*) FILTER (WHERE existing_id IS NULL) FROM ${sql.raw(STAGE)})::int AS created,
           (SELECT count(*) FILTER (WHERE changed) FROM ${sql.raw(STAGE)})::int AS updated,
           (SELECT count(*) FILTER (WHERE existing_id IS NOT NULL AND NOT changed) FROM ${sql.raw(STAGE)})::int AS unchanged,
           (SELECT count(*) FROM population_cell c WHERE c.banner_code IN (SELECT banner_code FROM banners)
              AND NOT EXISTS (SELECT 1 FROM ${sql.raw(STAGE)} s WHERE s.cell_key = c.cell_key))::int AS others`.execute(ctx.trx);
  const { others, ...rest } = classes[0]!;
  Object.assign(counts, rest);
  if (ctx.options.replace) counts.deleted = others;
  else if (others > 0) {
    ctx.warnings.push({
      code: 'other_cells_kept',
      en: `${others} existing cells in the banners this file covers are not in the file and stay; their people add to the imported ones. Import with replace=true to replace them (e.g. a synthetic grid).`,
      zh: `本文件覆盖的旗县中已有 ${others} 个网格不在文件中，将被保留，其人口会与导入的网格叠加。如需替换（例如替换合成网格），请使用 replace=true 导入。`,
      count: others,
    });
  }

  return {
    ...base,
    async touchedUnits() {
      const replace = ctx.options.replace === true;
      const { rows } = await sql<{ code: string }>`
        SELECT unit_code AS code FROM ${sql.raw(STAGE)} WHERE existing_id IS NULL OR changed
        UNION SELECT c.unit_code FROM population_cell c JOIN ${sql.raw(STAGE)} s ON s.cell_key = c.cell_key WHERE s.changed
        UNION SELECT c.unit_code FROM population_cell c
          WHERE ${replace} AND c.banner_code IN (SELECT DISTINCT u.banner_code FROM ${sql.raw(STAGE)} s JOIN admin_unit u ON u.code = s.unit_code)
            AND NOT EXISTS (SELECT 1 FROM ${sql.raw(STAGE)} s WHERE s.cell_key = c.cell_key)`.execute(ctx.trx);
      return rows.map((r) => r.code);
    },
    async write() {
      const trx = ctx.trx;
      let deletedKeys: string[] = [];
      if (ctx.options.replace && counts.deleted > 0) {
        const { rows } = await sql<{ cell_key: string }>`
          DELETE FROM population_cell c
          WHERE c.banner_code IN (SELECT DISTINCT u.banner_code FROM ${sql.raw(STAGE)} s JOIN admin_unit u ON u.code = s.unit_code)
            AND NOT EXISTS (SELECT 1 FROM ${sql.raw(STAGE)} s WHERE s.cell_key = c.cell_key)
          RETURNING c.cell_key`.execute(trx);
        deletedKeys = rows.map((r) => r.cell_key);
      }
      await sql.raw(`
        UPDATE population_cell c SET population = s.population, cell_size_m = s.cell_size_m, unit_code = s.unit_code,
          location = ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), synthetic = s.synthetic, source = s.source
        FROM ${STAGE} s WHERE c.cell_key = s.cell_key AND s.changed`).execute(trx);
      await sql.raw(`
        INSERT INTO population_cell (cell_key, location, cell_size_m, population, unit_code, synthetic, source)
        SELECT cell_key, ST_SetSRID(ST_MakePoint(lon, lat), 4326), cell_size_m, population, unit_code, synthetic, source
        FROM ${STAGE} WHERE existing_id IS NULL ORDER BY ord`).execute(trx);
      const { rows: totals } = await sql<{ people: number; banners: string[] | null }>`
        SELECT COALESCE(sum(s.population), 0)::bigint AS people, array_agg(DISTINCT u.banner_code) AS banners
        FROM ${sql.raw(STAGE)} s JOIN admin_unit u ON u.code = s.unit_code`.execute(trx);
      return { details: { people: totals[0]?.people ?? 0, banners: totals[0]?.banners ?? [], deletedKeys: deletedKeys.slice(0, 1000) } };
    },
  };
}

export const populationCellImport: ImportKind = {
  name: 'population-cells',
  entity: 'population_cell',
  formats: ['csv', 'xlsx', 'geojson', 'geotiff'],
  fields: cellFields.fields,
  plan,
};
