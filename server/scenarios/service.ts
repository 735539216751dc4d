/**
 * Scenario writes (each in one transaction: the scenario row locked, the
 * version the client read checked — 409 with the current version when stale —,
 * the change sequence re-validated, rows written, versions bumped, an audit
 * row) and evaluations served from caches.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { AppError, versionConflict } from '../errors.ts';
import { writeAudit } from '../audit/log.ts';
import type { Actor } from '../http/actor.ts';
import { scenarioNotFound } from '../auth/scenarios.ts';
import type { RuleSetRecord } from '../rules/ruleSets.ts';
import { PromiseCache } from '../access/cache.ts';
import { invalidChange, parseChange, CHANGE_KIND_LABELS, type ChangeRecord } from './changes.ts';
import { buildState, loadModel, orderChanges, type AppliedChange, type ScenarioModel } from './model.ts';
import { prepareChange } from './prepare.ts';
import {
  bumpVersions,
  changesOf,
  childIds,
  deleteChange,
  deleteScenarioRow,
  findScenario,
  insertChanges,
  insertScenario,
  lockScenario,
  readDataVersion,
  renumberChanges,
  scenarioChain,
  setBasedOn,
  shiftChanges,
  updateScenarioMeta,
  type ScenarioRecord,
} from './repository.ts';
import { baselineEvaluated, diffSize, diffStates, reevaluate, snapshotEvaluation, StaleBaseline, type Evaluated } from './evaluate.ts';
import type { Problem } from './state.ts';

/**
 * The caller's permission, checked again inside the write's transaction (after
 * the lock), so a share revoked meanwhile cannot slip through.
 */
export type Authorize = (trx: Transaction<Database>) => Promise<unknown>;

async function lockAt(trx: Transaction<Database>, id: number, version: number, authorize?: Authorize): Promise<ScenarioRecord> {
  const current = await lockScenario(trx, id);
  if (!current) throw scenarioNotFound(id);
  await authorize?.(trx);
  if (current.version !== version) throw versionConflict('scenario', current.version, version);
  return current;
}

/** The scenario's chain and its changes in order, read in the transaction. */
async function sequenceOf(trx: Transaction<Database>, id: number): Promise<{ chain: ScenarioRecord[]; changes: ChangeRecord[] }> {
  const chain = await scenarioChain(trx, id);
  return { chain, changes: orderChanges(chain, await changesOf(trx, chain.map((s) => s.id))) };
}

function problemText(problems: Problem[]): { en: string; zh: string } {
  return { en: problems.map((p) => p.en).join('; '), zh: problems.map((p) => p.zh).join('；') };
}

/**
 * Apply `next` and refuse it when a change of this scenario has a problem it
 * did not have in `current` (a change the caller is adding, or one that a
 * removal or a new order would break).
 */
async function checkSequence(trx: Transaction<Database>, id: number, current: readonly ChangeRecord[], next: readonly ChangeRecord[], what: { en: string; zh: string }): Promise<AppliedChange[]> {
  const dataVersion = await readDataVersion(trx);
  const before = await buildState(trx, dataVersion, id, current);
  const hadProblem = new Set(before.applied.filter((a) => a.problems).map((a) => a.record.id));
  const after = await buildState(trx, dataVersion, id, next);
  const broken = after.applied.filter((a) => a.problems && !a.inherited && !hadProblem.has(a.record.id));
  if (broken.length > 0) {
    const first = broken[0]!;
    const text = problemText(first.problems!);
    const label = CHANGE_KIND_LABELS[first.record.change.kind];
    const isNew = first.record.id <= 0;
    throw invalidChange(
      isNew ? `The ${first.record.change.kind} change is invalid: ${text.en}.` : `${what.en} would make change #${first.position} (${first.record.change.kind}) invalid: ${text.en}.`,
      isNew ? `${label.zh}变更无效：${text.zh}。` : `${what.zh}会使第 ${first.position} 项变更（${label.zh}）失效：${text.zh}。`,
      broken.flatMap((b) => b.problems!.map((p) => ({ field: b.record.id <= 0 ? `change.${p.field}` : `changes.${b.position}.${p.field}`, value: p.value, en: p.en, zh: p.zh, changeId: b.record.id > 0 ? b.record.id : null }))),
    );
  }
  return after.applied;
}

export interface WriteResult {
  scenario: ScenarioRecord;
}

