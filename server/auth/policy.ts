/**
 * THE access policy: one entry per API route (method + URL pattern exactly as
 * registered, with the /api prefix) → who may call it, which unit subtree check
 * applies, which rate-limit class, whether CSRF protection applies.
 *
 * The app refuses to start when an /api route has no entry here (auth plugin,
 * onRoute + onReady hooks), so a new route is never accidentally open or closed: add its
 * entry in the same commit as the route. test/auth-matrix.test.ts walks every
 * registered route and checks each role gets exactly what its entry says.
 *
 * - access: 'public' (no login), or the minimum role: viewer < planner < editor < admin.
 * - scope: for editors limited to a unit subtree, where the request names the
 *   unit(s) it changes — { in: 'params' | 'query' | 'body', field, kind: 'unit' | 'facility' | 'point' }
 *   (field may be a dotted path; '*' walks arrays, e.g. 'changes.*.unitCode').
 *   Checked before validation: a target outside the editor's subtree → 403.
 *   'handler' = the handler checks itself with assertCanEditUnits() (e.g. imports,
 *   whose units are only known after parsing the file). Routes that derive a unit
 *   from something else (e.g. coordinates) must call assertCanEditUnit() too.
 *   'refuse' = editors limited to a subtree may not call it at all (fail closed:
 *   for writes whose units neither the table nor the handler checks yet).
 * - rate: 'api' (default), 'expensive' (evaluations, reports, imports, exports),
 *   'login', or 'none'. Limits per minute come from config (RATE_LIMIT_*).
 * - csrf: state-changing requests of a cookie session need the session's CSRF
 *   token (default true; false only where a browser has none to send, e.g. login).
 *   Every state-changing request, whatever the entry, needs a same-site Origin.
 * - duringPasswordChange: callable by a user who must still replace a one-time password.
 *
 * See server/auth/README.md for how route authors use this.
 */
import type { Role } from './roles.ts';

export type Access = 'public' | Role;
export type RateClass = 'api' | 'expensive' | 'login' | 'none';

export interface ScopeSource {
  in: 'params' | 'query' | 'body';
  field: string;
  /**
   * unit: a unit code; facility: a facility id (judged where it stands now);
   * point: a { lon, lat } object (with an optional sibling `crs`: wgs84 | gcj02 | bd09),
   * judged by the smallest unit whose boundary contains it.
   */
  kind: 'unit' | 'facility' | 'point';
}

export interface RoutePolicy {
  access: Access;
  scope?: readonly ScopeSource[] | 'handler' | 'refuse';
  rate?: RateClass;
  csrf?: boolean;
  duringPasswordChange?: boolean;
  /** The feature that owns the route (documentation; named in the matrix test's messages). */
  owner: string;
}

const docs: RoutePolicy = { access: 'public', rate: 'none', owner: 'foundation: server/plugins/openapi.ts' };
const self: RoutePolicy = { access: 'viewer', duringPasswordChange: true, owner: 'auth: server/auth/routes.ts' };
const admin: RoutePolicy = { access: 'admin', owner: 'auth: server/auth/admin-routes.ts' };
const share: RoutePolicy = { access: 'planner', owner: 'auth: server/auth/share-routes.ts' };
const scenarios = 'scenarios: server/scenarios/routes.ts';

