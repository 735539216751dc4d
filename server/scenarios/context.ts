/**
 * The EvaluationContext of a scenario: relations with exactly the columns of
 * `facility`, `admin_unit` and `population_cell` (the tables' own row types)
 * holding the baseline with the scenario's changes applied.
 *
 *   facilities = rows not touched  UNION ALL  the touched rows, from one bound JSON value
 *   units      = rows not touched  UNION ALL  touched rows patched with their new figures
 *   cells      = rows not touched  UNION ALL  touched rows with their new population
 *
 * Touched facility rows travel whole (jsonb_populate_recordset over the table's
 * row type), units and cells as patches over their stored row
 * (jsonb_populate_record(row, patch)), so boundaries never leave the database
 * and a column added to a table later comes along unchanged. Every value is a
 * bound parameter. A scenario that touches nothing of a kind reads the table.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { EvaluationContext } from '../engine/context.ts';
import { POPULATION_COLUMNS, type ScenarioState } from './state.ts';

export interface Relations {
  facilities: RawBuilder<unknown>;
  units: RawBuilder<unknown>;
  cells: RawBuilder<unknown>;
}

/** EWKT the geometry input function reads back to the same doubles (shortest round-trip digits). */
export function ewktPoint(lon: number, lat: number): string {
  return `SRID=4326;POINT(${lon} ${lat})`;
}

export function facilitiesRelation(state: ScenarioState): RawBuilder<unknown> {
  if (state.facilities.size === 0) return sql`facility`;
  const rows = [...state.facilities.values()].sort((a, b) => a.row.id - b.row.id);
  const touched = rows.filter((f) => f.row.id > 0).map((f) => String(f.row.id));
  const json = JSON.stringify(rows.map((f) => ({ ...f.row, location: ewktPoint(f.lon, f.lat) })));
  return sql`(SELECT f.* FROM facility AS f WHERE f.id <> ALL(${touched}::int8[])
    UNION ALL SELECT s.* FROM jsonb_populate_recordset(NULL::facility, ${json}::jsonb) AS s)`;
}

export function unitsRelation(state: ScenarioState): RawBuilder<unknown> {
  if (state.units.size === 0) return sql`admin_unit`;
  const codes = [...state.units.keys()].sort();
  const patches: Record<string, Record<string, unknown>> = {};
  for (const code of codes) {
    const row = state.units.get(code)!;
    patches[code] = Object.fromEntries(POPULATION_COLUMNS.map((c) => [c, row[c]]));
  }
  return sql`(SELECT u.* FROM admin_unit AS u WHERE u.code <> ALL(${codes}::text[])
    UNION ALL SELECT r.* FROM admin_unit AS u
      JOIN jsonb_each(${JSON.stringify(patches)}::jsonb) AS p ON p.key = u.code
      CROSS JOIN LATERAL jsonb_populate_record(u, p.value) AS r)`;
}

export function cellsRelation(state: ScenarioState): RawBuilder<unknown> {
  if (state.cells.size === 0) return sql`population_cell`;
  const ids = [...state.cells.keys()].sort((a, b) => a - b);
  const patches: Record<string, { population: number }> = {};
  for (const id of ids) patches[String(id)] = { population: state.cells.get(id)! };
  return sql`(SELECT c.* FROM population_cell AS c WHERE c.id <> ALL(${ids.map(String)}::int8[])
    UNION ALL SELECT r.* FROM population_cell AS c
      JOIN jsonb_each(${JSON.stringify(patches)}::jsonb) AS p ON p.key::int8 = c.id
      CROSS JOIN LATERAL jsonb_populate_record(c, p.value) AS r)`;
}

export function relationsOf(state: ScenarioState): Relations {
  return { facilities: facilitiesRelation(state), units: unitsRelation(state), cells: cellsRelation(state) };
}

export function contextOf(db: Kysely<Database>, state: ScenarioState, scenario: { id: number; version: number } | null): EvaluationContext {
  const relations = relationsOf(state);
  return { db, ...relations, scenarioId: scenario?.id ?? null, scenarioVersion: scenario?.version ?? 0 };
}

/** The same context on another connection or transaction. */
export function withDb(ctx: EvaluationContext, db: Kysely<Database>): EvaluationContext {
  return { ...ctx, db };
}
