/**
 * The import and export commands (`npm run import`, `npm run export`), as
 * functions of a database and output streams so tests can run them. They use the
 * same code path as the API (runImport, exportData).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import type { Actor } from '../http/actor.ts';
import { LEVELS, type Level } from '../domain/taxonomy.ts';
import { CRS_OPTIONS, type InputCrs } from './coords.ts';
import { normaliseEncodingName } from './encoding.ts';
import { EXPORT_FORMATS, EXPORT_KINDS, exportData, type ExportFormat, type ExportKind } from './export.ts';
import { FORMATS, type FileFormat } from './formats.ts';
import type { Problem, ProblemSummary } from './problems.ts';
import { runImport } from './service.ts';
import { IMPORT_KINDS, IMPORT_MAX_BYTES, IMPORT_MAX_LABEL, type ImportKindName } from './types.ts';

export interface CommandIo {
  db: Kysely<Database>;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The operator running a command, for the audit log. */
export function cliActor(): Actor {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return { id: `cli:${user}`, name: `命令行 ${user} (CLI)` };
}

export const IMPORT_USAGE = `用法 usage: npm run import -- --kind <${IMPORT_KINDS.join('|')}> --file <path> [options]

  --kind       facilities | unit-populations | population-cells | unit-boundaries
  --file       CSV, XLSX, GeoJSON (population-cells also GeoTIFF)
  --dry-run    只校验不写入 validate only: report every problem and what would change, write nothing
  --encoding   auto (默认 default) | utf-8 | gbk | gb18030 | utf-16le
  --crs        wgs84 (默认 default) | gcj02 | bd09   坐标系 coordinates of the file
  --format     auto | ${FORMATS.join(' | ')}
  --sheet      XLSX worksheet name or number
  --replace    population-cells: replace the cells of the banners the file covers
  --source     source note for new or changed rows
  --json       print the report (or the problems) as JSON
Exit code 0 = imported (or valid with --dry-run), 1 = problems (nothing written) or usage error.`;

function formatProblem(p: Problem): string {
  const where = [p.row !== null ? `第 ${p.row} 行 row ${p.row}` : '文件 file', p.column].filter(Boolean).join(' · ');
  const value = p.value !== null && p.value !== '' ? ` · "${p.value}"` : '';
  return `  ${where}${value}: ${p.zh} / ${p.en}`;
}

const SHOWN = 200;

