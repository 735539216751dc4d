/**
 * User management with its rules and audit rows, shared by the admin API, the
 * `user:add` CLI and the first-start admin. Every change writes an audit row in
 * the same transaction (who, what, before/after — never a password or hash).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { AppError, versionConflict } from '../errors.ts';
import { writeAudit } from '../audit/log.ts';
import { assertAcceptablePassword, generatePassword, hashPassword } from './passwords.ts';
import {
  countActiveAdmins,
  deleteUserSessions,
  findUserById,
  findUserByName,
  insertUser,
  lockAdmins,
  updateUser,
  type UserRecord,
} from './repository.ts';
import { isRole, type Role } from './roles.ts';

export const RESERVED_NAMES = new Set(['local', 'system', 'anonymous']);
const NAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;

export function normaliseName(name: string): string {
  return name.trim().toLowerCase();
}

export function userNotFound(id: number | string): AppError {
  return new AppError('UserNotFound', 404, { en: `No user ${id}.`, zh: `没有用户 ${id}。` });
}

/** What an audit row may show of a user (no hashes, no passwords). */
export function auditView(user: UserRecord) {
  return {
    name: user.name,
    displayName: user.displayName,
    role: user.role,
    unitCode: user.unitCode,
    disabled: user.disabled,
    mustChangePassword: user.mustChangePassword,
  };
}

async function assertScopeUnit(db: Kysely<Database>, role: Role, unitCode: string | null): Promise<void> {
  if (unitCode === null) return;
  if (role !== 'editor') {
    throw new AppError('InvalidParameter', 400, {
      en: `A unit scope limits editors only; a ${role} cannot have one. Send unitCode: null, or make the user an editor.`,
      zh: `行政区划范围只适用于“编辑人员”；${role} 不能设置范围。请将 unitCode 设为 null，或把角色改为编辑人员。`,
    }, [{ field: 'unitCode', value: unitCode, en: 'only for role editor', zh: '仅适用于编辑人员' }]);
  }
  const unit = await db.selectFrom('admin_unit').select(['code', 'level']).where('code', '=', unitCode).executeTakeFirst();
  if (!unit || !['region', 'league', 'banner', 'township'].includes(unit.level)) {
    throw new AppError('UnitNotFound', 400, {
      en: `No league, banner or township with code ${unitCode}: an editor's scope must be one of them (e.g. 150430 for 敖汉旗).`,
      zh: `没有代码为 ${unitCode} 的盟市、旗县或苏木乡镇：编辑人员的范围必须是其中之一（例如敖汉旗为 150430）。`,
    }, [{ field: 'unitCode', value: unitCode, en: 'unknown unit', zh: '未知行政区划' }]);
  }
}

export interface CreateUserInput {
  name: string;
  displayName: string;
  role: Role;
  unitCode?: string | null | undefined;
  /** Omit to generate a one-time password the user must change at first login. */
  password?: string | undefined;
  /** Force a change at first login even with a given password. */
  mustChangePassword?: boolean;
}

export async function createUser(db: Kysely<Database>, actor: string, input: CreateUserInput): Promise<{ user: UserRecord; oneTimePassword: string | null }> {
  const name = normaliseName(input.name);
  if (!NAME.test(name)) {
    throw new AppError('InvalidParameter', 400, {
      en: `Login name '${input.name}' is not allowed: 2–63 letters, digits, '.', '_' or '-', starting with a letter or digit.`,
      zh: `登录名“${input.name}”不可用：应为 2–63 个字母、数字、“.”、“_”或“-”，并以字母或数字开头。`,
    }, [{ field: 'name', value: input.name, en: 'invalid login name', zh: '登录名无效' }]);
  }
  if (RESERVED_NAMES.has(name)) {
    throw new AppError('InvalidParameter', 400, { en: `Login name '${name}' is reserved.`, zh: `登录名“${name}”为系统保留。` }, [
      { field: 'name', value: name, en: 'reserved', zh: '保留名称' },
    ]);
  }
  if (!isRole(input.role)) throw new AppError('InvalidParameter', 400, { en: `Unknown role ${String(input.role)}.`, zh: `未知角色 ${String(input.role)}。` });
  const displayName = input.displayName.trim();
  if (!displayName) throw new AppError('InvalidParameter', 400, { en: 'displayName must not be blank.', zh: '显示名称不能为空。' });
  const unitCode = input.unitCode ?? null;
  await assertScopeUnit(db, input.role, unitCode);
  const oneTimePassword = input.password === undefined ? generatePassword() : null;
  const password = input.password ?? oneTimePassword!;
  if (input.password !== undefined) assertAcceptablePassword(input.password, name);
  const passwordHash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    if (await findUserByName(trx, name)) {
      throw new AppError('Conflict', 409, { en: `A user named '${name}' already exists.`, zh: `用户“${name}”已存在。` });
    }
    const user = await insertUser(trx, {
      name,
      displayName,
      role: input.role,
      unitCode,
      passwordHash,
      mustChangePassword: input.mustChangePassword ?? oneTimePassword !== null,
    });
    await writeAudit(trx, { actor, action: 'user.create', entityType: 'user', entityId: user.name, after: auditView(user) });
    return { user, oneTimePassword };
  });
}

