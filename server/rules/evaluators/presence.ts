/**
 * Presence rules: ≥ n matching facilities in each unit of a level, optionally
 * only where the unit's population satisfies a threshold (000:694-698: a banner
 * of > 300,000 needs a public hospital with a psychiatric ward, one of ≤ 300,000
 * a banner-level public hospital with a psychiatry clinic).
 *
 * One statement: units of the level LEFT JOIN facility counts grouped by the
 * ancestor column of that level. A facility whose filter is UNKNOWN (NULL grade,
 * run-by level …) is counted as "maybe": if only maybes could reach n, the unit
 * is `unknown`, never `pass`.
 */
import { sql } from 'kysely';
import type { EvaluatedRow, EvaluatorInput, RuleEvaluator } from '../registry.ts';
import type { RuleParams } from '../params.ts';
import { facilityInScope, facilityItems, filterCondition, inJurisdiction, statusCondition, unitInScope, unitKey } from '../sql.ts';
import { bi, EMPTY_LIST, listOf, mergeLists, resultTarget, UNITS } from '../text.ts';
import type { PresenceSpec, RuleDefinition, TargetByYear } from '../types.ts';
import { unionByLevel, unitApplicability, unitRef, unitSelect, type UnitColumns } from './common.ts';

export interface PresenceRow extends UnitColumns {
  found: number | null;
  maybe: number | null;
  items: { id: number; code: string; name: string }[] | null;
  maybe_items: { id: number; code: string; name: string }[] | null;
  fallback_found: number | null;
  fallback_items: { id: number; code: string; name: string }[] | null;
}

/** The spec with rule-set parameters applied (e.g. psychWardCountsAsClinic widens the clinic filter). */
export function effectiveSpec(rule: RuleDefinition<string, PresenceSpec>, params: RuleParams): PresenceSpec {
  const spec = rule.spec;
  if (spec.paramAlternative && params[spec.paramAlternative.param] === true) {
    return { ...spec, filter: { anyOf: [spec.filter, spec.paramAlternative.filter] } };
  }
  return spec;
}

export function compilePresence(input: EvaluatorInput<PresenceSpec>) {
  const { ctx, rule, params, scope, levels } = input;
  const spec = effectiveSpec(rule, params.rules);
  const matches = filterCondition(spec.filter, 'f');
  const fallback = spec.fallback ? filterCondition(spec.fallback.filter, 'f') : sql`FALSE`;
  return unionByLevel(levels, (level) => sql`
    SELECT ${unitSelect()},
      COALESCE(m.found, 0) AS found, COALESCE(m.maybe, 0) AS maybe, m.items, m.maybe_items,
      COALESCE(m.fallback_found, 0) AS fallback_found, m.fallback_items
    FROM ${ctx.units} AS u
    LEFT JOIN ${ctx.units} AS p ON p.code = u.parent_code
    LEFT JOIN (
      SELECT ${unitKey(level, 'f')} AS unit_code,
        count(*) FILTER (WHERE ${matches}) AS found,
        count(*) FILTER (WHERE (${matches}) IS NULL) AS maybe,
        ${facilityItems('f', { where: matches })} AS items,
        ${facilityItems('f', { where: sql`(${matches}) IS NULL` })} AS maybe_items,
        count(*) FILTER (WHERE ${fallback}) AS fallback_found,
        ${facilityItems('f', { where: fallback })} AS fallback_items
      FROM ${ctx.facilities} AS f
      WHERE ${statusCondition('f', params.rules)}
        AND ${facilityInScope(scope, level, 'f')}
        AND ${inJurisdiction(rule.jurisdiction, 'f', false)}
        AND ((${matches}) IS NOT FALSE OR (${fallback}) IS TRUE)
      GROUP BY 1
    ) AS m ON m.unit_code = u.code
    WHERE u.level = ${level} AND ${unitInScope(scope, 'u')} AND ${inJurisdiction(rule.jurisdiction, 'u', true)}`);
}

