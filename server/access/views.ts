/**
 * Access results as the API, reports and the rule engine read them: per-unit
 * figures, the villages with most people out of reach, the 15-minute circle
 * per township and banner, gap areas and catchments. Pure functions of an
 * AccessResult (plus the database for geometry and facility attributes).
 */
import type { Kysely } from 'kysely';
import type { Geometry } from 'geojson';
import type { Database } from '../db/schema.ts';
import type { EvaluationContext } from '../engine/context.ts';
import type { Level } from '../domain/taxonomy.ts';
import type { Bbox } from '../db/postgis.ts';
import { unitFigures, COVERED, GAP, MOBILE, type UnitFigures } from './aggregate.ts';
import { catchmentCells, catchments, gapAreas, intersects, unionOfSquares, type GapArea } from './areas.ts';
import { LIMIT_TOLERANCE_MIN, type AccessResult, type ClassAccess } from './engine.ts';
import { LEVEL_COUNT, LEVEL_INDEX } from './inputs.ts';
import { TRAVEL_MODE_LABELS, type AccessParams, type Bilingual, type ClassLimit, type FacilityClass } from './params.ts';
import { facilityDetails } from './service.ts';

export interface UnitRef {
  code: string;
  name: string;
  level: Level;
}

export function unitRef(result: AccessResult, u: number): UnitRef {
  return { code: result.units.codes[u]!, name: result.units.names[u]!, level: result.units.levels[u]! };
}

export function classOf(result: AccessResult, key: string): ClassAccess | undefined {
  return result.classes.find((c) => c.cls.key === key);
}

export interface ClassRef {
  key: string;
  name: Bilingual;
  limit: ClassLimit;
  limitText: Bilingual;
}

export function classRef(cls: FacilityClass): ClassRef {
  return {
    key: cls.key,
    name: cls.name,
    limit: cls.limit,
    limitText:
      cls.limit.kind === 'time'
        ? { zh: `${cls.limit.minutes} 分钟以内（含）`, en: `within ${cls.limit.minutes} min (inclusive)` }
        : { zh: `直线 ${cls.limit.metres} 米以内（含）`, en: `within ${cls.limit.metres} m straight-line (inclusive)` },
  };
}

/** Is unit `u` inside (or equal to) unit `scope`? */
export function within(result: AccessResult, u: number, scope: number): boolean {
  const level = LEVEL_INDEX[result.units.levels[scope]!];
  return result.units.ancestors[u * LEVEL_COUNT + level] === scope;
}

export interface UnitAccessRow {
  unit: UnitRef;
  parentCode: string | null;
  unitPopulation: number | null;
  mobileService: boolean;
  urban: boolean;
  figures: UnitFigures;
}

export function unitRow(result: AccessResult, cls: ClassAccess, u: number): UnitAccessRow {
  const units = result.units;
  const level = LEVEL_INDEX[units.levels[u]!];
  const parent = level > 0 ? units.ancestors[u * LEVEL_COUNT + level - 1]! : -1;
  return {
    unit: unitRef(result, u),
    parentCode: parent >= 0 ? units.codes[parent]! : null,
    unitPopulation: units.population[u] ?? null,
    mobileService: units.mobile[u] === 1,
    urban: units.urban[u] === 1,
    figures: unitFigures(cls.agg, u),
  };
}

export type UnitSort = 'code' | 'gap' | 'share';

/** Units of `level` inside `scope`, with one class's figures. */
export function unitRows(result: AccessResult, cls: ClassAccess, scope: number, level: Level, sort: UnitSort): UnitAccessRow[] {
  const units = result.units;
  const rows: UnitAccessRow[] = [];
  for (let u = 0; u < units.count; u++) {
    if (units.levels[u] === level && within(result, u, scope)) rows.push(unitRow(result, cls, u));
  }
  const byCode = (a: UnitAccessRow, b: UnitAccessRow) => (a.unit.code < b.unit.code ? -1 : a.unit.code > b.unit.code ? 1 : 0);
  if (sort === 'gap') rows.sort((a, b) => b.figures.gap - a.figures.gap || byCode(a, b));
  else if (sort === 'share') rows.sort((a, b) => (a.figures.shareCovered ?? 2) - (b.figures.shareCovered ?? 2) || byCode(a, b));
  else rows.sort(byCode);
  return rows;
}

