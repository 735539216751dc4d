/**
 * What the map UI needs and no feature route answers:
 *   GET /api/ui/config       auth mode, optional basemap (BASEMAP_URL), which features exist (scenarios, reports)
 *   GET /api/ui/search       units by part of the Chinese name or the start of the code
 *   GET /api/ui/unit-stats   per unit of a level: worst failing force of its own rules and one indicator
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses, ErrorResponse, parseList } from '../http/common.ts';
import { LEVELS } from '../domain/taxonomy.ts';
import { assertUnitCode } from '../units/routes.ts';
import { parseScenario } from '../rules/routes.ts';
import { searchUnits, type UnitSearchRow } from './repository.ts';
import { unitStats } from './service.ts';
import { SearchQuery, SearchResponse, SEARCH_LIMIT_DEFAULT, STAT_LEVELS, UiConfig, UnitStatsQuery, UnitStatsResponse } from './schemas.ts';
import { invalidParameter } from '../errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** BASEMAP_URL (server/config.ts), decorated in app.ts; undefined = no online basemap. */
    basemapUrl: string | undefined;
  }
}

/** A MapLibre style is JSON; anything with {z}/{x}/{y} is a raster tile template. */
export function basemapOf(url: string | undefined): UiConfig['basemap'] {
  if (!url) return null;
  const kind = /\{z\}/.test(url) && /\{x\}/.test(url) && /\{y\}/.test(url) ? 'raster' : 'style';
  let host = url;
  try {
    host = new URL(url.replace(/\{[a-z]\}/gi, '0')).host;
  } catch {
    // config.ts already checked the scheme; keep the raw text as the attribution
  }
  const attribution = /openstreetmap\.(org|fr|de)$/i.test(host) ? '© OpenStreetMap contributors' : `底图 Basemap: ${host}`;
  return { kind, url, attribution };
}

function hitOf(row: UnitSearchRow) {
  return {
    code: row.code,
    name: row.name,
    level: row.level,
    kind: row.kind,
    population: row.population,
    context: [row.league_name, row.banner_name, row.township_name].filter((n): n is string => n !== null),
    center: row.lon === null || row.lat === null ? null : [round6(row.lon), round6(row.lat)],
    bbox: row.min_lon === null ? null : [row.min_lon, row.min_lat!, row.max_lon!, row.max_lat!].map(round6),
    synthetic: row.synthetic,
  };
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

const uiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/ui/config',
    {
      schema: {
        tags: ['ui'],
        summary: 'Settings the map UI starts with: auth mode, optional basemap with attribution, available features',
        response: { 200: UiConfig },
      },
    },
    async () => {
      const routes = app.apiRouteList;
      const has = (url: string) => routes.some((r) => r.method === 'GET' && r.url === url);
      // The report feature names its own URL; take its HTML page for a unit when it exists.
      const report = routes
        .filter((r) => r.method === 'GET' && r.url.startsWith('/api/reports/') && /:(unit|code)\b/.test(r.url))
        .sort((a, b) => Number(/\.(pdf|xlsx|csv)$/.test(a.url)) - Number(/\.(pdf|xlsx|csv)$/.test(b.url)) || a.url.length - b.url.length)[0];
      return {
        authMode: app.authSettings.mode,
        basemap: basemapOf(app.basemapUrl),
        features: {
          scenarios: has('/api/scenarios'),
          mergeAdvisor: has('/api/merge-advisor'),
          reports: report ? report.url.replace(/:(unit|code)\b/, ':unit') : null,
        },
      };
    },
  );

  app.get(
    '/ui/search',
    {
      schema: {
        tags: ['ui'],
        summary: 'Find units by part of the Chinese name (敖汉, 新惠) or the start of the code (1504); exact matches and higher levels first',
        querystring: SearchQuery,
        response: { 200: SearchResponse, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const levels = parseList('level', q.level, LEVELS) ?? [...LEVELS];
      const text = q.q.trim();
      if (text === '') return { query: q.q, numberReturned: 0, units: [] };
      const rows = await searchUnits(app.db, text, levels, q.limit ?? SEARCH_LIMIT_DEFAULT);
      return { query: q.q, numberReturned: rows.length, units: rows.map(hitOf) };
    },
  );

  app.get(
    '/ui/unit-stats',
    {
      schema: {
        tags: ['ui'],
        summary: 'For map colouring: every unit of a level with the worst failing force of its own rules, counts by force, and an optional indicator value',
        querystring: UnitStatsQuery,
        response: { 200: UnitStatsResponse, ...errorResponses, 403: ErrorResponse },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.unit !== undefined) assertUnitCode(q.unit, 'unit');
      const levels = parseList('level', q.level, STAT_LEVELS);
      if (!levels || levels.length === 0) {
        throw invalidParameter('level', `name at least one level: ${STAT_LEVELS.join(', ')}`, `请至少指定一个层级：${STAT_LEVELS.join('、')}`, q.level);
      }
      return unitStats(app.db, {
        levels: [...new Set(levels)],
        unit: q.unit,
        ruleSetId: q.ruleSet,
        scenarioId: parseScenario(q.scenario),
        indicator: q.indicator,
      });
    },
  );
};

export default uiRoutes;
