/**
 * Who is making a request, as established by the auth plugin (plugin.ts) in
 * its onRequest hook, before any route handler runs.
 */
import type { Role } from './roles.ts';

export interface Principal {
  /** app_user.id; null for the login-free local admin. */
  userId: number | null;
  /** Login name = actor id in audit_log and scenario.owner ('local' in the login-free mode). */
  name: string;
  displayName: string;
  role: Role;
  /** Editors limited to a unit subtree: the unit code; null = unlimited. */
  unitCode: string | null;
  mustChangePassword: boolean;
  /** How the request proved who it is. */
  via: 'local' | 'session' | 'token';
  sessionId?: string;
  csrfToken?: string;
  /** ISO time the session ends at the latest (absolute lifetime). */
  sessionExpiresAt?: string;
  tokenId?: number;
}

export const LOCAL_PRINCIPAL: Principal = Object.freeze({
  userId: null,
  name: 'local',
  displayName: '本地用户 (local)',
  role: 'admin',
  unitCode: null,
  mustChangePassword: false,
  via: 'local',
}) as Principal;

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user, the local admin (login-free mode), or null (anonymous). */
    principal: Principal | null;
  }
}
