/**
 * Village clinic coverage (002:24-25; 000:1012-1014): every administrative
 * village (嘎查村) has its own clinic, or — only when its service population is
 * < 500 (不足500人: exactly 500 is not eligible) — is served by a clinic run
 * jointly with an adjacent village ("地域临近"; the rule set decides what counts:
 * the partner clinic lists the village in `villages_served`, lies within
 * `adjacencyMetres`, or either). Urban communities and villages in streets
 * (街道) expect community health stations instead: not applicable here, see
 * s2-street-community-station.
 *
 * Two set-based statements over the villages in scope (units loaded once per
 * evaluation): own and listing clinics per village; then, only for the small
 * villages left without a clinic, the nearest partner clinic within the
 * distance (index-assisted bounding-box prefilter, exact geodesic test).
 */
import { sql, type RawBuilder } from 'kysely';
import type { EvaluatedRow, EvaluatorInput, RuleEvaluator } from '../registry.ts';
import type { RuleParams } from '../params.ts';
import { facilityInScope, ITEM_CAP, statusCondition, type Sql } from '../sql.ts';
import { bi, fmt, listOf, mergeLists, NO_NOTES, perRule, resultTarget, UNITS } from '../text.ts';
import type { CappedList, ResultUnit, RuleDefinition, TargetByYear, VillageClinicSpec } from '../types.ts';
import { isCommunity, unitRef, type UnitColumns } from './common.ts';
import { loadUnits, unitInJurisdiction, unitWanted } from './batch.ts';

type Items = { id: number; code: string; name: string; value?: number | null }[] | null;

export interface VillageRow extends UnitColumns {
  ref?: ResultUnit;
  has_point: boolean;
  own_count: number | null;
  own_items: Items;
  listed_count: number | null;
  listed_items: Items;
  listed_villages: { id: string; code: string; name: string }[] | null;
  near_id: number | null;
  near_code: string | null;
  near_name: string | null;
  near_village_code: string | null;
  near_village_name: string | null;
  near_distance: number | null;
}

/**
 * Degrees of longitude that certainly cover `metres` anywhere in Inner Mongolia
 * (≤ 55° N), for the bounding-box prefilter that lets the GiST index work.
 */
export function prefilterDegrees(metres: number): number {
  return metres / (111_320 * Math.cos((55 * Math.PI) / 180));
}

type Item = { id: number; code: string; name: string };

/** Clinic statuses counted and the clinics of the scope, as SQL over f. */
function clinicCondition(input: EvaluatorInput<VillageClinicSpec>): Sql {
  return sql`${statusCondition('f', input.params.rules)} AND f.type = 'village_clinic'`;
}

/**
 * Statement 1: per village, its own clinics, and the clinics of other villages
 * that list it in villages_served (with the partner village). A clinic outside
 * the subtree may list a village inside it, so listing clinics are not limited
 * to the subtree.
 */
export function compileClinics(input: EvaluatorInput<VillageClinicSpec>, villages: readonly string[]): RawBuilder<{ kind: 'own' | 'listed'; village: string; n: number; items: Item[]; villages: { id: string; code: string; name: string }[] | null }> {
  const { ctx, scope } = input;
  const wholeRegion = scope.root.level === 'region' && !scope.units;
  const inSubtree = facilityInScope(scope, 'village', 'f');
  // Most clinics list no partner (cardinality first); `= ANY(constant array)` is a hash
  // lookup in PostgreSQL, where the array overlap operator would compare every pair.
  const listsOneOf = wholeRegion
    ? sql`TRUE`
    : sql`(cardinality(f.villages_served) > 0 AND EXISTS (SELECT 1 FROM unnest(f.villages_served) AS s(v) WHERE s.v = ANY(${[...villages]}::text[])))`;
  return sql`
    WITH c AS (
      SELECT f.id, f.code, f.name, f.unit_code, f.villages_served, ${inSubtree} AS in_subtree
      FROM ${ctx.facilities} AS f
      WHERE ${clinicCondition(input)} AND (${inSubtree} OR ${listsOneOf})
    )
    SELECT 'own' AS kind, c.unit_code AS village, count(*) AS n,
      array_to_json((array_agg(json_build_object('id', c.id, 'code', c.code, 'name', c.name) ORDER BY c.id))[1:${sql.lit(ITEM_CAP)}]) AS items,
      NULL::json AS villages
    FROM c WHERE c.in_subtree AND length(c.unit_code) = 12 GROUP BY c.unit_code
    UNION ALL
    SELECT 'listed', s.village_code, count(*),
      array_to_json((array_agg(json_build_object('id', c.id, 'code', c.code, 'name', c.name) ORDER BY c.id))[1:${sql.lit(ITEM_CAP)}]),
      array_to_json((array_agg(json_build_object('id', pu.code, 'code', pu.code, 'name', pu.name) ORDER BY c.id))[1:${sql.lit(ITEM_CAP)}])
    FROM c
    CROSS JOIN LATERAL unnest(c.villages_served) AS s(village_code)
    LEFT JOIN ${ctx.units} AS pu ON pu.code = c.unit_code
    WHERE s.village_code <> c.unit_code
    GROUP BY s.village_code`;
}

