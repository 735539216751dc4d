/**
 * Serves the built web app (web/dist) at `/`. Without a build it answers `/`
 * with a short page that says how to build it, instead of a bare 404.
 */
import fs from 'node:fs';
import path from 'node:path';
import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { projectRoot } from '../paths.ts';

export default fp(
  async function webPlugin(app: FastifyInstance) {
    const root = path.join(projectRoot, 'web', 'dist');
    if (fs.existsSync(path.join(root, 'index.html'))) {
      await app.register(fastifyStatic, { root, prefix: '/', wildcard: false, index: ['index.html'] });
    } else {
      app.get('/', { schema: { hide: true } }, async (_request, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .send(
            '<!doctype html><meta charset="utf-8"><title>卫生资源网格规划</title>' +
              '<p>网页尚未构建：请运行 <code>npm run build:web</code>。The web app is not built yet: run <code>npm run build:web</code>. ' +
              'The API is at <a href="/api/docs">/api/docs</a>.</p>',
          ),
      );
    }
  },
  { name: 'web' },
);
