/**
 * Presence rules: ≥ n matching facilities in each unit of a level, optionally
 * only where the unit's population satisfies a threshold (000:694-698: a banner
 * of > 300,000 needs a public hospital with a psychiatric ward, one of ≤ 300,000
 * a banner-level public hospital with a psychiatry clinic).
 *
 * All presence rules of an evaluation are one statement (batch.ts): the
 * facilities in scope are scanned once and counted per unit of every level. A
 * facility whose filter is UNKNOWN (NULL grade, run-by level …) is counted as
 * "maybe": if only maybes could reach n, the unit is `unknown`, never `pass`.
 */
import { sql } from 'kysely';
import type { EvaluatedRow, EvaluatorInput, RuleEvaluator } from '../registry.ts';
import type { RuleParams } from '../params.ts';
import { filterCondition } from '../sql.ts';
import { bi, EMPTY_LIST, listOf, mergeLists, NO_NOTES, perRule, resultTarget, UNITS } from '../text.ts';
import type { PresenceSpec, RuleDefinition, TargetByYear } from '../types.ts';
import { unitApplicability, unitRef, type UnitColumns } from './common.ts';
import { compileBatch, facilityInJurisdiction, itemsWhere, list, name, num, ref, runBatch, type BatchKind, type Measure } from './batch.ts';

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

/** Per-facility condition (matches / fallback, three-valued) and per-unit counts of one rule. */
function presenceMeasure(input: EvaluatorInput<PresenceSpec>, p: string): Measure {
  const spec = effectiveSpec(input.rule, input.params.rules);
  const juris = facilityInJurisdiction(input.rule.jurisdiction);
  const matches = sql`CASE WHEN ${juris} THEN ${filterCondition(spec.filter, 'f')} ELSE FALSE END`;
  const fallback = spec.fallback ? sql`(${juris} AND ${filterCondition(spec.fallback.filter, 'f')}) IS TRUE` : sql`FALSE`;
  const m = ref(p, 'm');
  const fb = ref(p, 'fb');
  return {
    columns: [
      [name(p, 'm'), matches],
      [name(p, 'fb'), fallback],
    ],
    relevant: sql`${m} IS NOT FALSE OR ${fb}`,
    aggregates: [
      [name(p, 'found'), sql`count(*) FILTER (WHERE ${m})`],
      [name(p, 'maybe'), sql`count(*) FILTER (WHERE ${m} IS NULL)`],
      [name(p, 'items'), itemsWhere(sql`${m}`)],
      [name(p, 'maybe_items'), itemsWhere(sql`${m} IS NULL`)],
      [name(p, 'fallback_found'), sql`count(*) FILTER (WHERE ${fb})`],
      [name(p, 'fallback_items'), itemsWhere(sql`${fb}`)],
    ],
  };
}

export const presenceBatch: BatchKind<PresenceSpec> = {
  measure: presenceMeasure,
  judge(input, unit, agg, p) {
    const row: PresenceRow = {
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
      found: num(agg, name(p, 'found')),
      maybe: num(agg, name(p, 'maybe')),
      items: list(agg, name(p, 'items')),
      maybe_items: list(agg, name(p, 'maybe_items')),
      fallback_found: num(agg, name(p, 'fallback_found')),
      fallback_items: list(agg, name(p, 'fallback_items')),
    };
    return judgePresence(input.rule, row, input.target, input.params.rules);
  },
};

export const compilePresence = (inputs: EvaluatorInput<PresenceSpec>[]) => compileBatch(inputs, presenceBatch);

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
  const tgt = perRule(rule, `target:${target.year}:${params.psychWardCountsAsClinic}`, () =>
    resultTarget({ ...target, min: spec.min }, bi(`≥ ${spec.min} 所${counted.zh}`, `≥ ${spec.min} ${counted.en}`)),
  );
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

  if (found >= spec.min) return { ...base, status: 'pass', shortfall: null, notes: NO_NOTES };
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
    notes: maybe > 0 ? [bi(`另有 ${maybe} 所机构数据不全`, `${maybe} more facilities have incomplete data`)] : NO_NOTES,
  };
}

const evaluateMany = (inputs: EvaluatorInput<PresenceSpec>[]) => runBatch(inputs, presenceBatch);
const evaluate = async (input: EvaluatorInput<PresenceSpec>) => (await evaluateMany([input]))[0]!;

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
  evaluateMany,
  batch: presenceBatch,
};

export const presencePerUnit: RuleEvaluator<PresenceSpec> = {
  kind: 'presence_per_unit',
  label: bi('每个单位设置', 'Presence per unit'),
  description: bi('每个该级单位内符合条件的机构不少于 n 所', 'Every unit of a level has at least n matching facilities'),
  validate,
  compile: compilePresence,
  evaluate,
  evaluateMany,
  batch: presenceBatch,
};
