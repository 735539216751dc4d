/**
 * A scenario's effect on the baseline, in memory: the effective rows of the
 * facilities, units and population cells its changes touch (everything else
 * is the baseline as stored). `applyChange` applies one stored change to a
 * state — the same function when a change is added (any problem → 400, nothing
 * written) and when a scenario is read (a change the baseline or a parent
 * scenario has since made impossible is reported as a conflict and skipped).
 *
 * Rows are never mutated: a change replaces a row by a copy, so states can
 * share rows (a clone is a copy of three maps).
 *
 * Baseline rows are read through `Baseline` in batches (one query per kind
 * before a list of changes is applied) and kept per data version.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { gradeLevel, type Grade, type Level } from '../domain/taxonomy.ts';
import { STAFF_COLUMNS, typeLabel, type FacilityAttributes, type StoredChange, type StoredMerge, type StoredPopulation } from './changes.ts';

/** A facility row as the table has it (snake_case columns; other columns travel along). */
export interface FacilityRow {
  id: number;
  code: string;
  name: string;
  type: string;
  central: boolean;
  run_by_level: string | null;
  ownership: string;
  grade: string | null;
  grade_level: number;
  status: string;
  unit_code: string;
  league_code: string | null;
  banner_code: string | null;
  township_code: string | null;
  beds: number | null;
  beds_paediatric: number | null;
  departments: string[];
  tcm_hall_level: string | null;
  tcm_technique_categories: number | null;
  tcm_techniques: number | null;
  provides_deliveries: boolean | null;
  villages_served: string[];
  merged_into_id: number | null;
  synthetic: boolean;
  source: string | null;
  version: number;
  [column: string]: unknown;
}

export interface Facility {
  row: FacilityRow;
  lon: number;
  lat: number;
}

/** The unit columns a scenario can change, with what placing and scaling need. */
export interface UnitRow {
  code: string;
  parent_code: string | null;
  level: Level;
  name: string;
  population: number | null;
  population_urban: number | null;
  pop_age_0_14: number | null;
  pop_age_65_plus: number | null;
  births: number | null;
  population_year: number | null;
  population_source: string | null;
  league_code: string | null;
  banner_code: string | null;
  township_code: string | null;
}

/** Unit columns a population change writes. */
export const POPULATION_COLUMNS = ['population', 'population_urban', 'pop_age_0_14', 'pop_age_65_plus', 'births', 'population_year', 'population_source'] as const;
const SCALED = ['population_urban', 'pop_age_0_14', 'pop_age_65_plus', 'births'] as const;

export const REGION = '150000';

// ── baseline rows ───────────────────────────────────────────────────────────

interface Subtree {
  units: string[];
  cells: { id: number; population: number }[];
}

/** Baseline rows a scenario refers to, loaded in batches and kept for one data version. */
export class Baseline {
  readonly facilities = new Map<number, Facility | null>();
  readonly units = new Map<string, UnitRow | null>();
  readonly subtrees = new Map<string, Subtree>();
  readonly codes = new Map<string, number | null>();

  constructor(readonly dataVersion: number) {}

