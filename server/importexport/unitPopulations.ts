/**
 * Unit populations (区划人口): resident population and its parts for existing
 * units, and new townships and villages (real NBS codes) with their population
 * and settlement point. A new unit's parent comes from its code (village →
 * first 9 digits, township → first 6, or the host banner of a statistical-only
 * area); it must exist already or be created by the same file.
 */
import { sql } from 'kysely';
import { statisticalAreaHosts } from '../../seeds/topLevels.ts';
import { FieldSet, cellOf, type ColumnMapping, type FieldSpec } from './columns.ts';
import { readPoint, reportPlacement } from './locate.ts';
import { checkPlacements } from './placement.ts';
import { readTable } from './read.ts';
import { createStage, fillStage, type StageColumn } from './stage.ts';
import type { ImportKind, KindContext, Plan } from './types.ts';
import { levelOfCode, parseBoolean, parseCount, parsePopulation, parseText, parseUnitCode } from './values.ts';
import { levels } from './vocab.ts';

type UnitField =
  | 'code'
  | 'name'
  | 'level'
  | 'parent_code'
  | 'kind'
  | 'urban'
  | 'population'
  | 'population_urban'
  | 'population_year'
  | 'population_source'
  | 'pop_age_0_14'
  | 'pop_age_65_plus'
  | 'births'
  | 'mobile_service'
  | 'lon'
  | 'lat'
  | 'synthetic'
  | 'source'
  | 'area_km2'
  | 'parent_name';

export const UNIT_FIELD_SPECS: FieldSpec<UnitField>[] = [
  { key: 'code', zh: '区划代码', en: 'code', required: true, synonyms: ['统计用区划代码', '行政区划代码', '代码', 'adcode', 'unit_code', 'unit code', '所在区划代码'] },
  { key: 'name', zh: '区划名称', en: 'name', synonyms: ['名称', '单位名称', '嘎查村名称', '苏木乡镇名称', 'unit_name'] },
  { key: 'level', zh: '层级', en: 'level', synonyms: ['级别', '区划级别'] },
  { key: 'parent_code', zh: '上级区划代码', en: 'parent_code', readOnly: true, synonyms: ['上级代码', 'parent'] },
  { key: 'kind', zh: '类别', en: 'kind', synonyms: ['区划类别', '类型'] },
  { key: 'urban', zh: '城镇', en: 'urban', synonyms: ['是否城镇', '城乡'] },
  { key: 'population', zh: '常住人口', en: 'population', synonyms: ['人口', '人口数', '总人口', '常住人口数', 'pop', 'population_total', 'pop_total', 'total'] },
  { key: 'population_urban', zh: '城镇人口', en: 'population_urban', synonyms: ['城镇常住人口', 'urban_population', 'pop_urban'] },
  { key: 'population_year', zh: '人口年份', en: 'population_year', synonyms: ['年份', '统计年份', 'year'] },
  { key: 'population_source', zh: '人口来源', en: 'population_source', synonyms: ['人口数据来源'] },
  { key: 'pop_age_0_14', zh: '0-14岁人口', en: 'pop_age_0_14', synonyms: ['0至14岁人口', '0~14岁', 'age_0_14'] },
  { key: 'pop_age_65_plus', zh: '65岁及以上人口', en: 'pop_age_65_plus', synonyms: ['65岁以上人口', '65岁及以上', 'age_65_plus'] },
  { key: 'births', zh: '出生人数', en: 'births', synonyms: ['年出生人数', '出生人口'] },
  { key: 'mobile_service', zh: '流动服务', en: 'mobile_service', synonyms: ['流动服务区', '是否流动服务'] },
  { key: 'lon', zh: '经度', en: 'lon', synonyms: ['lng', 'longitude', 'x'] },
  { key: 'lat', zh: '纬度', en: 'lat', synonyms: ['latitude', 'y'] },
  { key: 'synthetic', zh: '合成数据', en: 'synthetic' },
  { key: 'source', zh: '数据来源', en: 'source', synonyms: ['来源'] },
  { key: 'area_km2', zh: '面积（平方公里）', en: 'area_km2', readOnly: true, synonyms: ['面积'] },
  { key: 'parent_name', zh: '上级区划名称', en: 'parent_name', readOnly: true },
];

