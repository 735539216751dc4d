import { Type, type Static } from 'typebox';
import { DEPARTMENTS, FACILITY_STATUSES, FACILITY_TYPES, GRADES, LEVELS, OWNERSHIPS, TCM_HALL_LEVELS } from '../domain/taxonomy.ts';
import { BboxQuery, FeatureCollection, GeoJSONGeometry, PagingQuery } from '../http/common.ts';
import { CRS_OPTIONS } from '../importexport/coords.ts';

export const FACILITY_LIMIT_DEFAULT = 100;
export const FACILITY_LIMIT_MAX = 5000;

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const FacilitySummary = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  type: Type.Enum(FACILITY_TYPES),
  status: Type.Enum(FACILITY_STATUSES),
  grade: nullable(Type.Enum(GRADES)),
  ownership: Type.Enum(OWNERSHIPS),
  runByLevel: nullable(Type.Enum(LEVELS)),
  central: Type.Boolean(),
  unitCode: Type.String(),
  townshipCode: nullable(Type.String()),
  bannerCode: nullable(Type.String()),
  leagueCode: nullable(Type.String()),
  beds: nullable(Type.Integer()),
  synthetic: Type.Boolean(),
});
export type FacilitySummary = Static<typeof FacilitySummary>;

export const FacilityCollection = FeatureCollection(FacilitySummary);

export const Staff = Type.Object({
  doctors: nullable(Type.Integer({ description: '执业医师' })),
  assistantDoctors: nullable(Type.Integer({ description: '执业助理医师' })),
  nurses: nullable(Type.Integer({ description: '注册护士' })),
  gps: nullable(Type.Integer({ description: '全科医生' })),
  tcmDoctors: nullable(Type.Integer({ description: '中医类别医师' })),
  tcmGps: nullable(Type.Integer({ description: '中医类别全科医生' })),
  villageDoctors: nullable(Type.Integer({ description: '乡村医生' })),
  publicHealth: nullable(Type.Integer({ description: '公共卫生人员' })),
  supervisors: nullable(Type.Integer({ description: '卫生监督员' })),
  tcmCapable: nullable(Type.Integer({ description: '能提供中医药服务的医务人员' })),
});

