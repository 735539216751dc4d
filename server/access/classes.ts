/**
 * Facility classes as SQL: a class filter (params.ts) becomes a condition over
 * one facility row with bound values, and all classes together become one
 * bitmask column, so one scan of the facility relation tells every class its
 * members.
 */
import { sql, type RawBuilder } from 'kysely';
import type { AccessParams, FacilityFilter, FacilityFilterClause } from './params.ts';

type Sql = RawBuilder<unknown>;

const col = (alias: string, column: string): Sql => sql.ref(`${alias}.${column}`);

function clauseParts(filter: FacilityFilterClause, alias: string): Sql[] {
  const parts: Sql[] = [];
  if (filter.types) parts.push(sql`${col(alias, 'type')} = ANY(${[...filter.types]}::text[])`);
  if (filter.departmentsAny) parts.push(sql`${col(alias, 'departments')} && ${[...filter.departmentsAny]}::text[]`);
  if (filter.departmentsAll) parts.push(sql`${col(alias, 'departments')} @> ${[...filter.departmentsAll]}::text[]`);
  // grade_level is 0 for a NULL grade, and an unknown grade must not count as ≥ n.
  if (filter.gradeMin !== undefined) parts.push(sql`(${col(alias, 'grade')} IS NOT NULL AND ${col(alias, 'grade_level')} >= ${filter.gradeMin})`);
  if (filter.grades) parts.push(sql`${col(alias, 'grade')} = ANY(${[...filter.grades]}::text[])`);
  if (filter.ownership) parts.push(sql`${col(alias, 'ownership')} = ${filter.ownership}`);
  if (filter.runBy) parts.push(sql`${col(alias, 'run_by_level')} = ANY(${[...filter.runBy]}::text[])`);
  if (filter.hasTcmHall !== undefined) {
    parts.push(filter.hasTcmHall ? sql`${col(alias, 'tcm_hall_level')} IS NOT NULL` : sql`${col(alias, 'tcm_hall_level')} IS NULL`);
  }
  return parts;
}

/** The class filter as a condition; NULL (unknown) is treated as "not a member" by the callers' CASE. */
export function classCondition(filter: FacilityFilter, alias = 'f'): Sql {
  const parts = clauseParts(filter, alias);
  if (filter.anyOf) {
    const alternatives = filter.anyOf.map((clause) => {
      const p = clauseParts(clause, alias);
      return p.length === 0 ? sql`TRUE` : sql`(${sql.join(p, sql` AND `)})`;
    });
    parts.push(sql`(${sql.join(alternatives, sql` OR `)})`);
  }
  return parts.length === 0 ? sql`TRUE` : sql`(${sql.join(parts, sql` AND `)})`;
}

/** int4 with bit k set when the facility belongs to class k (at most 12 classes). */
export function classMask(params: AccessParams, alias = 'f'): Sql {
  const bits = params.classes.map((c, k) => sql`(CASE WHEN ${classCondition(c.filter, alias)} THEN ${sql.lit(1 << k)} ELSE 0 END)`);
  return sql`(${sql.join(bits, sql` | `)})`;
}

/** The facility statuses that provide care. */
export function statusCondition(params: AccessParams, alias = 'f'): Sql {
  return sql`${col(alias, 'status')} = ANY(${[...params.facilityStatuses]}::text[])`;
}
