/**
 * The rule engine: evaluate every enabled rule of a rule set at every unit of a
 * subtree, through an EvaluationContext (baseline or scenario), and roll the
 * results up per unit.
 *
 *   const evaluation = await evaluate(ctx, ruleSet, { unit: '150430' });
 *
 * Rules are evaluated as set-based statements over all units in scope, never a
 * loop per unit: the units once, then one statement per rule kind (all ratio
 * rules together, all presence rules together …). `evaluateRule()` is the same
 * for one rule, and `units` restricts an evaluation to given units, so the
 * scenario engine can re-evaluate only the rules and units a change reaches.
 */
import { sql } from 'kysely';
import type { EvaluationContext } from '../engine/context.ts';
import type { Level } from '../domain/taxonomy.ts';
import { unitNotFound } from '../errors.ts';
import './setup.ts';
import { allRules, evaluatorFor, selectTarget, type EvaluatedRow } from './registry.ts';
import { levelsDownTo, loadUnits, runBatches, type AggregateReuse } from './evaluators/batch.ts';
import { assumptionsOf, type Assumption, type RuleSetParams } from './params.ts';
import { assumptionsOf as accessAssumptionsOf } from '../access/params.ts';
import { facilityInScope, LEVEL_DEPTH, levelInScope, REGION_CODE, unitInScope, type ResolvedScope } from './sql.ts';
import { FORCE_RANK, FORCES, STATUS_RANK, type Bilingual, type Force, type Rollup, type RuleDefinition, type RuleResult, type StatusCounts, type UnitRef } from './types.ts';

/** Bumped whenever evaluators or the catalogue change results (part of cache keys and every result). */
export const RULE_ENGINE_VERSION = 'rules-1.0.0';

/** What an evaluation needs to know about its rule set. */
export interface RuleSetInput {
  id: number;
  version: number;
  name: string;
  isDefault: boolean;
  targetYear: number;
  params: RuleSetParams;
  disabledRules: readonly string[];
}

export interface EvaluateOptions {
  /** Root of the subtree to evaluate (default: the region). */
  unit?: string;
  /** Only these units (e.g. the ones a scenario change reaches). */
  units?: readonly string[];
  /** Only these rules. */
  rules?: readonly string[];
  /** The data version the context reflects (read from data_state when omitted). */
  dataVersion?: number;
  /** Receives the time of each stage (units, aggregate kinds, other kinds, results); the bench prints them. */
  timings?: { stage: string; ms: number }[];
  /**
   * Aggregate rows to keep (a full evaluation) or reuse (a re-evaluation of some
   * units over a facility set that differs in `changed`): see batch.ts. The
   * scenario engine keeps one per baseline evaluation.
   */
  aggregates?: AggregateReuse;
}

/** Full unit reference, with the ancestors used for roll-ups. */
export interface ScopedUnit extends UnitRef {
  leagueCode: string | null;
  bannerCode: string | null;
  townshipCode: string | null;
}

export interface Evaluation {
  ruleSet: { id: number; version: number; name: string; isDefault: boolean; targetYear: number };
  scenario: { id: number; version: number } | null;
  dataVersion: number;
  engineVersion: string;
  evaluatedAt: string;
  durationMs: number;
  /** Some unit or facility in scope is generated (synthetic) rather than sourced. */
  synthetic: boolean;
  root: ScopedUnit;
  assumptions: Assumption[];
  rulesEvaluated: string[];
  rulesNotEvaluated: { ruleId: string; reason: Bilingual }[];
  results: RuleResult[];
}

export async function currentDataVersion(ctx: EvaluationContext): Promise<number> {
  const row = await ctx.db.selectFrom('data_state').select('data_version').where('id', '=', 1).executeTakeFirst();
  return Number(row?.data_version ?? 0);
}

/** A unit of the context with its ancestors; throws UnitNotFound. */
export async function findScopedUnit(ctx: EvaluationContext, code: string): Promise<ScopedUnit> {
  const { rows } = await sql<{ code: string; name: string; level: Level; league_code: string | null; banner_code: string | null; township_code: string | null }>`
    SELECT code, name, level, league_code, banner_code, township_code FROM ${ctx.units} AS u WHERE u.code = ${code}`.execute(ctx.db);
  const row = rows[0];
  if (!row) throw unitNotFound(code);
  return { code: row.code, name: row.name, level: row.level, leagueCode: row.league_code, bannerCode: row.banner_code, townshipCode: row.township_code };
}

