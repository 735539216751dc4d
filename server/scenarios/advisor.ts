/**
 * The merge advisor. For a unit's subtree (a banner, or the whole region) it
 * proposes merges and evaluates each one as a one-change scenario, on top of
 * the baseline or of a given scenario, incrementally:
 *
 *  - joint clinics (002:25): an administrative village under the rule's
 *    population threshold (不足500人 — exactly 500 is not eligible) with a clinic
 *    of its own, and the nearest clinic of another village that counts as
 *    adjacent under the rule set (listed in its villages_served, or within
 *    adjacencyMetres, per adjacencyMode) → merge its clinic into that one;
 *  - small catchments: a township health centre or village clinic whose
 *    catchment (people for whom it is the nearest facility of its class) is under
 *    the access parameter smallCatchmentPopulation (500 by default) → merge it
 *    into the nearest open facility of the same type.
 *
 * Candidates are ranked by (rules newly failing, people pushed past the class's
 * access limit, added person-minutes of travel). Each candidate carries the
 * change to post to /api/scenarios/{id}/changes — one call makes it part of a
 * scenario.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Level } from '../domain/taxonomy.ts';
import { findRule } from '../rules/registry.ts';
import type { RuleSetRecord } from '../rules/ruleSets.ts';
import { countedStatuses, REGION_CODE } from '../rules/sql.ts';
import { isCommunity } from '../rules/evaluators/common.ts';
import { prefilterDegrees } from '../rules/evaluators/villageClinic.ts';
import { findScopedUnit, type ScopedUnit } from '../rules/engine.ts';
import type { VillageClinicSpec } from '../rules/types.ts';
import { catchments } from '../access/areas.ts';
import { classOf } from '../access/views.ts';
import { fmt } from '../rules/text.ts';
import { contextOf } from './context.ts';
import { diffEvaluations, type AccessFigures } from './diff.ts';
import { reevaluate, StaleBaseline, type Evaluated } from './evaluate.ts';
import { applyChange } from './state.ts';
import type { StoredMerge } from './changes.ts';
import type { Bilingual } from './describe.ts';

export const JOINT_CLINIC_RULE = 's2-village-joint-clinic-500';

export interface CandidateFacility {
  id: number;
  code: string;
  name: string;
  type: string;
  unitCode: string;
  unitName: string | null;
}

export interface Candidate {
  /** Stable key: merge:<merged>><survivor>. */
  key: string;
  rank: number;
  reason: 'joint_clinic' | 'small_catchment';
  reasonText: Bilingual;
  /** The facility that would close (merged into the partner). */
  facility: CandidateFacility & { catchment: number | null };
  partner: CandidateFacility & { distanceM: number };
  village: { code: string; name: string; population: number } | null;
  /** Post this as `change` to /api/scenarios/{id}/changes. */
  change: { kind: 'merge_facilities'; facilityIds: [number, number]; survivorId: number };
  effect: {
    /** Class whose access limit ranks the candidate. */
    class: string;
    newlyFailing: number;
    fixed: number;
    newlyFailingRules: { ruleId: string; unitCode: string; unitName: string; title: Bilingual; shortfall: Bilingual | null }[];
    access: AccessFigures;
    /** People losing access in any class (a person may count in several). */
    losingAnyClass: number;
    evaluationMs: number;
  } | null;
  /** Why it could not be evaluated (e.g. the partner closed in the base scenario). */
  problem: Bilingual | null;
}

export interface AdvisorResult {
  scope: { code: string; name: string; level: Level };
  base: { id: number; version: number } | null;
  thresholds: { jointBelowPopulation: number; adjacencyMode: string; adjacencyMetres: number; smallCatchmentPopulation: number };
  candidates: Candidate[];
  evaluatedMs: number;
}

interface Pair {
  reason: Candidate['reason'];
  mergedId: number;
  partnerId: number;
  distanceM: number;
  village: Candidate['village'];
  catchment: number | null;
}

