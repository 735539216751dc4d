/**
 * Admin queries over the audit log (written by every feature through
 * server/audit/log.ts): filters by actor, action (exact or prefix), entity and
 * time range; JSON pages and a CSV export (UTF-8 with BOM so Excel shows Chinese).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { AppError } from '../errors.ts';

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  entityType?: string | undefined;
  entityId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export const AUDIT_EXPORT_MAX = 100_000;

function time(value: string | undefined, name: string): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new AppError('InvalidParameter', 400, { en: `Parameter '${name}' must be an ISO 8601 time.`, zh: `参数 ${name} 应为 ISO 8601 时间。` });
  }
  return date;
}

function filtered(db: Kysely<Database>, f: AuditFilter) {
  let query = db.selectFrom('audit_log');
  if (f.actor) query = query.where('actor', '=', f.actor.trim());
  if (f.action) {
    const action = f.action.trim();
    if (action.endsWith('*') || action.endsWith('.')) {
      const prefix = action.replace(/\*$/, '');
      query = query.where(sql<boolean>`starts_with(action, ${prefix}::text)`);
    } else {
      query = query.where('action', '=', action);
    }
  }
  if (f.entityType) query = query.where('entity_type', '=', f.entityType.trim());
  if (f.entityId) query = query.where('entity_id', '=', f.entityId.trim());
  const from = time(f.from, 'from');
  const to = time(f.to, 'to');
  if (from && to && from >= to) {
    throw new AppError('InvalidParameter', 400, { en: "'from' must be before 'to'.", zh: '起始时间（from）必须早于结束时间（to）。' });
  }
  if (from) query = query.where('at', '>=', from);
  if (to) query = query.where('at', '<', to);
  return query;
}

const COLUMNS = ['id', 'at', 'actor', 'action', 'entity_type', 'entity_id', 'before', 'after', 'details'] as const;

function toEntry(row: { id: number; at: Date; actor: string; action: string; entity_type: string; entity_id: string | null; before: unknown; after: unknown; details: unknown }) {
  return {
    id: Number(row.id),
    at: new Date(row.at).toISOString(),
    actor: row.actor,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    before: row.before ?? null,
    after: row.after ?? null,
    details: row.details ?? null,
  };
}

export async function queryAudit(db: Kysely<Database>, f: AuditFilter) {
  const query = filtered(db, f);
  const [{ n }, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    query.select(COLUMNS).orderBy('at', 'desc').orderBy('id', 'desc').limit(f.limit ?? 100).offset(f.offset ?? 0).execute(),
  ]);
  return { total: Number(n), entries: rows.map(toEntry) };
}

/** RFC 4180 field; formula-looking text is prefixed with ' so Excel never evaluates it (CSV injection). */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export async function auditCsv(db: Kysely<Database>, f: AuditFilter): Promise<string> {
  const rows = await filtered(db, f).select(COLUMNS).orderBy('at', 'asc').orderBy('id', 'asc').limit(AUDIT_EXPORT_MAX).execute();
  const header = ['编号 id', '时间 at', '操作人 actor', '操作 action', '对象类型 entity_type', '对象 entity_id', '修改前 before', '修改后 after', '详情 details'];
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) {
    const e = toEntry(row);
    lines.push([e.id, e.at, e.actor, e.action, e.entityType, e.entityId, e.before, e.after, e.details].map(csvField).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
