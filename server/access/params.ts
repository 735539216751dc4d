/**
 * Access-engine parameters, stored in `rule_set.params.access`. The policy texts
 * name a 15-minute basic medical service circle (003:31) but no travel mode,
 * speed, facility set or population share (rule catalogue 002-004, note 6), so
 * every one of those is a named parameter here, with a default that is a
 * visible assumption printed with every result (`assumptionsOf`).
 *
 * Top-level keys are whole values (the rule-set CRUD merges params shallowly):
 * a patch of `classes` replaces the list, a patch of `ruralSpeedKmh` replaces
 * one number.
 */
import crypto from 'node:crypto';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { DEPARTMENTS, FACILITY_STATUSES, FACILITY_TYPES, GRADES, LEVELS, OWNERSHIPS } from '../domain/taxonomy.ts';

export interface Bilingual {
  zh: string;
  en: string;
}

export const TRAVEL_MODES = ['walk', 'bicycle', 'motorbike', 'car'] as const;
export type TravelMode = (typeof TRAVEL_MODES)[number];
export const TRAVEL_MODE_LABELS: Record<TravelMode, Bilingual> = {
  walk: { zh: '步行', en: 'walking' },
  bicycle: { zh: '自行车', en: 'bicycle' },
  motorbike: { zh: '摩托车', en: 'motorbike' },
  car: { zh: '汽车', en: 'car' },
};

export const MOBILE_TREATMENTS = ['distinct', 'covered', 'gap'] as const;
export type MobileTreatment = (typeof MOBILE_TREATMENTS)[number];

const FilterFields = {
  types: Type.Optional(Type.Array(Type.Enum(FACILITY_TYPES), { minItems: 1, uniqueItems: true, description: 'Facility type is one of these' })),
  departmentsAny: Type.Optional(Type.Array(Type.Enum(DEPARTMENTS), { minItems: 1, uniqueItems: true, description: 'Has at least one of these departments' })),
  departmentsAll: Type.Optional(Type.Array(Type.Enum(DEPARTMENTS), { minItems: 1, uniqueItems: true, description: 'Has all of these departments' })),
  gradeMin: Type.Optional(Type.Integer({ minimum: 1, maximum: 3, description: 'Numeric grade at least (二级以上 = 2); an unknown grade does not match' })),
  grades: Type.Optional(Type.Array(Type.Enum(GRADES), { minItems: 1, uniqueItems: true })),
  ownership: Type.Optional(Type.Enum(OWNERSHIPS)),
  runBy: Type.Optional(Type.Array(Type.Enum(LEVELS), { minItems: 1, uniqueItems: true, description: 'Run by one of these levels' })),
  hasTcmHall: Type.Optional(Type.Boolean({ description: 'Has (true) or has no (false) 中医馆/蒙医馆' })),
};

/** Conditions on one facility; all given conditions must hold. */
export const FacilityFilterClause = Type.Object(FilterFields, { additionalProperties: false });
export type FacilityFilterClause = Static<typeof FacilityFilterClause>;

/**
 * A class filter: the clause's conditions and, when `anyOf` is given, at least
 * one of its clauses. Unknown attributes (a NULL grade) never match: a facility
 * is only counted as care when the data says it provides it.
 */
export const FacilityFilter = Type.Object(
  { ...FilterFields, anyOf: Type.Optional(Type.Array(FacilityFilterClause, { minItems: 1, maxItems: 16 })) },
  { additionalProperties: false },
);
export type FacilityFilter = Static<typeof FacilityFilter>;

export const ClassLimit = Type.Union([
  Type.Object(
    { kind: Type.Literal('time'), minutes: Type.Number({ exclusiveMinimum: 0, maximum: 1440, description: 'Travel-time limit in minutes (inclusive)' }) },
    { additionalProperties: false },
  ),
  Type.Object(
    { kind: Type.Literal('distance'), metres: Type.Number({ exclusiveMinimum: 0, maximum: 2_000_000, description: 'Straight-line (geodesic) radius in metres (inclusive)' }) },
    { additionalProperties: false },
  ),
]);
export type ClassLimit = Static<typeof ClassLimit>;