export async function createScenario(db: Kysely<Database>, actor: Actor, input: { name: string; description?: string | null | undefined; basedOn?: number | undefined }): Promise<ScenarioRecord> {
  return db.transaction().execute(async (trx) => {
    if (input.basedOn !== undefined && !(await findScenario(trx, input.basedOn))) throw scenarioNotFound(input.basedOn);
    const created = await insertScenario(trx, { name: input.name.trim(), description: input.description ?? null, owner: actor.id, basedOnId: input.basedOn ?? null });
    await writeAudit(trx, { actor: actor.id, action: 'scenario.create', entityType: 'scenario', entityId: created.id, after: created });
    return created;
  });
}

export async function updateScenario(db: Kysely<Database>, actor: Actor, id: number, input: { version: number; name?: string | undefined; description?: string | null | undefined }, authorize?: Authorize): Promise<ScenarioRecord> {
  return db.transaction().execute(async (trx) => {
    const before = await lockAt(trx, id, input.version, authorize);
    await updateScenarioMeta(trx, id, { ...(input.name !== undefined ? { name: input.name.trim() } : {}), ...(input.description !== undefined ? { description: input.description } : {}) });
    // Metadata does not change what descendants evaluate to: only this scenario's version moves.
    await trx.updateTable('scenario').set((eb) => ({ version: eb('version', '+', 1), updated_at: new Date() })).where('id', '=', id).execute();
    const after = (await findScenario(trx, id))!;
    await writeAudit(trx, { actor: actor.id, action: 'scenario.update', entityType: 'scenario', entityId: id, before, after });
    return after;
  });
}

/**
 * Delete a scenario. Scenarios based on it keep what they evaluate to: its own
 * changes are copied in front of theirs and they are re-based on its parent.
 */
export async function deleteScenario(db: Kysely<Database>, actor: Actor, id: number, version: number, authorize?: Authorize): Promise<{ flattenedInto: number[] }> {
  return db.transaction().execute(async (trx) => {
    const scenario = await lockAt(trx, id, version, authorize);
    const own = await changesOf(trx, [id]);
    const children = await childIds(trx, id);
    for (const child of children) {
      await lockScenario(trx, child);
      // Their changes move behind the copies (positions n…); the copies take 0…n-1.
      await shiftChanges(trx, child, own.length);
      await insertChanges(trx, child, own.map((c, i) => ({ seq: i, change: c.change, createdBy: c.createdBy ?? actor.id })));
      await setBasedOn(trx, child, scenario.basedOnId);
      await bumpVersions(trx, child);
    }
    await deleteScenarioRow(trx, id);
    await writeAudit(trx, { actor: actor.id, action: 'scenario.delete', entityType: 'scenario', entityId: id, before: { ...scenario, changes: own.map((c) => c.change) }, details: { flattenedInto: children } });
    return { flattenedInto: children };
  });
}

export async function duplicateScenario(db: Kysely<Database>, actor: Actor, id: number, input: { name?: string | undefined }): Promise<ScenarioRecord> {
  return db.transaction().execute(async (trx) => {
    const source = await findScenario(trx, id);
    if (!source) throw scenarioNotFound(id);
    const copy = await insertScenario(trx, {
      name: input.name?.trim() ?? `${source.name}（副本）`,
      description: source.description,
      owner: actor.id,
      basedOnId: source.basedOnId,
    });
    const own = await changesOf(trx, [id]);
    await insertChanges(trx, copy.id, own.map((c, i) => ({ seq: i, change: c.change, createdBy: actor.id })));
    await writeAudit(trx, { actor: actor.id, action: 'scenario.duplicate', entityType: 'scenario', entityId: copy.id, after: copy, details: { from: id, fromVersion: source.version, changes: own.length } });
    return copy;
  });
}

export interface AddChangeInput {
  version: number;
  change: unknown;
  /** 1-based position among the scenario's own changes (default: last). */
  position?: number | undefined;
}

