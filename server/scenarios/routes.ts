/**
 * Scenario API (issue 6):
 *   GET    /api/scenarios                               scenarios you can see
 *   POST   /api/scenarios                               create (basedOn: another scenario whose changes apply first)
 *   GET    /api/scenarios/:id                           metadata, every change in order (inherited first), conflicts
 *   PATCH  /api/scenarios/:id                           name / description (version → 409 when stale)
 *   DELETE /api/scenarios/:id?version=n                 delete (owner or admin); scenarios based on it keep its changes
 *   POST   /api/scenarios/:id/duplicate                 copy (yours, same base, same changes)
 *   GET    /api/scenarios/:id/changes                   the changes
 *   POST   /api/scenarios/:id/changes                   add one {version, change, position?}
 *   DELETE /api/scenarios/:id/changes/:changeId?version=n
 *   PUT    /api/scenarios/:id/changes/order             {version, order: [change ids]}
 *   GET    /api/scenarios/:id/evaluation                rule roll-up and access figures (incremental)
 *   GET    /api/scenarios/:id/diff?against=baseline|id  what changes: rules, access, travel time, facilities, summary
 *   GET    /api/scenarios/:id/diff/export?format=csv|xlsx
 *   GET    /api/merge-advisor?unit=&scenario=           merge candidates, each evaluated, ranked
 *
 * The plugin also plugs scenario contexts into the rule engine
 * (setScenarioContextProvider: /api/evaluations?scenario=) and checks, for
 * every other /api route that takes ?scenario=, that the caller may read it.
 */
import fp from 'fastify-plugin';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import type { Database } from '../db/schema.ts';
import { errorResponses, ErrorResponse } from '../http/common.ts';
import { actorOf } from '../http/actor.ts';
import { invalidParameter } from '../errors.ts';
import { assertUnitCode } from '../units/routes.ts';
import { assertCanEditScenario, assertCanManageScenario, assertCanReadScenario, type ScenarioAccess } from '../auth/scenarios.ts';
import { setScenarioContextProvider } from '../rules/service.ts';
import { getDefaultRuleSet, getRuleSet } from '../rules/ruleSets.ts';
import { compareResults, findScopedUnit, inSubtree, type ScopedUnit } from '../rules/engine.ts';
import { allRules } from '../rules/registry.ts';
import { REGION_CODE } from '../rules/sql.ts';
import type { RuleResult } from '../rules/types.ts';
import { unitFigures } from '../access/aggregate.ts';
import { classRef } from '../access/views.ts';
import { contextOf } from './context.ts';
import { diffEvaluations } from './diff.ts';
import { allResults, type EvaluationStats, type Evaluated } from './evaluate.ts';
import { diffCsv, diffXlsx, type DiffFileContext } from './export.ts';
import { adviseMerges } from './advisor.ts';
import { conflictsOf, loadModel, scenarioContext, type AppliedChange, type ScenarioModel } from './model.ts';
import { listVisible } from './repository.ts';
import {
  AddChangeBody,
  AddChangeResponse,
  AdvisorQuery,
  AdvisorResponse,
  ChangeIdParam,
  ChangeOut,
  CreateScenarioBody,
  DeleteResponse,
  DiffExportQuery,
  DiffQuery,
  DiffResponse,
  DuplicateBody,
  EvaluationQuery,
  EvaluationResponse,
  ListQuery,
  ReorderBody,
  ScenarioIdParam,
  ScenarioList,
  ScenarioOut,
  UpdateScenarioBody,
  VersionQuery,
} from './schemas.ts';
import {
  addChange,
  baselineServed,
  createScenario,
  deleteScenario,
  duplicateScenario,
  removeChange,
  reorderChanges,
  scenarioEvaluated,
  updateScenario,
} from './service.ts';
import { summaryOf } from './summary.ts';

const writeResponses = { ...errorResponses, 403: ErrorResponse, 409: ErrorResponse } as const;
const readResponses = { ...errorResponses, 403: ErrorResponse } as const;

