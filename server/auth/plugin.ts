/**
 * Authentication and authorization for every /api route, in one place.
 *
 * - onRoute: every /api route must have an entry in policy.ts, or the app
 *   refuses to start (app.ready() fails with a message naming each route and the
 *   file). The entry is attached to the route's config and the route is listed
 *   in `app.apiRouteList`.
 * - onRequest (before the body is read): who is calling (API token, session
 *   cookie, or the local admin in the login-free mode), 401/403 by the policy's
 *   minimum role, CSRF and Origin checks for state-changing requests, rate limit.
 * - preValidation: unit-subtree checks for scoped editors (policy `scope`).
 *
 * Handlers read `request.principal` (or `actorOf(request)` for audit rows).
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { AuthSettings } from '../config.ts';
import { isLoopbackHost } from '../config.ts';
import { AppError } from '../errors.ts';
import { LOCAL_PRINCIPAL, type Principal } from './principal.ts';
import { findSession, findUserByToken, type UserRecord } from './repository.ts';
import {
  csrfApplies,
  isApiUrl,
  isUnsafeMethod,
  missingPolicyMessage,
  policyFor,
  policyKey,
  type RateClass,
  type RoutePolicy,
} from './policy.ts';
import { ROLE_LABELS, roleAtLeast } from './roles.ts';
import { editScopeOf, facilitiesOutsideScope, outOfScope, pointsAt, unitsContaining, unitsOutsideScope, valuesAt } from './scope.ts';
import { safeEqual } from './passwords.ts';

export const SESSION_COOKIE = 'planner_session';
/** Readable copy of the session's CSRF token for the web app (double submit; the server compares with its own copy). */
export const CSRF_COOKIE = 'planner_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export interface RegisteredApiRoute {
  method: string;
  url: string;
  policy: RoutePolicy;
  /** The route's TypeBox schema (params/querystring/body), for tests and the fuzzer. */
  schema: RouteOptions['schema'];
}

declare module 'fastify' {
  interface FastifyInstance {
    authSettings: AuthSettings;
    /** Every /api route with its policy, in registration order (without HEAD routes). */
    apiRouteList: RegisteredApiRoute[];
    /** Every policy key (METHOD /url) some registered route uses, HEAD mapped to GET. */
    policyKeysInUse: Set<string>;
  }
  interface FastifyContextConfig {
    policy?: RoutePolicy;
  }
}

export interface AuthPluginOptions {
  settings: AuthSettings;
}

function fromUser(user: UserRecord, via: 'session' | 'token'): Principal {
  return {
    userId: user.id,
    name: user.name,
    displayName: user.displayName,
    role: user.role,
    unitCode: user.role === 'editor' ? user.unitCode : null,
    mustChangePassword: user.mustChangePassword,
    via,
  };
}

type Problem = 'none' | 'expired' | 'bad-token' | 'bad-authorization';

export function unauthorized(problem: Problem): AppError {
  switch (problem) {
    case 'expired':
      return new AppError('SessionExpired', 401, {
        en: 'Your session has ended (logged out, expired or idle too long). Log in again.',
        zh: '登录已失效（已退出、过期或长时间未操作），请重新登录。',
      });
    case 'bad-token':
      return new AppError('Unauthorized', 401, {
        en: 'The API token is unknown, revoked or expired. Create a new one (POST /api/auth/tokens).',
        zh: 'API 令牌无效、已撤销或已过期，请重新创建（POST /api/auth/tokens）。',
      });
    case 'bad-authorization':
      return new AppError('Unauthorized', 401, {
        en: "The Authorization header must be 'Bearer <API token>'.",
        zh: "Authorization 请求头应为 'Bearer <API 令牌>'。",
      });
    default:
      return new AppError('Unauthorized', 401, {
        en: 'Log in first (POST /api/auth/login), or send an API token as Authorization: Bearer <token>.',
        zh: '请先登录（POST /api/auth/login），或在请求头中提供 API 令牌：Authorization: Bearer <令牌>。',
      });
  }
}

