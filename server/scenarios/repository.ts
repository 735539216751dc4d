/**
 * Scenario rows and their changes: plain functions of a Kysely instance or a
 * Transaction (writes take a Transaction, so they cannot run outside one).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Principal } from '../auth/principal.ts';
import { visibleScenarios } from '../auth/scenarios.ts';
import type { ChangeRecord, StoredChange } from './changes.ts';

export interface ScenarioRecord {
  id: number;
  name: string;
  description: string | null;
  owner: string | null;
  basedOnId: number | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

interface ScenarioRowDb {
  id: number;
  name: string;
  description: string | null;
  owner: string | null;
  based_on_id: number | null;
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

export function toRecord(row: ScenarioRowDb): ScenarioRecord {
  return {
    id: Number(row.id),
    name: row.name,
    description: row.description,
    owner: row.owner,
    basedOnId: row.based_on_id === null ? null : Number(row.based_on_id),
    version: Number(row.version),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

const SCENARIO_COLUMNS = ['id', 'name', 'description', 'owner', 'based_on_id', 'version', 'created_at', 'updated_at'] as const;

export async function findScenario(db: Kysely<Database>, id: number): Promise<ScenarioRecord | undefined> {
  const row = await db.selectFrom('scenario').select(SCENARIO_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** The scenario row locked for this transaction (writes on it serialise here). */
