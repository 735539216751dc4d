import { Type, type Static } from 'typebox';
import { LEVELS } from '../domain/taxonomy.ts';
import { BboxQuery, FeatureCollection, GeoJSONGeometry, PagingQuery } from '../http/common.ts';

export const UNIT_LIMIT_DEFAULT = 100;
export const UNIT_LIMIT_MAX = 1000;

export const UnitCodeParam = Type.String({
  description: 'NBS code: 6 digits (region, league, banner), 9 (township) or 12 (village)',
  examples: ['150430'],
});

export const UnitProperties = Type.Object({
  code: Type.String(),
  name: Type.String(),
  level: Type.Enum(LEVELS),
  kind: Type.Union([Type.String(), Type.Null()]),
  parentCode: Type.Union([Type.String(), Type.Null()]),
  urban: Type.Boolean(),
  population: Type.Union([Type.Number(), Type.Null()], { description: 'Resident population (常住人口)' }),
  populationUrban: Type.Union([Type.Number(), Type.Null()]),
  populationYear: Type.Union([Type.Integer(), Type.Null()]),
  populationSource: Type.Union([Type.String(), Type.Null()]),
  areaKm2: Type.Union([Type.Number(), Type.Null()]),
  density: Type.Union([Type.Number(), Type.Null()], { description: 'People per km²' }),
  mobileService: Type.Boolean(),
  synthetic: Type.Boolean({ description: 'Point or population generated, not sourced' }),
});
export type UnitProperties = Static<typeof UnitProperties>;

export const ListUnitsQuery = Type.Object(
  {
    level: Type.Optional(Type.Enum(LEVELS, { description: `one of ${LEVELS.join(', ')}` })),
    parent: Type.Optional(Type.String({ description: 'Only direct children of this unit code' })),
    bbox: BboxQuery,
    geometry: Type.Optional(
      Type.Enum(['auto', 'boundary', 'point', 'none'], {
        default: 'auto',
        description: 'auto = boundary where there is one, else the seat/settlement point',
      }),
    ),
    simplify: Type.Optional(
      Type.Number({ minimum: 0, maximum: 50_000, description: 'Simplify boundaries with this tolerance in metres' }),
    ),
    ...PagingQuery(UNIT_LIMIT_DEFAULT, UNIT_LIMIT_MAX),
  },
  { additionalProperties: false },
);
export type ListUnitsQuery = Static<typeof ListUnitsQuery>;

export const UnitCollection = FeatureCollection(UnitProperties);

const UnitRef = Type.Object({ code: Type.String(), name: Type.String(), level: Type.String() });

export const UnitDetail = Type.Object({
  ...UnitProperties.properties,
  parentChain: Type.Array(UnitRef, { description: 'Ancestors from the region down to the parent' }),
  children: Type.Array(
    Type.Object({ code: Type.String(), name: Type.String(), level: Type.String(), population: Type.Union([Type.Number(), Type.Null()]) }),
    { description: 'Direct children, by code' },
  ),
  descendantCounts: Type.Record(Type.String(), Type.Integer(), { description: 'Number of units below, by level' }),
  facilityCounts: Type.Record(Type.String(), Type.Integer(), { description: 'Facilities (any status) in the subtree, by type' }),
  point: Type.Union([GeoJSONGeometry, Type.Null()]),
  bbox: Type.Union([Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }), Type.Null()]),
  boundary: Type.Optional(Type.Union([GeoJSONGeometry, Type.Null()])),
});
export type UnitDetail = Static<typeof UnitDetail>;

export const GetUnitQuery = Type.Object(
  {
    boundary: Type.Optional(Type.Boolean({ default: false, description: 'Include the boundary geometry' })),
    simplify: Type.Optional(Type.Number({ minimum: 0, maximum: 50_000, description: 'Boundary simplification tolerance in metres' })),
  },
  { additionalProperties: false },
);
