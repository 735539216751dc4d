/**
 * Evaluations as the API and other features ask for them: the rule set
 * resolved, the context chosen (baseline, or a scenario through the hook the
 * scenario feature registers), and results cached per
 * (rule set id + version, scenario id + version, data version, engine version, subtree).
 * Any edit or import bumps data_state.data_version, so a stale entry can never
 * be hit again; entries of older data versions are dropped as soon as a newer
 * one is seen. A subtree request is answered from a cached evaluation of an
 * enclosing unit when there is one.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { baselineContext, type EvaluationContext } from '../engine/context.ts';
import { AppError } from '../errors.ts';
import { currentDataVersion, evaluate, findScopedUnit, inSubtree, RULE_ENGINE_VERSION, type Evaluation, type ScopedUnit } from './engine.ts';
import { getDefaultRuleSet, getRuleSet, type RuleSetRecord } from './ruleSets.ts';
import { REGION_CODE } from './sql.ts';

/**
 * How the scenario feature plugs in: it registers a function that returns the
 * EvaluationContext of a scenario (relations with its changes applied), or
 * throws its own 404 for an unknown scenario. Until then scenario requests get
 * a 400 "scenarios are not available yet".
 */
export type ScenarioContextProvider = (db: Kysely<Database>, scenarioId: number) => Promise<EvaluationContext>;
let scenarioProvider: ScenarioContextProvider | null = null;

export function setScenarioContextProvider(provider: ScenarioContextProvider | null): void {
  scenarioProvider = provider;
}

function scenariosUnavailable(): AppError {
  return new AppError('ScenariosUnavailable', 400, {
    en: 'Scenarios are not available yet: evaluate the baseline (omit scenario or use scenario=baseline).',
    zh: '情景功能尚未提供：请评估现状（不指定 scenario 或使用 scenario=baseline）。',
  });
}

export async function contextFor(db: Kysely<Database>, scenarioId: number | null): Promise<EvaluationContext> {
  if (scenarioId === null) return baselineContext(db);
  if (!scenarioProvider) throw scenariosUnavailable();
  return scenarioProvider(db, scenarioId);
}

/** A small LRU of evaluations (promises, so concurrent identical requests share one run). */
export class EvaluationCache {
  private readonly entries = new Map<string, { dataVersion: number; value: Promise<Evaluation> }>();
  constructor(private readonly capacity = 12) {}

  get(key: string): Promise<Evaluation> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, dataVersion: number, value: Promise<Evaluation>): void {
    for (const [k, e] of this.entries) if (e.dataVersion < dataVersion) this.entries.delete(k);
    this.entries.set(key, { dataVersion, value });
    value.catch(() => this.entries.delete(key));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

export interface EvaluationRequest {
  ruleSetId?: number | undefined;
  scenarioId?: number | null | undefined;
  unit?: string | undefined;
}

export interface ServedEvaluation {
  evaluation: Evaluation;
  ruleSet: RuleSetRecord;
  ctx: EvaluationContext;
  cached: boolean;
}

function keyOf(ruleSet: RuleSetRecord, ctx: EvaluationContext, dataVersion: number, unit: string): string {
  return [ruleSet.id, ruleSet.version, ctx.scenarioId ?? 0, ctx.scenarioVersion, dataVersion, RULE_ENGINE_VERSION, unit].join(':');
}

/** The evaluation of a subtree, restricted from an evaluation of an enclosing unit. */
function restrict(evaluation: Evaluation, root: ScopedUnit): Evaluation {
  if (evaluation.root.code === root.code) return evaluation;
  return { ...evaluation, root, results: evaluation.results.filter((r) => inSubtree(r, root)) };
}

export async function serveEvaluation(db: Kysely<Database>, cache: EvaluationCache, request: EvaluationRequest): Promise<ServedEvaluation> {
  const ruleSet = request.ruleSetId !== undefined ? await getRuleSet(db, request.ruleSetId) : await getDefaultRuleSet(db);
  const ctx = await contextFor(db, request.scenarioId ?? null);
  const root = await findScopedUnit(ctx, request.unit ?? REGION_CODE);
  const dataVersion = await currentDataVersion(ctx);
  const enclosing = [root.code, root.townshipCode, root.bannerCode, root.leagueCode, REGION_CODE].filter((c): c is string => c !== null);
  for (const code of enclosing) {
    const hit = cache.get(keyOf(ruleSet, ctx, dataVersion, code));
    if (hit) return { evaluation: restrict(await hit, root), ruleSet, ctx, cached: true };
  }
  const run = evaluate(ctx, ruleSet, { unit: root.code, dataVersion });
  cache.set(keyOf(ruleSet, ctx, dataVersion, root.code), dataVersion, run);
  return { evaluation: await run, ruleSet, ctx, cached: false };
}