  async ensure(db: Kysely<Database>, want: { facilityIds?: Iterable<number>; unitCodes?: Iterable<string>; subtrees?: Iterable<string>; codes?: Iterable<string> }): Promise<void> {
    const ids = [...new Set(want.facilityIds ?? [])].filter((id) => id > 0 && !this.facilities.has(id));
    if (ids.length > 0) {
      const { rows } = await sql<{ row: FacilityRow; lon: number; lat: number }>`
        SELECT to_jsonb(f) - 'location' AS row, ST_X(f.location) AS lon, ST_Y(f.location) AS lat
        FROM facility AS f WHERE f.id = ANY(${ids.map(String)}::int8[])`.execute(db);
      for (const id of ids) this.facilities.set(id, null);
      for (const r of rows) this.facilities.set(Number(r.row.id), { row: normaliseRow(r.row), lon: Number(r.lon), lat: Number(r.lat) });
    }
    const subtreeCodes = [...new Set(want.subtrees ?? [])].filter((c) => !this.subtrees.has(c));
    const codes = [...new Set([...(want.unitCodes ?? []), ...subtreeCodes])].filter((c) => !this.units.has(c));
    if (codes.length > 0) await this.loadUnits(db, sql`u.code = ANY(${codes}::text[])`, codes);
    for (const code of subtreeCodes) {
      const unit = this.units.get(code);
      if (!unit) {
        this.subtrees.set(code, { units: [], cells: [] });
        continue;
      }
      const inside = subtreeCondition(unit);
      const ancestors = [unit.league_code, unit.banner_code, unit.township_code, REGION].filter((c): c is string => c !== null && c !== code);
      const { rows: below } = await sql<UnitRow>`
        SELECT ${UNIT_COLUMNS} FROM admin_unit AS u WHERE (${inside('u')} AND u.code <> ${code}) OR u.code = ANY(${ancestors}::text[])`.execute(db);
      const descendants: string[] = [];
      for (const r of below) {
        const row = unitRow(r);
        this.units.set(row.code, row);
        if (!ancestors.includes(row.code)) descendants.push(row.code);
      }
      const { rows: cells } = await sql<{ id: number; population: number }>`
        SELECT c.id, c.population FROM population_cell AS c WHERE ${inside('c')} ORDER BY c.id`.execute(db);
      this.subtrees.set(code, { units: descendants.sort(), cells: cells.map((c) => ({ id: Number(c.id), population: Number(c.population) })) });
    }
    const wantedCodes = [...new Set(want.codes ?? [])].filter((c) => !this.codes.has(c));
    if (wantedCodes.length > 0) {
      const rows = await db.selectFrom('facility').select(['id', 'code']).where('code', 'in', wantedCodes).execute();
      for (const c of wantedCodes) this.codes.set(c, null);
      for (const r of rows) this.codes.set(r.code, Number(r.id));
    }
  }

  private async loadUnits(db: Kysely<Database>, where: ReturnType<typeof sql>, codes: string[]): Promise<void> {
    const { rows } = await sql<UnitRow>`SELECT ${UNIT_COLUMNS} FROM admin_unit AS u WHERE ${where}`.execute(db);
    for (const c of codes) this.units.set(c, null);
    for (const r of rows) this.units.set(r.code, unitRow(r));
  }
}

const UNIT_COLUMNS = sql.raw(
  'u.code, u.parent_code, u.level, u.name, u.population, u.population_urban, u.pop_age_0_14, u.pop_age_65_plus, u.births, u.population_year, u.population_source, u.league_code, u.banner_code, u.township_code',
);

function unitRow(r: UnitRow): UnitRow {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    ...r,
    population: n(r.population),
    population_urban: n(r.population_urban),
    pop_age_0_14: n(r.pop_age_0_14),
    pop_age_65_plus: n(r.pop_age_65_plus),
    births: n(r.births),
    population_year: n(r.population_year),
  };
}

function normaliseRow(row: FacilityRow): FacilityRow {
  return {
    ...row,
    id: Number(row.id),
    merged_into_id: row.merged_into_id === null ? null : Number(row.merged_into_id),
    departments: row.departments ?? [],
    villages_served: row.villages_served ?? [],
  };
}

/** Rows of a subtree (units or cells aliased `alias`), by the ancestor columns. */
function subtreeCondition(unit: UnitRow) {
  return (alias: string) => {
    const column = (name: string) => sql.ref(`${alias}.${name}`);
    switch (unit.level) {
      case 'region':
        return sql`TRUE`;
      case 'league':
        return sql`${column('league_code')} = ${unit.code}`;
      case 'banner':
        return sql`${column('banner_code')} = ${unit.code}`;
      case 'township':
        return sql`${column('township_code')} = ${unit.code}`;
      case 'village':
        return alias === 'u' ? sql`${column('code')} = ${unit.code}` : sql`${column('unit_code')} = ${unit.code}`;
    }
  };
}

/** Baseline rows per database and data version (shared by every scenario of that version). */
const baselines = new WeakMap<Kysely<Database>, Baseline>();

export function baselineFor(db: Kysely<Database>, dataVersion: number): Baseline {
  const current = baselines.get(db);
  if (current && current.dataVersion === dataVersion) return current;
  const fresh = new Baseline(dataVersion);
  baselines.set(db, fresh);
  return fresh;
}

