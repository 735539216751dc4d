/**
 * Evaluators by kind, and the rule catalogue. Both are open: another module
 * (e.g. the access engine's 15-minute circle) adds a kind with
 * `registerEvaluator()` and its rules with `registerRules()` — listed in
 * ./extensions.ts so they load wherever the engine is used. See README.md.
 */
import type { RawBuilder } from 'kysely';
import type { EvaluationContext } from '../engine/context.ts';
import type { Level } from '../domain/taxonomy.ts';
import type { RuleSetParams } from './params.ts';
import type { ResolvedScope } from './sql.ts';
import type { BatchKind, UnitIndex } from './evaluators/batch.ts';
import type { Bilingual, CappedList, Citation, ResultTarget, ResultUnit, RuleDefinition, Shortfall, Status, TargetByYear } from './types.ts';

/** What an evaluator is given for one rule. */
export interface EvaluatorInput<S = unknown> {
  ctx: EvaluationContext;
  rule: RuleDefinition<string, S>;
  /** The rule's target for the rule set's target year (see selectTarget). */
  target: TargetByYear;
  params: RuleSetParams;
  scope: ResolvedScope;
  /** The rule's levels that fall inside the scope (never empty). */
  levels: readonly Level[];
  /** Units in scope, loaded once per evaluation (kinds that need them load their own when absent). */
  units?: UnitIndex;
}

/** One (rule, unit) row as an evaluator produces it; the engine adds the rule's metadata. */
export interface EvaluatedRow {
  unit: ResultUnit;
  status: Status;
  /** Relative size of a failure, 0–1; defaults to 1 for a failure, 0 otherwise. */
  severity?: number;
  measured: { value: number | null; unit: Bilingual; text: Bilingual };
  target: ResultTarget | null;
  shortfall: Shortfall | null;
  notes: Bilingual[];
  facts: Record<string, number | string | boolean | null>;
  facilities: CappedList;
  villages: CappedList;
}

export interface RuleEvaluator<S = unknown> {
  kind: string;
  label: Bilingual;
  description: Bilingual;
  /** Check a catalogue entry's spec when it is registered (throw on a mistake). */
  validate?(rule: RuleDefinition<string, S>): void;
  /**
   * The set-based statement evaluating these rules (all of this kind, same
   * context and scope) at every unit in scope; snapshotted in tests. Optional
   * for kinds that need several statements.
   */
  compile?(inputs: EvaluatorInput<S>[]): RawBuilder<unknown>;
  /** Evaluate one rule at every unit of its levels inside the scope. */
  evaluate(input: EvaluatorInput<S>): Promise<EvaluatedRow[]>;
  /**
   * Evaluate several rules of this kind together (one statement for all of
   * them); results in the order of `inputs`. The engine prefers it when present.
   */
  evaluateMany?(inputs: EvaluatorInput<S>[]): Promise<EvaluatedRow[][]>;
  /**
   * Kinds that are per-unit aggregates over facilities expose their batch
   * pieces (evaluators/batch.ts): the engine then evaluates all of them, of
   * every such kind, with one statement per level.
   */
  batch?: BatchKind<S>;
}

const evaluators = new Map<string, RuleEvaluator<never>>();
const rules = new Map<string, RuleDefinition>();

export function registerEvaluator<S>(evaluator: RuleEvaluator<S>): void {
  if (evaluators.has(evaluator.kind)) throw new Error(`rule kind ${evaluator.kind} is registered twice`);
  evaluators.set(evaluator.kind, evaluator as unknown as RuleEvaluator<never>);
}

export function evaluatorFor(kind: string): RuleEvaluator<unknown> {
  const evaluator = evaluators.get(kind);
  if (!evaluator) throw new Error(`no evaluator registered for rule kind ${kind}`);
  return evaluator as unknown as RuleEvaluator<unknown>;
}

export function registeredKinds(): RuleEvaluator<unknown>[] {
  return [...evaluators.values()] as unknown as RuleEvaluator<unknown>[];
}

const RULE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function checkCitation(ruleId: string, c: Citation) {
  if (!(c.lines[0] >= 1 && c.lines[1] >= c.lines[0])) throw new Error(`rule ${ruleId}: bad line range ${c.lines.join('-')}`);
  if (c.quote.trim() === '') throw new Error(`rule ${ruleId}: empty quote`);
}

/** Add rules to the catalogue; their kinds must be registered first. */
export function registerRules(list: readonly RuleDefinition<string, unknown>[]): void {
  for (const rule of list) {
    if (!RULE_ID.test(rule.id)) throw new Error(`rule id ${rule.id} must be lower-case words joined by hyphens`);
    if (rules.has(rule.id)) throw new Error(`rule ${rule.id} is registered twice`);
    const evaluator = evaluatorFor(rule.kind);
    if (rule.citations.length === 0) throw new Error(`rule ${rule.id} has no citation`);
    rule.citations.forEach((c) => checkCitation(rule.id, c));
    if (rule.targets.length === 0) throw new Error(`rule ${rule.id} has no due year`);
    for (const t of rule.targets) {
      if (t.citation !== undefined && !rule.citations[t.citation]) throw new Error(`rule ${rule.id}: target cites #${t.citation}, which does not exist`);
    }
    if (rule.levels.length === 0) throw new Error(`rule ${rule.id} has no level`);
    evaluator.validate?.(rule);
    rules.set(rule.id, rule);
  }
}

export function allRules(): RuleDefinition[] {
  return [...rules.values()];
}

export function findRule(id: string): RuleDefinition | undefined {
  return rules.get(id);
}

/**
 * The target a rule set uses: the latest target whose year is ≤ the rule set's
 * target year (a 2025 target is still due in 2030 unless a 2030 target replaces
 * it). Undefined when the rule only has later targets (e.g. a 2030 ratio in a
 * 2025 rule set): the rule is then not evaluated, and the results say so.
 */
export function selectTarget(rule: RuleDefinition, year: number): TargetByYear | undefined {
  let best: TargetByYear | undefined;
  for (const t of rule.targets) if (t.year <= year && (!best || t.year > best.year)) best = t;
  return best;
}
