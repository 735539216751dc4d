/**
 * Scenario privacy. A scenario belongs to its owner (scenario.owner = the
 * owner's login name, `actorOf(request).id` when it was created). Nobody else
 * sees it unless the owner shares it with named users, read-only or editable
 * (scenario_share). Admins may read every scenario (support, reassigning the
 * scenarios of people who left) but edit only what they own or was shared with
 * them. Editing needs at least the planner role, whatever the share says.
 *
 * For the scenario routes:
 *
 *   const scenario = await assertCanReadScenario(request, id);   // 404 when it does not exist OR is not visible
 *   await assertCanEditScenario(request, id);                    // 404 as above, 403 when read-only
 *   query.where(visibleScenarios(request.principal))             // list only what the user may see
 *   owner: scenarioOwnerFor(request)                              // when creating
 *
 * Not visible → 404 (not 403), so that ids do not reveal other people's work.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/schema.ts';
import { AppError } from '../errors.ts';
import { roleAtLeast } from './roles.ts';
import type { Principal } from './principal.ts';
import './principal.ts';

export type ScenarioAccess = 'none' | 'read' | 'edit' | 'owner';

export function scenarioNotFound(id: number | string): AppError {
  return new AppError('ScenarioNotFound', 404, {
    en: `No scenario with id ${id} that you can see. Scenarios are private unless their owner shares them with you.`,
    zh: `没有编号为 ${id} 且您有权查看的情景。情景仅对其创建者可见，除非创建者与您共享。`,
  });
}

/** What `principal` may do with the scenario; 'none' also when it does not exist. */
export async function scenarioAccess(db: Kysely<Database>, principal: Principal | null, scenarioId: number): Promise<ScenarioAccess> {
  if (!principal || !Number.isSafeInteger(scenarioId)) return 'none';
  const row = await db
    .selectFrom('scenario as s')
    .leftJoin('scenario_share as sh', (join) => join.onRef('sh.scenario_id', '=', 's.id').on('sh.user_name', '=', principal.name))
    .select(['s.owner', 'sh.permission'])
    .where('s.id', '=', scenarioId)
    .executeTakeFirst();
  if (!row) return 'none';
  return accessFrom(principal, row.owner, row.permission ?? null);
}

export function accessFrom(principal: Principal, owner: string | null, shared: 'read' | 'edit' | null): ScenarioAccess {
  const canWrite = roleAtLeast(principal.role, 'planner');
  if (owner !== null && owner === principal.name) return canWrite ? 'owner' : 'read';
  if (shared === 'edit') return canWrite ? 'edit' : 'read';
  if (shared === 'read') return 'read';
  if (principal.role === 'admin') return 'read';
  return 'none';
}

// Each helper takes an optional `db`: inside a transaction pass it (on the embedded
// engine a query outside an open transaction waits for it to end).

export async function canReadScenario(request: FastifyRequest, scenarioId: number, db: Kysely<Database> = request.server.db): Promise<boolean> {
  return (await scenarioAccess(db, request.principal, scenarioId)) !== 'none';
}

export async function canEditScenario(request: FastifyRequest, scenarioId: number, db: Kysely<Database> = request.server.db): Promise<boolean> {
  const access = await scenarioAccess(db, request.principal, scenarioId);
  return access === 'edit' || access === 'owner';
}

/** Only the owner shares, deletes or transfers a scenario (admins too, for support). */
export async function canManageScenario(request: FastifyRequest, scenarioId: number, db: Kysely<Database> = request.server.db): Promise<boolean> {
  const access = await scenarioAccess(db, request.principal, scenarioId);
  return access === 'owner' || (access !== 'none' && request.principal?.role === 'admin');
}

export async function assertCanReadScenario(request: FastifyRequest, scenarioId: number, db: Kysely<Database> = request.server.db): Promise<ScenarioAccess> {
  const access = await scenarioAccess(db, request.principal, scenarioId);
  if (access === 'none') throw scenarioNotFound(scenarioId);
  return access;
}

export async function assertCanEditScenario(request: FastifyRequest, scenarioId: number, db: Kysely<Database> = request.server.db): Promise<ScenarioAccess> {
  const access = await assertCanReadScenario(request, scenarioId, db);
  if (access === 'read') {
    throw new AppError('Forbidden', 403, {
      en: `Scenario ${scenarioId} is shared with you read-only${roleAtLeast(request.principal!.role, 'planner') ? '' : ' (and editing scenarios needs the planner role)'}. Ask its owner for edit access, or duplicate it.`,
      zh: `情景 ${scenarioId} 仅以只读方式与您共享${roleAtLeast(request.principal!.role, 'planner') ? '' : '（且编辑情景需要“规划人员”角色）'}。请向创建者申请编辑权限，或复制一份。`,
    });
  }
  return access;
}

export async function assertCanManageScenario(request: FastifyRequest, scenarioId: number, db: Kysely<Database> = request.server.db): Promise<void> {
  const access = await assertCanReadScenario(request, scenarioId, db);
  if (!(access === 'owner' || request.principal?.role === 'admin')) {
    throw new AppError('Forbidden', 403, {
      en: `Only the owner of scenario ${scenarioId} can share, delete or hand it over.`,
      zh: `只有情景 ${scenarioId} 的创建者才能共享、删除或转交它。`,
    });
  }
}

/**
 * Filter for lists: `db.selectFrom('scenario').where(visibleScenarios(principal))`.
 * Admins see everything; others what they own or was shared with them.
 */
export function visibleScenarios(principal: Principal | null) {
  return (eb: ExpressionBuilder<Database, 'scenario'>): Expression<SqlBool> => {
    if (!principal) return sql<boolean>`false`;
    if (principal.role === 'admin') return sql<boolean>`true`;
    return eb.or([
      eb('scenario.owner', '=', principal.name),
      eb.exists(
        eb
          .selectFrom('scenario_share')
          .select(sql`1`.as('one'))
          .whereRef('scenario_share.scenario_id', '=', 'scenario.id')
          .where('scenario_share.user_name', '=', principal.name),
      ),
    ]);
  };
}

/** The owner to store when the request creates a scenario. */
export function scenarioOwnerFor(request: FastifyRequest): string {
  return request.principal?.name ?? 'anonymous';
}
