/**
 * Exports of facilities, units and population cells as CSV (UTF-8 with BOM, so
 * Excel shows Chinese), XLSX and GeoJSON, filtered by unit subtree. The columns
 * are the import's own (same headers, same values), so exporting and importing
 * the result changes nothing. Rows are read in keyset pages and streamed.
 */
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import {
  DEPARTMENT_LABELS,
  FACILITY_STATUS_LABELS,
  FACILITY_TYPE_LABELS,
  GRADE_LABELS,
  LEVEL_LABELS,
  OWNERSHIP_LABELS,
  TCM_HALL_LEVEL_LABELS,
  type FacilityStatus,
  type FacilityType,
  type Level,
  type Term,
} from '../domain/taxonomy.ts';
import { FACILITY_COUNT_FIELDS, FACILITY_FIELD_SPECS } from './facilityFields.ts';
import { UNIT_FIELD_SPECS } from './unitPopulations.ts';
import { CELL_FIELD_SPECS } from './populationCells.ts';
import type { FieldSpec } from './columns.ts';

export const EXPORT_KINDS = ['facilities', 'units', 'population-cells'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const EXPORT_FORMATS = ['csv', 'xlsx', 'geojson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  kind: ExportKind;
  format: ExportFormat;
  /** Subtree root; undefined = the whole region. */
  unit?: { code: string; level: Level } | undefined;
  /** Header language of CSV/XLSX (and value labels: zh writes 综合医院, en writes general_hospital). */
  headers: 'zh' | 'en';
  types?: FacilityType[] | undefined;
  statuses?: FacilityStatus[] | undefined;
  /** Units as GeoJSON: boundary (null where there is none; the default, re-importable as unit boundaries) or point. */
  geometry?: 'boundary' | 'point' | undefined;
}

type Value = string | number | boolean | null;
type Row = Record<string, unknown>;

interface Column {
  key: string;
  zh: string;
  en: string;
  value(row: Row, lang: 'zh' | 'en'): Value;
}

const PAGE = 5_000;

function label(labels: Record<string, Term>, value: unknown, lang: 'zh' | 'en'): Value {
  if (value === null || value === undefined) return null;
  return lang === 'zh' ? (labels[String(value)]?.zh ?? String(value)) : String(value);
}
function bool(value: unknown, lang: 'zh' | 'en'): Value {
  if (value === null || value === undefined) return null;
  return lang === 'zh' ? (value ? '是' : '否') : Boolean(value);
}
function num(value: unknown): Value {
  return value === null || value === undefined ? null : Number(value);
}
function text(value: unknown): Value {
  return value === null || value === undefined ? null : String(value);
}

function columnsFrom<K extends string>(specs: FieldSpec<K>[], order: K[], value: (key: K, row: Row, lang: 'zh' | 'en') => Value): Column[] {
  return order.map((key) => {
    const spec = specs.find((s) => s.key === key)!;
    return { key, zh: spec.zh, en: spec.en, value: (row, lang) => value(key, row, lang) };
  });
}

const FACILITY_COLUMNS = columnsFrom(
  FACILITY_FIELD_SPECS,
  [
    'code', 'name', 'type', 'status', 'grade', 'ownership', 'run_by_level', 'central', 'unit_code', 'unit_name', 'lon', 'lat',
    ...FACILITY_COUNT_FIELDS.filter((f) => !f.startsWith('tcm_')),
    'departments', 'tcm_hall_level', 'tcm_technique_categories', 'tcm_techniques', 'provides_deliveries', 'villages_served',
    'synthetic', 'source', 'id', 'version',
  ],
  (key, row, lang) => {
    const v = row[key];
    switch (key) {
      case 'type':
        return label(FACILITY_TYPE_LABELS, v, lang);
      case 'status':
        return label(FACILITY_STATUS_LABELS, v, lang);
      case 'grade':
        return label(GRADE_LABELS, v, lang);
      case 'ownership':
        return label(OWNERSHIP_LABELS, v, lang);
      case 'run_by_level':
        return label(LEVEL_LABELS, v, lang);
      case 'tcm_hall_level':
        return label(TCM_HALL_LEVEL_LABELS, v, lang);
      case 'central':
      case 'provides_deliveries':
      case 'synthetic':
        return bool(v, lang);
      case 'departments':
        return ((v as string[]) ?? []).map((d) => (lang === 'zh' ? (DEPARTMENT_LABELS[d as keyof typeof DEPARTMENT_LABELS]?.zh ?? d) : d)).join(lang === 'zh' ? '；' : ';');
      case 'villages_served':
        return ((v as string[]) ?? []).join(';');
      case 'code':
      case 'name':
      case 'unit_code':
      case 'unit_name':
      case 'source':
        return text(v);
      default:
        return num(v);
    }
  },
);

const UNIT_COLUMNS = columnsFrom(
  UNIT_FIELD_SPECS,
  ['code', 'name', 'level', 'parent_code', 'parent_name', 'kind', 'urban', 'population', 'population_urban', 'population_year', 'population_source',
    'pop_age_0_14', 'pop_age_65_plus', 'births', 'mobile_service', 'lon', 'lat', 'area_km2', 'synthetic', 'source'],
  (key, row, lang) => {
    const v = row[key];
    switch (key) {
      case 'level':
        return label(LEVEL_LABELS, v, lang);
      case 'urban':
      case 'mobile_service':
      case 'synthetic':
        return bool(v, lang);
      case 'code':
      case 'name':
      case 'parent_code':
      case 'parent_name':
      case 'kind':
      case 'population_source':
      case 'source':
        return text(v);
      default:
        return num(v);
    }
  },
);

const CELL_COLUMNS = columnsFrom(
  CELL_FIELD_SPECS,
  ['cell_key', 'lon', 'lat', 'population', 'cell_size_m', 'unit_code', 'unit_name', 'banner_code', 'synthetic', 'source', 'id'],
  (key, row, lang) => {
    const v = row[key];
    if (key === 'synthetic') return bool(v, lang);
    if (key === 'lon' || key === 'lat' || key === 'population' || key === 'cell_size_m' || key === 'id') return num(v);
    return text(v);
  },
);

function subtreeCondition(alias: string, unit: ExportOptions['unit'], self: 'code' | 'unit_code') {
  if (!unit || unit.level === 'region') return sql`true`;
  const column = unit.level === 'league' ? 'league_code' : unit.level === 'banner' ? 'banner_code' : unit.level === 'township' ? 'township_code' : self;
  return sql`${sql.ref(`${alias}.${column}`)} = ${unit.code}`;
}

/** Pages of rows in a stable order (keyset), so a large export never holds everything in memory. */
async function* pages(db: Kysely<Database>, options: ExportOptions): AsyncGenerator<Row[]> {
  const withGeometry = options.format === 'geojson';
  if (options.kind === 'facilities') {
    let last = 0;
    for (;;) {
      const { rows } = await sql<Row>`
        SELECT f.id, f.code, f.name, f.type, f.status, f.grade, f.ownership, f.run_by_level, f.central, f.unit_code,
               ${sql.join(FACILITY_COUNT_FIELDS.map((c) => sql.ref(`f.${c}`)))},
               f.departments, f.tcm_hall_level, f.provides_deliveries, f.villages_served, f.synthetic, f.source, f.version,
               round(ST_X(f.location)::numeric, 6)::float8 AS lon, round(ST_Y(f.location)::numeric, 6)::float8 AS lat,
               u.name AS unit_name
        FROM facility f LEFT JOIN admin_unit u ON u.code = f.unit_code
        WHERE f.id > ${last} AND ${subtreeCondition('f', options.unit, 'unit_code')}
          AND (${options.types?.length ? sql`f.type = ANY(${options.types}::text[])` : sql`true`})
          AND (${options.statuses?.length ? sql`f.status = ANY(${options.statuses}::text[])` : sql`true`})
        ORDER BY f.id LIMIT ${PAGE}`.execute(db);
      if (rows.length === 0) return;
      yield rows.map((r) => (withGeometry ? { ...r, geometry: { type: 'Point', coordinates: [r.lon, r.lat] } } : r));
      last = Number(rows[rows.length - 1]!.id);
    }
  }
  if (options.kind === 'units') {
    // Boundaries are large: smaller pages when they are written.
    const size = withGeometry && options.geometry !== 'point' ? 200 : PAGE;
    let last = '';
    for (;;) {
      const { rows } = await sql<Row>`
        SELECT u.code, u.name, u.level, u.parent_code, p.name AS parent_name, u.kind, u.urban, u.population, u.population_urban,
               u.population_year, u.population_source, u.pop_age_0_14, u.pop_age_65_plus, u.births, u.mobile_service,
               round(ST_X(u.point)::numeric, 6)::float8 AS lon, round(ST_Y(u.point)::numeric, 6)::float8 AS lat,
               round(u.area_km2::numeric, 3)::float8 AS area_km2, u.synthetic, u.source,
               ${withGeometry ? (options.geometry === 'point' ? sql`ST_AsGeoJSON(u.point, 6)::json` : sql`ST_AsGeoJSON(u.boundary, 6)::json`) : sql`NULL::json`} AS geometry
        FROM admin_unit u LEFT JOIN admin_unit p ON p.code = u.parent_code
        WHERE u.code > ${last} AND (${options.unit ? sql`u.code = ${options.unit.code} OR ` : sql``}${subtreeCondition('u', options.unit, 'code')})
        ORDER BY u.code LIMIT ${size}`.execute(db);
      if (rows.length === 0) return;
      yield rows;
      last = String(rows[rows.length - 1]!.code);
    }
  }
  let last = 0;
  for (;;) {
    const { rows } = await sql<Row>`
      SELECT c.id, c.cell_key, round(ST_X(c.location)::numeric, 6)::float8 AS lon, round(ST_Y(c.location)::numeric, 6)::float8 AS lat,
             c.population, c.cell_size_m, c.unit_code, u.name AS unit_name, c.banner_code, c.synthetic, c.source
      FROM population_cell c LEFT JOIN admin_unit u ON u.code = c.unit_code
      WHERE c.id > ${last} AND ${subtreeCondition('c', options.unit, 'unit_code')}
      ORDER BY c.id LIMIT ${PAGE}`.execute(db);
    if (rows.length === 0) return;
    yield rows.map((r) => (withGeometry ? { ...r, geometry: { type: 'Point', coordinates: [r.lon, r.lat] } } : r));
    last = Number(rows[rows.length - 1]!.id);
  }
}

function columnsOf(kind: ExportKind): Column[] {
  return kind === 'facilities' ? FACILITY_COLUMNS : kind === 'units' ? UNIT_COLUMNS : CELL_COLUMNS;
}

function csvCell(value: Value): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function* csvChunks(db: Kysely<Database>, options: ExportOptions): AsyncGenerator<string> {
  const columns = columnsOf(options.kind);
  yield `\uFEFF${columns.map((c) => csvCell(c[options.headers])).join(',')}\r\n`;
  for await (const rows of pages(db, options)) {
    yield rows.map((row) => columns.map((c) => csvCell(c.value(row, options.headers))).join(',')).join('\r\n') + '\r\n';
  }
}

async function* geojsonChunks(db: Kysely<Database>, options: ExportOptions): AsyncGenerator<string> {
  const columns = columnsOf(options.kind);
  yield `{"type":"FeatureCollection","features":[`;
  let first = true;
  for await (const rows of pages(db, options)) {
    const features = rows.map((row) => {
      const properties: Record<string, unknown> = {};
      for (const c of columns) {
        if (c.key === 'departments' || c.key === 'villages_served') properties[c.en] = (row[c.key] as string[]) ?? [];
        else properties[c.en] = c.value(row, 'en');
      }
      return JSON.stringify({ type: 'Feature', id: row.code ?? row.cell_key ?? row.id, geometry: row.geometry ?? null, properties });
    });
    yield (first ? '' : ',') + features.join(',');
    first = false;
  }
  yield ']}\n';
}

function xlsxStream(db: Kysely<Database>, options: ExportOptions, meta: Record<string, string>): Readable {
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
  const columns = columnsOf(options.kind);
  const sheetName = { facilities: '医疗卫生机构 facilities', units: '行政区划 units', 'population-cells': '人口网格 cells' }[options.kind];
  (async () => {
    const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = columns.map((c) => ({ header: c[options.headers], key: c.key, width: Math.max(10, c[options.headers].length * 2 + 2) }));
    sheet.getRow(1).font = { bold: true };
    sheet.getRow(1).commit();
    for await (const rows of pages(db, options)) {
      for (const row of rows) {
        const values: Record<string, Value> = {};
        for (const c of columns) values[c.key] = c.value(row, options.headers);
        sheet.addRow(values).commit();
      }
    }
    sheet.commit();
    const about = workbook.addWorksheet('说明 about');
    for (const [k, v] of Object.entries(meta)) about.addRow([k, v]).commit();
    about.commit();
    await workbook.commit();
  })().catch((error: unknown) => out.destroy(error as Error));
  return out;
}

export interface ExportResult {
  stream: Readable;
  filename: string;
  contentType: string;
}

export function exportData(db: Kysely<Database>, options: ExportOptions, dataVersion: number): ExportResult {
  const scope = options.unit?.code ?? '150000';
  const base = `${options.kind}-${scope}`;
  const meta = {
    '内容 content': options.kind,
    '范围 unit subtree': scope,
    '数据版本 data version': String(dataVersion),
    '导出时间 exported at': new Date().toISOString(),
    '合成数据 synthetic': '“合成数据/synthetic”为“是”的行是本系统生成的模拟数据，不是登记数据。Rows marked synthetic were generated by the planner, not sourced.',
    '重新导入 re-import': 'npm run import -- --kind <kind> --file <this file>  /  POST /api/imports/<kind>',
  };
  switch (options.format) {
    case 'csv':
      return { stream: Readable.from(csvChunks(db, options)), filename: `${base}.csv`, contentType: 'text/csv; charset=utf-8' };
    case 'geojson':
      return { stream: Readable.from(geojsonChunks(db, options)), filename: `${base}.geojson`, contentType: 'application/geo+json; charset=utf-8' };
    case 'xlsx':
      return { stream: xlsxStream(db, options, meta), filename: `${base}.xlsx`, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' };
  }
}
