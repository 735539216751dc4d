import { Type, type TSchema } from 'typebox';
import { LEVELS } from '../domain/taxonomy.ts';
import { BboxQuery, GeoJSONGeometry, PagingQuery } from '../http/common.ts';
import { AccessParams, ClassLimit } from './params.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });

export const RuleSetQuery = {
  ruleSet: Type.Optional(Type.Integer({ minimum: 1, description: 'Rule set id whose params.access apply (default: the default rule set, else built-in defaults)' })),
};

export const ClassQuery = {
  class: Type.Optional(
    Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$', description: 'Facility class key (default: the 15-minute circle class, basic)', examples: ['basic'] }),
  ),
};

export const UnitQuery = {
  unit: Type.Optional(Type.String({ description: 'Unit code whose subtree to report (default: the region)', examples: ['150430'] })),
};

const Assumption = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  default: Type.Unknown(),
  label: Bilingual,
  description: Bilingual,
  basis: Type.Union([Type.Literal('text'), Type.Literal('assumption'), Type.Literal('method')], {
    description: 'text = set by a policy document (see citation); assumption = a default the texts do not give; method = how the engine computes',
  }),
  citation: Type.Optional(Type.String()),
});

const RuleSetRef = Nullable(Type.Object({ id: Type.Integer(), name: Type.String(), version: Type.Integer(), isDefault: Type.Boolean() }));

/** What every access response carries: assumptions, versions, provenance. */
export const EnvelopeFields = {
  ruleSet: RuleSetRef,
  assumptions: Type.Array(Assumption, { description: 'Every assumption behind these figures (printed with every result)' }),
  versions: Type.Object({
    data: Type.Integer({ description: 'data_state.data_version the result was computed from' }),
    scenario: Nullable(Type.Object({ id: Type.Integer(), version: Type.Integer() })),
    params: Type.String({ description: 'Hash of the access parameters' }),
  }),
  provenance: Type.Object({
    cells: Type.Integer(),
    syntheticCells: Type.Integer(),
    facilities: Type.Integer({ description: 'Facilities counted in at least one class' }),
    syntheticFacilities: Type.Integer(),
    synthetic: Type.Boolean({ description: 'True when any input is generated (synthetic) data' }),
    note: Nullable(Bilingual),
  }),
  method: Type.String({ description: 'Travel model: straight_line = geodesic distance × detour factor ÷ speed' }),
  timings: Type.Object({ loadMs: Type.Number(), nearestMs: Type.Number(), aggregateMs: Type.Number() }),
};

export const ClassRef = Type.Object({ key: Type.String(), name: Bilingual, limit: ClassLimit, limitText: Bilingual });

const UnitRef = Type.Object({ code: Type.String(), name: Type.String(), level: Type.Enum(LEVELS) });

export const UnitFigures = Type.Object({
  population: Type.Number({ description: 'People in the unit’s population cells' }),
  covered: Type.Number({ description: 'People within the class limit (inclusive)' }),
  uncovered: Type.Number({ description: 'gap + mobile; covered + uncovered = population' }),
  gap: Type.Number({ description: 'People out of reach (not in a mobile-service area)' }),
  mobile: Type.Number({ description: 'People out of reach in mobile-service areas (流动服务), not counted as a gap' }),
  shareCovered: Nullable(Type.Number()),
  shareCoveredExMobile: Nullable(Type.Number({ description: 'covered ÷ (population − mobile)' })),
  meanMinutes: Nullable(Type.Number({ description: 'Population-weighted mean travel time to the nearest facility of the class' })),
  p90Minutes: Nullable(Type.Number({ description: '90 % of the people live within this travel time (null when more than 10 % have no facility)' })),
  meanDistanceM: Nullable(Type.Number()),
  p90DistanceM: Nullable(Type.Number()),
  cells: Type.Integer(),
  unreachable: Type.Number({ description: 'People with no facility of the class anywhere' }),
});

const UnitAccessRow = Type.Object({
  unit: UnitRef,
  parentCode: Nullable(Type.String()),
  unitPopulation: Nullable(Type.Number({ description: 'Resident population stored on the unit (census / seed)' })),
  mobileService: Type.Boolean(),
  urban: Type.Boolean(),
  figures: UnitFigures,
});

