/**
 * Problems found in an import file. Validation collects every problem (row,
 * column, value, reason in English and Chinese) instead of stopping at the first,
 * so that one round trip tells the user everything to fix.
 */
import { AppError, type ErrorDetail } from '../errors.ts';

/**
 * At most this many problems are listed in an answer (each with row, column,
 * value and reason); `problemCount` always gives the full number and `summary`
 * groups all of them by column and reason. A file with 100,000 bad rows would
 * otherwise produce a response of tens of megabytes.
 */
export const MAX_LISTED_PROBLEMS = 10_000;

export interface Problem extends ErrorDetail {
  /** Spreadsheet row (header = row 1), GeoJSON feature number (1-based) or text line; null for the whole file. */
  row: number | null;
  /** The header as written in the file, or the field name when the column is missing. */
  column: string | null;
  value: string | null;
  /** Stable machine-readable reason, e.g. `negative`, `unknown_type`, `outside_region`. */
  code: string;
  en: string;
  zh: string;
  field: string;
}

export interface Warning {
  code: string;
  en: string;
  zh: string;
  /** Rows concerned (first ones), when the warning is about rows. */
  rows?: number[];
  count?: number;
}

function clip(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = String(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

export class ProblemList {
  readonly items: Problem[] = [];
  /** Rows that have at least one problem (they are not staged). */
  readonly badRows = new Set<number>();

  add(row: number | null, column: string | null, value: unknown, code: string, en: string, zh: string): void {
    const field = row === null ? (column ?? 'file') : column === null ? `row ${row}` : `row ${row} / ${column}`;
    this.items.push({ row, column, value: clip(value), code, en, zh, field });
    if (row !== null) this.badRows.add(row);
  }

  get size(): number {
    return this.items.length;
  }
}

export interface ProblemSummary {
  column: string | null;
  code: string;
  count: number;
  /** First rows with this problem. */
  rows: number[];
  en: string;
  zh: string;
}

/** All problems grouped by (column, reason), so even a truncated list shows the whole picture. */
export function summarise(problems: Problem[]): ProblemSummary[] {
  const groups = new Map<string, ProblemSummary>();
  for (const p of problems) {
    const key = `${p.column ?? ''}\u0000${p.code}`;
    let group = groups.get(key);
    if (!group) {
      group = { column: p.column, code: p.code, count: 0, rows: [], en: p.en, zh: p.zh };
      groups.set(key, group);
    }
    group.count += 1;
    if (p.row !== null && group.rows.length < 20) group.rows.push(p.row);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

function ordered(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
}

/** The file cannot be read at all (empty, truncated, wrong encoding, unsupported projection …): 400. */
export function importUnreadable(en: string, zh: string, problems: Problem[] = [], extra: Record<string, unknown> = {}): AppError {
  return new AppError('ImportUnreadable', 400, { en, zh }, problems.slice(0, MAX_LISTED_PROBLEMS), {
    problemCount: problems.length,
    ...extra,
  });
}

/** The file was read but some rows are invalid: 422 listing every problem; nothing was written. */
export function importInvalid(problems: Problem[], extra: Record<string, unknown> = {}): AppError {
  const rows = new Set(problems.map((p) => p.row).filter((r) => r !== null)).size;
  const listed = ordered(problems).slice(0, MAX_LISTED_PROBLEMS);
  const truncated = problems.length > listed.length;
  return new AppError(
    'ImportInvalid',
    422,
    {
      en: `The file has ${problems.length} problem(s)${rows ? ` in ${rows} row(s)` : ''}; nothing was imported. Fix them and import again${truncated ? ` (the first ${listed.length} are listed; summary groups them all)` : ''}.`,
      zh: `文件中有 ${problems.length} 处问题${rows ? `，涉及 ${rows} 行` : ''}，未导入任何数据。请修改后重新导入${truncated ? `（仅列出前 ${listed.length} 处，summary 汇总了全部问题）` : ''}。`,
    },
    listed,
    { problemCount: problems.length, problemsTruncated: truncated, summary: summarise(problems), ...extra },
  );
}
