/**
 * The six kinds of scenario change: what a client sends (TypeBox schemas,
 * checked strictly here so every mistake is named in English and Chinese), and
 * what is stored once the change is validated (`StoredChange`: ids assigned,
 * units resolved, coordinates in WGS84).
 *
 * The route schema only checks `kind` (a union with `additionalProperties:
 * false` members does not work with the global `removeAdditional` option);
 * `parseChange` then checks the payload against its kind's strict schema.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { DEPARTMENTS, FACILITY_TYPES, GRADES, LEVELS, OWNERSHIPS, TCM_HALL_LEVELS, FACILITY_TYPE_LABELS, type FacilityType } from '../domain/taxonomy.ts';
import { AppError, type ErrorDetail } from '../errors.ts';
import { describeValidationError } from '../plugins/errors.ts';
import { CRS_OPTIONS } from '../importexport/coords.ts';
import { StaffInput } from '../facilities/schemas.ts';

export const CHANGE_KINDS = ['add_facility', 'close_facility', 'move_facility', 'update_facility', 'merge_facilities', 'set_unit_population'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export const CHANGE_KIND_LABELS: Record<ChangeKind, { zh: string; en: string }> = {
  add_facility: { zh: '新增机构', en: 'Add a facility' },
  close_facility: { zh: '关闭机构', en: 'Close a facility' },
  move_facility: { zh: '迁移机构', en: 'Move a facility' },
  update_facility: { zh: '修改机构属性', en: 'Update a facility' },
  merge_facilities: { zh: '合并机构', en: 'Merge facilities' },
  set_unit_population: { zh: '调整区划人口', en: 'Set a unit’s population' },
};

const INT4_MAX = 2_147_483_647;
const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const count = (description: string) => nullable(Type.Integer({ minimum: 0, maximum: INT4_MAX, description }));
const FacilityId = Type.Integer({ minimum: -9_007_199_254_740_991, maximum: 9_007_199_254_740_991, description: 'Facility id: a real facility (> 0) or one added in this scenario (< 0)' });
const UNIT_CODE = '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$';

export const Location = Type.Object(
  {
    lon: Type.Number({ minimum: -180, maximum: 180, description: 'Longitude (degrees east)' }),
    lat: Type.Number({ minimum: -90, maximum: 90, description: 'Latitude (degrees north)' }),
  },
  { additionalProperties: false },
);
export type Location = Static<typeof Location>;

const Crs = Type.Enum(CRS_OPTIONS, { description: 'Coordinate system of location: wgs84 (default), gcj02 (AMap/Tencent), bd09 (Baidu) — stored as WGS84' });

/** The staff counts a change may set: the registry's own schema (facilities/schemas.ts). */
export const StaffSet = StaffInput;
export type StaffSet = Static<typeof StaffSet>;

/** Staff field → column. */
export const STAFF_COLUMNS: Record<keyof StaffSet, string> = {
  doctors: 'staff_doctors',
  assistantDoctors: 'staff_assistant_doctors',
  nurses: 'staff_nurses',
  gps: 'staff_gps',
  tcmDoctors: 'staff_tcm_doctors',
  tcmGps: 'staff_tcm_gps',
  villageDoctors: 'staff_village_doctors',
  publicHealth: 'staff_public_health',
  supervisors: 'staff_supervisors',
  tcmCapable: 'staff_tcm_capable',
};

/** Attributes a change may set (omitted = unchanged; null clears). */
const attributes = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
  type: Type.Optional(Type.Enum(FACILITY_TYPES)),
  status: Type.Optional(Type.Enum(['open', 'planned', 'suspended'], { description: 'open, planned or suspended (closing is its own change: close_facility)' })),
  grade: Type.Optional(nullable(Type.Enum(GRADES))),
  ownership: Type.Optional(Type.Enum(OWNERSHIPS)),
  runByLevel: Type.Optional(nullable(Type.Enum(LEVELS))),
  central: Type.Optional(Type.Boolean({ description: 'A central township health centre (中心卫生院); only for township_health_centre' })),
  beds: Type.Optional(count('床位数')),
  bedsPaediatric: Type.Optional(count('儿科床位数')),
  staff: Type.Optional(StaffSet),
  departments: Type.Optional(Type.Array(Type.Enum(DEPARTMENTS), { uniqueItems: true, maxItems: DEPARTMENTS.length, description: 'The whole list of departments (replaces the current one)' })),
  tcmHallLevel: Type.Optional(nullable(Type.Enum(TCM_HALL_LEVELS))),
  tcmTechniqueCategories: Type.Optional(count('中医药技术类别数')),
  tcmTechniques: Type.Optional(count('中医药技术项数')),
  providesDeliveries: Type.Optional(nullable(Type.Boolean())),
  villagesServed: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{12}$' }), { uniqueItems: true, maxItems: 50, description: 'Village codes a (joint) village clinic serves' })),
};
export const FacilityAttributes = Type.Object(attributes, { additionalProperties: false });
export type FacilityAttributes = Static<typeof FacilityAttributes>;

