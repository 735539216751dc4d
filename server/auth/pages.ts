/**
 * Minimal login (/login) and administration (/admin) pages, served as files so
 * that the CSP needs no inline script. The map UI issue replaces /admin with a
 * full page; /login stays the entry point when authentication is required.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');

const FILES: Record<string, { file: string; type: string }> = {
  '/login': { file: 'login.html', type: 'text/html; charset=utf-8' },
  '/login.js': { file: 'login.js', type: 'text/javascript; charset=utf-8' },
  '/admin': { file: 'admin.html', type: 'text/html; charset=utf-8' },
  '/admin.js': { file: 'admin.js', type: 'text/javascript; charset=utf-8' },
  '/auth-pages.css': { file: 'pages.css', type: 'text/css; charset=utf-8' },
};

export default fp(
  async function authPages(app: FastifyInstance) {
    for (const [url, { file, type }] of Object.entries(FILES)) {
      const content = fs.readFileSync(path.join(dir, file));
      app.get(url, { schema: { hide: true } }, async (_request, reply) => reply.type(type).header('cache-control', 'no-cache').send(content));
    }
  },
  { name: 'auth-pages' },
);