/** The direct children of a unit, for per-child roll-ups (map colouring). */
export async function childUnits(ctx: EvaluationContext, code: string): Promise<ScopedUnit[]> {
  const { rows } = await sql<{ code: string; name: string; level: Level; league_code: string | null; banner_code: string | null; township_code: string | null }>`
    SELECT code, name, level, league_code, banner_code, township_code FROM ${ctx.units} AS u WHERE u.parent_code = ${code} ORDER BY code`.execute(ctx.db);
  return rows.map((row) => ({ code: row.code, name: row.name, level: row.level, leagueCode: row.league_code, bannerCode: row.banner_code, townshipCode: row.township_code }));
}

interface RunContext {
  ctx: EvaluationContext;
  ruleSet: RuleSetInput;
  dataVersion: number;
  /** Shared by every row of the run (results are read-only). */
  ruleSetRef: RuleResult['ruleSet'];
  versions: RuleResult['versions'];
}

function runContext(ctx: EvaluationContext, ruleSet: RuleSetInput, dataVersion: number): RunContext {
  return {
    ctx,
    ruleSet,
    dataVersion,
    ruleSetRef: { id: ruleSet.id, version: ruleSet.version },
    versions: {
      engine: RULE_ENGINE_VERSION,
      data: dataVersion,
      scenario: ctx.scenarioId === null ? null : { id: ctx.scenarioId, version: ctx.scenarioVersion },
    },
  };
}

/** Relative size of a failure (0–1) for ordering and map colouring. */
function severityOf(row: EvaluatedRow): number {
  if (row.status !== 'fail') return 0;
  return Math.max(0, Math.min(1, row.severity ?? 1));
}

function toResult(rule: RuleDefinition, row: EvaluatedRow, run: RunContext): RuleResult {
  return {
    ruleId: rule.id,
    kind: rule.kind,
    title: rule.title,
    topic: rule.topic,
    unit: row.unit,
    status: row.status,
    force: rule.force,
    severity: Math.round(severityOf(row) * 1000) / 1000,
    indicative: LEVEL_DEPTH[row.unit.level] > LEVEL_DEPTH[rule.targetLevel],
    jurisdiction: rule.jurisdiction ?? null,
    measured: row.measured,
    target: row.target,
    shortfall: row.shortfall,
    notes: row.notes,
    facts: row.facts,
    facilities: row.facilities,
    villages: row.villages,
    citations: rule.citations,
    interpretation: rule.interpretation ?? null,
    comparesWith: rule.comparesWith ?? null,
    ruleSet: run.ruleSetRef,
    versions: run.versions,
  };
}

/**
 * Run statements with the planner settings evaluations want, for the
 * evaluation's own transaction: PostgreSQL's JIT costs 100–300 ms of
 * compilation per statement here (the aggregate queries have high cost
 * estimates) and buys nothing on tables of this size; sorts get enough memory;
 * plans are serial. A context that is already a transaction (a scenario's) is
 * used as it is — its owner decides its settings.
 */
async function withEvaluationSettings<T>(ctx: EvaluationContext, fn: (ctx: EvaluationContext) => Promise<T>): Promise<T> {
  if (ctx.db.isTransaction) return fn(ctx);
  return ctx.db.transaction().execute(async (trx) => {
    await sql`SET LOCAL jit = off`.execute(trx);
    // Sorts of a few hundred thousand short rows stay in memory; serial plans keep
    // the (unit, id) order the item lists rely on (batch.ts).
    await sql`SET LOCAL work_mem = '64MB'`.execute(trx);
    await sql`SET LOCAL max_parallel_workers_per_gather = 0`.execute(trx);
    return fn({ ...ctx, db: trx });
  });
}

