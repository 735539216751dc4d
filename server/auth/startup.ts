/**
 * Safe defaults at start-up, called by server.ts before it listens:
 *
 * - The login-free local mode only on a loopback HOST (also enforced by
 *   loadConfig, and per request by the auth plugin).
 * - With AUTH_MODE=required the server needs an admin. If none exists it creates
 *   'admin': with ADMIN_INITIAL_PASSWORD when set (docker compose), otherwise
 *   with a one-time password printed once to the console (the admin must change
 *   it at first login). An existing admin is never touched.
 */
import type { Kysely } from 'kysely';
import type { Config } from '../config.ts';
import { isLoopbackHost } from '../config.ts';
import type { Database } from '../db/schema.ts';
import { countActiveAdmins, findUserByName } from './repository.ts';
import { createUser } from './service.ts';
import { passwordProblem } from './passwords.ts';

export class StartupRefused extends Error {
  override name = 'StartupRefused';
}

export function assertSafeListen(config: Pick<Config, 'host' | 'auth'>): void {
  if (config.auth.mode === 'local' && !isLoopbackHost(config.host)) {
    throw new StartupRefused(
      `Refusing to listen on ${config.host} without authentication: the login-free local mode is only allowed on ` +
        `127.0.0.1, ::1 or localhost. Set AUTH_MODE=required (and ADMIN_INITIAL_PASSWORD, or read the one-time password ` +
        `printed at first start), or HOST=127.0.0.1. 拒绝在非本机地址上以免登录模式启动。`,
    );
  }
}

export interface PrepareResult {
  createdAdmin: { name: string; oneTimePassword: string | null } | null;
}

export const INITIAL_ADMIN_NAME = 'admin';

export async function prepareAuth(
  config: Pick<Config, 'host' | 'auth'>,
  db: Kysely<Database>,
  print: (line: string) => void = console.log,
): Promise<PrepareResult> {
  assertSafeListen(config);
  if (config.auth.mode !== 'required') return { createdAdmin: null };
  if ((await countActiveAdmins(db)) > 0) return { createdAdmin: null };
  if (await findUserByName(db, INITIAL_ADMIN_NAME)) {
    throw new StartupRefused(
      `AUTH_MODE=required but no active admin exists, and the user '${INITIAL_ADMIN_NAME}' is disabled or not an admin. ` +
        `Create one with: npm run user:add -- --name <name> --role admin. 没有可用的管理员账号。`,
    );
  }
  const given = config.auth.initialAdminPassword;
  if (given !== undefined) {
    const problem = passwordProblem(given, INITIAL_ADMIN_NAME);
    if (problem) throw new StartupRefused(`ADMIN_INITIAL_PASSWORD is not acceptable: ${problem.en} ${problem.zh}`);
  }
  const { oneTimePassword } = await createUser(db, 'system', {
    name: INITIAL_ADMIN_NAME,
    displayName: '管理员 (admin)',
    role: 'admin',
    password: given,
  });
  if (oneTimePassword) {
    print('');
    print('┌──────────────────────────────────────────────────────────────────────');
    print(`│ 已创建管理员 admin，一次性密码 / created admin '${INITIAL_ADMIN_NAME}' with one-time password:`);
    print(`│     ${oneTimePassword}`);
    print('│ 首次登录后须修改；此密码不会再次显示。Change it at first login; it is not shown again.');
    print('└──────────────────────────────────────────────────────────────────────');
    print('');
  } else {
    print(`[planner] created admin '${INITIAL_ADMIN_NAME}' with the password from ADMIN_INITIAL_PASSWORD`);
  }
  return { createdAdmin: { name: INITIAL_ADMIN_NAME, oneTimePassword } };
}