export const UnitsQuery = Type.Object(
  {
    ...RuleSetQuery,
    ...ClassQuery,
    ...UnitQuery,
    level: Type.Optional(Type.Enum(LEVELS, { description: 'Level of the units listed (default: one below unit)' })),
    sort: Type.Optional(Type.Enum(['code', 'gap', 'share'], { default: 'code', description: 'code, gap (most people in gaps first) or share (lowest share covered first)' })),
    ...PagingQuery(100, 20_000),
  },
  { additionalProperties: false },
);

export const UnitsResponse = Type.Object({
  ...EnvelopeFields,
  class: ClassRef,
  travel: Bilingual,
  scope: UnitRef,
  level: Type.Enum(LEVELS),
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  items: Type.Array(UnitAccessRow),
});

const VillageOutOfReach = Type.Object({
  code: Type.String(),
  name: Type.String(),
  population: Type.Number(),
  gap: Type.Number(),
  mobile: Type.Number(),
  shareCovered: Nullable(Type.Number()),
  p90DistanceM: Nullable(Type.Number()),
});

export const CircleRowSchema = Type.Object({
  unit: UnitRef,
  population: Type.Number(),
  within: Type.Number({ description: 'People within the circle’s minutes of the circle class' }),
  mobile: Type.Number(),
  gap: Type.Number(),
  share: Nullable(Type.Number()),
  target: Type.Number(),
  status: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('not_applicable'), Type.Literal('unknown')]),
  shortfallPeople: Nullable(Type.Number()),
  reason: Bilingual,
});

export const UnitDetailQuery = Type.Object({ ...RuleSetQuery }, { additionalProperties: false });

export const UnitDetailResponse = Type.Object({
  ...EnvelopeFields,
  unit: UnitRef,
  unitPopulation: Nullable(Type.Number()),
  mobileService: Type.Boolean(),
  travel: Bilingual,
  classes: Type.Array(
    Type.Object({
      class: ClassRef,
      figures: UnitFigures,
      villagesOutOfReach: Type.Array(VillageOutOfReach, { description: 'Villages with the most people in gaps (top 10)' }),
    }),
  ),
  circle: CircleRowSchema,
});

export const Citation = Type.Object({ file: Type.String(), lines: Type.String(), quote: Type.String() });

export const CircleQuery = Type.Object({ ...RuleSetQuery, ...UnitQuery }, { additionalProperties: false });

export const CircleResponse = Type.Object({
  ...EnvelopeFields,
  title: Bilingual,
  citations: Type.Array(Citation),
  class: ClassRef,
  minutes: Type.Number(),
  targetShare: Type.Number(),
  travel: Bilingual,
  scope: UnitRef,
  items: Type.Array(CircleRowSchema),
});

export const ParamsQuery = Type.Object({ ...RuleSetQuery }, { additionalProperties: false });

export const ParamsResponse = Type.Object({
  ruleSet: RuleSetRef,
  params: AccessParams,
  defaults: AccessParams,
  assumptions: Type.Array(Assumption),
  classes: Type.Array(ClassRef),
});

const FeatureBbox = Type.Array(Type.Number(), { minItems: 4, maxItems: 4 });

export const GapsQuery = Type.Object(
  {
    ...RuleSetQuery,
    ...ClassQuery,
    ...UnitQuery,
    bbox: BboxQuery,
    minPopulation: Type.Optional(Type.Integer({ minimum: 0, description: 'Only gap areas with at least this many people' })),
    ...PagingQuery(100, 2000),
  },
  { additionalProperties: false },
);

const FacilityRef = Type.Object({ id: Type.Number(), code: Nullable(Type.String()), name: Nullable(Type.String()), type: Nullable(Type.String()), synthetic: Nullable(Type.Boolean()) });