/** What a list of changes needs loaded before it can be applied. */
export function referencesOf(changes: readonly StoredChange[]): { facilityIds: number[]; unitCodes: string[]; subtrees: string[] } {
  const facilityIds: number[] = [];
  const unitCodes: string[] = [];
  const subtrees: string[] = [];
  for (const c of changes) {
    switch (c.kind) {
      case 'add_facility':
        unitCodes.push(c.unitCode);
        break;
      case 'close_facility':
      case 'update_facility':
        facilityIds.push(c.facilityId);
        break;
      case 'move_facility':
        facilityIds.push(c.facilityId);
        unitCodes.push(c.unitCode);
        break;
      case 'merge_facilities':
        facilityIds.push(...c.facilityIds);
        if (c.site) unitCodes.push(c.site.unitCode);
        break;
      case 'set_unit_population':
        subtrees.push(c.unitCode);
        break;
    }
  }
  return { facilityIds, unitCodes, subtrees };
}

// ── the state ───────────────────────────────────────────────────────────────

export interface ChangeRef {
  /** scenario_change.id (null for a change being validated before it is stored). */
  changeId: number | null;
  scenarioId: number;
  /** Position in its own scenario (1-based, as shown to users). */
  position: number;
}

export interface Problem {
  field: string;
  value?: unknown;
  en: string;
  zh: string;
}

export class ScenarioState {
  /** Effective rows of the facilities the changes touched (added ones included). */
  readonly facilities: Map<number, Facility>;
  /** Effective rows of the units whose population changed. */
  readonly units: Map<string, UnitRow>;
  /** Populations of the cells that changed (id → people). */
  readonly cells: Map<number, number>;
  /** Which change last closed a facility (for messages). */
  readonly closedBy: Map<number, ChangeRef>;
  /** Codes of facilities added so far. */
  readonly addedCodes: Map<string, number>;

  constructor(
    readonly base: Baseline,
    from?: ScenarioState,
  ) {
    this.facilities = new Map(from?.facilities);
    this.units = new Map(from?.units);
    this.cells = new Map(from?.cells);
    this.closedBy = new Map(from?.closedBy);
    this.addedCodes = new Map(from?.addedCodes);
  }

  clone(): ScenarioState {
    return new ScenarioState(this.base, this);
  }

  facility(id: number): Facility | null {
    return this.facilities.get(id) ?? this.base.facilities.get(id) ?? null;
  }

  unit(code: string): UnitRow | null {
    return this.units.get(code) ?? this.base.units.get(code) ?? null;
  }

  cellPopulation(id: number, baseline: number): number {
    return this.cells.get(id) ?? baseline;
  }
}

function label(f: Facility): string {
  return `${f.row.name}（${f.row.id}）`;
}
function labelEn(f: Facility): string {
  return `${f.row.name} (${f.row.id})`;
}

function refText(ref: ChangeRef | undefined, own: number): { en: string; zh: string } {
  if (!ref) return { en: 'in the baseline', zh: '现状中已关闭' };
  if (ref.scenarioId === own) return { en: `by change #${ref.position} of this scenario`, zh: `已由本情景第 ${ref.position} 项变更关闭` };
  return { en: `by change #${ref.position} of scenario ${ref.scenarioId} (this one is based on it)`, zh: `已由本情景所基于的情景 ${ref.scenarioId} 的第 ${ref.position} 项变更关闭` };
}

/** An open (or planned/suspended) facility of the state, or the problem with the reference. */
function liveFacility(state: ScenarioState, id: number, field: string, ref: ChangeRef): Facility | Problem {
  const f = state.facility(id);
  if (!f) {
    return id < 0
      ? { field, value: id, en: `no facility ${id} was added earlier in this scenario (ids below 0 are facilities added by add_facility changes)`, zh: `本情景此前未新增编号为 ${id} 的机构（小于 0 的编号表示情景中新增的机构）` }
      : { field, value: id, en: `no facility with id ${id}`, zh: `没有编号为 ${id} 的机构` };
  }
  if (f.row.status === 'closed') {
    const by = refText(state.closedBy.get(id), ref.scenarioId);
    const merged = f.row.merged_into_id !== null ? { en: ` (merged into ${f.row.merged_into_id})`, zh: `（已并入 ${f.row.merged_into_id}）` } : { en: '', zh: '' };
    return {
      field,
      value: id,
      en: `facility ${labelEn(f)} is already closed ${by.en}${merged.en}`,
      zh: `机构${label(f)}${by.zh.startsWith('现状') ? '在' : ''}${by.zh}${merged.zh}`,
    };
  }
  return f;
}

