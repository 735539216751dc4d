/**
 * Login, logout, "who am I", the user's own password and API tokens; plus the
 * admin and sharing routes (registered from here so that server/routes.ts
 * needs one line for the whole auth feature).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { errorResponses } from '../http/common.ts';
import { ErrorResponse } from '../http/common.ts';
import { writeAudit } from '../audit/log.ts';
import { assertAcceptablePassword, dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import {
  createSession,
  createToken,
  deleteSession,
  deleteUserSessions,
  findCredentials,
  findToken,
  listTokens,
  passwordHashOf,
  purgeExpiredSessions,
  recordLogin,
  revokeToken,
  updateUser,
} from './repository.ts';
import { CSRF_COOKIE, SESSION_COOKIE, unauthorized } from './plugin.ts';
import { normaliseName } from './service.ts';
import { ChangePasswordBody, IdParam, LoginBody, Me, NewToken, NewTokenBody, Ok, TokenList } from './schemas.ts';
import adminRoutes from './admin-routes.ts';
import shareRoutes from './share-routes.ts';

const authErrors = { ...errorResponses, 401: ErrorResponse, 403: ErrorResponse, 429: ErrorResponse } as const;

function invalidCredentials(): AppError {
  return new AppError('InvalidCredentials', 401, {
    en: 'Wrong login name or password, or the account is disabled.',
    zh: '登录名或密码错误，或账号已停用。',
  });
}

function cookieOptions(request: FastifyRequest, maxAgeSeconds: number, httpOnly: boolean) {
  return {
    path: '/',
    httpOnly,
    sameSite: 'strict' as const,
    secure: request.protocol === 'https',
    maxAge: maxAgeSeconds,
  };
}

function clearCookies(request: FastifyRequest, reply: FastifyReply) {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' });
  reply.clearCookie(CSRF_COOKIE, { path: '/', sameSite: 'strict', secure: request.protocol === 'https' });
}

function requireUser(request: FastifyRequest): number {
  const principal = request.principal;
  if (!principal) throw unauthorized('none');
  if (principal.userId === null) {
    throw new AppError('InvalidParameter', 400, {
      en: 'The login-free local mode has no user account: create a user (npm run user:add) and log in to manage passwords and API tokens.',
      zh: '免登录本地模式没有用户账号：请先创建用户（npm run user:add）并登录，再管理密码和 API 令牌。',
    });
  }
  return principal.userId;
}

const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const settings = app.authSettings;
  let lastPurge = 0;

  app.post(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in: sets an HttpOnly SameSite=Strict session cookie and returns the CSRF token',
        body: LoginBody,
        response: { 200: Me, ...authErrors },
      },
    },
    async (request, reply) => {
      const name = normaliseName(request.body.name);
      const user = await findCredentials(app.db, name);
      // Same work whether or not the name exists: no timing oracle for valid names.
      const ok = await verifyPassword(request.body.password, user?.passwordHash ?? (await dummyPasswordHash()));
      if (!user || !ok || user.disabled) {
        await writeAudit(app.db, {
          actor: name.slice(0, 63) || '(empty)',
          action: 'auth.login_failed',
          entityType: 'user',
          entityId: user ? user.name : null,
          details: { ip: request.ip, reason: !user ? 'unknown user' : user.disabled ? 'disabled' : 'wrong password' },
        });
        throw invalidCredentials();
      }
      if (needsRehash(user.passwordHash)) {
        await updateUser(app.db, user.id, null, { passwordHash: await hashPassword(request.body.password) });
      }
      const session = await createSession(app.db, user.id, settings.sessionTtlHours, {
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      });
      await recordLogin(app.db, user.id);
      await writeAudit(app.db, { actor: user.name, action: 'auth.login', entityType: 'user', entityId: user.name, details: { ip: request.ip } });
      if (Date.now() - lastPurge > 3_600_000) {
        lastPurge = Date.now();
        await purgeExpiredSessions(app.db, settings.sessionIdleMinutes);
      }
      const maxAge = settings.sessionTtlHours * 3600;
      reply.setCookie(SESSION_COOKIE, session.token, cookieOptions(request, maxAge, true));
      reply.setCookie(CSRF_COOKIE, session.csrfToken, cookieOptions(request, maxAge, false));
      return {
        mode: settings.mode,
        authenticated: true,
        via: 'session' as const,
        user: {
          id: user.id,
          name: user.name,
          displayName: user.displayName,
          role: user.role,
          unitCode: user.role === 'editor' ? user.unitCode : null,
          mustChangePassword: user.mustChangePassword,
        },
        csrfToken: session.csrfToken,
        sessionExpiresAt: session.expiresAt.toISOString(),
      };
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: { tags: ['auth'], summary: 'End this session (idempotent)', response: { 200: Ok, ...authErrors } },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal?.via === 'session' && principal.sessionId) {
        await deleteSession(app.db, principal.sessionId);
        await writeAudit(app.db, { actor: principal.name, action: 'auth.logout', entityType: 'user', entityId: principal.name });
      }
      clearCookies(request, reply);
      return { ok: true, message: 'Logged out.', messageZh: '已退出登录。' };
    },
  );

  app.get(
    '/auth/me',
    { schema: { tags: ['auth'], summary: 'Who am I: mode, user, role, scope and the CSRF token of this session', response: { 200: Me, ...authErrors } } },
    async (request) => {
      const p = request.principal;
      return {
        mode: settings.mode,
        authenticated: p !== null,
        via: p?.via ?? null,
        user: p
          ? { id: p.userId, name: p.name, displayName: p.displayName, role: p.role, unitCode: p.unitCode, mustChangePassword: p.mustChangePassword }
          : null,
        csrfToken: p?.csrfToken ?? null,
        sessionExpiresAt: p?.sessionExpiresAt ?? null,
      };
    },
  );

  app.post(
    '/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change your own password (ends your other sessions)',
        body: ChangePasswordBody,
        response: { 200: Ok, ...authErrors },
      },
    },
    async (request) => {
      const userId = requireUser(request);
      const principal = request.principal!;
      const stored = await passwordHashOf(app.db, userId);
      if (!stored || !(await verifyPassword(request.body.currentPassword, stored))) {
        throw new AppError('InvalidCredentials', 400, { en: 'The current password is wrong.', zh: '当前密码不正确。' }, [
          { field: 'currentPassword', en: 'wrong password', zh: '密码错误' },
        ]);
      }
      if (request.body.newPassword === request.body.currentPassword) {
        throw new AppError('WeakPassword', 400, { en: 'Choose a password different from the current one.', zh: '新密码不能与当前密码相同。' });
      }
      assertAcceptablePassword(request.body.newPassword, principal.name);
      const passwordHash = await hashPassword(request.body.newPassword);
      await app.db.transaction().execute(async (trx) => {
        await updateUser(trx, userId, null, { passwordHash, mustChangePassword: false });
        await deleteUserSessions(trx, userId, principal.sessionId);
        await writeAudit(trx, { actor: principal.name, action: 'user.password_change', entityType: 'user', entityId: principal.name });
      });
      return { ok: true, message: 'Password changed; your other sessions were ended.', messageZh: '密码已修改，其他会话已退出。' };
    },
  );

  app.get(
    '/auth/tokens',
    { schema: { tags: ['auth'], summary: 'Your API tokens (never the secrets)', response: { 200: TokenList, ...authErrors } } },
    async (request) => {
      const userId = requireUser(request);
      const { total, rows } = await listTokens(app.db, { userId, limit: 1000, offset: 0 });
      return { total, tokens: rows };
    },
  );

  app.post(
    '/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an API token for scripts; the token is returned once',
        body: NewTokenBody,
        response: { 201: NewToken, ...authErrors },
      },
    },
    async (request, reply) => {
      const userId = requireUser(request);
      const principal = request.principal!;
      const expires = request.body.expiresInDays === undefined ? 365 : request.body.expiresInDays;
      const created = await app.db.transaction().execute(async (trx) => {
        const result = await createToken(trx, userId, request.body.name.trim() || 'token', expires);
        await writeAudit(trx, {
          actor: principal.name,
          action: 'token.create',
          entityType: 'api_token',
          entityId: result.record.id,
          after: { name: result.record.name, prefix: result.record.prefix, expiresAt: result.record.expiresAt },
        });
        return result;
      });
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/auth/tokens/:id',
    { schema: { tags: ['auth'], summary: 'Revoke one of your API tokens', params: IdParam, response: { 200: Ok, ...authErrors } } },
    async (request) => {
      const userId = requireUser(request);
      const principal = request.principal!;
      const token = await findToken(app.db, request.params.id);
      if (!token || token.userId !== userId) {
        throw new AppError('TokenNotFound', 404, { en: `You have no API token ${request.params.id}.`, zh: `您没有编号为 ${request.params.id} 的 API 令牌。` });
      }
      await app.db.transaction().execute(async (trx) => {
        const revoked = await revokeToken(trx, token.id, principal.name);
        if (revoked) {
          await writeAudit(trx, { actor: principal.name, action: 'token.revoke', entityType: 'api_token', entityId: token.id, details: { owner: token.userName, prefix: token.prefix } });
        }
      });
      return { ok: true, message: `Token ${token.prefix}… revoked.`, messageZh: `令牌 ${token.prefix}… 已撤销。` };
    },
  );

  await app.register(adminRoutes);
  await app.register(shareRoutes);
};

export default authRoutes;
