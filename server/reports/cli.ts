/**
 * `npm run report`: gap reports from the command line, on the configured
 * database (DATABASE_URL or DATA_DIR), the same files as
 * GET /api/reports/units/:code. Several units (a list, all-banners,
 * all-leagues, all-townships) share one evaluation and go to a directory,
 * with progress on stderr. The CLI reads the database directly: like an
 * admin, it may report any scenario.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { LANGS, type Lang } from './i18n.ts';
import { assembleReport, prepareReport } from './model.ts';
import { PdfRenderer } from './pdf.ts';
import { assembleOptionsFor, checkTable, renderReport, REPORT_FORMATS, type ReportFormat } from './service.ts';

export const REPORT_USAGE = `usage: npm run report -- --unit <code|list|all-banners|all-leagues|all-townships> --format html|pdf|xlsx|csv --out <file|dir>
                         [--scenario <id>] [--rule-set <id>] [--lang zh|en] [--table <key>] [--merge-effects] [--jobs <n>]
  --unit     a unit code (150430 = 敖汉旗; region 150000, a league, a banner or a 9-digit township),
             several codes separated by commas, or all-banners / all-leagues / all-townships
  --format   html (print-ready A4), pdf (needs Chromium), xlsx (every table), csv (one table: --table)
  --out      the file for one unit; a directory for several (created; files named <name>-<code>-….<format>)
  --scenario the report of a scenario, compared with the baseline
  --rule-set a rule set id (default: the default rule set)
  --lang     zh (default) or en
  --jobs     reports made at the same time in a batch (default 2: the database works while node writes)
examples:
  npm run report -- --unit 150430 --format pdf --out aohan.pdf
  npm run report -- --unit all-banners --format xlsx --out reports/`;

export interface ReportCliIo {
  db: Kysely<Database>;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Injected for tests; default: a renderer closed at the end. */
  pdf?: PdfRenderer;
}

const GROUPS: Record<string, string> = { 'all-banners': 'banner', 'all-leagues': 'league', 'all-townships': 'township' };

async function unitsOf(db: Kysely<Database>, spec: string): Promise<string[]> {
  const level = GROUPS[spec];
  if (level) {
    const { rows } = await sql<{ code: string }>`SELECT code FROM admin_unit WHERE level = ${level} ORDER BY code`.execute(db);
    return rows.map((r) => r.code);
  }
  return spec.split(',').map((s) => s.trim()).filter(Boolean);
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(value)) throw new Error(`--${name} takes a positive integer id, got '${value}'`);
  return Number(value);
}

function messageOf(error: unknown): string {
  if (error instanceof AppError) return `${error.messages.en} / ${error.messages.zh}`;
  return error instanceof Error ? error.message : String(error);
}

/** Exit code: 0 all written, 1 any unit failed, 2 bad arguments. */
export async function runReportCommand(argv: string[], io: ReportCliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        unit: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
        scenario: { type: 'string' },
        'rule-set': { type: 'string' },
        lang: { type: 'string' },
        table: { type: 'string' },
        'merge-effects': { type: 'boolean' },
        jobs: { type: 'string' },
      },
      allowPositionals: false,
    }));
  } catch (error) {
    io.err(`${messageOf(error)}\n${REPORT_USAGE}`);
    return 2;
  }
  const format = (values.format ?? '') as ReportFormat;
  const lang = (values.lang ?? 'zh') as Lang;
  let scenarioId: number | undefined;
  let ruleSetId: number | undefined;
  let jobs = 2;
  try {
    if (!values.unit) throw new Error('--unit is required');
    if (!values.out) throw new Error('--out is required');
    if (!(REPORT_FORMATS as readonly string[]).includes(format)) throw new Error(`--format must be one of ${REPORT_FORMATS.join(', ')}`);
    if (!(LANGS as readonly string[]).includes(lang)) throw new Error(`--lang must be zh or en`);
    scenarioId = positiveInt('scenario', values.scenario);
    ruleSetId = positiveInt('rule-set', values['rule-set']);
    jobs = Math.min(positiveInt('jobs', values.jobs) ?? 2, 8);
    checkTable(format, values.table, scenarioId !== undefined);
  } catch (error) {
    io.err(`${messageOf(error)}\n${REPORT_USAGE}`);
    return 2;
  }
  const units = await unitsOf(io.db, values.unit);
  if (units.length === 0) {
    io.err(`no units match --unit ${values.unit} (is the database seeded? npm run seed)`);
    return 1;
  }
  const batch = units.length > 1 || values.unit in GROUPS;
  const out = path.resolve(values.out);
  if (batch) fs.mkdirSync(out, { recursive: true });
  else fs.mkdirSync(path.dirname(out), { recursive: true });

  const pdf = format === 'pdf' ? (io.pdf ?? new PdfRenderer()) : undefined;
  const started = performance.now();
  let failed = 0;
  try {
    const t0 = performance.now();
    const inputs = await prepareReport(io.db, { ruleSetId, scenarioId });
    io.err(`evaluated rule set “${inputs.ruleSet.name}” (${inputs.ruleSet.targetYear})${inputs.scenario ? ` with scenario ${inputs.scenario.scenario.id} “${inputs.scenario.scenario.name}”` : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    let next = 0;
    let done = 0;
    let stop = false;
    const worker = async () => {
      while (!stop && next < units.length) {
        const code = units[next++]!;
        const t = performance.now();
        try {
          const model = await assembleReport(io.db, inputs, code, assembleOptionsFor(format, { mergeEffects: values['merge-effects'] === true }));
          const file = await renderReport(model, { format, lang, table: values.table, pdf });
          const target = batch ? path.join(out, file.fileName) : out;
          fs.writeFileSync(target, file.body);
          io.err(`[${++done}/${units.length}] ${code} ${model.unit.name} → ${target} (${(file.body.length / 1024).toFixed(0)} KiB, ${((performance.now() - t) / 1000).toFixed(1)} s)`);
        } catch (error) {
          failed++;
          io.err(`[${++done}/${units.length}] ${code}: ${messageOf(error)}`);
          // A missing browser fails every unit the same way: stop at the first.
          if (error instanceof AppError && error.code === 'ServiceUnavailable') stop = true;
        }
      }
    };
    // A few units at a time: one waits for the database while another's file is written.
    await Promise.all(Array.from({ length: Math.min(jobs, units.length) }, worker));
  } catch (error) {
    io.err(messageOf(error));
    return 1;
  } finally {
    if (pdf && !io.pdf) await pdf.close();
  }
  io.out(`${units.length - failed} of ${units.length} report(s) written in ${((performance.now() - started) / 1000).toFixed(1)} s${failed ? `; ${failed} failed` : ''}`);
  return failed > 0 ? 1 : 0;
}
