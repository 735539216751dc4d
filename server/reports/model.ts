/**
 * The report model: everything a gap report prints, assembled from the same
 * service functions the API's routes call — never recomputed here:
 *
 *  - rule results and roll-ups: the rule engine's evaluation as the scenario
 *    feature serves it (server/scenarios/service.ts: one cached region-wide
 *    baseline per rule set and data version, scenarios re-evaluated
 *    incrementally — what /api/ui/unit-stats and /api/scenarios/:id/evaluation
 *    read; /api/evaluations runs the same `evaluate()` on the same data);
 *  - access figures, the 15-minute circle, villages out of reach, gap areas:
 *    the access engine's result of that evaluation and the view functions of
 *    /api/access/* (server/access/views.ts);
 *  - merge candidates: `adviseMerges` (GET /api/merge-advisor);
 *  - the scenario diff and its memo paragraph: `diffEvaluations` + `summaryOf`
 *    (GET /api/scenarios/:id/diff).
 *
 * The renderers (html.ts, tables.ts → XLSX/CSV) only choose, order and format
 * what is here. `prepareReport` resolves the rule set and evaluation once, so a
 * batch of 103 banners shares one evaluation (`assembleReport` per unit).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { LEVELS, LEVEL_LABELS, type Level } from '../domain/taxonomy.ts';
import { compareResults, findScopedUnit, inSubtree, rollup, type ScopedUnit } from '../rules/engine.ts';
import { allRules, findRule } from '../rules/registry.ts';
import { getDefaultRuleSet, getRuleSet, type RuleSetRecord } from '../rules/ruleSets.ts';
import { citationOut } from '../rules/routes.ts';
import { countedStatuses, facilityInScope, unitInScope, type ResolvedScope } from '../rules/sql.ts';
import type { Assumption } from '../rules/params.ts';
import { FORCE_LABELS, STATUS_LABELS, type Bilingual, type Force, type Rollup, type RuleResult, type StatusCounts } from '../rules/types.ts';
import { unitFigures, type UnitFigures } from '../access/aggregate.ts';
import { LEVEL_COUNT, LEVEL_INDEX } from '../access/inputs.ts';
import { circleRow, circleRows, classOf, classRef, filterGaps, travelText, unitRef, villagesOutOfReach, type CircleRow, type ClassRef, type UnitRef, type VillageOutOfReach } from '../access/views.ts';
import type { AccessResult } from '../access/engine.ts';
import { contextOf } from '../scenarios/context.ts';
import { diffEvaluations, type ScenarioDiff } from '../scenarios/diff.ts';
import { allResults, type Evaluated } from '../scenarios/evaluate.ts';
import { adviseMerges, JOINT_CLINIC_RULE, type AdvisorResult } from '../scenarios/advisor.ts';
import { conflictsOf, loadModel, type ScenarioModel } from '../scenarios/model.ts';
import { baselineServed, scenarioEvaluated } from '../scenarios/service.ts';
import { summaryOf } from '../scenarios/summary.ts';
import { parentChain } from '../units/repository.ts';
import { FACILITY_TYPE_LABELS, FACILITY_TYPES, type FacilityType } from '../domain/taxonomy.ts';
import { DATASETS, layerProvenance, policyDocuments, type Dataset, type LayerProvenance } from './sources.ts';
import { mapData, type MapData } from './map.ts';
import { bi } from './i18n.ts';

export type CitationOut = ReturnType<typeof citationOut>;

/** One (rule, unit) result as the report prints it: the engine's fields, nothing derived. */
export interface RuleRow {
  ruleId: string;
  title: Bilingual;
  unit: { code: string; name: string; level: Level };
  status: RuleResult['status'];
  statusLabel: Bilingual;
  force: Force;
  forceLabel: Bilingual;
  indicative: boolean;
  measured: { value: number | null; text: Bilingual };
  target: Bilingual | null;
  shortfall: { value: number; unit: Bilingual; text: Bilingual } | null;
  notes: Bilingual[];
  citations: CitationOut[];
  interpretation: Bilingual | null;
  jurisdiction: Bilingual | null;
}

/** A rule evaluated at a level below the report's unit: how its units fare. */
export interface RuleBelow {
  ruleId: string;
  title: Bilingual;
  force: Force;
  level: Level;
  counts: StatusCounts;
  total: number;
  citations: CitationOut[];
}

export type ForceGroup = 'must' | 'target' | 'should' | 'may';
export const FORCE_GROUPS: readonly ForceGroup[] = ['must', 'target', 'should', 'may'];

