/**
 * One report in one format, for the route and the CLI alike: the model
 * (model.ts) rendered as HTML, PDF (Chromium), XLSX (every table) or CSV (one
 * table). The file name says what the report is of: unit, scenario, rule set
 * year, language.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { assembleReport, prepareReport, type AssembleOptions, type ReportInputs, type ReportModel } from './model.ts';
import { renderReportHtml } from './html.ts';
import { reportTables, TABLE_KEYS, type TableKey } from './tables.ts';
import { reportXlsx, tableCsv } from './xlsx.ts';
import { REPORT_TITLE, tr, type Lang } from './i18n.ts';
import type { PdfRenderer } from './pdf.ts';

export const REPORT_FORMATS = ['html', 'pdf', 'xlsx', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
};

export interface ReportFile {
  body: Buffer;
  contentType: string;
  /** e.g. 敖汉旗-150430-baseline-2025-zh.pdf */
  fileName: string;
  model: ReportModel;
}

export interface RenderOptions {
  format: ReportFormat;
  lang: Lang;
  /** The table of a CSV (tables.ts TABLE_KEYS). */
  table?: string | undefined;
  pdf?: PdfRenderer | undefined;
  /** Where the HTML of the same report is (named in the 503 when Chromium is missing). */
  htmlUrl?: string | null;
}

/** Maps are drawn only where they are printed. */
export function assembleOptionsFor(format: ReportFormat, extra: AssembleOptions = {}): AssembleOptions {
  return { ...extra, map: format === 'html' || format === 'pdf' };
}

export function fileNameOf(m: ReportModel, format: ReportFormat, lang: Lang, table?: string): string {
  const what = m.scenario ? `scenario${m.scenario.id}v${m.scenario.version}` : 'baseline';
  return `${m.unit.name}-${m.unit.code}-${what}-${m.ruleSet.targetYear}-${lang}${table ? `-${table}` : ''}.${format}`;
}

export function unknownTable(table: string | undefined): AppError {
  return new AppError(
    'InvalidParameter',
    400,
    {
      en: `format=csv needs table=<one of ${TABLE_KEYS.join(', ')}>${table ? `; '${table}' is not one of them (a scenario's tables exist only with scenario=)` : ''}. format=xlsx gives every table.`,
      zh: `format=csv 须指定 table=（可选：${TABLE_KEYS.join('、')}）${table ? `；“${table}”不在其中（情景相关的表仅在指定 scenario= 时存在）` : ''}。format=xlsx 可一次得到全部表格。`,
    },
    [{ field: 'table', value: table ?? null, en: `one of ${TABLE_KEYS.join(', ')}`, zh: `应为 ${TABLE_KEYS.join('、')} 之一` }],
  );
}

export async function renderReport(m: ReportModel, options: RenderOptions): Promise<ReportFile> {
  const { format, lang } = options;
  switch (format) {
    case 'html':
      return { body: Buffer.from(renderReportHtml(m, lang), 'utf8'), contentType: CONTENT_TYPES.html, fileName: fileNameOf(m, 'html', lang), model: m };
    case 'pdf': {
      if (!options.pdf) throw new Error('renderReport: format pdf needs a PdfRenderer');
      const body = await options.pdf.render(renderReportHtml(m, lang), options.htmlUrl ?? null);
      return { body, contentType: CONTENT_TYPES.pdf, fileName: fileNameOf(m, 'pdf', lang), model: m };
    }
    case 'xlsx': {
      const body = await reportXlsx(reportTables(m, lang), lang, { title: `${m.unit.name} ${tr(REPORT_TITLE, lang)}`, created: new Date(m.generatedAt) });
      return { body, contentType: CONTENT_TYPES.xlsx, fileName: fileNameOf(m, 'xlsx', lang), model: m };
    }
    case 'csv': {
      const table = reportTables(m, lang).find((t) => t.key === options.table);
      if (!table) throw unknownTable(options.table);
      return { body: Buffer.from(tableCsv(table, lang), 'utf8'), contentType: CONTENT_TYPES.csv, fileName: fileNameOf(m, 'csv', lang, table.key), model: m };
    }
  }
}

export interface ReportRequest {
  unit: string;
  ruleSetId?: number | undefined;
  scenarioId?: number | null | undefined;
  format: ReportFormat;
  lang: Lang;
  table?: string | undefined;
  mergeEffects?: boolean | undefined;
}

/** Check a CSV's table name before the (expensive) model is built. */
export function checkTable(format: ReportFormat, table: string | undefined, scenario: boolean): void {
  if (format !== 'csv') return;
  const scenarioOnly: readonly TableKey[] = ['scenario_changes', 'scenario_rules', 'scenario_access', 'scenario_facilities'];
  if (!table || !(TABLE_KEYS as readonly string[]).includes(table) || (!scenario && scenarioOnly.includes(table as TableKey))) throw unknownTable(table);
}

/** Prepare, assemble and render one report (`inputs`: already prepared, e.g. shared by a batch). */
export async function makeReport(db: Kysely<Database>, request: ReportRequest, options: { pdf?: PdfRenderer; htmlUrl?: string | null; inputs?: ReportInputs } = {}): Promise<ReportFile> {
  checkTable(request.format, request.table, request.scenarioId != null);
  const inputs = options.inputs ?? (await prepareReport(db, { ruleSetId: request.ruleSetId, scenarioId: request.scenarioId }));
  const model = await assembleReport(db, inputs, request.unit, assembleOptionsFor(request.format, { mergeEffects: request.mergeEffects === true }));
  return renderReport(model, { format: request.format, lang: request.lang, table: request.table, pdf: options.pdf, htmlUrl: options.htmlUrl ?? null });
}
