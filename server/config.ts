/**
 * Configuration, parsed once at boot from the environment.
 *
 * Nothing else in the code base reads `process.env`: everything it needs is a
 * field of `Config`, so a typo in a variable name is a compile error and a bad
 * value stops the start with a message that names the variable.
 */
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

export const EnvSchema = Type.Object({
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'address to listen on' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port' }),
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: '^postgres(ql)?://', description: 'postgres://user@host:port/db; unset = embedded PGlite' }),
  ),
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'where the embedded database lives' }),
  LOG_LEVEL: Type.Unsafe<LogLevel>({
    type: 'string',
    enum: [...LOG_LEVELS],
    default: 'info',
    description: `one of ${LOG_LEVELS.join(', ')}`,
  }),
  BASEMAP_URL: Type.Optional(
    Type.String({ pattern: '^https?://', description: 'optional raster tile URL template or MapLibre style URL' }),
  ),
  // ── authentication and limits (server/auth, server/plugins/security.ts) ──
  AUTH_MODE: Type.Optional(
    Type.Unsafe<AuthMode>({
      type: 'string',
      enum: ['local', 'required'],
      description: 'local = login-free, everyone is the local admin (loopback HOST only); required = users log in. Default: local on a loopback HOST, required otherwise',
    }),
  ),
  ADMIN_INITIAL_PASSWORD: Type.Optional(
    Type.String({ minLength: 12, maxLength: 200, description: "password of the first admin ('admin') created when AUTH_MODE=required finds no admin; unset = a one-time password is printed once" }),
  ),
  SESSION_TTL_HOURS: Type.Integer({ minimum: 1, maximum: 720, default: 12, description: 'a login session ends this many hours after login' }),
  SESSION_IDLE_MINUTES: Type.Integer({ minimum: 5, maximum: 43200, default: 120, description: 'a session unused this long ends' }),
  CORS_ORIGINS: Type.Optional(
    Type.String({ pattern: '^https?://[^,\\s/]+/?(,\\s*https?://[^,\\s/]+/?)*$', description: 'comma-separated origins allowed to call the API from a browser (default: same origin only)' }),
  ),
  TRUST_PROXY: Type.Boolean({ default: false, description: 'true behind a reverse proxy that sets X-Forwarded-For/-Proto (client IP for rate limits, Secure cookies on https)' }),
  RATE_LIMIT_LOGIN: Type.Integer({ minimum: 0, maximum: 100000, default: 10, description: 'login attempts per minute per client address (0 = off)' }),
  RATE_LIMIT_EXPENSIVE: Type.Integer({ minimum: 0, maximum: 1000000, default: 60, description: 'evaluations, reports, imports, exports per minute per user (0 = off)' }),
  RATE_LIMIT_API: Type.Integer({ minimum: 0, maximum: 10000000, default: 3000, description: 'other API requests per minute per user (0 = off)' }),
});

export type AuthMode = 'local' | 'required';

export interface RateLimits {
  /** Per minute per client address; 0 = off. */
  login: number;
  /** Per minute per user (or address); 0 = off. */
  expensive: number;
  api: number;
}

export interface AuthSettings {
  mode: AuthMode;
  /** Password of the first admin when none exists (mode required); undefined = print a one-time password. */
  initialAdminPassword: string | undefined;
  sessionTtlHours: number;
  sessionIdleMinutes: number;
  /** Origins allowed cross-origin (CORS and state-changing requests); empty = same origin only. */
  corsOrigins: string[];
  trustProxy: boolean;
  rateLimits: RateLimits;
}

export const DEFAULT_AUTH: AuthSettings = {
  mode: 'local',
  initialAdminPassword: undefined,
  sessionTtlHours: 12,
  sessionIdleMinutes: 120,
  corsOrigins: [],
  trustProxy: false,
  rateLimits: { login: 10, expensive: 60, api: 3000 },
};

/** 127.0.0.0/8, ::1 and localhost: the only addresses the login-free mode may listen on. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export interface Config {
  host: string;
  port: number;
  /** PostgreSQL/PostGIS connection string; undefined means embedded PGlite. */
  databaseUrl: string | undefined;
  /** Absolute path of the data directory (embedded database lives in `${dataDir}/pgdata`). */
  dataDir: string;
  logLevel: LogLevel;
  basemapUrl: string | undefined;
  /** Authentication mode, sessions, CORS and rate limits (server/auth/README.md). */
  auth: AuthSettings;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parse and validate the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const keys = Object.keys(EnvSchema.properties) as (keyof Static<typeof EnvSchema>)[];
  const raw: Record<string, unknown> = {};
  for (const key of keys) {
    const value = env[key];
    // An empty variable means "not set": `PORT= npm start` should use the default.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(EnvSchema, raw);
  const converted = Value.Convert(EnvSchema, withDefaults);
  const errors = [...Value.Errors(EnvSchema, converted)];
  if (errors.length > 0) {
    const seen = new Set<string>();
    const lines = errors.flatMap((e) => {
      const name = e.instancePath.replace(/^\//, '') || '(environment)';
      if (seen.has(name)) return [];
      seen.add(name);
      const schema = (EnvSchema.properties as Record<string, { description?: string }>)[name];
      const given = name in raw ? JSON.stringify(raw[name]) : 'unset';
      return [`  ${name}=${given}: ${e.message}${schema?.description ? ` (${schema.description})` : ''}`];
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const parsed = converted as Static<typeof EnvSchema>;
  const authMode: AuthMode = parsed.AUTH_MODE ?? (isLoopbackHost(parsed.HOST) ? 'local' : 'required');
  if (authMode === 'local' && !isLoopbackHost(parsed.HOST)) {
    throw new ConfigError(
      `Invalid configuration:\n  AUTH_MODE="local" with HOST=${JSON.stringify(parsed.HOST)}: the login-free local mode is only allowed ` +
        `on a loopback address (127.0.0.1, ::1, localhost). To listen on ${parsed.HOST}, set AUTH_MODE=required ` +
        `(the default for non-loopback addresses) and create users (npm run user:add), or set ADMIN_INITIAL_PASSWORD.`,
    );
  }
  return {
    host: parsed.HOST,
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    dataDir: path.resolve(parsed.DATA_DIR),
    logLevel: parsed.LOG_LEVEL,
    basemapUrl: parsed.BASEMAP_URL,
    auth: {
      mode: authMode,
      initialAdminPassword: parsed.ADMIN_INITIAL_PASSWORD,
      sessionTtlHours: parsed.SESSION_TTL_HOURS,
      sessionIdleMinutes: parsed.SESSION_IDLE_MINUTES,
      corsOrigins: parsed.CORS_ORIGINS ? parsed.CORS_ORIGINS.split(',').map((o) => o.trim().replace(/\/$/, '')) : [],
      trustProxy: parsed.TRUST_PROXY,
      rateLimits: { login: parsed.RATE_LIMIT_LOGIN, expensive: parsed.RATE_LIMIT_EXPENSIVE, api: parsed.RATE_LIMIT_API },
    },
  };
}
