/**
 * Facility import: validate every row (taxonomy, counts, coordinates, unit,
 * placement), then upsert by code in set-based statements. Columns absent from
 * the file are left as they are on existing facilities; an empty cell in a
 * present column clears the value.
 */
import { sql } from 'kysely';
import type { FacilityType } from '../domain/taxonomy.ts';
import { cellOf, type ColumnMapping } from './columns.ts';
import { detectShift, type ShiftSample } from './coords.ts';
import { FACILITY_COUNT_FIELDS, facilityFields, type FacilityField } from './facilityFields.ts';
import { readPoint, reportPlacement } from './locate.ts';
import { checkStagedPlacements, inferStagedUnits } from './placement.ts';
import type { ProblemList } from './problems.ts';
import { readTable } from './read.ts';
import { createStage, fillStage, type StageColumn, type StageType } from './stage.ts';
import type { ImportKind, KindContext, Plan } from './types.ts';
import { parseBoolean, parseCode, parseCount, parseText, parseUnitCode, splitList, isEmptyCell } from './values.ts';
import { departments, facilityTypes, grades, levels, ownerships, statuses, tcmHallLevels, type Vocabulary } from './vocab.ts';

/** A facility column written by imports: its staging type and, for NOT NULL columns, the default of a new row. */
interface WriteColumn {
  field: FacilityField;
  type: StageType;
  notNullDefault?: string;
}

const WRITE_COLUMNS: WriteColumn[] = [
  { field: 'name', type: 'text' },
  { field: 'type', type: 'text' },
  { field: 'status', type: 'text', notNullDefault: `'open'` },
  { field: 'grade', type: 'text' },
  { field: 'ownership', type: 'text', notNullDefault: `'public'` },
  { field: 'run_by_level', type: 'text' },
  { field: 'central', type: 'boolean', notNullDefault: 'false' },
  { field: 'unit_code', type: 'text' },
  ...FACILITY_COUNT_FIELDS.map((field) => ({ field, type: 'integer' as const })),
  { field: 'departments', type: 'text[]', notNullDefault: `'{}'::text[]` },
  { field: 'tcm_hall_level', type: 'text' },
  { field: 'provides_deliveries', type: 'boolean' },
  { field: 'villages_served', type: 'text[]', notNullDefault: `'{}'::text[]` },
];

const STAGE = 'import_facility';
const STAGE_COLUMNS: StageColumn[] = [
  { name: 'ord', type: 'integer' },
  { name: 'code', type: 'text' },
  { name: 'lon', type: 'float8' },
  { name: 'lat', type: 'float8' },
  ...WRITE_COLUMNS.map((c) => ({ name: c.field, type: c.type })),
  { name: 'synthetic', type: 'boolean' },
  { name: 'source', type: 'text' },
  { name: 'version', type: 'integer' },
];

const ARRAY_FIELDS = new Set<FacilityField>(['departments', 'villages_served']);

function vocabValue<T extends string>(
  problems: ProblemList,
  row: number,
  header: string,
  raw: string,
  vocab: Vocabulary<T>,
  code: string,
): { value: T; implies?: Record<string, unknown> } | null | undefined {
  if (isEmptyCell(raw)) return null;
  const hit = vocab.lookup(raw);
  if (hit) return hit;
  problems.add(
    row,
    header,
    raw,
    code,
    `unknown ${vocab.name.en} "${raw}"; accepted: ${vocab.accepted()}`,
    `未知的${vocab.name.zh}“${raw}”；可用取值：${vocab.accepted()}`,
  );
  return undefined;
}

