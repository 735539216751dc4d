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
});

export interface Config {
  host: string;
  port: number;
  /** PostgreSQL/PostGIS connection string; undefined means embedded PGlite. */
  databaseUrl: string | undefined;
  /** Absolute path of the data directory (embedded database lives in `${dataDir}/pgdata`). */
  dataDir: string;
  logLevel: LogLevel;
  basemapUrl: string | undefined;
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
  return {
    host: parsed.HOST,
    port: parsed.PORT,
    databaseUrl: parsed.DATABASE_URL,
    dataDir: path.resolve(parsed.DATA_DIR),
    logLevel: parsed.LOG_LEVEL,
    basemapUrl: parsed.BASEMAP_URL,
  };
}