export const FacilityClass = Type.Object(
  {
    key: Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$', description: 'Stable identifier used in URLs and results' }),
    name: Type.Object({ zh: Type.String({ minLength: 1, maxLength: 60 }), en: Type.String({ minLength: 1, maxLength: 80 }) }, { additionalProperties: false }),
    filter: FacilityFilter,
    limit: ClassLimit,
    /** Why this class and limit: shown with results. */
    basis: Type.Optional(Type.String({ maxLength: 400 })),
    basisZh: Type.Optional(Type.String({ maxLength: 400 })),
  },
  { additionalProperties: false },
);
export type FacilityClass = Static<typeof FacilityClass>;

const Speed = (description: string, def: number) => Type.Number({ minimum: 1, maximum: 150, default: def, description });

export const AccessParams = Type.Object(
  {
    urbanMode: Type.Enum(TRAVEL_MODES, { default: 'walk', description: 'Travel mode in urban units (街道, 社区)' }),
    urbanSpeedKmh: Speed('Average urban travel speed in km/h along the way (not straight line)', 5),
    ruralMode: Type.Enum(TRAVEL_MODES, { default: 'motorbike', description: 'Travel mode in rural and pastoral units (镇, 乡, 苏木, 村, 嘎查)' }),
    ruralSpeedKmh: Speed('Average rural travel speed in km/h along the way (not straight line)', 30),
    detourFactor: Type.Number({
      minimum: 1,
      maximum: 3,
      default: 1.3,
      description: 'Way length ÷ straight-line (geodesic) distance; travel time = distance × detour factor ÷ speed',
    }),
    classes: Type.Array(FacilityClass, { minItems: 1, maxItems: 12, description: 'Facility classes whose nearest facility is computed for every population cell' }),
    circleClass: Type.String({ default: 'basic', pattern: '^[a-z][a-z0-9_]{0,31}$', description: 'Class of the 15-minute basic medical service circle (003:31)' }),
    circleMinutes: Type.Number({ exclusiveMinimum: 0, maximum: 240, default: 15, description: '15分钟 (003:31): the circle’s travel time in minutes (inclusive)' }),
    circleTargetShare: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.9,
      description: 'Share of residents inside the circle that counts as 基本形成 (basically formed); the text gives no figure',
    }),
    mobileService: Type.Enum(MOBILE_TREATMENTS, {
      default: 'distinct',
      description:
        'People out of reach in units flagged mobile_service (流动服务, 000:1035; 003:31): distinct = their own state, neither covered nor a gap; covered = count as covered; gap = count as a gap',
    }),
    facilityStatuses: Type.Array(Type.Enum(FACILITY_STATUSES), {
      minItems: 1,
      uniqueItems: true,
      default: ['open'],
      description: 'Facility statuses that provide care (add "planned" to see what a plan achieves)',
    }),
    smallCatchmentPopulation: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 500,
      description: 'Facilities whose catchment has fewer people than this (不足500人, 002:25) are listed for the merge advisor',
    }),
  },
  { additionalProperties: false },
);
export type AccessParams = Static<typeof AccessParams>;

const HOSPITALS_FOR_BASIC_CARE = ['general_hospital', 'tcm_hospital', 'integrated_hospital'] as const;