/** Validate one row in JS; returns the record (possibly incomplete) and whether it is clean. */
function readRow(
  ctx: KindContext,
  mapping: ColumnMapping<FacilityField>,
  row: number,
  cells: string[],
): { fields: Record<string, unknown>; point: [number, number] | null; code: string | null; unit: string | null | undefined } {
  const p = ctx.problems;
  const h = (f: FacilityField) => mapping.header[f] ?? f;
  const cell = (f: FacilityField) => cellOf(mapping, cells, f);
  const record: Record<string, unknown> = { ord: row };

  const code = parseCode(cell('code') ?? '');
  if (!code.ok) p.add(row, h('code'), cell('code'), code.code, `code ${code.en}`, `机构编码${code.zh}`);
  else if (code.value === null) p.add(row, h('code'), '', 'required', 'the facility code is required (it is the key that makes re-imports update instead of duplicate)', '机构编码为必填项（重复导入时以编码识别同一机构）');
  else record.code = code.value;

  const name = parseText(cell('name') ?? '', 200);
  if (!name.ok) p.add(row, h('name'), cell('name'), name.code, `name ${name.en}`, `机构名称${name.zh}`);
  else if (name.value === null) p.add(row, h('name'), '', 'required', 'the facility name is required', '机构名称为必填项');
  else record.name = name.value;

  const typeRaw = cell('type') ?? '';
  const type = vocabValue(p, row, h('type'), typeRaw, facilityTypes, 'unknown_type');
  if (type === null) p.add(row, h('type'), '', 'required', `the facility type is required; accepted: ${facilityTypes.accepted()}`, `机构类型为必填项；可用取值：${facilityTypes.accepted()}`);
  else if (type) {
    record.type = type.value;
    if (type.implies?.central !== undefined) record.central = type.implies.central;
  }

  const vocabFields: [FacilityField, Vocabulary<string>, string][] = [
    ['status', statuses, 'unknown_status'],
    ['grade', grades, 'unknown_grade'],
    ['ownership', ownerships, 'unknown_ownership'],
    ['run_by_level', levels, 'unknown_level'],
  ];
  for (const [field, vocab, problemCode] of vocabFields) {
    const raw = cell(field);
    if (raw === undefined) continue;
    const hit = vocabValue(p, row, h(field), raw, vocab, problemCode);
    if (hit !== undefined) record[field] = hit?.value ?? null;
  }

  const centralRaw = cell('central');
  if (centralRaw !== undefined) {
    const central = parseBoolean(centralRaw);
    if (!central.ok) p.add(row, h('central'), centralRaw, central.code, central.en, central.zh);
    else if (central.value !== null && record.central !== undefined && record.central !== central.value) {
      p.add(row, h('central'), centralRaw, 'conflict', `contradicts the type "${typeRaw}"`, `与机构类型“${typeRaw}”矛盾`);
    } else if (central.value !== null) record.central = central.value;
  }
  if (record.central === true && record.type !== undefined && record.type !== 'township_health_centre') {
    p.add(row, h('central'), centralRaw ?? '', 'conflict', 'only a township health centre can be a central one (中心卫生院)', '只有苏木乡镇卫生院才能是中心卫生院');
  }

  const unitRaw = cell('unit_code');
  let unitValue: string | null | undefined = null;
  if (unitRaw !== undefined) {
    const unit = parseUnitCode(unitRaw);
    if (!unit.ok) {
      p.add(row, h('unit_code'), unitRaw, unit.code, `unit code ${unit.en}`, `所在区划代码${unit.zh}`);
      unitValue = undefined;
    } else record.unit_code = unitValue = unit.value;
  }

  for (const field of FACILITY_COUNT_FIELDS) {
    const raw = cell(field);
    if (raw === undefined) continue;
    const count = parseCount(raw);
    const spec = facilityFields.spec(field);
    if (!count.ok) p.add(row, h(field), raw, count.code, `${spec.en} ${count.en}`, `${spec.zh}${count.zh}`);
    else record[field] = count.value;
  }
  if (typeof record.beds_paediatric === 'number' && typeof record.beds === 'number' && record.beds_paediatric > record.beds) {
    p.add(row, h('beds_paediatric'), String(record.beds_paediatric), 'exceeds_total', `paediatric beds (${record.beds_paediatric}) exceed all beds (${record.beds})`, `儿科床位数（${record.beds_paediatric}）超过总床位数（${record.beds}）`);
  }

  const deptRaw = cell('departments');
  if (deptRaw !== undefined) {
    const ids = new Set<string>();
    const unknown: string[] = [];
    for (const item of splitList(deptRaw)) {
      const hit = departments.lookup(item);
      if (hit) ids.add(hit.value);
      else unknown.push(item);
    }
    if (unknown.length > 0) {
      p.add(row, h('departments'), deptRaw, 'unknown_department', `unknown department(s) ${unknown.map((u) => `"${u}"`).join(', ')}; accepted: ${departments.accepted()}`, `未知科室 ${unknown.map((u) => `“${u}”`).join('、')}；可用取值：${departments.accepted()}`);
    } else record.departments = [...ids].sort();
  }

  const hallRaw = cell('tcm_hall_level');
  if (hallRaw !== undefined) {
    const no = parseBoolean(hallRaw);
    if (no.ok && no.value === false) record.tcm_hall_level = null;
    else {
      const hit = vocabValue(p, row, h('tcm_hall_level'), hallRaw, tcmHallLevels, 'unknown_tcm_hall_level');
      if (hit !== undefined) record.tcm_hall_level = hit?.value ?? null;
    }
  }

  for (const field of ['provides_deliveries', 'synthetic'] as const) {
    const raw = cell(field);
    if (raw === undefined) continue;
    const b = parseBoolean(raw);
    if (!b.ok) p.add(row, h(field), raw, b.code, b.en, b.zh);
    else record[field] = b.value;
  }

  const villagesRaw = cell('villages_served');
  if (villagesRaw !== undefined) {
    const codes: string[] = [];
    for (const item of splitList(villagesRaw)) {
      const c = parseUnitCode(item);
      if (!c.ok || c.value === null || c.value.length !== 12) {
        p.add(row, h('villages_served'), item, 'invalid_village_code', 'each served village must be a 12-digit village code', '服务嘎查村必须是 12 位嘎查村代码');
      } else codes.push(c.value);
    }
    record.villages_served = [...new Set(codes)].sort();
  }

  const versionRaw = cell('version');
  if (versionRaw !== undefined) {
    const v = parseCount(versionRaw);
    if (!v.ok || v.value === 0) p.add(row, h('version'), versionRaw, 'invalid_version', 'the version must be a whole number from 1 (as exported)', '版本必须是从 1 开始的整数（与导出时一致）');
    else record.version = v.value;
  }

  const sourceRaw = cell('source');
  if (sourceRaw !== undefined) {
    const s = parseText(sourceRaw, 500);
    if (!s.ok) p.add(row, h('source'), sourceRaw, s.code, `source ${s.en}`, `数据来源${s.zh}`);
    else record.source = s.value;
  }

  const point = readPoint(p, row, cell('lon'), cell('lat'), { lon: h('lon'), lat: h('lat') }, ctx.options.crs);
  if (point) {
    record.lon = point[0];
    record.lat = point[1];
  }
  return {
    fields: record,
    point,
    code: typeof record.code === 'string' ? record.code : null,
    unit: unitValue,
  };
}

