/**
 * Users, sessions and API tokens: plain functions of a Kysely or Transaction.
 * Password hashes never leave this module except to `verifyPassword`: the row
 * mappers below drop them, and routes only ever see `UserRecord`.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Role } from './roles.ts';
import { randomSecret, sha256 } from './passwords.ts';

type Db = Kysely<Database> | Transaction<Database>;

export interface UserRecord {
  id: number;
  name: string;
  displayName: string;
  role: Role;
  unitCode: string | null;
  mustChangePassword: boolean;
  disabled: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
  passwordChangedAt: string;
  lastLoginAt: string | null;
}

const USER_COLUMNS = [
  'id',
  'name',
  'display_name',
  'role',
  'unit_code',
  'must_change_password',
  'disabled',
  'version',
  'created_at',
  'updated_at',
  'password_changed_at',
  'last_login_at',
] as const;

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

function toUser(row: {
  id: number;
  name: string;
  display_name: string;
  role: Role;
  unit_code: string | null;
  must_change_password: boolean;
  disabled: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
  password_changed_at: Date;
  last_login_at: Date | null;
}): UserRecord {
  return {
    id: Number(row.id),
    name: row.name,
    displayName: row.display_name,
    role: row.role,
    unitCode: row.unit_code,
    mustChangePassword: row.must_change_password,
    disabled: row.disabled,
    version: row.version,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    passwordChangedAt: iso(row.password_changed_at)!,
    lastLoginAt: iso(row.last_login_at),
  };
}

export async function findUserById(db: Db, id: number): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('app_user').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

export async function findUserByName(db: Db, name: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('app_user').select(USER_COLUMNS).where('name', '=', name).executeTakeFirst();
  return row && toUser(row);
}

/** For login only: the user with the password hash. */
export async function findCredentials(db: Db, name: string): Promise<(UserRecord & { passwordHash: string }) | undefined> {
  const row = await db
    .selectFrom('app_user')
    .select([...USER_COLUMNS, 'password_hash'])
    .where('name', '=', name)
    .executeTakeFirst();
  return row && { ...toUser(row), passwordHash: row.password_hash };
}

export async function passwordHashOf(db: Db, id: number): Promise<string | undefined> {
  const row = await db.selectFrom('app_user').select('password_hash').where('id', '=', id).executeTakeFirst();
  return row?.password_hash;
}

export interface UserFilter {
  q?: string | undefined;
  role?: Role | undefined;
  disabled?: boolean | undefined;
  limit: number;
  offset: number;
}

export async function listUsers(db: Db, filter: UserFilter): Promise<{ total: number; rows: UserRecord[] }> {
  let query = db.selectFrom('app_user');
  if (filter.q) {
    const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('name', 'ilike', like), eb('display_name', 'ilike', like)]));
  }
  if (filter.role) query = query.where('role', '=', filter.role);
  if (filter.disabled !== undefined) query = query.where('disabled', '=', filter.disabled);
  const [{ n }, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    query.select(USER_COLUMNS).orderBy('name').limit(filter.limit).offset(filter.offset).execute(),
  ]);
  return { total: Number(n), rows: rows.map(toUser) };
}

export interface NewUserInput {
  name: string;
  displayName: string;
  role: Role;
  unitCode: string | null;
  passwordHash: string;
  mustChangePassword: boolean;
}

export async function insertUser(db: Db, input: NewUserInput): Promise<UserRecord> {
  const row = await db
    .insertInto('app_user')
    .values({
      name: input.name,
      display_name: input.displayName,
      role: input.role,
      unit_code: input.unitCode,
      password_hash: input.passwordHash,
      must_change_password: input.mustChangePassword,
    })
    .returning(USER_COLUMNS)
    .executeTakeFirstOrThrow();
  return toUser(row);
}

export interface UserChanges {
  displayName?: string | undefined;
  role?: Role | undefined;
  unitCode?: string | null | undefined;
  disabled?: boolean | undefined;
  passwordHash?: string | undefined;
  mustChangePassword?: boolean | undefined;
}

