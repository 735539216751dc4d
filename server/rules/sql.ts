/**
 * SQL building blocks shared by the evaluators. Everything here returns kysely
 * RawBuilders with bound values; identifiers come from typed constants (never
 * from input). Filters use SQL's three-valued logic on purpose: a NULL grade or
 * NULL "provides deliveries" makes a condition UNKNOWN, which the evaluators
 * report as `unknown` instead of silently counting it as false.
 */
import { sql, type RawBuilder } from 'kysely';
import { HOSPITAL_TYPES, type Level } from '../domain/taxonomy.ts';
import type { AmountColumn, FacilityFilter, FacilityRequirement, Jurisdiction } from './types.ts';
import type { RuleParams } from './params.ts';

export type Sql = RawBuilder<unknown>;

/** Column of a facility relation row, e.g. col('f', 'beds'). */
export function col(alias: string, column: string): Sql {
  return sql.ref(`${alias}.${column}`);
}

const TRUE = sql`TRUE`;

function and(parts: Sql[]): Sql {
  if (parts.length === 0) return TRUE;
  return sql`(${sql.join(parts, sql` AND `)})`;
}
function or(parts: Sql[]): Sql {
  if (parts.length === 0) return sql`FALSE`;
  return sql`(${sql.join(parts, sql` OR `)})`;
}

/** Facility statuses an evaluation counts. */
export function countedStatuses(params: RuleParams): string[] {
  return params.countPlannedFacilities ? ['open', 'planned'] : ['open'];
}

export function statusCondition(alias: string, params: RuleParams): Sql {
  return sql`${col(alias, 'status')} = ANY(${countedStatuses(params)}::text[])`;
}

/** A facility filter as a three-valued SQL condition. */
export function filterCondition(filter: FacilityFilter, alias = 'f'): Sql {
  const parts: Sql[] = [];
  if (filter.types?.length) parts.push(sql`${col(alias, 'type')} = ANY(${[...filter.types]}::text[])`);
  if (filter.ownership) parts.push(sql`${col(alias, 'ownership')} = ${filter.ownership}`);
  if (filter.runBy?.length) parts.push(sql`${col(alias, 'run_by_level')} = ANY(${[...filter.runBy]}::text[])`);
  if (filter.departmentsAny?.length) parts.push(sql`${col(alias, 'departments')} && ${[...filter.departmentsAny]}::text[]`);
  if (filter.departmentsAll?.length) parts.push(sql`${col(alias, 'departments')} @> ${[...filter.departmentsAll]}::text[]`);
  if (filter.gradeMin !== undefined) {
    // grade_level is 0 for a NULL grade; a NULL grade must stay unknown.
    parts.push(sql`CASE WHEN ${col(alias, 'grade')} IS NULL THEN NULL ELSE ${col(alias, 'grade_level')} >= ${filter.gradeMin} END`);
  }
  if (filter.grades?.length) parts.push(sql`${col(alias, 'grade')} = ANY(${[...filter.grades]}::text[])`);
  if (filter.providesDeliveries !== undefined) parts.push(sql`${col(alias, 'provides_deliveries')} = ${filter.providesDeliveries}`);
  if (filter.central !== undefined) parts.push(sql`${col(alias, 'central')} = ${filter.central}`);
  if (filter.hasTcmHall !== undefined) {
    parts.push(filter.hasTcmHall ? sql`${col(alias, 'tcm_hall_level')} IS NOT NULL` : sql`${col(alias, 'tcm_hall_level')} IS NULL`);
  }
  if (filter.anyOf?.length) parts.push(or(filter.anyOf.map((f) => filterCondition(f, alias))));
  return and(parts);
}

/** Σ of amount columns of one facility; NULL only when all of them are NULL. */
export function amount(columns: readonly AmountColumn[], alias = 'f'): Sql {
  const refs = columns.map((c) => col(alias, c));
  if (refs.length === 1) return refs[0]!;
  const allNull = and(refs.map((r) => sql`${r} IS NULL`));
  const total = sql.join(refs.map((r) => sql`COALESCE(${r}, 0)`), sql` + `);
  return sql`CASE WHEN ${allNull} THEN NULL ELSE ${total} END`;
}

/** A per-facility requirement as a three-valued condition. */
export function requirementCondition(req: FacilityRequirement, alias = 'f'): Sql {
  const parts: Sql[] = [];
  if (req.departmentsAll?.length) parts.push(sql`${col(alias, 'departments')} @> ${[...req.departmentsAll]}::text[]`);
  if (req.departmentsAny?.length) parts.push(sql`${col(alias, 'departments')} && ${[...req.departmentsAny]}::text[]`);
  if (req.hasTcmHall !== undefined) {
    parts.push(req.hasTcmHall ? sql`${col(alias, 'tcm_hall_level')} IS NOT NULL` : sql`${col(alias, 'tcm_hall_level')} IS NULL`);
  }
  for (const m of req.minimums ?? []) parts.push(sql`${amount(m.columns, alias)} >= ${m.min}`);
  if (req.anyMinimum?.length) parts.push(or(req.anyMinimum.map((m) => sql`${amount(m.columns, alias)} >= ${m.min}`)));
  return and(parts);
}

