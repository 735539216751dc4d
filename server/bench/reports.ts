/**
 * Gap report figures (issue 9): all banners' XLSX in one batch run as
 * `npm run report -- --unit all-banners --format xlsx` makes them (one
 * evaluation of the region, then each banner's model and workbook; target
 * < 2 min on PostgreSQL), and one banner's PDF (Aohan Banner 150430; target
 * < 10 s): cold (Chromium started, evaluation cached from the batch) and warm
 * (browser reused). Wall time, this process's CPU time and the load average
 * are printed: on a shared machine the wall time is an upper bound.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { Bench } from './registry.ts';
import { runReportCommand } from '../reports/cli.ts';
import { assembleReport, prepareReport } from '../reports/model.ts';
import { PdfRenderer } from '../reports/pdf.ts';
import { assembleOptionsFor, renderReport } from '../reports/service.ts';

const BANNER = '150430';

/**
 * CPU time of this process's PostgreSQL backends (the pool's connections, found by
 * matching our TCP sockets' local ports with pg_stat_activity.client_port), read
 * from /proc: only when the server runs on this machine. Sampled while the work
 * runs, so a connection the pool closes meanwhile still counts up to its last sample.
 */
function databaseCpuMeter(b: Parameters<Bench['run']>[0]) {
  const tick = 100;
  const seen = new Map<number, { first: number; last: number }>();
  const ourPorts = (): number[] => {
    const inodes = new Set<string>();
    for (const fd of fs.readdirSync('/proc/self/fd')) {
      try {
        const link = fs.readlinkSync(`/proc/self/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
    const ports: number[] = [];
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!fs.existsSync(file)) continue;
      for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length > 9 && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
      }
    }
    return ports;
  };
  const cpuOf = (pid: number): number | null => {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(fields[11]) + Number(fields[12])) / tick) * 1000;
    } catch {
      return null;
    }
  };
  const sample = async (initial: boolean) => {
    const ports = ourPorts();
    if (ports.length === 0) return;
    const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE client_port = ANY(${ports}::int[])`.execute(b.db);
    for (const { pid } of rows) {
      const cpu = cpuOf(Number(pid));
      if (cpu === null) continue;
      const s = seen.get(Number(pid));
      if (s) s.last = cpu;
      else seen.set(Number(pid), { first: initial ? cpu : 0, last: cpu });
    }
  };
  let timer: NodeJS.Timeout | null = null;
  return {
    async start() {
      if (b.engine !== 'postgres') return;
      await sample(true);
      timer = setInterval(() => void sample(false).catch(() => {}), 1000);
    },
    /** Milliseconds of database CPU, or null when not measurable (PGlite, or a server elsewhere). */
    async stop(): Promise<number | null> {
      if (timer) clearInterval(timer);
      if (b.engine !== 'postgres') return null;
      await sample(false);
      if (seen.size === 0) return null;
      return [...seen.values()].reduce((sum, s) => sum + (s.last - s.first), 0);
    },
  };
}

async function measure<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; load: number; value: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, load: os.loadavg()[0]!, value };
}

export const reportsBench: Bench = {
  name: 'reports',
  async run(b) {
    const { rows } = await sql<{ banners: number; villages: number }>`
      SELECT count(*) FILTER (WHERE level = 'banner')::int AS banners, count(*) FILTER (WHERE level = 'village')::int AS villages FROM admin_unit`.execute(b.db);
    const size = rows[0]!;
    b.log(`data: ${size.banners} banners, ${size.villages} villages; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`);
    if (size.villages < 10_000) b.log('NOTE: not the whole region (npm run seed): banners without villages make small reports.');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'planner-report-bench-'));
    try {
      const lines: string[] = [];
      const meter = databaseCpuMeter(b);
      await meter.start();
      const batch = await measure(() => runReportCommand(['--unit', 'all-banners', '--format', 'xlsx', '--out', dir], { db: b.db, out: (l) => lines.push(l), err: (l) => lines.push(l) }));
      const dbCpuMs = await meter.stop();
      if (batch.value !== 0) throw new Error(`batch failed:\n${lines.slice(-5).join('\n')}`);
      const files = fs.readdirSync(dir);
      const bytes = files.reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
      b.log(lines.find((l) => l.startsWith('evaluated')) ?? '');
      b.report(
        `reports: all ${size.banners} banners' XLSX, one batch (evaluation included)`,
        batch.ms / 1000,
        's',
        `${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB; node CPU ${(batch.cpuMs / 1000).toFixed(1)} s${dbCpuMs !== null ? ` + database backends' CPU ${(dbCpuMs / 1000).toFixed(1)} s` : b.engine === 'pglite' ? ' (database included)' : ''}; load ${batch.load.toFixed(1)}${b.engine === 'postgres' ? '; target < 120 s' : ''}`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const hasBanner = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM admin_unit WHERE code = ${BANNER}`.execute(b.db)).rows[0]!.n > 0;
    const renderer = new PdfRenderer();
    if (!hasBanner) {
      b.log(`no banner ${BANNER}: PDF not measured`);
      return;
    }
    if (renderer.unavailableReason()) {
      b.log(`PDF not measured: ${renderer.unavailableReason()}`);
      return;
    }
    try {
      const onePdf = async () => {
        const inputs = await prepareReport(b.db, {});
        const model = await assembleReport(b.db, inputs, BANNER, assembleOptionsFor('pdf'));
        return renderReport(model, { format: 'pdf', lang: 'zh', pdf: renderer });
      };
      const cold = await measure(onePdf);
      b.report(`reports: one banner's PDF (${BANNER} 敖汉旗), Chromium cold`, cold.ms / 1000, 's', `${(cold.value.body.length / 2 ** 20).toFixed(1)} MiB; node CPU ${(cold.cpuMs / 1000).toFixed(1)} s; load ${cold.load.toFixed(1)}; target < 10 s`);
      const warm = [];
      for (let i = 0; i < 3; i++) warm.push(await measure(onePdf));
      warm.sort((x, y) => x.ms - y.ms);
      const mid = warm[1]!;
      b.report(`reports: one banner's PDF (${BANNER} 敖汉旗), browser reused`, mid.ms / 1000, 's', `median of 3; node CPU ${(mid.cpuMs / 1000).toFixed(1)} s (Chromium's CPU not included); load ${mid.load.toFixed(1)}; target < 10 s`);
    } finally {
      await renderer.close();
    }
  },
};