export const FacilityDetail = Type.Object({
  ...FacilitySummary.properties,
  gradeLevel: Type.Integer({ description: '3, 2, 1 or 0 (ungraded); 二级以上 = gradeLevel >= 2' }),
  location: GeoJSONGeometry,
  unitName: nullable(Type.String()),
  bedsPaediatric: nullable(Type.Integer()),
  staff: Staff,
  departments: Type.Array(Type.Enum(DEPARTMENTS)),
  tcmHallLevel: nullable(Type.Enum(TCM_HALL_LEVELS)),
  tcmTechniqueCategories: nullable(Type.Integer()),
  tcmTechniques: nullable(Type.Integer()),
  providesDeliveries: nullable(Type.Boolean()),
  villagesServed: Type.Array(Type.String()),
  mergedIntoId: nullable(Type.Integer()),
  source: nullable(Type.String()),
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type FacilityDetail = Static<typeof FacilityDetail>;

export const ListFacilitiesQuery = Type.Object(
  {
    type: Type.Optional(Type.String({ description: `Comma-separated facility types: ${FACILITY_TYPES.join(', ')}` })),
    status: Type.Optional(Type.String({ description: `Comma-separated statuses: ${FACILITY_STATUSES.join(', ')}` })),
    unit: Type.Optional(Type.String({ description: 'Unit code: facilities in its subtree' })),
    q: Type.Optional(Type.String({ maxLength: 100, description: 'Part of the name or code' })),
    bbox: BboxQuery,
    ...PagingQuery(FACILITY_LIMIT_DEFAULT, FACILITY_LIMIT_MAX),
  },
  { additionalProperties: false },
);
export type ListFacilitiesQuery = Static<typeof ListFacilitiesQuery>;

// ── registry edits ──────────────────────────────────────────────────────────

const INT4_MAX = 2_147_483_647;
const count = (description: string) => nullable(Type.Integer({ minimum: 0, maximum: INT4_MAX, description }));
const UNIT_CODE_PATTERN = '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$';

export const LocationInput = Type.Object(
  {
    lon: Type.Number({ minimum: -180, maximum: 180, description: 'Longitude (degrees east)' }),
    lat: Type.Number({ minimum: -90, maximum: 90, description: 'Latitude (degrees north)' }),
  },
  { additionalProperties: false },
);

export const StaffInput = Type.Object(
  {
    doctors: Type.Optional(count('执业医师')),
    assistantDoctors: Type.Optional(count('执业助理医师')),
    nurses: Type.Optional(count('注册护士')),
    gps: Type.Optional(count('全科医生')),
    tcmDoctors: Type.Optional(count('中医类别医师')),
    tcmGps: Type.Optional(count('中医类别全科医生')),
    villageDoctors: Type.Optional(count('乡村医生')),
    publicHealth: Type.Optional(count('公共卫生人员')),
    supervisors: Type.Optional(count('卫生监督员')),
    tcmCapable: Type.Optional(count('能提供中医药服务的医务人员')),
  },
  { additionalProperties: false },
);
export type StaffInput = Static<typeof StaffInput>;

/** Attributes every edit may set; omitted = unchanged (update) or default (create); null clears. */
const editable = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
  type: Type.Optional(Type.Enum(FACILITY_TYPES)),
  status: Type.Optional(Type.Enum(FACILITY_STATUSES)),
  grade: Type.Optional(nullable(Type.Enum(GRADES))),
  ownership: Type.Optional(Type.Enum(OWNERSHIPS)),
  runByLevel: Type.Optional(nullable(Type.Enum(LEVELS))),
  central: Type.Optional(Type.Boolean({ description: 'A central township health centre (中心卫生院); only for township_health_centre' })),
  unitCode: Type.Optional(Type.String({ pattern: UNIT_CODE_PATTERN, description: 'Smallest unit the facility stands in (inferred from the location when omitted on create)' })),
  location: Type.Optional(LocationInput),
  crs: Type.Optional(Type.Enum(CRS_OPTIONS, { default: 'wgs84', description: 'Coordinate system of location: wgs84 (default), gcj02 (AMap/Tencent), bd09 (Baidu) — stored as WGS84' })),
  beds: Type.Optional(count('床位数')),
  bedsPaediatric: Type.Optional(count('儿科床位数')),
  staff: Type.Optional(StaffInput),
  departments: Type.Optional(Type.Array(Type.Enum(DEPARTMENTS), { uniqueItems: true, maxItems: DEPARTMENTS.length })),
  tcmHallLevel: Type.Optional(nullable(Type.Enum(TCM_HALL_LEVELS))),
  tcmTechniqueCategories: Type.Optional(count('中医药技术类别数')),
  tcmTechniques: Type.Optional(count('中医药技术项数')),
  providesDeliveries: Type.Optional(nullable(Type.Boolean())),
  villagesServed: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{12}$' }), { uniqueItems: true, maxItems: 50, description: 'Village codes a (joint) village clinic serves' })),
  source: Type.Optional(nullable(Type.String({ maxLength: 500 }))),
};

export const FacilityCreate = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 64, pattern: '^\\S+$', description: 'Registry code, unique (the key of imports)' }),
    ...editable,
    name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
    type: Type.Enum(FACILITY_TYPES),
    location: LocationInput,
  },
  { additionalProperties: false },
);
export type FacilityCreate = Static<typeof FacilityCreate>;

export const FacilityUpdate = Type.Object(
  {
    version: Type.Integer({ minimum: 1, description: 'The version you read; a stale version is refused with 409 and the current version' }),
    ...editable,
  },
  { additionalProperties: false },
);
export type FacilityUpdate = Static<typeof FacilityUpdate>;

export const FacilityClose = Type.Object(
  {
    version: Type.Integer({ minimum: 1, description: 'The version you read' }),
    reason: Type.Optional(Type.String({ maxLength: 500, description: 'Why it closes (written to the audit log)' })),
    mergedIntoId: Type.Optional(Type.Integer({ minimum: 1, description: 'For a merge: the facility that takes over' })),
  },
  { additionalProperties: false },
);
export type FacilityClose = Static<typeof FacilityClose>;

export const FacilityIdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991 }) });

export const FacilityHistory = Type.Object({
  facilityId: Type.Integer(),
  entries: Type.Array(
    Type.Object({
      id: Type.Integer(),
      at: Type.String({ format: 'date-time' }),
      actor: Type.String(),
      action: Type.String(),
      before: Type.Unknown(),
      after: Type.Unknown(),
      details: Type.Unknown(),
    }),
  ),
});
