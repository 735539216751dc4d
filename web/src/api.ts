/**
 * The one module that talks to the server. Every call goes through `request`,
 * which adds the session's CSRF token to state-changing requests (server/auth:
 * the `x-csrf-token` header), turns error bodies into ApiError with both
 * languages, and reports a lost session so the app can show the login view.
 *
 * `createApi(fetch)` takes the fetch to use: the browser's, or in tests one that
 * answers through the real app (test/web-api.test.ts).
 */
import type {
  AccessParamsResponse,
  AccessUnitDetail,
  CatchmentCollection,
  EvaluationResponse,
  FacilityCollection,
  FacilityDetail,
  GapCollection,
  ImportKinds,
  ImportProblem,
  ImportReport,
  Me,
  MergeAdvice,
  RuleSet,
  RuleSetSummary,
  RulesCatalogue,
  Scenario,
  ScenarioChange,
  ScenarioDiff,
  ScenarioSummary,
  SearchHit,
  UiConfig,
  UnitDetail,
  UnitStatsResponse,
} from './types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly messageZh: string,
    readonly details: ImportProblem[] = [],
    readonly body: Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** For 409 VersionConflict: the version on the server now. */
  get currentVersion(): number | null {
    const v = this.body?.currentVersion;
    return typeof v === 'number' ? v : null;
  }

  get isConflict(): boolean {
    return this.status === 409;
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A 429 on a read is retried once when the server asks to wait at most this long. */
export const MAX_RETRY_AFTER_S = 30;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

export interface ScenarioRef {
  /** null = the baseline. */
  scenario: number | null;
  ruleSet: number | null;
}

const refQuery = (ref: Partial<ScenarioRef>): Query => ({ ruleSet: ref.ruleSet ?? undefined, scenario: ref.scenario ?? undefined });

export function createApi(fetchImpl: FetchLike, base = '') {
  let csrfToken: string | null = null;
  const unauthorizedListeners = new Set<(error: ApiError) => void>();

  async function request<T>(method: string, path: string, options: { query?: Query; body?: unknown; form?: FormData; signal?: AbortSignal } = {}, attempt = 0): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: BodyInit | undefined;
    if (options.form) body = options.form;
    else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    if (UNSAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
    const init: RequestInit = { method, headers, credentials: 'same-origin' };
    if (body !== undefined) init.body = body;
    if (options.signal) init.signal = options.signal;
    const response = await fetchImpl(`${base}${path}${queryString(options.query)}`, init);
    const text = await response.text();
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    // Over the per-minute limit of evaluations (RATE_LIMIT_EXPENSIVE; one user in local mode): a read
    // waits as long as the server says, once, if that is short — clicking through units stays usable.
    const retryAfter = Number(response.headers.get('retry-after'));
    if (response.status === 429 && method === 'GET' && attempt === 0 && Number.isFinite(retryAfter) && retryAfter <= MAX_RETRY_AFTER_S) {
      await sleep(Math.max(0.2, retryAfter) * 1000, options.signal);
      return request<T>(method, path, options, attempt + 1);
    }
    if (!response.ok) {
      const b = (json ?? {}) as Record<string, unknown>;
      const error = new ApiError(
        response.status,
        typeof b.code === 'string' ? b.code : 'HttpError',
        typeof b.message === 'string' ? b.message : `${response.status} ${response.statusText}`,
        typeof b.messageZh === 'string' ? b.messageZh : `请求失败（${response.status}）`,
        Array.isArray(b.details) ? (b.details as ImportProblem[]) : [],
        b,
      );
      if (response.status === 401) for (const listener of unauthorizedListeners) listener(error);
      throw error;
    }
    return json as T;
  }

  const get = <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });

  return {
    request,
    setCsrfToken(token: string | null) {
      csrfToken = token;
    },
    onUnauthorized(listener: (error: ApiError) => void): () => void {
      unauthorizedListeners.add(listener);
      return () => unauthorizedListeners.delete(listener);
    },
    /** An absolute URL of this API (downloads, tile templates). */
    url(path: string, query?: Query): string {
      return `${base}${path}${queryString(query)}`;
    },

    // ── session ──
    config: () => get<UiConfig>('/api/ui/config'),
    me: () => get<Me>('/api/auth/me'),
    login: (name: string, password: string) => request<Me>('POST', '/api/auth/login', { body: { name, password } }),
    logout: () => request<{ ok: boolean }>('POST', '/api/auth/logout'),
    changePassword: (currentPassword: string, newPassword: string) =>
      request<{ ok: boolean; message: string; messageZh: string }>('POST', '/api/auth/password', { body: { currentPassword, newPassword } }),

    // ── units and facilities ──
    unit: (code: string) => get<UnitDetail>(`/api/units/${encodeURIComponent(code)}`),
    search: (q: string, limit = 12, signal?: AbortSignal) => get<{ units: SearchHit[] }>('/api/ui/search', { q, limit }, signal),
    facilities: (query: { q?: string; bbox?: string; type?: string; status?: string; unit?: string; limit?: number }, signal?: AbortSignal) =>
      get<FacilityCollection>('/api/facilities', query, signal),
    facility: (id: number) => get<FacilityDetail>(`/api/facilities/${id}`),
    unitStats: (query: { level: string; unit?: string; indicator?: string } & Partial<ScenarioRef>, signal?: AbortSignal) =>
      get<UnitStatsResponse>('/api/ui/unit-stats', { level: query.level, unit: query.unit, indicator: query.indicator, ...refQuery(query) }, signal),

    // ── rules ──
    rules: () => get<RulesCatalogue>('/api/rules'),
    ruleSets: () => get<{ ruleSets: RuleSetSummary[] }>('/api/rule-sets'),
    ruleSet: (id: number) => get<RuleSet>(`/api/rule-sets/${id}`),
    createRuleSet: (body: { name: string; basedOn?: number; targetYear?: number; params?: unknown; disabledRules?: string[] }) => request<RuleSet>('POST', '/api/rule-sets', { body }),
    updateRuleSet: (id: number, body: { version: number; name?: string; targetYear?: number; params?: unknown; disabledRules?: string[] }) =>
      request<RuleSet>('PATCH', `/api/rule-sets/${id}`, { body }),
    deleteRuleSet: (id: number, version: number) => request<unknown>('DELETE', `/api/rule-sets/${id}`, { query: { version } }),
    evaluations: (query: { unit: string; status?: string; level?: string; rule?: string; limit?: number } & Partial<ScenarioRef>, signal?: AbortSignal) =>
      get<EvaluationResponse>('/api/evaluations', { unit: query.unit, status: query.status, level: query.level, rule: query.rule, limit: query.limit, ...refQuery(query) }, signal),

    // ── access ──
    accessParams: (ruleSet?: number | null) => get<AccessParamsResponse>('/api/access/params', { ruleSet: ruleSet ?? undefined }),
    accessUnit: (code: string, ref: Partial<ScenarioRef> = {}, signal?: AbortSignal) => get<AccessUnitDetail>(`/api/access/units/${encodeURIComponent(code)}`, refQuery(ref), signal),
    gaps: (query: { bbox?: string; unit?: string; class?: string; minPopulation?: number; limit?: number } & Partial<ScenarioRef>, signal?: AbortSignal) =>
      get<GapCollection>('/api/access/gaps', { bbox: query.bbox, unit: query.unit, class: query.class, minPopulation: query.minPopulation, limit: query.limit, ...refQuery(query) }, signal),
    catchments: (query: { bbox?: string; unit?: string; class?: string; small?: boolean; limit?: number } & Partial<ScenarioRef>, signal?: AbortSignal) =>
      get<CatchmentCollection>('/api/access/catchments', { bbox: query.bbox, unit: query.unit, class: query.class, small: query.small, limit: query.limit, ...refQuery(query) }, signal),

    // ── import / export ──
    importKinds: () => get<ImportKinds>('/api/imports/kinds'),
    importFile: (kind: string, file: File | Blob, options: { mode: 'validate' | 'commit'; encoding?: string; crs?: string; filename?: string }) => {
      const form = new FormData();
      form.append('file', file, options.filename ?? (file instanceof File ? file.name : 'upload'));
      return request<ImportReport>('POST', `/api/imports/${encodeURIComponent(kind)}`, {
        form,
        query: { mode: options.mode, encoding: options.encoding, crs: options.crs },
      });
    },

    // ── scenarios ──
    scenarios: () => get<{ scenarios: ScenarioSummary[]; numberMatched: number }>('/api/scenarios', { limit: 500 }),
    scenario: (id: number) => get<Scenario>(`/api/scenarios/${id}`),
    createScenario: (body: { name: string; description?: string | null; basedOn?: number }) => request<Scenario>('POST', '/api/scenarios', { body }),
    updateScenario: (id: number, body: { version: number; name?: string; description?: string | null }) => request<Scenario>('PATCH', `/api/scenarios/${id}`, { body }),
    deleteScenario: (id: number, version: number) => request<unknown>('DELETE', `/api/scenarios/${id}`, { query: { version } }),
    duplicateScenario: (id: number, name?: string) => request<Scenario>('POST', `/api/scenarios/${id}/duplicate`, { body: name ? { name } : {} }),
    addChange: (id: number, version: number, change: Record<string, unknown>, position?: number) =>
      request<{ scenario: Scenario; change: ScenarioChange }>('POST', `/api/scenarios/${id}/changes`, { body: { version, change, ...(position ? { position } : {}) } }),
    removeChange: (id: number, changeId: number, version: number) => request<Scenario>('DELETE', `/api/scenarios/${id}/changes/${changeId}`, { query: { version } }),
    reorderChanges: (id: number, version: number, order: number[]) => request<Scenario>('PUT', `/api/scenarios/${id}/changes/order`, { body: { version, order } }),
    diff: (id: number, query: { against?: string; unit?: string; ruleSet?: number | null; limit?: number } = {}, signal?: AbortSignal) =>
      get<ScenarioDiff>(`/api/scenarios/${id}/diff`, { against: query.against, unit: query.unit, ruleSet: query.ruleSet ?? undefined, limit: query.limit }, signal),
    mergeAdvisor: (query: { unit: string; limit?: number } & Partial<ScenarioRef>, signal?: AbortSignal) =>
      get<MergeAdvice>('/api/merge-advisor', { unit: query.unit, limit: query.limit, ...refQuery(query) }, signal),
  };
}

export type Api = ReturnType<typeof createApi>;

/** The app's client: same origin, the browser's fetch. */
export const api: Api = createApi((input, init) => fetch(input, init));