const isProblem = (x: Facility | Problem): x is Problem => 'en' in x && !('row' in x);

/** Column values of the attributes a change sets. */
export function attributeColumns(set: FacilityAttributes): Partial<FacilityRow> {
  const out: Record<string, unknown> = {};
  const direct: [keyof FacilityAttributes, string][] = [
    ['name', 'name'],
    ['type', 'type'],
    ['status', 'status'],
    ['grade', 'grade'],
    ['ownership', 'ownership'],
    ['runByLevel', 'run_by_level'],
    ['central', 'central'],
    ['beds', 'beds'],
    ['bedsPaediatric', 'beds_paediatric'],
    ['tcmHallLevel', 'tcm_hall_level'],
    ['tcmTechniqueCategories', 'tcm_technique_categories'],
    ['tcmTechniques', 'tcm_techniques'],
    ['providesDeliveries', 'provides_deliveries'],
  ];
  for (const [key, column] of direct) if (set[key] !== undefined) out[column] = set[key];
  if (typeof out.name === 'string') out.name = out.name.trim();
  if (set.grade !== undefined) out.grade_level = gradeLevel(set.grade as Grade | null);
  for (const [key, column] of Object.entries(STAFF_COLUMNS) as [keyof typeof STAFF_COLUMNS, string][]) {
    if (set.staff?.[key] !== undefined) out[column] = set.staff[key];
  }
  if (set.departments) out.departments = [...set.departments].sort();
  if (set.villagesServed) out.villages_served = [...set.villagesServed].sort();
  return out as Partial<FacilityRow>;
}

/** Checks of one effective row that do not need the database. */
function rowProblems(row: FacilityRow, field: string): Problem[] {
  const problems: Problem[] = [];
  if (row.central && row.type !== 'township_health_centre') {
    problems.push({ field: `${field}.central`, value: true, en: 'only a township health centre can be a central one (中心卫生院)', zh: '只有苏木乡镇卫生院才能是中心卫生院' });
  }
  if (row.beds !== null && row.beds_paediatric !== null && row.beds_paediatric > row.beds) {
    problems.push({ field: `${field}.bedsPaediatric`, value: row.beds_paediatric, en: `paediatric beds (${row.beds_paediatric}) exceed all beds (${row.beds})`, zh: `儿科床位数（${row.beds_paediatric}）超过总床位数（${row.beds}）` });
  }
  return problems;
}

/** Copy the unit's ancestor codes onto a facility row standing in it (as the table's trigger does). */
function placeIn(row: FacilityRow, unit: UnitRow): FacilityRow {
  return { ...row, unit_code: unit.code, league_code: unit.league_code, banner_code: unit.banner_code, township_code: unit.township_code };
}

const HALL_RANK: Record<string, number> = { standard: 1, quality: 2, demonstration: 3 };

function sumNullable(values: (number | null)[]): number | null {
  let sum: number | null = null;
  for (const v of values) if (v !== null && v !== undefined) sum = (sum ?? 0) + Number(v);
  return sum;
}

export const AMOUNT_COLUMNS = ['beds', 'beds_paediatric', ...Object.values(STAFF_COLUMNS)] as const;

/**
 * Apply a stored change. Returns the problems (nothing applied) or null.
 * `now` is the timestamp written to rows the change creates or updates.
 */
