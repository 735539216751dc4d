/** Edit-scope checks that must run inside an import's or edit's own transaction. */
import type { FastifyRequest } from 'fastify';
import { editScopeOf, outOfScope, unitsOutsideScope } from '../auth/scope.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

/**
 * The editor's unit scope (the policy table already required the editor role),
 * checked with the import's own transaction: assertCanEditUnits would query
 * outside it, which on the embedded engine's single connection never returns.
 */
export async function assertUnitsInScope(request: FastifyRequest, codes: string[], db: Kysely<Database>): Promise<void> {
  const scope = editScopeOf(request.principal);
  if (scope === null || codes.length === 0) return;
  const outside = await unitsOutsideScope(db, scope, codes);
  if (outside.length > 0) throw outOfScope(scope, outside, 'unit');
}