function forbiddenRole(principal: Principal, needed: RoutePolicy['access']): AppError {
  const label = needed === 'public' ? needed : `${ROLE_LABELS[needed].en} (${ROLE_LABELS[needed].zh})`;
  return new AppError(
    'Forbidden',
    403,
    {
      en: `This needs the ${label} role or higher; you are ${principal.role}. Ask an administrator if you need it.`,
      zh: `此操作需要“${needed === 'public' ? needed : ROLE_LABELS[needed].zh}”或更高角色；您的角色是“${ROLE_LABELS[principal.role].zh}”。如有需要，请联系管理员。`,
    },
    undefined,
    { requiredRole: needed, role: principal.role },
  );
}

function csrfRejected(en: string, zh: string): AppError {
  return new AppError('CsrfRejected', 403, { en, zh });
}

/**
 * Whether a browser Origin names this server. Compared by host[:port] only, so
 * that a TLS-terminating proxy (Origin https://planner.example, Host
 * planner.example, plain http behind it) works without TRUST_PROXY; a cross-site
 * page always has a different host.
 */
function sameHost(origin: string, request: FastifyRequest): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const host = (request.host ?? '').toLowerCase();
  const name = hostName(request).toLowerCase();
  if (url.hostname.toLowerCase() !== name) return false;
  // A Host without a port (default port, or a proxy in front): the name decides.
  if (host === name) return true;
  const port = host.slice(name.length + 1);
  return (url.port || (url.protocol === 'https:' ? '443' : '80')) === port;
}

/** The Host header without port, for the local mode's DNS-rebinding guard. */
function hostName(request: FastifyRequest): string {
  const host = request.host ?? '';
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon > 0 ? host.slice(0, colon) : host;
}