/** Update when the version matches; undefined when it does not (caller answers 409). */
export async function updateUser(db: Db, id: number, expectedVersion: number | null, changes: UserChanges): Promise<UserRecord | undefined> {
  let query = db
    .updateTable('app_user')
    .set((eb) => ({
      version: eb('version', '+', 1),
      updated_at: sql<Date>`now()`,
      ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
      ...(changes.role !== undefined ? { role: changes.role } : {}),
      ...(changes.unitCode !== undefined ? { unit_code: changes.unitCode } : {}),
      ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
      ...(changes.passwordHash !== undefined ? { password_hash: changes.passwordHash, password_changed_at: sql<Date>`now()` } : {}),
      ...(changes.mustChangePassword !== undefined ? { must_change_password: changes.mustChangePassword } : {}),
    }))
    .where('id', '=', id);
  if (expectedVersion !== null) query = query.where('version', '=', expectedVersion);
  const row = await query.returning(USER_COLUMNS).executeTakeFirst();
  return row && toUser(row);
}

export async function countActiveAdmins(db: Db, exceptUserId?: number): Promise<number> {
  let query = db
    .selectFrom('app_user')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled', '=', false);
  if (exceptUserId !== undefined) query = query.where('id', '<>', exceptUserId);
  const { n } = await query.executeTakeFirstOrThrow();
  return Number(n);
}

/** Serialises changes that could remove the last admin (two admins demoting each other at once). */
export async function lockAdmins(trx: Transaction<Database>): Promise<void> {
  await sql`SELECT id FROM app_user WHERE role = 'admin' ORDER BY id FOR UPDATE`.execute(trx);
}

// ── sessions ─────────────────────────────────────────────────────────────────

export interface SessionLookup {
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
  lastSeenAt: Date;
  user: UserRecord;
}

export async function createSession(
  db: Db,
  userId: number,
  ttlHours: number,
  meta: { ip?: string | null; userAgent?: string | null } = {},
): Promise<{ token: string; sessionId: string; csrfToken: string; expiresAt: Date }> {
  const token = randomSecret(32);
  const sessionId = sha256(token);
  const csrfToken = randomSecret(24);
  const row = await db
    .insertInto('user_session')
    .values({
      id: sessionId,
      user_id: userId,
      csrf_token: csrfToken,
      expires_at: sql<Date>`now() + make_interval(hours => ${ttlHours}::int)`,
      ip: meta.ip?.slice(0, 100) ?? null,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
    })
    .returning('expires_at')
    .executeTakeFirstOrThrow();
  return { token, sessionId, csrfToken, expiresAt: new Date(row.expires_at) };
}

/** The live session for a cookie value (not expired, not idle, user enabled), touching last_seen_at at most once a minute. */
export async function findSession(db: Db, token: string, idleMinutes: number): Promise<SessionLookup | undefined> {
  const sessionId = sha256(token);
  const row = await db
    .selectFrom('user_session as s')
    .innerJoin('app_user as u', 'u.id', 's.user_id')
    .select([
      's.id as session_id',
      's.csrf_token',
      's.expires_at',
      's.last_seen_at',
      ...USER_COLUMNS.map((c) => `u.${c}` as const),
      sql<boolean>`s.last_seen_at < now() - interval '1 minute'`.as('stale'),
    ])
    .where('s.id', '=', sessionId)
    .where('s.expires_at', '>', sql<Date>`now()`)
    .where('s.last_seen_at', '>', sql<Date>`now() - make_interval(mins => ${idleMinutes}::int)`)
    .where('u.disabled', '=', false)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.stale) {
    await db.updateTable('user_session').set({ last_seen_at: sql<Date>`now()` }).where('id', '=', sessionId).execute();
  }
  return {
    sessionId: row.session_id,
    csrfToken: row.csrf_token,
    expiresAt: new Date(row.expires_at),
    lastSeenAt: new Date(row.last_seen_at),
    user: toUser(row),
  };
}

export async function deleteSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('user_session').where('id', '=', sessionId).execute();
}