function scopeCondition(scope: ScopedUnit, alias: string, unitColumn: 'code' | 'unit_code') {
  const col = (c: string) => sql.ref(`${alias}.${c}`);
  switch (scope.level) {
    case 'region':
      return sql`TRUE`;
    case 'league':
      return sql`${col('league_code')} = ${scope.code}`;
    case 'banner':
      return sql`${col('banner_code')} = ${scope.code}`;
    case 'township':
      return sql`${col('township_code')} = ${scope.code}`;
    case 'village':
      return sql`${col(unitColumn)} = ${scope.code}`;
  }
}

/** Small villages with a clinic of their own and an adjacent partner clinic (002:25). */
async function jointClinicPairs(db: Kysely<Database>, base: Evaluated, scope: ScopedUnit, below: number): Promise<Pair[]> {
  const ctx = contextOf(db, base.state, base.scenario);
  const p = base.ruleSet.params.rules;
  const statuses = countedStatuses(p);
  const byDistance = p.adjacencyMode !== 'listed_only';
  const byListing = p.adjacencyMode !== 'distance_only';
  const { rows } = await sql<{
    code: string;
    name: string;
    population: number;
    kind: string | null;
    urban: boolean;
    parent_kind: string | null;
    parent_urban: boolean | null;
    clinic_id: number;
    near_id: number | null;
    near_distance: number | null;
    listed_id: number | null;
    listed_distance: number | null;
  }>`
    WITH v AS (
      SELECT u.code, u.name, u.population, u.kind, u.urban, u.point, pu.kind AS parent_kind, pu.urban AS parent_urban
      FROM ${ctx.units} AS u LEFT JOIN ${ctx.units} AS pu ON pu.code = u.parent_code
      WHERE u.level = 'village' AND ${scopeCondition(scope, 'u', 'code')} AND u.population < ${below} AND u.point IS NOT NULL
    ),
    -- Inlined, not materialized: the nearest-clinic lookup below then uses the GiST index on location.
    clinic AS NOT MATERIALIZED (
      SELECT f.id, f.unit_code, f.location, f.villages_served FROM ${ctx.facilities} AS f
      WHERE f.type = 'village_clinic' AND f.status = ANY(${statuses}::text[])
    ),
    own AS (
      SELECT c.unit_code, count(*) AS n, min(c.id) AS id FROM clinic AS c WHERE c.unit_code IN (SELECT code FROM v) GROUP BY c.unit_code
    ),
    -- The clinic of another village listing the village in its villages_served (lowest id): one hash
    -- join over the unnested lists, not a scan of every clinic's list per village.
    listed AS (
      SELECT DISTINCT ON (s.code) s.code, c.id, c.location
      FROM clinic AS c CROSS JOIN LATERAL unnest(c.villages_served) AS s(code)
      WHERE ${byListing} AND s.code IN (SELECT code FROM v) AND c.unit_code <> s.code
      ORDER BY s.code, c.id
    )
    SELECT v.code, v.name, v.population, v.kind, v.urban, v.parent_kind, v.parent_urban, own.id AS clinic_id,
           near.id AS near_id, near.distance AS near_distance, listed.id AS listed_id,
           round(ST_Distance(listed.location::geography, v.point::geography)::numeric, 1) AS listed_distance
    FROM v JOIN own ON own.unit_code = v.code AND own.n = 1
    LEFT JOIN LATERAL (
      SELECT c.id, round(ST_Distance(c.location::geography, v.point::geography)::numeric, 1) AS distance FROM clinic AS c
      WHERE ${byDistance} AND c.unit_code <> v.code
        AND ST_DWithin(c.location, v.point, ${prefilterDegrees(p.adjacencyMetres)}::float8)
        AND ST_DWithin(c.location::geography, v.point::geography, ${p.adjacencyMetres}::float8)
      ORDER BY ST_Distance(c.location::geography, v.point::geography), c.id LIMIT 1
    ) AS near ON true
    LEFT JOIN listed ON listed.code = v.code
    ORDER BY v.code`.execute(db);
  const pairs: Pair[] = [];
  for (const r of rows) {
    const community = isCommunity({
      unit_code: r.code,
      unit_name: r.name,
      unit_level: 'village',
      unit_kind: r.kind,
      unit_urban: r.urban,
      parent_kind: r.parent_kind,
      parent_urban: r.parent_urban,
      population: r.population,
      league_code: null,
      banner_code: null,
      township_code: null,
    });
    if (community) continue;
    const partnerId = r.near_id ?? r.listed_id;
    const distance = r.near_id !== null ? r.near_distance : r.listed_distance;
    if (partnerId === null) continue;
    pairs.push({
      reason: 'joint_clinic',
      mergedId: Number(r.clinic_id),
      partnerId: Number(partnerId),
      distanceM: Number(distance),
      village: { code: r.code, name: r.name, population: Number(r.population) },
      catchment: null,
    });
  }
  return pairs;
}