export interface VillageOutOfReach {
  code: string;
  name: string;
  population: number;
  gap: number;
  mobile: number;
  shareCovered: number | null;
  /** 90 % of the village's people live within this many geodesic metres of a facility of the class. */
  p90DistanceM: number | null;
}

/** Villages of a unit with the most people in gaps (then served only by mobile services). */
export function villagesOutOfReach(result: AccessResult, cls: ClassAccess, scope: number, limit = 10): VillageOutOfReach[] {
  const units = result.units;
  const list: VillageOutOfReach[] = [];
  for (let u = 0; u < units.count; u++) {
    if (units.levels[u] !== 'village' || !within(result, u, scope)) continue;
    const f = unitFigures(cls.agg, u);
    if (f.gap + f.mobile <= 0) continue;
    list.push({ code: units.codes[u]!, name: units.names[u]!, population: f.population, gap: f.gap, mobile: f.mobile, shareCovered: f.shareCovered, p90DistanceM: f.p90DistanceM });
  }
  list.sort((a, b) => b.gap - a.gap || b.mobile - a.mobile || (a.code < b.code ? -1 : 1));
  return list.slice(0, limit);
}

// ── The 15-minute basic medical service circle (003:31) ─────────────────────

export interface CircleFigures {
  population: number;
  within: number;
  mobile: number;
  gap: number;
}

const circleCache = new WeakMap<AccessResult, Float64Array[]>();

/** Population within circleMinutes of the circle class, per unit (the class limit may differ). */
function circleAggregate(result: AccessResult): Float64Array[] {
  const cached = circleCache.get(result);
  if (cached) return cached;
  const { params, cells, units } = result;
  const cls = classOf(result, params.circleClass);
  const population = new Float64Array(units.count);
  const inside = new Float64Array(units.count);
  const mobile = new Float64Array(units.count);
  const gap = new Float64Array(units.count);
  if (cls) {
    for (let i = 0; i < cells.count; i++) {
      const u = cells.unit[i]!;
      if (u < 0) continue;
      const pop = cells.population[i]!;
      const reached = cls.nearest[i]! >= 0 && cls.minutes[i]! <= params.circleMinutes + LIMIT_TOLERANCE_MIN;
      const mobileArea = units.mobile[u] === 1;
      for (let l = 0; l < LEVEL_COUNT; l++) {
        const a = units.ancestors[u * LEVEL_COUNT + l]!;
        if (a < 0) continue;
        population[a]! += pop;
        if (reached || (mobileArea && params.mobileService === 'covered')) inside[a]! += pop;
        else if (mobileArea && params.mobileService === 'distinct') mobile[a]! += pop;
        else gap[a]! += pop;
      }
    }
  }
  const out = [population, inside, mobile, gap];
  circleCache.set(result, out);
  return out;
}

export type CircleStatus = 'pass' | 'fail' | 'not_applicable' | 'unknown';

export interface CircleRow {
  unit: UnitRef;
  population: number;
  within: number;
  mobile: number;
  gap: number;
  /** Share of residents within the circle: within ÷ (population − mobile) when mobile-service areas are distinct, else within ÷ population. */
  share: number | null;
  target: number;
  status: CircleStatus;
  /** People who would have to be brought within reach to meet the target. */
  shortfallPeople: number | null;
  reason: Bilingual;
}

