/**
 * `npm run test:reliability` (files *.rel.ts, so that `npm test` does not pick them up): load, faults and fuzz against real server
 * processes and databases. Not part of `npm test`. Bounded by default (about
 * two minutes of load and fuzz on a 2-core machine); scale with
 *   RELIABILITY_CLIENTS (default 50)   RELIABILITY_SECONDS (default 20; the full run: 60)
 *   RELIABILITY_FUZZ (default 10000)   RELIABILITY_IMPORT_ROWS (default 40000)
 * PostgreSQL with DATABASE_URL (as `npm test`); the fault test runs on both engines when it is set.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.rel.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 900_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // One file at a time: each measures the machine, and the machine has 2 cores.
    maxWorkers: 1,
    fileParallelism: false,
    reporters: ['default'],
  },
});
