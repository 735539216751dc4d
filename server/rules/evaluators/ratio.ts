/**
 * Ratios: Σ an amount (beds, staff) over matching facilities ÷ a denominator ×
 * 1,000 / 10,000 / 100, against a minimum and/or a band, per banner, league and
 * region. The denominator is the unit's resident population, its children
 * (0–14 × the childrenScale parameter) or Σ another amount over facilities (the
 * TCM-doctor share of 004:10). The shortfall is in natural units: "床位缺口 374 张".
 *
 * All ratio rules of an evaluation are one statement (batch.ts): each facility's
 * amounts are computed once and summed per unit of every level with GROUPING SETS.
 *
 * Missing values: a facility with no value recorded counts as 0 and is listed;
 * the unit is `unknown` only when the denominator is missing or when no
 * matching facility reports the amount at all.
 */
import { sql } from 'kysely';
import type { EvaluatedRow, EvaluatorInput, RuleEvaluator } from '../registry.ts';
import type { RuleParams } from '../params.ts';
import { amount, filterCondition, type Sql } from '../sql.ts';
import { bi, EMPTY_LIST, fmt, listOf, mergeLists, NO_NOTES, perRule, resultTarget, round, targetText } from '../text.ts';
import type { RatioSpec, RuleDefinition, TargetByYear } from '../types.ts';
import { unitApplicability, unitRef, type UnitColumns } from './common.ts';
import { compileBatch, facilityInJurisdiction, itemsWhere, list, name, num, ref, runBatch, type BatchKind, type Measure } from './batch.ts';

type Items = { id: number; code: string; name: string; value?: number | null }[] | null;

export interface RatioRow extends UnitColumns {
  children: number | null;
  amount: number | null;
  matched: number | null;
  with_value: number | null;
  missing_items: Items;
  denom_amount: number | null;
  denom_matched: number | null;
  denom_with_value: number | null;
  below_count: number | null;
  below_items: Items;
}

function ratioMeasure(input: EvaluatorInput<RatioSpec>, p: string): Measure {
  const { rule, target } = input;
  const spec = rule.spec;
  const juris = facilityInJurisdiction(rule.jurisdiction);
  const d = spec.denominator;
  const nf = ref(p, 'nf');
  const n = ref(p, 'n');
  const df = ref(p, 'df');
  const dv = ref(p, 'd');
  const columns: [string, Sql][] = [
    [name(p, 'nf'), sql`(${juris} AND ${filterCondition(spec.filter, 'f')}) IS TRUE`],
    [name(p, 'n'), amount(spec.columns, 'f')],
  ];
  const aggregates: [string, Sql][] = [
    [name(p, 'amount'), sql`COALESCE(sum(${n}) FILTER (WHERE ${nf}), 0)`],
    [name(p, 'matched'), sql`count(*) FILTER (WHERE ${nf})`],
    [name(p, 'with_value'), sql`count(${n}) FILTER (WHERE ${nf})`],
    [name(p, 'missing_items'), itemsWhere(sql`${nf} AND ${n} IS NULL`)],
  ];
  if (d.kind === 'facility_sum') {
    columns.push([name(p, 'df'), sql`(${juris} AND ${filterCondition(d.filter, 'f')}) IS TRUE`], [name(p, 'd'), amount(d.columns, 'f')]);
    aggregates.push(
      [name(p, 'denom_amount'), sql`COALESCE(sum(${dv}) FILTER (WHERE ${df}), 0)`],
      [name(p, 'denom_matched'), sql`count(*) FILTER (WHERE ${df})`],
      [name(p, 'denom_with_value'), sql`count(${dv}) FILTER (WHERE ${df})`],
    );
    if (spec.listFacilitiesBelow && target.min !== undefined) {
      const below = sql`${nf} AND ${df} AND ${dv} > 0 AND COALESCE(${n}, 0) * ${d.per}::numeric < ${target.min}::numeric * ${dv}`;
      const individual = sql`round(COALESCE(${n}, 0) * ${d.per}::numeric / NULLIF(${dv}, 0), 2)`;
      aggregates.push([name(p, 'below_count'), sql`count(*) FILTER (WHERE ${below})`], [name(p, 'below_items'), itemsWhere(below, { value: individual, order: sql`${individual}, x.id` })]);
    }
  }
  return { columns, aggregates, relevant: d.kind === 'facility_sum' ? sql`${nf} OR ${df}` : sql`${nf}` };
}