export const DEFAULT_CLASSES: FacilityClass[] = [
  {
    key: 'basic',
    name: { zh: '基本医疗卫生服务', en: 'Basic medical care' },
    filter: {
      types: ['village_clinic', 'community_health_station', 'township_health_centre', 'community_health_centre', ...HOSPITALS_FOR_BASIC_CARE],
    },
    limit: { kind: 'time', minutes: 15 },
    basis: '15-minute basic medical and health service circle (003:31). Facility set per rule catalogue 002-004 note 6: village clinics, community stations, township and community health centres, and general/TCM/integrated hospitals.',
    basisZh: '15分钟基本医疗卫生服务圈（003:31）。机构范围按规则目录 002-004 注 6：嘎查村卫生室、社区卫生服务站、苏木乡镇卫生院、社区卫生服务中心及综合/中医（蒙医）/中西医结合医院。',
  },
  {
    key: 'township',
    name: { zh: '乡镇级医疗机构', en: 'Township-level care' },
    filter: { types: ['township_health_centre', 'community_health_centre', ...HOSPITALS_FOR_BASIC_CARE] },
    limit: { kind: 'time', minutes: 30 },
    basis: 'Assumption: 30 minutes to a township or community health centre or a hospital (no text sets this limit).',
    basisZh: '假设：30 分钟可达苏木乡镇卫生院、社区卫生服务中心或医院（文件未规定该时限）。',
  },
  {
    key: 'banner_hospital',
    name: { zh: '二级以上综合医院', en: 'Banner hospital (general, grade ≥ 2)' },
    filter: { types: ['general_hospital'], gradeMin: 2 },
    limit: { kind: 'time', minutes: 60 },
    basis: 'Assumption: 60 minutes to a general hospital of grade 2 or above (二级以上 = grade ≥ 2); no text sets this limit.',
    basisZh: '假设：60 分钟可达二级以上综合医院（二级以上含二级）；文件未规定该时限。',
  },
  {
    key: 'psychiatric',
    name: { zh: '精神卫生服务', en: 'Psychiatric care' },
    filter: { anyOf: [{ types: ['psychiatric_hospital'] }, { departmentsAny: ['psychiatry_ward', 'psychiatry_clinic'] }] },
    limit: { kind: 'time', minutes: 60 },
    basis: 'Assumption: 60 minutes to a psychiatric hospital or a psychiatry ward/clinic (000:694-698 sets presence per banner, not travel time).',
    basisZh: '假设：60 分钟可达精神专科医院或设精神科病房/精神心理门诊的机构（000:694-698 规定的是每旗县的设置，而非时限）。',
  },
  {
    key: 'tcm',
    name: { zh: '中医药（蒙医药）服务', en: 'TCM / Mongolian medicine' },
    filter: {
      anyOf: [{ types: ['tcm_hospital', 'integrated_hospital'] }, { departmentsAny: ['tcm_department'] }, { hasTcmHall: true }],
    },
    limit: { kind: 'time', minutes: 30 },
    basis: 'Assumption: 30 minutes to a TCM/MM or integrated hospital, a TCM department or a 中医馆/蒙医馆 (no text sets this limit).',
    basisZh: '假设：30 分钟可达中医（蒙医）医院、中西医结合医院、中医（蒙医）科或中医馆/蒙医馆（文件未规定该时限）。',
  },
  {
    key: 'mch',
    name: { zh: '妇幼保健服务', en: 'Maternal & child health' },
    filter: { anyOf: [{ types: ['mch_hospital'] }, { departmentsAny: ['obstetrics'] }] },
    limit: { kind: 'time', minutes: 60 },
    basis: 'Assumption: 60 minutes to a maternal & child health hospital or an obstetrics department (no text sets this limit).',
    basisZh: '假设：60 分钟可达妇幼保健院或设妇产科的机构（文件未规定该时限）。',
  },
];

export const DEFAULT_ACCESS_PARAMS: AccessParams = Object.freeze({
  urbanMode: 'walk',
  urbanSpeedKmh: 5,
  ruralMode: 'motorbike',
  ruralSpeedKmh: 30,
  detourFactor: 1.3,
  classes: DEFAULT_CLASSES,
  circleClass: 'basic',
  circleMinutes: 15,
  circleTargetShare: 0.9,
  mobileService: 'distinct',
  facilityStatuses: ['open'],
  smallCatchmentPopulation: 500,
}) as AccessParams;

