import { Type, type Static } from 'typebox';
import { DEPARTMENTS, FACILITY_STATUSES, FACILITY_TYPES, GRADES, LEVELS, OWNERSHIPS, TCM_HALL_LEVELS } from '../domain/taxonomy.ts';
import { BboxQuery, FeatureCollection, GeoJSONGeometry, PagingQuery } from '../http/common.ts';

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