/**
 * Statement 2, for the small villages without a clinic only: the nearest clinic
 * of another village within the adjacency distance (bounding-box prefilter on
 * the GiST index, then the exact geodesic test).
 */
export function compileNearest(input: EvaluatorInput<VillageClinicSpec>, candidates: readonly string[]) {
  const { ctx, params } = input;
  const metres = params.rules.adjacencyMetres;
  return sql<{ village: string; id: number; code: string; name: string; unit_code: string; village_name: string | null; distance: number }>`
    SELECT v.code AS village, near.id, near.code, near.name, near.unit_code, near.village_name, near.distance
    FROM ${ctx.units} AS v
    CROSS JOIN LATERAL (
      SELECT f.id, f.code, f.name, f.unit_code, nu.name AS village_name,
        round(ST_Distance(f.location::geography, v.point::geography)::numeric, 1) AS distance
      FROM ${ctx.facilities} AS f
      LEFT JOIN ${ctx.units} AS nu ON nu.code = f.unit_code
      -- "IS TRUE" keeps the type and status tests off the btree index: the spatial
      -- prefilter on the GiST index must drive this scan even without statistics.
      WHERE (${clinicCondition(input)}) IS TRUE AND f.unit_code <> v.code
        AND ST_DWithin(f.location, v.point, ${prefilterDegrees(metres)}::float8)
        AND ST_DWithin(f.location::geography, v.point::geography, ${metres}::float8)
      ORDER BY ST_Distance(f.location::geography, v.point::geography), f.id
      LIMIT 1
    ) AS near
    WHERE v.code = ANY(${[...candidates]}::text[]) AND v.point IS NOT NULL`;
}

/** For snapshots: both statements (the candidate list is bound at run time). */
export function compileVillageClinic(inputs: EvaluatorInput<VillageClinicSpec>[]) {
  const input = inputs[0]!;
  return sql`${compileClinics(input, ['<villages in scope>'])};\n${compileNearest(input, ['<small villages without a clinic>'])}`;
}