export const POLICY: Readonly<Record<string, RoutePolicy>> = {
  // ── system and documentation ──────────────────────────────────────────────
  'GET /api/health': { access: 'public', rate: 'none', owner: 'foundation: server/health/routes.ts' },
  'GET /api/openapi.json': docs,
  'GET /api/docs': docs,
  'GET /api/docs/': docs,
  'GET /api/docs/static/index.html': docs,
  'GET /api/docs/static/swagger-initializer.js': docs,
  'GET /api/docs/json': docs,
  'GET /api/docs/yaml': docs,
  'GET /api/docs/static/*': docs,

  // ── reference data (read) ─────────────────────────────────────────────────
  'GET /api/units': { access: 'viewer', owner: 'foundation: server/units/routes.ts' },
  'GET /api/units/:code': { access: 'viewer', owner: 'foundation: server/units/routes.ts' },
  'GET /api/facilities': { access: 'viewer', owner: 'foundation: server/facilities/routes.ts' },
  'GET /api/facilities/:id': { access: 'viewer', owner: 'foundation: server/facilities/routes.ts' },
  // Registry edits (server/facilities/routes.ts): the facility's current unit and a new unitCode are
  // checked here; a unit inferred from the location on create is checked in the handler.
  'POST /api/facilities': {
    access: 'editor',
    scope: [
      { in: 'body', field: 'unitCode', kind: 'unit' },
      { in: 'body', field: 'location', kind: 'point' },
    ],
    owner: 'data: server/facilities/routes.ts',
  },
  'PATCH /api/facilities/:id': {
    access: 'editor',
    scope: [
      { in: 'params', field: 'id', kind: 'facility' },
      { in: 'body', field: 'unitCode', kind: 'unit' },
      // A move by coordinates alone: the unit whose boundary contains the new point.
      { in: 'body', field: 'location', kind: 'point' },
    ],
    owner: 'data: server/facilities/routes.ts',
  },
  'POST /api/facilities/:id/close': {
    access: 'editor',
    scope: [
      { in: 'params', field: 'id', kind: 'facility' },
      { in: 'body', field: 'mergedIntoId', kind: 'facility' },
    ],
    owner: 'data: server/facilities/routes.ts',
  },
  'GET /api/facilities/:id/history': { access: 'viewer', owner: 'data: server/facilities/routes.ts' },

  // ── import / export (server/importexport/routes.ts) ───────────────────────
  'GET /api/imports/kinds': { access: 'viewer', owner: 'data: server/importexport/routes.ts' },
  // Rows' units are known only after parsing: runImport checks every unit the file would change
  // (and where changed rows stood before) with assertCanEditUnits before anything is written.
  'POST /api/imports/:kind': { access: 'editor', rate: 'expensive', scope: 'handler', owner: 'data: server/importexport/routes.ts' },
  'GET /api/exports/:kind': { access: 'viewer', rate: 'expensive', owner: 'data: server/importexport/routes.ts' },

  // ── rules, rule sets, evaluations (server/rules/routes.ts) ────────────────
  'GET /api/rules': { access: 'viewer', owner: 'rules: server/rules/routes.ts' },
  'GET /api/rules/:id': { access: 'viewer', owner: 'rules: server/rules/routes.ts' },
  'GET /api/rule-sets': { access: 'viewer', owner: 'rules: server/rules/routes.ts' },
  'GET /api/rule-sets/:id': { access: 'viewer', owner: 'rules: server/rules/routes.ts' },
  // Planners copy and change their own rule sets (ownership checked in the handler).
  'POST /api/rule-sets': { access: 'planner', owner: 'rules: server/rules/routes.ts' },
  'PATCH /api/rule-sets/:id': { access: 'planner', owner: 'rules: server/rules/routes.ts' },
  'DELETE /api/rule-sets/:id': { access: 'planner', owner: 'rules: server/rules/routes.ts' },
  // Which rule set is the default is the admins' choice (issue 7: admin — users, roles, default rule set).
  'POST /api/rule-sets/:id/default': { access: 'admin', owner: 'rules: server/rules/routes.ts' },
  'GET /api/evaluations': { access: 'viewer', rate: 'expensive', owner: 'rules: server/rules/routes.ts' },
  'GET /api/evaluations/export': { access: 'viewer', rate: 'expensive', owner: 'rules: server/rules/routes.ts' },

  // ── authentication and the user's own account (server/auth/routes.ts) ─────
  // csrf: false — logging in again over a live session has no token to send; the Origin check still applies.
  'POST /api/auth/login': { access: 'public', rate: 'login', csrf: false, owner: 'auth: server/auth/routes.ts' },
  'POST /api/auth/logout': { access: 'public', duringPasswordChange: true, owner: 'auth: server/auth/routes.ts' },
  'GET /api/auth/me': { access: 'public', duringPasswordChange: true, owner: 'auth: server/auth/routes.ts' },
  'POST /api/auth/password': self,
  'GET /api/auth/tokens': self,
  'POST /api/auth/tokens': { ...self, duringPasswordChange: false },
  'DELETE /api/auth/tokens/:id': self,

  // ── administration (server/auth/admin-routes.ts) ──────────────────────────
  'GET /api/admin/users': admin,
  'POST /api/admin/users': admin,
  'GET /api/admin/users/:id': admin,
  'PATCH /api/admin/users/:id': admin,
  'POST /api/admin/users/:id/password': admin,
  'DELETE /api/admin/users/:id/sessions': admin,
  'GET /api/admin/tokens': admin,
  'DELETE /api/admin/tokens/:id': admin,
  'GET /api/admin/audit': admin,
  'GET /api/admin/audit/export': { ...admin, rate: 'expensive' },

  // ── access engine and vector tiles (server/access/routes.ts, server/tiles/routes.ts) ──
  // Results are cached per rule set and data version; a map view asks for many tiles.
  'GET /api/access/params': { access: 'viewer', owner: 'access: server/access/routes.ts' },
  'GET /api/access/units': { access: 'viewer', owner: 'access: server/access/routes.ts' },
  'GET /api/access/units/:code': { access: 'viewer', owner: 'access: server/access/routes.ts' },
  'GET /api/access/circle': { access: 'viewer', owner: 'access: server/access/routes.ts' },
  'GET /api/access/gaps': { access: 'viewer', owner: 'access: server/access/routes.ts' },
  'GET /api/access/catchments': { access: 'viewer', owner: 'access: server/access/routes.ts' },
  'GET /api/access/cells': { access: 'viewer', owner: 'access: server/access/routes.ts' },
  'GET /api/tiles': { access: 'viewer', owner: 'access: server/tiles/routes.ts' },
  'GET /api/tiles/:layer/:z/:x/:y.pbf': { access: 'viewer', owner: 'access: server/tiles/routes.ts' },

  // ── scenarios and the merge advisor (server/scenarios/routes.ts) ──────────
  // Privacy per scenario in the handlers (assertCanRead/Edit/ManageScenario); scenarios never change
  // the baseline, so no unit scope applies. Evaluations, diffs, exports and the advisor are expensive.
  'GET /api/scenarios': { access: 'viewer', owner: scenarios },
  'POST /api/scenarios': { access: 'planner', owner: scenarios },
  'GET /api/scenarios/:id': { access: 'viewer', owner: scenarios },
  'PATCH /api/scenarios/:id': { access: 'planner', owner: scenarios },
  'DELETE /api/scenarios/:id': { access: 'planner', owner: scenarios },
  'POST /api/scenarios/:id/duplicate': { access: 'planner', owner: scenarios },
  'GET /api/scenarios/:id/changes': { access: 'viewer', owner: scenarios },
  'POST /api/scenarios/:id/changes': { access: 'planner', owner: scenarios },
  'DELETE /api/scenarios/:id/changes/:changeId': { access: 'planner', owner: scenarios },
  'PUT /api/scenarios/:id/changes/order': { access: 'planner', owner: scenarios },
  'GET /api/scenarios/:id/evaluation': { access: 'viewer', rate: 'expensive', owner: scenarios },
  'GET /api/scenarios/:id/diff': { access: 'viewer', rate: 'expensive', owner: scenarios },
  'GET /api/scenarios/:id/diff/export': { access: 'viewer', rate: 'expensive', owner: scenarios },
  'GET /api/merge-advisor': { access: 'viewer', rate: 'expensive', owner: scenarios },

  // ── map UI (server/ui/routes.ts) ──────────────────────────────────────────
  // config is public: the login view needs the auth mode and basemap before anyone logs in.
  'GET /api/ui/config': { access: 'public', owner: 'ui: server/ui/routes.ts' },
  'GET /api/ui/search': { access: 'viewer', owner: 'ui: server/ui/routes.ts' },
  'GET /api/ui/unit-stats': { access: 'viewer', rate: 'expensive', owner: 'ui: server/ui/routes.ts' },

  // ── gap reports (server/reports/routes.ts) ─────────────────────────────────
  // A scenario's report passes the same read check as GET /api/scenarios/:id (in the handler).
  'GET /api/reports/units/:code': { access: 'viewer', rate: 'expensive', owner: 'reports: server/reports/routes.ts' },

  // ── scenario sharing (server/auth/share-routes.ts; ownership rules in server/auth/scenarios.ts) ──
  'GET /api/scenarios/:id/shares': share,
  'PUT /api/scenarios/:id/shares/:user': share,
  'DELETE /api/scenarios/:id/shares/:user': share,
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isUnsafeMethod(method: string): boolean {
  return UNSAFE.has(method.toUpperCase());
}

export function isApiUrl(url: string): boolean {
  return url === '/api' || url.startsWith('/api/');
}

export function policyKey(method: string, url: string): string {
  const m = method.toUpperCase();
  // Fastify adds a HEAD route for every GET route: it is the GET route.
  return `${m === 'HEAD' ? 'GET' : m} ${url}`;
}

export function policyFor(method: string, url: string): RoutePolicy | undefined {
  return Object.hasOwn(POLICY, policyKey(method, url)) ? POLICY[policyKey(method, url)] : undefined;
}

export function csrfApplies(method: string, policy: RoutePolicy): boolean {
  return isUnsafeMethod(method) && policy.csrf !== false;
}

export function missingPolicyMessage(method: string, url: string, tags?: unknown): string {
  const tagText = Array.isArray(tags) && tags.length > 0 ? ` (tags: ${tags.join(', ')})` : '';
  return (
    `No access policy for ${method.toUpperCase()} ${url}${tagText}. Every /api route needs an entry in ` +
    `server/auth/policy.ts (POLICY): '${policyKey(method, url)}': { access: 'viewer' | 'planner' | 'editor' | 'admin' | 'public', ` +
    `scope?, rate?, owner: '…' }. See server/auth/README.md.`
  );
}
