/**
 * Per-unit figures for colouring the map: the worst failing force of each
 * unit's own rules, and optionally one indicator (a rule's measured value, or
 * the share of people within an access class's limit).
 *
 * Why a route of its own: the map colours every banner, township or village of
 * the region at once. /api/evaluations answers with whole rule results (the
 * citations, facts and facility lists a panel needs): ~2.6 MB for the failing
 * banner results alone. This answers the same evaluation in ~40 bytes per unit.
 * Nothing is recomputed here: the figures come from the rule engine's and the
 * access engine's results as the scenario feature serves them (server/scenarios/service.ts:
 * one cached region-wide baseline per rule set and data version; scenarios
 * re-evaluated incrementally), so the map, the diff and the panels agree.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { invalidParameter, type AppError } from '../errors.ts';
import type { Level } from '../domain/taxonomy.ts';
import { baselineContext } from '../engine/context.ts';
import { getDefaultRuleSet, getRuleSet } from '../rules/ruleSets.ts';
import { findRule } from '../rules/registry.ts';
import { findScopedUnit, inSubtree } from '../rules/engine.ts';
import { FORCES, type Force, type RuleResult } from '../rules/types.ts';
import { REGION_CODE } from '../rules/sql.ts';
import { classOf, classRef, unitRows } from '../access/views.ts';
import { allResults, type Evaluated } from '../scenarios/evaluate.ts';
import { baselineServed, scenarioEvaluated } from '../scenarios/service.ts';
import type { UnitStat, UnitStatsResponse } from './schemas.ts';

type StatLevel = Exclude<Level, 'region'>;

export interface UnitStatsRequest {
  levels: readonly StatLevel[];
  unit?: string | undefined;
  ruleSetId?: number | undefined;
  scenarioId: number | null;
  indicator?: string | undefined;
}

function emptyFails(): Record<Force, number> {
  return { must: 0, target: 0, should: 0, strive: 0, may: 0 };
}

/** The strongest force among failing rules, in catalogue order (must > target > should > strive > may). */
export function worstForce(fails: Record<Force, number>): Force | null {
  for (const force of FORCES) if (fails[force] > 0) return force;
  return null;
}

function unknownIndicator(key: string): AppError {
  return invalidParameter(
    'indicator',
    `unknown indicator '${key}': use rule:<rule id> (GET /api/rules lists them) or access:<class> (GET /api/access/params lists the classes)`,
    `未知的指标“${key}”：应为 rule:<规则编号>（见 GET /api/rules）或 access:<设施类别>（见 GET /api/access/params）`,
    key,
  );
}

export async function unitStats(db: Kysely<Database>, request: UnitStatsRequest): Promise<UnitStatsResponse> {
  const indicatorKey = request.indicator;
  const ruleIndicator = indicatorKey?.startsWith('rule:') ? findRule(indicatorKey.slice(5)) : undefined;
  if (indicatorKey?.startsWith('rule:') && !ruleIndicator) throw unknownIndicator(indicatorKey);

  // The scenario feature's evaluations: one cached region-wide baseline per rule set and data
  // version, and scenarios re-evaluated incrementally from it (server/scenarios/evaluate.ts).
  const ruleSet = request.ruleSetId !== undefined ? await getRuleSet(db, request.ruleSetId) : await getDefaultRuleSet(db);
  const evaluated: Evaluated =
    request.scenarioId === null ? await baselineServed(db, ruleSet) : (await scenarioEvaluated(db, request.scenarioId, ruleSet)).evaluated;
  const root = await findScopedUnit(baselineContext(db), request.unit ?? REGION_CODE);

  const wanted = new Set<Level>(request.levels);
  const byCode = new Map<string, UnitStat>();
  const values = new Map<string, { level: StatLevel; value: number | null }>();
  let indicatorTarget: number | null = null;
  let indicatorUnit = { zh: '', en: '' };
  for (const r of allResults(evaluated)) {
    if (!wanted.has(r.unit.level) || !inSubtree(r, root)) continue;
    let stat = byCode.get(r.unit.code);
    if (!stat) byCode.set(r.unit.code, (stat = { code: r.unit.code, level: r.unit.level as StatLevel, worst: null, fails: emptyFails(), pass: 0, unknown: 0, indicative: 0 }));
    count(stat, r);
    if (ruleIndicator && r.ruleId === ruleIndicator.id) {
      values.set(r.unit.code, { level: r.unit.level as StatLevel, value: r.measured.value });
      if (indicatorTarget === null && r.target?.min != null) indicatorTarget = r.target.min;
      if (!indicatorUnit.zh) indicatorUnit = r.measured.unit;
    }
  }
  for (const stat of byCode.values()) stat.worst = worstForce(stat.fails);

  let indicator: UnitStatsResponse['indicator'] = null;
  if (ruleIndicator) {
    indicator = {
      key: indicatorKey!,
      title: ruleIndicator.title,
      unit: indicatorUnit,
      target: indicatorTarget,
      higherIsBetter: !ruleIndicator.targets.some((t) => t.max !== undefined && t.min === undefined),
    };
  } else if (indicatorKey?.startsWith('access:')) {
    const access = evaluated.access;
    const cls = classOf(access, indicatorKey.slice(7));
    if (!cls) throw unknownIndicator(indicatorKey);
    const scope = access.units.index.get(root.code);
    if (scope === undefined) throw unknownIndicator(indicatorKey);
    for (const level of request.levels) {
      for (const row of unitRows(access, cls, scope, level, 'code')) values.set(row.unit.code, { level, value: row.figures.shareCovered });
    }
    const ref = classRef(cls.cls);
    indicator = {
      key: indicatorKey,
      title: { zh: `${ref.name.zh}：${ref.limitText.zh}人口占比`, en: `${ref.name.en}: share of people ${ref.limitText.en}` },
      unit: { zh: '%', en: '%' },
      target: cls.cls.key === access.params.circleClass ? access.params.circleTargetShare : null,
      higherIsBetter: true,
    };
  } else if (indicatorKey !== undefined) {
    throw unknownIndicator(indicatorKey);
  }

  // Units with an indicator value but no rule of their own still get a row (villages, for access shares).
  if (indicator) {
    for (const [code, { level, value }] of values) {
      let stat = byCode.get(code);
      if (!stat) byCode.set(code, (stat = { code, level, worst: null, fails: emptyFails(), pass: 0, unknown: 0, indicative: 0 }));
      stat.value = value;
    }
    for (const stat of byCode.values()) if (stat.value === undefined) stat.value = null;
  }

  const items = [...byCode.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  return {
    levels: [...request.levels],
    scope: { code: root.code, name: root.name },
    ruleSet: { id: ruleSet.id, version: ruleSet.version, name: ruleSet.name, targetYear: ruleSet.targetYear },
    scenario: evaluated.scenario,
    dataVersion: evaluated.dataVersion,
    synthetic: evaluated.baseline.evaluation.synthetic,
    indicator,
    items,
  };
}

function count(stat: UnitStat, r: RuleResult): void {
  if (r.status === 'fail') {
    // A target set for a higher level is shown at this unit for orientation; it does not colour it.
    if (r.indicative) stat.indicative += 1;
    else stat.fails[r.force] += 1;
  } else if (r.status === 'pass') stat.pass += 1;
  else if (r.status === 'unknown') stat.unknown += 1;
}