async function evaluateVillageClinic(input: EvaluatorInput<VillageClinicSpec>): Promise<EvaluatedRow[]> {
  const { ctx, rule, params, scope } = input;
  const units = input.units ?? (await loadUnits(ctx, scope, ['village']));
  const villages = (units.byLevel.get('village') ?? []).filter((v) => unitInJurisdiction(v, rule.jurisdiction) && unitWanted(scope, v.unit_code));
  if (villages.length === 0) return [];
  const codes = villages.map((v) => v.unit_code);
  const own = new Map<string, { n: number; items: Item[] }>();
  const listed = new Map<string, { n: number; items: Item[]; villages: { id: string; code: string; name: string }[] }>();
  for (const row of (await compileClinics(input, codes).execute(ctx.db)).rows) {
    if (row.kind === 'own') own.set(row.village, { n: Number(row.n), items: row.items });
    else listed.set(row.village, { n: Number(row.n), items: row.items, villages: row.villages ?? [] });
  }
  const p = params.rules;
  const below = rule.spec.jointBelowPopulation;
  const candidates =
    p.adjacencyMode === 'listed_only'
      ? []
      : villages
          .filter((v) => !isCommunity(v) && !own.has(v.unit_code) && v.has_point && (v.population === null || Number(v.population) < below))
          .filter((v) => p.adjacencyMode === 'distance_only' || !listed.has(v.unit_code))
          .map((v) => v.unit_code);
  const nearest = new Map<string, { id: number; code: string; name: string; unit_code: string; village_name: string | null; distance: number }>();
  if (candidates.length > 0) for (const row of (await compileNearest(input, candidates).execute(ctx.db)).rows) nearest.set(row.village, row);
  return villages.map((v) => {
    const o = own.get(v.unit_code);
    const l = listed.get(v.unit_code);
    const near = nearest.get(v.unit_code);
    // Written out field by field: an object spread here costs more than the judgement.
    const row: VillageRow = {
      unit_code: v.unit_code,
      unit_name: v.unit_name,
      unit_level: v.unit_level,
      unit_kind: v.unit_kind,
      unit_urban: v.unit_urban,
      parent_kind: v.parent_kind,
      parent_urban: v.parent_urban,
      population: v.population,
      league_code: v.league_code,
      banner_code: v.banner_code,
      township_code: v.township_code,
      ref: v.ref,
      has_point: v.has_point,
      own_count: o ? o.n : null,
      own_items: o ? o.items : null,
      listed_count: l ? l.n : null,
      listed_items: l ? l.items : null,
      listed_villages: l ? l.villages : null,
      near_id: near ? Number(near.id) : null,
      near_code: near ? near.code : null,
      near_name: near ? near.name : null,
      near_village_code: near ? near.unit_code : null,
      near_village_name: near ? near.village_name : null,
      near_distance: near ? Number(near.distance) : null,
    };
    return judgeVillageClinic(rule, row, input.target, p);
  });
}

const COMMUNITY_NOTES = Object.freeze([
  bi('城市社区或街道：原则上设置社区卫生服务站，不再设置嘎查村卫生室（见 s2-street-community-station）', 'urban community or street: community health stations instead of village clinics (see s2-street-community-station)'),
]) as unknown as { zh: string; en: string }[];