export default fp<AuthPluginOptions>(
  async function authPlugin(app: FastifyInstance, opts) {
    const settings = opts.settings;
    const allowedOrigins = new Set(settings.corsOrigins.map((o) => o.toLowerCase()));
    app.decorate('authSettings', settings);
    app.decorate('apiRouteList', [] as RegisteredApiRoute[]);
    app.decorate('policyKeysInUse', new Set<string>());
    app.decorateRequest('principal', null);

    // Routes without an entry are collected and reported together when the app
    // becomes ready (a throw inside some third-party plugins would only surface as
    // a plugin timeout); an unlisted route therefore never serves a request.
    const missing: string[] = [];
    app.addHook('onRoute', (route) => {
      if (!isApiUrl(route.url)) return;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      let chosen: RoutePolicy | undefined;
      for (const method of methods) {
        const policy = policyFor(method, route.url);
        app.policyKeysInUse.add(policyKey(method, route.url));
        if (!policy) {
          missing.push(missingPolicyMessage(method, route.url, route.schema?.tags));
          continue;
        }
        if (chosen && chosen !== policy) {
          missing.push(`${methods.join('/')} ${route.url}: one route with several methods needs one policy; register them separately (server/auth/policy.ts).`);
        }
        chosen = policy;
      }
      if (!chosen) return;
      route.config = { ...(route.config ?? {}), policy: chosen };
      for (const method of methods) {
        if (method === 'HEAD' || method === 'OPTIONS') continue;
        app.apiRouteList.push({ method, url: route.url, policy: chosen, schema: route.schema });
      }
    });
    app.addHook('onReady', async () => {
      if (missing.length > 0) throw new Error(missing.join('\n'));
    });

    const limiters = buildLimiters(app, settings);

    async function authenticate(request: FastifyRequest): Promise<{ principal: Principal | null; problem: Problem }> {
      const authorization = request.headers.authorization;
      if (authorization !== undefined) {
        const match = /^Bearer\s+(\S{1,300})\s*$/i.exec(authorization);
        if (!match) return { principal: null, problem: 'bad-authorization' };
        const found = await findUserByToken(app.db, match[1]!);
        if (!found) return { principal: null, problem: 'bad-token' };
        return { principal: { ...fromUser(found.user, 'token'), tokenId: found.tokenId }, problem: 'none' };
      }
      const cookie = request.cookies?.[SESSION_COOKIE];
      if (cookie && cookie.length <= 100) {
        const session = await findSession(app.db, cookie, settings.sessionIdleMinutes);
        if (session) {
          return {
            principal: {
              ...fromUser(session.user, 'session'),
              sessionId: session.sessionId,
              csrfToken: session.csrfToken,
              sessionExpiresAt: session.expiresAt.toISOString(),
            },
            problem: 'none',
          };
        }
        if (settings.mode === 'local') return { principal: LOCAL_PRINCIPAL, problem: 'none' };
        return { principal: null, problem: 'expired' };
      }
      if (settings.mode === 'local') return { principal: LOCAL_PRINCIPAL, problem: 'none' };
      return { principal: null, problem: 'none' };
    }

    function checkCrossSite(request: FastifyRequest, principal: Principal | null, needToken: boolean): void {
      // Bearer tokens are never sent by a browser on its own: no CSRF risk.
      if (principal?.via === 'token') return;
      const origin = request.headers.origin;
      if (origin !== undefined) {
        const o = origin.toLowerCase();
        if (!sameHost(o, request) && !allowedOrigins.has(o)) {
          throw csrfRejected(
            `Cross-site request refused: Origin ${origin} is not this site. Use the planner's own pages, or an API token for scripts.`,
            `已拒绝跨站请求：来源 ${origin} 不是本站。请使用本系统页面，或在脚本中使用 API 令牌。`,
          );
        }
      } else if (request.headers['sec-fetch-site'] === 'cross-site') {
        throw csrfRejected('Cross-site request refused.', '已拒绝跨站请求。');
      }
      if (needToken && principal?.via === 'session') {
        const sent = request.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !safeEqual(sent, principal.csrfToken ?? '')) {
          throw csrfRejected(
            `State-changing requests from a browser session need the ${CSRF_HEADER} header with the csrfToken from login or GET /api/auth/me (also in the ${CSRF_COOKIE} cookie).`,
            `浏览器会话中的修改请求需要携带 ${CSRF_HEADER} 请求头，其值为登录或 GET /api/auth/me 返回的 csrfToken（也在 ${CSRF_COOKIE} Cookie 中）。`,
          );
        }
      }
    }

    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (settings.mode === 'local') {
        // Login-free mode answers only loopback connections addressed to a loopback
        // name: a web page cannot reach it through DNS rebinding, nor a neighbour through the network.
        const local = request.socket?.localAddress;
        if ((local !== undefined && !isLoopbackHost(local)) || !isLoopbackHost(hostName(request))) {
          throw new AppError('Forbidden', 403, {
            en: 'The login-free local mode only answers requests to localhost / 127.0.0.1. Set AUTH_MODE=required to serve other addresses.',
            zh: '免登录本地模式只响应发往 localhost / 127.0.0.1 的请求。如需对外服务，请设置 AUTH_MODE=required。',
          });
        }
      }
      const policy = request.routeOptions.config?.policy;
      if (!policy) return;
      const { principal, problem } = await authenticate(request);
      request.principal = principal;
      if (policy.access !== 'public') {
        if (!principal) throw unauthorized(problem);
        if (principal.mustChangePassword && !policy.duringPasswordChange) {
          throw new AppError('PasswordChangeRequired', 403, {
            en: 'Choose a new password first (POST /api/auth/password): your current one was a one-time password.',
            zh: '请先设置新密码（POST /api/auth/password）：当前密码为一次性密码。',
          });
        }
        if (!roleAtLeast(principal.role, policy.access)) throw forbiddenRole(principal, policy.access);
      } else if (problem === 'bad-authorization' || problem === 'bad-token') {
        // A script sending a broken token should hear about it even on public routes.
        throw unauthorized(problem);
      }
      // Every state-changing request must come from this site (or an allowed origin);
      // a session's requests must also carry its CSRF token unless the entry says csrf: false.
      if (isUnsafeMethod(request.method)) checkCrossSite(request, principal, csrfApplies(request.method, policy));
      await limiters.apply(request, reply, policy.rate ?? 'api');
    });

    app.addHook('preValidation', async (request: FastifyRequest) => {
      const policy = request.routeOptions.config?.policy;
      if (!policy?.scope || policy.scope === 'handler' || !isUnsafeMethod(request.method)) return;
      const scope = editScopeOf(request.principal);
      if (scope === null) return;
      if (policy.scope === 'refuse') {
        throw new AppError(
          'OutOfScope',
          403,
          {
            en: `Your account may only change data in unit ${scope} and below, and this operation cannot yet be limited to a unit subtree. Ask an editor without a unit limit or an administrator.`,
            zh: `您的账号只能修改行政区划 ${scope} 及其下级的数据，而此操作尚不能限定在下级范围内。请联系不受范围限制的编辑人员或管理员。`,
          },
          undefined,
          { scope },
        );
      }
      const units: string[] = [];
      const facilities: number[] = [];
      const points: [number, number][] = [];
      for (const source of policy.scope) {
        const container = source.in === 'params' ? request.params : source.in === 'query' ? request.query : request.body;
        if (source.kind === 'point') {
          points.push(...pointsAt(container, source.field));
          continue;
        }
        for (const value of valuesAt(container, source.field)) {
          if (source.kind === 'unit') units.push(value);
          else if (/^[0-9]{1,16}$/.test(value)) facilities.push(Number(value));
        }
      }
      if (points.length > 0) units.push(...(await unitsContaining(app.db, points.slice(0, 1000))));
      if (facilities.length > 0) {
        const outside = await facilitiesOutsideScope(app.db, scope, facilities);
        if (outside.length > 0) throw outOfScope(scope, outside.map(String), 'facility');
      }
      const codes = units.filter((u) => /^[0-9]{6,12}$/.test(u));
      if (codes.length > 0) {
        const outside = await unitsOutsideScope(app.db, scope, codes);
        if (outside.length > 0) throw outOfScope(scope, outside, 'unit');
      }
    });
  },
  { name: 'auth', dependencies: ['database', 'security'] },
);

