/**
 * POST /api/imports/{kind}: upload a file (multipart field `file`, or the raw
 * file as the body) to validate or import it. GET /api/imports/kinds describes
 * the accepted columns and values.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { actorOf } from '../http/actor.ts';
import { assertUnitsInScope } from './scope.ts';
import { ErrorResponse } from '../http/common.ts';
import { handleError } from '../plugins/errors.ts';
import { AppError, badRequest } from '../errors.ts';
import {
  DEPARTMENT_LABELS,
  FACILITY_STATUS_LABELS,
  FACILITY_TYPE_LABELS,
  GRADE_LABELS,
  LEVEL_LABELS,
  OWNERSHIP_LABELS,
  TCM_HALL_LEVEL_LABELS,
  type Term,
} from '../domain/taxonomy.ts';
import { CRS_OPTIONS } from './coords.ts';
import { ENCODINGS, normaliseEncodingName } from './encoding.ts';
import { ExportFile, ExportKindParam, ExportQuery, ImportKindParam, ImportKindsResponse, ImportQuery, ImportReport } from './schemas.ts';
import { exportData } from './export.ts';
import { errorResponses, parseList } from '../http/common.ts';
import { FACILITY_STATUSES, FACILITY_TYPES, type Level } from '../domain/taxonomy.ts';
import { unitExists } from '../units/repository.ts';
import { assertUnitCode } from '../units/routes.ts';
import { unitNotFound } from '../errors.ts';
import { IMPORT_KIND_HANDLERS, payloadTooLarge, runImport } from './service.ts';
import { IMPORT_KINDS, IMPORT_MAX_BYTES, type ImportOptions } from './types.ts';

/** Multipart framing around the file (boundaries, part headers) allowed on top of the file limit. */
const MULTIPART_OVERHEAD = 64 * 1024;

const RAW_TYPES = [
  'text/csv',
  'text/plain',
  'text/tab-separated-values',
  'application/csv',
  'application/octet-stream',
  'application/json',
  'application/geo+json',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'image/tiff',
];

const KIND_ZH = { facilities: '医疗卫生机构', 'unit-populations': '区划人口', 'population-cells': '人口网格', 'unit-boundaries': '区划边界' } as const;

function terms(labels: Record<string, Term>) {
  return Object.entries(labels).map(([id, t]) => ({ id, zh: t.zh, en: t.en }));
}