/** Pure: the status and wording of one unit's row. */
export function judgePresence(rule: RuleDefinition<string, PresenceSpec>, row: PresenceRow, target: TargetByYear, params: RuleParams): EvaluatedRow {
  const spec = effectiveSpec(rule, params);
  const found = Number(row.found ?? 0);
  const maybe = Number(row.maybe ?? 0);
  const fallbackFound = Number(row.fallback_found ?? 0);
  const counted = spec.counted;
  const measured = {
    value: found,
    unit: UNITS.facility,
    text: bi(`${found} 所${counted.zh}`, `${found} ${counted.en}`),
  };
  const tgt = resultTarget({ ...target, min: spec.min }, bi(`≥ ${spec.min} 所${counted.zh}`, `≥ ${spec.min} ${counted.en}`));
  const facilities = mergeLists(
    listOf(row.items, found, 'counted'),
    listOf(row.maybe_items, maybe, 'unknown'),
    listOf(row.fallback_items, fallbackFound, 'fallback'),
  );
  const facts = { population: row.population, found, maybe, required: spec.min, fallbackFound };
  const base = { unit: unitRef(row), measured, target: tgt, facts, facilities, villages: EMPTY_LIST };

  const applicability = unitApplicability(spec.unit, row, params);
  if ('unknown' in applicability) return { ...base, status: 'unknown', shortfall: null, notes: [applicability.note] };
  if (!applicability.applicable) return { ...base, status: 'not_applicable', shortfall: null, notes: [applicability.note] };

  if (found >= spec.min) return { ...base, status: 'pass', shortfall: null, notes: [] };
  if (spec.fallback && fallbackFound >= 1) {
    return {
      ...base,
      status: 'pass',
      shortfall: null,
      notes: [bi(`以${spec.fallback.counted.zh}代替（原文允许“可以”设置）`, `met by the fallback the text allows (可): ${spec.fallback.counted.en}`)],
    };
  }
  if (found + maybe >= spec.min) {
    return {
      ...base,
      status: 'unknown',
      shortfall: null,
      notes: [bi(`${maybe} 所机构缺少等级、举办层级或科室数据，无法判断`, `${maybe} facilities lack grade, run-by level or other data needed to decide`)],
    };
  }
  const missing = spec.min - found;
  return {
    ...base,
    status: 'fail',
    shortfall: {
      value: missing,
      unit: UNITS.facility,
      text: bi(`缺 ${missing} 所${counted.zh}`, `short of ${missing} ${counted.en}`),
    },
    notes: maybe > 0 ? [bi(`另有 ${maybe} 所机构数据不全`, `${maybe} more facilities have incomplete data`)] : [],
  };
}

async function evaluate(input: EvaluatorInput<PresenceSpec>): Promise<EvaluatedRow[]> {
  const { rows } = await compilePresence(input).execute(input.ctx.db);
  return (rows as PresenceRow[]).map((row) => judgePresence(input.rule, row, input.target, input.params.rules));
}

function validate(rule: RuleDefinition<string, PresenceSpec>) {
  if (!(rule.spec.min >= 1)) throw new Error(`rule ${rule.id}: min must be ≥ 1`);
}

export const presenceByPopulation: RuleEvaluator<PresenceSpec> = {
  kind: 'presence_by_population',
  label: bi('按人口规模设置', 'Presence by population threshold'),
  description: bi(
    '常住人口满足条件的单位内，符合条件的机构数量不少于 n 所',
    'Units whose population satisfies a threshold have at least n matching facilities',
  ),
  validate(rule) {
    validate(rule);
    if (!rule.spec.unit?.population) throw new Error(`rule ${rule.id}: presence_by_population needs a population condition`);
  },
  compile: compilePresence,
  evaluate,
};

export const presencePerUnit: RuleEvaluator<PresenceSpec> = {
  kind: 'presence_per_unit',
  label: bi('每个单位设置', 'Presence per unit'),
  description: bi('每个该级单位内符合条件的机构不少于 n 所', 'Every unit of a level has at least n matching facilities'),
  validate,
  compile: compilePresence,
  evaluate,
};
