/**
 * Benchmarks run by `npm run bench`. Each feature adds a module exporting a
 * `Bench` and one line to `benches` below.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Engine } from '../db/index.ts';
import { importBench } from './import.ts';
import { rulesBench } from './rules.ts';
import { accessBench } from './access.ts';
import { seedBench } from './seed.ts';
import { authBench } from './auth.ts';
import { reportsBench } from './reports.ts';
import { scenariosBench } from './scenarios.ts';
import { uiBench } from './ui.ts';

export interface BenchContext {
  db: Kysely<Database>;
  engine: Engine;
  /** Print one figure line, e.g. report('seed, whole region', 41.2, 's'). */
  report(label: string, value: number, unit: string, note?: string): void;
  log(message: string): void;
}

export interface Bench {
  name: string;
  /** Runs against the configured (seeded) database; may skip with a printed reason. */
  run(ctx: BenchContext): Promise<void>;
}

export const benches: Bench[] = [rulesBench, accessBench, seedBench, importBench, authBench, scenariosBench, reportsBench, uiBench];