/** The code of the unit at `level` a facility (or cell) belongs to. */
export function unitKey(level: Level, alias = 'f'): Sql {
  switch (level) {
    case 'region':
      return sql`${REGION_CODE_SQL}`;
    case 'league':
      return col(alias, 'league_code');
    case 'banner':
      return col(alias, 'banner_code');
    case 'township':
      return col(alias, 'township_code');
    case 'village':
      // A facility standing directly in a township or banner unit belongs to no village.
      return sql`CASE WHEN length(${col(alias, 'unit_code')}) = 12 THEN ${col(alias, 'unit_code')} END`;
  }
}

/** The region's code: the one root of the hierarchy. */
const REGION_CODE_SQL = sql`'150000'`;
export const REGION_CODE = '150000';

/** Where an evaluation is restricted to. */
export interface ResolvedScope {
  /** Root of the subtree (the region for a full evaluation). */
  root: { code: string; level: Level };
  /** Optional explicit list of units to (re-)evaluate, e.g. the units a scenario change touches. */
  units?: readonly string[];
}

function ancestorColumnOf(level: Level): string | null {
  switch (level) {
    case 'league':
      return 'league_code';
    case 'banner':
      return 'banner_code';
    case 'township':
      return 'township_code';
    default:
      return null;
  }
}

/** Units (rows of ctx.units aliased `alias`) inside the scope. */
export function unitInScope(scope: ResolvedScope, alias = 'u'): Sql {
  const parts: Sql[] = [];
  const { code, level } = scope.root;
  if (level === 'village') parts.push(sql`${col(alias, 'code')} = ${code}`);
  else if (level !== 'region') parts.push(sql`${col(alias, ancestorColumnOf(level)!)} = ${code}`);
  if (scope.units) parts.push(sql`${col(alias, 'code')} = ANY(${[...scope.units]}::text[])`);
  return and(parts);
}

/**
 * Facilities that can count for units at `level` inside the scope. For a subtree
 * evaluation at a level above the subtree root (a league rule while looking at a
 * banner) the rule produces no rows, so no facility is needed.
 */
export function facilityInScope(scope: ResolvedScope, level: Level, alias = 'f'): Sql {
  const parts: Sql[] = [];
  const { code, level: rootLevel } = scope.root;
  if (rootLevel === 'village') parts.push(sql`${col(alias, 'unit_code')} = ${code}`);
  else if (rootLevel !== 'region') parts.push(sql`${col(alias, ancestorColumnOf(rootLevel)!)} = ${code}`);
  if (scope.units) parts.push(sql`${unitKey(level, alias)} = ANY(${[...scope.units]}::text[])`);
  return and(parts);
}

/** Units or facilities inside a rule's jurisdiction (Aohan Banner's own plan …). */
export function inJurisdiction(jurisdiction: Jurisdiction | undefined, alias: string, isUnit: boolean): Sql {
  if (!jurisdiction || jurisdiction.level === 'region') return TRUE;
  if (jurisdiction.level === 'village') return sql`${col(alias, isUnit ? 'code' : 'unit_code')} = ${jurisdiction.code}`;
  return sql`${col(alias, ancestorColumnOf(jurisdiction.level)!)} = ${jurisdiction.code}`;
}

/** Levels ordered from the top. */
export const LEVEL_DEPTH: Record<Level, number> = { region: 0, league: 1, banner: 2, township: 3, village: 4 };

/** Does a rule at `level` produce rows inside a scope rooted at `root`? */
export function levelInScope(level: Level, root: Level): boolean {
  return LEVEL_DEPTH[level] >= LEVEL_DEPTH[root];
}

/** A capped JSON list of facilities, ordered by id, as `[{id, code, name, value?}]`. */
export function facilityItems(alias: string, options: { where?: Sql; value?: Sql; order?: Sql; cap?: number } = {}): Sql {
  const { where, value, order, cap = ITEM_CAP } = options;
  const obj = value
    ? sql`json_build_object('id', ${col(alias, 'id')}, 'code', ${col(alias, 'code')}, 'name', ${col(alias, 'name')}, 'value', ${value})`
    : sql`json_build_object('id', ${col(alias, 'id')}, 'code', ${col(alias, 'code')}, 'name', ${col(alias, 'name')})`;
  const agg = sql`array_agg(${obj} ORDER BY ${order ?? col(alias, 'id')})`;
  const filtered = where ? sql`${agg} FILTER (WHERE ${where})` : agg;
  return sql`COALESCE(array_to_json((${filtered})[1:${sql.lit(cap)}]), '[]'::json)`;
}

/** Items listed per (rule, unit) before the list is capped. */
export const ITEM_CAP = 25;

export { HOSPITAL_TYPES };
