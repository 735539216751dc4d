/**
 * Rule engine figures: every rule of the default rule set over the whole
 * region, and over one banner subtree (Aohan Banner 150430, the banner the
 * texts name). Targets (PRODUCT.md §8; issue 4): whole region < 1 s on
 * PostgreSQL/PostGIS and < 10 s on PGlite; one banner < 100 ms on PostgreSQL.
 * Run it once per engine (with and without DATABASE_URL) to get both.
 */
import os from 'node:os';
import { sql } from 'kysely';
import type { Bench } from './registry.ts';
import { baselineContext } from '../engine/context.ts';
import { evaluate, evaluateRule, findScopedUnit, type Evaluation } from '../rules/engine.ts';
import { getDefaultRuleSet } from '../rules/ruleSets.ts';
import { allRules } from '../rules/registry.ts';

const BANNER = '150430';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median wall time and median CPU time of this process (the shared machine's load inflates wall time). */
async function timed(runs: number, fn: () => Promise<Evaluation>): Promise<{ ms: number; cpuMs: number; last: Evaluation }> {
  const times: number[] = [];
  const cpu: number[] = [];
  let last: Evaluation | undefined;
  for (let i = 0; i < runs; i++) {
    last = undefined;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    last = await fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ms: median(times), cpuMs: median(cpu), last: last! };
}

export const rulesBench: Bench = {
  name: 'rules',
  async run(b) {
    const { rows } = await sql<{ units: number; villages: number; facilities: number; banners_with_facilities: number }>`
      SELECT (SELECT count(*) FROM admin_unit)::int AS units,
             (SELECT count(*) FROM admin_unit WHERE level = 'village')::int AS villages,
             (SELECT count(*) FROM facility WHERE status = 'open')::int AS facilities,
             (SELECT count(DISTINCT banner_code) FROM facility)::int AS banners_with_facilities`.execute(b.db);
    const size = rows[0]!;
    b.log(`data: ${size.units} units (${size.villages} villages), ${size.facilities} open facilities in ${size.banners_with_facilities} banners; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`);
    if (size.villages < 10_000) {
      b.log('NOTE: the database is not seeded with the whole region (npm run seed): the region figure covers only what is loaded.');
    }
    const ruleSet = await getDefaultRuleSet(b.db);
    const ctx = baselineContext(b.db);
    const runs = b.engine === 'postgres' ? 7 : 3;

    await evaluate(ctx, ruleSet); // warm caches and plans
    const region = await timed(runs, () => evaluate(ctx, ruleSet));
    b.report(
      'rules: whole region, every rule',
      region.ms,
      'ms',
      `median of ${runs}; node CPU ${region.cpuMs.toFixed(0)} ms; ${region.last.rulesEvaluated.length} rules, ${region.last.results.length} (rule, unit) results; target < ${b.engine === 'postgres' ? '1,000' : '10,000'} ms`,
    );

    const hasBanner = await findScopedUnit(ctx, BANNER).then(
      () => true,
      () => false,
    );
    if (hasBanner) {
      const banner = await timed(runs * 3, () => evaluate(ctx, ruleSet, { unit: BANNER }));
      b.report(
        `rules: one banner subtree (${BANNER} 敖汉旗)`,
        banner.ms,
        'ms',
        `median of ${runs * 3}; node CPU ${banner.cpuMs.toFixed(0)} ms; ${banner.last.results.length} results${b.engine === 'postgres' ? '; target < 100 ms' : ''}`,
      );
    }

    const timings: { stage: string; ms: number }[] = [];
    await evaluate(ctx, ruleSet, { timings });
    b.log(`stages of one region run: ${timings.map((t) => `${t.stage} ${t.ms.toFixed(0)} ms`).join(', ')}`);

    // Where the time goes: each rule alone over the region.
    const perRule: { id: string; ms: number }[] = [];
    const dataVersion = region.last.dataVersion;
    for (const rule of allRules()) {
      const t0 = performance.now();
      await evaluateRule(ctx, rule, ruleSet, { root: { code: '150000', level: 'region' } }, dataVersion);
      perRule.push({ id: rule.id, ms: performance.now() - t0 });
    }
    perRule.sort((a, c) => c.ms - a.ms);
    b.log(`slowest rules alone over the region: ${perRule.slice(0, 5).map((r) => `${r.id} ${r.ms.toFixed(0)} ms`).join(', ')}`);
    b.report('rules: sum of single-rule times, region', perRule.reduce((n, r) => n + r.ms, 0), 'ms', 'sequential, for comparison with the pooled run');
  },
};