export async function runImportCommand(argv: string[], io: CommandIo, actor: Actor = cliActor()): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        kind: { type: 'string' },
        file: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        encoding: { type: 'string' },
        crs: { type: 'string' },
        format: { type: 'string' },
        sheet: { type: 'string' },
        replace: { type: 'boolean', default: false },
        source: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${IMPORT_USAGE}`);
    return 1;
  }
  if (args.help) {
    io.out(IMPORT_USAGE);
    return 0;
  }
  const usage = (en: string, zh: string) => {
    io.err(`${zh} ${en}\n\n${IMPORT_USAGE}`);
    return 1;
  };
  if (!args.kind || !(IMPORT_KINDS as readonly string[]).includes(args.kind)) return usage(`--kind must be one of ${IMPORT_KINDS.join(', ')}.`, '请用 --kind 指定导入类型。');
  if (!args.file) return usage('--file is required.', '请用 --file 指定文件。');
  const encoding = normaliseEncodingName(args.encoding);
  if (!encoding) return usage(`Unknown --encoding ${args.encoding}.`, '未知编码。');
  if (args.crs && !(CRS_OPTIONS as readonly string[]).includes(args.crs)) return usage(`--crs must be one of ${CRS_OPTIONS.join(', ')}.`, '未知坐标系。');
  if (args.format && args.format !== 'auto' && !(FORMATS as readonly string[]).includes(args.format)) return usage(`--format must be auto or one of ${FORMATS.join(', ')}.`, '未知格式。');

  let bytes: Buffer;
  try {
    const size = fs.statSync(args.file).size;
    if (size > IMPORT_MAX_BYTES) {
      io.err(`文件超过导入上限 ${IMPORT_MAX_LABEL}。The file (${(size / 1024 / 1024).toFixed(0)} MB) is larger than the import limit of ${IMPORT_MAX_LABEL}; split it.`);
      return 1;
    }
    bytes = fs.readFileSync(args.file);
  } catch (error) {
    io.err(`无法读取文件 Cannot read ${args.file}: ${(error as Error).message}`);
    return 1;
  }

  try {
    const report = await runImport(
      io.db,
      args.kind as ImportKindName,
      { name: path.basename(args.file), bytes },
      {
        mode: args['dry-run'] ? 'validate' : 'commit',
        encoding,
        crs: (args.crs ?? 'wgs84') as InputCrs,
        format: (args.format ?? 'auto') as FileFormat | 'auto',
        sheet: args.sheet,
        replace: args.replace,
        source: args.source,
      },
      actor,
    );
    if (args.json) {
      io.out(JSON.stringify(report, null, 2));
      return 0;
    }
    const c = report.counts;
    io.out(`${report.committed ? '已导入 imported' : '校验通过，未写入 valid, nothing written (--dry-run)'}: ${report.kind} ← ${report.file.name} (${report.file.format}${report.file.encoding ? `, ${report.file.encoding}` : ''}${report.file.sheet ? `, sheet ${report.file.sheet}` : ''}, crs ${report.crs})`);
    io.out(`  行 rows ${report.rows} · 新增 created ${c.created} · 更新 updated ${c.updated} · 未变 unchanged ${c.unchanged}${c.deleted ? ` · 删除 deleted ${c.deleted}` : ''}${c.skipped ? ` · 跳过 skipped ${c.skipped}` : ''}${report.dataVersion !== null ? ` · 数据版本 data version ${report.dataVersion}` : ''} · ${report.durationMs} ms`);
    for (const w of report.warnings) io.out(`  注意 warning: ${w.zh} / ${w.en}`);
    return 0;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const extra = (error.extra ?? {}) as { problemCount?: number; summary?: ProblemSummary[] };
    const details = (error.details ?? []) as Problem[];
    if (args.json) {
      io.err(JSON.stringify({ code: error.code, message: error.messages.en, messageZh: error.messages.zh, details, ...extra }, null, 2));
      return 1;
    }
    io.err(`未导入任何数据 Nothing was imported.\n${error.messages.zh}\n${error.messages.en}`);
    for (const p of details.slice(0, SHOWN)) io.err(formatProblem(p));
    const total = extra.problemCount ?? details.length;
    if (total > SHOWN) {
      io.err(`  … 另有 ${total - SHOWN} 处问题 and ${total - SHOWN} more; 汇总 summary:`);
      for (const s of extra.summary ?? []) io.err(`  ${s.column ?? '文件 file'} · ${s.code}: ${s.count} × (${s.zh} / ${s.en}) rows ${s.rows.join(', ')}`);
    }
    return 1;
  }
}

export const EXPORT_USAGE = `用法 usage: npm run export -- --kind <${EXPORT_KINDS.join('|')}> [--format csv|xlsx|geojson] [--unit <code>] [--headers zh|en] [--out <path>]

  --kind     facilities | units | population-cells
  --format   csv (默认 default; UTF-8 with BOM for Excel) | xlsx | geojson
  --unit     only this unit's subtree (default: the whole region 150000)
  --headers  zh (默认 default: 机构名称, 综合医院) | en (name, general_hospital)
  --out      output file (default: <kind>-<unit>.<format> in the current directory; - for stdout)`;

export async function runExportCommand(argv: string[], io: CommandIo & { stdout?: NodeJS.WritableStream }): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        kind: { type: 'string' },
        format: { type: 'string', default: 'csv' },
        unit: { type: 'string' },
        headers: { type: 'string', default: 'zh' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${EXPORT_USAGE}`);
    return 1;
  }
  if (args.help) {
    io.out(EXPORT_USAGE);
    return 0;
  }
  const fail = (en: string, zh: string) => {
    io.err(`${zh} ${en}\n\n${EXPORT_USAGE}`);
    return 1;
  };
  if (!args.kind || !(EXPORT_KINDS as readonly string[]).includes(args.kind)) return fail(`--kind must be one of ${EXPORT_KINDS.join(', ')}.`, '请用 --kind 指定导出内容。');
  if (!(EXPORT_FORMATS as readonly string[]).includes(args.format!)) return fail(`--format must be one of ${EXPORT_FORMATS.join(', ')}.`, '未知格式。');
  if (args.headers !== 'zh' && args.headers !== 'en') return fail('--headers must be zh or en.', '表头语言应为 zh 或 en。');
  let unit: { code: string; level: Level } | undefined;
  if (args.unit) {
    const row = await io.db.selectFrom('admin_unit').select(['code', 'level']).where('code', '=', args.unit).executeTakeFirst();
    if (!row || !(LEVELS as readonly string[]).includes(row.level)) return fail(`No administrative unit has the code ${args.unit}.`, `不存在代码为 ${args.unit} 的行政区划。`);
    unit = row as { code: string; level: Level };
  }
  const state = await io.db.selectFrom('data_state').select('data_version').executeTakeFirstOrThrow();
  const result = exportData(io.db, { kind: args.kind as ExportKind, format: args.format as ExportFormat, unit, headers: args.headers }, Number(state.data_version));
  if (args.out === '-') {
    await pipeline(result.stream, io.stdout ?? process.stdout);
    return 0;
  }
  const target = args.out ?? result.filename;
  await pipeline(result.stream, fs.createWriteStream(target));
  io.err(`已导出 exported ${args.kind} → ${target} (${fs.statSync(target).size.toLocaleString('en')} bytes, data version ${state.data_version})`);
  return 0;
}