export function circleRow(result: AccessResult, u: number): CircleRow {
  const { params } = result;
  const [population, inside, mobile, gap] = circleAggregate(result) as [Float64Array, Float64Array, Float64Array, Float64Array];
  const pop = population[u]!;
  const mob = mobile[u]!;
  const within = inside[u]!;
  const denominator = pop - mob;
  const target = params.circleTargetShare;
  const pct = (v: number) => `${(Math.round(v * 1000) / 10).toFixed(1)}%`;
  const base = { unit: unitRef(result, u), population: pop, within, mobile: mob, gap: gap[u]!, target };
  if (pop <= 0) {
    return {
      ...base,
      share: null,
      status: 'unknown',
      shortfallPeople: null,
      reason: { zh: '该单元没有人口网格数据，无法计算。', en: 'No population cells in this unit: the share cannot be computed.' },
    };
  }
  if (denominator <= 0) {
    return {
      ...base,
      share: null,
      status: 'not_applicable',
      shortfallPeople: null,
      reason: {
        zh: '全部人口在流动服务地区（“小药箱”、流动医疗服务车，000:1035；003:31），不按 15 分钟圈计。',
        en: 'All residents live in mobile-service areas (medicine kits, mobile vehicles; 000:1035, 003:31): the 15-minute circle is not assessed.',
      },
    };
  }
  const share = within / denominator;
  // Inclusive: 达到 = at least the target. Compared on people to avoid float noise.
  const needed = Math.ceil(target * denominator - 1e-9);
  const pass = within >= needed;
  return {
    ...base,
    share: Math.round(share * 1e6) / 1e6,
    status: pass ? 'pass' : 'fail',
    shortfallPeople: pass ? 0 : needed - within,
    reason: pass
      ? { zh: `${pct(share)} 的常住人口在 ${params.circleMinutes} 分钟内可达基本医疗服务（目标 ${pct(target)}）。`, en: `${pct(share)} of residents within ${params.circleMinutes} min of basic care (target ${pct(target)}).` }
      : {
          zh: `仅 ${pct(share)} 的常住人口在 ${params.circleMinutes} 分钟内可达（目标 ${pct(target)}），还差 ${needed - within} 人。`,
          en: `Only ${pct(share)} of residents within ${params.circleMinutes} min (target ${pct(target)}): ${needed - within} people short.`,
        },
  };
}

/** Villages inside `scope` with people outside the circle (not in mobile-service areas), most first. */
export function circleVillages(result: AccessResult, scope: number): { code: string; name: string; population: number; gap: number }[] {
  const [population, , , gap] = circleAggregate(result) as [Float64Array, Float64Array, Float64Array, Float64Array];
  const units = result.units;
  const list: { code: string; name: string; population: number; gap: number }[] = [];
  for (let u = 0; u < units.count; u++) {
    if (units.levels[u] !== 'village' || gap[u]! <= 0 || !within(result, u, scope)) continue;
    list.push({ code: units.codes[u]!, name: units.names[u]!, population: population[u]!, gap: gap[u]! });
  }
  list.sort((a, b) => b.gap - a.gap || (a.code < b.code ? -1 : 1));
  return list;
}

/** The circle for every township and banner inside `scope`. */
export function circleRows(result: AccessResult, scope: number, levels: readonly Level[] = ['banner', 'township']): CircleRow[] {
  const rows: CircleRow[] = [];
  for (let u = 0; u < result.units.count; u++) {
    if (levels.includes(result.units.levels[u]!) && within(result, u, scope)) rows.push(circleRow(result, u));
  }
  rows.sort((a, b) => (a.unit.code < b.unit.code ? -1 : 1));
  return rows;
}

export function travelText(params: AccessParams): Bilingual {
  return {
    zh: `城镇${TRAVEL_MODE_LABELS[params.urbanMode].zh} ${params.urbanSpeedKmh} km/h，农村牧区${TRAVEL_MODE_LABELS[params.ruralMode].zh} ${params.ruralSpeedKmh} km/h，绕行系数 ${params.detourFactor}，直线（大地线）距离估算`,
    en: `urban ${TRAVEL_MODE_LABELS[params.urbanMode].en} ${params.urbanSpeedKmh} km/h, rural ${TRAVEL_MODE_LABELS[params.ruralMode].en} ${params.ruralSpeedKmh} km/h, detour factor ${params.detourFactor}, straight-line (geodesic) estimate`,
  };
}

// ── Gap areas and catchments as GeoJSON ────────────────────────────────────

export interface AreaFilter {
  bbox?: Bbox | undefined;
  /** Unit index the area must touch. */
  scope?: number | undefined;
  limit: number;
  offset: number;
}

const geometryCache = new WeakMap<ClassAccess, Map<string, Geometry | null>>();

