/**
 * The report's tables as a workbook (one sheet per table of tables.ts, header
 * row frozen, numbers as numbers with a display format) or one table as CSV
 * (UTF-8 with BOM, so Excel shows Chinese).
 */
import ExcelJS from 'exceljs';
import Papa from 'papaparse';
import { tr, type Lang } from './i18n.ts';
import type { CellKind, ReportTable } from './tables.ts';

const NUMBER_FORMAT: Record<CellKind, string | undefined> = {
  text: undefined,
  int: '#,##0',
  num1: '#,##0.0',
  num2: '#,##0.00',
  pct: '0.0%',
  minutes: '#,##0.0',
  km: '#,##0.0',
};

/** Excel sheet names: at most 31 characters, none of []:*?/\ and unique. */
export function sheetName(name: string, taken: Set<string>): string {
  const clean = name.replace(/[[\]:*?/\\]/g, ' ').slice(0, 31).trim() || 'Sheet';
  let out = clean;
  for (let i = 2; taken.has(out.toLowerCase()); i++) out = `${clean.slice(0, 28)} ${i}`;
  taken.add(out.toLowerCase());
  return out;
}

export async function reportXlsx(tables: readonly ReportTable[], lang: Lang, meta: { title: string; created: Date }): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'im-health-grid-planner';
  wb.title = meta.title;
  wb.created = meta.created;
  const taken = new Set<string>();
  for (const table of tables) {
    const sheet = wb.addWorksheet(sheetName(tr(table.sheet, lang), taken), { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = table.columns.map((c) => ({ header: tr(c.label, lang), key: c.key, width: c.width, style: NUMBER_FORMAT[c.kind] ? { numFmt: NUMBER_FORMAT[c.kind]! } : {} }));
    sheet.getRow(1).font = { bold: true };
    sheet.getRow(1).alignment = { vertical: 'top', wrapText: true };
    for (const row of table.rows) sheet.addRow(row.map((v) => (v === '' ? null : v)));
    // The table's note as a comment on the first header cell: the sheet stays a plain table.
    if (table.note) sheet.getCell(1, 1).note = tr(table.note, lang);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function tableCsv(table: ReportTable, lang: Lang): string {
  const body = Papa.unparse({ fields: table.columns.map((c) => tr(c.label, lang)), data: table.rows.map((r) => r.map((v) => (v === null ? '' : v))) }, { newline: '\r\n' });
  return `\uFEFF${body}\r\n`;
}