export function changeOut(a: AppliedChange) {
  return {
    id: a.record.id,
    scenarioId: a.record.scenarioId,
    position: a.position,
    inherited: a.inherited,
    kind: a.record.change.kind,
    change: a.record.change,
    summary: a.summary,
    conflict: a.problems,
    createdBy: a.record.createdBy,
    createdAt: a.record.createdAt,
  };
}

function scenarioOut(model: ScenarioModel, access: ScenarioAccess) {
  const s = model.scenario;
  return {
    ...s,
    access: (access === 'none' ? 'read' : access) as 'owner' | 'edit' | 'read',
    basedOn: model.chain.slice(0, -1).map((p) => ({ id: p.id, name: p.name, version: p.version })),
    changes: model.changes.map(changeOut),
    conflicts: conflictsOf(model).length,
    dataVersion: model.dataVersion,
  };
}

function statsOut(s: EvaluationStats) {
  return { ...s, timings: s.timings.map((t) => ({ stage: t.stage, ms: Math.round(t.ms * 10) / 10 })) };
}

/** `against`: "baseline" or a scenario id. */
function parseAgainst(value: string | undefined): number | null {
  if (value === undefined || value === '' || value === 'baseline') return null;
  if (!/^[1-9][0-9]{0,15}$/.test(value)) {
    throw invalidParameter('against', `must be "baseline" or a scenario id, got '${value}'`, `应为 baseline 或情景编号，实际为“${value}”`, value);
  }
  return Number(value);
}

async function ruleSetFor(db: Kysely<Database>, id: number | undefined) {
  return id !== undefined ? getRuleSet(db, id) : getDefaultRuleSet(db);
}

async function scopeOf(db: Kysely<Database>, evaluated: Evaluated, unit: string | undefined): Promise<ScopedUnit> {
  if (unit === undefined) return evaluated.baseline.evaluation.root;
  assertUnitCode(unit, 'unit');
  return findScopedUnit(contextOf(db, evaluated.state, evaluated.scenario), unit);
}

/** Candidates the merge advisor evaluates at once: a pool has connections to spare; the embedded engine has one. */
const ADVISOR_CONCURRENCY = { postgres: 2, pglite: 1 } as const;

