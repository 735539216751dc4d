/**
 * One database layer, two engines: embedded PGlite + PostGIS (default) or
 * PostgreSQL/PostGIS through `pg` when a connection string is given. Everything
 * above this module sees the same `Kysely<Database>`; the few engine differences
 * (e.g. PGlite's PostGIS has no ST_AsMVT) are asked through `handle.engine`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import type { Database } from './schema.ts';

export type Engine = 'pglite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** The embedded instance, when engine is 'pglite' (dump/load of data directories). */
  pglite?: PGlite;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL; when absent the embedded engine is used. */
  databaseUrl?: string | undefined;
  /** Embedded engine: directory of the data files; absent = in memory. */
  pgliteDir?: string | undefined;
  /** Embedded engine: start from a dumped data directory (tar, optionally gzipped). */
  loadDataDir?: Blob | undefined;
  /** Pool size on PostgreSQL. */
  poolSize?: number;
}

// Type OIDs. int8 (count(*), sums, bigint populations) and numeric are parsed to
// numbers on purpose: populations and bed counts are far below 2^53, and callers
// should never receive strings for numbers on one engine and numbers on the other.
const INT8 = 20;
const NUMERIC = 1700;

function pgTypes(): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8) return (value: string) => Number(value);
      if (oid === NUMERIC) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format ?? 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

export async function openDatabase(options: OpenOptions = {}): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      types: pgTypes(),
    });
    // A broken idle client must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const handle: DatabaseHandle = { db, engine: 'postgres', close: () => db.destroy() };
    await ensurePostgis(handle);
    return handle;
  }

  if (options.pgliteDir) fs.mkdirSync(path.dirname(options.pgliteDir), { recursive: true });
  const pglite = new PGlite({
    ...(options.pgliteDir ? { dataDir: options.pgliteDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    extensions: { postgis },
    parsers: { [INT8]: (v: string) => Number(v), [NUMERIC]: (v: string) => Number(v) },
  });
  await pglite.waitReady;
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite: guardAgainstLostErrors(pglite) }) });
  const handle: DatabaseHandle = {
    db,
    engine: 'pglite',
    pglite,
    async close() {
      // Kysely's destroy closes the PGlite instance, which checkpoints to disk.
      await db.destroy();
    },
  };
  await ensurePostgis(handle);
  return handle;
}

/**
 * PGlite's WASM build can lose an error raised inside PostGIS/GEOS (e.g. a
 * TopologyException in ST_Union): the query then "succeeds" with no rows and no
 * row description. A SELECT always has a row description, so its absence means
 * the statement failed; raise it instead of returning a silently wrong empty result.
 */
export class LostQueryError extends Error {
  override name = 'LostQueryError';
}

type QueryFn = PGlite['query'];

function checkedQuery(target: { query: QueryFn }): QueryFn {
  return (async (query: string, params?: unknown[], options?: Parameters<QueryFn>[2]) => {
    const result = await target.query(query, params, options);
    if (/^\s*select\b/i.test(query) && result.fields.length === 0) {
      throw new LostQueryError(
        `The embedded database returned no result for a SELECT: the statement failed inside PostgreSQL/PostGIS ` +
          `(an error the WASM build could not report). Statement: ${query.slice(0, 200)}`,
      );
    }
    return result;
  }) as QueryFn;
}

function guardAgainstLostErrors(pglite: PGlite): PGlite {
  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'query') return checkedQuery(target);
      if (property === 'transaction') {
        return (callback: (tx: unknown) => Promise<unknown>) =>
          target.transaction((tx) =>
            callback(
              new Proxy(tx, {
                get(t, p) {
                  if (p === 'query') return checkedQuery(t);
                  const value = Reflect.get(t, p, t);
                  return typeof value === 'function' ? value.bind(t) : value;
                },
              }),
            ),
          );
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function ensurePostgis(handle: DatabaseHandle): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS postgis`.execute(handle.db);
}

export async function postgisVersion(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ v: string }>`SELECT postgis_lib_version() AS v`.execute(db);
  return rows[0]?.v ?? 'unknown';
}

/** The embedded data directory inside DATA_DIR. */
export function pgliteDirFor(dataDir: string): string {
  return path.join(dataDir, 'pgdata');
}