/** The class whose catchment and access limit judge a facility of this type. */
function classFor(base: Evaluated, type: string): string {
  const params = base.ruleSet.params.access;
  if ((type === 'township_health_centre' || type === 'community_health_centre') && params.classes.some((c) => c.key === 'township')) return 'township';
  return params.circleClass;
}

/** Township health centres and village clinics with a small catchment, and the nearest open facility of their type. */
async function smallCatchmentPairs(db: Kysely<Database>, base: Evaluated, scope: ScopedUnit): Promise<Pair[]> {
  const access = base.access;
  const below = access.params.smallCatchmentPopulation;
  const small = new Map<number, number>();
  for (const type of ['village_clinic', 'township_health_centre'] as const) {
    const cls = classOf(access, classFor(base, type));
    if (!cls) continue;
    const c = catchments(access, cls);
    for (const f of cls.members) if (c.population[f]! < below) small.set(access.facilities.ids[f]!, c.population[f]!);
  }
  if (small.size === 0) return [];
  const ctx = contextOf(db, base.state, base.scenario);
  const statuses = countedStatuses(base.ruleSet.params.rules);
  const { rows } = await sql<{ id: number; type: string; partner_id: number | null; distance: number | null }>`
    SELECT f.id, f.type, near.id AS partner_id, near.distance
    FROM ${ctx.facilities} AS f
    LEFT JOIN LATERAL (
      SELECT g.id, round(ST_Distance(g.location::geography, f.location::geography)::numeric, 1) AS distance
      FROM ${ctx.facilities} AS g
      WHERE g.type = f.type AND g.id <> f.id AND g.status = ANY(${statuses}::text[])
      ORDER BY g.location <-> f.location, g.id LIMIT 8
    ) AS near ON true
    WHERE f.id = ANY(${[...small.keys()].map(String)}::int8[]) AND f.type IN ('village_clinic', 'township_health_centre')
      AND f.status = ANY(${statuses}::text[]) AND ${scopeCondition(scope, 'f', 'unit_code')}
    ORDER BY f.id, near.distance, near.id`.execute(db);
  const pairs: Pair[] = [];
  const seen = new Set<number>();
  for (const r of rows) {
    // The planar KNN orders the 8 nearest; the geodesic distance picks among them.
    if (seen.has(Number(r.id)) || r.partner_id === null) continue;
    seen.add(Number(r.id));
    pairs.push({ reason: 'small_catchment', mergedId: Number(r.id), partnerId: Number(r.partner_id), distanceM: Number(r.distance), village: null, catchment: small.get(Number(r.id)) ?? null });
  }
  return pairs;
}

function facilityOf(base: Evaluated, id: number, units: Map<string, string>): CandidateFacility {
  const f = base.state.facility(id)!;
  return { id, code: f.row.code, name: f.row.name, type: f.row.type, unitCode: f.row.unit_code, unitName: units.get(f.row.unit_code) ?? null };
}

