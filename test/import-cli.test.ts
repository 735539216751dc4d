import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { sql } from 'kysely';
import iconv from 'iconv-lite';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { adminQuery, withDatabase } from './setup/template.ts';
import { projectRoot } from '../server/paths.ts';
import { runExportCommand, runImportCommand } from '../server/importexport/cli.ts';
import { csv, fingerprint, insertWengniuteFixture, WNT } from './fixtures/import/kit.ts';

const HEADER = ['机构编码', '机构名称', '机构类型', '所在区划代码', '经度', '纬度', '床位数'];

describe(`npm run import / export: the same code path as the API (${engine})`, () => {
  let db: TestDatabase;
  let dir: string;
  const lines = { out: [] as string[], err: [] as string[] };
  const io = () => ({ db: db.db, out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) });
  const write = (name: string, content: string | Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, content);
    return file;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await insertWengniuteFixture(db.db);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'planner-cli-'));
  });
  afterAll(async () => {
    await db?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports a GBK file (detected), prints the counts and audits the operator', async () => {
    const file = write('gbk.csv', iconv.encode(csv([HEADER, ['CLI-1', '乌丹镇卫生院', '卫生院', WNT.wudan.code, 119.02, 42.94, 30]]), 'gbk'));
    lines.out = [];
    expect(await runImportCommand(['--kind', 'facilities', '--file', file], io(), { id: 'cli:tester', name: 'tester' })).toBe(0);
    expect(lines.out.join('\n')).toMatch(/created 1/);
    expect(lines.out.join('\n')).toContain('gb18030');
    const { rows } = await sql<{ actor: string; action: string }>`SELECT actor, action FROM audit_log ORDER BY id DESC LIMIT 1`.execute(db.db);
    expect(rows[0]).toEqual({ actor: 'cli:tester', action: 'import.facilities' });
  });

  it('--dry-run validates and writes nothing', async () => {
    const before = await fingerprint(db.db);
    const file = write('dry.csv', csv([HEADER, ['CLI-2', '某卫生室', '村卫生室', WNT.villages[0].code, 119.031, 42.941, 0]]));
    lines.out = [];
    expect(await runImportCommand(['--kind', 'facilities', '--file', file, '--dry-run'], io())).toBe(0);
    expect(lines.out.join('\n')).toContain('nothing written');
    expect(await fingerprint(db.db)).toEqual(before);
  });

  it('exits 1 with the problem list and writes nothing', async () => {
    const before = await fingerprint(db.db);
    const file = write('bad.csv', csv([HEADER, ['CLI-3', '某卫生室', '飞船站', WNT.villages[0].code, 42.941, 119.031, -1]]));
    lines.err = [];
    expect(await runImportCommand(['--kind', 'facilities', '--file', file], io())).toBe(1);
    const text = lines.err.join('\n');
    expect(text).toContain('第 2 行 row 2 · 机构类型 · "飞船站"');
    expect(text).toContain('经度和纬度似乎填反了');
    expect(text).toContain('must not be negative');
    expect(await fingerprint(db.db)).toEqual(before);
  });

  it('exits 1 on usage errors', async () => {
    lines.err = [];
    expect(await runImportCommand(['--kind', 'spaceships', '--file', 'x.csv'], io())).toBe(1);
    expect(await runImportCommand(['--kind', 'facilities'], io())).toBe(1);
    expect(await runImportCommand(['--kind', 'facilities', '--file', path.join(dir, 'missing.csv')], io())).toBe(1);
    expect(lines.err.join('\n')).toContain('usage');
  });

  it('exports to a file that re-imports unchanged', async () => {
    const out = path.join(dir, 'wnt.xlsx');
    lines.err = [];
    expect(await runExportCommand(['--kind', 'facilities', '--format', 'xlsx', '--unit', WNT.banner, '--out', out], io())).toBe(0);
    expect(fs.statSync(out).size).toBeGreaterThan(1000);
    lines.out = [];
    expect(await runImportCommand(['--kind', 'facilities', '--file', out], io())).toBe(0);
    expect(lines.out.join('\n')).toMatch(/created 0 · 更新 updated 0 · 未变 unchanged 1/);
  });

  describe.runIf(engine === 'postgres')('as a separate process (PostgreSQL: the test database is reachable by URL)', () => {
    const run = promisify(execFile);
    let url: string;
    let name: string;
    beforeAll(async () => {
      name = `planner_t_cli_${crypto.randomBytes(4).toString('hex')}`;
      await adminQuery(inject('databaseUrl'), `CREATE DATABASE "${name}" TEMPLATE "${inject('postgresTemplate')}"`);
      url = withDatabase(inject('databaseUrl'), name);
    });
    afterAll(async () => {
      await adminQuery(inject('databaseUrl'), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
    const cli = (args: string[]) =>
      run('node', ['--import', 'tsx', 'server/cli/import.ts', ...args], { cwd: projectRoot, env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' } }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );

    it('exits 1 listing the problems, then 0 for a valid file', async () => {
      const bad = await cli(['--kind', 'facilities', '--file', write('p-bad.csv', csv([HEADER, ['P-1', '某院', '综合医院', '150430', 116.4, 39.9, 5]]))]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('outside Inner Mongolia');
      const good = await cli(['--kind', 'facilities', '--file', write('p-good.csv', csv([HEADER, ['P-2', '敖汉某院', '综合医院', '150430', 119.9, 42.28, 5]]))]);
      expect(good.code, good.stderr).toBe(0);
      expect(good.stdout).toMatch(/created 1/);
    });
  });
});