export interface UpdateUserInput {
  version: number;
  displayName?: string | undefined;
  role?: Role | undefined;
  unitCode?: string | null | undefined;
  disabled?: boolean | undefined;
}

export async function changeUser(db: Kysely<Database>, actor: string, id: number, input: UpdateUserInput): Promise<UserRecord> {
  const current = await findUserById(db, id);
  if (!current) throw userNotFound(id);
  const role = input.role ?? current.role;
  // A role change away from editor drops a scope that no longer means anything, unless one is given.
  const unitCode = input.unitCode !== undefined ? input.unitCode : role === 'editor' ? current.unitCode : null;
  await assertScopeUnit(db, role, unitCode);
  const displayName = input.displayName?.trim();
  if (input.displayName !== undefined && !displayName) {
    throw new AppError('InvalidParameter', 400, { en: 'displayName must not be blank.', zh: '显示名称不能为空。' });
  }
  return db.transaction().execute(async (trx) => {
    const losesAdmin = current.role === 'admin' && (role !== 'admin' || input.disabled === true);
    if (losesAdmin) {
      await lockAdmins(trx);
      if ((await countActiveAdmins(trx, id)) === 0) {
        throw new AppError('LastAdmin', 409, {
          en: `${current.name} is the last active admin: make another user admin first.`,
          zh: `${current.name} 是最后一个启用的管理员：请先将其他用户设为管理员。`,
        });
      }
    }
    const updated = await updateUser(trx, id, input.version, {
      displayName,
      role: input.role,
      unitCode: unitCode !== current.unitCode ? unitCode : undefined,
      disabled: input.disabled,
    });
    if (!updated) {
      const now = await findUserById(trx, id);
      if (!now) throw userNotFound(id);
      throw versionConflict('user', now.version, input.version);
    }
    // Disabling signs the user out everywhere; their tokens stop working while disabled.
    if (input.disabled === true && !current.disabled) await deleteUserSessions(trx, id);
    const action =
      input.disabled === true && !current.disabled
        ? 'user.disable'
        : input.disabled === false && current.disabled
          ? 'user.enable'
          : role !== current.role || updated.unitCode !== current.unitCode
            ? 'user.role'
            : 'user.update';
    await writeAudit(trx, { actor, action, entityType: 'user', entityId: current.name, before: auditView(current), after: auditView(updated) });
    return updated;
  });
}

/** An admin sets (or generates) a new password; the user must change it at next login; all their sessions end. */
export async function resetPassword(db: Kysely<Database>, actor: string, id: number, password?: string): Promise<{ user: UserRecord; oneTimePassword: string | null }> {
  const current = await findUserById(db, id);
  if (!current) throw userNotFound(id);
  if (password !== undefined) assertAcceptablePassword(password, current.name);
  const oneTimePassword = password === undefined ? generatePassword() : null;
  const passwordHash = await hashPassword(password ?? oneTimePassword!);
  return db.transaction().execute(async (trx) => {
    const user = await updateUser(trx, id, null, { passwordHash, mustChangePassword: true });
    if (!user) throw userNotFound(id);
    const ended = await deleteUserSessions(trx, id);
    await writeAudit(trx, {
      actor,
      action: 'user.password_reset',
      entityType: 'user',
      entityId: user.name,
      details: { sessionsEnded: ended, generated: oneTimePassword !== null },
    });
    return { user, oneTimePassword };
  });
}
