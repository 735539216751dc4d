/**
 * Access results for callers (API, tiles, the rule engine, reports, scenarios):
 * which parameters apply (a rule set's `params.access` over the defaults), and
 * the cached result for (params hash, scenario id + version, data version).
 *
 * Caches belong to a database instance (a WeakMap keyed by its Kysely object),
 * so two databases in one process — tests, a CLI next to a server — never see
 * each other's results. A write elsewhere bumps data_state.data_version, which
 * is part of every key: stale entries are never served, only evicted.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { baselineContext, type EvaluationContext } from '../engine/context.ts';
import { AppError } from '../errors.ts';
import { PromiseCache } from './cache.ts';
import { evaluateAccess, type AccessResult } from './engine.ts';
import { loadCells, loadUnits, readDataVersion, type CellSet, type UnitTable } from './inputs.ts';
import { assumptionsOf, paramsHash, resolveAccessParams, type AccessParams, type Assumption } from './params.ts';

export interface RuleSetRef {
  id: number;
  name: string;
  version: number;
  isDefault: boolean;
}

export interface EffectiveParams {
  ruleSet: RuleSetRef | null;
  params: AccessParams;
}

interface RuleSetRow {
  id: number;
  name: string;
  version: number;
  is_default: boolean;
  params: unknown;
}

function effectiveFrom(row: RuleSetRow | undefined, ruleSetId: number | undefined): EffectiveParams {
  if (!row) {
    if (ruleSetId !== undefined) {
      throw new AppError('RuleSetNotFound', 404, {
        en: `No rule set with id ${ruleSetId}. Omit ruleSet to use the default rule set.`,
        zh: `没有编号为 ${ruleSetId} 的规则集。不传 ruleSet 则使用默认规则集。`,
      });
    }
    const { params } = resolveAccessParams({});
    return { ruleSet: null, params };
  }
  const stored = (row.params as { access?: unknown } | null)?.access;
  const { params, problems } = resolveAccessParams(stored);
  if (problems.length > 0) {
    throw new AppError(
      'InvalidParameter',
      400,
      {
        en: `Rule set ${row.id} has invalid access parameters: ${problems.map((p) => p.en).join('; ')}. Fix them in the rule set.`,
        zh: `规则集 ${row.id} 的可达性参数无效：${problems.map((p) => p.zh).join('；')}。请修改该规则集。`,
      },
      problems.map((p) => ({ field: p.field, en: p.en, zh: p.zh })),
    );
  }
  return { ruleSet: { id: Number(row.id), name: row.name, version: row.version, isDefault: row.is_default }, params };
}

/**
 * The access parameters of a rule set (by id), of the default rule set, or the
 * built-in defaults when no rule set exists yet.
 */
export async function resolveRuleSet(db: Kysely<Database>, ruleSetId?: number): Promise<EffectiveParams> {
  return (await resolveRuleSetAndVersion(db, ruleSetId)).effective;
}

/** The rule set's parameters and the current data version in one round trip (tiles ask both per request). */
export async function resolveRuleSetAndVersion(db: Kysely<Database>, ruleSetId?: number): Promise<{ effective: EffectiveParams; dataVersion: number }> {
  const { rows } = await sql<{ data_version: number; rule_set: RuleSetRow | null }>`
    SELECT d.data_version,
           (SELECT json_build_object('id', r.id, 'name', r.name, 'version', r.version, 'is_default', r.is_default, 'params', r.params)
            FROM rule_set AS r
            WHERE ${ruleSetId === undefined ? sql`r.is_default` : sql`r.id = ${ruleSetId}`}
            LIMIT 1) AS rule_set
    FROM data_state AS d
    WHERE d.id = 1`.execute(db);
  const row = rows[0];
  return { effective: effectiveFrom(row?.rule_set ?? undefined, ruleSetId), dataVersion: Number(row?.data_version ?? 0) };
}

interface Caches {
  results: PromiseCache<AccessResult>;
  inputs: PromiseCache<{ units: UnitTable; cells: CellSet }>;
}

const cachesByDb = new WeakMap<Kysely<Database>, Caches>();

function cachesFor(db: Kysely<Database>): Caches {
  let c = cachesByDb.get(db);
  if (!c) {
    // A region-wide result holds ~25 MB of typed arrays; a few parameter sets
    // and scenarios fit.
    c = { results: new PromiseCache(6), inputs: new PromiseCache(3) };
    cachesByDb.set(db, c);
  }
  return c;
}

/** Forget cached results of one database (tests that edit rows without bumping the data version). */
export function clearAccessCache(db: Kysely<Database>): void {
  cachesByDb.delete(db);
}

function scenarioKey(ctx: EvaluationContext): string {
  return ctx.scenarioId === null ? 'baseline' : `scenario:${ctx.scenarioId}@${ctx.scenarioVersion}`;
}

function relationKey(ctx: EvaluationContext): string {
  const cells = ctx.cells.compile(ctx.db);
  const units = ctx.units.compile(ctx.db);
  return JSON.stringify([cells.sql, cells.parameters, units.sql, units.parameters]);
}

function inputKey(ctx: EvaluationContext, dataVersion: number): string {
  return `${scenarioKey(ctx)}|data:${dataVersion}|${relationKey(ctx)}`;
}

