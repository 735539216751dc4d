/**
 * CSV and XLSX files as one shape: a header row and data rows of strings, each
 * with the row number the user sees in Excel (header row = 1 unless title rows
 * come first).
 */
import { Readable } from 'node:stream';
import Papa from 'papaparse';
import ExcelJS from 'exceljs';
import { importUnreadable, ProblemList } from './problems.ts';

export interface TableRow {
  /** Row number as shown by Excel (1-based, counting title and header rows). */
  row: number;
  cells: string[];
}

export interface Table {
  headers: string[];
  headerRow: number;
  rows: TableRow[];
  /** Worksheet name (XLSX). */
  sheet?: string;
  /** CSV delimiter that was detected. */
  delimiter?: string;
}

/** How many leading rows may be a title above the header (Chinese statistical sheets often have one or two). */
const HEADER_SEARCH_ROWS = 10;

function isBlank(cells: string[]): boolean {
  return cells.every((c) => c.trim() === '');
}

/**
 * Pick the header row: the first of the leading rows in which at least two cells
 * (or every cell of a one-column sheet) name a known field; otherwise the first
 * non-blank row, so that the "missing column" problems name what is expected.
 */
function locateHeader(raw: TableRow[], isKnownHeader: (header: string) => boolean): number {
  const candidates = raw.filter((r) => !isBlank(r.cells)).slice(0, HEADER_SEARCH_ROWS);
  for (const candidate of candidates) {
    const filled = candidate.cells.filter((c) => c.trim() !== '');
    const known = filled.filter((c) => isKnownHeader(c)).length;
    if (known >= 2 || (known === 1 && filled.length === 1)) return raw.indexOf(candidate);
  }
  return candidates.length > 0 ? raw.indexOf(candidates[0]!) : -1;
}

function toTable(raw: TableRow[], isKnownHeader: (header: string) => boolean, problems: ProblemList, extra: Partial<Table>): Table {
  const index = locateHeader(raw, isKnownHeader);
  if (index < 0) {
    throw importUnreadable('The file has no rows: it is empty apart from blank lines.', '文件没有任何数据行（只有空行）。');
  }
  const header = raw[index]!;
  let width = header.cells.length;
  while (width > 0 && header.cells[width - 1]!.trim() === '') width--;
  const headers = header.cells.slice(0, width).map((h) => h.trim());
  const rows: TableRow[] = [];
  for (const r of raw.slice(index + 1)) {
    if (isBlank(r.cells)) continue;
    const extraCells = r.cells.slice(width).filter((c) => c.trim() !== '');
    if (extraCells.length > 0) {
      problems.add(
        r.row,
        null,
        extraCells.join(', '),
        'extra_values',
        `the row has ${r.cells.length} values but the header has only ${width} columns (a comma inside a value that is not quoted?)`,
        `该行有 ${r.cells.length} 个值，但表头只有 ${width} 列（值中含有未加引号的逗号？）`,
      );
    }
    const cells = r.cells.slice(0, width);
    while (cells.length < width) cells.push('');
    rows.push({ row: r.row, cells });
  }
  return { headers, headerRow: header.row, rows, ...extra };
}

export function readCsv(text: string, isKnownHeader: (header: string) => boolean, problems: ProblemList): Table {
  if (text.trim() === '') throw importUnreadable('The file is empty (no text).', '文件为空（没有任何文字）。');
  const parsed = Papa.parse<string[]>(text, { header: false, skipEmptyLines: false, delimitersToGuess: [',', '\t', ';', '|'] });
  for (const error of parsed.errors) {
    if (error.code === 'UndetectableDelimiter') continue; // a one-column file
    const row = typeof error.row === 'number' ? error.row + 1 : null;
    problems.add(
      row,
      null,
      null,
      'csv_syntax',
      `CSV syntax: ${error.message}${error.code === 'MissingQuotes' ? ' (a quoted value is not closed)' : ''}`,
      `CSV 格式错误：${error.code === 'MissingQuotes' ? '引号未闭合' : error.code === 'InvalidQuotes' ? '引号使用不正确' : error.message}`,
    );
  }
  const raw = parsed.data.map((cells, i) => ({ row: i + 1, cells: cells.map((c) => (c ?? '').replace(/^\uFEFF/, '')) }));
  return toTable(raw, isKnownHeader, problems, { delimiter: parsed.meta.delimiter });
}

