/**
 * Users, sessions, API tokens and scenario sharing (issue 7).
 *
 * Frozen in time: this file never imports application code. The role list is a
 * copy of server/auth/roles.ts as of this migration.
 *
 * Secrets are never stored: sessions and API tokens are kept as SHA-256 hashes
 * of high-entropy random values, passwords as scrypt hashes.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE app_user (
      id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name                 text NOT NULL UNIQUE,
      display_name         text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 100),
      role                 text NOT NULL CHECK (role IN ('viewer', 'planner', 'editor', 'admin')),
      unit_code            text CHECK (unit_code ~ '^[0-9]{6}([0-9]{3})?$'),
      password_hash        text NOT NULL,
      must_change_password boolean NOT NULL DEFAULT false,
      disabled             boolean NOT NULL DEFAULT false,
      version              integer NOT NULL DEFAULT 1 CHECK (version >= 1),
      created_at           timestamptz NOT NULL DEFAULT now(),
      updated_at           timestamptz NOT NULL DEFAULT now(),
      password_changed_at  timestamptz NOT NULL DEFAULT now(),
      last_login_at        timestamptz,
      CONSTRAINT app_user_name_format CHECK (name ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
      CONSTRAINT app_user_name_reserved CHECK (name NOT IN ('local', 'system', 'anonymous')),
      CONSTRAINT app_user_scope_editors_only CHECK (unit_code IS NULL OR role = 'editor')
    )`.execute(db);

  await sql`
    CREATE TABLE user_session (
      id           text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
      user_id      bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
      csrf_token   text NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at   timestamptz NOT NULL,
      ip           text,
      user_agent   text
    )`.execute(db);
  await sql`CREATE INDEX user_session_user_idx ON user_session (user_id)`.execute(db);
  await sql`CREATE INDEX user_session_expires_idx ON user_session (expires_at)`.execute(db);

  await sql`
    CREATE TABLE api_token (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      user_id      bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
      name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
      prefix       text NOT NULL,
      token_hash   text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
      created_at   timestamptz NOT NULL DEFAULT now(),
      expires_at   timestamptz,
      last_used_at timestamptz,
      revoked_at   timestamptz,
      revoked_by   text
    )`.execute(db);
  await sql`CREATE INDEX api_token_user_idx ON api_token (user_id)`.execute(db);

  await sql`
    CREATE TABLE scenario_share (
      scenario_id bigint NOT NULL REFERENCES scenario (id) ON DELETE CASCADE,
      user_name   text NOT NULL REFERENCES app_user (name) ON UPDATE CASCADE ON DELETE CASCADE,
      permission  text NOT NULL CHECK (permission IN ('read', 'edit')),
      granted_by  text NOT NULL,
      granted_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scenario_id, user_name)
    )`.execute(db);
  await sql`CREATE INDEX scenario_share_user_idx ON scenario_share (user_name)`.execute(db);
  await sql`CREATE INDEX scenario_owner_idx ON scenario (owner)`.execute(db);

  // The admin audit query filters by actor and action over time ranges.
  await sql`CREATE INDEX audit_log_actor_at_idx ON audit_log (actor, at)`.execute(db);
  await sql`CREATE INDEX audit_log_action_at_idx ON audit_log (action, at)`.execute(db);

  for (const statement of COMMENTS) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS audit_log_action_at_idx`.execute(db);
  await sql`DROP INDEX IF EXISTS audit_log_actor_at_idx`.execute(db);
  await sql`DROP INDEX IF EXISTS scenario_owner_idx`.execute(db);
  for (const table of ['scenario_share', 'api_token', 'user_session', 'app_user']) {
    await sql.raw(`DROP TABLE IF EXISTS ${table} CASCADE`).execute(db);
  }
}

const COMMENTS = [
  `COMMENT ON TABLE app_user IS 'People who log in. Never deleted (disabled instead) so that audit_log.actor and scenario.owner stay meaningful'`,
  `COMMENT ON COLUMN app_user.name IS 'Login name, lower case; immutable; the actor id written to audit_log.actor, scenario.owner and scenario_share.user_name'`,
  `COMMENT ON COLUMN app_user.role IS 'viewer < planner < editor < admin (server/auth/roles.ts); the route table is server/auth/policy.ts'`,
  `COMMENT ON COLUMN app_user.unit_code IS 'Editors only: the unit subtree (league, banner or township code) the editor may change; null = the whole region'`,
  `COMMENT ON COLUMN app_user.password_hash IS 'scrypt$logN$r$p$salt$hash (base64); never returned by any route'`,
  `COMMENT ON COLUMN app_user.must_change_password IS 'Set for one-time passwords (first admin, admin resets): the user must choose a new password before doing anything else'`,
  `COMMENT ON TABLE user_session IS 'Browser sessions: id is the SHA-256 of the HttpOnly cookie value; csrf_token must accompany every state-changing request'`,
  `COMMENT ON COLUMN user_session.expires_at IS 'Absolute expiry (SESSION_TTL_HOURS after login); idle expiry is last_seen_at + SESSION_IDLE_MINUTES'`,
  `COMMENT ON TABLE api_token IS 'API tokens for scripts (Authorization: Bearer …): shown once, stored as SHA-256, revocable'`,
  `COMMENT ON COLUMN api_token.prefix IS 'First characters of the token, to recognise it in lists without storing it'`,
  `COMMENT ON TABLE scenario_share IS 'Scenarios are private to their owner unless shared with named users, read-only or editable'`,
];