export function forceGroupOf(force: Force): ForceGroup {
  return force === 'strive' ? 'should' : force;
}

export interface TopGap {
  sentence: Bilingual;
  ruleId: string;
  unitCode: string;
  force: Force;
  indicative: boolean;
}

export interface ChildAccess {
  unit: UnitRef;
  population: number;
  /** Class key → figures (the same as /api/access/units?level=…). */
  classes: Record<string, UnitFigures>;
  circle: CircleRow;
}

export interface VillageGap extends VillageOutOfReach {
  township: string | null;
}

export interface VillageClinicRow {
  code: string;
  name: string;
  township: string | null;
  population: number | null;
  /** joint = served by a joint clinic (002:25); none = no clinic; unknown = data missing. */
  coverage: 'joint' | 'none' | 'unknown';
  status: RuleResult['status'];
  partnerClinic: string | null;
  partnerVillage: string | null;
  distanceM: number | null;
  note: Bilingual | null;
}

export interface ReportModel {
  generatedAt: string;
  unit: {
    code: string;
    name: string;
    level: Level;
    levelLabel: Bilingual;
    kind: string | null;
    parents: { code: string; name: string; level: string }[];
    population: number | null;
    populationUrban: number | null;
    populationYear: number | null;
    populationSource: string | null;
    areaKm2: number | null;
    /** Units below, by level (townships, villages …). */
    descendants: Partial<Record<Level, number>>;
  };
  ruleSet: { id: number; version: number; name: string; isDefault: boolean; targetYear: number; disabledRules: string[] };
  scenario: {
    id: number;
    version: number;
    name: string;
    description: string | null;
    changes: { position: number; inherited: boolean; kind: string; summary: Bilingual; conflict: Bilingual | null }[];
  } | null;
  dataVersion: number;
  engineVersion: string;
  synthetic: boolean;
  assumptions: Assumption[];
  travel: Bilingual;
  rulesNotEvaluated: { ruleId: string; title: Bilingual | null; reason: Bilingual }[];
  documents: ReturnType<typeof policyDocuments>;
  datasets: readonly Dataset[];
  layers: LayerProvenance[];
  summary: {
    rollup: Rollup;
    facilities: { type: FacilityType; label: Bilingual; counted: number; other: number }[];
    facilitiesCounted: number;
    /** Statuses counted as operating (rule set parameter countPlannedFacilities). */
    countedStatuses: string[];
    circle: CircleRow;
    circleClass: ClassRef | null;
    topGaps: TopGap[];
    failuresByForce: Record<Force, number>;
  };
  checklist: {
    own: RuleRow[];
    below: RuleBelow[];
    /** Failing and unknown results below the unit, worst first. */
    failuresBelow: RuleRow[];
    /** Every result in the subtree (the XLSX sheet; /api/evaluations?unit=… lists the same). */
    all: RuleRow[];
  };
  access: {
    classes: { class: ClassRef; figures: UnitFigures; gapAreas: number; gapAreaPopulation: number }[];
    childLevel: Level | null;
    children: ChildAccess[];
    villagesOutOfReach: { class: ClassRef; villages: VillageGap[] }[];
    circleMinutes: number;
    circleTargetShare: number;
  };
  clinics: {
    counts: { own: number; joint: number; none: number; unknown: number; community: number; total: number };
    villages: VillageClinicRow[];
    ruleTitle: Bilingual | null;
    citations: CitationOut[];
  };
  merges: AdvisorResult & { evaluated: boolean };
  diff: {
    summary: Bilingual;
    diff: ScenarioDiff;
  } | null;
  map: MapData | null;
}

export interface ReportInputs {
  ruleSet: RuleSetRecord;
  /** The evaluation the report describes: the baseline, or the scenario's. */
  evaluated: Evaluated;
  /** The baseline evaluation a scenario is compared with (null without a scenario). */
  baseline: Evaluated | null;
  scenario: ScenarioModel | null;
}

/**
 * Resolve the rule set and the evaluation once (the same calls as
 * /api/scenarios/:id/diff: both sides on one data version).
 * Unknown rule set or scenario → their 404s.
 */