/** Evaluate rules (grouped by kind: one statement per kind where the kind batches). */
async function runRules(
  ctx: EvaluationContext,
  rules: readonly RuleDefinition[],
  ruleSet: RuleSetInput,
  scope: ResolvedScope,
  dataVersion: number,
  timings?: { stage: string; ms: number }[],
  reuse?: AggregateReuse,
): Promise<RuleResult[]> {
  let clock = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings?.push({ stage, ms: now - clock });
    clock = now;
  };
  const planned = rules.flatMap((rule) => {
    const target = selectTarget(rule, ruleSet.targetYear);
    const levels = rule.levels.filter((l) => levelInScope(l, scope.root.level));
    return target && levels.length > 0 ? [{ rule, target, levels }] : [];
  });
  if (planned.length === 0) return [];
  const units = await loadUnits(ctx, scope, levelsDownTo(planned.flatMap((p) => p.levels), scope.root.level));
  lap('units');
  const inputOf = (p: (typeof planned)[number]) => ({ ctx, rule: p.rule, target: p.target, params: ruleSet.params, scope, levels: p.levels, units });
  const results: RuleResult[] = [];
  const run = runContext(ctx, ruleSet, dataVersion);
  const collect = (rule: RuleDefinition, rows: readonly EvaluatedRow[]) => {
    for (const row of rows) results.push(toResult(rule, row, run));
  };
  // Aggregate kinds together: one statement per level for all of them.
  const batched = planned.filter((p) => evaluatorFor(p.rule.kind).batch);
  const batchRows = await runBatches(
    batched.map((p) => ({ input: inputOf(p), kind: evaluatorFor(p.rule.kind).batch! })),
    reuse,
  );
  lap(`aggregate kinds (${batched.length} rules)`);
  batched.forEach((p, i) => collect(p.rule, batchRows[i] ?? []));
  // Other kinds: all rules of a kind together where the kind can.
  const byKind = new Map<string, typeof planned>();
  for (const p of planned) if (!evaluatorFor(p.rule.kind).batch) byKind.set(p.rule.kind, [...(byKind.get(p.rule.kind) ?? []), p]);
  for (const [kind, group] of byKind) {
    const evaluator = evaluatorFor(kind);
    const inputs = group.map(inputOf);
    const rows = evaluator.evaluateMany ? await evaluator.evaluateMany(inputs) : await Promise.all(inputs.map((input) => evaluator.evaluate(input)));
    lap(`${kind} (${group.length} rules)`);
    group.forEach((p, i) => collect(p.rule, rows[i] ?? []));
  }
  lap('result rows');
  return results;
}

/** Evaluate one rule at every unit of its levels inside the scope (e.g. after a scenario change). */
export async function evaluateRule(ctx: EvaluationContext, rule: RuleDefinition, ruleSet: RuleSetInput, scope: ResolvedScope, dataVersion: number): Promise<RuleResult[]> {
  return withEvaluationSettings(ctx, (c) => runRules(c, [rule], ruleSet, scope, dataVersion));
}

/** Worst first: fail, unknown, pass, n/a; then force; then severity; then catalogue order and unit. */
export function compareResults(order: Map<string, number>) {
  return (a: RuleResult, b: RuleResult) =>
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    FORCE_RANK[a.force] - FORCE_RANK[b.force] ||
    b.severity - a.severity ||
    LEVEL_DEPTH[a.unit.level] - LEVEL_DEPTH[b.unit.level] ||
    (order.get(a.ruleId) ?? 0) - (order.get(b.ruleId) ?? 0) ||
    (a.unit.code < b.unit.code ? -1 : a.unit.code > b.unit.code ? 1 : 0);
}

/** Whether generated (synthetic) units or facilities lie in scope: results must say so. */
async function anySynthetic(ctx: EvaluationContext, scope: ResolvedScope): Promise<boolean> {
  const { rows } = await sql<{ synthetic: boolean }>`
    SELECT EXISTS (SELECT 1 FROM ${ctx.facilities} AS f WHERE f.synthetic AND ${facilityInScope(scope, 'village', 'f')})
        OR EXISTS (SELECT 1 FROM ${ctx.units} AS u WHERE u.synthetic AND ${unitInScope(scope, 'u')}) AS synthetic`.execute(ctx.db);
  return rows[0]?.synthetic === true;
}