function reasonText(pair: Pair, below: number, smallBelow: number): Bilingual {
  if (pair.reason === 'joint_clinic' && pair.village) {
    return {
      zh: `${pair.village.name}常住人口 ${fmt(pair.village.population, 0)} 人，不足 ${below} 人，可与地域临近的行政村联办卫生室（002:25）；伙伴卫生室相距 ${fmt(pair.distanceM, 0)} 米`,
      en: `${pair.village.name} has ${fmt(pair.village.population, 0)} residents, under ${below}: it may run a clinic jointly with an adjacent village (002:25); the partner clinic is ${fmt(pair.distanceM, 0)} m away`,
    };
  }
  return {
    zh: `服务人口 ${fmt(pair.catchment ?? 0, 0)} 人，不足 ${smallBelow} 人；最近的同类机构相距 ${fmt(pair.distanceM, 0)} 米`,
    en: `its catchment has ${fmt(pair.catchment ?? 0, 0)} people, under ${smallBelow}; the nearest facility of its type is ${fmt(pair.distanceM, 0)} m away`,
  };
}

export interface AdviseOptions {
  unit?: string;
  /** Only the best n candidates are returned (all are evaluated). */
  limit?: number;
  /** Ranking, evaluation: stop evaluating after this many candidates (the rest are listed unevaluated). */
  maxEvaluated?: number;
  /** Candidates evaluated at the same time (default 1; more only helps with a connection pool). */
  concurrency?: number;
}

