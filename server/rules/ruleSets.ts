/**
 * Rule sets: the default one (not editable by planners) and users' copies with
 * their own target year, parameters and disabled rules. Plain functions of a
 * Kysely instance; every write runs in a transaction, checks the optimistic
 * version (409 when stale), writes an audit row, and writes nothing on a 4xx.
 */
import { type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { AppError, versionConflict } from '../errors.ts';
import { writeAudit } from '../audit/log.ts';
import type { Actor } from '../http/actor.ts';
import { effectiveParams, patchParams, type RuleSetParams, type RuleSetParamsPatch } from './params.ts';
import { findRule } from './registry.ts';
import type { RuleSetInput } from './engine.ts';
import './setup.ts';

export interface RuleSetRecord extends RuleSetInput {
  description: string | null;
  basedOnId: number | null;
  owner: string | null;
  createdAt: string;
  updatedAt: string;
}

interface RuleSetRow {
  id: number;
  name: string;
  description: string | null;
  is_default: boolean;
  based_on_id: number | null;
  owner: string | null;
  target_year: number;
  params: unknown;
  disabled_rules: string[];
  version: number;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS = ['id', 'name', 'description', 'is_default', 'based_on_id', 'owner', 'target_year', 'params', 'disabled_rules', 'version', 'created_at', 'updated_at'] as const;

function toRecord(row: RuleSetRow): RuleSetRecord {
  return {
    id: Number(row.id),
    name: row.name,
    description: row.description,
    isDefault: row.is_default,
    basedOnId: row.based_on_id === null ? null : Number(row.based_on_id),
    owner: row.owner,
    targetYear: Number(row.target_year),
    params: effectiveParams(row.params),
    disabledRules: row.disabled_rules ?? [],
    version: Number(row.version),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export function ruleSetNotFound(id: number | string): AppError {
  return new AppError('RuleSetNotFound', 404, {
    en: `No rule set with id ${id}. GET /api/rule-sets lists them; omit ruleSet to use the default.`,
    zh: `没有编号为 ${id} 的规则集。可通过 GET /api/rule-sets 查看；不指定 ruleSet 则使用默认规则集。`,
  });
}

function readOnly(): AppError {
  return new AppError('RuleSetReadOnly', 403, {
    en: 'The default rule set cannot be changed or deleted. Copy it (POST /api/rule-sets) and change the copy.',
    zh: '默认规则集不能修改或删除。请先复制（POST /api/rule-sets），再修改副本。',
  });
}

function badParams(problems: { field: string; en: string; zh: string }[]): AppError {
  return new AppError(
    'ValidationFailed',
    400,
    { en: `Invalid rule-set parameters: ${problems.map((p) => p.en).join('; ')}`, zh: `规则集参数无效：${problems.map((p) => p.zh).join('；')}` },
    problems.map((p) => ({ field: `params.${p.field}`, en: p.en, zh: p.zh })),
  );
}

/** Every id must be a catalogue rule; the 400 lists the unknown ones. */
export function checkRuleIds(ids: readonly string[], field = 'disabledRules'): string[] {
  const unknown = ids.filter((id) => !findRule(id));
  if (unknown.length > 0) {
    throw new AppError(
      'RuleNotFound',
      400,
      {
        en: `Unknown rule id(s) in ${field}: ${unknown.join(', ')}. GET /api/rules lists the rule ids.`,
        zh: `${field} 中有未知的规则编号：${unknown.join('、')}。可通过 GET /api/rules 查看规则编号。`,
      },
      unknown.map((id) => ({ field, value: id, en: `unknown rule id ${id}`, zh: `未知规则编号 ${id}` })),
    );
  }
  return [...new Set(ids)].sort();
}

export async function listRuleSets(db: Kysely<Database>): Promise<RuleSetRecord[]> {
  const rows = await db.selectFrom('rule_set').select(COLUMNS).orderBy('is_default', 'desc').orderBy('id').execute();
  return (rows as unknown as RuleSetRow[]).map(toRecord);
}

export async function findRuleSet(db: Kysely<Database>, id: number): Promise<RuleSetRecord | undefined> {
  const row = await db.selectFrom('rule_set').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row as unknown as RuleSetRow) : undefined;
}

export async function getRuleSet(db: Kysely<Database>, id: number): Promise<RuleSetRecord> {
  const found = await findRuleSet(db, id);
  if (!found) throw ruleSetNotFound(id);
  return found;
}

/** The default rule set (created by migration 0400; recreated if someone removed it). */
export async function getDefaultRuleSet(db: Kysely<Database>): Promise<RuleSetRecord> {
  const row = await db.selectFrom('rule_set').select(COLUMNS).where('is_default', '=', true).executeTakeFirst();
  if (row) return toRecord(row as unknown as RuleSetRow);
  const created = await db
    .insertInto('rule_set')
    .values({ name: '默认规则集 · Default rule set', is_default: true, target_year: 2025, params: JSON.stringify({ rules: {}, access: {} }), description: null, based_on_id: null, owner: null })
    .onConflict((oc) => oc.doNothing())
    .returning(COLUMNS)
    .executeTakeFirst();
  if (created) return toRecord(created as unknown as RuleSetRow);
  return getDefaultRuleSet(db);
}

export interface CreateRuleSet {
  name: string;
  description?: string | null | undefined;
  basedOn?: number | undefined;
  targetYear?: 2025 | 2030 | undefined;
  params?: RuleSetParamsPatch | undefined;
  disabledRules?: string[] | undefined;
}

/** Copy a rule set (the default one unless `basedOn`), applying the given changes. */
export async function createRuleSet(db: Kysely<Database>, actor: Actor, input: CreateRuleSet): Promise<RuleSetRecord> {
  return db.transaction().execute(async (trx) => {
    const base = input.basedOn !== undefined ? await getRuleSet(trx, input.basedOn) : await getDefaultRuleSet(trx);
    const { params, problems } = patchParams(base.params, input.params);
    if (problems.length > 0) throw badParams(problems);
    const disabled = input.disabledRules !== undefined ? checkRuleIds(input.disabledRules) : [...base.disabledRules];
    const row = await trx
      .insertInto('rule_set')
      .values({
        name: input.name.trim(),
        description: input.description?.trim() || null,
        is_default: false,
        based_on_id: base.id,
        owner: actor.id,
        target_year: input.targetYear ?? base.targetYear,
        // A copy keeps a full snapshot, so later changes of the code defaults do not move it.
        params: JSON.stringify(params),
        disabled_rules: disabled,
      })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
    const created = toRecord(row as unknown as RuleSetRow);
    await writeAudit(trx, { actor: actor.id, action: 'ruleset.create', entityType: 'rule_set', entityId: created.id, after: snapshot(created), details: { basedOn: base.id } });
    return created;
  });
}

export interface UpdateRuleSet {
  version: number;
  name?: string | undefined;
  description?: string | null | undefined;
  targetYear?: 2025 | 2030 | undefined;
  params?: RuleSetParamsPatch | undefined;
  disabledRules?: string[] | undefined;
}

function snapshot(r: RuleSetRecord) {
  return { name: r.name, description: r.description, targetYear: r.targetYear, params: r.params, disabledRules: r.disabledRules, version: r.version };
}

async function lockForWrite(trx: Transaction<Database>, id: number, version: number): Promise<RuleSetRecord> {
  const row = await trx.selectFrom('rule_set').select(COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw ruleSetNotFound(id);
  const current = toRecord(row as unknown as RuleSetRow);
  if (current.isDefault) throw readOnly();
  if (current.version !== version) throw versionConflict('rule set', current.version, version);
  return current;
}

export async function updateRuleSet(db: Kysely<Database>, actor: Actor, id: number, input: UpdateRuleSet): Promise<RuleSetRecord> {
  return db.transaction().execute(async (trx) => {
    const current = await lockForWrite(trx, id, input.version);
    const { params, problems } = patchParams(current.params, input.params);
    if (problems.length > 0) throw badParams(problems);
    const disabled = input.disabledRules !== undefined ? checkRuleIds(input.disabledRules) : current.disabledRules;
    const row = await trx
      .updateTable('rule_set')
      .set({
        name: input.name !== undefined ? input.name.trim() : current.name,
        description: input.description !== undefined ? input.description?.trim() || null : current.description,
        target_year: input.targetYear ?? current.targetYear,
        params: JSON.stringify(params),
        disabled_rules: [...disabled],
        version: current.version + 1,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .where('version', '=', current.version)
      .returning(COLUMNS)
      .executeTakeFirst();
    if (!row) throw versionConflict('rule set', current.version + 1, input.version);
    const updated = toRecord(row as unknown as RuleSetRow);
    await writeAudit(trx, { actor: actor.id, action: 'ruleset.update', entityType: 'rule_set', entityId: id, before: snapshot(current), after: snapshot(updated) });
    return updated;
  });
}

export async function deleteRuleSet(db: Kysely<Database>, actor: Actor, id: number, version: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const current = await lockForWrite(trx, id, version);
    await trx.deleteFrom('rule_set').where('id', '=', id).execute();
    await writeAudit(trx, { actor: actor.id, action: 'ruleset.delete', entityType: 'rule_set', entityId: id, before: snapshot(current) });
  });
}

/**
 * Make a rule set the default (admins): evaluations, maps, scenarios and reports
 * that name no rule set use it from the next request. Like every default it is
 * read-only from then on; the previous default becomes an ordinary rule set
 * without an owner (admins may change or delete it). `version` is the rule set's
 * version the admin looked at (409 when it has changed since).
 */
export async function makeDefaultRuleSet(db: Kysely<Database>, actor: Actor, id: number, version: number): Promise<RuleSetRecord> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('rule_set').select(COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) throw ruleSetNotFound(id);
    const target = toRecord(row as unknown as RuleSetRow);
    if (target.version !== version) throw versionConflict('rule set', target.version, version);
    if (target.isDefault) return target;
    // One default at a time (unique partial index): clear the old flag first.
    const previous = await trx.updateTable('rule_set').set({ is_default: false, updated_at: new Date() }).where('is_default', '=', true).returning('id').executeTakeFirst();
    const updated = await trx.updateTable('rule_set').set({ is_default: true, updated_at: new Date() }).where('id', '=', id).returning(COLUMNS).executeTakeFirstOrThrow();
    await writeAudit(trx, {
      actor: actor.id,
      action: 'ruleset.default',
      entityType: 'rule_set',
      entityId: id,
      before: { defaultRuleSetId: previous ? Number(previous.id) : null },
      after: { defaultRuleSetId: id, ...snapshot(target) },
    });
    return toRecord(updated as unknown as RuleSetRow);
  });
}

export type { RuleSetParams };
