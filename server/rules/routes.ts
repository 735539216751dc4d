/**
 * Rule catalogue, rule sets and evaluations:
 *   GET    /api/rules, /api/rules/:id               the catalogue with citations
 *   GET    /api/rule-sets, /api/rule-sets/:id       rule sets (params with their assumptions)
 *   POST   /api/rule-sets                           copy (the default set unless basedOn)
 *   PATCH  /api/rule-sets/:id                       change name/year/params/disabled rules (version → 409 when stale)
 *   DELETE /api/rule-sets/:id?version=n
 *   GET    /api/evaluations?unit&ruleSet&scenario&status&force&rule&level&topic&limit&offset
 *   GET    /api/evaluations/export?format=csv|xlsx  the same table, all rows
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, invalidParameter } from '../errors.ts';
import { errorResponses, ErrorResponse, parseList } from '../http/common.ts';
import { actorOf } from '../http/actor.ts';
import { LEVELS, type Level } from '../domain/taxonomy.ts';
import { assertUnitCode } from '../units/routes.ts';
import { assumptionsOf as accessAssumptionsOf } from '../access/params.ts';
import { allRules, findRule, registeredKinds } from './registry.ts';
import { childUnits, rollup, RULE_ENGINE_VERSION, type Evaluation } from './engine.ts';
import { assumptionsOf } from './params.ts';
import { createRuleSet, deleteRuleSet, getRuleSet, listRuleSets, makeDefaultRuleSet, updateRuleSet, checkRuleIds, type RuleSetRecord } from './ruleSets.ts';
import { EvaluationCache, serveEvaluation } from './service.ts';
import { SOURCES } from './sources.ts';
import { evaluationCsv, evaluationXlsx } from './export.ts';
import {
  CreateRuleSetBody,
  DeleteRuleSetQuery,
  EVALUATION_LIMIT_DEFAULT,
  EvaluationQuery,
  EvaluationResponse,
  ExportQuery,
  RuleIdParam,
  RuleOut,
  MakeDefaultBody,
  RuleSetIdParam,
  RuleSetList,
  RuleSetOut,
  RulesResponse,
  UpdateRuleSetBody,
} from './schemas.ts';
import { FORCE_LABELS, FORCES, RULE_TOPIC_LABELS, RULE_TOPICS, STATUS_LABELS, STATUSES, type Citation, type RuleDefinition, type RuleResult } from './types.ts';

export function citationOut(c: Citation) {
  const source = SOURCES[c.file];
  return {
    file: c.file,
    ref: source.ref,
    lines: [c.lines[0], c.lines[1]],
    lineRange: `${source.ref}:${c.lines[0]}-${c.lines[1]}`,
    quote: c.quote,
    document: source.title,
    draft: source.status === 'draft',
  };
}

function ruleOut(rule: RuleDefinition) {
  const kind = registeredKinds().find((k) => k.kind === rule.kind);
  return {
    id: rule.id,
    title: rule.title,
    kind: rule.kind,
    kindLabel: kind?.label ?? { zh: rule.kind, en: rule.kind },
    topic: rule.topic,
    topicLabel: RULE_TOPIC_LABELS[rule.topic],
    levels: [...rule.levels],
    targetLevel: rule.targetLevel,
    jurisdiction: rule.jurisdiction ?? null,
    applicability: rule.applicability,
    requirement: rule.requirement,
    targets: rule.targets.map((t) => ({ ...t })),
    force: rule.force,
    forceLabel: FORCE_LABELS[rule.force],
    citations: rule.citations.map(citationOut),
    interpretation: rule.interpretation ?? null,
    comparesWith: rule.comparesWith ?? null,
    spec: rule.spec,
  };
}

function resultOut(r: RuleResult) {
  return { ...r, statusLabel: STATUS_LABELS[r.status], forceLabel: FORCE_LABELS[r.force], citations: r.citations.map(citationOut) };
}

function ruleSetOut(r: RuleSetRecord, request: FastifyRequest) {
  return {
    ...r,
    disabledRules: [...r.disabledRules],
    editable: !r.isDefault && canEdit(r, request),
    assumptions: [...assumptionsOf(r.params), ...accessAssumptionsOf(r.params.access)],
  };
}

/** Planners change their own rule sets; admins any (the default set: nobody, copy it). */
function canEdit(r: RuleSetRecord, request: FastifyRequest): boolean {
  // Set by the auth plugin; absent when the app is built without it.
  const principal = (request as { principal?: { role?: string } | null }).principal;
  if (!principal || principal.role === 'admin') return true;
  return r.owner === actorOf(request).id;
}

