/**
 * Share of facilities: at least p % of the facilities a rule applies to meet a
 * requirement (000:814-816: 50 % of grade-≥2 general hospitals have geriatrics;
 * 004: 80 % of village clinics do 4 categories / 6 techniques).
 *
 * Facilities with unknown data (NULL counts or grade) are kept apart: the share
 * is bounded by counting them all as failing (lower bound) and all as passing
 * (upper bound). Pass only when the lower bound reaches the target, fail only
 * when the upper bound misses it, unknown otherwise.
 */
import { sql } from 'kysely';
import type { EvaluatedRow, EvaluatorInput, RuleEvaluator } from '../registry.ts';
import { flagColumns } from './facilityRequirement.ts';
import { compileBatch, itemsWhere, list, name, num, ref, runBatch, type BatchKind, type Measure } from './batch.ts';
import { bi, EMPTY_LIST, fmt, listOf, mergeLists, NO_NOTES, perRule, resultTarget, round, UNITS } from '../text.ts';
import type { RuleDefinition, ShareSpec, TargetByYear } from '../types.ts';
import { unitApplicability, unitRef, type UnitColumns } from './common.ts';
import type { RuleParams } from '../params.ts';

export interface ShareRow extends UnitColumns {
  members_passing: number | null;
  failing: number | null;
  undecided: number | null;
  fail_items: { id: number; code: string; name: string }[] | null;
  unknown_items: { id: number; code: string; name: string }[] | null;
}

function shareMeasure(input: EvaluatorInput<ShareSpec>, p: string): Measure {
  const a = ref(p, 'a');
  const r = ref(p, 'r');
  const memberPasses = sql`${a} IS TRUE AND ${r} IS TRUE`;
  const fails = sql`${a} IS TRUE AND ${r} IS FALSE`;
  const undecided = sql`${a} IS NOT FALSE AND NOT (${memberPasses}) AND NOT (${fails})`;
  return {
    columns: flagColumns(input, p),
    relevant: sql`${a} IS NOT FALSE`,
    aggregates: [
      [name(p, 'members_passing'), sql`count(*) FILTER (WHERE ${memberPasses})`],
      [name(p, 'failing'), sql`count(*) FILTER (WHERE ${fails})`],
      [name(p, 'undecided'), sql`count(*) FILTER (WHERE ${undecided})`],
      [name(p, 'fail_items'), itemsWhere(fails)],
      [name(p, 'unknown_items'), itemsWhere(undecided)],
    ],
  };
}

export const shareBatch: BatchKind<ShareSpec> = {
  measure: shareMeasure,
  judge(input, unit, agg, p) {
    const row: ShareRow = {
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
      members_passing: num(agg, name(p, 'members_passing')),
      failing: num(agg, name(p, 'failing')),
      undecided: num(agg, name(p, 'undecided')),
      fail_items: list(agg, name(p, 'fail_items')),
      unknown_items: list(agg, name(p, 'unknown_items')),
    };
    return judgeShare(input.rule, row, input.target, input.params.rules);
  },
};

export const compileShare = (inputs: EvaluatorInput<ShareSpec>[]) => compileBatch(inputs, shareBatch);

/** Facilities that must additionally meet the requirement for `passing` of `total` to reach `percent` %. */
export function facilitiesShort(passing: number, total: number, percent: number): number {
  return Math.max(0, Math.ceil((percent * total - 100 * passing) / 100));
}

export function judgeShare(rule: RuleDefinition<string, ShareSpec>, row: ShareRow, target: TargetByYear, params: RuleParams): EvaluatedRow {
  const p = Number(row.members_passing ?? 0);
  const f = Number(row.failing ?? 0);
  const u = Number(row.undecided ?? 0);
  const n = p + f + u;
  const { percent, counted, requirement } = rule.spec;
  const known = p + f;
  const share = known > 0 ? (100 * p) / known : null;
  const measured = {
    value: share === null ? null : round(share, 2),
    unit: UNITS.percent,
    text:
      share === null
        ? bi(`没有可判断的${counted.zh}`, `no ${counted.en} with known data`)
        : bi(`${p}/${known} 所${counted.zh}达到要求（${fmt(share, 1)}%）`, `${p} of ${known} ${counted.en} meet it (${fmt(share, 1)}%)`),
  };
  const tgt = perRule(rule, `target:${target.year}`, () => resultTarget({ ...target, min: percent }, bi(`≥ ${percent}% 的${counted.zh}`, `≥ ${percent}% of ${counted.en}`)));
  const facilities = mergeLists(listOf(row.fail_items, f, 'fails'), listOf(row.unknown_items, u, 'unknown'));
  const facts = { membersPassing: p, failing: f, undecided: u, percentRequired: percent, lowerBound: n > 0 ? round((100 * p) / n, 2) : null, upperBound: n > 0 ? round((100 * (p + u)) / n, 2) : null };
  const base = { unit: unitRef(row), measured, target: tgt, facts, facilities, villages: EMPTY_LIST };

  const applicability = unitApplicability(undefined, row, params);
  if (!('applicable' in applicability) || !applicability.applicable) {
    const note = 'note' in applicability ? applicability.note : bi('不适用', 'not applicable');
    return { ...base, status: 'not_applicable', shortfall: null, notes: [note] };
  }
  if (n === 0) return { ...base, status: 'not_applicable', shortfall: null, notes: [bi(`本单位没有${counted.zh}`, `no ${counted.en} in this unit`)] };
  if (100 * p >= percent * n) return { ...base, status: 'pass', shortfall: null, notes: NO_NOTES };
  if (100 * (p + u) >= percent * n) {
    return { ...base, status: 'unknown', shortfall: null, notes: [bi(`${u} 所数据不全，达标与否取决于这些机构`, `${u} facilities with incomplete data decide the outcome`)] };
  }
  const short = facilitiesShort(p + u, n, percent);
  return {
    ...base,
    status: 'fail',
    severity: (percent - (100 * (p + u)) / n) / percent,
    shortfall: {
      value: short,
      unit: UNITS.facility,
      text: bi(
        `还需 ${short} 所${counted.zh}${rule.spec.goal.zh}，方达 ${percent}%（现 ${f} 所${requirement.missing.zh}）`,
        `${short} more ${counted.en} must ${rule.spec.goal.en} to reach ${percent}% (now ${f} with ${requirement.missing.en})`,
      ),
    },
    notes: u > 0 ? [bi(`另有 ${u} 所数据不全（已按达标计算缺口）`, `${u} more with incomplete data (counted as meeting it in the shortfall)`)] : NO_NOTES,
  };
}

export const shareOfFacilities: RuleEvaluator<ShareSpec> = {
  kind: 'share_of_facilities',
  label: bi('机构达标比例', 'Share of facilities'),
  description: bi('符合条件的机构中达到要求的比例不低于 p%', 'At least p % of matching facilities meet a requirement'),
  validate(rule) {
    if (!(rule.spec.percent > 0 && rule.spec.percent <= 100)) throw new Error(`rule ${rule.id}: percent must be in (0, 100]`);
  },
  compile: compileShare,
  evaluateMany: (inputs) => runBatch(inputs, shareBatch),
  batch: shareBatch,
  async evaluate(input) {
    return (await runBatch([input], shareBatch))[0]!;
  },
};
