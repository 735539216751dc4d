/**
 * Administration: users (list, create, change role/scope/name, disable, reset
 * password, sign out everywhere), API tokens of everyone (list, revoke) and the
 * audit log (query, CSV export). Every route is admin-only (policy.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import { AppError } from '../errors.ts';
import { ErrorResponse, errorResponses } from '../http/common.ts';
import { actorOf } from '../http/actor.ts';
import { writeAudit } from '../audit/log.ts';
import type { Database } from '../db/schema.ts';
import { deleteUserSessions, findToken, findUserById, listTokens, listUsers, revokeToken, type UserRecord } from './repository.ts';
import { changeUser, createUser, resetPassword, userNotFound } from './service.ts';
import {
  AuditList,
  AuditQuery,
  CreateUserBody,
  IdParam,
  ListTokensQuery,
  ListUsersQuery,
  Ok,
  ResetPasswordBody,
  TokenList,
  UpdateUserBody,
  User,
  UserList,
  UserWithPassword,
} from './schemas.ts';
import { auditCsv, queryAudit } from './audit.ts';

const adminErrors = { ...errorResponses, 401: ErrorResponse, 403: ErrorResponse, 409: ErrorResponse, 429: ErrorResponse } as const;

async function withUnitNames(db: Kysely<Database>, users: UserRecord[]) {
  const codes = [...new Set(users.map((u) => u.unitCode).filter((c): c is string => c !== null))];
  const names = new Map<string, string>();
  if (codes.length > 0) {
    const rows = await db.selectFrom('admin_unit').select(['code', 'name']).where('code', 'in', codes).execute();
    for (const row of rows) names.set(row.code, row.name);
  }
  return users.map((u) => ({ ...u, unitName: u.unitCode ? (names.get(u.unitCode) ?? null) : null }));
}

const adminRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/admin/users',
    { schema: { tags: ['admin'], summary: 'List users', querystring: ListUsersQuery, response: { 200: UserList, ...adminErrors } } },
    async (request) => {
      const q = request.query;
      const { total, rows } = await listUsers(app.db, { q: q.q?.trim() || undefined, role: q.role, disabled: q.disabled, limit: q.limit ?? 100, offset: q.offset ?? 0 });
      return { total, users: await withUnitNames(app.db, rows) };
    },
  );

  app.post(
    '/admin/users',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create a user (without a password: a one-time password is generated and returned once)',
        body: CreateUserBody,
        response: { 201: UserWithPassword, ...adminErrors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { user, oneTimePassword } = await createUser(app.db, actorOf(request).id, {
        name: b.name,
        displayName: b.displayName,
        role: b.role,
        unitCode: b.unitCode ?? null,
        password: b.password,
      });
      const [withName] = await withUnitNames(app.db, [user]);
      return reply.code(201).send({ user: withName!, oneTimePassword });
    },
  );

  app.get(
    '/admin/users/:id',
    { schema: { tags: ['admin'], summary: 'One user', params: IdParam, response: { 200: User, ...adminErrors } } },
    async (request) => {
      const user = await findUserById(app.db, request.params.id);
      if (!user) throw userNotFound(request.params.id);
      return (await withUnitNames(app.db, [user]))[0]!;
    },
  );

  app.patch(
    '/admin/users/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change display name, role, unit scope or disabled (with the version you read; stale → 409)',
        params: IdParam,
        body: UpdateUserBody,
        response: { 200: User, ...adminErrors },
      },
    },
    async (request) => {
      const updated = await changeUser(app.db, actorOf(request).id, request.params.id, request.body);
      return (await withUnitNames(app.db, [updated]))[0]!;
    },
  );

  app.post(
    '/admin/users/:id/password',
    {
      schema: {
        tags: ['admin'],
        summary: 'Reset a password (generated one-time password unless given); the user must change it; their sessions end',
        params: IdParam,
        body: ResetPasswordBody,
        response: { 200: UserWithPassword, ...adminErrors },
      },
    },
    async (request) => {
      const { user, oneTimePassword } = await resetPassword(app.db, actorOf(request).id, request.params.id, request.body.password);
      return { user: (await withUnitNames(app.db, [user]))[0]!, oneTimePassword };
    },
  );

  app.delete(
    '/admin/users/:id/sessions',
    { schema: { tags: ['admin'], summary: 'Sign a user out everywhere', params: IdParam, response: { 200: Ok, ...adminErrors } } },
    async (request) => {
      const user = await findUserById(app.db, request.params.id);
      if (!user) throw userNotFound(request.params.id);
      const ended = await app.db.transaction().execute(async (trx) => {
        const n = await deleteUserSessions(trx, user.id);
        await writeAudit(trx, { actor: actorOf(request).id, action: 'user.sessions_end', entityType: 'user', entityId: user.name, details: { sessionsEnded: n } });
        return n;
      });
      return { ok: true, message: `${ended} session(s) of ${user.name} ended.`, messageZh: `已结束 ${user.name} 的 ${ended} 个会话。` };
    },
  );

  app.get(
    '/admin/tokens',
    { schema: { tags: ['admin'], summary: 'API tokens of all users (never the secrets)', querystring: ListTokensQuery, response: { 200: TokenList, ...adminErrors } } },
    async (request) => {
      const q = request.query;
      const { total, rows } = await listTokens(app.db, { userId: q.userId, active: q.active, limit: q.limit ?? 100, offset: q.offset ?? 0 });
      return { total, tokens: rows };
    },
  );

  app.delete(
    '/admin/tokens/:id',
    { schema: { tags: ['admin'], summary: "Revoke anyone's API token", params: IdParam, response: { 200: Ok, ...adminErrors } } },
    async (request) => {
      const token = await findToken(app.db, request.params.id);
      if (!token) throw new AppError('TokenNotFound', 404, { en: `No API token ${request.params.id}.`, zh: `没有编号为 ${request.params.id} 的 API 令牌。` });
      const actor = actorOf(request).id;
      await app.db.transaction().execute(async (trx) => {
        const revoked = await revokeToken(trx, token.id, actor);
        if (revoked) {
          await writeAudit(trx, { actor, action: 'token.revoke', entityType: 'api_token', entityId: token.id, details: { owner: token.userName, prefix: token.prefix } });
        }
      });
      return { ok: true, message: `Token ${token.prefix}… of ${token.userName} revoked.`, messageZh: `已撤销 ${token.userName} 的令牌 ${token.prefix}…。` };
    },
  );

  app.get(
    '/admin/audit',
    {
      schema: {
        tags: ['admin'],
        summary: 'The audit log, newest first, filtered by actor, action (or prefix), entity and time range',
        querystring: AuditQuery,
        response: { 200: AuditList, ...adminErrors },
      },
    },
    async (request) => queryAudit(app.db, request.query),
  );

  app.get(
    '/admin/audit/export',
    {
      schema: {
        tags: ['admin'],
        summary: 'The filtered audit log as CSV (UTF-8 with BOM for Excel), up to 100,000 rows',
        querystring: AuditQuery,
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'CSV, UTF-8 with BOM' }), ...adminErrors },
      },
    },
    async (request, reply) => {
      const csv = await auditCsv(app.db, request.query);
      const stamp = new Date().toISOString().slice(0, 10);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-${stamp}.csv"`)
        .send(csv);
    },
  );
};

export default adminRoutes;