export const ratioBatch: BatchKind<RatioSpec> = {
  measure: ratioMeasure,
  judge(input, unit, agg, p) {
    const row: RatioRow = {
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
      children: unit.children,
      amount: num(agg, name(p, 'amount')),
      matched: num(agg, name(p, 'matched')),
      with_value: num(agg, name(p, 'with_value')),
      missing_items: list(agg, name(p, 'missing_items')),
      denom_amount: num(agg, name(p, 'denom_amount')),
      denom_matched: num(agg, name(p, 'denom_matched')),
      denom_with_value: num(agg, name(p, 'denom_with_value')),
      below_count: num(agg, name(p, 'below_count')),
      below_items: list(agg, name(p, 'below_items')),
    };
    return judgeRatio(input.rule, row, input.target, input.params.rules);
  },
};

export const compileRatio = (inputs: EvaluatorInput<RatioSpec>[]) => compileBatch(inputs, ratioBatch);

const EPS = 1e-9;

/** Amount still needed so that amount ÷ denominator × per reaches `min`. */
export function amountShort(amountNow: number, denominator: number, per: number, min: number, numeratorIncluded = false): number {
  const gap = (min * denominator) / per - amountNow;
  if (gap <= EPS) return 0;
  // When the counted staff are also part of the denominator (TCM doctors among all
  // doctors), each new hire raises both: (T + x) / (D + x) ≥ m / per.
  const x = numeratorIncluded ? gap / (1 - min / per) : gap;
  return Math.ceil(x - EPS);
}

/** Amount above the band's maximum. */
export function amountOver(amountNow: number, denominator: number, per: number, max: number): number {
  const over = amountNow - (max * denominator) / per;
  return over <= EPS ? 0 : Math.ceil(over - EPS);
}

/** value ≥ min, compared without floating-point surprises at the boundary. */
function atLeast(amountNow: number, denominator: number, per: number, min: number) {
  return amountNow * per >= min * denominator * (1 - 1e-12);
}
function atMost(amountNow: number, denominator: number, per: number, max: number) {
  return amountNow * per <= max * denominator * (1 + 1e-12);
}