/** Aliases under the names the rule engine's params module composes (server/rules/params.ts). */
export const AccessParamsSchema = AccessParams;
export const ACCESS_DEFAULTS: AccessParams = DEFAULT_ACCESS_PARAMS;

export interface ParamProblem {
  field: string;
  en: string;
  zh: string;
}

/**
 * Stored (possibly partial) access params over the defaults, checked. Returns
 * the problems instead of throwing so callers can phrase them for their context
 * (a 400 naming the rule set, a rule-set validation error…).
 */
export function resolveAccessParams(stored: unknown): { params: AccessParams; problems: ParamProblem[] } {
  const given = stored && typeof stored === 'object' && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const merged: Record<string, unknown> = structuredClone({ ...DEFAULT_ACCESS_PARAMS });
  for (const [key, value] of Object.entries(given)) merged[key] = structuredClone(value);
  const problems: ParamProblem[] = [];
  for (const error of Value.Errors(AccessParams, merged)) {
    const field = `access${error.instancePath.replace(/\//g, '.')}`;
    if (problems.some((p) => p.field === field)) continue;
    problems.push({ field, en: `${field}: ${error.message}`, zh: `${field}：${error.message}` });
  }
  if (problems.length === 0) {
    const params = merged as AccessParams;
    const keys = params.classes.map((c) => c.key);
    const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
    if (duplicate) problems.push({ field: 'access.classes', en: `class key '${duplicate}' is used twice`, zh: `设施类别键“${duplicate}”重复` });
    if (!keys.includes(params.circleClass)) {
      problems.push({
        field: 'access.circleClass',
        en: `circleClass '${params.circleClass}' is not one of the classes (${keys.join(', ')})`,
        zh: `circleClass“${params.circleClass}”不在设施类别中（${keys.join('、')}）`,
      });
    }
    for (const c of params.classes) {
      if (c.filter.anyOf === undefined && Object.keys(c.filter).length === 0) {
        problems.push({ field: `access.classes.${c.key}.filter`, en: `class '${c.key}' has an empty filter (it would count every facility)`, zh: `类别“${c.key}”的筛选条件为空（将计入所有机构）` });
      }
    }
  }
  return { params: (problems.length === 0 ? merged : structuredClone({ ...DEFAULT_ACCESS_PARAMS })) as AccessParams, problems };
}

/** Canonical JSON (sorted keys) so that equal params always hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Short stable hash of the params that shape results (cache keys, ETags). */
export function paramsHash(params: AccessParams): string {
  return crypto.createHash('sha256').update(canonical(params)).digest('hex').slice(0, 16);
}

export function findClass(params: AccessParams, key: string): FacilityClass | undefined {
  return params.classes.find((c) => c.key === key);
}

export interface Assumption {
  key: string;
  value: unknown;
  default: unknown;
  label: Bilingual;
  description: Bilingual;
  /** 'text' when a policy document sets the value (with the citation), else 'assumption'. */
  basis: 'text' | 'assumption' | 'method';
  citation?: string;
}

const kmh = (v: number) => `${v} km/h`;

function limitText(limit: ClassLimit): Bilingual {
  return limit.kind === 'time'
    ? { zh: `${limit.minutes} 分钟以内（含）`, en: `within ${limit.minutes} min (inclusive)` }
    : { zh: `直线 ${limit.metres} 米以内（含）`, en: `within ${limit.metres} m straight-line (inclusive)` };
}

