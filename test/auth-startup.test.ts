/**
 * Safe defaults at start-up: the login-free mode only on loopback, the first
 * admin on a server that requires login, and the real server process refusing
 * a public address without authentication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, isLoopbackHost, loadConfig } from '../server/config.ts';
import { assertSafeListen, prepareAuth, StartupRefused } from '../server/auth/startup.ts';
import { verifyPassword } from '../server/auth/passwords.ts';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { spawn } from 'node:child_process';
import { projectRoot } from '../server/paths.ts';
import { call, materializeDatabase, spawnServer, type ServerDatabase } from './reliability/harness.ts';

const PORT = 8150;

describe('authentication mode from the environment', () => {
  it('is login-free on loopback and required on any other address by default', () => {
    expect(loadConfig({}).auth.mode).toBe('local');
    expect(loadConfig({ HOST: 'localhost' }).auth.mode).toBe('local');
    expect(loadConfig({ HOST: '::1' }).auth.mode).toBe('local');
    expect(loadConfig({ HOST: '0.0.0.0' }).auth.mode).toBe('required');
    expect(loadConfig({ HOST: '192.168.1.20' }).auth.mode).toBe('required');
    expect(loadConfig({ HOST: '127.0.0.1', AUTH_MODE: 'required' }).auth.mode).toBe('required');
  });

  it.each(['0.0.0.0', '::', '10.0.0.5', 'planner.example.org'])('refuses AUTH_MODE=local on HOST=%s, naming the variable', (host) => {
    expect(() => loadConfig({ HOST: host, AUTH_MODE: 'local' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: host, AUTH_MODE: 'local' })).toThrow(/AUTH_MODE="local" with HOST=.*loopback/s);
    expect(() => assertSafeListen({ host, auth: { ...loadConfig({}).auth, mode: 'local' } })).toThrow(StartupRefused);
  });

  it('recognises loopback addresses only', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '128.0.0.1', '127.0.0.1.evil.example', 'localhost.evil.example', '10.0.0.1', '']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('validates the auth variables', () => {
    expect(() => loadConfig({ ADMIN_INITIAL_PASSWORD: 'short' })).toThrow(/ADMIN_INITIAL_PASSWORD=/);
    expect(() => loadConfig({ SESSION_TTL_HOURS: '0' })).toThrow(/SESSION_TTL_HOURS=/);
    expect(() => loadConfig({ CORS_ORIGINS: 'not a url' })).toThrow(/CORS_ORIGINS=/);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://b.example:5173/' }).auth.corsOrigins).toEqual(['https://a.example', 'http://b.example:5173']);
    expect(loadConfig({ RATE_LIMIT_LOGIN: '0', TRUST_PROXY: 'true' }).auth).toMatchObject({ trustProxy: true, rateLimits: { login: 0 } });
  });
});

describe(`first admin (${engine})`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('does nothing in the local mode', async () => {
    const result = await prepareAuth(loadConfig({}), db.db, () => {});
    expect(result.createdAdmin).toBeNull();
    expect(await db.db.selectFrom('app_user').select('id').execute()).toEqual([]);
  });

  it('creates admin with a one-time password printed once, then never again', async () => {
    const lines: string[] = [];
    const config = loadConfig({ HOST: '0.0.0.0' });
    const first = await prepareAuth(config, db.db, (l) => lines.push(l));
    expect(first.createdAdmin?.name).toBe('admin');
    const otp = first.createdAdmin!.oneTimePassword!;
    expect(lines.join('\n')).toContain(otp);
    const row = await db.db.selectFrom('app_user').selectAll().where('name', '=', 'admin').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ role: 'admin', must_change_password: true, disabled: false });
    expect(await verifyPassword(otp, row.password_hash)).toBe(true);
    const again: string[] = [];
    expect((await prepareAuth(config, db.db, (l) => again.push(l))).createdAdmin).toBeNull();
    expect(again).toEqual([]);
    const audit = await db.db.selectFrom('audit_log').select(['actor', 'action']).where('entity_id', '=', 'admin').execute();
    expect(audit).toEqual([{ actor: 'system', action: 'user.create' }]);
  });

  it('uses ADMIN_INITIAL_PASSWORD when given, and refuses when the only admin was disabled', async () => {
    const other = await createTestDatabase();
    try {
      const lines: string[] = [];
      const config = loadConfig({ HOST: '0.0.0.0', ADMIN_INITIAL_PASSWORD: 'compose-provided-secret' });
      const result = await prepareAuth(config, other.db, (l) => lines.push(l));
      expect(result.createdAdmin).toEqual({ name: 'admin', oneTimePassword: null });
      expect(lines.join('\n')).not.toContain('compose-provided-secret');
      const row = await other.db.selectFrom('app_user').select(['password_hash', 'must_change_password']).where('name', '=', 'admin').executeTakeFirstOrThrow();
      expect(await verifyPassword('compose-provided-secret', row.password_hash)).toBe(true);
      expect(row.must_change_password).toBe(false);
      await expect(prepareAuth(loadConfig({ HOST: '0.0.0.0', ADMIN_INITIAL_PASSWORD: 'admin-password-123' }), (await createTestDatabase()).db, () => {})).rejects.toThrow(
        /ADMIN_INITIAL_PASSWORD is not acceptable: The password must not contain the login name/,
      );
      await other.db.updateTable('app_user').set({ disabled: true }).where('name', '=', 'admin').execute();
      await expect(prepareAuth(config, other.db, () => {})).rejects.toThrow(StartupRefused);
    } finally {
      await other.dispose();
    }
  });
});

describe(`the server process (${engine})`, () => {
  it('refuses to start on a public address in the login-free mode (exit 2, message names AUTH_MODE)', async () => {
    const server = await spawnServer({ HOST: '0.0.0.0', AUTH_MODE: 'local' }, { port: PORT, waitReady: false });
    const { code } = await server.exited;
    expect(code).toBe(2);
    expect(server.stderr()).toMatch(/AUTH_MODE="local" with HOST="0\.0\.0\.0"/);
    expect(server.stdout()).not.toMatch(/ready at/);
  });

  describe('with AUTH_MODE=required', () => {
    let database: ServerDatabase;
    beforeAll(async () => {
      database = await materializeDatabase();
    });
    afterAll(async () => {
      await database?.dispose();
    });

    it('npm run user:add creates users (one-time password or given), and explains mistakes', async () => {
      const run = (args: string[]) =>
        new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/user-add.ts', ...args], {
            cwd: projectRoot,
            env: { PATH: process.env.PATH, HOME: process.env.HOME, ...database.env },
          });
          let out = '';
          let err = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.stderr.on('data', (c: Buffer) => (err += c.toString()));
          child.on('exit', (code) => resolve({ code, out, err }));
        });
      const created = await run(['--name', 'Banner.Editor', '--role', 'editor', '--unit', '150430', '--display-name', '敖汉旗编辑']);
      expect(created.code, created.err).toBe(0);
      expect(created.out).toMatch(/created editor 'banner.editor' limited to unit 150430/);
      expect(created.out).toMatch(/one-time password .*: \S{19}/);
      const given = await run(['--name', 'script.user', '--role', 'viewer', '--password', 'a given passphrase']);
      expect(given.code, given.err).toBe(0);
      expect(given.out).not.toMatch(/one-time/);
      const badRole = await run(['--name', 'x.y', '--role', 'root']);
      expect(badRole.code).toBe(1);
      expect(badRole.err).toMatch(/--role must be one of viewer, planner, editor, admin/);
      const badUnit = await run(['--name', 'x.z', '--role', 'editor', '--unit', '159999']);
      expect(badUnit.code).toBe(1);
      expect(badUnit.err).toMatch(/No league, banner or township with code 159999/);
      const duplicate = await run(['--name', 'banner.editor', '--role', 'viewer']);
      expect(duplicate.code).toBe(1);
      expect(duplicate.err).toMatch(/already exists/);
      const reset = await run(['--name', 'script.user', '--reset']);
      expect(reset.code, reset.err).toBe(0);
      expect(reset.out).toMatch(/one-time password/);
      const handle = await database.open();
      try {
        const rows = await handle.db.selectFrom('app_user').select(['name', 'role', 'unit_code', 'display_name', 'must_change_password']).orderBy('name').execute();
        expect(rows).toEqual([
          { name: 'banner.editor', role: 'editor', unit_code: '150430', display_name: '敖汉旗编辑', must_change_password: true },
          { name: 'script.user', role: 'viewer', unit_code: null, display_name: 'script.user', must_change_password: true },
        ]);
        // Users exist but no admin yet: the server still creates one.
        await handle.db.deleteFrom('app_user').execute();
      } finally {
        await handle.close();
      }
    }, 300_000);

    it('prints a one-time admin password once, requires login, and the password works', async () => {
      const server = await spawnServer({ ...database.env, AUTH_MODE: 'required' }, { port: PORT + 1 });
      try {
        const match = /one-time password:\n│\s+(\S+)/.exec(server.stdout());
        expect(match, server.stdout()).not.toBeNull();
        const otp = match![1]!;
        expect((await call(server.url, 'GET', '/api/units?level=league')).status).toBe(401);
        expect((await call(server.url, 'GET', '/api/health')).status).toBe(200);
        const login = await call(server.url, 'POST', '/api/auth/login', { body: { name: 'admin', password: otp } });
        expect(login.status).toBe(200);
        expect((login.body as { user: { mustChangePassword: boolean } }).user.mustChangePassword).toBe(true);
        const page = await fetch(`${server.url}/login`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      } finally {
        const { code } = await server.kill('SIGTERM');
        expect(code).toBe(0);
      }
      // A second start finds the admin and prints no password.
      const again = await spawnServer({ ...database.env, AUTH_MODE: 'required' }, { port: PORT + 1 });
      try {
        expect(again.stdout()).not.toMatch(/one-time password/);
      } finally {
        await again.kill('SIGTERM');
      }
    }, 300_000);
  });
});
