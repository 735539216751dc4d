/** Pieces every built-in evaluator shares: unit applicability and row shapes. */
import { sql, type RawBuilder } from 'kysely';
import type { Level } from '../../domain/taxonomy.ts';
import type { RuleParams } from '../params.ts';
import { bi, fmt } from '../text.ts';
import type { Bilingual, ResultUnit, UnitCondition } from '../types.ts';

/** Columns of the unit every evaluator statement returns first. */
export interface UnitColumns {
  unit_code: string;
  unit_name: string;
  unit_level: Level;
  unit_kind: string | null;
  unit_urban: boolean;
  /** Kind of the parent unit (a village's township: 街道?). */
  parent_kind: string | null;
  parent_urban: boolean | null;
  population: number | null;
  league_code: string | null;
  banner_code: string | null;
  township_code: string | null;
  /** The shared result unit, when the row comes from a loaded unit (batch.ts#loadUnits). */
  ref?: ResultUnit | undefined;
}

/** The unit of a result; built once per unit and shared by all its rows (see batch.ts#loadUnits). */
export function unitRef(row: UnitColumns): ResultUnit {
  if (row.ref) return row.ref;
  return {
    code: row.unit_code,
    name: row.unit_name,
    level: row.unit_level,
    leagueCode: row.league_code,
    bannerCode: row.banner_code,
    townshipCode: row.township_code,
  };
}

/** PRC usage: 超过/不足 exclusive, 以上/以下 inclusive; the catalogue states the operator. */
export function compare(op: '>' | '>=' | '<' | '<=', a: number, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

const OP_ZH: Record<string, string> = { '>': '超过', '>=': '不少于', '<': '不足', '<=': '不超过' };

export function isStreet(kind: string | null, urban: boolean | null): boolean {
  return kind === '街道' || urban === true;
}

/** Urban community (社区) rather than an administrative village (嘎查村). */
export function isCommunity(row: UnitColumns): boolean {
  return row.unit_kind === '社区' || row.unit_urban || isStreet(row.parent_kind, row.parent_urban);
}

export type Applicability = { applicable: true } | { applicable: false; note: Bilingual } | { unknown: true; note: Bilingual };

// The notes that do not depend on the unit are made once (results are read-only).
const DISTRICTS_NEVER: Applicability = {
  applicable: false,
  note: bi('市辖区不按旗县计（规则集参数 districtsCountAsBanners）', 'urban districts are not counted as banners (rule-set parameter districtsCountAsBanners)'),
};
const DISTRICTS_NOT_NAMED: Applicability = {
  applicable: false,
  note: bi(
    '原文为“旗县（市）”，不含市辖区（规则集参数 districtsCountAsBanners）',
    'the text says 旗县（市）, which leaves out urban districts (rule-set parameter districtsCountAsBanners)',
  ),
};
const NOT_A_STREET: Applicability = { applicable: false, note: bi('非街道', 'not a street (街道)') };
const A_STREET: Applicability = {
  applicable: false,
  note: bi('街道：不设乡镇卫生院，规划社区卫生服务机构', 'a street (街道): community health services instead of a township health centre'),
};
const APPLICABLE: Applicability = { applicable: true };

/** Whether a unit falls under a rule's unit condition. */
export function unitApplicability(condition: UnitCondition | undefined, row: UnitColumns, params: RuleParams): Applicability {
  if (row.unit_level === 'banner' && row.unit_kind === '区') {
    const mode = params.districtsCountAsBanners;
    const named = condition?.districtsNamed ?? true;
    if (mode === 'never') return DISTRICTS_NEVER;
    if (mode === 'as_text' && !named) return DISTRICTS_NOT_NAMED;
  }
  if (condition?.street) {
    const street = isStreet(row.unit_kind, row.unit_urban);
    if (condition.street === 'only' && !street) return NOT_A_STREET;
    if (condition.street === 'exclude' && street) return A_STREET;
  }
  if (condition?.population) {
    const { op, value } = condition.population;
    if (row.population === null) {
      return { unknown: true, note: bi('缺少常住人口数据，无法判断是否适用', 'resident population is missing, so applicability cannot be decided') };
    }
    if (!compare(op, row.population, value)) {
      return {
        applicable: false,
        note: bi(
          `常住人口 ${fmt(row.population, 0)} 人，不满足“${OP_ZH[op]} ${fmt(value, 0)} 人”`,
          `resident population ${fmt(row.population, 0)} does not satisfy ${op} ${fmt(value, 0)}`,
        ),
      };
    }
  }
  return APPLICABLE;
}

/** SELECT list of the unit columns, from ctx.units aliased `u` joined to its parent `p`. */
export function unitSelect(): RawBuilder<unknown> {
  return sql`u.code AS unit_code, u.name AS unit_name, u.level AS unit_level, u.kind AS unit_kind, u.urban AS unit_urban,
    p.kind AS parent_kind, p.urban AS parent_urban, u.population AS population,
    u.league_code AS league_code, u.banner_code AS banner_code, u.township_code AS township_code`;
}

/** UNION ALL of one statement per level, ordered by unit code. */
export function unionByLevel(levels: readonly Level[], build: (level: Level) => RawBuilder<unknown>): RawBuilder<unknown> {
  const parts = levels.map((level) => sql`(${build(level)})`);
  return sql`SELECT * FROM (${sql.join(parts, sql` UNION ALL `)}) AS evaluated ORDER BY unit_level, unit_code`;
}
