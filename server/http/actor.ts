/**
 * Who is making a request, for the audit log and ownership: the authenticated
 * user (auth plugin, server/auth/plugin.ts), or the local operator in the
 * login-free local mode. `id` is the login name (immutable), so audit rows and
 * scenario owners stay readable.
 */
import type { FastifyRequest } from 'fastify';
import '../auth/principal.ts';

export interface Actor {
  /** Stable identifier written to audit_log.actor and owner columns. */
  id: string;
  name: string;
}

export const LOCAL_ACTOR: Actor = { id: 'local', name: '本地用户 (local)' };
export const ANONYMOUS_ACTOR: Actor = { id: 'anonymous', name: '匿名 (anonymous)' };

export function actorOf(request: FastifyRequest): Actor {
  const principal = request.principal;
  if (principal === undefined) return LOCAL_ACTOR; // built without the auth plugin (never in the app)
  if (principal === null) return ANONYMOUS_ACTOR;
  if (principal.via === 'local') return LOCAL_ACTOR;
  return { id: principal.name, name: principal.displayName };
}