async function geometries(db: Kysely<Database>, result: AccessResult, cls: ClassAccess, keys: string[], cellsOf: (key: string) => readonly number[]): Promise<Map<string, Geometry | null>> {
  let cache = geometryCache.get(cls);
  if (!cache) {
    cache = new Map();
    geometryCache.set(cls, cache);
  }
  const missing = keys.filter((k) => !cache.has(k));
  if (missing.length > 0) {
    const geoms = await unionOfSquares(db, result, missing.map(cellsOf));
    missing.forEach((k, n) => cache.set(k, geoms[n] ?? null));
  }
  return cache;
}

export function filterGaps(result: AccessResult, cls: ClassAccess, filter: Omit<AreaFilter, 'limit' | 'offset'> & { minPopulation?: number | undefined }): GapArea[] {
  return gapAreas(result, cls).filter(
    (g) =>
      (!filter.bbox || intersects(g.bbox, filter.bbox)) &&
      (filter.scope === undefined || g.units.has(filter.scope) || result.units.levels[filter.scope] === 'region') &&
      (filter.minPopulation === undefined || g.population >= filter.minPopulation),
  );
}

export async function gapFeatures(db: Kysely<Database>, ctx: EvaluationContext, result: AccessResult, cls: ClassAccess, areas: GapArea[]) {
  const byId = new Map(areas.map((a) => [a.id, a]));
  const geoms = await geometries(db, result, cls, areas.map((a) => a.id), (id) => Array.from(byId.get(id)!.cells));
  const nearestIds = [...new Set(areas.filter((a) => a.nearestFacility >= 0).map((a) => result.facilities.ids[a.nearestFacility]!))];
  const details = await facilityDetails(ctx, nearestIds);
  return areas.map((a) => {
    const fid = a.nearestFacility >= 0 ? result.facilities.ids[a.nearestFacility]! : null;
    const d = fid === null ? undefined : details.get(fid);
    const banners = [...a.units].filter((u) => result.units.levels[u] === 'banner').map((u) => result.units.codes[u]!).sort();
    const townships = [...a.units].filter((u) => result.units.levels[u] === 'township').map((u) => result.units.codes[u]!).sort();
    return {
      type: 'Feature' as const,
      id: a.id,
      bbox: a.bbox.map((v) => Math.round(v * 1e6) / 1e6),
      geometry: geoms.get(a.id) ?? null,
      properties: {
        id: a.id,
        class: cls.cls.key,
        population: a.population,
        areaKm2: a.areaKm2,
        cells: a.cells.length,
        nearestFacility: fid === null ? null : { id: fid, code: d?.code ?? null, name: d?.name ?? null, type: d?.type ?? null, synthetic: d?.synthetic ?? null },
        nearestDistanceM: a.nearestDistanceM,
        bannerCodes: banners,
        townshipCodes: townships,
      },
    };
  });
}

export interface CatchmentFilter extends AreaFilter {
  /** Only facilities whose catchment has fewer people than this. */
  below?: number | undefined;
}

export function filterCatchments(result: AccessResult, cls: ClassAccess, filter: Omit<CatchmentFilter, 'limit' | 'offset'>): number[] {
  const c = catchments(result, cls);
  const list: number[] = [];
  for (const f of cls.members) {
    if (filter.below !== undefined && !(c.population[f]! < filter.below)) continue;
    if (filter.bbox && !intersects([c.bbox[f * 4]!, c.bbox[f * 4 + 1]!, c.bbox[f * 4 + 2]!, c.bbox[f * 4 + 3]!], filter.bbox)) continue;
    if (filter.scope !== undefined && result.units.levels[filter.scope] !== 'region') {
      // A catchment is in a unit when its facility stands in it or any of its cells lies in it.
      if (!catchmentTouches(result, cls, f, filter.scope)) continue;
    }
    list.push(f);
  }
  list.sort((a, b) => c.population[a]! - c.population[b]! || result.facilities.ids[a]! - result.facilities.ids[b]!);
  return list;
}

const touchCache = new WeakMap<ClassAccess, Map<number, Set<number>>>();

