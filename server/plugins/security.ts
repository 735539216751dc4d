/**
 * Security headers, CORS, cookies and the rate-limit engine.
 *
 * - Helmet with a Content-Security-Policy the map app works under: MapLibre
 *   runs its workers from blob: URLs and draws data:/blob: images; styles are
 *   set inline on elements. No inline scripts anywhere (the login/admin pages
 *   load their script from a file). An online basemap (BASEMAP_URL) adds its
 *   origin to img-src and connect-src. No upgrade-insecure-requests and no HSTS
 *   on plain http (a server reached at http://10.x.x.x:8080 must keep working);
 *   HSTS is sent only on https requests.
 * - CORS: same origin only unless CORS_ORIGINS lists others (then credentials
 *   are not shared: cross-origin callers use API tokens).
 * - @fastify/rate-limit is registered without global limits: the auth plugin
 *   applies the class (login, expensive, api) the route's policy names.
 * - Body limits: app.ts sets 1 MiB for JSON bodies; upload routes set their own
 *   (`bodyLimit` / multipart `limits`) and the onRequest auth check runs before
 *   any body is read, so anonymous uploads are refused without reading them.
 */
import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { AuthSettings } from '../config.ts';
import { AppError } from '../errors.ts';

export interface SecurityPluginOptions {
  settings: AuthSettings;
  basemapUrl?: string | undefined;
}

function originOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    return [new URL(url.replace(/\{[a-z]\}/gi, '0')).origin];
  } catch {
    return [];
  }
}

export function contentSecurityPolicy(basemapUrl?: string) {
  const basemap = originOf(basemapUrl);
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      // MapLibre positions markers, popups and controls with inline styles.
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:', ...basemap],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'", ...basemap],
      // MapLibre's web workers are created from blob: URLs.
      workerSrc: ["'self'", 'blob:'],
      childSrc: ["'self'", 'blob:'],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'"],
    },
  };
}

function nulRefused(where: 'URL' | 'body'): AppError {
  return new AppError('InvalidBody', 400, {
    en: `The request ${where} contains a NUL character (\\u0000), which no field accepts. Remove it and send again.`,
    zh: `请求${where === 'URL' ? '地址' : '体'}中含有空字符（\\u0000），任何字段都不接受该字符。请删除后重新提交。`,
  });
}

/** Deep scan of a parsed JSON body (bounded: bodies are at most 1 MiB). */
function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  for (const [key, v] of Object.entries(value)) if (key.includes('\u0000') || containsNul(v, depth + 1)) return true;
  return false;
}

export default fp<SecurityPluginOptions>(
  async function securityPlugin(app: FastifyInstance, opts) {
    await app.register(helmet, {
      contentSecurityPolicy: contentSecurityPolicy(opts.basemapUrl),
      // Browsers ignore HSTS on http; sent on https (below) so a plain-http LAN deployment is not locked out.
      strictTransportSecurity: false,
      crossOriginEmbedderPolicy: false,
      crossOriginResourcePolicy: { policy: 'same-origin' },
      referrerPolicy: { policy: 'same-origin' },
    });
    app.addHook('onRequest', async (request, reply) => {
      if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=15552000; includeSubDomains');
    });

    if (opts.settings.corsOrigins.length > 0) {
      await app.register(cors, {
        origin: opts.settings.corsOrigins,
        credentials: false,
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowedHeaders: ['content-type', 'authorization', 'accept'],
        exposedHeaders: ['retry-after', 'content-disposition', 'etag'],
        maxAge: 600,
      });
    }

    // NUL characters: PostgreSQL cannot store them in text (error 22021), so a
    // NUL in a URL or a JSON string would otherwise surface as a 500 from whatever
    // query it reaches. Refused up front for every route; raw file uploads
    // (Buffers, e.g. XLSX) are not JSON and are left to their parsers.
    app.addHook('onRequest', async (request) => {
      if (/%00|\u0000/i.test(request.url)) throw nulRefused('URL');
    });
    app.addHook('preValidation', async (request) => {
      const body = request.body;
      if (body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && containsNul(body)) throw nulRefused('body');
    });

    await app.register(cookie, { hook: 'onRequest' });
    await app.register(rateLimit, { global: false });
  },
  { name: 'security', dependencies: ['errors'] },
);
