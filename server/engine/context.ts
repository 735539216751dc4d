/**
 * What an evaluation reads. The rule engine and the access engine never read
 * the `facility`, `admin_unit` or `population_cell` tables directly: they read
 * the relations of an EvaluationContext, so that the same evaluators run on the
 * baseline and on a scenario (whose context substitutes relations with the
 * scenario's changes applied: facilities added, closed, moved, merged, updated;
 * unit populations changed).
 *
 * Each relation has exactly the columns of its table (same names and types),
 * so an evaluator written against the table works against the relation:
 *
 *   sql`SELECT f.banner_code, sum(f.beds) FROM ${ctx.facilities} AS f
 *       WHERE f.status = 'open' GROUP BY 1`
 *
 * or with the query builder: ctx.db.selectFrom(ctx.facilities.as('f')) …
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface EvaluationContext {
  db: Kysely<Database>;
  /** Effective facilities: columns of `facility`. */
  facilities: RawBuilder<unknown>;
  /** Effective admin units (populations may be overridden): columns of `admin_unit`. */
  units: RawBuilder<unknown>;
  /** Effective population cells: columns of `population_cell`. */
  cells: RawBuilder<unknown>;
  /** null for the baseline. */
  scenarioId: number | null;
  /** Scenario version the relations reflect (0 for the baseline); part of cache keys. */
  scenarioVersion: number;
}

export function baselineContext(db: Kysely<Database>): EvaluationContext {
  return {
    db,
    facilities: sql`facility`,
    units: sql`admin_unit`,
    cells: sql`population_cell`,
    scenarioId: null,
    scenarioVersion: 0,
  };
}