export const unitFields = new FieldSet<UnitField>(UNIT_FIELD_SPECS);

const COUNT_FIELDS = ['population', 'population_urban', 'pop_age_0_14', 'pop_age_65_plus'] as const;

/** Kind from the name suffix, as the NBS names are written (街道办事处, 嘎查村民委员会, 居委会 …). */
export function unitKindFromName(name: string, level: 'township' | 'village'): { kind: string; urban: boolean } {
  const n = name.replace(/\s+/g, '');
  if (level === 'township') {
    if (/街道(办事处)?$/.test(n)) return { kind: '街道', urban: true };
    if (n.endsWith('苏木')) return { kind: '苏木', urban: false };
    if (n.endsWith('镇')) return { kind: '镇', urban: false };
    if (n.endsWith('乡')) return { kind: '乡', urban: false };
    return { kind: '其他', urban: false };
  }
  if (/(居委会|居民委员会|社区|社区委员会)$/.test(n)) return { kind: '社区', urban: true };
  if (/嘎查/.test(n)) return { kind: '嘎查', urban: false };
  if (/(村民委员会|村委会|村)$/.test(n)) return { kind: '村', urban: false };
  return { kind: '其他', urban: false };
}

const STAGE = 'import_unit';
const DATA_COLUMNS = [
  'name',
  'kind',
  'urban',
  'population',
  'population_urban',
  'population_year',
  'population_source',
  'pop_age_0_14',
  'pop_age_65_plus',
  'births',
  'mobile_service',
  'source',
] as const;
type DataColumn = (typeof DATA_COLUMNS)[number];
const NOT_NULL: Partial<Record<DataColumn, string>> = { urban: 'false', mobile_service: 'false' };

const STAGE_COLUMNS: StageColumn[] = [
  { name: 'ord', type: 'integer' },
  { name: 'code', type: 'text' },
  { name: 'parent_code', type: 'text' },
  { name: 'level', type: 'text' },
  { name: 'name', type: 'text' },
  { name: 'kind', type: 'text' },
  { name: 'urban', type: 'boolean' },
  { name: 'population', type: 'bigint' },
  { name: 'population_urban', type: 'bigint' },
  { name: 'population_year', type: 'integer' },
  { name: 'population_source', type: 'text' },
  { name: 'pop_age_0_14', type: 'bigint' },
  { name: 'pop_age_65_plus', type: 'bigint' },
  { name: 'births', type: 'integer' },
  { name: 'mobile_service', type: 'boolean' },
  { name: 'lon', type: 'float8' },
  { name: 'lat', type: 'float8' },
  { name: 'synthetic', type: 'boolean' },
  { name: 'source', type: 'text' },
  { name: 'exists_already', type: 'boolean' },
];

interface UnitRecord {
  ord: number;
  code: string;
  parent_code: string | null;
  level: string;
  lon: number | null;
  lat: number | null;
  exists_already: boolean;
  [field: string]: unknown;
}