export function judgeRatio(rule: RuleDefinition<string, RatioSpec>, row: RatioRow, target: TargetByYear, params: RuleParams): EvaluatedRow {
  const spec = rule.spec;
  const d = spec.denominator;
  const amountNow = Number(row.amount ?? 0);
  const matched = Number(row.matched ?? 0);
  const withValue = Number(row.with_value ?? 0);
  const per = d.per;
  const perLabel = per === 1000 ? bi('每千', 'per 1,000') : per === 10000 ? bi('每万', 'per 10,000') : bi('', '');

  let denominator: number | null;
  let denominatorText: { zh: string; en: string };
  let denominatorMissing: { zh: string; en: string } | null = null;
  if (d.kind === 'population') {
    denominator = row.population === null ? null : Number(row.population);
    denominatorText = bi(`常住人口 ${fmt(denominator ?? 0, 0)} 人`, `resident population ${fmt(denominator ?? 0, 0)}`);
    if (denominator === null) denominatorMissing = bi('缺少常住人口数据', 'resident population is missing');
  } else if (d.kind === 'children') {
    denominator = row.children === null ? null : Number(row.children) * params.childrenScale;
    denominatorText = bi(
      `儿童（${params.childrenAgeBand} 岁${params.childrenScale !== 1 ? ` × ${params.childrenScale}` : ''}）${fmt(denominator ?? 0, 0)} 人`,
      `children (${params.childrenAgeBand}${params.childrenScale !== 1 ? ` × ${params.childrenScale}` : ''}) ${fmt(denominator ?? 0, 0)}`,
    );
    if (denominator === null) denominatorMissing = bi('缺少 0–14 岁人口数据', 'the 0–14 population is missing');
  } else {
    denominator = Number(row.denom_amount ?? 0);
    denominatorText = bi(`${d.label.zh} ${fmt(denominator, 0)} ${spec.amountUnit.zh}`, `${d.label.en} ${fmt(denominator, 0)}`);
    if (Number(row.denom_matched ?? 0) > 0 && Number(row.denom_with_value ?? 0) === 0) {
      denominatorMissing = bi(`相关机构均未填报${d.label.zh}`, `none of the facilities reports ${d.label.en}`);
    }
  }

  const value = denominator !== null && denominator > 0 ? (amountNow * per) / denominator : null;
  const measured = {
    value: value === null ? null : round(value, 3),
    unit: spec.valueUnit,
    text:
      value === null
        ? bi(`${spec.amountLabel.zh} ${fmt(amountNow, 0)} ${spec.amountUnit.zh}；${denominatorText.zh}`, `${spec.amountLabel.en} ${fmt(amountNow, 0)}; ${denominatorText.en}`)
        : bi(
            `${perLabel.zh}${fmt(value, 2)} ${spec.valueUnit.zh}（${spec.amountLabel.zh} ${fmt(amountNow, 0)} ${spec.amountUnit.zh} ÷ ${denominatorText.zh}）`,
            `${fmt(value, 2)} ${spec.valueUnit.en} (${spec.amountLabel.en} ${fmt(amountNow, 0)} ÷ ${denominatorText.en})`,
          ),
  };
  const tgt = perRule(rule, `target:${target.year}`, () => resultTarget(target, targetText(target, spec.valueUnit)));
  const missing = matched - withValue;
  const facilities = mergeLists(listOf(row.missing_items, missing, 'missing_data'), listOf(row.below_items, Number(row.below_count ?? 0), 'below_target'));
  const facts = {
    amount: amountNow,
    denominator,
    per,
    population: row.population,
    facilitiesCounted: matched,
    facilitiesWithValue: withValue,
    ...(d.kind === 'children' ? { children: row.children === null ? null : Number(row.children) } : {}),
  };
  const notes =
    missing > 0 && withValue > 0
      ? [bi(`${missing} 所机构未填报${spec.amountLabel.zh}（按 0 计）`, `${missing} facilities report no ${spec.amountLabel.en} (counted as 0)`)]
      : NO_NOTES;
  const base = { unit: unitRef(row), measured, target: tgt, facts, facilities, villages: EMPTY_LIST };

  const applicability = unitApplicability(undefined, row, params);
  if ('applicable' in applicability && !applicability.applicable) return { ...base, status: 'not_applicable', shortfall: null, notes: [applicability.note] };
  if (denominatorMissing) return { ...base, status: 'unknown', shortfall: null, notes: [denominatorMissing, ...notes] };
  if (denominator === 0 || denominator === null) {
    return { ...base, status: 'not_applicable', shortfall: null, notes: [bi('分母为 0（无人口或无相关机构）', 'the denominator is 0 (no population or no such facilities)')] };
  }
  if (matched > 0 && withValue === 0) {
    return { ...base, status: 'unknown', shortfall: null, notes: [bi(`${matched} 所相关机构均未填报${spec.amountLabel.zh}`, `none of the ${matched} facilities reports ${spec.amountLabel.en}`)] };
  }
  if (target.min !== undefined && !atLeast(amountNow, denominator, per, target.min)) {
    const short = amountShort(amountNow, denominator, per, target.min, d.kind === 'facility_sum' && d.numeratorIncluded);
    return {
      ...base,
      status: 'fail',
      severity: value === null ? 1 : (target.min - value) / target.min,
      shortfall: {
        value: short,
        unit: spec.amountUnit,
        text: bi(`${spec.amountLabel.zh}缺口 ${fmt(short, 0)} ${spec.amountUnit.zh}`, `short of ${fmt(short, 0)} ${spec.amountLabel.en}`),
      },
      notes,
    };
  }
  if (target.max !== undefined && !atMost(amountNow, denominator, per, target.max)) {
    const over = amountOver(amountNow, denominator, per, target.max);
    return {
      ...base,
      status: 'fail',
      severity: value === null ? 0.1 : Math.min(0.5, (value - target.max) / target.max),
      shortfall: {
        value: -over,
        unit: spec.amountUnit,
        text: bi(`${spec.amountLabel.zh}超出上限 ${fmt(over, 0)} ${spec.amountUnit.zh}`, `${fmt(over, 0)} ${spec.amountLabel.en} above the band`),
      },
      notes: [bi('高于配置区间上限（原文为“原则上”，仅供参考）', 'above the band (the text says “in principle”: advisory)'), ...notes],
    };
  }
  return { ...base, status: 'pass', shortfall: null, notes };
}

export const ratioPerPopulation: RuleEvaluator<RatioSpec> = {
  kind: 'ratio_per_population',
  label: bi('千人（万人）指标', 'Ratio per population'),
  description: bi(
    '相关机构的床位或人员之和 ÷ 人口 × 1000（或 10000）不低于目标（或处于区间内），按旗县、盟市、自治区计算',
    'Σ beds or staff of matching facilities ÷ population × 1,000 (or 10,000) against a minimum or band, per banner, league and region',
  ),
  validate(rule) {
    const t = rule.targets;
    if (!t.every((x) => x.min !== undefined || x.max !== undefined)) throw new Error(`rule ${rule.id}: every ratio target needs a min or a max`);
  },
  compile: compileRatio,
  evaluateMany: (inputs) => runBatch(inputs, ratioBatch),
  batch: ratioBatch,
  async evaluate(input) {
    return (await runBatch([input], ratioBatch))[0]!;
  },
};
