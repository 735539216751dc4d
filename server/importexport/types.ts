/** Shared shapes of the import pipeline (service ↔ kinds ↔ routes and CLI). */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { InputCrs } from './coords.ts';
import type { RequestedEncoding } from './encoding.ts';
import type { FieldSpec } from './columns.ts';
import type { FileFormat } from './formats.ts';
import type { ProblemList, Warning } from './problems.ts';

export const IMPORT_KINDS = ['facilities', 'unit-populations', 'population-cells', 'unit-boundaries'] as const;
export type ImportKindName = (typeof IMPORT_KINDS)[number];

/**
 * Largest accepted upload. A 100,000-row facility CSV is ~20 MB and a 1 km
 * population raster of the whole region ~15 MB; anything bigger is refused
 * before it is read (Content-Length) or as soon as the stream passes the limit.
 */
export const IMPORT_MAX_BYTES = 100 * 1024 * 1024;
export const IMPORT_MAX_LABEL = '100 MB';

export interface ImportOptions {
  mode: 'validate' | 'commit';
  encoding: RequestedEncoding;
  crs: InputCrs;
  format: FileFormat | 'auto';
  /** XLSX: worksheet name or 1-based number. */
  sheet?: string | undefined;
  /** population-cells: delete existing cells of the touched banners that the file does not contain. */
  replace?: boolean | undefined;
  /** Text written to the `source` column of new or changed rows (default: the file name). */
  source?: string | undefined;
}

export interface ImportFile {
  name: string;
  bytes: Buffer;
}

export interface Counts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  /** Cells dropped because they are empty or outside the region (rasters only). */
  skipped: number;
}

export interface ColumnReport {
  mapped: { header: string; field: string }[];
  ignored: string[];
}

export interface ImportReport {
  kind: ImportKindName;
  mode: 'validate' | 'commit';
  committed: boolean;
  file: { name: string; bytes: number; sha256: string; format: FileFormat; encoding: string | null; sheet: string | null };
  crs: InputCrs;
  rows: number;
  counts: Counts;
  columns: ColumnReport;
  warnings: Warning[];
  dataVersion: number | null;
  durationMs: number;
  /** Milliseconds per phase (read, validate, checks, stage, write …), for the bench and for slow files. */
  timings: Record<string, number>;
}

export interface KindContext {
  trx: Transaction<Database>;
  file: ImportFile;
  format: FileFormat;
  options: ImportOptions;
  problems: ProblemList;
  warnings: Warning[];
  /** `source` for new or changed rows when the file has no source column. */
  defaultSource: string;
  /** Record the time since the previous mark under a phase name (report.timings). */
  mark(phase: string): void;
}

export interface WriteResult {
  /** Up to a limit: the previous state of updated rows, for the audit log. */
  before?: unknown;
  details: Record<string, unknown>;
}

export interface Plan {
  rows: number;
  counts: Counts;
  columns: ColumnReport;
  encoding: string | null;
  sheet: string | null;
  /** Write the staged rows; only called when there is no problem. */
  write(): Promise<WriteResult>;
  /** Units whose data the import would change (created/changed rows, and where changed rows stood before), for edit-scope checks. */
  touchedUnits(): Promise<string[]>;
}

export interface ImportKind {
  name: ImportKindName;
  /** audit_log.entity_type */
  entity: 'facility' | 'admin_unit' | 'population_cell';
  formats: readonly FileFormat[];
  /** Accepted columns (for the kinds description and templates). */
  fields: FieldSpec[];
  /** Read, validate (JS and database, read-only) and stage; problems go to ctx.problems. */
  plan(ctx: KindContext): Promise<Plan | null>;
}

export interface ImportHooks {
  /** Refuse (throw) when the caller may not change data in these units (editors limited to a subtree). */
  authorizeUnits?(codes: string[], db: Kysely<Database>): Promise<void>;
}

export const ZERO_COUNTS: Counts = { created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0 };
