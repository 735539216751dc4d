/**
 * Seed times (issue 3, Performance): the whole region into a fresh database —
 * what the embedded engine's first start costs, and what `npm run seed` costs on
 * PostgreSQL (target: well under 5 minutes on a 2-core machine) — then the same
 * seed again (idempotent: nothing changes) and `--banner 150430` into a fresh
 * database. Never touches the configured database's data: on PostgreSQL it
 * creates and drops a scratch database on the same server, on the embedded
 * engine it uses in-memory instances.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../config.ts';
import { openDatabase, type DatabaseHandle } from '../db/index.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { seedAll, type SeedReport } from '../../seeds/index.ts';
import type { Bench, BenchContext } from './registry.ts';

async function adminQuery(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the configured engine; dropped by the returned dispose(). */
async function scratch(ctx: BenchContext): Promise<{ handle: DatabaseHandle; dispose(): Promise<void> }> {
  if (ctx.engine === 'pglite') {
    const handle = await openDatabase({});
    return { handle, dispose: () => handle.close() };
  }
  const url = loadConfig().databaseUrl!;
  const name = `planner_bench_seed_${crypto.randomBytes(4).toString('hex')}`;
  await adminQuery(url, `CREATE DATABASE "${name}" TEMPLATE template0`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: u.toString(), poolSize: 2 });
  return {
    handle,
    async dispose() {
      await handle.close();
      await adminQuery(url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

async function timed(run: () => Promise<SeedReport>): Promise<{ seconds: number; report: SeedReport }> {
  const started = process.hrtime.bigint();
  const report = await run();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, report };
}

export const seedBench: Bench = {
  name: 'seed',
  async run(ctx) {
    const region = await scratch(ctx);
    try {
      const migrateStarted = Date.now();
      await migrateToLatest(region.handle.db);
      ctx.log(`fresh ${ctx.engine} database migrated in ${((Date.now() - migrateStarted) / 1000).toFixed(1)} s`);
      let last = Date.now();
      const full = await timed(() =>
        seedAll(region.handle.db, {
          progress: (m) => {
            if (Date.now() - last > 5000 || /writing|dissolving/.test(m)) ctx.log(m);
            last = Date.now();
          },
        }),
      );
      const r = full.report;
      ctx.report(
        'seed, whole region, fresh database',
        full.seconds,
        's',
        `${r.townships} townships, ${r.villages} villages, ${r.facilities} facilities, ${r.cells} cells; plan ${r.seconds.plan.toFixed(1)} s, place ${r.seconds.place.toFixed(1)} s, write ${r.seconds.write.toFixed(1)} s` +
          (ctx.engine === 'pglite' ? '; the embedded first start costs this plus migrations' : '; target < 300 s'),
      );
      ctx.report('population cells, whole region', r.cells, 'cells', 'IM-AEA-1km, populated cells only');
      ctx.report('administrative villages under 500 residents', (100 * r.villagesUnder500) / r.administrativeVillages, '%', `${r.villagesUnder500} of ${r.administrativeVillages}`);
      const again = await timed(() => seedAll(region.handle.db));
      ctx.report('seed, whole region again (idempotent)', again.seconds, 's', 'same seed: no row rewritten');
    } finally {
      await region.dispose();
    }

    const one = await scratch(ctx);
    try {
      await migrateToLatest(one.handle.db);
      const aohan = await timed(() => seedAll(one.handle.db, { banners: ['150430'] }));
      ctx.report('seed --banner 150430, fresh database', aohan.seconds, 's', `${aohan.report.facilities} facilities, ${aohan.report.cells} cells; includes the top levels`);
      const aohanAgain = await timed(() => seedAll(one.handle.db, { banners: ['150430'] }));
      ctx.report('seed --banner 150430 again', aohanAgain.seconds, 's', 'top levels present');
    } finally {
      await one.dispose();
    }
  },
};
