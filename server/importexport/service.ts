/**
 * One import code path for the API and the CLI: detect the format, read and
 * validate every row (nothing written), then — in commit mode and only when the
 * whole file is valid — write in the same transaction, bump the data version and
 * record the import in the audit log.
 */
import crypto from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Actor } from '../http/actor.ts';
import { writeAudit } from '../audit/log.ts';
import { bumpDataVersion } from '../facilities/repository.ts';
import { AppError } from '../errors.ts';
import { detectFormat } from './formats.ts';
import { importInvalid, importUnreadable, ProblemList, type Warning } from './problems.ts';
import { facilityImport } from './facilities.ts';
import { unitPopulationImport } from './unitPopulations.ts';
import { populationCellImport } from './populationCells.ts';
import { unitBoundaryImport } from './unitBoundaries.ts';
import { IMPORT_MAX_BYTES, IMPORT_MAX_LABEL, ZERO_COUNTS, type ImportFile, type ImportHooks, type ImportKind, type ImportKindName, type ImportOptions, type ImportReport } from './types.ts';

export const IMPORT_KIND_HANDLERS: Record<ImportKindName, ImportKind> = {
  facilities: facilityImport,
  'unit-populations': unitPopulationImport,
  'population-cells': populationCellImport,
  'unit-boundaries': unitBoundaryImport,
};

const KIND_ZH: Record<ImportKindName, string> = {
  facilities: '医疗卫生机构',
  'unit-populations': '区划人口',
  'population-cells': '人口网格',
  'unit-boundaries': '区划边界',
};

export function payloadTooLarge(bytes?: number): AppError {
  return new AppError(
    'PayloadTooLarge',
    413,
    {
      en: `The upload${bytes ? ` (${(bytes / 1024 / 1024).toFixed(0)} MB)` : ''} is larger than the import limit of ${IMPORT_MAX_LABEL}. Split the file (e.g. one league or banner per file) or aggregate the raster to 1 km cells.`,
      zh: `上传文件${bytes ? `（${(bytes / 1024 / 1024).toFixed(0)} MB）` : ''}超过导入上限 ${IMPORT_MAX_LABEL}。请拆分文件（例如按盟市或旗县分别导入），或将栅格聚合为 1 公里网格。`,
    },
    undefined,
    { limitBytes: IMPORT_MAX_BYTES },
  );
}

/** The table each kind of import writes (refreshed statistics after a large import). */
const KIND_TABLE: Record<ImportKindName, 'facility' | 'admin_unit' | 'population_cell'> = {
  facilities: 'facility',
  'unit-populations': 'admin_unit',
  'population-cells': 'population_cell',
  'unit-boundaries': 'admin_unit',
};

/**
 * From this many rows created, updated or deleted, a committed import runs
 * ANALYZE on its table: the planner's statistics drive the rule engine's and the
 * access engine's plans, PGlite has no autovacuum, and a PostgreSQL server may run
 * with autovacuum off (a full-region reload otherwise leaves plans for an empty table).
 */
export const ANALYZE_AFTER_ROWS = 1_000;

class ValidateOnly extends Error {
  constructor(readonly report: ImportReport) {
    super('validate only: rolled back');
  }
}

/** Run an import in its own transaction (validate mode rolls it back). */
export async function runImport(
  db: Kysely<Database>,
  kind: ImportKindName,
  file: ImportFile,
  options: ImportOptions,
  actor: Actor,
  hooks: ImportHooks = {},
): Promise<ImportReport> {
  if (file.bytes.length > IMPORT_MAX_BYTES) throw payloadTooLarge(file.bytes.length);
  let report: ImportReport;
  try {
    report = await db.transaction().execute(async (trx) => {
      const result = await importInTransaction(trx, kind, file, options, actor, hooks);
      if (options.mode === 'validate') throw new ValidateOnly(result);
      return result;
    });
  } catch (error) {
    if (error instanceof ValidateOnly) return error.report;
    throw error;
  }
  const { created, updated, deleted } = report.counts;
  if (report.committed && created + updated + deleted >= ANALYZE_AFTER_ROWS) {
    // After the commit, so the statistics describe the committed table (and the
    // import's locks are released first).
    const started = Date.now();
    await sql`ANALYZE ${sql.table(KIND_TABLE[kind])}`.execute(db);
    report.timings.analyze = Date.now() - started;
    report.durationMs += report.timings.analyze;
  }
  return report;
}