function readRow(ctx: KindContext, mapping: ColumnMapping<UnitField>, row: number, cells: string[]) {
  const p = ctx.problems;
  const h = (f: UnitField) => mapping.header[f] ?? f;
  const cell = (f: UnitField) => cellOf(mapping, cells, f);
  const record: Record<string, unknown> = { ord: row };

  const code = parseUnitCode(cell('code') ?? '');
  if (!code.ok) p.add(row, h('code'), cell('code'), code.code, `unit code ${code.en}`, `区划代码${code.zh}`);
  else if (code.value === null) p.add(row, h('code'), '', 'required', 'the unit code is required', '区划代码为必填项');
  else {
    record.code = code.value;
    record.level = levelOfCode(code.value);
  }

  const levelRaw = cell('level');
  if (levelRaw !== undefined && levelRaw.trim() !== '' && record.level) {
    const hit = levels.lookup(levelRaw);
    if (!hit || hit.value !== record.level) {
      p.add(row, h('level'), levelRaw, 'level_mismatch', `the code ${String(record.code)} is a ${String(record.level)} code (6 digits: banner, 9: township, 12: village)`, `代码 ${String(record.code)} 是${String(record.level)}级代码（6 位为旗县，9 位为苏木乡镇，12 位为嘎查村）`);
    }
  }

  for (const [field, max] of [['name', 100], ['kind', 20], ['population_source', 500], ['source', 500]] as const) {
    const raw = cell(field);
    if (raw === undefined) continue;
    const t = parseText(raw, max);
    if (!t.ok) p.add(row, h(field), raw, t.code, `${field} ${t.en}`, `${unitFields.spec(field).zh}${t.zh}`);
    else record[field] = t.value;
  }
  for (const field of COUNT_FIELDS) {
    const raw = cell(field);
    if (raw === undefined) continue;
    const n = parsePopulation(raw);
    if (!n.ok) p.add(row, h(field), raw, n.code, `${unitFields.spec(field).en} ${n.en}`, `${unitFields.spec(field).zh}${n.zh}`);
    else record[field] = n.value;
  }
  const births = cell('births');
  if (births !== undefined) {
    const n = parseCount(births);
    if (!n.ok) p.add(row, h('births'), births, n.code, `births ${n.en}`, `出生人数${n.zh}`);
    else record.births = n.value;
  }
  const yearRaw = cell('population_year');
  if (yearRaw !== undefined) {
    const n = parseCount(yearRaw);
    if (!n.ok || (n.value !== null && (n.value < 1950 || n.value > 2100))) {
      p.add(row, h('population_year'), yearRaw, 'invalid_year', 'the population year must be a year between 1950 and 2100', '人口年份必须是 1950 至 2100 之间的年份');
    } else record.population_year = n.value;
  }
  for (const field of ['urban', 'mobile_service', 'synthetic'] as const) {
    const raw = cell(field);
    if (raw === undefined) continue;
    const b = parseBoolean(raw);
    if (!b.ok) p.add(row, h(field), raw, b.code, b.en, b.zh);
    else record[field] = b.value;
  }
  const pop = record.population as number | null | undefined;
  for (const part of ['population_urban', 'pop_age_0_14', 'pop_age_65_plus'] as const) {
    const v = record[part] as number | null | undefined;
    if (typeof v === 'number' && typeof pop === 'number' && v > pop) {
      p.add(row, h(part), String(v), 'exceeds_total', `${unitFields.spec(part).en} (${v}) exceeds the population (${pop})`, `${unitFields.spec(part).zh}（${v}）超过常住人口（${pop}）`);
    }
  }

  let point: [number, number] | null = null;
  const lonRaw = cell('lon');
  const latRaw = cell('lat');
  if ((lonRaw ?? '').trim() !== '' || (latRaw ?? '').trim() !== '') {
    point = readPoint(p, row, lonRaw, latRaw, { lon: h('lon'), lat: h('lat') }, ctx.options.crs);
  }
  record.lon = point?.[0] ?? null;
  record.lat = point?.[1] ?? null;
  return { record, point };
}