function cellText(value: ExcelJS.CellValue, problems: ProblemList, row: number, column: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(0) : String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if ('richText' in value) return value.richText.map((t) => t.text).join('');
  if ('error' in value) {
    problems.add(row, `column ${column}`, value.error, 'formula_error', `the cell shows the Excel error ${value.error}`, `单元格显示 Excel 错误 ${value.error}`);
    return '';
  }
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as { result?: ExcelJS.CellValue }).result;
    return result === undefined ? '' : cellText(result, problems, row, column);
  }
  if ('text' in value) return String((value as { text: unknown }).text);
  return String(value);
}

/**
 * XLSX through exceljs's streaming reader: a 100,000-row sheet takes a few
 * hundred megabytes instead of ~2 GB with Workbook.load, and a truncated file
 * fails fast. The sheet is the one named by `sheet`, else the first whose
 * leading rows name known columns, else the first with data.
 */
export async function readXlsx(
  buffer: Buffer,
  isKnownHeader: (header: string) => boolean,
  problems: ProblemList,
  sheetName?: string,
): Promise<Table> {
  const names: string[] = [];
  let chosen: { name: string; raw: TableRow[] } | undefined;
  let fallback: { name: string; raw: TableRow[] } | undefined;
  try {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([buffer]), {
      sharedStrings: 'cache',
      worksheets: 'emit',
      hyperlinks: 'ignore',
      styles: 'ignore',
      entries: 'ignore',
    });
    for await (const worksheet of reader) {
      const name = (worksheet as unknown as { name: string }).name;
      names.push(name);
      const wanted = sheetName === undefined || sheetName === name || (/^\d+$/.test(sheetName) && Number(sheetName) === names.length);
      const sink = wanted ? problems : new ProblemList();
      const raw: TableRow[] = [];
      let matches = false;
      for await (const row of worksheet) {
        if (chosen && !wanted) continue; // drain the rest of the file
        const values = row.values as ExcelJS.CellValue[];
        const cells: string[] = [];
        for (let c = 1; c < values.length; c++) cells.push(cellText(values[c], sink, row.number, c));
        if (cells.every((c) => c.trim() === '')) continue;
        raw.push({ row: row.number, cells });
        if (raw.length <= HEADER_SEARCH_ROWS && cells.filter((c) => isKnownHeader(c)).length >= 2) matches = true;
      }
      if (chosen) continue;
      if (sheetName !== undefined) {
        if (wanted) chosen = { name, raw };
      } else if (matches) chosen = { name, raw };
      else if (!fallback && raw.length > 0) fallback = { name, raw };
    }
  } catch (error) {
    throw importUnreadable(
      `The XLSX file cannot be opened: it is damaged or incomplete (was the upload or the download cut off?). Open it in Excel, save it again and retry. (${(error as Error).message?.slice(0, 120)})`,
      '无法打开该 XLSX 文件：文件已损坏或不完整（上传或下载是否中断？）。请在 Excel 中打开并重新保存后再导入。',
    );
  }
  if (names.length === 0) throw importUnreadable('The workbook has no worksheets.', '该工作簿没有任何工作表。');
  if (sheetName !== undefined && !chosen) {
    throw importUnreadable(
      `The workbook has no worksheet "${sheetName}". Its worksheets: ${names.join(', ')}.`,
      `工作簿中没有名为“${sheetName}”的工作表。现有工作表：${names.join('、')}。`,
    );
  }
  const sheet = chosen ?? fallback;
  if (!sheet || sheet.raw.length === 0) throw importUnreadable(`The worksheet "${sheet?.name ?? names[0]}" is empty.`, `工作表“${sheet?.name ?? names[0]}”为空。`);
  return toTable(sheet.raw, isKnownHeader, problems, { sheet: sheet.name });
}
