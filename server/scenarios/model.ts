/**
 * A scenario as evaluations see it: its chain (the scenarios it is based on,
 * root first), every change in order (the parents' first), and the state they
 * produce on the current baseline. Changes that the baseline or a parent has
 * since made impossible (closing a facility the registry already closed …) are
 * kept, reported with their problem, and skipped.
 *
 * Models are cached per (scenario id, version, data version): a write to a
 * scenario bumps its version and its descendants' (repository.bumpVersions),
 * any baseline edit bumps the data version.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { EvaluationContext } from '../engine/context.ts';
import { scenarioNotFound } from '../auth/scenarios.ts';
import { PromiseCache } from '../access/cache.ts';
import type { ChangeRecord } from './changes.ts';
import { describeChange, type Bilingual } from './describe.ts';
import { changesOf, readDataVersion, scenarioChain, type ScenarioRecord } from './repository.ts';
import { applyChange, baselineFor, referencesOf, ScenarioState, type ChangeRef, type Problem } from './state.ts';
import { contextOf } from './context.ts';

export interface AppliedChange {
  record: ChangeRecord;
  /** 1-based position in its own scenario. */
  position: number;
  /** From a scenario this one is based on. */
  inherited: boolean;
  summary: Bilingual;
  /** Why the change could not be applied (it is skipped), or null. */
  problems: Problem[] | null;
}

export interface ScenarioModel {
  scenario: ScenarioRecord;
  chain: ScenarioRecord[];
  changes: AppliedChange[];
  state: ScenarioState;
  dataVersion: number;
}

/** Apply changes in order to a fresh state on the baseline of `dataVersion`. */
export async function buildState(
  db: Kysely<Database>,
  dataVersion: number,
  ownId: number,
  changes: readonly ChangeRecord[],
  positions?: Map<number, number>,
  /** Read the baseline rows through this (a transaction's snapshot) while sharing `db`'s rows of the version. */
  reader: Kysely<Database> = db,
): Promise<{ state: ScenarioState; applied: AppliedChange[] }> {
  const base = baselineFor(db, dataVersion);
  await base.ensure(reader, referencesOf(changes.map((c) => c.change)));
  const state = new ScenarioState(base);
  const applied: AppliedChange[] = [];
  const counters = new Map<number, number>();
  for (const record of changes) {
    const position = positions?.get(record.id) ?? (counters.get(record.scenarioId) ?? 0) + 1;
    counters.set(record.scenarioId, position);
    const ref: ChangeRef = { changeId: record.id, scenarioId: record.scenarioId, position };
    const summary = describeChange(state, record.change);
    const problems = applyChange(state, record.change, ref, record.createdAt);
    applied.push({ record, position, inherited: record.scenarioId !== ownId, summary, problems });
  }
  return { state, applied };
}

/** Changes of a chain in the order they apply. */
export function orderChanges(chain: readonly ScenarioRecord[], changes: readonly ChangeRecord[]): ChangeRecord[] {
  const rank = new Map(chain.map((s, i) => [s.id, i]));
  return [...changes].sort((a, b) => (rank.get(a.scenarioId) ?? 0) - (rank.get(b.scenarioId) ?? 0) || a.seq - b.seq);
}

export async function buildModel(db: Kysely<Database>, chain: ScenarioRecord[], dataVersion: number): Promise<ScenarioModel> {
  const scenario = chain[chain.length - 1]!;
  const changes = orderChanges(chain, await changesOf(db, chain.map((s) => s.id)));
  const { state, applied } = await buildState(db, dataVersion, scenario.id, changes);
  return { scenario, chain, changes: applied, state, dataVersion };
}

const models = new WeakMap<Kysely<Database>, PromiseCache<ScenarioModel>>();

function modelCache(db: Kysely<Database>): PromiseCache<ScenarioModel> {
  let cache = models.get(db);
  if (!cache) models.set(db, (cache = new PromiseCache(32)));
  return cache;
}

/** The scenario's model on the current baseline; 404 when there is no such scenario. */
export async function loadModel(db: Kysely<Database>, scenarioId: number): Promise<ScenarioModel> {
  const [chain, dataVersion] = await Promise.all([scenarioChain(db, scenarioId), readDataVersion(db)]);
  if (chain.length === 0) throw scenarioNotFound(scenarioId);
  const self = chain[chain.length - 1]!;
  return modelCache(db).get(`${self.id}@${self.version}|d${dataVersion}`, () => buildModel(db, chain, dataVersion));
}

/** The EvaluationContext of a scenario (what the rules' provider hook returns). */
export async function scenarioContext(db: Kysely<Database>, scenarioId: number): Promise<EvaluationContext> {
  const model = await loadModel(db, scenarioId);
  return contextOf(db, model.state, { id: model.scenario.id, version: model.scenario.version });
}

export function conflictsOf(model: ScenarioModel): AppliedChange[] {
  return model.changes.filter((c) => c.problems !== null);
}