export const NewFacility = Type.Object(
  {
    ...attributes,
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^\\S+$', description: 'Registry code (unique); generated when omitted' })),
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    type: Type.Enum(FACILITY_TYPES),
    location: Location,
    crs: Type.Optional(Crs),
    unitCode: Type.Optional(Type.String({ pattern: UNIT_CODE, description: 'Smallest unit it stands in; inferred from the location when omitted (a village clinic: the nearest village)' })),
  },
  { additionalProperties: false },
);
export type NewFacility = Static<typeof NewFacility>;

const kind = <K extends ChangeKind>(k: K) => Type.Literal(k);

export const AddFacilityInput = Type.Object({ kind: kind('add_facility'), facility: NewFacility }, { additionalProperties: false });
export const CloseFacilityInput = Type.Object(
  { kind: kind('close_facility'), facilityId: FacilityId, reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
export const MoveFacilityInput = Type.Object(
  {
    kind: kind('move_facility'),
    facilityId: FacilityId,
    location: Location,
    crs: Type.Optional(Crs),
    unitCode: Type.Optional(Type.String({ pattern: UNIT_CODE, description: 'Unit at the new site; inferred when omitted' })),
  },
  { additionalProperties: false },
);
export const UpdateFacilityInput = Type.Object({ kind: kind('update_facility'), facilityId: FacilityId, set: FacilityAttributes }, { additionalProperties: false });
export const MergeFacilitiesInput = Type.Object(
  {
    kind: kind('merge_facilities'),
    facilityIds: Type.Array(FacilityId, { maxItems: 50, description: 'Two or more facilities; the others close, recorded as merged into the survivor' }),
    survivorId: Type.Optional(FacilityId),
    location: Type.Optional(Location),
    crs: Type.Optional(Crs),
    unitCode: Type.Optional(Type.String({ pattern: UNIT_CODE })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
    allowMixedTypes: Type.Optional(Type.Boolean({ description: 'Merge facilities of different types (the survivor keeps its type)' })),
  },
  { additionalProperties: false },
);
export const SetUnitPopulationInput = Type.Object(
  {
    kind: kind('set_unit_population'),
    unitCode: Type.String({ pattern: UNIT_CODE }),
    population: Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'New resident population (e.g. a projection)' }),
    populationUrban: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    popAge0to14: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    popAge65Plus: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    births: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
    year: Type.Optional(Type.Integer({ minimum: 1950, maximum: 2100 })),
    source: Type.Optional(Type.String({ maxLength: 200, description: 'e.g. 2030 projection' })),
  },
  { additionalProperties: false },
);

export const CHANGE_SCHEMAS = {
  add_facility: AddFacilityInput,
  close_facility: CloseFacilityInput,
  move_facility: MoveFacilityInput,
  update_facility: UpdateFacilityInput,
  merge_facilities: MergeFacilitiesInput,
  set_unit_population: SetUnitPopulationInput,
} as const;

export type AddFacilityInput = Static<typeof AddFacilityInput>;
export type CloseFacilityInput = Static<typeof CloseFacilityInput>;
export type MoveFacilityInput = Static<typeof MoveFacilityInput>;
export type UpdateFacilityInput = Static<typeof UpdateFacilityInput>;
export type MergeFacilitiesInput = Static<typeof MergeFacilitiesInput>;
export type SetUnitPopulationInput = Static<typeof SetUnitPopulationInput>;
export type ChangeInput = AddFacilityInput | CloseFacilityInput | MoveFacilityInput | UpdateFacilityInput | MergeFacilitiesInput | SetUnitPopulationInput;

/**
 * What the route schema checks (and the OpenAPI document shows): a change
 * object with its `kind`; the fields per kind are in CHANGE_SCHEMAS.
 */
export const ChangeBody = Type.Unsafe<ChangeInput>({
  type: 'object',
  required: ['kind'],
  properties: { kind: { type: 'string', enum: [...CHANGE_KINDS] } },
  additionalProperties: true,
  description:
    'One change; fields by kind — add_facility {facility:{name,type,location:{lon,lat},unitCode?,code?,beds?,staff?,departments?…}}; ' +
    'close_facility {facilityId, reason?}; move_facility {facilityId, location, unitCode?}; update_facility {facilityId, set:{beds?,staff?,departments?,grade?,type?,status?…}}; ' +
    'merge_facilities {facilityIds:[a,b,…], survivorId?, location?, name?, allowMixedTypes?}; set_unit_population {unitCode, population, populationUrban?, popAge0to14?, popAge65Plus?, births?, year?, source?}',
  examples: [
    { kind: 'close_facility', facilityId: 293 },
    { kind: 'merge_facilities', facilityIds: [512, 513], survivorId: 513 },
    { kind: 'add_facility', facility: { name: '新建嘎查卫生室', type: 'village_clinic', location: { lon: 119.9, lat: 42.3 }, staff: { villageDoctors: 1 } } },
    { kind: 'update_facility', facilityId: 293, set: { departments: ['psychiatry_ward', 'emergency'], beds: 520 } },
    { kind: 'move_facility', facilityId: 300, location: { lon: 119.95, lat: 42.28 } },
    { kind: 'set_unit_population', unitCode: '150430100', population: 52000, source: '2030 projection' },
  ],
});

// ── stored form ─────────────────────────────────────────────────────────────

export interface StoredAdd {
  kind: 'add_facility';
  /** Negative, from scenario_facility_id_seq. */
  facilityId: number;
  code: string;
  unitCode: string;
  lon: number;
  lat: number;
  facility: Omit<NewFacility, 'location' | 'crs' | 'unitCode' | 'code'>;
}
export interface StoredClose {
  kind: 'close_facility';
  facilityId: number;
  reason?: string;
}
export interface StoredMove {
  kind: 'move_facility';
  facilityId: number;
  lon: number;
  lat: number;
  unitCode: string;
}
export interface StoredUpdate {
  kind: 'update_facility';
  facilityId: number;
  set: FacilityAttributes;
}
export interface StoredMerge {
  kind: 'merge_facilities';
  facilityIds: number[];
  survivorId: number;
  /** A new site for the survivor (and its unit), or none: the survivor's site. */
  site: { lon: number; lat: number; unitCode: string } | null;
  name?: string;
  allowMixedTypes?: boolean;
}
export interface StoredPopulation {
  kind: 'set_unit_population';
  unitCode: string;
  population: number;
  populationUrban?: number;
  popAge0to14?: number;
  popAge65Plus?: number;
  births?: number;
  year?: number;
  source?: string;
}
export type StoredChange = StoredAdd | StoredClose | StoredMove | StoredUpdate | StoredMerge | StoredPopulation;

/** A stored change with its row. */
export interface ChangeRecord {
  id: number;
  scenarioId: number;
  seq: number;
  change: StoredChange;
  createdBy: string | null;
  createdAt: string;
}

export function invalidChange(en: string, zh: string, details: ErrorDetail[] = [], extra?: Record<string, unknown>): AppError {
  return new AppError('InvalidChange', 400, { en, zh }, details, extra);
}

/** The payload checked against its kind's schema: every mistake named, in both languages. */
export function parseChange(body: unknown, field = 'change'): ChangeInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidChange(`'${field}' must be an object with a kind (${CHANGE_KINDS.join(', ')}).`, `“${field}”必须是包含 kind 的对象（${CHANGE_KINDS.join('、')}）。`, [
      { field, en: 'must be an object', zh: '必须是对象' },
    ]);
  }
  const k = (body as { kind?: unknown }).kind;
  if (typeof k !== 'string' || !(CHANGE_KINDS as readonly string[]).includes(k)) {
    throw invalidChange(`'${field}.kind' must be one of: ${CHANGE_KINDS.join(', ')}.`, `“${field}.kind”必须是以下之一：${CHANGE_KINDS.join('、')}。`, [
      { field: `${field}.kind`, value: k, en: `must be one of: ${CHANGE_KINDS.join(', ')}`, zh: `必须是以下之一：${CHANGE_KINDS.join('、')}` },
    ]);
  }
  const schema = CHANGE_SCHEMAS[k as ChangeKind];
  if (Value.Check(schema, body)) return body as ChangeInput;
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, body)) {
    // anyOf/not wrappers repeat what their members say.
    if (error.keyword === 'anyOf' || error.keyword === 'boolean') continue;
    const detail = describeValidationError(
      { instancePath: `/${field}${error.instancePath}`, keyword: error.keyword, params: error.params as Record<string, unknown>, message: error.message },
      'body',
    );
    if (seen.has(detail.en)) continue;
    seen.add(detail.en);
    details.push(detail);
    if (details.length >= 10) break;
  }
  throw invalidChange(
    `Invalid ${k} change: ${details.map((d) => d.en).join('; ')}`,
    `${CHANGE_KIND_LABELS[k as ChangeKind].zh}变更无效：${details.map((d) => d.zh).join('；')}`,
    details,
  );
}

export function typeLabel(type: string): string {
  return FACILITY_TYPE_LABELS[type as FacilityType]?.zh ?? type;
}