/**
 * The import inside a caller's transaction. In validate mode it stages and
 * classifies but writes nothing to the real tables (the caller rolls back the
 * temporary staging table); the bench uses this to measure a commit it then
 * rolls back.
 */
export async function importInTransaction(
  trx: Transaction<Database>,
  kind: ImportKindName,
  file: ImportFile,
  options: ImportOptions,
  actor: Actor,
  hooks: ImportHooks = {},
): Promise<ImportReport> {
  const started = Date.now();
  const handler = IMPORT_KIND_HANDLERS[kind];
  const format = detectFormat(file.bytes, file.name, options.format);
  if (!handler.formats.includes(format)) {
    throw importUnreadable(
      `${kind} cannot be imported from a ${format.toUpperCase()} file; accepted formats: ${handler.formats.join(', ')}.`,
      `${KIND_ZH[kind]}不能从 ${format.toUpperCase()} 文件导入；支持的格式：${handler.formats.join('、')}。`,
    );
  }
  // One import of a kind at a time: two concurrent imports of overlapping files
  // would otherwise interleave their upserts.
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`planner.import.${kind}`}))::text AS locked`.execute(trx);

  const timings: Record<string, number> = {};
  let last = started;
  const mark = (phase: string) => {
    const now = Date.now();
    timings[phase] = (timings[phase] ?? 0) + (now - last);
    last = now;
  };
  const problems = new ProblemList();
  const warnings: Warning[] = [];
  const sha256 = crypto.createHash('sha256').update(file.bytes).digest('hex');
  const plan = await handler.plan({
    trx,
    file,
    format,
    options,
    problems,
    warnings,
    defaultSource: options.source?.trim() || `导入 import: ${file.name || 'upload'} (${new Date().toISOString().slice(0, 10)})`,
    mark,
  });
  mark('checks');
  const fileInfo = {
    name: file.name,
    bytes: file.bytes.length,
    sha256,
    format,
    encoding: plan?.encoding ?? null,
    sheet: plan?.sheet ?? null,
  };
  if (problems.size > 0 || !plan) {
    throw importInvalid(problems.items, { warnings, file: fileInfo, columns: plan?.columns ?? null, rows: plan?.rows ?? null });
  }
  // Inside the transaction (the embedded engine has one connection: a query outside it would wait forever).
  if (hooks.authorizeUnits) await hooks.authorizeUnits(await plan.touchedUnits(), trx);
  const report: ImportReport = {
    kind,
    mode: options.mode,
    committed: false,
    file: fileInfo,
    crs: options.crs,
    rows: plan.rows,
    counts: { ...ZERO_COUNTS, ...plan.counts },
    columns: plan.columns,
    warnings,
    dataVersion: null,
    durationMs: 0,
    timings,
  };
  if (options.mode === 'commit') {
    const result = await plan.write();
    mark('write');
    const { created, updated, deleted } = report.counts;
    if (created + updated + deleted > 0) report.dataVersion = await bumpDataVersion(trx);
    await writeAudit(trx, {
      actor: actor.id,
      action: `import.${kind}`,
      entityType: handler.entity,
      entityId: null,
      before: result.before,
      details: {
        file: fileInfo,
        crs: options.crs,
        options: { encoding: options.encoding, format: options.format, sheet: options.sheet ?? null, replace: options.replace ?? false },
        rows: plan.rows,
        counts: report.counts,
        warnings: warnings.map((w) => w.code),
        dataVersion: report.dataVersion,
        ...result.details,
      },
    });
    report.committed = true;
    mark('audit');
  }
  report.durationMs = Date.now() - started;
  return report;
}