export async function adviseMerges(db: Kysely<Database>, base: Evaluated, options: AdviseOptions = {}): Promise<AdvisorResult> {
  const started = performance.now();
  const scope = await findScopedUnit(contextOf(db, base.state, base.scenario), options.unit ?? REGION_CODE);
  const rule = findRule(JOINT_CLINIC_RULE);
  const below = (rule?.spec as VillageClinicSpec | undefined)?.jointBelowPopulation ?? 500;
  const smallBelow = base.access.params.smallCatchmentPopulation;
  const joint = await jointClinicPairs(db, base, scope, below);
  const small = await smallCatchmentPairs(db, base, scope);
  // One candidate per (merged, partner); a joint-clinic reason wins (it cites the text).
  const byKey = new Map<string, Pair>();
  for (const p of [...joint, ...small]) {
    const key = `merge:${p.mergedId}>${p.partnerId}`;
    if (!byKey.has(key)) byKey.set(key, p);
  }
  const pairs = [...byKey.entries()];
  const unitCodes = new Set<string>();
  for (const [, p] of pairs) for (const id of [p.mergedId, p.partnerId]) {
    const f = base.state.facility(id);
    if (f) unitCodes.add(f.row.unit_code);
  }
  await base.state.base.ensure(db, { facilityIds: pairs.flatMap(([, p]) => [p.mergedId, p.partnerId]), unitCodes });
  for (const [, p] of pairs) for (const id of [p.mergedId, p.partnerId]) unitCodes.add(base.state.facility(id)?.row.unit_code ?? '');
  await base.state.base.ensure(db, { unitCodes: [...unitCodes].filter(Boolean) });
  const unitNames = new Map<string, string>();
  for (const code of unitCodes) {
    const u = base.state.unit(code);
    if (u) unitNames.set(code, u.name);
  }
  const candidates: Candidate[] = [];
  const maxEvaluated = options.maxEvaluated ?? Infinity;
  let evaluated = 0;
  const toEvaluate: { candidate: Candidate; state: typeof base.state; classKey: string }[] = [];
  for (const [key, pair] of pairs) {
    const merged = base.state.facility(pair.mergedId);
    const partner = base.state.facility(pair.partnerId);
    if (!merged || !partner) continue;
    const change: StoredMerge = { kind: 'merge_facilities', facilityIds: [pair.mergedId, pair.partnerId], survivorId: pair.partnerId, site: null };
    const candidate: Candidate = {
      key,
      rank: 0,
      reason: pair.reason,
      reasonText: reasonText(pair, below, smallBelow),
      facility: { ...facilityOf(base, pair.mergedId, unitNames), catchment: pair.catchment },
      partner: { ...facilityOf(base, pair.partnerId, unitNames), distanceM: pair.distanceM },
      village: pair.village,
      change: { kind: 'merge_facilities', facilityIds: [pair.mergedId, pair.partnerId], survivorId: pair.partnerId },
      effect: null,
      problem: null,
    };
    const state = base.state.clone();
    const problems = applyChange(state, change, { changeId: null, scenarioId: base.scenario?.id ?? 0, position: 1 }, new Date(0).toISOString());
    if (problems) {
      candidate.problem = { zh: problems.map((p) => p.zh).join('；'), en: problems.map((p) => p.en).join('; ') };
      candidates.push(candidate);
      continue;
    }
    if (evaluated >= maxEvaluated) {
      candidates.push(candidate);
      continue;
    }
    evaluated++;
    candidates.push(candidate);
    toEvaluate.push({ candidate, state, classKey: classFor(base, merged.row.type) });
  }
  // Candidates are independent one-change scenarios: a few at a time on a
  // connection pool (PostgreSQL), one at a time on the embedded engine.
  const evaluateOne = async ({ candidate, state, classKey }: (typeof toEvaluate)[number]) => {
    const t0 = performance.now();
    const result = await reevaluate(db, base, { state, scenario: base.scenario });
    const diff = diffEvaluations(base, result, { catchmentsPerClass: 0, derivedFromBase: true });
    const cls = diff.access.find((c) => c.class.key === classKey) ?? diff.access[0]!;
    const failing = diff.rules.changes.filter((c) => c.direction === 'newly_failing');
    candidate.effect = {
      class: cls.class.key,
      newlyFailing: diff.rules.newlyFailing,
      fixed: diff.rules.fixed,
      newlyFailingRules: failing.slice(0, 10).map((c) => ({ ruleId: c.ruleId, unitCode: c.unit.code, unitName: c.unit.name, title: c.title, shortfall: c.after.shortfallText })),
      access: cls.totals,
      losingAnyClass: diff.access.reduce((s, c) => s + c.totals.losing, 0),
      evaluationMs: Math.round((performance.now() - t0) * 10) / 10,
    };
  };
  let next = 0;
  // An edit landed while evaluating: later candidates would mix two data versions. They are listed
  // unevaluated with the reason (the client asks again), never a 500.
  let moved = false;
  const worker = async () => {
    while (next < toEvaluate.length) {
      const item = toEvaluate[next++]!;
      if (!moved) {
        try {
          await evaluateOne(item);
          continue;
        } catch (error) {
          if (!(error instanceof StaleBaseline)) throw error;
          moved = true;
        }
      }
      item.candidate.problem = { zh: '评估期间数据已更新，该候选未评估；请重新获取合并建议', en: 'the data changed while the candidates were evaluated: not evaluated; ask for the advice again' };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, toEvaluate.length)) }, worker));
  // Ranked: no rule newly failing first, then fewest people pushed past the access limit, then least added travel.
  const NONE = Number.MAX_SAFE_INTEGER;
  const score = (c: Candidate) => (c.effect ? [c.effect.newlyFailing, c.effect.access.losing, c.effect.access.addedPersonMinutes] : [NONE, NONE, NONE]);
  candidates.sort((a, b) => {
    const x = score(a);
    const y = score(b);
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]! || (a.key < b.key ? -1 : 1);
  });
  candidates.forEach((c, i) => (c.rank = i + 1));
  return {
    scope: { code: scope.code, name: scope.name, level: scope.level },
    base: base.scenario,
    thresholds: { jointBelowPopulation: below, adjacencyMode: base.ruleSet.params.rules.adjacencyMode, adjacencyMetres: base.ruleSet.params.rules.adjacencyMetres, smallCatchmentPopulation: smallBelow },
    candidates: options.limit !== undefined ? candidates.slice(0, options.limit) : candidates,
    evaluatedMs: Math.round(performance.now() - started),
  };
}