export async function lockScenario(trx: Transaction<Database>, id: number): Promise<ScenarioRecord | undefined> {
  const row = await trx.selectFrom('scenario').select(SCENARIO_COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** The scenario and the ones it is based on, the root first. */
export async function scenarioChain(db: Kysely<Database>, id: number): Promise<ScenarioRecord[]> {
  const { rows } = await sql<ScenarioRowDb & { depth: number }>`
    WITH RECURSIVE chain AS (
      SELECT s.id, s.name, s.description, s.owner, s.based_on_id, s.version, s.created_at, s.updated_at, 0 AS depth
      FROM scenario AS s WHERE s.id = ${id}
      UNION ALL
      SELECT p.id, p.name, p.description, p.owner, p.based_on_id, p.version, p.created_at, p.updated_at, c.depth + 1
      FROM scenario AS p JOIN chain AS c ON p.id = c.based_on_id
      WHERE c.depth < 64
    )
    SELECT * FROM chain ORDER BY depth DESC`.execute(db);
  return rows.map(toRecord);
}

/** Every scenario based (directly or not) on this one. */
export async function descendantIds(db: Kysely<Database>, id: number): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    WITH RECURSIVE d AS (
      SELECT s.id, 1 AS depth FROM scenario AS s WHERE s.based_on_id = ${id}
      UNION ALL
      SELECT s.id, d.depth + 1 FROM scenario AS s JOIN d ON s.based_on_id = d.id WHERE d.depth < 64
    )
    SELECT DISTINCT id FROM d`.execute(db);
  return rows.map((r) => Number(r.id));
}

interface ChangeRowDb {
  id: number;
  scenario_id: number;
  seq: number;
  kind: string;
  payload: StoredChange;
  created_by: string | null;
  created_at: Date | string;
}

function toChange(row: ChangeRowDb): ChangeRecord {
  const payload = typeof row.payload === 'string' ? (JSON.parse(row.payload) as StoredChange) : row.payload;
  return {
    id: Number(row.id),
    scenarioId: Number(row.scenario_id),
    seq: Number(row.seq),
    change: payload,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Changes of the given scenarios, by scenario then seq. */
export async function changesOf(db: Kysely<Database>, scenarioIds: readonly number[]): Promise<ChangeRecord[]> {
  if (scenarioIds.length === 0) return [];
  const rows = await db
    .selectFrom('scenario_change')
    .select(['id', 'scenario_id', 'seq', 'kind', 'payload', 'created_by', 'created_at'])
    .where('scenario_id', 'in', [...scenarioIds])
    .orderBy('scenario_id')
    .orderBy('seq')
    .execute();
  return rows.map((r) => toChange(r as unknown as ChangeRowDb));
}

export async function insertScenario(
  trx: Transaction<Database>,
  values: { name: string; description: string | null; owner: string; basedOnId: number | null },
): Promise<ScenarioRecord> {
  const row = await trx
    .insertInto('scenario')
    .values({ name: values.name, description: values.description, owner: values.owner, based_on_id: values.basedOnId })
    .returning(SCENARIO_COLUMNS)
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

export async function updateScenarioMeta(trx: Transaction<Database>, id: number, values: { name?: string; description?: string | null }): Promise<void> {
  await trx
    .updateTable('scenario')
    .set({
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.description !== undefined ? { description: values.description } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/**
 * A write happened: the scenario and every scenario based on it get a new
 * version (what they evaluate to has changed), and the time of the change.
 */
export async function bumpVersions(trx: Transaction<Database>, id: number): Promise<number> {
  const ids = [id, ...(await descendantIds(trx, id))];
  await trx
    .updateTable('scenario')
    .set((eb) => ({ version: eb('version', '+', 1), updated_at: sql`now()` }))
    .where('id', 'in', ids)
    .execute();
  const row = await trx.selectFrom('scenario').select('version').where('id', '=', id).executeTakeFirstOrThrow();
  return Number(row.version);
}

export async function insertChanges(trx: Transaction<Database>, scenarioId: number, changes: { seq: number; change: StoredChange; createdBy: string }[]): Promise<ChangeRecord[]> {
  if (changes.length === 0) return [];
  const rows = await trx
    .insertInto('scenario_change')
    .values(changes.map((c) => ({ scenario_id: scenarioId, seq: c.seq, kind: c.change.kind, payload: JSON.stringify(c.change), created_by: c.createdBy })))
    .returning(['id', 'scenario_id', 'seq', 'kind', 'payload', 'created_by', 'created_at'])
    .execute();
  return rows.map((r) => toChange(r as unknown as ChangeRowDb));
}

/** Give a scenario's changes the positions 0…n-1 in the order of `ids` (all of them). */
export async function renumberChanges(trx: Transaction<Database>, scenarioId: number, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  // The unique (scenario, seq) check waits for the end of the transaction.
  await sql`SET CONSTRAINTS scenario_change_seq_unique DEFERRED`.execute(trx);
  await sql`
    UPDATE scenario_change AS c SET seq = o.pos - 1
    FROM unnest(${ids.map(String)}::int8[]) WITH ORDINALITY AS o(id, pos)
    WHERE c.id = o.id AND c.scenario_id = ${scenarioId} AND c.seq <> o.pos - 1`.execute(trx);
}

/** Move every change of a scenario `by` positions back (room for changes in front). */
export async function shiftChanges(trx: Transaction<Database>, scenarioId: number, by: number): Promise<void> {
  if (by === 0) return;
  await sql`SET CONSTRAINTS scenario_change_seq_unique DEFERRED`.execute(trx);
  await sql`UPDATE scenario_change SET seq = seq + ${by} WHERE scenario_id = ${scenarioId}`.execute(trx);
}

export async function deleteChange(trx: Transaction<Database>, scenarioId: number, changeId: number): Promise<void> {
  await trx.deleteFrom('scenario_change').where('scenario_id', '=', scenarioId).where('id', '=', changeId).execute();
}

export async function deleteScenarioRow(trx: Transaction<Database>, id: number): Promise<void> {
  await trx.deleteFrom('scenario').where('id', '=', id).execute();
}

export async function childIds(db: Kysely<Database>, id: number): Promise<number[]> {
  const rows = await db.selectFrom('scenario').select('id').where('based_on_id', '=', id).orderBy('id').execute();
  return rows.map((r) => Number(r.id));
}

export async function setBasedOn(trx: Transaction<Database>, id: number, basedOnId: number | null): Promise<void> {
  await trx.updateTable('scenario').set({ based_on_id: basedOnId }).where('id', '=', id).execute();
}

export interface ScenarioListRow extends ScenarioRecord {
  changes: number;
  sharedWith: number;
}

/** Scenarios the principal may see, newest change first. */
export async function listVisible(db: Kysely<Database>, principal: Principal | null, paging: { limit: number; offset: number; owner?: string | undefined }) {
  let query = db.selectFrom('scenario').where(visibleScenarios(principal));
  if (paging.owner !== undefined) query = query.where('scenario.owner', '=', paging.owner);
  const total = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await query
    .select([
      'scenario.id',
      'scenario.name',
      'scenario.description',
      'scenario.owner',
      'scenario.based_on_id',
      'scenario.version',
      'scenario.created_at',
      'scenario.updated_at',
      (eb) => eb.selectFrom('scenario_change').select((e) => e.fn.countAll<number>().as('n')).whereRef('scenario_change.scenario_id', '=', 'scenario.id').as('changes'),
      (eb) => eb.selectFrom('scenario_share').select((e) => e.fn.countAll<number>().as('n')).whereRef('scenario_share.scenario_id', '=', 'scenario.id').as('shared_with'),
    ])
    .orderBy('scenario.updated_at', 'desc')
    .orderBy('scenario.id', 'desc')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return {
    total: Number(total.n),
    rows: rows.map((r) => ({ ...toRecord(r), changes: Number(r.changes ?? 0), sharedWith: Number(r.shared_with ?? 0) })),
  };
}

/**
 * An id for a facility added in a scenario: the negative of a fresh value of
 * scenario_change's identity sequence — unique across every scenario (so a
 * scenario and the ones based on it never collide) and never a real facility's
 * (those are positive). Duplicates keep their changes' ids: a copy is another
 * chain.
 */
export async function nextScenarioFacilityId(trx: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ id: number }>`SELECT nextval(pg_get_serial_sequence('scenario_change', 'id')) AS id`.execute(trx);
  return -Number(rows[0]!.id);
}

export async function readDataVersion(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('data_state').select('data_version').where('id', '=', 1).executeTakeFirst();
  return Number(row?.data_version ?? 0);
}
