/** TypeBox request and response schemas of the map UI's own routes (server/ui/routes.ts). */
import { Type, type Static } from 'typebox';
import { LEVELS } from '../domain/taxonomy.ts';

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });

// ── GET /api/ui/config ──────────────────────────────────────────────────────

export const UiConfig = Type.Object({
  authMode: Type.Enum(['local', 'required'], { description: 'local = login-free (loopback only); required = users log in' }),
  basemap: Type.Union(
    [
      Type.Object({
        kind: Type.Enum(['raster', 'style'], { description: 'raster = an XYZ tile URL template; style = a MapLibre style JSON URL' }),
        url: Type.String(),
        attribution: Type.String({ description: 'Attribution to show on the map (styles bring their own as well)' }),
      }),
      Type.Null(),
    ],
    { description: 'Optional online basemap from BASEMAP_URL; null = our own layers over a plain background (works offline)' },
  ),
  features: Type.Object({
    scenarios: Type.Boolean({ description: 'The scenario API is available' }),
    mergeAdvisor: Type.Boolean(),
    reports: nullable(Type.String({ description: 'URL pattern of the printable unit report (":unit" is replaced by the unit code), or null while there is none' })),
  }),
});
export type UiConfig = Static<typeof UiConfig>;

// ── GET /api/ui/search ──────────────────────────────────────────────────────

export const SEARCH_LIMIT_DEFAULT = 12;
export const SEARCH_LIMIT_MAX = 50;

export const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 50, description: 'Part of a unit name (Chinese, no pinyin needed) or the start of its code', examples: ['敖汉', '150430'] }),
    level: Type.Optional(Type.String({ maxLength: 60, description: `Comma-separated levels to search: ${LEVELS.join(', ')} (default all)` })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SEARCH_LIMIT_MAX, default: SEARCH_LIMIT_DEFAULT, description: `1–${SEARCH_LIMIT_MAX}` })),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

export const SearchHit = Type.Object({
  code: Type.String(),
  name: Type.String(),
  level: Type.Enum(LEVELS),
  kind: nullable(Type.String()),
  population: nullable(Type.Number()),
  /** Names of the league, banner and township above it, to tell villages of the same name apart. */
  context: Type.Array(Type.String(), { description: 'Names of the ancestors from league down to the parent' }),
  center: nullable(Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '[lon, lat]: the seat / settlement point, or the boundary centre' })),
  bbox: nullable(Type.Array(Type.Number(), { minItems: 4, maxItems: 4 })),
  synthetic: Type.Boolean({ description: 'Point or population generated, not sourced' }),
});
export type SearchHit = Static<typeof SearchHit>;

export const SearchResponse = Type.Object({
  query: Type.String(),
  numberReturned: Type.Integer(),
  units: Type.Array(SearchHit),
});

// ── GET /api/ui/unit-stats ──────────────────────────────────────────────────

export const STAT_LEVELS = ['league', 'banner', 'township', 'village'] as const;

export const UnitStatsQuery = Type.Object(
  {
    level: Type.String({ maxLength: 60, description: `Comma-separated levels of the units to colour: ${STAT_LEVELS.join(', ')}`, examples: ['league,banner,township'] }),
    unit: Type.Optional(Type.String({ maxLength: 20, description: 'Only units in this subtree (default: the whole region)' })),
    ruleSet: Type.Optional(Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991, description: 'Rule set id (default: the default set)' })),
    scenario: Type.Optional(Type.String({ maxLength: 20, description: '"baseline" (default) or a scenario id' })),
    indicator: Type.Optional(
      Type.String({
        maxLength: 120,
        pattern: '^(rule:[a-z0-9][a-z0-9-]{0,99}|access:[a-z][a-z0-9_]{0,31})$',
        description: 'A value per unit besides the status: rule:<rule id> (its measured value, e.g. rule:im-beds-per-1k) or access:<class> (share of people within the class limit, e.g. access:basic)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type UnitStatsQuery = Static<typeof UnitStatsQuery>;

const ForceCounts = Type.Object({
  must: Type.Integer(),
  target: Type.Integer(),
  should: Type.Integer(),
  strive: Type.Integer(),
  may: Type.Integer(),
});

export const UnitStat = Type.Object({
  code: Type.String(),
  level: Type.Enum(STAT_LEVELS),
  worst: nullable(Type.Enum(['must', 'target', 'should', 'strive', 'may'], { description: 'Strongest force among the unit’s own failing rules; null when none fails' })),
  fails: ForceCounts,
  pass: Type.Integer({ description: 'The unit’s own rules that pass' }),
  unknown: Type.Integer({ description: 'The unit’s own rules without the data to decide (never counted as a pass)' }),
  indicative: Type.Integer({ description: 'Failing rules whose target is set for a higher level (orientation only, not in worst)' }),
  value: Type.Optional(nullable(Type.Number({ description: 'The indicator’s value (absent without indicator)' }))),
});
export type UnitStat = Static<typeof UnitStat>;

export const UnitStatsResponse = Type.Object({
  levels: Type.Array(Type.Enum(STAT_LEVELS)),
  scope: Type.Object({ code: Type.String(), name: Type.String() }),
  ruleSet: Type.Object({ id: Type.Integer(), version: Type.Integer(), name: Type.String(), targetYear: Type.Integer() }),
  scenario: nullable(Type.Object({ id: Type.Integer(), version: Type.Integer() })),
  dataVersion: Type.Integer(),
  synthetic: Type.Boolean({ description: 'Some of the data behind these figures is generated (synthetic)' }),
  indicator: nullable(
    Type.Object({
      key: Type.String(),
      title: Bilingual,
      unit: Bilingual,
      /** The target for the rule set's year where the indicator is a rule with one (min), for colouring relative to it. */
      target: nullable(Type.Number()),
      higherIsBetter: Type.Boolean(),
    }),
  ),
  items: Type.Array(UnitStat),
});
export type UnitStatsResponse = Static<typeof UnitStatsResponse>;
