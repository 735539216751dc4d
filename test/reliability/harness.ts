/**
 * Real server processes for the start-up and reliability tests: a database the
 * process can open (a copy of the test template — a PostgreSQL database, or an
 * embedded data directory on disk), and `node server/server.ts` started with a
 * given environment, watched for its "ready" line, killed with any signal.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { inject } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';
import { projectRoot } from '../../server/paths.ts';
import { openDatabase, type DatabaseHandle } from '../../server/db/index.ts';
import { adminQuery, withDatabase } from '../setup/template.ts';

export const engine: 'pglite' | 'postgres' = inject('databaseUrl') ? 'postgres' : 'pglite';

export interface ServerDatabase {
  engine: 'pglite' | 'postgres';
  /** Environment that points server.ts at this database. */
  env: Record<string, string>;
  /** Open it from the test (only while no server process holds an embedded database). */
  open(): Promise<DatabaseHandle>;
  dispose(): Promise<void>;
}

/** A copy of the test template the server process can open, on the engine under test (or the one asked for). */
export async function materializeDatabase(which: 'pglite' | 'postgres' = engine): Promise<ServerDatabase> {
  const url = inject('databaseUrl');
  if (which === 'postgres') {
    if (!url) throw new Error('PostgreSQL needs DATABASE_URL');
    const name = `planner_t_rel_${crypto.randomBytes(5).toString('hex')}`;
    await adminQuery(url, `CREATE DATABASE "${name}" TEMPLATE "${inject('postgresTemplate')}"`);
    const databaseUrl = withDatabase(url, name);
    return {
      engine: 'postgres',
      env: { DATABASE_URL: databaseUrl },
      open: () => openDatabase({ databaseUrl, poolSize: 4 }),
      dispose: () => adminQuery(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'planner-rel-'));
  const pgdata = path.join(dir, 'pgdata');
  const template = inject('pgliteTemplate') || (await pgliteTemplateForPostgresRun());
  const pglite = new PGlite({ dataDir: pgdata, loadDataDir: new Blob([fs.readFileSync(template)]), extensions: { postgis } });
  await pglite.waitReady;
  await pglite.close();
  return {
    engine: 'pglite',
    env: { DATA_DIR: dir },
    open: () => openDatabase({ pgliteDir: pgdata }),
    dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** In a PostgreSQL run the embedded template is not built by the global setup: build (or reuse) it here. */
async function pgliteTemplateForPostgresRun(): Promise<string> {
  const { buildPgliteTemplate } = await import('../setup/template.ts');
  return buildPgliteTemplate(() => {});
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const BASE_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  NODE_OPTIONS: '',
};

/**
 * Start `node --import tsx server/server.ts`. Resolves when it prints its ready
 * line, rejects when it exits first (with its output) or after `timeoutMs`.
 */
export function spawnServer(env: Record<string, string>, options: { port: number; timeoutMs?: number; waitReady?: boolean }): Promise<ServerProcess> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...BASE_ENV, PORT: String(options.port), ...env };
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/server.ts'], { cwd: projectRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const host = env.HOST ?? BASE_ENV.HOST!;
  const server: ServerProcess = {
    child,
    url: `http://${host}:${options.port}`,
    stdout: () => out,
    stderr: () => err,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.waitReady === false) return Promise.resolve(server);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not get ready in ${options.timeoutMs ?? 120_000} ms\nstdout: ${out}\nstderr: ${err}`));
    }, options.timeoutMs ?? 120_000);
    const onData = () => {
      if (out.includes(' ready at ')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(server);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      if (!out.includes(' ready at ')) {
        clearTimeout(timer);
        reject(new Error(`server exited (code ${code}, signal ${signal}) before it was ready\nstdout: ${out}\nstderr: ${err}`));
      }
    });
  });
}

/** fetch with a JSON body and the headers of a session or token. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {},
): Promise<{ status: number; body: unknown; text: string; headers: Headers; ms: number }> {
  const started = performance.now();
  const response = await fetch(base + path, {
    method,
    headers: { accept: 'application/json', ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, body, text, headers: response.headers, ms: performance.now() - started };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Integer from the environment with a default (reliability knobs). */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return value;
}
