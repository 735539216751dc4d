import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse, errorResponses, parseBbox, parseList } from '../http/common.ts';
import { facilityNotFound, unitNotFound } from '../errors.ts';
import { FACILITY_STATUSES, FACILITY_TYPES, type Level } from '../domain/taxonomy.ts';
import { unitExists } from '../units/repository.ts';
import { assertUnitCode } from '../units/routes.ts';
import { actorOf } from '../http/actor.ts';
import { assertUnitsInScope } from '../importexport/scope.ts';
import {
  FACILITY_LIMIT_DEFAULT,
  FacilityClose,
  FacilityCollection,
  FacilityCreate,
  FacilityDetail,
  FacilityHistory,
  FacilityIdParam,
  FacilityUpdate,
  ListFacilitiesQuery,
  type FacilitySummary,
} from './schemas.ts';
import { findFacility, listFacilities, type FacilityWithGeometry } from './repository.ts';
import { closeFacility, createFacility, facilityHistory, toDetail, updateFacility } from './service.ts';

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
        params: FacilityIdParam,
        response: { 200: FacilityDetail, ...errorResponses },
      },
    },
    async (request) => {
      const row = await findFacility(app.db, request.params.id);
      if (!row) throw facilityNotFound(request.params.id);
      return toDetail(row);
    },
  );

  // ── registry edits ────────────────────────────────────────────────────────
  const editErrors = { 400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse } as const;

  app.post(
    '/facilities',
    {
      schema: {
        tags: ['facilities'],
        summary: 'Add a facility to the registry (version 1); audited, bumps the data version',
        body: FacilityCreate,
        response: { 201: FacilityDetail, ...editErrors },
      },
    },
    async (request, reply) => {
      const detail = await createFacility(app.db, request.body, {
        actor: actorOf(request),
        authorizeUnit: (unitCode, db) => assertUnitsInScope(request, [unitCode], db),
      });
      return reply.code(201).header('location', `/api/facilities/${detail.id}`).send(detail);
    },
  );

  app.patch(
    '/facilities/:id',
    {
      schema: {
        tags: ['facilities'],
        summary: 'Change a facility: send the version you read and the attributes to change (null clears); a stale version is refused with 409',
        params: FacilityIdParam,
        body: FacilityUpdate,
        response: { 200: FacilityDetail, ...editErrors },
      },
    },
    async (request) => updateFacility(app.db, request.params.id, request.body, { actor: actorOf(request) }),
  );

  app.post(
    '/facilities/:id/close',
    {
      schema: {
        tags: ['facilities'],
        summary: 'Close a facility (status closed; facilities are never deleted), optionally merged into another',
        params: FacilityIdParam,
        body: FacilityClose,
        response: { 200: FacilityDetail, ...editErrors },
      },
    },
    async (request) => closeFacility(app.db, request.params.id, request.body, { actor: actorOf(request) }),
  );

  app.get(
    '/facilities/:id/history',
    {
      schema: {
        tags: ['facilities'],
        summary: 'Edits of one facility from the audit log (newest first, before/after)',
        params: FacilityIdParam,
        response: { 200: FacilityHistory, ...errorResponses },
      },
    },
    async (request) => ({ facilityId: request.params.id, entries: await facilityHistory(app.db, request.params.id) }),
  );
};

export default facilityRoutes;