// ── rate limits ────────────────────────────────────────────────────────────────

type Limiter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

function buildLimiters(app: FastifyInstance, settings: AuthSettings) {
  const make = (max: number, key: (r: FastifyRequest) => string): Limiter | null => {
    if (max <= 0) return null;
    return app.rateLimit({
      max,
      timeWindow: 60_000,
      keyGenerator: key,
      errorResponseBuilder: (_request, context) =>
        new AppError(
          'RateLimited',
          429,
          {
            en: `Too many requests: at most ${context.max} per minute. Try again in ${Math.ceil(context.ttl / 1000)} s.`,
            zh: `请求过于频繁：每分钟最多 ${context.max} 次，请在 ${Math.ceil(context.ttl / 1000)} 秒后重试。`,
          },
          undefined,
          { retryAfterSeconds: Math.ceil(context.ttl / 1000) },
        ),
    }) as unknown as Limiter;
  };
  const who = (r: FastifyRequest) => (r.principal && r.principal.via !== 'local' ? `u:${r.principal.name}` : `ip:${r.ip}`);
  const limiters: Record<Exclude<RateClass, 'none'>, Limiter | null> = {
    login: make(settings.rateLimits.login, (r) => `login:${r.ip}`),
    expensive: make(settings.rateLimits.expensive, (r) => `x:${who(r)}`),
    api: make(settings.rateLimits.api, (r) => `a:${who(r)}`),
  };
  return {
    async apply(request: FastifyRequest, reply: FastifyReply, rate: RateClass) {
      if (rate === 'none') return;
      const limiter = limiters[rate];
      if (limiter) await limiter(request, reply);
    },
  };
}
