/**
 * Import throughput: a generated 100,000-row facility CSV (UTF-8, Chinese headers
 * and type names, spread over the region's villages or banners), validated and written through the same
 * code path as the API and CLI. Everything runs inside one transaction that is
 * rolled back, so the bench leaves the configured database as it found it.
 */
import fs from 'node:fs';
import os from 'node:os';
import { sql } from 'kysely';
import type { Bench } from './registry.ts';
import { importInTransaction } from '../importexport/service.ts';
import type { ImportReport } from '../importexport/types.ts';

const ROWS = 100_000;
const TYPES = ['村卫生室', '苏木乡镇卫生院', '综合医院', '社区卫生服务站', '诊所', '中医（蒙医）医院', '妇幼保健院'];
const DEPARTMENTS = ['', '急诊科', '儿科门诊；急诊科', '中医（蒙医）科', '精神科（设病房）；重症医学科（ICU）'];

/** Deterministic pseudo-random numbers (mulberry32), so every run imports the same file. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function facilityCsv(units: { code: string; lon: number; lat: number }[], rows = ROWS, bedsOffset = 0): Buffer {
  const next = random(20_240_601);
  const lines = ['机构编码,机构名称,机构类型,所在区划代码,经度,纬度,床位数,执业医师,注册护士,全科医生,乡村医生,科室'];
  for (let i = 0; i < rows; i++) {
    const unit = units[i % units.length]!;
    const type = TYPES[Math.floor(next() * TYPES.length)]!;
    // Within ~1 km of the unit's point, inside the 2 km tolerance of its banner.
    const lon = (unit.lon + (next() - 0.5) * 0.02).toFixed(6);
    const lat = (unit.lat + (next() - 0.5) * 0.02).toFixed(6);
    const beds = Math.floor(next() * 200) + bedsOffset;
    const dept = DEPARTMENTS[Math.floor(next() * DEPARTMENTS.length)]!;
    lines.push(`BENCH-${String(i).padStart(6, '0')},基准测试机构${i},${type},${unit.code},${lon},${lat},${beds},${Math.floor(next() * 50)},${Math.floor(next() * 60)},${Math.floor(next() * 5)},${Math.floor(next() * 3)},${dept}`);
  }
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

class Rollback extends Error {}

/**
 * CPU seconds used so far by a PostgreSQL backend on this machine (utime + stime
 * from /proc, in clock ticks of 1/100 s), or null when the server is elsewhere.
 * With node's own CPU time it gives what an import costs, apart from the wait
 * for a CPU on a shared machine.
 */
function backendCpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export const importBench: Bench = {
  name: 'import',
  async run(ctx) {
    // Facilities stand in villages where the database has them (as real registries do);
    // on a database with banners only, every row names a banner (the slower case: the
    // ancestor trigger then reads a banner row with its large boundary).
    const { rows: villages } = await sql<{ code: string; lon: number; lat: number }>`
      SELECT v.code, ST_X(v.point) AS lon, ST_Y(v.point) AS lat FROM admin_unit v JOIN admin_unit b ON b.code = v.banner_code
      WHERE v.level = 'village' AND v.point IS NOT NULL AND ST_Intersects(b.boundary, v.point) ORDER BY v.code`.execute(ctx.db);
    const { rows: banners } = await sql<{ code: string; lon: number; lat: number }>`
      SELECT code, ST_X(point) AS lon, ST_Y(point) AS lat FROM admin_unit WHERE level = 'banner' AND point IS NOT NULL AND boundary IS NOT NULL
        AND ST_Contains(boundary, point) ORDER BY code`.execute(ctx.db);
    const units = villages.length >= 100 ? villages : banners;
    const unitKind = villages.length >= 100 ? 'villages' : 'banners';
    if (units.length === 0) {
      ctx.log('skipped: the database has no banners with seats (run npm run seed first)');
      return;
    }
    const file = facilityCsv(units);
    const changed = facilityCsv(units, ROWS, 1);
    ctx.log(`generated ${ROWS.toLocaleString('en')} facility rows in ${units.length} ${unitKind} (${(file.length / 1024 / 1024).toFixed(1)} MB CSV)`);
    const actor = { id: 'bench', name: 'bench' };
    const options = { mode: 'commit' as const, encoding: 'auto' as const, crs: 'wgs84' as const, format: 'auto' as const };
    let backendPid: number | null = null;
    const timed = async (label: string, run: () => Promise<ImportReport>) => {
      const backend0 = backendCpuSeconds(backendPid);
      const cpu0 = process.cpuUsage();
      const started = performance.now();
      const report = await run();
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const backend1 = backendCpuSeconds(backendPid);
      const cpuNote = `CPU: node ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s${backend0 !== null && backend1 !== null ? ` + database backend ${(backend1 - backend0).toFixed(1)} s` : ctx.engine === 'pglite' ? ' (database included: in-process)' : ''}`;
      const c = report.counts;
      const phases = Object.entries(report.timings).filter(([, ms]) => ms >= 50).map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)}`).join(', ');
      ctx.report(`${label} (${ctx.engine}, ${unitKind})`, ROWS / seconds, 'rows/s', `${seconds.toFixed(2)} s; ${cpuNote}; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs; created ${c.created}, updated ${c.updated}, unchanged ${c.unchanged}; s per phase: ${phases}`);
      return report;
    };
    try {
      await ctx.db.transaction().execute(async (trx) => {
        if (ctx.engine === 'postgres') {
          const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
          backendPid = rows[0]!.pid;
        }
        await timed('facility CSV 100k rows, validated and written (new)', () => importInTransaction(trx, 'facilities', { name: 'bench.csv', bytes: file }, options, actor));
        await timed('same file again (all unchanged, nothing written)', () => importInTransaction(trx, 'facilities', { name: 'bench.csv', bytes: file }, options, actor));
        await timed('every row changed (100k updates)', () => importInTransaction(trx, 'facilities', { name: 'bench-changed.csv', bytes: changed }, options, actor));
        await timed('validate only (mode=validate)', () => importInTransaction(trx, 'facilities', { name: 'bench.csv', bytes: file }, { ...options, mode: 'validate' }, actor));
        throw new Rollback();
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
    }
    ctx.log('rolled back: the bench leaves no facilities behind');
  },
};
