/**
 * Facility registry queries: plain functions of a Kysely instance or transaction.
 */
import { sql, type Kysely } from 'kysely';
import type { Geometry as GeoJSONGeometry } from 'geojson';
import type { Database, FacilityRow } from '../db/schema.ts';
import { asGeoJSON, intersectsBbox, type Bbox } from '../db/postgis.ts';
import type { FacilityStatus, FacilityType, Level } from '../domain/taxonomy.ts';
import { ancestorColumn } from '../units/repository.ts';

export interface FacilityFilter {
  types?: FacilityType[] | undefined;
  statuses?: FacilityStatus[] | undefined;
  unit?: { code: string; level: Level } | undefined;
  text?: string | undefined;
  bbox?: Bbox | undefined;
  limit: number;
  offset: number;
}

export type FacilityWithGeometry = Omit<FacilityRow, 'location'> & { location: GeoJSONGeometry };

function filtered(db: Kysely<Database>, filter: Omit<FacilityFilter, 'limit' | 'offset'>) {
  let query = db.selectFrom('facility');
  if (filter.types?.length) query = query.where('type', 'in', filter.types);
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses);
  if (filter.unit) {
    const { code, level } = filter.unit;
    const column = ancestorColumn(level);
    if (level === 'village') query = query.where('unit_code', '=', code);
    else if (column) query = query.where(column, '=', code);
  }
  if (filter.text) {
    const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('name', 'like', pattern), eb('code', 'like', pattern)]));
  }
  if (filter.bbox) {
    const bbox = filter.bbox;
    query = query.where((eb) => intersectsBbox(eb.ref('location'), bbox));
  }
  return query;
}

export async function listFacilities(db: Kysely<Database>, filter: FacilityFilter) {
  const base = filtered(db, filter);
  const [count, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    base
      .selectAll()
      .select((eb) => asGeoJSON(eb.ref('location')).as('location'))
      .orderBy('id')
      .limit(filter.limit)
      .offset(filter.offset)
      .execute(),
  ]);
  return { total: Number(count.n), rows: rows as unknown as FacilityWithGeometry[] };
}

export async function findFacility(db: Kysely<Database>, id: number) {
  const row = await db
    .selectFrom('facility')
    .leftJoin('admin_unit', 'admin_unit.code', 'facility.unit_code')
    .selectAll('facility')
    .select((eb) => [asGeoJSON(eb.ref('facility.location')).as('location'), 'admin_unit.name as unit_name'])
    .where('facility.id', '=', id)
    .executeTakeFirst();
  return row as unknown as (FacilityWithGeometry & { unit_name: string | null }) | undefined;
}

/** Bump the data version (cache keys, ETags); call inside the writing transaction. */
export async function bumpDataVersion(db: Kysely<Database>): Promise<number> {
  const row = await db
    .updateTable('data_state')
    .set({ data_version: sql`data_version + 1`, updated_at: sql`now()` })
    .where('id', '=', 1)
    .returning('data_version')
    .executeTakeFirstOrThrow();
  return Number(row.data_version);
}
