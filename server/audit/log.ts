/**
 * The audit log: who changed what, when, with before/after. Write it in the
 * same transaction as the change it records.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface AuditEntry {
  actor: string;
  /** e.g. facility.create, facility.update, facility.close, import.facilities, ruleset.update, user.create */
  action: string;
  entityType: string;
  entityId?: string | number | null;
  before?: unknown;
  after?: unknown;
  details?: unknown;
}

export async function writeAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  const json = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));
  await db
    .insertInto('audit_log')
    .values({
      actor: entry.actor,
      action: entry.action,
      entity_type: entry.entityType,
      entity_id: entry.entityId === undefined || entry.entityId === null ? null : String(entry.entityId),
      before: json(entry.before),
      after: json(entry.after),
      details: json(entry.details),
    })
    .execute();
}