const NOTE = {
  zh: '规则结果为增量评估：仅重新计算变更所及的单元与人口网格，其余沿用现状结果（与完整评估一致，见测试）。完整结果表见 /api/evaluations?scenario=。',
  en: 'Incremental: only the units and population cells the changes reach are recomputed; the rest are the baseline’s results (identical to a full evaluation, see the tests). The full table: /api/evaluations?scenario=.',
};

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const db = app.db;

  app.get(
    '/scenarios',
    { schema: { tags: ['scenarios'], summary: 'Scenarios you own or that are shared with you (admins: all), latest first', querystring: ListQuery, response: { 200: ScenarioList } } },
    async (request) => {
      const q = request.query;
      const { total, rows } = await listVisible(db, request.principal ?? null, { limit: q.limit ?? 50, offset: q.offset ?? 0, owner: q.owner });
      return { numberMatched: total, numberReturned: rows.length, scenarios: rows };
    },
  );

  app.post(
    '/scenarios',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'Create a scenario (an ordered change set on the baseline; basedOn: apply another scenario’s changes first)',
        body: CreateScenarioBody,
        response: { 201: ScenarioOut, ...writeResponses },
      },
    },
    async (request, reply) => {
      if (request.body.basedOn !== undefined) await assertCanReadScenario(request, request.body.basedOn);
      const created = await createScenario(db, actorOf(request), request.body);
      reply.code(201);
      return scenarioOut(await loadModel(db, created.id), 'owner');
    },
  );

  app.get(
    '/scenarios/:id',
    { schema: { tags: ['scenarios'], summary: 'A scenario with every change in the order it applies', params: ScenarioIdParam, response: { 200: ScenarioOut, ...readResponses } } },
    async (request) => {
      const access = await assertCanReadScenario(request, request.params.id);
      return scenarioOut(await loadModel(db, request.params.id), access);
    },
  );

  app.patch(
    '/scenarios/:id',
    { schema: { tags: ['scenarios'], summary: 'Rename or describe a scenario; version must be current (409 otherwise)', params: ScenarioIdParam, body: UpdateScenarioBody, response: { 200: ScenarioOut, ...writeResponses } } },
    async (request) => {
      const access = await assertCanEditScenario(request, request.params.id);
      await updateScenario(db, actorOf(request), request.params.id, request.body, (trx) => assertCanEditScenario(request, request.params.id, trx));
      return scenarioOut(await loadModel(db, request.params.id), access);
    },
  );

  app.delete(
    '/scenarios/:id',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'Delete a scenario (owner or admin; the client asks for confirmation). Scenarios based on it keep its changes.',
        params: ScenarioIdParam,
        querystring: VersionQuery,
        response: { 200: DeleteResponse, ...writeResponses },
      },
    },
    async (request) => {
      await assertCanManageScenario(request, request.params.id);
      const { flattenedInto } = await deleteScenario(db, actorOf(request), request.params.id, request.query.version, (trx) => assertCanManageScenario(request, request.params.id, trx));
      return { deleted: request.params.id, flattenedInto };
    },
  );

  app.post(
    '/scenarios/:id/duplicate',
    { schema: { tags: ['scenarios'], summary: 'Copy a scenario you can read: yours, same base, same changes', params: ScenarioIdParam, body: DuplicateBody, response: { 201: ScenarioOut, ...writeResponses } } },
    async (request, reply) => {
      await assertCanReadScenario(request, request.params.id);
      const copy = await duplicateScenario(db, actorOf(request), request.params.id, request.body ?? {});
      reply.code(201);
      return scenarioOut(await loadModel(db, copy.id), 'owner');
    },
  );

  app.get(
    '/scenarios/:id/changes',
    { schema: { tags: ['scenarios'], summary: 'The changes in the order they apply (inherited first), with conflicts', params: ScenarioIdParam, response: { 200: Type.Object({ version: Type.Integer(), changes: Type.Array(ChangeOut) }), ...readResponses } } },
    async (request) => {
      await assertCanReadScenario(request, request.params.id);
      const model = await loadModel(db, request.params.id);
      return { version: model.scenario.version, changes: model.changes.map(changeOut) };
    },
  );

  app.post(
    '/scenarios/:id/changes',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'Add a change (validated against the scenario: unknown ids, closed facilities, merges, locations, counts → 400, nothing written; stale version → 409)',
        params: ScenarioIdParam,
        body: AddChangeBody,
        response: { 201: AddChangeResponse, ...writeResponses },
      },
    },
    async (request, reply) => {
      const access = await assertCanEditScenario(request, request.params.id);
      const { change } = await addChange(db, actorOf(request), request.params.id, request.body, (trx) => assertCanEditScenario(request, request.params.id, trx));
      const model = await loadModel(db, request.params.id);
      reply.code(201);
      return { scenario: scenarioOut(model, access), change: changeOut(model.changes.find((c) => c.record.id === change.record.id) ?? change) };
    },
  );

  app.delete(
    '/scenarios/:id/changes/:changeId',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'Remove a change (refused when a later change depends on it); version must be current',
        params: ChangeIdParam,
        querystring: VersionQuery,
        response: { 200: ScenarioOut, ...writeResponses },
      },
    },
    async (request) => {
      const access = await assertCanEditScenario(request, request.params.id);
      await removeChange(db, actorOf(request), request.params.id, request.params.changeId, request.query.version, (trx) => assertCanEditScenario(request, request.params.id, trx));
      return scenarioOut(await loadModel(db, request.params.id), access);
    },
  );

  app.put(
    '/scenarios/:id/changes/order',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'Reorder the changes (every change id once); an order that makes a change invalid is refused',
        params: ScenarioIdParam,
        body: ReorderBody,
        response: { 200: ScenarioOut, ...writeResponses },
      },
    },
    async (request) => {
      const access = await assertCanEditScenario(request, request.params.id);
      await reorderChanges(db, actorOf(request), request.params.id, request.body, (trx) => assertCanEditScenario(request, request.params.id, trx));
      return scenarioOut(await loadModel(db, request.params.id), access);
    },
  );

  app.get(
    '/scenarios/:id/evaluation',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'The scenario evaluated (incrementally): rule roll-up and access figures for a unit’s subtree',
        params: ScenarioIdParam,
        querystring: EvaluationQuery,
        response: { 200: EvaluationResponse, ...readResponses },
      },
    },
    async (request) => {
      await assertCanReadScenario(request, request.params.id);
      const ruleSet = await ruleSetFor(db, request.query.ruleSet);
      const { model, evaluated } = await scenarioEvaluated(db, request.params.id, ruleSet);
      const scope = await scopeOf(db, evaluated, request.query.unit);
      const byStatus: Record<string, number> = { fail: 0, unknown: 0, pass: 0, not_applicable: 0 };
      const fails: RuleResult[] = [];
      let total = 0;
      for (const r of allResults(evaluated)) {
        if (!inSubtree(r, scope)) continue;
        total++;
        byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
        if (r.status === 'fail') fails.push(r);
      }
      fails.sort(compareResults(new Map(allRules().map((r, i) => [r.id, i]))));
      const u = evaluated.access.units.index.get(scope.code)!;
      return {
        scenario: { id: model.scenario.id, version: model.scenario.version, name: model.scenario.name },
        ruleSet: { id: ruleSet.id, version: ruleSet.version, name: ruleSet.name, targetYear: ruleSet.targetYear },
        dataVersion: evaluated.dataVersion,
        scope: { code: scope.code, name: scope.name, level: scope.level },
        rules: {
          total,
          byStatus,
          worst: fails.slice(0, 10).map((r) => ({ ruleId: r.ruleId, unitCode: r.unit.code, unitName: r.unit.name, force: r.force, title: r.title, shortfall: r.shortfall?.text ?? null })),
        },
        access: evaluated.access.classes.map((cls) => {
          const f = unitFigures(cls.agg, u);
          return { class: classRef(cls.cls), population: f.population, covered: f.covered, gap: f.gap, mobile: f.mobile, meanMinutes: f.meanMinutes, p90Minutes: f.p90Minutes };
        }),
        conflicts: conflictsOf(model).length,
        stats: statsOut(evaluated.stats),
        note: NOTE,
      };
    },
  );

  /** Both sides of a diff on the same data version. */
  async function diffOf(request: FastifyRequest, q: { against?: string | undefined; ruleSet?: number | undefined; unit?: string | undefined }) {
    const id = (request.params as { id: number }).id;
    await assertCanReadScenario(request, id);
    const againstId = parseAgainst(q.against);
    if (againstId !== null) await assertCanReadScenario(request, againstId);
    const ruleSet = await ruleSetFor(db, q.ruleSet);
    for (let attempt = 0; ; attempt++) {
      const target = await scenarioEvaluated(db, id, ruleSet);
      const against = againstId === null ? null : await scenarioEvaluated(db, againstId, ruleSet);
      const base = against ? against.evaluated : await baselineServed(db, ruleSet);
      if (base.dataVersion !== target.evaluated.dataVersion && attempt < 2) continue;
      const scope = await scopeOf(db, target.evaluated, q.unit);
      const diff = diffEvaluations(base, target.evaluated, { scope });
      const applied = target.model.changes.filter((c) => c.problems === null).length;
      const summary = summaryOf(diff, {
        scenarioName: target.model.scenario.name,
        changes: applied,
        conflicts: conflictsOf(target.model).length,
        againstName: against ? against.model.scenario.name : null,
      });
      return { target, against, base, diff, summary };
    }
  }

  app.get(
    '/scenarios/:id/diff',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'The scenario against the baseline (or another scenario): rules that change status per unit, people losing/gaining access per class, added travel time, facilities, a memo paragraph',
        params: ScenarioIdParam,
        querystring: DiffQuery,
        response: { 200: DiffResponse, ...readResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const { target, against, base, diff, summary } = await diffOf(request, q);
      const limit = q.limit ?? 2000;
      const truncated = diff.units.length > limit || diff.access.some((c) => c.units.length > limit);
      const ref = (m: ScenarioModel) => ({ id: m.scenario.id, version: m.scenario.version, name: m.scenario.name });
      return {
        ...diff,
        scenario: ref(target.model),
        against: against ? ref(against.model) : null,
        summary,
        units: diff.units.slice(0, limit),
        access: diff.access.map((c) => ({ ...c, units: c.units.slice(0, limit) })),
        changes: target.model.changes.map(changeOut),
        truncated,
        evaluation: { scenario: statsOut(target.evaluated.stats), against: against ? statsOut(base.stats) : null },
      };
    },
  );

  app.get(
    '/scenarios/:id/diff/export',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'The diff as CSV (UTF-8 with BOM) or XLSX',
        params: ScenarioIdParam,
        querystring: DiffExportQuery,
        produces: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
        response: { 200: Type.Unknown({ description: 'CSV (UTF-8 with BOM) or XLSX file' }), ...readResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const { target, against, diff, summary } = await diffOf(request, q);
      const ctx: DiffFileContext = {
        scenario: { id: target.model.scenario.id, version: target.model.scenario.version, name: target.model.scenario.name },
        against: against ? { id: against.model.scenario.id, version: against.model.scenario.version, name: against.model.scenario.name } : null,
        summary,
        changes: target.model.changes.map((c) => ({ position: c.position, inherited: c.inherited, kind: c.record.change.kind, summary: c.summary, problems: c.problems ?? [] })),
        generatedAt: new Date().toISOString(),
      };
      const name = `scenario-${target.model.scenario.id}v${target.model.scenario.version}-vs-${against ? `${against.model.scenario.id}v${against.model.scenario.version}` : 'baseline'}-${diff.scope.code}`;
      if ((q.format ?? 'csv') === 'xlsx') {
        return reply
          .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename="${name}.xlsx"`)
          .send(await diffXlsx(diff, ctx));
      }
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(diffCsv(diff, ctx));
    },
  );

  app.get(
    '/merge-advisor',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'Merge candidates in a unit (joint clinics for villages under 500 people, 002:25; facilities with a catchment under 500), each evaluated as a one-change scenario and ranked',
        querystring: AdvisorQuery,
        response: { 200: AdvisorResponse, ...readResponses },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.unit !== undefined) assertUnitCode(q.unit, 'unit');
      const scenarioId = parseAgainst(q.scenario);
      if (scenarioId !== null) await assertCanReadScenario(request, scenarioId);
      const ruleSet = await ruleSetFor(db, q.ruleSet);
      const base = scenarioId === null ? await baselineServed(db, ruleSet) : (await scenarioEvaluated(db, scenarioId, ruleSet)).evaluated;
      const result = await adviseMerges(db, base, { unit: q.unit ?? REGION_CODE, concurrency: ADVISOR_CONCURRENCY[app.dbHandle.engine] });
      const limit = q.limit ?? 100;
      return {
        ...result,
        ruleSet: { id: ruleSet.id, version: ruleSet.version, name: ruleSet.name },
        ranking: {
          zh: '排序：① 不产生新的不达标规则优先；② 失去可达（超出该类机构时限）的人口少者优先；③ 增加的总行程（人·分钟）少者优先。',
          en: 'Ranked by: (1) no rule newly failing first; (2) fewest people pushed past the class’s access limit; (3) least added travel (person-minutes).',
        },
        numberMatched: result.candidates.length,
        candidates: result.candidates.slice(0, limit),
        synthetic: base.baseline.evaluation.synthetic,
      };
    },
  );
};

/**
 * Registered without encapsulation (fastify-plugin) so that its hook sees every
 * /api route: any route taking ?scenario= (evaluations, access, tiles) answers
 * 404 for a scenario the caller may not read, exactly like the scenario routes.
 */
async function scenariosPlugin(app: FastifyInstance): Promise<void> {
  setScenarioContextProvider(scenarioContext);
  app.addHook('preHandler', async (request) => {
    const url = request.routeOptions.url ?? '';
    if (url.startsWith('/api/scenarios')) return;
    const raw = (request.query as Record<string, unknown> | undefined)?.scenario;
    if (raw === undefined || raw === null || raw === '' || raw === 'baseline') return;
    const id = Number(raw);
    // Malformed values are the route's own 400.
    if (!Number.isSafeInteger(id) || id < 1) return;
    await assertCanReadScenario(request, id);
  });
  await app.register(routes);
}

export default fp(scenariosPlugin, { name: 'scenarios' });