function notOwner(r: RuleSetRecord): AppError {
  return new AppError('Forbidden', 403, {
    en: `Rule set ${r.id} belongs to ${r.owner ?? 'nobody'}: copy it (POST /api/rule-sets with basedOn ${r.id}) and change your copy.`,
    zh: `规则集 ${r.id} 属于 ${r.owner ?? '他人'}：请复制（POST /api/rule-sets，basedOn = ${r.id}）后修改副本。`,
  });
}

function ruleNotFound(id: string): AppError {
  return new AppError('RuleNotFound', 404, {
    en: `No rule with id ${id}. GET /api/rules lists the rule ids.`,
    zh: `没有编号为 ${id} 的规则。可通过 GET /api/rules 查看规则编号。`,
  });
}

/** 'baseline' (or nothing) → null; a positive integer → a scenario id; anything else → 400. */
export function parseScenario(value: string | undefined): number | null {
  if (value === undefined || value === '' || value === 'baseline') return null;
  if (!/^[1-9][0-9]{0,15}$/.test(value)) {
    throw invalidParameter('scenario', `must be "baseline" or a scenario id (a positive whole number), got '${value}'`, `应为 baseline 或情景编号（正整数），实际为“${value}”`, value);
  }
  return Number(value);
}

interface Filters {
  statuses?: string[] | undefined;
  forces?: string[] | undefined;
  rules?: string[] | undefined;
  levels?: Level[] | undefined;
  topics?: string[] | undefined;
}

function parseFilters(q: { status?: string | undefined; force?: string | undefined; rule?: string | undefined; level?: string | undefined; topic?: string | undefined }): Filters {
  const rules = q.rule === undefined || q.rule.trim() === '' ? undefined : q.rule.split(',').map((s) => s.trim()).filter(Boolean);
  if (rules) {
    try {
      checkRuleIds(rules, 'rule');
    } catch (error) {
      if (error instanceof AppError) throw new AppError('RuleNotFound', 400, error.messages, error.details);
      throw error;
    }
  }
  return {
    statuses: parseList('status', q.status, STATUSES),
    forces: parseList('force', q.force, FORCES),
    rules,
    levels: parseList('level', q.level, LEVELS),
    topics: parseList('topic', q.topic, RULE_TOPICS),
  };
}

function applyFilters(results: readonly RuleResult[], f: Filters): RuleResult[] {
  return results.filter(
    (r) =>
      (!f.statuses || f.statuses.includes(r.status)) &&
      (!f.forces || f.forces.includes(r.force)) &&
      (!f.rules || f.rules.includes(r.ruleId)) &&
      (!f.levels || f.levels.includes(r.unit.level)) &&
      (!f.topics || f.topics.includes(r.topic)),
  );
}

function meta(e: Evaluation, cached: boolean) {
  return {
    ruleSet: e.ruleSet,
    scenario: e.scenario,
    dataVersion: e.dataVersion,
    engineVersion: e.engineVersion,
    evaluatedAt: e.evaluatedAt,
    durationMs: e.durationMs,
    cached,
    synthetic: e.synthetic,
    assumptions: e.assumptions,
    rulesEvaluated: e.rulesEvaluated,
    rulesNotEvaluated: e.rulesNotEvaluated,
  };
}

const conflictResponses = { ...errorResponses, 403: ErrorResponse, 409: ErrorResponse } as const;

const ruleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // One cache per app instance (not module state): evaluations of this process.
  const cache = new EvaluationCache();

  app.get(
    '/rules',
    { schema: { tags: ['rules'], summary: 'The rule catalogue: every rule with its kind, targets by year, force and citations', response: { 200: RulesResponse } } },
    async () => ({
      rules: allRules().map(ruleOut),
      kinds: registeredKinds().map((k) => ({ kind: k.kind, label: k.label, description: k.description })),
      sources: Object.values(SOURCES).map((s) => ({ file: s.file, ref: s.ref, title: s.title, issuer: s.issuer, date: s.date, status: s.status })),
      engineVersion: RULE_ENGINE_VERSION,
    }),
  );

  app.get(
    '/rules/:id',
    { schema: { tags: ['rules'], summary: 'One rule of the catalogue', params: RuleIdParam, response: { 200: RuleOut, ...errorResponses } } },
    async (request) => {
      const rule = findRule(request.params.id);
      if (!rule) throw ruleNotFound(request.params.id);
      return ruleOut(rule);
    },
  );

  app.get(
    '/rule-sets',
    { schema: { tags: ['rules'], summary: 'Rule sets (the default first)', response: { 200: RuleSetList } } },
    async (request) => ({
      ruleSets: (await listRuleSets(app.db)).map((r) => {
        const { params: _p, ...rest } = r;
        return { ...rest, disabledRules: [...r.disabledRules], editable: !r.isDefault && canEdit(r, request) };
      }),
    }),
  );

  app.get(
    '/rule-sets/:id',
    { schema: { tags: ['rules'], summary: 'One rule set with its parameters and the assumptions they stand for', params: RuleSetIdParam, response: { 200: RuleSetOut, ...errorResponses } } },
    async (request) => ruleSetOut(await getRuleSet(app.db, request.params.id), request),
  );

  app.post(
    '/rule-sets',
    {
      schema: {
        tags: ['rules'],
        summary: 'Copy a rule set (the default unless basedOn) with changed name, target year, parameters or disabled rules',
        body: CreateRuleSetBody,
        response: { 201: RuleSetOut, ...conflictResponses },
      },
    },
    async (request, reply) => {
      const created = await createRuleSet(app.db, actorOf(request), request.body);
      reply.code(201);
      return ruleSetOut(created, request);
    },
  );

  app.patch(
    '/rule-sets/:id',
    {
      schema: {
        tags: ['rules'],
        summary: 'Change a rule set; `version` must be the current version (409 otherwise). The default set is read-only.',
        params: RuleSetIdParam,
        body: UpdateRuleSetBody,
        response: { 200: RuleSetOut, ...conflictResponses },
      },
    },
    async (request) => {
      const current = await getRuleSet(app.db, request.params.id);
      if (!current.isDefault && !canEdit(current, request)) throw notOwner(current);
      return ruleSetOut(await updateRuleSet(app.db, actorOf(request), request.params.id, request.body), request);
    },
  );

  app.post(
    '/rule-sets/:id/default',
    {
      schema: {
        tags: ['rules'],
        summary:
          'Make a rule set the default (admins): used wherever no rule set is named. It becomes read-only; the previous default becomes an ordinary rule set. `version` must be current (409 otherwise).',
        params: RuleSetIdParam,
        body: MakeDefaultBody,
        response: { 200: RuleSetOut, ...conflictResponses },
      },
    },
    async (request) => ruleSetOut(await makeDefaultRuleSet(app.db, actorOf(request), request.params.id, request.body.version), request),
  );

  app.delete(
    '/rule-sets/:id',
    {
      schema: {
        tags: ['rules'],
        summary: 'Delete a rule set (not the default); `version` must be current',
        params: RuleSetIdParam,
        querystring: DeleteRuleSetQuery,
        response: { 204: Type.Null(), ...conflictResponses },
      },
    },
    async (request, reply) => {
      const current = await getRuleSet(app.db, request.params.id);
      if (!current.isDefault && !canEdit(current, request)) throw notOwner(current);
      await deleteRuleSet(app.db, actorOf(request), request.params.id, request.query.version);
      return reply.code(204).send(null);
    },
  );

  async function evaluationFor(q: { unit?: string | undefined; ruleSet?: number | undefined; scenario?: string | undefined }) {
    if (q.unit !== undefined) assertUnitCode(q.unit, 'unit');
    return serveEvaluation(app.db, cache, { ruleSetId: q.ruleSet, scenarioId: parseScenario(q.scenario), unit: q.unit });
  }

  app.get(
    '/evaluations',
    {
      schema: {
        tags: ['rules'],
        summary: 'Every (rule, unit) result in a unit subtree, worst first, with roll-ups for the unit and its children',
        querystring: EvaluationQuery,
        response: { 200: EvaluationResponse, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const filters = parseFilters(q);
      const served = await evaluationFor(q);
      const e = served.evaluation;
      const children = await childUnits(served.ctx, e.root.code);
      const matched = applyFilters(e.results, filters);
      const offset = q.offset ?? 0;
      const page = matched.slice(offset, offset + (q.limit ?? EVALUATION_LIMIT_DEFAULT));
      return {
        evaluation: meta(e, served.cached),
        unit: { code: e.root.code, name: e.root.name, level: e.root.level },
        summary: rollup(e.results, e.root),
        children: children.map((c) => rollup(e.results, c)),
        numberMatched: matched.length,
        numberReturned: page.length,
        results: page.map(resultOut),
      };
    },
  );

  app.get(
    '/evaluations/export',
    {
      schema: {
        tags: ['rules'],
        summary: 'The evaluation table as CSV (UTF-8 with BOM) or XLSX, with the same filters (all rows)',
        querystring: ExportQuery,
        produces: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
        response: { 200: Type.Unknown({ description: 'CSV (UTF-8 with BOM) or XLSX file' }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const filters = parseFilters(q);
      const { evaluation } = await evaluationFor(q);
      const rows = applyFilters(evaluation.results, filters);
      const name = `rule-evaluation-${evaluation.root.code}-rs${evaluation.ruleSet.id}v${evaluation.ruleSet.version}-d${evaluation.dataVersion}`;
      if ((q.format ?? 'csv') === 'xlsx') {
        const buffer = await evaluationXlsx(evaluation, rows);
        return reply
          .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', `attachment; filename="${name}.xlsx"`)
          .send(buffer);
      }
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(evaluationCsv(evaluation, rows));
    },
  );
};

export default ruleRoutes;