export function judgeVillageClinic(rule: RuleDefinition<string, VillageClinicSpec>, row: VillageRow, target: TargetByYear, params: RuleParams): EvaluatedRow {
  const below = rule.spec.jointBelowPopulation;
  const own = Number(row.own_count ?? 0);
  const listed = params.adjacencyMode !== 'distance_only' ? Number(row.listed_count ?? 0) : 0;
  const near = params.adjacencyMode !== 'listed_only' && row.near_id !== null;
  const pop = row.population === null ? null : Number(row.population);
  const tgt = perRule(rule, `target:${target.year}`, () =>
    resultTarget(target, bi(`本村设卫生室，或服务人口不足 ${below} 人且与邻近行政村联办`, `a clinic of its own, or (under ${below} people) a joint clinic with an adjacent village`)),
  );
  const measured = {
    value: pop,
    unit: UNITS.people,
    text: bi(
      `常住人口 ${pop === null ? '未知' : fmt(pop, 0)} 人；本村卫生室 ${own} 所`,
      `resident population ${pop === null ? 'unknown' : fmt(pop, 0)}; own clinics ${own}`,
    ),
  };
  const nearList: CappedList = near
    ? { count: 1, items: [{ id: Number(row.near_id), code: row.near_code ?? '', name: row.near_name ?? '', role: 'partner_clinic', value: row.near_distance === null ? null : Number(row.near_distance) }] }
    : { count: 0, items: [] };
  const facilities = mergeLists(listOf(row.own_items, own, 'own_clinic'), listed > 0 ? listOf(row.listed_items, listed, 'partner_clinic') : { count: 0, items: [] }, nearList);
  const partnerVillages = mergeLists(
    listed > 0 ? listOf(row.listed_villages, listed, 'partner_village') : { count: 0, items: [] },
    near && row.near_village_code ? { count: 1, items: [{ id: row.near_village_code, code: row.near_village_code, name: row.near_village_name ?? '', role: 'partner_village' }] } : { count: 0, items: [] },
  );
  const base = { unit: unitRef(row), measured, target: tgt, facilities, villages: partnerVillages };
  const facts = (coverage: string) => ({
    population: pop,
    ownClinics: own,
    listedPartners: listed,
    nearestPartnerMetres: near && row.near_distance !== null ? Number(row.near_distance) : null,
    adjacencyMetres: params.adjacencyMetres,
    adjacencyMode: params.adjacencyMode,
    coverage,
  });

  if (isCommunity(row)) {
    return {
      ...base,
      status: 'not_applicable',
      shortfall: null,
      facts: facts('community'),
      notes: COMMUNITY_NOTES,
    };
  }
  if (own > 0) return { ...base, status: 'pass', shortfall: null, facts: facts('own'), notes: NO_NOTES };

  const partner = near
    ? bi(`${row.near_name}（${row.near_village_name ?? row.near_village_code}，相距 ${fmt(Number(row.near_distance), 0)} 米）`, `${row.near_name} (${row.near_village_name ?? row.near_village_code}, ${fmt(Number(row.near_distance), 0)} m away)`)
    : listed > 0
      ? bi(`${row.listed_items?.[0]?.name ?? ''}（服务名单列有本村）`, `${row.listed_items?.[0]?.name ?? ''} (lists this village as served)`)
      : null;
  const missingClinic = { value: 1, unit: UNITS.facilityOne, text: bi('缺 1 所村卫生室', 'short of 1 village clinic') };

  if (pop === null) {
    if (partner) {
      return { ...base, status: 'unknown', shortfall: null, facts: facts('unknown'), notes: [bi(`缺少人口数据，无法判断能否由 ${partner.zh} 联办`, `population missing: cannot tell whether ${partner.en} may serve it jointly`)] };
    }
    return { ...base, status: 'fail', shortfall: missingClinic, facts: facts('none'), notes: [bi('无本村卫生室，也无可联办的邻村卫生室（人口数据缺失）', 'no clinic and no partner clinic nearby (population missing)')] };
  }
  if (pop < below) {
    if (partner) {
      return {
        ...base,
        status: 'pass',
        shortfall: null,
        facts: facts('joint'),
        notes: [bi(`由 ${partner.zh} 联办（服务人口 ${fmt(pop, 0)} 人，不足 ${below} 人，002:25 允许联办）`, `served by a joint clinic: ${partner.en} (${fmt(pop, 0)} people, under ${below}; allowed by 002:25)`)],
      };
    }
    if (params.adjacencyMode !== 'listed_only' && !row.has_point) {
      return { ...base, status: 'unknown', shortfall: null, facts: facts('unknown'), notes: [bi('本村无位置数据，无法判断是否与邻村卫生室地域临近', 'the village has no location, so adjacency to a partner clinic cannot be decided')] };
    }
    return {
      ...base,
      status: 'fail',
      shortfall: missingClinic,
      facts: facts('none'),
      notes: [
        bi(
          `人口不足 ${below} 人，可与邻近行政村联办卫生室（002:25），但${params.adjacencyMode === 'listed_only' ? '没有卫生室将本村列入服务名单' : ` ${fmt(params.adjacencyMetres, 0)} 米内无邻村卫生室`}`,
          `under ${below} people, so it may share a clinic with an adjacent village (002:25), but ${params.adjacencyMode === 'listed_only' ? 'no clinic lists it as served' : `no other village clinic lies within ${fmt(params.adjacencyMetres, 0)} m`}`,
        ),
      ],
    };
  }
  const notes = listed > 0 || near
    ? [bi(`常住人口 ${fmt(pop, 0)} 人，不满足“不足 ${below} 人”，不能以联办卫生室代替`, `${fmt(pop, 0)} people is not under ${below}: a joint clinic does not count`)]
    : [];
  return { ...base, status: 'fail', shortfall: missingClinic, facts: facts('none'), notes };
}

export const villageClinicCoverage: RuleEvaluator<VillageClinicSpec> = {
  kind: 'village_clinic_coverage',
  label: bi('嘎查村卫生室覆盖', 'Village clinic coverage'),
  description: bi(
    '每个行政嘎查村有本村卫生室；服务人口不足 500 人且地域临近的可与邻村联办',
    'Every administrative village has its own clinic, or (under 500 people and adjacent) shares one',
  ),
  validate(rule) {
    if (!(rule.spec.jointBelowPopulation > 0)) throw new Error(`rule ${rule.id}: jointBelowPopulation must be positive`);
    if (rule.levels.length !== 1 || rule.levels[0] !== 'village') throw new Error(`rule ${rule.id}: village clinic coverage is evaluated at village level`);
  },
  compile: compileVillageClinic,
  evaluate: evaluateVillageClinic,
};
