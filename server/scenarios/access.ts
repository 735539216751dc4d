/**
 * Access results of a scenario for the access API and the tiles
 * (`?scenario=<id>`): the baseline's result (cached by the access service)
 * updated incrementally with the scenario's changes (updateAccess), cached per
 * (scenario version, parameters, data version) and handed to the access cache
 * (rememberResult) so every consumer of that context reuses it.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { baselineContext, type EvaluationContext } from '../engine/context.ts';
import { PromiseCache } from '../access/cache.ts';
import { updateAccess, type AccessResult } from '../access/engine.ts';
import { paramsHash, type AccessParams } from '../access/params.ts';
import { accessResult, rememberResult } from '../access/service.ts';
import { contextOf } from './context.ts';
import { diffStates } from './evaluate.ts';
import { loadModel, type ScenarioModel } from './model.ts';
import { ScenarioState } from './state.ts';

const caches = new WeakMap<Kysely<Database>, PromiseCache<AccessResult>>();

function cacheFor(db: Kysely<Database>): PromiseCache<AccessResult> {
  let c = caches.get(db);
  if (!c) caches.set(db, (c = new PromiseCache(8)));
  return c;
}

export interface ScenarioAccess {
  model: ScenarioModel;
  ctx: EvaluationContext;
  result: AccessResult;
}

/** The scenario's access result under `params` (404 for an unknown scenario). */
export async function scenarioAccessResult(db: Kysely<Database>, scenarioId: number, params: AccessParams): Promise<ScenarioAccess> {
  const model = await loadModel(db, scenarioId);
  const scenario = { id: model.scenario.id, version: model.scenario.version };
  const ctx = contextOf(db, model.state, scenario);
  const key = `s${scenario.id}@${scenario.version}|p${paramsHash(params)}|d${model.dataVersion}`;
  const result = await cacheFor(db).get(key, async () => {
    const base = await accessResult(db, params, baselineContext(db), model.dataVersion);
    const diff = diffStates(new ScenarioState(model.state.base), model.state);
    const next = await updateAccess(ctx, base, { facilityIds: diff.facilities.map((d) => d.id), cellIds: diff.cells, unitCodes: diff.units }, { dataVersion: model.dataVersion });
    rememberResult(db, ctx, next);
    return next;
  });
  return { model, ctx, result };
}
