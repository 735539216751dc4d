import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TObject, type TProperties } from 'typebox';
import { errorResponses, parseBbox } from '../http/common.ts';
import { invalidParameter, unitNotFound } from '../errors.ts';
import { baselineContext } from '../engine/context.ts';
import { LEVELS, type Level } from '../domain/taxonomy.ts';
import { assertUnitCode } from '../units/routes.ts';
import { unitFigures } from './aggregate.ts';
import type { AccessResult } from './engine.ts';
import { DEFAULT_ACCESS_PARAMS, assumptionsOf } from './params.ts';
import {
  CatchmentsQuery,
  CatchmentsResponse,
  CellsQuery,
  CellsResponse,
  CircleQuery,
  CircleResponse,
  GapsQuery,
  GapsResponse,
  ParamsQuery,
  ParamsResponse,
  UnitDetailQuery,
  UnitDetailResponse,
  UnitsQuery,
  UnitsResponse,
} from './schemas.ts';
import { accessResult, envelopeOf, resolveRuleSet, resolveRuleSetAndVersion } from './service.ts';
import { CIRCLE_CITATIONS } from './circle.ts';
import { parseScenario } from '../rules/routes.ts';
import { scenarioAccessResult } from '../scenarios/access.ts';
import {
  catchmentFeatures,
  cellsInBbox,
  circleRow,
  circleRows,
  classOf,
  classRef,
  filterCatchments,
  filterGaps,
  gapFeatures,
  STATE_NAMES,
  travelText,
  unitRef,
  unitRows,
  villagesOutOfReach,
} from './views.ts';

/** 003:31 and 000:1035-1036, quoted with every circle result. */
const CIRCLE_QUOTES = CIRCLE_CITATIONS.map((c) => ({
  file: c.file,
  lines: c.lines[0] === c.lines[1] ? String(c.lines[0]) : `${c.lines[0]}-${c.lines[1]}`,
  quote: c.quote,
}));

export const CIRCLE_TITLE = { zh: '15分钟基本医疗卫生服务圈', en: '15-minute basic medical and health service circle' };

function scopeIndex(result: AccessResult, code: string | undefined): number {
  if (code === undefined) {
    const root = result.units.levels.indexOf('region');
    if (root < 0) throw unitNotFound('150000');
    return root;
  }
  assertUnitCode(code, 'unit');
  const u = result.units.index.get(code);
  if (u === undefined) throw unitNotFound(code);
  return u;
}

function classFor(result: AccessResult, key: string | undefined) {
  const wanted = key ?? result.params.circleClass;
  const cls = classOf(result, wanted);
  if (!cls) {
    const keys = result.classes.map((c) => c.cls.key).join(', ');
    throw invalidParameter('class', `unknown facility class '${wanted}'; classes of this rule set: ${keys}`, `未知的设施类别“${wanted}”；该规则集的类别：${keys}`, wanted);
  }
  return cls;
}

/** A query schema that also takes `scenario` (baseline unless given). */
function withScenario<P extends TProperties>(query: TObject<P>) {
  return Type.Object(
    {
      ...query.properties,
      scenario: Type.Optional(Type.String({ maxLength: 20, description: '"baseline" (default) or a scenario id you can read: the figures with its changes applied (incremental)' })),
    },
    { additionalProperties: false },
  );
}

const accessRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const load = async (ruleSet: number | undefined, scenario?: string) => {
    const scenarioId = parseScenario(scenario);
    const { effective, dataVersion } = await resolveRuleSetAndVersion(app.db, ruleSet);
    if (scenarioId !== null) {
      const { ctx, result } = await scenarioAccessResult(app.db, scenarioId, effective.params);
      return { effective, ctx, result, envelope: envelopeOf(effective, result) };
    }
    const ctx = baselineContext(app.db);
    const result = await accessResult(app.db, effective.params, ctx, dataVersion);
    return { effective, ctx, result, envelope: envelopeOf(effective, result) };
  };

  app.get(
    '/access/params',
    {
      schema: {
        tags: ['access'],
        summary: 'Access parameters in effect (travel mode, speeds, detour factor, facility classes, limits) and their assumptions',
        querystring: ParamsQuery,
        response: { 200: ParamsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const effective = await resolveRuleSet(app.db, request.query.ruleSet);
      return {
        ruleSet: effective.ruleSet,
        params: effective.params,
        defaults: DEFAULT_ACCESS_PARAMS,
        assumptions: assumptionsOf(effective.params),
        classes: effective.params.classes.map(classRef),
      };
    },
  );

  app.get(
    '/access/units',
    {
      schema: {
        tags: ['access'],
        summary: 'Per-unit access for one facility class: people covered / in gaps / served by mobile services, mean and 90th-percentile travel time',
        querystring: withScenario(UnitsQuery),
        response: { 200: UnitsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const { result, envelope } = await load(q.ruleSet, q.scenario);
      const cls = classFor(result, q.class);
      const scope = scopeIndex(result, q.unit);
      const scopeLevel = result.units.levels[scope]!;
      const level: Level = q.level ?? LEVELS[Math.min(LEVELS.indexOf(scopeLevel) + 1, LEVELS.length - 1)]!;
      if (LEVELS.indexOf(level) < LEVELS.indexOf(scopeLevel)) {
        throw invalidParameter('level', `level ${level} is above the unit's level ${scopeLevel}`, `层级 ${level} 高于所选单元的层级 ${scopeLevel}`, level);
      }
      const rows = unitRows(result, cls, scope, level, (q.sort ?? 'code') as 'code' | 'gap' | 'share');
      const offset = q.offset ?? 0;
      const page = rows.slice(offset, offset + (q.limit ?? 100));
      return {
        ...envelope,
        class: classRef(cls.cls),
        travel: travelText(result.params),
        scope: unitRef(result, scope),
        level,
        numberMatched: rows.length,
        numberReturned: page.length,
        items: page,
      };
    },
  );

  app.get(
    '/access/units/:code',
    {
      schema: {
        tags: ['access'],
        summary: 'One unit: access figures for every facility class, villages with most people out of reach, the 15-minute circle',
        params: Type.Object({ code: Type.String() }),
        querystring: withScenario(UnitDetailQuery),
        response: { 200: UnitDetailResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { result, envelope } = await load(request.query.ruleSet, request.query.scenario);
      const u = scopeIndex(result, request.params.code);
      return {
        ...envelope,
        unit: unitRef(result, u),
        unitPopulation: result.units.population[u] ?? null,
        mobileService: result.units.mobile[u] === 1,
        travel: travelText(result.params),
        classes: result.classes.map((cls) => ({
          class: classRef(cls.cls),
          figures: unitFigures(cls.agg, u),
          villagesOutOfReach: villagesOutOfReach(result, cls, u),
        })),
        circle: circleRow(result, u),
      };
    },
  );

  app.get(
    '/access/circle',
    {
      schema: {
        tags: ['access'],
        summary: '15-minute basic medical service circle (003:31): share of each banner’s and township’s residents within reach, against the target share',
        querystring: withScenario(CircleQuery),
        response: { 200: CircleResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { result, envelope } = await load(request.query.ruleSet, request.query.scenario);
      const scope = scopeIndex(result, request.query.unit);
      const cls = classFor(result, result.params.circleClass);
      return {
        ...envelope,
        title: CIRCLE_TITLE,
        citations: CIRCLE_QUOTES,
        class: classRef(cls.cls),
        minutes: result.params.circleMinutes,
        targetShare: result.params.circleTargetShare,
        travel: travelText(result.params),
        scope: unitRef(result, scope),
        items: circleRows(result, scope),
      };
    },
  );

  app.get(
    '/access/gaps',
    {
      schema: {
        tags: ['access'],
        summary: 'Gap areas: connected clusters of people out of reach of a facility class, as polygons with people, area and nearest facility',
        querystring: withScenario(GapsQuery),
        response: { 200: GapsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const bbox = parseBbox(q.bbox);
      const { result, envelope, ctx } = await load(q.ruleSet, q.scenario);
      const cls = classFor(result, q.class);
      const scope = q.unit === undefined ? undefined : scopeIndex(result, q.unit);
      const areas = filterGaps(result, cls, { bbox, scope, minPopulation: q.minPopulation });
      const offset = q.offset ?? 0;
      const page = areas.slice(offset, offset + (q.limit ?? 100));
      return {
        type: 'FeatureCollection' as const,
        ...envelope,
        class: classRef(cls.cls),
        numberMatched: areas.length,
        numberReturned: page.length,
        totalPopulation: areas.reduce((s, a) => s + a.population, 0),
        features: await gapFeatures(app.db, ctx, result, cls, page),
      };
    },
  );

  app.get(
    '/access/catchments',
    {
      schema: {
        tags: ['access'],
        summary: 'Catchments: for each facility of a class, the people for whom it is the nearest, per doctor and per bed; small=true lists those under 500 people (merge advisor input)',
        querystring: withScenario(CatchmentsQuery),
        response: { 200: CatchmentsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const bbox = parseBbox(q.bbox);
      const { result, envelope, ctx } = await load(q.ruleSet, q.scenario);
      const cls = classFor(result, q.class);
      const scope = q.unit === undefined ? undefined : scopeIndex(result, q.unit);
      const list = filterCatchments(result, cls, { bbox, scope, below: q.small ? result.params.smallCatchmentPopulation : undefined });
      const offset = q.offset ?? 0;
      const page = list.slice(offset, offset + (q.limit ?? 100));
      return {
        type: 'FeatureCollection' as const,
        ...envelope,
        class: classRef(cls.cls),
        smallCatchmentPopulation: result.params.smallCatchmentPopulation,
        numberMatched: list.length,
        numberReturned: page.length,
        features: await catchmentFeatures(app.db, ctx, result, cls, page, (q.geometry ?? 'polygon') as 'polygon' | 'point'),
      };
    },
  );

  app.get(
    '/access/cells',
    {
      schema: {
        tags: ['access'],
        summary: 'Population cells in a bbox with their nearest facility of a class, distance, travel time and state',
        querystring: withScenario(CellsQuery),
        response: { 200: CellsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const bbox = parseBbox(q.bbox)!;
      const { result, envelope } = await load(q.ruleSet, q.scenario);
      const cls = classFor(result, q.class);
      const limit = q.limit ?? 1000;
      const rows = cellsInBbox(result, bbox, limit);
      const truncated = rows.length > limit;
      const { cells, facilities, units } = result;
      const r = (v: number, d: number) => (Number.isNaN(v) ? null : Math.round(v * 10 ** d) / 10 ** d);
      return {
        type: 'FeatureCollection' as const,
        ...envelope,
        class: classRef(cls.cls),
        numberReturned: Math.min(rows.length, limit),
        truncated,
        features: rows.slice(0, limit).map((i) => ({
          type: 'Feature' as const,
          id: cells.ids[i]!,
          geometry: { type: 'Point' as const, coordinates: [r(cells.lon[i]!, 6)!, r(cells.lat[i]!, 6)!] },
          properties: {
            cellId: cells.ids[i]!,
            population: cells.population[i]!,
            unitCode: cells.unit[i]! >= 0 ? units.codes[cells.unit[i]!]! : null,
            state: STATE_NAMES[cls.state[i]!]!,
            facilityId: cls.nearest[i]! >= 0 ? facilities.ids[cls.nearest[i]!]! : null,
            distanceM: r(cls.distance[i]!, 2),
            minutes: r(cls.minutes[i]!, 3),
            synthetic: cells.synthetic[i] === 1,
          },
        })),
      };
    },
  );
};

export default accessRoutes;
