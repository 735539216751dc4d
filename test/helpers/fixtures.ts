/** Small, named fixtures built inside tests. */
import { sql, type Kysely } from 'kysely';
import type { Database, NewFacility } from '../../server/db/schema.ts';
import { pointFromLonLat } from '../../server/db/postgis.ts';

let counter = 0;

export type FacilityFixture = Partial<Omit<NewFacility, 'location'>> & { lon: number; lat: number };

export async function insertFacility(db: Kysely<Database>, fixture: FacilityFixture): Promise<number> {
  counter += 1;
  const { lon, lat, ...rest } = fixture;
  const row = await db
    .insertInto('facility')
    .values({
      code: `TEST-${process.pid}-${counter}`,
      name: `测试机构 ${counter}`,
      type: 'village_clinic',
      unit_code: '150430',
      ...rest,
      location: pointFromLonLat(lon, lat),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function insertUnit(
  db: Kysely<Database>,
  unit: { code: string; parent: string; level: 'township' | 'village'; name: string; population?: number; lon?: number; lat?: number; urban?: boolean },
) {
  await db
    .insertInto('admin_unit')
    .values({
      code: unit.code,
      parent_code: unit.parent,
      level: unit.level,
      name: unit.name,
      kind: null,
      population: unit.population ?? null,
      urban: unit.urban ?? false,
      point: unit.lon !== undefined && unit.lat !== undefined ? pointFromLonLat(unit.lon, unit.lat) : null,
    })
    .execute();
}

export async function count(db: Kysely<Database>, table: keyof Database): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db);
  return rows[0]!.n;
}

/**
 * Remove what the template seeds below banner level (Aohan's townships, villages,
 * facilities and population cells), for a test built only on hand-made fixtures.
 * Only this test file's own database copy is affected.
 */
export async function clearSeededLayers(db: Kysely<Database>): Promise<void> {
  await sql`DELETE FROM population_cell`.execute(db);
  await sql`DELETE FROM facility`.execute(db);
  await sql`DELETE FROM admin_unit WHERE level = 'village'`.execute(db);
  await sql`DELETE FROM admin_unit WHERE level = 'township'`.execute(db);
}