async function plan(ctx: KindContext): Promise<Plan | null> {
  const { table, encoding } = await readTable(ctx, facilityFields, ['lon', 'lat']);
  ctx.mark('read');
  const mapping = facilityFields.map(table.headers, ctx.problems, { required: [['lon'], ['lat']] });
  const requiredMissing = ['code', 'name', 'type', 'lon', 'lat'].some((f) => mapping.index[f as FacilityField] === undefined);
  const columns = { mapped: mapping.mapped, ignored: mapping.ignored };
  if (mapping.ignored.length > 0) {
    ctx.warnings.push({
      code: 'ignored_columns',
      en: `Columns not recognised and ignored: ${mapping.ignored.join(', ')}`,
      zh: `以下列无法识别，已忽略：${mapping.ignored.join('、')}`,
    });
  }
  if (table.rows.length === 0) {
    ctx.problems.add(null, null, null, 'no_rows', 'the file has a header but no data rows', '文件只有表头，没有数据行');
  }
  if (requiredMissing || table.rows.length === 0) return null;

  // Pass 1 (JS): every cell of every row.
  const parsed = table.rows.map((r) => ({ row: r.row, ...readRow(ctx, mapping, r.row, r.cells) }));


  // Duplicate codes inside the file.
  const firstRowOf = new Map<string, number>();
  for (const r of parsed) {
    if (r.code === null) continue;
    const first = firstRowOf.get(r.code);
    if (first === undefined) firstRowOf.set(r.code, r.row);
    else {
      ctx.problems.add(r.row, mapping.header.code ?? 'code', r.code, 'duplicate_code', `the code ${r.code} also appears in row ${first}; each facility must appear once`, `机构编码 ${r.code} 在第 ${first} 行已出现；每个机构只能出现一次`);
    }
  }

  ctx.mark('validate');
  // Pass 2 (database): every row with a point is staged once, and the unit and
  // placement checks run over the staging table. Nothing outside it is written
  // unless the whole file turns out valid.
  const unitPresent = mapping.index.unit_code !== undefined;
  const staged = parsed.filter((r) => r.point !== null && r.unit !== undefined);
  await createStage(ctx.trx, STAGE, STAGE_COLUMNS, 'existing_id bigint, changed boolean');
  await fillStage(
    ctx.trx,
    STAGE,
    STAGE_COLUMNS,
    staged.map((r) => ({
      ...r.fields,
      ord: r.row,
      code: r.code,
      lon: r.point![0],
      lat: r.point![1],
      unit_code: r.unit ?? null,
      synthetic: (r.fields.synthetic as boolean | null | undefined) ?? false,
      source: (r.fields.source as string | null | undefined) ?? ctx.defaultSource,
    })),
  );
  ctx.mark('stage');
  let inferred = 0;
  if (!unitPresent) {
    // Without a unit column an existing facility keeps its unit; a new one is placed by its point.
    await sql`UPDATE ${sql.table(STAGE)} s SET unit_code = f.unit_code FROM facility f WHERE f.code = s.code AND s.unit_code IS NULL`.execute(ctx.trx);
    inferred = await inferStagedUnits(ctx.trx, STAGE);
  }
  const placements = await checkStagedPlacements(ctx.trx, STAGE);
  const samples: ShiftSample[] = [];
  for (const r of staged) {
    const placement = placements.get(r.row);
    if (!placement) continue;
    const unitCode = placement.unitCode;
    reportPlacement(ctx.problems, r.row, r.point!, unitCode, placement, { lon: mapping.header.lon ?? '经度', lat: mapping.header.lat ?? '纬度', unit: mapping.header.unit_code ?? '所在区划代码' });
    if (placement.unitLon !== null && placement.unitLat !== null) {
      samples.push({ row: r.row, lon: r.point![0], lat: r.point![1], unitLon: placement.unitLon, unitLat: placement.unitLat });
    }
  }
  const shift = detectShift(samples, ctx.options.crs);
  if (shift) ctx.warnings.push(shift);
  if (inferred > 0) {
    ctx.warnings.push({
      code: 'unit_inferred',
      en: `The file has no unit-code column: ${inferred} new facilities were placed in the smallest unit whose boundary contains them (usually the banner). Add 所在区划代码 to place them in their township or village.`,
      zh: `文件没有“所在区划代码”列：${inferred} 个新机构按坐标归入包含它的最小区划（通常为旗县）。如需归入苏木乡镇或嘎查村，请增加“所在区划代码”列。`,
      count: inferred,
    });
  }

  ctx.mark('placement');
  const served = [...new Set(parsed.flatMap((r) => (r.fields.villages_served as string[] | undefined) ?? []))];
  if (served.length > 0) {
    const found = new Set(
      (await ctx.trx.selectFrom('admin_unit').select('code').where('code', 'in', served).where('level', '=', 'village').execute()).map((r) => r.code),
    );
    for (const r of parsed) {
      const missing = ((r.fields.villages_served as string[] | undefined) ?? []).filter((c) => !found.has(c));
      if (missing.length > 0) {
        ctx.problems.add(r.row, mapping.header.villages_served ?? 'villages_served', missing.join(';'), 'unit_not_found', `no village has the code(s) ${missing.join(', ')}`, `不存在代码为 ${missing.join('、')} 的嘎查村`);
      }
    }
  }

  const counts = { created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0 };
  if (ctx.problems.size > 0) return { rows: table.rows.length, counts, columns, encoding, sheet: table.sheet ?? null, write: async () => ({ details: {} }), touchedUnits: async () => [] };

  // Stage and classify.
  const present = new Set<FacilityField>(mapping.mapped.map((m) => m.field));
  present.add('unit_code');
  if (parsed.some((r) => r.fields.central !== undefined)) present.add('central');
  // Valid file: every row is staged (rows without a point would have been problems);
  // codes are unique (checked above), so the joins below are plain hash joins on code.

  const written = WRITE_COLUMNS.filter((c) => present.has(c.field));
  const compared: string[] = written.map((c) => {
    if (ARRAY_FIELDS.has(c.field)) return `(s.${c.field} IS NULL OR (f.${c.field} @> s.${c.field} AND f.${c.field} <@ s.${c.field}))`;
    if (c.notNullDefault) return `COALESCE(s.${c.field}, f.${c.field}) = f.${c.field}`;
    return `f.${c.field} IS NOT DISTINCT FROM s.${c.field}`;
  });
  compared.push('round(ST_X(f.location)::numeric, 6) = round(s.lon::numeric, 6)', 'round(ST_Y(f.location)::numeric, 6) = round(s.lat::numeric, 6)');
  if (present.has('synthetic')) compared.push('f.synthetic = s.synthetic');
  if (present.has('source')) compared.push('f.source IS NOT DISTINCT FROM s.source');
  await sql
    .raw(`UPDATE ${STAGE} s SET existing_id = f.id, changed = NOT (${compared.join(' AND ')}) FROM facility f WHERE f.code = s.code`)
    .execute(ctx.trx);
  const { rows: classes } = await sql<{ created: number; updated: number; unchanged: number }>`
    SELECT count(*) FILTER (WHERE existing_id IS NULL)::int AS created,
           count(*) FILTER (WHERE changed)::int AS updated,
           count(*) FILTER (WHERE existing_id IS NOT NULL AND NOT changed)::int AS unchanged
    FROM ${sql.raw(STAGE)}`.execute(ctx.trx);
  Object.assign(counts, classes[0]);
  if (present.has('version')) {
    // Optimistic concurrency for export → edit in Excel → import: a row that changes a
    // facility someone else has changed since the export would silently undo their edit.
    const { rows: stale } = await sql<{ ord: number; code: string; version: number; current: number }>`
      SELECT s.ord, s.code, s.version, f.version AS current FROM ${sql.table(STAGE)} s JOIN facility f ON f.code = s.code
      WHERE s.changed AND s.version IS NOT NULL AND s.version <> f.version ORDER BY s.ord`.execute(ctx.trx);
    for (const r of stale) {
      ctx.problems.add(
        r.ord,
        mapping.header.version ?? 'version',
        String(r.version),
        'stale_version',
        `facility ${r.code} was exported at version ${r.version} but has been changed since (now version ${r.current}); export it again and re-apply your change, or clear the version cell to overwrite`,
        `机构 ${r.code} 导出时为第 ${r.version} 版，此后已被修改（当前第 ${r.current} 版）；请重新导出后再修改，或清空版本单元格以覆盖`,
      );
    }
  }
  ctx.mark('classify');

  return {
    rows: table.rows.length,
    counts,
    columns,
    encoding,
    sheet: table.sheet ?? null,
    async touchedUnits() {
      const { rows } = await sql<{ code: string }>`
        SELECT unit_code AS code FROM ${sql.raw(STAGE)} WHERE existing_id IS NULL OR changed
        UNION SELECT f.unit_code FROM facility f JOIN ${sql.raw(STAGE)} s ON s.code = f.code WHERE s.changed`.execute(ctx.trx);
      return rows.map((r) => r.code);
    },
    async write() {
      const trx = ctx.trx;
      ctx.mark('checks');
      const { rows: before } = await sql<{ rows: unknown }>`
        SELECT COALESCE(json_agg(b), '[]'::json) AS rows FROM (
          SELECT f.code, f.version, ${sql.raw(written.map((c) => `f.${c.field}`).join(', '))},
                 round(ST_X(f.location)::numeric, 6) AS lon, round(ST_Y(f.location)::numeric, 6) AS lat, f.synthetic, f.source
          FROM facility f JOIN ${sql.raw(STAGE)} s ON s.code = f.code WHERE s.changed ORDER BY s.ord LIMIT ${AUDIT_BEFORE_LIMIT}) b`.execute(trx);
      if (counts.updated > 0) {
        // unit_code is set in its own statement, only where it differs: naming it in an
        // UPDATE fires the ancestor trigger for every row, changed unit or not.
        const set = written
          .filter((c) => c.field !== 'unit_code')
          .map((c) => (c.notNullDefault ? `${c.field} = COALESCE(s.${c.field}, f.${c.field})` : `${c.field} = s.${c.field}`));
        set.push('location = ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)', 'synthetic = s.synthetic', 'source = s.source', 'version = f.version + 1', 'updated_at = now()');
        await sql.raw(`UPDATE facility f SET ${set.join(', ')} FROM ${STAGE} s WHERE f.code = s.code AND s.changed`).execute(trx);
        await sql.raw(`UPDATE facility f SET unit_code = s.unit_code FROM ${STAGE} s WHERE f.code = s.code AND s.changed AND f.unit_code IS DISTINCT FROM s.unit_code`).execute(trx);
      }
      ctx.mark('update');
      if (counts.created > 0) {
        const insertColumns = ['code', ...written.map((c) => c.field), 'location', 'synthetic', 'source'];
        const insertValues = [
          's.code',
          ...written.map((c) => (c.notNullDefault ? `COALESCE(s.${c.field}, ${c.notNullDefault})` : `s.${c.field}`)),
          'ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)',
          's.synthetic',
          's.source',
        ];
        await sql
          .raw(`INSERT INTO facility (${insertColumns.join(', ')}) SELECT ${insertValues.join(', ')} FROM ${STAGE} s WHERE s.existing_id IS NULL ORDER BY s.ord`)
          .execute(trx);
      }
      ctx.mark('insert');
      const { rows: changedCodes } = await sql<{ created: string[] | null; updated: string[] | null }>`
        SELECT (array_agg(code ORDER BY ord) FILTER (WHERE existing_id IS NULL))[1:${AUDIT_CODES_LIMIT}] AS created,
               (array_agg(code ORDER BY ord) FILTER (WHERE changed))[1:${AUDIT_CODES_LIMIT}] AS updated
        FROM ${sql.raw(STAGE)}`.execute(trx);
      return {
        before: counts.updated > 0 ? before[0]?.rows : undefined,
        details: { codes: { created: changedCodes[0]?.created ?? [], updated: changedCodes[0]?.updated ?? [] }, columnsWritten: [...present] },
      };
    },
  };
}

/** The audit row lists at most this many codes per outcome and previous states of updated rows. */
const AUDIT_CODES_LIMIT = 1000;
const AUDIT_BEFORE_LIMIT = 1000;

export const facilityImport: ImportKind = {
  name: 'facilities',
  entity: 'facility',
  formats: ['csv', 'xlsx', 'geojson'],
  fields: facilityFields.fields,
  plan,
};

export type { FacilityType };