export const GapFeature = Type.Object({
  type: Type.Literal('Feature'),
  id: Type.String(),
  bbox: FeatureBbox,
  geometry: Nullable(GeoJSONGeometry),
  properties: Type.Object({
    id: Type.String(),
    class: Type.String(),
    population: Type.Number(),
    areaKm2: Type.Number({ description: 'Σ cell areas' }),
    cells: Type.Integer(),
    nearestFacility: Nullable(FacilityRef),
    nearestDistanceM: Nullable(Type.Number({ description: 'Geodesic metres from the area’s closest cell to that facility' })),
    bannerCodes: Type.Array(Type.String()),
    townshipCodes: Type.Array(Type.String()),
  }),
});

export const GapsResponse = Type.Object({
  type: Type.Literal('FeatureCollection'),
  ...EnvelopeFields,
  class: ClassRef,
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  totalPopulation: Type.Number({ description: 'People in all matching gap areas (before paging)' }),
  features: Type.Array(GapFeature),
});

export const CatchmentsQuery = Type.Object(
  {
    ...RuleSetQuery,
    ...ClassQuery,
    ...UnitQuery,
    bbox: BboxQuery,
    small: Type.Optional(Type.Boolean({ default: false, description: 'Only catchments under the small-catchment threshold (不足500人, 002:25)' })),
    geometry: Type.Optional(Type.Enum(['polygon', 'point'], { default: 'polygon', description: 'polygon = union of the catchment’s cells; point = the facility' })),
    ...PagingQuery(100, 2000),
  },
  { additionalProperties: false },
);

const PointGeometry = Type.Object({ type: Type.Literal('Point'), coordinates: Type.Array(Type.Number()) });

export const CatchmentFeature = Type.Object({
  type: Type.Literal('Feature'),
  id: Type.Number(),
  bbox: FeatureBbox,
  geometry: Nullable(GeoJSONGeometry),
  properties: Type.Object({
    facilityId: Type.Number(),
    code: Nullable(Type.String()),
    name: Nullable(Type.String()),
    type: Nullable(Type.String()),
    class: Type.String(),
    location: PointGeometry,
    population: Type.Number({ description: 'People whose nearest facility of the class this is' }),
    cells: Type.Integer(),
    meanDistanceM: Nullable(Type.Number()),
    maxDistanceM: Nullable(Type.Number()),
    beds: Nullable(Type.Number()),
    doctors: Nullable(Type.Number({ description: 'Licensed + assistant doctors (执业（助理）医师)' })),
    villageDoctors: Nullable(Type.Number()),
    populationPerDoctor: Nullable(Type.Number()),
    populationPerVillageDoctor: Nullable(Type.Number()),
    populationPerBed: Nullable(Type.Number()),
    small: Type.Boolean({ description: 'Catchment under the small-catchment threshold (merge advisor input)' }),
    synthetic: Type.Boolean(),
  }),
});

export const CatchmentsResponse = Type.Object({
  type: Type.Literal('FeatureCollection'),
  ...EnvelopeFields,
  class: ClassRef,
  smallCatchmentPopulation: Type.Integer(),
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  features: Type.Array(CatchmentFeature),
});

export const CellsQuery = Type.Object(
  {
    ...RuleSetQuery,
    ...ClassQuery,
    bbox: Type.String({ description: 'minLon,minLat,maxLon,maxLat (required)', examples: ['119.9,42.2,120.1,42.4'] }),
    ...PagingQuery(1000, 10_000),
  },
  { additionalProperties: false },
);

export const CellsResponse = Type.Object({
  type: Type.Literal('FeatureCollection'),
  ...EnvelopeFields,
  class: ClassRef,
  numberReturned: Type.Integer(),
  truncated: Type.Boolean(),
  features: Type.Array(
    Type.Object({
      type: Type.Literal('Feature'),
      id: Type.Number(),
      geometry: PointGeometry,
      properties: Type.Object({
        cellId: Type.Number(),
        population: Type.Number(),
        unitCode: Nullable(Type.String()),
        state: Type.Union([Type.Literal('covered'), Type.Literal('gap'), Type.Literal('mobile')]),
        facilityId: Nullable(Type.Number()),
        distanceM: Nullable(Type.Number()),
        minutes: Nullable(Type.Number()),
        synthetic: Type.Boolean(),
      }),
    }),
  ),
});
