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
import type { EvaluatedRow, EvaluatorInput, RuleEvaluator } from '../registry.ts';
import { filterCondition, requirementCondition, type Sql } from '../sql.ts';
import { bi, EMPTY_LIST, listOf, mergeLists, NO_NOTES, perRule, resultTarget, UNITS } from '../text.ts';
import type { FacilityRequirementSpec, RuleDefinition, TargetByYear } from '../types.ts';
import { unitRef, type UnitColumns } from './common.ts';
import { compileBatch, facilityInJurisdiction, itemsWhere, list, name, num, ref, runBatch, type BatchKind, type Measure } from './batch.ts';

export interface RequirementRow extends UnitColumns {
  applicable: number | null;
  passing: number | null;
  failing: number | null;
  unknown: number | null;
  fail_items: { id: number; code: string; name: string }[] | null;
  unknown_items: { id: number; code: string; name: string }[] | null;
}

/** Per-facility applicability (a) and requirement (r), three-valued, of a rule with appliesTo + requirement. */
export function flagColumns(input: EvaluatorInput<Pick<FacilityRequirementSpec, 'appliesTo' | 'requirement'>>, p: string): [string, Sql][] {
  const juris = facilityInJurisdiction(input.rule.jurisdiction);
  return [
    [name(p, 'a'), sql`CASE WHEN ${juris} THEN ${filterCondition(input.rule.spec.appliesTo, 'f')} ELSE FALSE END`],
    [name(p, 'r'), requirementCondition(input.rule.spec.requirement, 'f')],
  ];
}

function requirementMeasure(input: EvaluatorInput<FacilityRequirementSpec>, p: string): Measure {
  const a = ref(p, 'a');
  const r = ref(p, 'r');
  const passes = sql`${a} IS NOT FALSE AND ${r} IS TRUE`;
  const fails = sql`${a} IS TRUE AND ${r} IS FALSE`;
  const unknown = sql`${a} IS NOT FALSE AND NOT (${r} IS TRUE) AND NOT (${fails})`;
  return {
    columns: flagColumns(input, p),
    relevant: sql`${a} IS NOT FALSE`,
    aggregates: [
      [name(p, 'applicable'), sql`count(*) FILTER (WHERE ${a} IS TRUE)`],
      [name(p, 'passing'), sql`count(*) FILTER (WHERE ${passes})`],
      [name(p, 'failing'), sql`count(*) FILTER (WHERE ${fails})`],
      [name(p, 'unknown'), sql`count(*) FILTER (WHERE ${unknown})`],
      [name(p, 'fail_items'), itemsWhere(fails)],
      [name(p, 'unknown_items'), itemsWhere(unknown)],
    ],
  };
}

export const requirementBatch: BatchKind<FacilityRequirementSpec> = {
  measure: requirementMeasure,
  reportsOrphans: true,
  hasFacilities: (agg, p) => num(agg, name(p, 'passing')) + num(agg, name(p, 'failing')) + num(agg, name(p, 'unknown')) > 0,
  judge(input, unit, agg, p) {
    const row: RequirementRow = {
      // Field by field: an object spread costs more than the judgement (batch.ts).
      unit_code: unit.unit_code,
      unit_name: unit.unit_name,
      unit_level: unit.unit_level,
      unit_kind: unit.unit_kind,
      unit_urban: unit.unit_urban,
      parent_kind: unit.parent_kind,
      parent_urban: unit.parent_urban,
      population: unit.population,
      league_code: unit.league_code,
      banner_code: unit.banner_code,
      township_code: unit.township_code,
      ref: unit.ref,
      applicable: num(agg, name(p, 'applicable')),
      passing: num(agg, name(p, 'passing')),
      failing: num(agg, name(p, 'failing')),
      unknown: num(agg, name(p, 'unknown')),
      fail_items: list(agg, name(p, 'fail_items')),
      unknown_items: list(agg, name(p, 'unknown_items')),
    };
    return judgeRequirement(input.rule, row, input.target);
  },
};

export const compileRequirement = (inputs: EvaluatorInput<FacilityRequirementSpec>[]) => compileBatch(inputs, requirementBatch);

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
  const tgt = perRule(rule, `target:${target.year}`, () => resultTarget(target, bi(`所有${counted.zh}达到要求`, `every ${counted.en} meets it`)));
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
      notes: unknown > 0 ? [bi(`另有 ${unknown} 所数据不全`, `${unknown} more with incomplete data`)] : NO_NOTES,
    };
  }
  if (unknown > 0) {
    return { ...base, status: 'unknown', shortfall: null, notes: [bi(`${unknown} 所机构缺少判断所需数据`, `${unknown} facilities lack the data needed to decide`)] };
  }
  if (considered === 0) {
    const none = perRule(rule, 'none-here', () => [bi(`本单位没有${counted.zh}`, `no ${counted.en} in this unit`)]);
    return { ...base, status: 'not_applicable', shortfall: null, notes: none };
  }
  return { ...base, status: 'pass', shortfall: null, notes: NO_NOTES };
}

export const facilityRequirement: RuleEvaluator<FacilityRequirementSpec> = {
  kind: 'facility_requirement',
  label: bi('机构设置要求', 'Facility requirement'),
  description: bi('每所符合条件的机构均满足要求（科室、中医馆、人员下限）；列出未达到的机构', 'Every matching facility meets a requirement; the failing facilities are listed'),
  compile: compileRequirement,
  evaluateMany: (inputs) => runBatch(inputs, requirementBatch),
  batch: requirementBatch,
  async evaluate(input) {
    return (await runBatch([input], requirementBatch))[0]!;
  },
};