/** Sign a user out everywhere (optionally keeping the current session). */
export async function deleteUserSessions(db: Db, userId: number, keepSessionId?: string): Promise<number> {
  let query = db.deleteFrom('user_session').where('user_id', '=', userId);
  if (keepSessionId) query = query.where('id', '<>', keepSessionId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function purgeExpiredSessions(db: Db, idleMinutes: number): Promise<number> {
  const result = await db
    .deleteFrom('user_session')
    .where((eb) =>
      eb.or([
        eb('expires_at', '<=', sql<Date>`now()`),
        eb('last_seen_at', '<=', sql<Date>`now() - make_interval(mins => ${idleMinutes}::int)`),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function recordLogin(db: Db, userId: number): Promise<void> {
  await db.updateTable('app_user').set({ last_login_at: sql<Date>`now()` }).where('id', '=', userId).execute();
}

// ── API tokens ───────────────────────────────────────────────────────────────

/** Tokens start with this, so that secret scanners and people recognise them. */
export const TOKEN_PREFIX = 'imgp_';

export interface TokenRecord {
  id: number;
  userId: number;
  userName: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  active: boolean;
}

const TOKEN_SELECT = [
  't.id',
  't.user_id',
  'u.name as user_name',
  't.name',
  't.prefix',
  't.created_at',
  't.expires_at',
  't.last_used_at',
  't.revoked_at',
  't.revoked_by',
] as const;

function toToken(row: {
  id: number;
  user_id: number;
  user_name: string;
  name: string;
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
}): TokenRecord {
  const expired = row.expires_at !== null && new Date(row.expires_at).getTime() <= Date.now();
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    userName: row.user_name,
    name: row.name,
    prefix: row.prefix,
    createdAt: iso(row.created_at)!,
    expiresAt: iso(row.expires_at),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
    revokedBy: row.revoked_by,
    active: row.revoked_at === null && !expired,
  };
}

export async function createToken(
  db: Db,
  userId: number,
  name: string,
  expiresInDays: number | null,
): Promise<{ token: string; record: TokenRecord }> {
  const token = `${TOKEN_PREFIX}${randomSecret(32)}`;
  const inserted = await db
    .insertInto('api_token')
    .values({
      user_id: userId,
      name,
      prefix: token.slice(0, TOKEN_PREFIX.length + 6),
      token_hash: sha256(token),
      expires_at: expiresInDays === null ? null : sql<Date>`now() + make_interval(days => ${expiresInDays}::int)`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const record = await findToken(db, Number(inserted.id));
  return { token, record: record! };
}

export async function findToken(db: Db, id: number): Promise<TokenRecord | undefined> {
  const row = await db
    .selectFrom('api_token as t')
    .innerJoin('app_user as u', 'u.id', 't.user_id')
    .select(TOKEN_SELECT)
    .where('t.id', '=', id)
    .executeTakeFirst();
  return row && toToken(row);
}

export async function listTokens(db: Db, filter: { userId?: number | undefined; active?: boolean | undefined; limit: number; offset: number }) {
  let query = db.selectFrom('api_token as t').innerJoin('app_user as u', 'u.id', 't.user_id');
  if (filter.userId !== undefined) query = query.where('t.user_id', '=', filter.userId);
  if (filter.active === true) {
    query = query
      .where('t.revoked_at', 'is', null)
      .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', sql<Date>`now()`)]));
  }
  const [{ n }, rows] = await Promise.all([
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    query.select(TOKEN_SELECT).orderBy('t.id', 'desc').limit(filter.limit).offset(filter.offset).execute(),
  ]);
  return { total: Number(n), rows: rows.map(toToken) };
}

/** The user behind a live token (not revoked, not expired, user enabled); updates last_used_at at most once a minute. */
export async function findUserByToken(db: Db, token: string): Promise<{ tokenId: number; user: UserRecord } | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const row = await db
    .selectFrom('api_token as t')
    .innerJoin('app_user as u', 'u.id', 't.user_id')
    .select([
      't.id as token_id',
      ...USER_COLUMNS.map((c) => `u.${c}` as const),
      sql<boolean>`t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'`.as('stale'),
    ])
    .where('t.token_hash', '=', sha256(token))
    .where('t.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', sql<Date>`now()`)]))
    .where('u.disabled', '=', false)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.stale) {
    await db.updateTable('api_token').set({ last_used_at: sql<Date>`now()` }).where('id', '=', row.token_id).execute();
  }
  return { tokenId: Number(row.token_id), user: toUser(row) };
}

export async function revokeToken(db: Db, id: number, by: string): Promise<TokenRecord | undefined> {
  const updated = await db
    .updateTable('api_token')
    .set({ revoked_at: sql<Date>`now()`, revoked_by: by })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (!updated) return undefined;
  return findToken(db, id);
}