export function applyChange(state: ScenarioState, change: StoredChange, ref: ChangeRef, now: string): Problem[] | null {
  switch (change.kind) {
    case 'add_facility': {
      if (state.facility(change.facilityId)) return [{ field: 'facilityId', value: change.facilityId, en: `facility id ${change.facilityId} is already in use`, zh: `机构编号 ${change.facilityId} 已被使用` }];
      const unit = state.unit(change.unitCode);
      if (!unit) return [{ field: 'facility.unitCode', value: change.unitCode, en: `no administrative unit has the code ${change.unitCode}`, zh: `不存在代码为 ${change.unitCode} 的行政区划` }];
      const takenBy = state.addedCodes.get(change.code) ?? state.base.codes.get(change.code) ?? null;
      if (takenBy !== null && takenBy !== undefined) {
        return [{ field: 'facility.code', value: change.code, en: `the code ${change.code} is already used by facility ${takenBy}`, zh: `机构编码 ${change.code} 已被机构 ${takenBy} 使用` }];
      }
      const blank: FacilityRow = {
        id: change.facilityId,
        code: change.code,
        name: change.facility.name,
        type: change.facility.type,
        central: false,
        run_by_level: null,
        ownership: 'public',
        grade: null,
        grade_level: 0,
        status: 'open',
        unit_code: unit.code,
        league_code: null,
        banner_code: null,
        township_code: null,
        beds: null,
        beds_paediatric: null,
        departments: [],
        tcm_hall_level: null,
        tcm_technique_categories: null,
        tcm_techniques: null,
        provides_deliveries: null,
        villages_served: [],
        merged_into_id: null,
        synthetic: false,
        source: `情景 scenario ${ref.scenarioId}`,
        version: 1,
        created_at: now,
        updated_at: now,
      };
      for (const column of Object.values(STAFF_COLUMNS)) blank[column] = null;
      const row = placeIn({ ...blank, ...attributeColumns(change.facility) }, unit);
      const problems = rowProblems(row, 'facility');
      if (problems.length > 0) return problems;
      state.facilities.set(row.id, { row, lon: change.lon, lat: change.lat });
      state.addedCodes.set(row.code, row.id);
      return null;
    }
    case 'close_facility': {
      const f = liveFacility(state, change.facilityId, 'facilityId', ref);
      if (isProblem(f)) return [f];
      state.facilities.set(f.row.id, { ...f, row: { ...f.row, status: 'closed', updated_at: now } });
      state.closedBy.set(f.row.id, ref);
      return null;
    }
    case 'move_facility': {
      const f = liveFacility(state, change.facilityId, 'facilityId', ref);
      if (isProblem(f)) return [f];
      const unit = state.unit(change.unitCode);
      if (!unit) return [{ field: 'unitCode', value: change.unitCode, en: `no administrative unit has the code ${change.unitCode}`, zh: `不存在代码为 ${change.unitCode} 的行政区划` }];
      state.facilities.set(f.row.id, { row: placeIn({ ...f.row, updated_at: now }, unit), lon: change.lon, lat: change.lat });
      return null;
    }
    case 'update_facility': {
      const f = state.facility(change.facilityId);
      // A closed facility may be reopened by setting its status; anything else needs it open.
      const reopening = change.set.status !== undefined && f?.row.status === 'closed';
      const live = reopening ? f! : liveFacility(state, change.facilityId, 'facilityId', ref);
      if (isProblem(live)) {
        return [{ ...live, en: `${live.en}; to reopen it, set its status (open or planned)`, zh: `${live.zh}；如需重新启用，请设置其状态（open 或 planned）` }];
      }
      const row: FacilityRow = { ...live.row, ...attributeColumns(change.set), updated_at: now };
      if (reopening) row.merged_into_id = null;
      const problems = rowProblems(row, 'set');
      if (problems.length > 0) return problems;
      state.facilities.set(row.id, { ...live, row });
      if (reopening) state.closedBy.delete(row.id);
      return null;
    }
    case 'merge_facilities':
      return applyMerge(state, change, ref, now);
    case 'set_unit_population':
      return applyPopulation(state, change);
  }
}

