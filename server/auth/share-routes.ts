/**
 * Sharing a scenario with named users, read-only or editable. Only the owner
 * (or an admin) manages shares; the scenario routes themselves decide access
 * with the helpers in scenarios.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../errors.ts';
import { ErrorResponse, errorResponses } from '../http/common.ts';
import { actorOf } from '../http/actor.ts';
import { writeAudit } from '../audit/log.ts';
import { assertCanManageScenario } from './scenarios.ts';
import { findUserByName } from './repository.ts';
import { normaliseName } from './service.ts';
import { Ok, Share, ShareBody, ShareList, ShareParams, IdParam } from './schemas.ts';

const shareErrors = { ...errorResponses, 401: ErrorResponse, 403: ErrorResponse, 429: ErrorResponse } as const;

const shareRoutes: FastifyPluginAsyncTypebox = async (app) => {
  async function listShares(scenarioId: number) {
    const scenario = await app.db.selectFrom('scenario').select(['id', 'owner']).where('id', '=', scenarioId).executeTakeFirstOrThrow();
    const rows = await app.db
      .selectFrom('scenario_share as s')
      .innerJoin('app_user as u', 'u.name', 's.user_name')
      .select(['s.scenario_id', 's.user_name', 'u.display_name', 's.permission', 's.granted_by', 's.granted_at'])
      .where('s.scenario_id', '=', scenarioId)
      .orderBy('s.user_name')
      .execute();
    return {
      scenarioId,
      owner: scenario.owner,
      shares: rows.map((r) => ({
        scenarioId: Number(r.scenario_id),
        userName: r.user_name,
        displayName: r.display_name,
        permission: r.permission,
        grantedBy: r.granted_by,
        grantedAt: new Date(r.granted_at).toISOString(),
      })),
    };
  }

  app.get(
    '/scenarios/:id/shares',
    { schema: { tags: ['scenarios'], summary: 'Who a scenario is shared with (owner or admin)', params: IdParam, response: { 200: ShareList, ...shareErrors } } },
    async (request) => {
      await assertCanManageScenario(request, request.params.id);
      return listShares(request.params.id);
    },
  );

  app.put(
    '/scenarios/:id/shares/:user',
    {
      schema: {
        tags: ['scenarios'],
        summary: 'Share a scenario with a user, read-only or editable (owner or admin)',
        params: ShareParams,
        body: ShareBody,
        response: { 200: Share, ...shareErrors },
      },
    },
    async (request) => {
      const { id } = request.params;
      await assertCanManageScenario(request, id);
      const name = normaliseName(request.params.user);
      const user = await findUserByName(app.db, name);
      if (!user || user.disabled) {
        throw new AppError('UserNotFound', 404, { en: `No active user '${name}' to share with.`, zh: `没有可共享的启用用户“${name}”。` });
      }
      const scenario = await app.db.selectFrom('scenario').select('owner').where('id', '=', id).executeTakeFirstOrThrow();
      if (scenario.owner === name) {
        throw new AppError('InvalidParameter', 400, { en: `${name} owns this scenario already.`, zh: `${name} 已是该情景的创建者。` });
      }
      const actor = actorOf(request).id;
      const row = await app.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('scenario_share').select('permission').where('scenario_id', '=', id).where('user_name', '=', name).executeTakeFirst();
        const saved = await trx
          .insertInto('scenario_share')
          .values({ scenario_id: id, user_name: name, permission: request.body.permission, granted_by: actor })
          .onConflict((oc) => oc.columns(['scenario_id', 'user_name']).doUpdateSet({ permission: request.body.permission, granted_by: actor }))
          .returning(['scenario_id', 'user_name', 'permission', 'granted_by', 'granted_at'])
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          actor,
          action: 'scenario.share',
          entityType: 'scenario',
          entityId: id,
          before: before ? { user: name, permission: before.permission } : null,
          after: { user: name, permission: request.body.permission },
        });
        return saved;
      });
      return {
        scenarioId: Number(row.scenario_id),
        userName: row.user_name,
        displayName: user.displayName,
        permission: row.permission,
        grantedBy: row.granted_by,
        grantedAt: new Date(row.granted_at).toISOString(),
      };
    },
  );

  app.delete(
    '/scenarios/:id/shares/:user',
    { schema: { tags: ['scenarios'], summary: 'Stop sharing a scenario with a user (owner or admin)', params: ShareParams, response: { 200: Ok, ...shareErrors } } },
    async (request) => {
      const { id } = request.params;
      await assertCanManageScenario(request, id);
      const name = normaliseName(request.params.user);
      const actor = actorOf(request).id;
      const removed = await app.db.transaction().execute(async (trx) => {
        const row = await trx.deleteFrom('scenario_share').where('scenario_id', '=', id).where('user_name', '=', name).returning('permission').executeTakeFirst();
        if (row) {
          await writeAudit(trx, { actor, action: 'scenario.unshare', entityType: 'scenario', entityId: id, before: { user: name, permission: row.permission } });
        }
        return row !== undefined;
      });
      return removed
        ? { ok: true, message: `Scenario ${id} is no longer shared with ${name}.`, messageZh: `情景 ${id} 已不再与 ${name} 共享。` }
        : { ok: true, message: `Scenario ${id} was not shared with ${name}.`, messageZh: `情景 ${id} 本未与 ${name} 共享。` };
    },
  );
};

export default shareRoutes;
