import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses, parseBbox, parseList } from '../http/common.ts';
import { facilityNotFound, unitNotFound } from '../errors.ts';
import { FACILITY_STATUSES, FACILITY_TYPES, type Level } from '../domain/taxonomy.ts';
import { unitExists } from '../units/repository.ts';
import { assertUnitCode } from '../units/routes.ts';
import {
  FACILITY_LIMIT_DEFAULT,
  FacilityCollection,
  FacilityDetail,
  ListFacilitiesQuery,
  type FacilitySummary,
} from './schemas.ts';
import { findFacility, listFacilities, type FacilityWithGeometry } from './repository.ts';

export function toSummary(row: Omit<FacilityWithGeometry, 'location'>): FacilitySummary {
  return {
    id: Number(row.id),
    code: row.code,
    name: row.name,
    type: row.type,
    status: row.status,
    grade: row.grade,
    ownership: row.ownership,
    runByLevel: row.run_by_level,
    central: row.central,
    unitCode: row.unit_code,
    townshipCode: row.township_code,
    bannerCode: row.banner_code,
    leagueCode: row.league_code,
    beds: row.beds,
    synthetic: row.synthetic,
  };
}

const facilityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/facilities',
    {
      schema: {
        tags: ['facilities'],
        summary: 'Facilities as GeoJSON points, filtered by type, status, unit subtree, text and bbox',
        querystring: ListFacilitiesQuery,
        response: { 200: FacilityCollection, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      let unit: { code: string; level: Level } | undefined;
      if (q.unit !== undefined) {
        assertUnitCode(q.unit, 'unit');
        unit = await unitExists(app.db, q.unit);
        if (!unit) throw unitNotFound(q.unit);
      }
      const { total, rows } = await listFacilities(app.db, {
        types: parseList('type', q.type, FACILITY_TYPES),
        statuses: parseList('status', q.status, FACILITY_STATUSES),
        unit,
        text: q.q?.trim() || undefined,
        bbox: parseBbox(q.bbox),
        limit: q.limit ?? FACILITY_LIMIT_DEFAULT,
        offset: q.offset ?? 0,
      });
      return {
        type: 'FeatureCollection' as const,
        numberMatched: total,
        numberReturned: rows.length,
        features: rows.map(({ location, ...row }) => ({
          type: 'Feature' as const,
          id: Number(row.id),
          geometry: location,
          properties: toSummary(row),
        })),
      };
    },
  );

  app.get(
    '/facilities/:id',
    {
      schema: {
        tags: ['facilities'],
        summary: 'One facility with all its attributes',
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991 }) }),
        response: { 200: FacilityDetail, ...errorResponses },
      },
    },
    async (request) => {
      const row = await findFacility(app.db, request.params.id);
      if (!row) throw facilityNotFound(request.params.id);
      return {
        ...toSummary(row),
        gradeLevel: row.grade_level,
        location: row.location,
        unitName: row.unit_name,
        bedsPaediatric: row.beds_paediatric,
        staff: {
          doctors: row.staff_doctors,
          assistantDoctors: row.staff_assistant_doctors,
          nurses: row.staff_nurses,
          gps: row.staff_gps,
          tcmDoctors: row.staff_tcm_doctors,
          tcmGps: row.staff_tcm_gps,
          villageDoctors: row.staff_village_doctors,
          publicHealth: row.staff_public_health,
          supervisors: row.staff_supervisors,
          tcmCapable: row.staff_tcm_capable,
        },
        departments: row.departments,
        tcmHallLevel: row.tcm_hall_level,
        tcmTechniqueCategories: row.tcm_technique_categories,
        tcmTechniques: row.tcm_techniques,
        providesDeliveries: row.provides_deliveries,
        villagesServed: row.villages_served,
        mergedIntoId: row.merged_into_id === null ? null : Number(row.merged_into_id),
        source: row.source,
        version: row.version,
        createdAt: new Date(row.created_at).toISOString(),
        updatedAt: new Date(row.updated_at).toISOString(),
      };
    },
  );
};

export default facilityRoutes;