function applyMerge(state: ScenarioState, change: StoredMerge, ref: ChangeRef, now: string): Problem[] | null {
  if (change.facilityIds.length === 0) {
    return [{ field: 'facilityIds', en: 'an empty merge: name the two or more facilities to merge', zh: '合并列表为空：请列出两所或以上要合并的机构' }];
  }
  const seen = new Set<number>();
  for (const id of change.facilityIds) {
    if (seen.has(id)) return [{ field: 'facilityIds', value: id, en: `facility ${id} is listed twice: a facility cannot be merged with itself`, zh: `机构 ${id} 重复出现：机构不能与自身合并` }];
    seen.add(id);
  }
  if (change.facilityIds.length < 2) {
    return [{ field: 'facilityIds', value: change.facilityIds, en: 'a merge needs at least two different facilities', zh: '合并至少需要两所不同的机构' }];
  }
  const members: Facility[] = [];
  const problems: Problem[] = [];
  change.facilityIds.forEach((id, i) => {
    const f = liveFacility(state, id, `facilityIds.${i}`, ref);
    if (isProblem(f)) problems.push(f);
    else members.push(f);
  });
  if (problems.length > 0) return problems;
  if (!seen.has(change.survivorId)) {
    return [{ field: 'survivorId', value: change.survivorId, en: `the survivor ${change.survivorId} must be one of the merged facilities (${change.facilityIds.join(', ')})`, zh: `保留机构 ${change.survivorId} 必须是参与合并的机构之一（${change.facilityIds.join('、')}）` }];
  }
  const types = [...new Set(members.map((m) => m.row.type))];
  if (types.length > 1 && !change.allowMixedTypes) {
    return [
      {
        field: 'facilityIds',
        value: members.map((m) => `${m.row.id}:${m.row.type}`),
        en: `the facilities are of different types (${members.map((m) => `${m.row.id} ${m.row.type}`).join(', ')}); set allowMixedTypes to merge them anyway (the survivor keeps its type)`,
        zh: `参与合并的机构类型不同（${members.map((m) => `${m.row.id} ${typeLabel(m.row.type)}`).join('、')}）；如确需合并，请设置 allowMixedTypes（保留机构沿用其类型）`,
      },
    ];
  }
  const survivor = members.find((m) => m.row.id === change.survivorId)!;
  const others = members.filter((m) => m !== survivor);
  let row: FacilityRow = { ...survivor.row, updated_at: now };
  for (const column of AMOUNT_COLUMNS) row[column] = sumNullable(members.map((m) => (m.row[column] as number | null) ?? null));
  row.departments = [...new Set(members.flatMap((m) => m.row.departments))].sort();
  const halls = members.map((m) => m.row.tcm_hall_level).filter((h): h is string => h !== null);
  row.tcm_hall_level = halls.length > 0 ? halls.reduce((a, b) => ((HALL_RANK[b] ?? 0) > (HALL_RANK[a] ?? 0) ? b : a)) : null;
  const maxOf = (column: string) => {
    const values = members.map((m) => m.row[column] as number | null).filter((v): v is number => v !== null);
    return values.length > 0 ? Math.max(...values) : null;
  };
  row.tcm_technique_categories = maxOf('tcm_technique_categories');
  row.tcm_techniques = maxOf('tcm_techniques');
  const deliveries = members.map((m) => m.row.provides_deliveries);
  row.provides_deliveries = deliveries.includes(true) ? true : deliveries.includes(false) ? false : null;
  row.central = members.some((m) => m.row.central) && row.type === 'township_health_centre';
  if (change.name) row.name = change.name.trim();
  let lon = survivor.lon;
  let lat = survivor.lat;
  if (change.site) {
    const unit = state.unit(change.site.unitCode);
    if (!unit) return [{ field: 'unitCode', value: change.site.unitCode, en: `no administrative unit has the code ${change.site.unitCode}`, zh: `不存在代码为 ${change.site.unitCode} 的行政区划` }];
    row = placeIn(row, unit);
    lon = change.site.lon;
    lat = change.site.lat;
  }
  // The merged clinic serves every village its members served, including the
  // villages the closed clinics stood in (a joint clinic, 002:25).
  const served = new Set(members.flatMap((m) => m.row.villages_served));
  for (const m of members) if (m.row.unit_code.length === 12) served.add(m.row.unit_code);
  served.delete(row.unit_code);
  row.villages_served = [...served].sort();
  state.facilities.set(row.id, { row, lon, lat });
  for (const m of others) {
    state.facilities.set(m.row.id, { ...m, row: { ...m.row, status: 'closed', merged_into_id: row.id, updated_at: now } });
    state.closedBy.set(m.row.id, ref);
  }
  return null;
}

/**
 * Largest-remainder rounding: values × factor as whole numbers whose sum is
 * round(Σ values × factor); ties go to the earlier value.
 */
export function apportion(values: readonly number[], factor: number): number[] {
  const exact = values.map((v) => v * factor);
  const floors = exact.map((v) => Math.floor(v + 1e-9));
  const target = Math.round(exact.reduce((a, b) => a + b, 0));
  let rest = target - floors.reduce((a, b) => a + b, 0);
  const order = exact.map((v, i) => ({ i, frac: v - floors[i]! })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; rest > 0 && k < order.length; k++, rest--) floors[order[k]!.i]! += 1;
  return floors;
}