export async function addChange(db: Kysely<Database>, actor: Actor, id: number, body: AddChangeInput, authorize?: Authorize): Promise<{ scenario: ScenarioRecord; change: AppliedChange }> {
  const input = parseChange(body.change);
  return db.transaction().execute(async (trx) => {
    await lockAt(trx, id, body.version, authorize);
    const { changes } = await sequenceOf(trx, id);
    const own = changes.filter((c) => c.scenarioId === id);
    const inherited = changes.filter((c) => c.scenarioId !== id);
    const at = body.position ?? own.length + 1;
    if (!Number.isInteger(at) || at < 1 || at > own.length + 1) {
      throw invalidChange(`position must be between 1 and ${own.length + 1} (the scenario has ${own.length} change(s)).`, `position 须在 1 到 ${own.length + 1} 之间（本情景共有 ${own.length} 项变更）。`, [
        { field: 'position', value: body.position, en: `between 1 and ${own.length + 1}`, zh: `须在 1 到 ${own.length + 1} 之间` },
      ]);
    }
    const dataVersion = await readDataVersion(trx);
    const prior = await buildState(trx, dataVersion, id, [...inherited, ...own.slice(0, at - 1)]);
    const stored = await prepareChange(trx, prior.state, input, id);
    const pending: ChangeRecord = { id: 0, scenarioId: id, seq: -1, change: stored, createdBy: actor.id, createdAt: new Date().toISOString() };
    const next = [...inherited, ...own.slice(0, at - 1), pending, ...own.slice(at - 1)];
    const applied = await checkSequence(trx, id, changes, next, { en: 'Adding this change', zh: '添加该变更' });
    const maxSeq = own.reduce((m, c) => Math.max(m, c.seq), -1);
    const [record] = await insertChanges(trx, id, [{ seq: maxSeq + 1, change: stored, createdBy: actor.id }]);
    if (at <= own.length) await renumberChanges(trx, id, [...own.slice(0, at - 1).map((c) => c.id), record!.id, ...own.slice(at - 1).map((c) => c.id)]);
    await bumpVersions(trx, id);
    const scenario = (await findScenario(trx, id))!;
    const mine = applied.find((a) => a.record === pending)!;
    const change: AppliedChange = { ...mine, record: { ...record!, seq: at - 1 } };
    await writeAudit(trx, {
      actor: actor.id,
      action: 'scenario.change.add',
      entityType: 'scenario',
      entityId: id,
      after: { changeId: record!.id, position: at, change: stored },
      details: { version: scenario.version, summary: change.summary },
    });
    return { scenario, change };
  });
}

export async function removeChange(db: Kysely<Database>, actor: Actor, id: number, changeId: number, version: number, authorize?: Authorize): Promise<ScenarioRecord> {
  return db.transaction().execute(async (trx) => {
    await lockAt(trx, id, version, authorize);
    const { changes } = await sequenceOf(trx, id);
    const target = changes.find((c) => c.id === changeId && c.scenarioId === id);
    if (!target) {
      throw new AppError('NotFound', 404, {
        en: `Scenario ${id} has no change ${changeId}${changes.some((c) => c.id === changeId) ? ' of its own (it belongs to the scenario this one is based on)' : ''}.`,
        zh: `情景 ${id} 没有编号为 ${changeId} 的${changes.some((c) => c.id === changeId) ? '自有变更（该变更属于本情景所基于的情景）' : '变更'}。`,
      });
    }
    const next = changes.filter((c) => c !== target);
    const position = changes.filter((c) => c.scenarioId === id).indexOf(target) + 1;
    await checkSequence(trx, id, changes, next, { en: `Removing change #${position}`, zh: `删除第 ${position} 项变更` });
    await deleteChange(trx, id, changeId);
    await renumberChanges(trx, id, next.filter((c) => c.scenarioId === id).map((c) => c.id));
    await bumpVersions(trx, id);
    const scenario = (await findScenario(trx, id))!;
    await writeAudit(trx, { actor: actor.id, action: 'scenario.change.remove', entityType: 'scenario', entityId: id, before: { changeId, position, change: target.change }, details: { version: scenario.version } });
    return scenario;
  });
}

export async function reorderChanges(db: Kysely<Database>, actor: Actor, id: number, body: { version: number; order: number[] }, authorize?: Authorize): Promise<ScenarioRecord> {
  return db.transaction().execute(async (trx) => {
    await lockAt(trx, id, body.version, authorize);
    const { changes } = await sequenceOf(trx, id);
    const own = changes.filter((c) => c.scenarioId === id);
    const ids = new Set(own.map((c) => c.id));
    const given = new Set(body.order);
    const missing = own.filter((c) => !given.has(c.id)).map((c) => c.id);
    const unknown = body.order.filter((x) => !ids.has(x));
    if (missing.length > 0 || unknown.length > 0 || given.size !== body.order.length) {
      throw invalidChange(
        `order must list each of the scenario's ${own.length} change id(s) exactly once${missing.length ? `; missing ${missing.join(', ')}` : ''}${unknown.length ? `; not changes of this scenario: ${unknown.join(', ')}` : ''}${given.size !== body.order.length ? '; some ids are repeated' : ''}.`,
        `order 须恰好列出本情景全部 ${own.length} 项变更的编号各一次${missing.length ? `；缺少 ${missing.join('、')}` : ''}${unknown.length ? `；以下编号不是本情景的变更：${unknown.join('、')}` : ''}${given.size !== body.order.length ? '；有重复编号' : ''}。`,
        [{ field: 'order', value: body.order, en: `a permutation of ${own.map((c) => c.id).join(', ')}`, zh: `须为 ${own.map((c) => c.id).join('、')} 的一种排列` }],
      );
    }
    const byId = new Map(own.map((c) => [c.id, c]));
    const next = [...changes.filter((c) => c.scenarioId !== id), ...body.order.map((x) => byId.get(x)!)];
    await checkSequence(trx, id, changes, next, { en: 'The new order', zh: '新的顺序' });
    await renumberChanges(trx, id, body.order);
    await bumpVersions(trx, id);
    const scenario = (await findScenario(trx, id))!;
    await writeAudit(trx, { actor: actor.id, action: 'scenario.change.reorder', entityType: 'scenario', entityId: id, before: own.map((c) => c.id), after: body.order, details: { version: scenario.version } });
    return scenario;
  });
}