export async function prepareReport(db: Kysely<Database>, request: { ruleSetId?: number | undefined; scenarioId?: number | null | undefined }): Promise<ReportInputs> {
  const ruleSet = request.ruleSetId !== undefined ? await getRuleSet(db, request.ruleSetId) : await getDefaultRuleSet(db);
  if (request.scenarioId === undefined || request.scenarioId === null) {
    return { ruleSet, evaluated: await baselineServed(db, ruleSet), baseline: null, scenario: null };
  }
  for (let attempt = 0; ; attempt++) {
    const target = await scenarioEvaluated(db, request.scenarioId, ruleSet);
    const baseline = await baselineServed(db, ruleSet);
    if (baseline.dataVersion !== target.evaluated.dataVersion && attempt < 2) continue;
    return { ruleSet, evaluated: target.evaluated, baseline, scenario: target.model };
  }
}

/** Levels a report can be made for: a village is too small to report on its own. */
export function reportableLevel(level: Level): boolean {
  return level !== 'village';
}

function villageReportRefused(code: string, name: string): AppError {
  return new AppError('InvalidParameter', 400, {
    en: `Unit ${code} (${name}) is a village: reports are made for the region, a league, a banner or a township. Ask for its township (the first 9 digits, ${code.slice(0, 9)}).`,
    zh: `${code}（${name}）是嘎查村：报告按自治区、盟市、旗县或苏木乡镇生成。请改用其所在苏木乡镇（前 9 位代码 ${code.slice(0, 9)}）。`,
  }, [{ field: 'unit', value: code, en: 'a region, league, banner or township code', zh: '应为自治区、盟市、旗县或苏木乡镇代码' }]);
}

export function ruleRow(r: RuleResult): RuleRow {
  return {
    ruleId: r.ruleId,
    title: r.title,
    unit: { code: r.unit.code, name: r.unit.name, level: r.unit.level },
    status: r.status,
    statusLabel: STATUS_LABELS[r.status],
    force: r.force,
    forceLabel: FORCE_LABELS[r.force],
    indicative: r.indicative,
    measured: { value: r.measured.value, text: r.measured.text },
    target: r.target?.text ?? null,
    shortfall: r.shortfall ? { value: r.shortfall.value, unit: r.shortfall.unit, text: r.shortfall.text } : null,
    notes: r.notes,
    citations: r.citations.map(citationOut),
    interpretation: r.interpretation,
    jurisdiction: r.jurisdiction?.name ?? null,
  };
}

/**
 * The three most serious gaps, one sentence each: the engine's order (failing
 * first, by force, then relative size), gaps the text sets for this level
 * before indicative ones (a region-wide ratio shown for orientation), and a
 * shortfall already named for the same unit (Aohan's own plan repeating the
 * region's rule) only once.
 */
