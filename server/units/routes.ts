import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses, parseBbox } from '../http/common.ts';
import { badRequest, unitNotFound } from '../errors.ts';
import type { Level } from '../domain/taxonomy.ts';
import {
  ListUnitsQuery,
  GetUnitQuery,
  UnitCodeParam,
  UnitCollection,
  UnitDetail,
  UNIT_LIMIT_DEFAULT,
  type UnitProperties,
} from './schemas.ts';
import {
  descendantCounts,
  directChildren,
  facilityCountsByType,
  findUnit,
  listUnits,
  parentChain,
  type UnitListRow,
} from './repository.ts';

const UNIT_CODE = /^[0-9]{6}([0-9]{3}([0-9]{3})?)?$/;

export function assertUnitCode(code: string, parameter = 'code'): void {
  if (!UNIT_CODE.test(code)) {
    throw badRequest(
      'InvalidUnitCode',
      `'${code}' is not a unit code: ${parameter} must be 6, 9 or 12 digits (e.g. 150430 for 敖汉旗).`,
      `“${code}”不是行政区划代码：${parameter} 应为 6、9 或 12 位数字（例如敖汉旗为 150430）。`,
    );
  }
}

function toProperties(row: Omit<UnitListRow, 'geometry'>): UnitProperties {
  return {
    code: row.code,
    name: row.name,
    level: row.level as Level,
    kind: row.kind,
    parentCode: row.parent_code,
    urban: row.urban,
    population: row.population,
    populationUrban: row.population_urban,
    populationYear: row.population_year,
    populationSource: row.population_source,
    areaKm2: row.area_km2 === null ? null : Math.round(row.area_km2 * 10) / 10,
    density: row.population !== null && row.area_km2 ? Math.round((row.population / row.area_km2) * 100) / 100 : null,
    mobileService: row.mobile_service,
    synthetic: row.synthetic,
  };
}

const unitRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/units',
    {
      schema: {
        tags: ['units'],
        summary: 'Administrative units as GeoJSON (region, leagues, banners, townships, villages)',
        querystring: ListUnitsQuery,
        response: { 200: UnitCollection, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      if (q.parent !== undefined) assertUnitCode(q.parent, 'parent');
      const { total, rows } = await listUnits(app.db, {
        level: q.level,
        parent: q.parent,
        bbox: parseBbox(q.bbox),
        geometry: q.geometry ?? 'auto',
        simplifyMetres: q.simplify,
        limit: q.limit ?? UNIT_LIMIT_DEFAULT,
        offset: q.offset ?? 0,
      });
      return {
        type: 'FeatureCollection' as const,
        numberMatched: total,
        numberReturned: rows.length,
        features: rows.map(({ geometry, ...row }) => ({
          type: 'Feature' as const,
          id: row.code,
          geometry,
          properties: toProperties(row),
        })),
      };
    },
  );

  app.get(
    '/units/:code',
    {
      schema: {
        tags: ['units'],
        summary: 'One unit: properties, parent chain, children, counts',
        params: Type.Object({ code: UnitCodeParam }),
        querystring: GetUnitQuery,
        response: { 200: UnitDetail, ...errorResponses },
      },
    },
    async (request) => {
      const { code } = request.params;
      assertUnitCode(code);
      const row = await findUnit(app.db, code, { boundary: request.query.boundary, simplifyMetres: request.query.simplify });
      if (!row) throw unitNotFound(code);
      const unit = { code: row.code, level: row.level as Level };
      const [chain, children, descendants, facilities] = await Promise.all([
        parentChain(app.db, code),
        directChildren(app.db, code),
        descendantCounts(app.db, unit),
        facilityCountsByType(app.db, unit),
      ]);
      return {
        ...toProperties(row),
        parentChain: chain,
        children,
        descendantCounts: descendants,
        facilityCounts: facilities,
        point: row.point,
        bbox: row.bbox ? row.bbox.map(Number) : null,
        ...(request.query.boundary ? { boundary: row.boundary ?? null } : {}),
      };
    },
  );
};

export default unitRoutes;