export function resultKey(params: AccessParams, ctx: EvaluationContext, dataVersion: number): string {
  return `${paramsHash(params)}|${scenarioKey(ctx)}|data:${dataVersion}`;
}

/** The access result for a context and parameters, computed once per key. */
export async function accessResult(
  db: Kysely<Database>,
  params: AccessParams,
  ctx: EvaluationContext = baselineContext(db),
  knownDataVersion?: number,
): Promise<AccessResult> {
  const dataVersion = knownDataVersion ?? (await readDataVersion(db));
  const caches = cachesFor(db);
  const key = resultKey(params, ctx, dataVersion);
  return caches.results.get(key, async () => {
    // Units and cells do not depend on the parameters: share them between results.
    const inputs = await caches.inputs.get(inputKey(ctx, dataVersion), async () => {
      const units = await loadUnits(ctx);
      const cells = await loadCells(ctx, units);
      return { units, cells };
    });
    return evaluateAccess(ctx, params, { dataVersion, inputs });
  });
}

/** The baseline's units and cells for the current data version (shared with access results). */
export async function baselineInputs(db: Kysely<Database>, knownDataVersion?: number): Promise<{ units: UnitTable; cells: CellSet; dataVersion: number }> {
  const dataVersion = knownDataVersion ?? (await readDataVersion(db));
  const ctx = baselineContext(db);
  const inputs = await cachesFor(db).inputs.get(inputKey(ctx, dataVersion), async () => {
    const units = await loadUnits(ctx);
    const cells = await loadCells(ctx, units);
    return { units, cells };
  });
  return { ...inputs, dataVersion };
}

/**
 * Seed the cache with a result computed elsewhere (e.g. a scenario's
 * incremental update), so later requests for its key reuse it.
 */
export function rememberResult(db: Kysely<Database>, ctx: EvaluationContext, result: AccessResult): void {
  const key = resultKey(result.params, ctx, result.dataVersion);
  cachesFor(db).results.get(key, async () => result);
}

export interface Provenance {
  cells: number;
  syntheticCells: number;
  facilities: number;
  syntheticFacilities: number;
  synthetic: boolean;
  note: { zh: string; en: string } | null;
}

export function provenanceOf(result: AccessResult): Provenance {
  let syntheticCells = 0;
  for (let i = 0; i < result.cells.count; i++) syntheticCells += result.cells.synthetic[i]!;
  let facilities = 0;
  let syntheticFacilities = 0;
  for (let f = 0; f < result.facilities.count; f++) {
    if (result.facilities.mask[f] === 0) continue;
    facilities++;
    syntheticFacilities += result.facilities.synthetic[f]!;
  }
  const synthetic = syntheticCells > 0 || syntheticFacilities > 0;
  return {
    cells: result.cells.count,
    syntheticCells,
    facilities,
    syntheticFacilities,
    synthetic,
    note: synthetic
      ? {
          zh: `结果基于合成数据（合成人口网格 ${syntheticCells} 个、合成机构 ${syntheticFacilities} 个），仅供演示与方法检验，不代表实际情况。`,
          en: `Based on synthetic data (${syntheticCells} synthetic population cells, ${syntheticFacilities} synthetic facilities): for demonstration and method checks, not a statement about the real network.`,
        }
      : null,
  };
}

export interface Envelope {
  ruleSet: RuleSetRef | null;
  assumptions: Assumption[];
  versions: { data: number; scenario: { id: number; version: number } | null; params: string };
  provenance: Provenance;
  method: string;
  timings: { loadMs: number; nearestMs: number; aggregateMs: number };
}

/** What every access response carries besides its data: which assumptions, data and versions produced it. */
export function envelopeOf(effective: EffectiveParams, result: AccessResult): Envelope {
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    ruleSet: effective.ruleSet,
    assumptions: assumptionsOf(result.params),
    versions: { data: result.dataVersion, scenario: result.scenario, params: result.paramsHash },
    provenance: provenanceOf(result),
    method: result.model.method,
    timings: { loadMs: r(result.timings.loadMs), nearestMs: r(result.timings.nearestMs), aggregateMs: r(result.timings.aggregateMs) },
  };
}

/** Facility attributes for result listings, read through the context. */
export async function facilityDetails(ctx: EvaluationContext, ids: readonly number[]) {
  if (ids.length === 0) return new Map<number, FacilityDetail>();
  const { rows } = await sql<FacilityDetail>`
    SELECT f.id, f.code, f.name, f.type, f.status, f.grade, f.unit_code, f.beds, f.staff_doctors, f.staff_assistant_doctors,
           f.staff_village_doctors, f.synthetic, ST_X(f.location) AS lon, ST_Y(f.location) AS lat
    FROM ${ctx.facilities} AS f
    WHERE f.id = ANY(${ids.map(String)}::int8[])`.execute(ctx.db);
  return new Map(rows.map((r) => [Number(r.id), { ...r, id: Number(r.id) }]));
}

export interface FacilityDetail {
  id: number;
  code: string;
  name: string;
  type: string;
  status: string;
  grade: string | null;
  unit_code: string;
  beds: number | null;
  staff_doctors: number | null;
  staff_assistant_doctors: number | null;
  staff_village_doctors: number | null;
  synthetic: boolean;
  lon: number;
  lat: number;
}
