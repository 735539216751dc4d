/**
 * Staging tables: validated rows go into a temporary table in the import's
 * transaction (a few large json_to_recordset statements, not one INSERT per
 * row), and classification and writes are single set-based statements against
 * it. Table and column names come from code constants, never from input; the
 * rows themselves are one bound JSON parameter per chunk.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

export type StageType = 'text' | 'integer' | 'bigint' | 'float8' | 'boolean' | 'text[]' | 'jsonb';

export interface StageColumn {
  name: string;
  type: StageType;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

function definitions(columns: StageColumn[]): string {
  return columns
    .map((c) => {
      if (!IDENT.test(c.name)) throw new Error(`bad staging column name ${c.name}`);
      return `${c.name} ${c.type}`;
    })
    .join(', ');
}

/** Rows per INSERT: one JSON parameter of a few megabytes. */
const CHUNK = 5_000;

export async function createStage(
  trx: Transaction<Database>,
  table: string,
  columns: StageColumn[],
  extraDefinitions = '',
): Promise<void> {
  if (!IDENT.test(table)) throw new Error(`bad staging table name ${table}`);
  await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(trx);
  await sql.raw(`CREATE TEMP TABLE ${table} (${definitions(columns)}${extraDefinitions ? `, ${extraDefinitions}` : ''}) ON COMMIT DROP`).execute(trx);
}

/**
 * Rows go as one JSON parameter per chunk through json_to_recordset (measured
 * faster than positional arrays extracted with ->>, and as fast as unnest of
 * one array per column, with less code).
 */
export async function fillStage(
  db: Kysely<Database>,
  table: string,
  columns: StageColumn[],
  records: Record<string, unknown>[],
): Promise<void> {
  const names = columns.map((c) => c.name).join(', ');
  for (let i = 0; i < records.length; i += CHUNK) {
    const json = JSON.stringify(records.slice(i, i + CHUNK));
    await sql`INSERT INTO ${sql.raw(table)} (${sql.raw(names)})
              SELECT ${sql.raw(names)} FROM json_to_recordset(${json}::json) AS x(${sql.raw(definitions(columns))})`.execute(db);
  }
}