/** The assumptions block printed with every access result. */
export function assumptionsOf(params: AccessParams): Assumption[] {
  const d = DEFAULT_ACCESS_PARAMS;
  const list: Assumption[] = [
    {
      key: 'access.method',
      value: 'straight_line',
      default: 'straight_line',
      label: { zh: '可达性计算方法', en: 'Access method' },
      description: {
        zh: '人口网格点到最近机构的大地线距离（WGS84 椭球）× 绕行系数 ÷ 速度；未使用路网。',
        en: 'Geodesic distance (WGS84 ellipsoid) from each population cell to the nearest facility × detour factor ÷ speed; no road network.',
      },
      basis: 'method',
    },
    {
      key: 'access.urbanMode',
      value: `${params.urbanMode} ${kmh(params.urbanSpeedKmh)}`,
      default: `${d.urbanMode} ${kmh(d.urbanSpeedKmh)}`,
      label: { zh: '城镇出行方式与速度', en: 'Urban travel mode and speed' },
      description: {
        zh: `街道、社区的居民${TRAVEL_MODE_LABELS[params.urbanMode].zh}，平均 ${params.urbanSpeedKmh} km/h。假设，文件未规定（003:31 未给出出行方式）。`,
        en: `Residents of streets and communities travel by ${TRAVEL_MODE_LABELS[params.urbanMode].en} at ${params.urbanSpeedKmh} km/h on average. An assumption: 003:31 names no travel mode.`,
      },
      basis: 'assumption',
    },
    {
      key: 'access.ruralMode',
      value: `${params.ruralMode} ${kmh(params.ruralSpeedKmh)}`,
      default: `${d.ruralMode} ${kmh(d.ruralSpeedKmh)}`,
      label: { zh: '农村牧区出行方式与速度', en: 'Rural travel mode and speed' },
      description: {
        zh: `镇、乡、苏木及嘎查村居民${TRAVEL_MODE_LABELS[params.ruralMode].zh}，平均 ${params.ruralSpeedKmh} km/h。假设，文件未规定。`,
        en: `Residents of towns, townships, sumu, villages and gacha travel by ${TRAVEL_MODE_LABELS[params.ruralMode].en} at ${params.ruralSpeedKmh} km/h on average. An assumption, not from the texts.`,
      },
      basis: 'assumption',
    },
    {
      key: 'access.detourFactor',
      value: params.detourFactor,
      default: d.detourFactor,
      label: { zh: '绕行系数', en: 'Detour factor' },
      description: {
        zh: `实际路程 ÷ 直线距离 = ${params.detourFactor}。假设（未使用路网）。`,
        en: `Way length ÷ straight-line distance = ${params.detourFactor}. An assumption (no road network is used).`,
      },
      basis: 'assumption',
    },
    {
      key: 'access.inclusive',
      value: '≤',
      default: '≤',
      label: { zh: '时限含边界', en: 'Limits are inclusive' },
      description: {
        zh: '“以内”含本数：行程时间（或距离）恰好等于时限视为可达。',
        en: '以内 includes the number: a travel time (or distance) exactly at the limit counts as covered.',
      },
      basis: 'method',
    },
    {
      key: 'access.facilityStatuses',
      value: params.facilityStatuses,
      default: d.facilityStatuses,
      label: { zh: '计入的机构状态', en: 'Facility statuses counted' },
      description: { zh: `只计入状态为 ${params.facilityStatuses.join('、')} 的机构。`, en: `Only facilities with status ${params.facilityStatuses.join(', ')} provide care.` },
      basis: 'assumption',
    },
    {
      key: 'access.mobileService',
      value: params.mobileService,
      default: d.mobileService,
      label: { zh: '流动服务地区', en: 'Mobile-service areas' },
      description: {
        zh:
          params.mobileService === 'distinct'
            ? '标记为流动服务（“小药箱”、流动医疗服务车，000:1035；003:31）的地区中时限外的人口单列为“流动服务覆盖”，不计为空白。'
            : params.mobileService === 'covered'
              ? '标记为流动服务的地区中时限外的人口计为已覆盖。'
              : '标记为流动服务的地区按普通地区计算（时限外即为空白）。',
        en:
          params.mobileService === 'distinct'
            ? 'People out of reach in units flagged mobile_service (medicine kits and mobile vehicles, 000:1035; 003:31) are reported as "served by mobile service", not as a gap.'
            : params.mobileService === 'covered'
              ? 'People out of reach in units flagged mobile_service are counted as covered.'
              : 'Units flagged mobile_service are treated like any other (out of reach = gap).',
      },
      basis: 'assumption',
      citation: '000_7de451bffa4866dc.txt:1035-1036; 003_ea3fa2f3d5dcf77a.txt:31',
    },
    {
      key: 'access.circle',
      value: `${params.circleClass} ≤ ${params.circleMinutes} min, target ≥ ${Math.round(params.circleTargetShare * 1000) / 10} %`,
      default: `${d.circleClass} ≤ ${d.circleMinutes} min, target ≥ ${d.circleTargetShare * 100} %`,
      label: { zh: '15分钟基本医疗卫生服务圈', en: '15-minute basic medical service circle' },
      description: {
        zh: `“15分钟基本医疗卫生服务圈基本形成”（003:31，2030 年）。“基本形成”按常住人口中 ${Math.round(params.circleTargetShare * 1000) / 10}% 以上在 ${params.circleMinutes} 分钟内可达计算——该比例为假设，原文未给出。`,
        en: `"15分钟基本医疗卫生服务圈基本形成" (003:31, by 2030). "Basically formed" is read as at least ${Math.round(params.circleTargetShare * 1000) / 10} % of residents within ${params.circleMinutes} min — the share is an assumption; the text gives none.`,
      },
      basis: 'assumption',
      citation: '003_ea3fa2f3d5dcf77a.txt:31',
    },
    {
      key: 'access.smallCatchmentPopulation',
      value: params.smallCatchmentPopulation,
      default: d.smallCatchmentPopulation,
      label: { zh: '小服务人口阈值', en: 'Small catchment threshold' },
      description: {
        zh: `服务人口不足 ${params.smallCatchmentPopulation} 人（不含本数）的机构列入合并建议的候选（“服务人口不足500人”，002:25）。`,
        en: `Facilities whose catchment has fewer than ${params.smallCatchmentPopulation} people (< , 不足) are listed for the merge advisor (002:25 "服务人口不足500人").`,
      },
      basis: params.smallCatchmentPopulation === 500 ? 'text' : 'assumption',
      citation: '002_bbee473a6d319f37.txt:25',
    },
    {
      key: 'access.border',
      value: 'region_only',
      default: 'region_only',
      label: { zh: '区外机构', en: 'Facilities outside the region' },
      description: {
        zh: '只含自治区内的机构：边界附近的居民若就近到区外就医，其可达性被低估。',
        en: 'Only facilities inside Inner Mongolia are known: near the border, access across it is not counted.',
      },
      basis: 'method',
    },
  ];
  for (const c of params.classes) {
    const lt = limitText(c.limit);
    list.push({
      key: `access.classes.${c.key}`,
      value: c.limit.kind === 'time' ? `${c.limit.minutes} min` : `${c.limit.metres} m`,
      default: (() => {
        const dc = DEFAULT_CLASSES.find((x) => x.key === c.key);
        return dc ? (dc.limit.kind === 'time' ? `${dc.limit.minutes} min` : `${dc.limit.metres} m`) : null;
      })(),
      label: { zh: `${c.name.zh}：${lt.zh}`, en: `${c.name.en}: ${lt.en}` },
      description: { zh: c.basisZh ?? c.basis ?? '用户定义的类别。', en: c.basis ?? 'User-defined class.' },
      basis: c.key === 'basic' && c.limit.kind === 'time' && c.limit.minutes === 15 ? 'text' : 'assumption',
      ...(c.key === 'basic' ? { citation: '003_ea3fa2f3d5dcf77a.txt:31' } : {}),
    });
  }
  return list;
}
