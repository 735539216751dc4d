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
    for (const old of fs.readdirSync(CACHE_DIR)) fs.rmSync(path.join(CACHE_DIR, old), { force: true });
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
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) {
      log(`test template: reusing database ${name}`);
      return name;
    }
    // Drop templates of earlier code versions.
    const old = await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'planner_tpl_%'");
    for (const row of old.rows) {
      await client.query(`UPDATE pg_database SET datistemplate = false WHERE datname = '${row.datname}'`).catch(() => {});
      await client.query(`DROP DATABASE IF EXISTS "${row.datname}"`).catch(() => {});
    }
    await client.query(`CREATE DATABASE "${name}_building" TEMPLATE template0`);
  } finally {
    await client.end();
  }
  const started = Date.now();
  const handle = await openDatabase({ databaseUrl: withDatabase(url, `${name}_building`) });
  try {
    await migrateToLatest(handle.db);
    await seedTestData(handle.db, (m) => log(`test template: ${m}`));
  } finally {
    await handle.close();
  }
  await adminQuery(url, `ALTER DATABASE "${name}_building" RENAME TO "${name}"`);
  await adminQuery(url, `UPDATE pg_database SET datistemplate = true WHERE datname = '${name}'`);
  log(`test template: database ${name} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return name;
}