// ── evaluations ─────────────────────────────────────────────────────────────

const evaluations = new WeakMap<Kysely<Database>, { byKey: PromiseCache<Evaluated>; latest: Map<string, Evaluated> }>();

function evaluationCaches(db: Kysely<Database>) {
  let c = evaluations.get(db);
  if (!c) evaluations.set(db, (c = { byKey: new PromiseCache(16), latest: new Map() }));
  return c;
}

/**
 * A scenario's evaluation under a rule set: incremental from the baseline, or
 * from this scenario's last evaluation when that is closer (one more change).
 */
export async function scenarioEvaluated(db: Kysely<Database>, scenarioId: number, ruleSet: RuleSetRecord): Promise<{ model: ScenarioModel; evaluated: Evaluated }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const model = await loadModel(db, scenarioId);
      const caches = evaluationCaches(db);
      const scope = `s${scenarioId}|rs${ruleSet.id}@${ruleSet.version}|d${model.dataVersion}`;
      const evaluated = await caches.byKey.get(`${scope}|v${model.scenario.version}`, async () => {
        const baseline = await baselineEvaluated(db, ruleSet, model.dataVersion);
        // The baseline caught up with newer data than the model was built on: build it again.
        if (baseline.dataVersion !== model.dataVersion) throw new StaleBaseline();
        const previous = caches.latest.get(scope);
        const base = previous && diffSize(diffStates(previous.state, model.state)) < diffSize(diffStates(baseline.state, model.state)) ? previous : baseline;
        const result = await reevaluate(db, base, { state: model.state, scenario: { id: model.scenario.id, version: model.scenario.version } });
        // Keep one "latest" per scenario and rule set; drop those of older data versions.
        for (const key of caches.latest.keys()) if (key.startsWith(`s${scenarioId}|`) && key !== scope) caches.latest.delete(key);
        if (caches.latest.size > 64) caches.latest.delete(caches.latest.keys().next().value!);
        caches.latest.set(scope, result);
        return result;
      });
      return { model, evaluated };
    } catch (error) {
      if (!(error instanceof StaleBaseline)) throw error;
      // Edits keep moving the data faster than an incremental evaluation catches up: one snapshot.
      if (attempt >= 2) return evaluatedInOneSnapshot(db, scenarioId, ruleSet);
    }
  }
}

/** The scenario's model and evaluation from one snapshot of the data (never stale; a full evaluation). */
async function evaluatedInOneSnapshot(db: Kysely<Database>, scenarioId: number, ruleSet: RuleSetRecord): Promise<{ model: ScenarioModel; evaluated: Evaluated }> {
  return snapshotEvaluation(db, ruleSet, async (trx, dataVersion) => {
    const chain = await scenarioChain(trx, scenarioId);
    if (chain.length === 0) throw scenarioNotFound(scenarioId);
    const scenario = chain[chain.length - 1]!;
    const changes = orderChanges(chain, await changesOf(trx, chain.map((c) => c.id)));
    const { state, applied } = await buildState(db, dataVersion, scenario.id, changes, undefined, trx);
    return { scenario, chain, changes: applied, state, dataVersion };
  });
}

export async function baselineServed(db: Kysely<Database>, ruleSet: RuleSetRecord): Promise<Evaluated> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await baselineEvaluated(db, ruleSet);
    } catch (error) {
      if (error instanceof StaleBaseline && attempt < 2) continue;
      throw error;
    }
  }
}
