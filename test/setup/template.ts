/**
 * The test database template: migrated and seeded once per run (and cached on
 * disk between runs, keyed by the content of the schema and seed code), then
 * copied for every test file.
 *
 * - Embedded engine: a PGlite data directory dumped to a tarball.
 * - PostgreSQL (DATABASE_URL set): a template database; each file gets
 *   `CREATE DATABASE … TEMPLATE …`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../server/db/index.ts';
import { migrateToLatest } from '../../server/db/migrate.ts';
import { projectRoot } from '../../server/paths.ts';
import { seedTestData } from '../../seeds/test.ts';

const HASHED = ['migrations', 'seeds', 'server/db', 'server/domain', 'test/setup'];

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full) : [full];
  });
}

/** Hash of everything that shapes the template's content. */
export function templateHash(): string {
  const hash = crypto.createHash('sha256');
  for (const file of HASHED.flatMap((d) => listFiles(path.join(projectRoot, d))).sort()) {
    hash.update(path.relative(projectRoot, file));
    hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

const CACHE_DIR = path.join(projectRoot, 'node_modules', '.cache', 'planner-test-template');

/**
 * Keep the cache small without pulling a template from under a run that may
 * still be reading it (several runs can share this machine): delete only files
 * untouched for an hour, and never the newest four.
 */
function pruneCache(): void {
  const files = fs
    .readdirSync(CACHE_DIR)
    .map((name) => ({ name, mtime: fs.statSync(path.join(CACHE_DIR, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const file of files.slice(4)) {
    if (Date.now() - file.mtime > 3_600_000) fs.rmSync(path.join(CACHE_DIR, file.name), { force: true });
  }
}

export async function buildPgliteTemplate(log: (m: string) => void): Promise<string> {
  const file = path.join(CACHE_DIR, `pglite-${templateHash()}.tar.gz`);
  if (fs.existsSync(file)) {
    log(`test template: reusing ${path.relative(projectRoot, file)}`);
    return file;
  }
  const started = Date.now();
  const handle = await openDatabase({});
  try {
    await migrateToLatest(handle.db);
    await seedTestData(handle.db, (m) => log(`test template: ${m}`));
    const dump = await handle.pglite!.dumpDataDir('gzip');
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    pruneCache();
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file);
  } finally {
    await handle.close();
  }
  log(`test template: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

/** Connection string of another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function buildPostgresTemplate(url: string, log: (m: string) => void): Promise<string> {
  const name = `planner_tpl_${templateHash()}`;
  const building = `${name}_b${process.pid}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) {
      log(`test template: reusing database ${name}`);
      return name;
    }
    // Templates of other code versions are left alone (another run may be using
    // them); .ci/run starts from a clean server.
    await client.query(`CREATE DATABASE "${building}" TEMPLATE template0`);
  } finally {
    await client.end();
  }
  const started = Date.now();
  const handle = await openDatabase({ databaseUrl: withDatabase(url, building) });
  try {
    await migrateToLatest(handle.db);
    await seedTestData(handle.db, (m) => log(`test template: ${m}`));
  } finally {
    await handle.close();
  }
  try {
    await adminQuery(url, `ALTER DATABASE "${building}" RENAME TO "${name}"`);
  } catch (error) {
    // A concurrent run finished the same template first: use theirs.
    await adminQuery(url, `DROP DATABASE IF EXISTS "${building}"`);
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    const done = await check.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]).finally(() => check.end());
    if (!done.rowCount) throw error;
    return name;
  }
  await adminQuery(url, `UPDATE pg_database SET datistemplate = true WHERE datname = '${name}'`);
  log(`test template: database ${name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return name;
}
