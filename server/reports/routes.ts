/**
 * Gap reports (issue 9):
 *   GET /api/reports/units/:code?format=html|pdf|xlsx|csv&lang=zh|en&ruleSet=&scenario=&table=&mergeEffects=
 *
 * The report of a region, league, banner or township for a rule set, of the
 * baseline or of a scenario compared with the baseline. HTML is the stable,
 * print-ready page (A4); PDF is the same page printed by Chromium on the
 * server (503 with a pointer to the HTML when Chromium is missing); XLSX has
 * every table; CSV one (`table=`). A scenario is read with the same check as
 * GET /api/scenarios/:id (404 when the caller may not see it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses, ErrorResponse } from '../http/common.ts';
import { assertUnitCode } from '../units/routes.ts';
import { assertCanReadScenario } from '../auth/scenarios.ts';
import { LANGS } from './i18n.ts';
import { PdfRenderer } from './pdf.ts';
import { makeReport, REPORT_FORMATS, type ReportFormat } from './service.ts';
import { TABLE_KEYS } from './tables.ts';

const ReportParams = Type.Object({ code: Type.String({ description: 'Unit code: region 150000, a league (6 digits), a banner (e.g. 150430 敖汉旗) or a township (9 digits)' }) });

const ReportQuery = Type.Object({
  format: Type.Optional(Type.Enum([...REPORT_FORMATS], { default: 'html', description: 'html (print-ready A4 page), pdf, xlsx (every table), csv (one table, UTF-8 with BOM)' })),
  lang: Type.Optional(Type.Enum([...LANGS], { default: 'zh', description: 'zh (default) or en' })),
  ruleSet: Type.Optional(Type.Integer({ minimum: 1, description: 'Rule set id (default: the default rule set)' })),
  scenario: Type.Optional(Type.Integer({ minimum: 1, description: 'Scenario id: the report of the scenario, with what changes against the baseline' })),
  table: Type.Optional(Type.String({ maxLength: 40, description: `With format=csv: ${TABLE_KEYS.join(', ')}` })),
  mergeEffects: Type.Optional(Type.Boolean({ default: false, description: 'Evaluate every merge candidate as a scenario (slower; as /api/merge-advisor)' })),
});

/** RFC 6266 / 5987: an ASCII fallback and the UTF-8 name (unit names are Chinese). */
export function contentDisposition(kind: 'inline' | 'attachment', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '').replace(/^-+/, '') || 'report';
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const pdf = new PdfRenderer();
  app.addHook('onClose', async () => pdf.close());

  app.get(
    '/reports/units/:code',
    {
      schema: {
        tags: ['reports'],
        summary: 'Gap report of a unit (A4 HTML, PDF, XLSX or one table as CSV), of the baseline or a scenario',
        params: ReportParams,
        querystring: ReportQuery,
        produces: ['text/html', 'application/pdf', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'text/csv'],
        response: { 200: Type.Unknown({ description: 'The report file' }), ...errorResponses, 403: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { code } = request.params;
      const q = request.query;
      assertUnitCode(code, 'code');
      if (q.scenario !== undefined) await assertCanReadScenario(request, q.scenario);
      const format = (q.format ?? 'html') as ReportFormat;
      const lang = q.lang ?? 'zh';
      const htmlUrl = request.url.replace(/([?&])format=pdf/, '$1format=html');
      const file = await makeReport(
        app.db,
        { unit: code, ruleSetId: q.ruleSet, scenarioId: q.scenario ?? null, format, lang, table: q.table, mergeEffects: q.mergeEffects },
        { pdf, htmlUrl },
      );
      return reply
        .type(file.contentType)
        .header('content-disposition', contentDisposition(format === 'html' || format === 'pdf' ? 'inline' : 'attachment', file.fileName))
        .header('cache-control', 'no-store')
        .send(file.body);
    },
  );
};

export default routes;
