/**
 * OpenAPI 3 document at /api/openapi.json (generated from the TypeBox route
 * schemas) and an interactive docs page at /api/docs, served locally (no CDN).
 */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export default fp(
  async function openapiPlugin(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: '卫生资源网格规划 API · Health facility-grid planner API',
          description:
            'Inner Mongolia health facilities, population and the coverage rules of the region’s health plans. ' +
            'GeoJSON (RFC 7946, WGS84); OGC API Features style paging (limit, offset) and bbox. ' +
            'Errors carry `code`, `message` (English) and `messageZh` (中文).',
          version: '1.0.0',
        },
        tags: [
          { name: 'system', description: 'Health and metadata' },
          { name: 'units', description: 'Administrative units (行政区划)' },
          { name: 'facilities', description: 'Health facilities (医疗卫生机构)' },
        ],
      },
    });
    await app.register(swaggerUi, {
      routePrefix: '/api/docs',
      staticCSP: true,
      // Its CSP asks browsers to upgrade to https, which breaks the page on a plain-http LAN address.
      transformStaticCSP: (header: string) => header.replace(/\s*upgrade-insecure-requests;?/g, ''),
    });
    app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'openapi' },
);