/** Units (any level) each facility's catchment cells lie in. */
function catchmentTouches(result: AccessResult, cls: ClassAccess, f: number, scope: number): boolean {
  let map = touchCache.get(cls);
  if (!map) {
    map = new Map();
    const { cells, units } = result;
    for (let i = 0; i < cells.count; i++) {
      const fac = cls.nearest[i]!;
      const u = cells.unit[i]!;
      if (fac < 0 || u < 0) continue;
      let set = map.get(fac);
      if (!set) map.set(fac, (set = new Set()));
      for (let l = 1; l < LEVEL_COUNT; l++) {
        const a = units.ancestors[u * LEVEL_COUNT + l]!;
        if (a >= 0) set.add(a);
      }
    }
    touchCache.set(cls, map);
  }
  return map.get(f)?.has(scope) ?? false;
}

export async function catchmentFeatures(
  db: Kysely<Database>,
  ctx: EvaluationContext,
  result: AccessResult,
  cls: ClassAccess,
  facilities: number[],
  geometry: 'polygon' | 'point',
) {
  const c = catchments(result, cls);
  const keys = facilities.map((f) => String(f));
  const cellLists = geometry === 'polygon' ? catchmentCells(result, cls, facilities) : new Map<number, number[]>();
  const geoms = geometry === 'polygon' ? await geometries(db, result, cls, keys, (k) => cellLists.get(Number(k)) ?? []) : new Map<string, Geometry | null>();
  const details = await facilityDetails(
    ctx,
    facilities.map((f) => result.facilities.ids[f]!),
  );
  const small = result.params.smallCatchmentPopulation;
  return facilities.map((f) => {
    const id = result.facilities.ids[f]!;
    const d = details.get(id);
    const population = c.population[f]!;
    const doctors = d && (d.staff_doctors !== null || d.staff_assistant_doctors !== null) ? (d.staff_doctors ?? 0) + (d.staff_assistant_doctors ?? 0) : null;
    const ratio = (n: number | null | undefined) => (n ? Math.round((population / n) * 10) / 10 : null);
    const point = { type: 'Point' as const, coordinates: [Math.round(result.facilities.lon[f]! * 1e6) / 1e6, Math.round(result.facilities.lat[f]! * 1e6) / 1e6] };
    return {
      type: 'Feature' as const,
      id,
      bbox: [c.bbox[f * 4]!, c.bbox[f * 4 + 1]!, c.bbox[f * 4 + 2]!, c.bbox[f * 4 + 3]!].map((v) => Math.round(v * 1e6) / 1e6),
      geometry: geometry === 'polygon' ? (geoms.get(String(f)) ?? null) : point,
      properties: {
        facilityId: id,
        code: d?.code ?? null,
        name: d?.name ?? null,
        type: d?.type ?? null,
        class: cls.cls.key,
        location: point,
        population,
        cells: c.cells[f]!,
        meanDistanceM: population > 0 ? Math.round((c.sumDistance[f]! / population) * 10) / 10 : null,
        maxDistanceM: c.cells[f]! > 0 ? Math.round(c.maxDistance[f]! * 10) / 10 : null,
        beds: d?.beds ?? null,
        doctors,
        villageDoctors: d?.staff_village_doctors ?? null,
        populationPerDoctor: ratio(doctors),
        populationPerVillageDoctor: ratio(d?.staff_village_doctors),
        populationPerBed: ratio(d?.beds),
        small: population < small,
        synthetic: d?.synthetic ?? result.facilities.synthetic[f] === 1,
      },
    };
  });
}

/** Indexes of the cells in a bbox, at most limit + 1 (the caller reports truncation). */
export function cellsInBbox(result: AccessResult, bbox: Bbox, limit: number): number[] {
  const { cells } = result;
  const rows: number[] = [];
  for (let i = 0; i < cells.count && rows.length < limit + 1; i++) {
    const x = cells.lon[i]!;
    const y = cells.lat[i]!;
    if (x >= bbox[0] && x <= bbox[2] && y >= bbox[1] && y <= bbox[3]) rows.push(i);
  }
  return rows;
}

export const STATE_NAMES: Record<number, 'covered' | 'gap' | 'mobile'> = { [COVERED]: 'covered', [GAP]: 'gap', [MOBILE]: 'mobile' };