async function plan(ctx: KindContext): Promise<Plan | null> {
  const { table, encoding } = await readTable(ctx, unitFields, ['lon', 'lat']);
  const mapping = unitFields.map(table.headers, ctx.problems);
  const columns = { mapped: mapping.mapped, ignored: mapping.ignored };
  if (mapping.ignored.length > 0) {
    ctx.warnings.push({ code: 'ignored_columns', en: `Columns not recognised and ignored: ${mapping.ignored.join(', ')}`, zh: `以下列无法识别，已忽略：${mapping.ignored.join('、')}` });
  }
  if (table.rows.length === 0) ctx.problems.add(null, null, null, 'no_rows', 'the file has a header but no data rows', '文件只有表头，没有数据行');
  if (mapping.index.code === undefined || table.rows.length === 0) return null;
  const dataFields = mapping.mapped.map((m) => m.field).filter((f) => !unitFields.spec(f).readOnly && f !== 'code' && f !== 'level');
  if (dataFields.length === 0) {
    ctx.problems.add(null, null, null, 'no_data_columns', 'the file has unit codes but no data column (e.g. 常住人口 / population, 区划名称 / name, 经度/纬度)', '文件只有区划代码，没有数据列（例如 常住人口、区划名称、经度/纬度）');
    return null;
  }

  const parsed = table.rows.map((r) => ({ row: r.row, ...readRow(ctx, mapping, r.row, r.cells) }));
  const codes = parsed.map((r) => r.record.code as string | undefined).filter((c): c is string => c !== undefined);
  const firstRowOf = new Map<string, number>();
  for (const r of parsed) {
    const code = r.record.code as string | undefined;
    if (!code) continue;
    const first = firstRowOf.get(code);
    if (first === undefined) firstRowOf.set(code, r.row);
    else ctx.problems.add(r.row, mapping.header.code ?? 'code', code, 'duplicate_code', `the code ${code} also appears in row ${first}`, `区划代码 ${code} 在第 ${first} 行已出现`);
  }

  // Existing units and the parents new units need.
  const hosts = statisticalAreaHosts();
  const parentOf = (code: string): string | null => {
    if (code.length === 12) return code.slice(0, 9);
    if (code.length === 9) return hosts.get(code.slice(0, 6))?.host ?? code.slice(0, 6);
    return null;
  };
  const lookup = [...new Set([...codes, ...codes.map(parentOf).filter((c): c is string => c !== null)])];
  const existing = new Map<string, { level: string; parent_code: string | null; banner_code: string | null; population: number | null }>();
  for (let i = 0; i < lookup.length; i += 20_000) {
    const rows = await ctx.trx
      .selectFrom('admin_unit')
      .select(['code', 'level', 'parent_code', 'banner_code', 'population'])
      .where('code', 'in', lookup.slice(i, i + 20_000))
      .execute();
    for (const r of rows) existing.set(r.code, r);
  }
  const inFile = new Set(codes);
  for (const r of parsed) {
    const code = r.record.code as string | undefined;
    if (!code) continue;
    const row = r.row;
    const have = existing.get(code);
    r.record.exists_already = have !== undefined;
    if (have) {
      r.record.parent_code = have.parent_code;
      continue;
    }
    const level = levelOfCode(code);
    if (level === 'region' || level === 'league' || level === 'banner') {
      ctx.problems.add(row, mapping.header.code ?? 'code', code, 'unit_not_found', `there is no ${level} with the code ${code}: leagues and banners cannot be created by an import (check the code)`, `不存在代码为 ${code} 的盟市或旗县：导入不能新建盟市、旗县（请检查代码）`);
      continue;
    }
    const parent = parentOf(code)!;
    r.record.parent_code = parent;
    if (!existing.has(parent) && !inFile.has(parent)) {
      ctx.problems.add(
        row,
        mapping.header.code ?? 'code',
        code,
        'parent_not_found',
        level === 'village'
          ? `village code ${code}: its township ${parent} does not exist (neither in the database nor in this file); add the township first or check the code`
          : `township code ${code}: its banner ${parent} does not exist; check the code`,
        level === 'village'
          ? `嘎查村代码 ${code}：其所属苏木乡镇 ${parent} 不存在（数据库和本文件中都没有）；请先添加该苏木乡镇或检查代码`
          : `苏木乡镇代码 ${code}：其所属旗县 ${parent} 不存在；请检查代码`,
      );
    }
    if (typeof r.record.name !== 'string') {
      ctx.problems.add(row, mapping.header.name ?? '区划名称', '', 'required', `${code} is a new unit: its name is required`, `${code} 是新区划：区划名称为必填项`);
    } else {
      const derived = unitKindFromName(r.record.name, level);
      if (mapping.index.kind === undefined || r.record.kind === null) r.record.kind = derived.kind;
      if (mapping.index.urban === undefined || r.record.urban === null) r.record.urban = derived.urban;
    }
  }

  // Points: inside the region and the unit's banner.
  const withPoint = parsed.filter((r) => r.point !== null && typeof r.record.code === 'string');
  const bannerFor = (code: string): string | null => {
    const have = existing.get(code);
    if (have) return have.level === 'banner' ? code : have.banner_code;
    const parent = parentOf(code);
    if (!parent) return null;
    const p = existing.get(parent);
    if (p) return p.level === 'banner' ? parent : p.banner_code;
    const grand = parentOf(parent);
    return grand && existing.get(grand)?.level === 'banner' ? grand : null;
  };
  const placements = await checkPlacements(
    ctx.trx,
    withPoint.map((r) => ({ ord: r.row, lon: r.point![0], lat: r.point![1], unitCode: bannerFor(r.record.code as string) })),
  );
  for (const r of withPoint) {
    const pl = placements.get(r.row);
    const banner = bannerFor(r.record.code as string);
    if (pl) reportPlacement(ctx.problems, r.row, r.point!, banner, pl, { lon: mapping.header.lon ?? '经度', lat: mapping.header.lat ?? '纬度', unit: mapping.header.code ?? '区划代码' }, () => false, false);
  }

  const counts = { created: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0 };
  const plainPlan = { rows: table.rows.length, counts, columns, encoding, sheet: table.sheet ?? null };
  if (ctx.problems.size > 0) return { ...plainPlan, write: async () => ({ details: {} }), touchedUnits: async () => [] };

  const present = new Set<string>(dataFields);
  const pointPresent = present.has('lon') && present.has('lat');
  const populationPresent = present.has('population');
  const records = parsed.map((r) => {
    const rec = r.record as UnitRecord;
    const isNew = !rec.exists_already;
    return {
      ...rec,
      source: rec.source ?? (isNew ? ctx.defaultSource : null),
      // Without its own column, the population source is the file (where a population is given).
      population_source: present.has('population_source')
        ? rec.population_source
        : populationPresent && rec.population !== null && rec.population !== undefined
          ? ctx.defaultSource
          : null,
      synthetic: rec.synthetic ?? (isNew ? false : pointPresent && populationPresent ? false : null),
    };
  });
  await createStage(ctx.trx, STAGE, STAGE_COLUMNS, 'changed boolean');
  await fillStage(ctx.trx, STAGE, STAGE_COLUMNS, records);
  await sql.raw(`CREATE UNIQUE INDEX ON ${STAGE} (code)`).execute(ctx.trx);

  // Columns compared and written on existing units: those in the file (population_source
  // follows population, synthetic follows point + population, see above).
  const written = DATA_COLUMNS.filter((c) => present.has(c) || (c === 'population_source' && populationPresent));
  const compared = written.map((c) => {
    // Without its own column, the population source follows the population (it is not a change by itself).
    if (c === 'population_source' && !present.has('population_source')) return 'true';
    return NOT_NULL[c] ? `COALESCE(s.${c}, u.${c}) = u.${c}` : `u.${c} IS NOT DISTINCT FROM s.${c}`;
  });
  if (pointPresent) {
    compared.push(`((s.lon IS NULL AND u.point IS NULL) OR (round(ST_X(u.point)::numeric, 6) = round(s.lon::numeric, 6) AND round(ST_Y(u.point)::numeric, 6) = round(s.lat::numeric, 6)))`);
  }
  if (present.has('synthetic')) compared.push('u.synthetic = s.synthetic');
  await sql.raw(`UPDATE ${STAGE} s SET changed = NOT (${compared.join(' AND ') || 'true'}) FROM admin_unit u WHERE u.code = s.code`).execute(ctx.trx);
  const { rows: classes } = await sql<{ created: number; updated: number; unchanged: number }>`
    SELECT count(*) FILTER (WHERE NOT exists_already)::int AS created, count(*) FILTER (WHERE changed)::int AS updated,
           count(*) FILTER (WHERE exists_already AND NOT changed)::int AS unchanged FROM ${sql.raw(STAGE)}`.execute(ctx.trx);
  Object.assign(counts, classes[0]);

  // Children summing to more than their parent: worth a look, not an error.
  const { rows: overfull } = await sql<{ code: string; name: string; population: number; children: number }>`
    WITH touched AS (SELECT DISTINCT COALESCE(u.parent_code, s.parent_code) AS code FROM ${sql.raw(STAGE)} s LEFT JOIN admin_unit u ON u.code = s.code),
    kids AS (
      SELECT c.parent_code AS code, sum(COALESCE(s.population, c.population)) AS total FROM admin_unit c
      LEFT JOIN ${sql.raw(STAGE)} s ON s.code = c.code WHERE c.parent_code IN (SELECT code FROM touched) GROUP BY c.parent_code
      UNION ALL
      SELECT s.parent_code, sum(s.population) FROM ${sql.raw(STAGE)} s WHERE NOT s.exists_already GROUP BY s.parent_code
    )
    SELECT p.code, p.name, COALESCE(sp.population, p.population)::bigint AS population, sum(k.total)::bigint AS children
    FROM kids k JOIN admin_unit p ON p.code = k.code LEFT JOIN ${sql.raw(STAGE)} sp ON sp.code = p.code
    GROUP BY p.code, p.name, COALESCE(sp.population, p.population)
    HAVING sum(k.total) > COALESCE(sp.population, p.population) ORDER BY p.code LIMIT 20`.execute(ctx.trx);
  if (overfull.length > 0) {
    ctx.warnings.push({
      code: 'children_exceed_parent',
      en: `The populations of the sub-units exceed their parent's in ${overfull.length} unit(s): ${overfull.map((o) => `${o.name} ${o.code} (${o.children} > ${o.population})`).join('; ')}`,
      zh: `${overfull.length} 个区划的下级人口之和超过其自身人口：${overfull.map((o) => `${o.name} ${o.code}（${o.children} > ${o.population}）`).join('；')}`,
    });
  }

  return {
    ...plainPlan,
    async touchedUnits() {
      const { rows } = await sql<{ code: string }>`SELECT code FROM ${sql.raw(STAGE)} WHERE NOT exists_already OR changed`.execute(ctx.trx);
      return rows.map((r) => r.code);
    },
    async write() {
      const trx = ctx.trx;
      const { rows: before } = await sql<{ rows: unknown }>`
        SELECT COALESCE(json_agg(b), '[]'::json) AS rows FROM (
          SELECT u.code, u.version, ${sql.raw(written.map((c) => `u.${c}`).join(', ') || 'u.name')}, u.synthetic,
                 round(ST_X(u.point)::numeric, 6) AS lon, round(ST_Y(u.point)::numeric, 6) AS lat
          FROM admin_unit u JOIN ${sql.raw(STAGE)} s ON s.code = u.code WHERE s.changed ORDER BY s.ord LIMIT 1000) b`.execute(trx);
      const set = written.map((c) => {
        if (c === 'population_source' && !present.has('population_source')) {
          return 'population_source = CASE WHEN s.population IS DISTINCT FROM u.population THEN s.population_source ELSE u.population_source END';
        }
        return NOT_NULL[c] ? `${c} = COALESCE(s.${c}, u.${c})` : `${c} = s.${c}`;
      });
      if (pointPresent) set.push('point = CASE WHEN s.lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END');
      set.push('synthetic = COALESCE(s.synthetic, u.synthetic)', 'version = u.version + 1', 'updated_at = now()');
      await sql.raw(`UPDATE admin_unit u SET ${set.join(', ')} FROM ${STAGE} s WHERE u.code = s.code AND s.changed`).execute(trx);
      // Parents first: the ancestor trigger reads the parent row.
      for (const level of ['township', 'village']) {
        await sql`
          INSERT INTO admin_unit (code, parent_code, level, name, kind, urban, population, population_urban, population_year,
                                  population_source, pop_age_0_14, pop_age_65_plus, births, mobile_service, point, synthetic, source)
          SELECT code, parent_code, level, name, kind, COALESCE(urban, false), population, population_urban, population_year,
                 population_source, pop_age_0_14, pop_age_65_plus, births, COALESCE(mobile_service, false),
                 CASE WHEN lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END, COALESCE(synthetic, false), source
          FROM ${sql.raw(STAGE)} WHERE NOT exists_already AND level = ${level} ORDER BY code`.execute(trx);
      }
      const { rows: changed } = await sql<{ created: string[] | null; updated: string[] | null }>`
        SELECT (array_agg(code ORDER BY ord) FILTER (WHERE NOT exists_already))[1:1000] AS created,
               (array_agg(code ORDER BY ord) FILTER (WHERE changed))[1:1000] AS updated FROM ${sql.raw(STAGE)}`.execute(trx);
      return {
        before: counts.updated > 0 ? before[0]?.rows : undefined,
        details: { codes: { created: changed[0]?.created ?? [], updated: changed[0]?.updated ?? [] }, columnsWritten: [...present] },
      };
    },
  };
}

export const unitPopulationImport: ImportKind = {
  name: 'unit-populations',
  entity: 'admin_unit',
  formats: ['csv', 'xlsx', 'geojson'],
  fields: unitFields.fields,
  plan,
};