const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(multipart, { limits: { fileSize: IMPORT_MAX_BYTES, files: 1, fields: 20, parts: 21 } });
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer', bodyLimit: IMPORT_MAX_BYTES }, (_request, body, done) => done(null, body));

  // Refuse an oversized upload from its Content-Length, before a byte of the body is read.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return;
    const length = Number(request.headers['content-length']);
    if (Number.isFinite(length) && length > IMPORT_MAX_BYTES + MULTIPART_OVERHEAD) {
      reply.header('connection', 'close');
      throw payloadTooLarge(length);
    }
  });

  // A body that grows past the limit while streaming (no Content-Length) is cut off by
  // fastify or busboy; answer with the limit rather than a generic message.
  app.setErrorHandler((error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.code === 'FST_REQ_FILE_TOO_LARGE' || error.code === 'FST_FILES_LIMIT') {
      reply.header('connection', 'close');
      return handleError(error.code === 'FST_FILES_LIMIT' ? badRequest('InvalidBody', 'Upload one file per import.', '每次导入只能上传一个文件。') : payloadTooLarge(), request, reply);
    }
    if (error.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || error.code === 'FST_MP_PREMATURE_CLOSE' || error.code === 'FST_PARTS_LIMIT' || error.code === 'FST_FIELDS_LIMIT') {
      return handleError(badRequest('InvalidBody', `The multipart upload is malformed (${error.message}). Send the file in a form field named "file".`, '多部分（multipart）上传格式不正确。请将文件放在名为 file 的表单字段中上传。'), request, reply);
    }
    return handleError(error, request, reply);
  });

  app.get(
    '/imports/kinds',
    {
      schema: {
        tags: ['import/export'],
        summary: 'What can be imported: kinds, formats, accepted column names (Chinese and English) and controlled values',
        response: { 200: ImportKindsResponse },
      },
    },
    async () => ({
      maxBytes: IMPORT_MAX_BYTES,
      crs: [...CRS_OPTIONS],
      encodings: [...ENCODINGS],
      kinds: IMPORT_KINDS.map((kind) => {
        const handler = IMPORT_KIND_HANDLERS[kind];
        return {
          kind,
          zh: KIND_ZH[kind],
          formats: [...handler.formats],
          fields: handler.fields.map((f) => ({ key: f.key, zh: f.zh, en: f.en, synonyms: f.synonyms ?? [], required: f.required === true, readOnly: f.readOnly === true })),
        };
      }),
      vocabularies: {
        facilityType: terms(FACILITY_TYPE_LABELS),
        department: terms(DEPARTMENT_LABELS),
        grade: terms(GRADE_LABELS),
        status: terms(FACILITY_STATUS_LABELS),
        ownership: terms(OWNERSHIP_LABELS),
        level: terms(LEVEL_LABELS),
        tcmHallLevel: terms(TCM_HALL_LEVEL_LABELS),
      },
    }),
  );

  app.post(
    '/imports/:kind',
    {
      schema: {
        tags: ['import/export'],
        summary: 'Validate or import a file (CSV, XLSX, GeoJSON; GeoTIFF for population cells)',
        description:
          'Send the file as multipart/form-data (field `file`) or as the raw body. mode=validate (default) reports every problem and what would change without writing; mode=commit writes only when the whole file is valid, in one transaction, upserting by code (re-importing the same file changes nothing). Problems: 422 with details (row, column, value, reason in English and Chinese); unreadable files: 400; over 100 MB: 413.',
        consumes: ['multipart/form-data', ...RAW_TYPES],
        params: ImportKindParam,
        querystring: ImportQuery,
        response: { 200: ImportReport, 400: ErrorResponse, 404: ErrorResponse, 413: ErrorResponse, 415: ErrorResponse, 422: ErrorResponse },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const encoding = normaliseEncodingName(q.encoding);
      if (!encoding) {
        throw badRequest(
          'InvalidParameter',
          `Unknown encoding "${q.encoding}"; accepted: auto, utf-8, gbk (= gb18030), utf-16le.`,
          `未知编码“${q.encoding}”；可用取值：auto、utf-8、gbk（即 gb18030）、utf-16le。`,
        );
      }
      let bytes: Buffer;
      let name = q.filename ?? '';
      if (request.isMultipart()) {
        try {
          // One byte over the limit lets us see the overflow and stop at once: busboy would
          // otherwise keep reading (and discarding) the rest of a 200 MB body before failing.
          const part = await request.file({ limits: { fileSize: IMPORT_MAX_BYTES + 1 } });
          if (!part) throw badRequest('InvalidBody', 'The multipart upload has no file. Send it in a form field named "file".', '上传内容中没有文件。请将文件放在名为 file 的表单字段中。');
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of part.file) {
            size += (chunk as Buffer).length;
            if (size > IMPORT_MAX_BYTES) break;
            chunks.push(chunk as Buffer);
          }
          if (size > IMPORT_MAX_BYTES) {
            request.raw.unpipe();
            request.raw.pause();
            reply.header('connection', 'close');
            throw payloadTooLarge();
          }
          bytes = Buffer.concat(chunks);
          name = part.filename || name;
        } catch (error) {
          // busboy's own errors (a body that is not multipart, or ends before its closing
          // boundary) are the caller's mistake, not ours.
          const status = (error as { statusCode?: number }).statusCode;
          if (error instanceof AppError || (status !== undefined && status >= 400 && status < 500)) throw error;
          throw badRequest(
            'InvalidBody',
            `The multipart upload could not be read (${error instanceof Error ? error.message : 'malformed'}): it is cut off or not multipart/form-data. Send the file again, or as the raw request body.`,
            '无法读取 multipart 上传内容：内容不完整或不是 multipart/form-data 格式。请重新上传，或将文件作为请求体直接发送。',
          );
        }
      } else if (Buffer.isBuffer(request.body)) {
        bytes = request.body;
      } else {
        throw badRequest(
          'InvalidBody',
          'No file was sent. Upload it as multipart/form-data (field "file") or as the request body with Content-Type text/csv, application/geo+json, an XLSX or a TIFF type.',
          '未收到文件。请以 multipart/form-data（字段名 file）上传，或将文件作为请求体发送（Content-Type 为 text/csv、application/geo+json、XLSX 或 TIFF 类型）。',
        );
      }
      const options: ImportOptions = {
        mode: q.mode ?? 'validate',
        encoding,
        crs: q.crs ?? 'wgs84',
        format: q.format ?? 'auto',
        sheet: q.sheet,
        replace: q.replace ?? false,
        source: q.source,
      };
      return runImport(app.db, request.params.kind, { name, bytes }, options, actorOf(request), {
        // Editors limited to a unit subtree may only change data inside it.
        authorizeUnits: (codes, db) => assertUnitsInScope(request, codes, db),
      });
    },
  );

  app.get(
    '/exports/:kind',
    {
      schema: {
        tags: ['import/export'],
        summary: 'Export facilities, units or population cells (CSV with BOM, XLSX, GeoJSON), filtered by unit subtree',
        description: 'The columns are the import columns, so importing an export changes nothing. Rows marked synthetic (合成数据) were generated by the planner.',
        params: ExportKindParam,
        querystring: ExportQuery,
        response: { 200: ExportFile, ...errorResponses },
      },
    },
    async (request, reply) => {
      const q = request.query;
      let unit: { code: string; level: Level } | undefined;
      if (q.unit !== undefined) {
        assertUnitCode(q.unit, 'unit');
        unit = await unitExists(app.db, q.unit);
        if (!unit) throw unitNotFound(q.unit);
      }
      const state = await app.db.selectFrom('data_state').select('data_version').executeTakeFirstOrThrow();
      const result = exportData(
        app.db,
        {
          kind: request.params.kind,
          format: q.format ?? 'csv',
          unit,
          headers: q.headers ?? 'zh',
          types: parseList('type', q.type, FACILITY_TYPES),
          statuses: parseList('status', q.status, FACILITY_STATUSES),
          geometry: q.geometry ?? 'boundary',
        },
        Number(state.data_version),
      );
      return reply
        .header('content-type', result.contentType)
        .header('content-disposition', `attachment; filename="${result.filename}"`)
        .header('x-data-version', String(state.data_version))
        // A stream is sent as is (never serialised); the schema documents it as a binary string.
        .send(result.stream as unknown as string);
    },
  );
};

export default importRoutes;