export function topGaps(sorted: readonly RuleResult[], count = 3): TopGap[] {
  const failing = sorted.filter((r) => r.status === 'fail' && r.shortfall);
  const ordered = [...failing.filter((r) => !r.indicative), ...failing.filter((r) => r.indicative)];
  const seen = new Set<string>();
  const out: TopGap[] = [];
  for (const r of ordered) {
    const key = `${r.unit.code}|${r.shortfall!.text.zh}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const c = r.citations[0] ? citationOut(r.citations[0]) : null;
    const force = FORCE_LABELS[r.force];
    out.push({
      ruleId: r.ruleId,
      unitCode: r.unit.code,
      force: r.force,
      indicative: r.indicative,
      sentence: {
        zh: `${r.unit.name}：${r.shortfall!.text.zh}（${force.zh}；${r.title.zh}${c ? `；${c.lineRange}` : ''}${r.indicative ? '；上级指标，仅供参考' : ''}）。`,
        en: `${r.unit.name}: ${r.shortfall!.text.en} (${force.en}; ${r.title.en}${c ? `; ${c.lineRange}` : ''}${r.indicative ? '; a higher-level target, indicative' : ''}).`,
      },
    });
    if (out.length >= count) break;
  }
  return out;
}

interface UnitInfoRow {
  code: string;
  name: string;
  level: Level;
  kind: string | null;
  population: number | null;
  population_urban: number | null;
  population_year: number | null;
  population_source: string | null;
  area_km2: number | null;
}

async function unitInfo(inputs: ReportInputs, db: Kysely<Database>, root: ScopedUnit, scope: ResolvedScope) {
  const ctx = contextOf(db, inputs.evaluated.state, inputs.evaluated.scenario);
  const { rows } = await sql<UnitInfoRow>`
    SELECT u.code, u.name, u.level, u.kind, u.population, u.population_urban, u.population_year, u.population_source, u.area_km2
    FROM ${ctx.units} AS u WHERE u.code = ${root.code}`.execute(ctx.db);
  const counts = await sql<{ level: Level; n: number }>`
    SELECT u.level, count(*)::int AS n FROM ${ctx.units} AS u
    WHERE ${unitInScope(scope, 'u')} AND u.code <> ${root.code} GROUP BY u.level`.execute(ctx.db);
  const row = rows[0]!;
  return {
    code: row.code,
    name: row.name,
    level: row.level,
    levelLabel: LEVEL_LABELS[row.level],
    kind: row.kind,
    parents: await parentChain(db, root.code),
    population: row.population === null ? null : Number(row.population),
    populationUrban: row.population_urban === null ? null : Number(row.population_urban),
    populationYear: row.population_year,
    populationSource: row.population_source,
    areaKm2: row.area_km2 === null ? null : Math.round(Number(row.area_km2) * 10) / 10,
    descendants: Object.fromEntries(counts.rows.map((r) => [r.level, Number(r.n)])) as Partial<Record<Level, number>>,
  };
}

/** Facilities by type inside the unit, through the evaluation's context (a scenario's changes included). */
async function facilitiesByType(inputs: ReportInputs, db: Kysely<Database>, scope: ResolvedScope) {
  const ctx = contextOf(db, inputs.evaluated.state, inputs.evaluated.scenario);
  const statuses = countedStatuses(inputs.ruleSet.params.rules);
  const { rows } = await sql<{ type: FacilityType; counted: number; other: number }>`
    SELECT f.type, count(*) FILTER (WHERE f.status = ANY(${statuses}::text[]))::int AS counted,
           count(*) FILTER (WHERE f.status <> ALL(${statuses}::text[]))::int AS other
    FROM ${ctx.facilities} AS f WHERE ${facilityInScope(scope, 'village', 'f')} GROUP BY f.type`.execute(ctx.db);
  const byType = new Map(rows.map((r) => [r.type, r]));
  const list = FACILITY_TYPES.filter((t) => byType.has(t)).map((type) => ({
    type,
    label: FACILITY_TYPE_LABELS[type],
    counted: Number(byType.get(type)!.counted),
    other: Number(byType.get(type)!.other),
  }));
  return { list, counted: list.reduce((s, r) => s + r.counted, 0), statuses };
}

function childLevelOf(level: Level): Level | null {
  const i = LEVELS.indexOf(level);
  return i >= 0 && i < LEVELS.length - 1 ? LEVELS[i + 1]! : null;
}

/** The township a village (or township) lies in, from the access engine's unit table. */
function townshipName(result: AccessResult, code: string): string | null {
  const u = result.units.index.get(code);
  if (u === undefined) return null;
  const t = result.units.ancestors[u * LEVEL_COUNT + LEVEL_INDEX.township]!;
  return t >= 0 ? result.units.names[t]! : null;
}

function accessSection(result: AccessResult, rootIndex: number, level: Level) {
  const childLevel = childLevelOf(level);
  const classes = result.classes.map((cls) => {
    const gaps = filterGaps(result, cls, { scope: rootIndex });
    return { class: classRef(cls.cls), figures: unitFigures(cls.agg, rootIndex), gapAreas: gaps.length, gapAreaPopulation: gaps.reduce((s, g) => s + g.population, 0) };
  });
  const children: ChildAccess[] = [];
  if (childLevel) {
    const circles = new Map(circleRows(result, rootIndex, [childLevel]).map((c) => [c.unit.code, c]));
    const units = result.units;
    for (let u = 0; u < units.count; u++) {
      if (units.levels[u] !== childLevel || units.ancestors[u * LEVEL_COUNT + LEVEL_INDEX[level]] !== rootIndex) continue;
      const figures: Record<string, UnitFigures> = {};
      for (const cls of result.classes) figures[cls.cls.key] = unitFigures(cls.agg, u);
      const code = units.codes[u]!;
      children.push({ unit: unitRef(result, u), population: Object.values(figures)[0]?.population ?? 0, classes: figures, circle: circles.get(code) ?? circleRow(result, u) });
    }
    children.sort((a, b) => (a.unit.code < b.unit.code ? -1 : 1));
  }
  const villages = result.classes.map((cls) => ({
    class: classRef(cls.cls),
    villages: villagesOutOfReach(result, cls, rootIndex, Number.MAX_SAFE_INTEGER).map((v) => ({ ...v, township: townshipName(result, v.code) })),
  }));
  return { classes, childLevel, children, villagesOutOfReach: villages, circleMinutes: result.params.circleMinutes, circleTargetShare: result.params.circleTargetShare };
}

function clinicSection(results: readonly RuleResult[], access: AccessResult): ReportModel['clinics'] {
  const rows = results.filter((r) => r.ruleId === JOINT_CLINIC_RULE && r.unit.level === 'village');
  const counts = { own: 0, joint: 0, none: 0, unknown: 0, community: 0, total: rows.length };
  const villages: VillageClinicRow[] = [];
  for (const r of rows) {
    const coverage = String(r.facts.coverage ?? 'unknown');
    if (coverage === 'own' || coverage === 'community' || coverage === 'joint' || coverage === 'none') counts[coverage] += 1;
    else counts.unknown += 1;
    if (coverage === 'own' || coverage === 'community') continue;
    const partner = r.facilities.items.find((i) => i.role === 'partner_clinic') ?? null;
    const partnerVillage = r.villages.items.find((i) => i.role === 'partner_village') ?? null;
    villages.push({
      code: r.unit.code,
      name: r.unit.name,
      township: townshipName(access, r.unit.code),
      population: r.measured.value,
      coverage: coverage === 'joint' || coverage === 'none' ? coverage : 'unknown',
      status: r.status,
      partnerClinic: partner?.name ?? null,
      partnerVillage: partnerVillage?.name ?? null,
      distanceM: typeof r.facts.nearestPartnerMetres === 'number' ? r.facts.nearestPartnerMetres : null,
      note: r.notes[0] ?? null,
    });
  }
  // Villages without any clinic first (the gaps), then those served jointly; by code within.
  const rank = { none: 0, unknown: 1, joint: 2 } as const;
  villages.sort((a, b) => rank[a.coverage] - rank[b.coverage] || (a.code < b.code ? -1 : 1));
  const rule = findRule(JOINT_CLINIC_RULE);
  return { counts, villages, ruleTitle: rule?.title ?? null, citations: (rule?.citations ?? []).map(citationOut) };
}

function checklistSection(sorted: readonly RuleResult[], root: ScopedUnit): ReportModel['checklist'] {
  const own: RuleRow[] = [];
  const failuresBelow: RuleRow[] = [];
  const below = new Map<string, RuleBelow>();
  for (const r of sorted) {
    if (r.unit.code === root.code) {
      own.push(ruleRow(r));
      continue;
    }
    const key = `${r.ruleId}|${r.unit.level}`;
    let b = below.get(key);
    if (!b) {
      b = { ruleId: r.ruleId, title: r.title, force: r.force, level: r.unit.level, counts: { pass: 0, fail: 0, not_applicable: 0, unknown: 0 }, total: 0, citations: r.citations.map(citationOut) };
      below.set(key, b);
    }
    b.counts[r.status] += 1;
    b.total += 1;
    if (r.status === 'fail' || r.status === 'unknown') failuresBelow.push(ruleRow(r));
  }
  const order = new Map(allRules().map((r, i) => [r.id, i]));
  const belowList = [...below.values()].sort(
    (a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || b.counts.fail - a.counts.fail || (order.get(a.ruleId) ?? 0) - (order.get(b.ruleId) ?? 0),
  );
  return { own, below: belowList, failuresBelow, all: sorted.map(ruleRow) };
}

/** Merge candidates evaluated as scenarios when a report asks for their effects. */
export const MAX_EVALUATED_MERGES = 150;

export interface AssembleOptions {
  /** Evaluate every merge candidate as a scenario (GET /api/merge-advisor does; ~0.5–1 s per candidate). */
  mergeEffects?: boolean;
  /** Build the map (PostGIS unions of gap cells); not needed for spreadsheets. */
  map?: boolean;
  now?: Date;
}

/** The report of one unit from prepared inputs. Unknown unit → 404; a village → 400. */
export async function assembleReport(db: Kysely<Database>, inputs: ReportInputs, unitCode: string, options: AssembleOptions = {}): Promise<ReportModel> {
  const { evaluated, ruleSet } = inputs;
  const ctx = contextOf(db, evaluated.state, evaluated.scenario);
  const root = await findScopedUnit(ctx, unitCode);
  if (!reportableLevel(root.level)) throw villageReportRefused(root.code, root.name);
  const scope: ResolvedScope = { root: { code: root.code, level: root.level } };
  const evaluation = evaluated.baseline.evaluation;
  const order = new Map(allRules().map((r, i) => [r.id, i]));
  const results: RuleResult[] = [];
  for (const r of allResults(evaluated)) if (inSubtree(r, root)) results.push(r);
  results.sort(compareResults(order));
  const summaryRollup = rollup(results, root);

  const access = evaluated.access;
  const rootIndex = access.units.index.get(root.code);
  if (rootIndex === undefined) throw new Error(`unit ${root.code} is not in the access result`);
  const circleCls = classOf(access, access.params.circleClass);

  const [unit, facilities, layers] = [await unitInfo(inputs, db, root, scope), await facilitiesByType(inputs, db, scope), await layerProvenance(ctx, scope)];

  // Effects cost ~0.5–1 s per candidate: at most MAX_EVALUATED_MERGES (a league has thousands); the rest are listed.
  const merges = await adviseMerges(db, evaluated, { unit: root.code, maxEvaluated: options.mergeEffects ? MAX_EVALUATED_MERGES : 0 });
  // Unevaluated candidates carry no ranking: list those the text names (joint clinics, 002:25) first,
  // smallest villages and catchments first.
  if (!options.mergeEffects) merges.candidates.sort(listOrder);

  let diff: ReportModel['diff'] = null;
  if (inputs.scenario && inputs.baseline) {
    const d = diffEvaluations(inputs.baseline, evaluated, { scope: root });
    const applied = inputs.scenario.changes.filter((c) => c.problems === null).length;
    const summary = summaryOf(d, { scenarioName: inputs.scenario.scenario.name, changes: applied, conflicts: conflictsOf(inputs.scenario).length, againstName: null });
    diff = { summary, diff: d };
  }

  const failuresByForce = { must: 0, target: 0, should: 0, strive: 0, may: 0 } as Record<Force, number>;
  for (const [force, counts] of Object.entries(summaryRollup.byForce)) failuresByForce[force as Force] = counts.fail;

  const model: ReportModel = {
    generatedAt: (options.now ?? new Date()).toISOString(),
    unit,
    ruleSet: { id: ruleSet.id, version: ruleSet.version, name: ruleSet.name, isDefault: ruleSet.isDefault, targetYear: ruleSet.targetYear, disabledRules: [...ruleSet.disabledRules] },
    scenario: inputs.scenario
      ? {
          id: inputs.scenario.scenario.id,
          version: inputs.scenario.scenario.version,
          name: inputs.scenario.scenario.name,
          description: inputs.scenario.scenario.description,
          changes: inputs.scenario.changes.map((c) => ({
            position: c.position,
            inherited: c.inherited,
            kind: c.record.change.kind,
            summary: c.summary,
            conflict: c.problems ? { zh: c.problems.map((p) => p.zh).join('；'), en: c.problems.map((p) => p.en).join('; ') } : null,
          })),
        }
      : null,
    dataVersion: evaluated.dataVersion,
    engineVersion: evaluation.engineVersion,
    synthetic: evaluation.synthetic || layers.some((l) => l.synthetic),
    assumptions: evaluation.assumptions,
    travel: travelText(access.params),
    rulesNotEvaluated: evaluation.rulesNotEvaluated.map((r) => ({ ruleId: r.ruleId, title: findRule(r.ruleId)?.title ?? null, reason: r.reason })),
    documents: policyDocuments(),
    datasets: DATASETS,
    layers,
    summary: {
      rollup: summaryRollup,
      facilities: facilities.list,
      facilitiesCounted: facilities.counted,
      countedStatuses: facilities.statuses,
      circle: circleRow(access, rootIndex),
      circleClass: circleCls ? classRef(circleCls.cls) : null,
      topGaps: topGaps(results),
      failuresByForce,
    },
    checklist: checklistSection(results, root),
    access: accessSection(access, rootIndex, root.level),
    clinics: clinicSection(results, access),
    merges: { ...merges, evaluated: options.mergeEffects === true },
    diff,
    map: null,
  };
  if (options.map !== false) model.map = await mapData(db, ctx, access, root, model);
  return model;
}

function listOrder(a: AdvisorResult['candidates'][number], b: AdvisorResult['candidates'][number]): number {
  const reason = (x: typeof a) => (x.reason === 'joint_clinic' ? 0 : 1);
  const size = (x: typeof a) => x.village?.population ?? x.facility.catchment ?? Number.MAX_SAFE_INTEGER;
  return reason(a) - reason(b) || size(a) - size(b) || (a.key < b.key ? -1 : 1);
}

/** The levels' Chinese/English names, for headings ("苏木乡镇"). */
export function levelLabel(level: Level): Bilingual {
  return LEVEL_LABELS[level] ?? bi(level, level);
}
