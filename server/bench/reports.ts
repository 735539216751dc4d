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
      const batch = await measure(() => runReportCommand(['--unit', 'all-banners', '--format', 'xlsx', '--out', dir], { db: b.db, out: (l) => lines.push(l), err: (l) => lines.push(l) }));
      if (batch.value !== 0) throw new Error(`batch failed:\n${lines.slice(-5).join('\n')}`);
      const files = fs.readdirSync(dir);
      const bytes = files.reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
      b.log(lines.find((l) => l.startsWith('evaluated')) ?? '');
      b.report(
        `reports: all ${size.banners} banners' XLSX, one batch (evaluation included)`,
        batch.ms / 1000,
        's',
        `${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB; node CPU ${(batch.cpuMs / 1000).toFixed(1)} s; load ${batch.load.toFixed(1)}${b.engine === 'postgres' ? '; target < 120 s' : ''}`,
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
