/**
 * Who is making a request, for the audit log and ownership. Until users and
 * sessions exist (auth feature) every request acts as the local operator.
 */
import type { FastifyRequest } from 'fastify';

export interface Actor {
  /** Stable identifier written to audit_log.actor and owner columns. */
  id: string;
  name: string;
}

export const LOCAL_ACTOR: Actor = { id: 'local', name: '本地用户 (local)' };

export function actorOf(_request: FastifyRequest): Actor {
  return LOCAL_ACTOR;
}