/** Evaluate a rule set over a subtree. */
export async function evaluate(ctx: EvaluationContext, ruleSet: RuleSetInput, options: EvaluateOptions = {}): Promise<Evaluation> {
  const started = performance.now();
  const root = await findScopedUnit(ctx, options.unit ?? REGION_CODE);
  const dataVersion = options.dataVersion ?? (await currentDataVersion(ctx));
  const scope: ResolvedScope = { root: { code: root.code, level: root.level }, ...(options.units ? { units: options.units } : {}) };
  const disabled = new Set(ruleSet.disabledRules);
  const wanted = options.rules ? new Set(options.rules) : null;
  const notEvaluated: Evaluation['rulesNotEvaluated'] = [];
  const toRun: RuleDefinition[] = [];
  for (const rule of allRules()) {
    if (wanted && !wanted.has(rule.id)) continue;
    if (disabled.has(rule.id)) {
      notEvaluated.push({ ruleId: rule.id, reason: { zh: '规则集中已停用', en: 'disabled in the rule set' } });
      continue;
    }
    const target = selectTarget(rule, ruleSet.targetYear);
    if (!target) {
      const years = rule.targets.map((t) => t.year).join('/');
      notEvaluated.push({ ruleId: rule.id, reason: { zh: `仅有 ${years} 年目标，规则集目标年份为 ${ruleSet.targetYear}`, en: `only a ${years} target; the rule set's target year is ${ruleSet.targetYear}` } });
      continue;
    }
    if (!rule.levels.some((l) => levelInScope(l, root.level))) continue;
    toRun.push(rule);
  }
  const { evaluated, synthetic } = await withEvaluationSettings(ctx, async (c) => ({
    evaluated: await runRules(c, toRun, ruleSet, scope, dataVersion, options.timings, options.aggregates),
    synthetic: await anySynthetic(c, scope),
  }));
  const order = new Map(allRules().map((r, i) => [r.id, i]));
  const sortStart = performance.now();
  const results = evaluated.sort(compareResults(order));
  options.timings?.push({ stage: 'sort', ms: performance.now() - sortStart });
  return {
    ruleSet: { id: ruleSet.id, version: ruleSet.version, name: ruleSet.name, isDefault: ruleSet.isDefault, targetYear: ruleSet.targetYear },
    scenario: ctx.scenarioId === null ? null : { id: ctx.scenarioId, version: ctx.scenarioVersion },
    dataVersion,
    engineVersion: RULE_ENGINE_VERSION,
    evaluatedAt: new Date().toISOString(),
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    synthetic,
    root,
    assumptions: [...assumptionsOf(ruleSet.params), ...accessAssumptionsOf(ruleSet.params.access)],
    rulesEvaluated: toRun.map((r) => r.id),
    rulesNotEvaluated: notEvaluated,
    results,
  };
}

// ── Roll-ups ───────────────────────────────────────────────────────────────

const emptyCounts = (): StatusCounts => ({ pass: 0, fail: 0, not_applicable: 0, unknown: 0 });

/** Is a result's unit inside the subtree of `unit`? */
export function inSubtree(result: Pick<RuleResult, 'unit'>, unit: Pick<ScopedUnit, 'code' | 'level'>): boolean {
  const u = result.unit;
  if (unit.level === 'region' || u.code === unit.code) return true;
  switch (unit.level) {
    case 'league':
      return u.leagueCode === unit.code;
    case 'banner':
      return u.bannerCode === unit.code;
    case 'township':
      return u.townshipCode === unit.code;
    default:
      return false;
  }
}

/** Counts by status and force and the worst failures of the results in a unit's subtree. */
export function rollup(results: readonly RuleResult[], unit: ScopedUnit, worstCap = 10): Rollup {
  const byStatus = emptyCounts();
  const byForce = Object.fromEntries(FORCES.map((f) => [f, emptyCounts()])) as Record<Force, StatusCounts>;
  const worst: Rollup['worst'] = [];
  let total = 0;
  for (const r of results) {
    if (!inSubtree(r, unit)) continue;
    total += 1;
    byStatus[r.status] += 1;
    byForce[r.force][r.status] += 1;
    // Results are sorted worst first, so the first failures are the worst.
    if (r.status === 'fail' && worst.length < worstCap) {
      worst.push({ ruleId: r.ruleId, unitCode: r.unit.code, unitName: r.unit.name, force: r.force, title: r.title, shortfall: r.shortfall?.text ?? null });
    }
  }
  return { unit: { code: unit.code, name: unit.name, level: unit.level }, total, byStatus, byForce, worst };
}