/**
 * A unit's population (e.g. a projection): its descendants and its population
 * cells are scaled by the same factor (whole people, sums kept by
 * largest-remainder rounding), its ancestors change by the difference. The
 * other figures (urban, 0–14, 65+, births) follow the same factor unless given.
 */
function applyPopulation(state: ScenarioState, change: StoredPopulation): Problem[] | null {
  const unit = state.unit(change.unitCode);
  if (!unit) return [{ field: 'unitCode', value: change.unitCode, en: `no administrative unit has the code ${change.unitCode}`, zh: `不存在代码为 ${change.unitCode} 的行政区划` }];
  const old = unit.population;
  if (old === null || old <= 0) {
    return [
      {
        field: 'unitCode',
        value: change.unitCode,
        en: `${unit.name} (${unit.code}) has no population to scale from (${old === null ? 'unknown' : 0}); import its population first`,
        zh: `${unit.name}（${unit.code}）没有可据以换算的人口（${old === null ? '未知' : 0}）；请先导入其人口`,
      },
    ];
  }
  const given: Record<string, number | undefined> = { population_urban: change.populationUrban, pop_age_0_14: change.popAge0to14, pop_age_65_plus: change.popAge65Plus, births: change.births };
  const urban = change.populationUrban ?? (unit.population_urban === null ? null : Math.round(unit.population_urban * (change.population / old)));
  if (urban !== null && urban > change.population) {
    return [{ field: 'populationUrban', value: urban, en: `the urban population (${urban}) exceeds the population (${change.population})`, zh: `城镇人口（${urban}）超过常住人口（${change.population}）` }];
  }
  const factor = change.population / old;
  const subtree = state.base.subtrees.get(unit.code) ?? { units: [], cells: [] };
  const next: UnitRow = { ...unit, population: change.population };
  for (const column of SCALED) {
    const current = unit[column];
    next[column] = given[column] ?? (current === null ? null : Math.round(current * factor));
  }
  if (next.population_urban !== null && next.population_urban > change.population) next.population_urban = change.population;
  if (change.year !== undefined) next.population_year = change.year;
  if (change.source !== undefined) next.population_source = change.source;

  // Descendants: each group of siblings is scaled together, so their sums follow.
  const byParent = new Map<string, UnitRow[]>();
  for (const code of subtree.units) {
    const row = state.unit(code);
    if (!row || row.parent_code === null) continue;
    const list = byParent.get(row.parent_code) ?? [];
    list.push(row);
    byParent.set(row.parent_code, list);
  }
  const updated: UnitRow[] = [];
  for (const siblings of byParent.values()) {
    const rows = siblings.map((r) => ({ ...r }));
    for (const column of ['population', ...SCALED] as const) {
      const known = rows.filter((r) => r[column] !== null);
      const scaled = apportion(
        known.map((r) => r[column] as number),
        factor,
      );
      known.forEach((r, i) => (r[column] = scaled[i]!));
    }
    for (const r of rows) if (r.population_urban !== null && r.population !== null && r.population_urban > r.population) r.population_urban = r.population;
    updated.push(...rows);
  }
  // Ancestors: by the difference of each figure.
  const ancestors = [unit.township_code, unit.banner_code, unit.league_code, REGION].filter((c): c is string => c !== null && c !== unit.code);
  for (const code of ancestors) {
    const a = state.unit(code);
    if (!a) continue;
    const row = { ...a };
    for (const column of ['population', ...SCALED] as const) {
      const delta = (next[column] ?? 0) - (unit[column] ?? 0);
      if (row[column] !== null && delta !== 0) row[column] = Math.max(0, (row[column] as number) + delta);
    }
    updated.push(row);
  }
  // Cells: the whole subtree together, so that they still add up to the unit.
  const cells = subtree.cells.map((c) => state.cellPopulation(c.id, c.population));
  const scaledCells = apportion(cells, factor);
  subtree.cells.forEach((c, i) => {
    if (scaledCells[i] === c.population) state.cells.delete(c.id);
    else state.cells.set(c.id, scaledCells[i]!);
  });
  state.units.set(next.code, next);
  for (const row of updated) state.units.set(row.code, row);
  return null;
}
