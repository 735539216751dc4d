/**
 * Facility requirements: every facility a rule applies to meets a requirement
 * (a department, a TCM hall, a staff minimum). Reported per unit of the rule's
 * level with the facilities that fail listed.
 *
 * Per facility, with A = applies (three-valued) and R = meets the requirement:
 * pass when R is true (and A is not false), fail when A and not R, otherwise
 * unknown (a NULL grade, NULL deliveries or NULL staff counts). A unit fails
 * when any facility fails, is unknown when any is unknown, passes when at least
 * one applies and all pass, and is not applicable when none applies.
 *
 * Facilities standing above the rule's level (a township health centre recorded
 * at its banner) are reported on the unit they stand in, so none is lost.
 */
import { sql } from 'kysely';
import type { Level } from '../../domain/taxonomy.ts';
import type { EvaluatedRow, EvaluatorInput, RuleEvaluator } from '../registry.ts';
import { facilityInScope, facilityItems, filterCondition, inJurisdiction, LEVEL_DEPTH, requirementCondition, statusCondition, unitInScope, unitKey, type Sql } from '../sql.ts';
import { bi, EMPTY_LIST, listOf, mergeLists, resultTarget, UNITS } from '../text.ts';
import type { FacilityRequirementSpec, RuleDefinition, TargetByYear } from '../types.ts';
import { unionByLevel, unitRef, unitSelect, type UnitColumns } from './common.ts';

export interface RequirementRow extends UnitColumns {
  applicable: number | null;
  passing: number | null;
  failing: number | null;
  unknown: number | null;
  fail_items: { id: number; code: string; name: string }[] | null;
  unknown_items: { id: number; code: string; name: string }[] | null;
}

/** The unit a facility reports to: its unit at `level`, else the nearest enclosing one. */
function reportingKey(level: Level, alias: string): Sql {
  const chain: Level[] = (['village', 'township', 'banner', 'league'] as Level[]).filter((l) => LEVEL_DEPTH[l] <= LEVEL_DEPTH[level]);
  return sql`COALESCE(${sql.join(chain.map((l) => unitKey(l, alias)))}, ${unitKey('region', alias)})`;
}

/** Per-facility aggregates of a requirement, grouped by reporting unit. */
export function requirementAggregates(
  input: EvaluatorInput<{ appliesTo: FacilityRequirementSpec['appliesTo']; requirement: FacilityRequirementSpec['requirement'] }>,
  level: Level,
  options: { strictLevel: boolean },
): Sql {
  const { ctx, rule, params, scope } = input;
  const applies = filterCondition(rule.spec.appliesTo, 'f');
  const meets = requirementCondition(rule.spec.requirement, 'f');
  const fails = sql`(${applies}) IS TRUE AND (${meets}) IS FALSE`;
  const passes = sql`(${meets}) IS TRUE`;
  const unknown = sql`NOT (${passes}) AND NOT (${fails})`;
  return sql`
    SELECT ${options.strictLevel ? unitKey(level, 'f') : reportingKey(level, 'f')} AS unit_code,
      count(*) FILTER (WHERE (${applies}) IS TRUE) AS applicable,
      count(*) FILTER (WHERE ${passes}) AS passing,
      count(*) FILTER (WHERE ${fails}) AS failing,
      count(*) FILTER (WHERE ${unknown}) AS unknown,
      ${facilityItems('f', { where: fails })} AS fail_items,
      ${facilityItems('f', { where: unknown })} AS unknown_items
    FROM ${ctx.facilities} AS f
    WHERE ${statusCondition('f', params.rules)}
      AND ${facilityInScope(scope, level, 'f')}
      AND ${inJurisdiction(rule.jurisdiction, 'f', false)}
      AND (${applies}) IS NOT FALSE
    GROUP BY 1`;
}

export function compileRequirement(input: EvaluatorInput<FacilityRequirementSpec>) {
  const { ctx, rule, scope, levels } = input;
  return unionByLevel(levels, (level) => sql`
    WITH m AS (${requirementAggregates(input, level, { strictLevel: false })})
    SELECT ${unitSelect()},
      COALESCE(m.applicable, 0) AS applicable, COALESCE(m.passing, 0) AS passing,
      COALESCE(m.failing, 0) AS failing, COALESCE(m.unknown, 0) AS unknown,
      m.fail_items, m.unknown_items
    FROM ${ctx.units} AS u
    LEFT JOIN ${ctx.units} AS p ON p.code = u.parent_code
    LEFT JOIN m ON m.unit_code = u.code
    WHERE (u.level = ${level} OR m.unit_code IS NOT NULL)
      AND ${unitInScope(scope, 'u')} AND ${inJurisdiction(rule.jurisdiction, 'u', true)}`);
}

export function judgeRequirement(rule: RuleDefinition<string, FacilityRequirementSpec>, row: RequirementRow, target: TargetByYear): EvaluatedRow {
  const applicable = Number(row.applicable ?? 0);
  const passing = Number(row.passing ?? 0);
  const failing = Number(row.failing ?? 0);
  const unknown = Number(row.unknown ?? 0);
  const { counted, requirement } = rule.spec;
  const considered = passing + failing + unknown;
  const measured = {
    value: passing,
    unit: UNITS.facility,
    text: bi(`${passing}/${considered} 所${counted.zh}达到要求`, `${passing} of ${considered} ${counted.en} meet the requirement`),
  };
  const tgt = resultTarget(target, bi(`所有${counted.zh}达到要求`, `every ${counted.en} meets it`));
  const facilities = mergeLists(listOf(row.fail_items, failing, 'fails'), listOf(row.unknown_items, unknown, 'unknown'));
  const facts = { applicable, passing, failing, unknown };
  const base = { unit: unitRef(row), measured, target: tgt, facts, facilities, villages: EMPTY_LIST };
  if (failing > 0) {
    return {
      ...base,
      status: 'fail',
      shortfall: {
        value: failing,
        unit: UNITS.facility,
        text: bi(`${failing} 所${counted.zh}${requirement.missing.zh}`, `${failing} ${counted.en}: ${requirement.missing.en}`),
      },
      notes: unknown > 0 ? [bi(`另有 ${unknown} 所数据不全`, `${unknown} more with incomplete data`)] : [],
    };
  }
  if (unknown > 0) {
    return { ...base, status: 'unknown', shortfall: null, notes: [bi(`${unknown} 所机构缺少判断所需数据`, `${unknown} facilities lack the data needed to decide`)] };
  }
  if (considered === 0) {
    return { ...base, status: 'not_applicable', shortfall: null, notes: [bi(`本单位没有${counted.zh}`, `no ${counted.en} in this unit`)] };
  }
  return { ...base, status: 'pass', shortfall: null, notes: [] };
}

export const facilityRequirement: RuleEvaluator<FacilityRequirementSpec> = {
  kind: 'facility_requirement',
  label: bi('机构设置要求', 'Facility requirement'),
  description: bi('每所符合条件的机构均满足要求（科室、中医馆、人员下限）；列出未达到的机构', 'Every matching facility meets a requirement; the failing facilities are listed'),
  compile: compileRequirement,
  async evaluate(input) {
    const { rows } = await compileRequirement(input).execute(input.ctx.db);
    return (rows as RequirementRow[]).map((row) => judgeRequirement(input.rule, row, input.target));
  },
};
