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
 * One statement: villages LEFT JOIN own clinics, LEFT JOIN listing partners,
 * LEFT JOIN LATERAL the nearest partner clinic within the distance — evaluated
 * only for small villages without a clinic, with an index-assisted bounding-box
 * prefilter before the exact geodesic test.
 */
import { sql } from 'kysely';
import type { EvaluatedRow, EvaluatorInput, RuleEvaluator } from '../registry.ts';
import type { RuleParams } from '../params.ts';
import { facilityItems, inJurisdiction, statusCondition, unitInScope, ITEM_CAP } from '../sql.ts';
import { bi, fmt, listOf, mergeLists, resultTarget, UNITS } from '../text.ts';
import type { CappedList, RuleDefinition, TargetByYear, VillageClinicSpec } from '../types.ts';
import { isCommunity, unitRef, unitSelect, type UnitColumns } from './common.ts';

type Items = { id: number; code: string; name: string; value?: number | null }[] | null;

export interface VillageRow extends UnitColumns {
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

export function compileVillageClinic(input: EvaluatorInput<VillageClinicSpec>) {
  const { ctx, rule, params, scope } = input;
  const p = params.rules;
  const useDistance = p.adjacencyMode !== 'listed_only';
  const below = rule.spec.jointBelowPopulation;
  const clinic = sql`${statusCondition('f', p)} AND f.type = 'village_clinic'`;
  return sql`
    WITH v AS (
      SELECT ${unitSelect()}, u.point AS point
      FROM ${ctx.units} AS u
      LEFT JOIN ${ctx.units} AS p ON p.code = u.parent_code
      WHERE u.level = 'village' AND ${unitInScope(scope, 'u')} AND ${inJurisdiction(rule.jurisdiction, 'u', true)}
    ),
    own AS (
      SELECT f.unit_code AS village_code, count(*) AS n, ${facilityItems('f')} AS items
      FROM ${ctx.facilities} AS f
      WHERE ${clinic} AND f.unit_code IN (SELECT unit_code FROM v)
      GROUP BY 1
    ),
    listed AS (
      SELECT s.village_code, count(*) AS n, ${facilityItems('f')} AS items,
        COALESCE(array_to_json((array_agg(json_build_object('id', pu.code, 'code', pu.code, 'name', pu.name) ORDER BY f.id))[1:${sql.lit(ITEM_CAP)}]), '[]'::json) AS villages
      FROM ${ctx.facilities} AS f
      CROSS JOIN LATERAL unnest(f.villages_served) AS s(village_code)
      LEFT JOIN ${ctx.units} AS pu ON pu.code = f.unit_code
      WHERE ${clinic} AND s.village_code <> f.unit_code AND s.village_code IN (SELECT unit_code FROM v)
      GROUP BY 1
    )
    SELECT v.unit_code, v.unit_name, v.unit_level, v.unit_kind, v.unit_urban, v.parent_kind, v.parent_urban, v.population,
      v.league_code, v.banner_code, v.township_code,
      v.point IS NOT NULL AS has_point,
      own.n AS own_count, own.items AS own_items,
      listed.n AS listed_count, listed.items AS listed_items, listed.villages AS listed_villages,
      near.id AS near_id, near.code AS near_code, near.name AS near_name,
      near.unit_code AS near_village_code, near.village_name AS near_village_name, near.distance AS near_distance
    FROM v
    LEFT JOIN own ON own.village_code = v.unit_code
    LEFT JOIN listed ON listed.village_code = v.unit_code
    LEFT JOIN LATERAL (
      SELECT f.id, f.code, f.name, f.unit_code, nu.name AS village_name,
        round(ST_Distance(f.location::geography, v.point::geography)::numeric, 1) AS distance
      FROM ${ctx.facilities} AS f
      LEFT JOIN ${ctx.units} AS nu ON nu.code = f.unit_code
      WHERE ${useDistance} AND own.n IS NULL AND v.point IS NOT NULL
        AND (v.population IS NULL OR v.population < ${below})
        AND ${clinic} AND f.unit_code <> v.unit_code
        AND ST_DWithin(f.location, v.point, ${prefilterDegrees(p.adjacencyMetres)}::float8)
        AND ST_DWithin(f.location::geography, v.point::geography, ${p.adjacencyMetres}::float8)
      ORDER BY ST_Distance(f.location::geography, v.point::geography), f.id
      LIMIT 1
    ) AS near ON TRUE
    ORDER BY v.unit_code`;
}

export function judgeVillageClinic(rule: RuleDefinition<string, VillageClinicSpec>, row: VillageRow, target: TargetByYear, params: RuleParams): EvaluatedRow {
  const below = rule.spec.jointBelowPopulation;
  const own = Number(row.own_count ?? 0);
  const listed = params.adjacencyMode !== 'distance_only' ? Number(row.listed_count ?? 0) : 0;
  const near = params.adjacencyMode !== 'listed_only' && row.near_id !== null;
  const pop = row.population === null ? null : Number(row.population);
  const tgt = resultTarget(target, bi(`本村设卫生室，或服务人口不足 ${below} 人且与邻近行政村联办`, `a clinic of its own, or (under ${below} people) a joint clinic with an adjacent village`));
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
      notes: [bi('城市社区或街道：原则上设置社区卫生服务站，不再设置嘎查村卫生室（见 s2-street-community-station）', 'urban community or street: community health stations instead of village clinics (see s2-street-community-station)')],
    };
  }
  if (own > 0) return { ...base, status: 'pass', shortfall: null, facts: facts('own'), notes: [] };

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
  async evaluate(input) {
    const { rows } = await compileVillageClinic(input).execute(input.ctx.db);
    return (rows as VillageRow[]).map((row) => judgeVillageClinic(input.rule, row, input.target, input.params.rules));
  },
};
