/**
 * Bulk writes of the generated layers: one `INSERT … SELECT … FROM unnest(…)`
 * per chunk, every column passed as one array parameter (so a statement has a
 * few dozen bound parameters whatever the row count, far from PostgreSQL's
 * 65,535 limit, and nothing is interpolated into the SQL text).
 *
 * Upserts by code (units, facilities) and by cell key (cells). A row that is no
 * longer synthetic (replaced by imported data) or that a user has edited
 * (version > 1) is left alone; a row whose values did not change is not
 * touched at all (not even locked), so re-seeding with the same seed changes
 * nothing and writes next to nothing.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../server/db/schema.ts';
import type { PopulationCell } from './grid.ts';
import type { PlannedFacility } from './facilities.ts';

/** Rows per statement: keeps each message to PGlite or PostgreSQL a few megabytes. */
const CHUNK = 5000;

function chunks<T>(rows: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** A PostgreSQL array literal of simple tokens (department names, unit codes): cast to text[] in SQL. */
function arrayLiteral(values: readonly string[]): string {
  for (const v of values) if (!/^[A-Za-z0-9_]+$/.test(v)) throw new Error(`unexpected array element ${JSON.stringify(v)}`);
  return `{${values.join(',')}}`;
}

export interface UnitRow {
  code: string;
  parent: string;
  level: 'township' | 'village';
  name: string;
  kind: string;
  urban: boolean;
  population: number;
  populationUrban: number;
  age0to14: number;
  age65plus: number;
  mobileService: boolean;
  lon: number;
  lat: number;
  populationSource: string;
  source: string;
}

export async function upsertUnits(db: Kysely<Database>, rows: UnitRow[]): Promise<void> {
  for (const part of chunks(rows)) {
    const col = <K extends keyof UnitRow>(k: K) => part.map((r) => r[k]);
    await sql`
      INSERT INTO admin_unit AS a (code, parent_code, level, name, kind, urban, population, population_urban, population_year,
                                   population_source, pop_age_0_14, pop_age_65_plus, mobile_service, point, synthetic, source)
      SELECT t.code, t.parent, t.level, t.name, t.kind, t.urban, t.population, t.population_urban, 2020,
             t.population_source, t.young, t.old, t.mobile, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), true, t.source
      FROM unnest(${col('code')}::text[], ${col('parent')}::text[], ${col('level')}::text[], ${col('name')}::text[], ${col('kind')}::text[],
                  ${col('urban')}::boolean[], ${col('population')}::bigint[], ${col('populationUrban')}::bigint[], ${col('populationSource')}::text[],
                  ${col('age0to14')}::bigint[], ${col('age65plus')}::bigint[], ${col('mobileService')}::boolean[],
                  ${col('lon')}::float8[], ${col('lat')}::float8[], ${col('source')}::text[])
        AS t(code, parent, level, name, kind, urban, population, population_urban, population_source, young, old, mobile, lon, lat, source)
      -- Unchanged rows, and rows that are no longer the seed's to change, are skipped here
      -- rather than in ON CONFLICT … WHERE, which would still lock (and so write) every row.
      WHERE NOT EXISTS (
        SELECT 1 FROM admin_unit x WHERE x.code = t.code AND (NOT x.synthetic OR x.version > 1 OR
          (x.parent_code, x.level, x.name, x.kind, x.urban, x.population, x.population_urban, x.population_year, x.population_source,
           x.pop_age_0_14, x.pop_age_65_plus, x.mobile_service, x.source, ST_X(x.point), ST_Y(x.point))
          IS NOT DISTINCT FROM
          (t.parent, t.level, t.name, t.kind, t.urban, t.population, t.population_urban, 2020::smallint, t.population_source,
           t.young, t.old, t.mobile, t.source, t.lon, t.lat)))
      ON CONFLICT (code) DO UPDATE SET
        parent_code = EXCLUDED.parent_code, level = EXCLUDED.level, name = EXCLUDED.name, kind = EXCLUDED.kind, urban = EXCLUDED.urban,
        population = EXCLUDED.population, population_urban = EXCLUDED.population_urban, population_year = EXCLUDED.population_year,
        population_source = EXCLUDED.population_source, pop_age_0_14 = EXCLUDED.pop_age_0_14, pop_age_65_plus = EXCLUDED.pop_age_65_plus,
        mobile_service = EXCLUDED.mobile_service, point = EXCLUDED.point, synthetic = EXCLUDED.synthetic, source = EXCLUDED.source,
        updated_at = now()
      WHERE a.synthetic AND a.version = 1`.execute(db);
  }
}

export interface FacilityRow extends PlannedFacility {
  lon: number;
  lat: number;
  unit: string;
}

const FACILITY_INT_COLUMNS = [
  'beds',
  'beds_paediatric',
  'staff_doctors',
  'staff_assistant_doctors',
  'staff_nurses',
  'staff_gps',
  'staff_tcm_doctors',
  'staff_tcm_gps',
  'staff_village_doctors',
  'staff_public_health',
  'staff_supervisors',
  'staff_tcm_capable',
  'tcm_technique_categories',
  'tcm_techniques',
] as const;

export async function upsertFacilities(db: Kysely<Database>, rows: FacilityRow[]): Promise<void> {
  const ints = sql.join(FACILITY_INT_COLUMNS.map((c) => sql.ref(c)));
  const intsFrom = (prefix: string) => sql.join(FACILITY_INT_COLUMNS.map((c) => sql.ref(`${prefix}.${c}`)));
  for (const part of chunks(rows)) {
    const col = <K extends keyof FacilityRow>(k: K) => part.map((r) => r[k]);
    const intArrays = sql.join(FACILITY_INT_COLUMNS.map((c) => sql`${part.map((r) => r[c])}::int[]`));
    await sql`
      INSERT INTO facility AS f (code, name, type, central, run_by_level, ownership, grade, status, location, unit_code, ${ints},
                                 departments, tcm_hall_level, provides_deliveries, villages_served, synthetic, source)
      SELECT t.code, t.name, t.type, t.central, t.run_by_level, t.ownership, t.grade, 'open', ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), t.unit,
             ${intsFrom('t')}, t.departments::text[], t.tcm_hall_level, t.provides_deliveries, t.villages_served::text[], true, t.source
      FROM unnest(${col('code')}::text[], ${col('name')}::text[], ${col('type')}::text[], ${col('central')}::boolean[], ${col('run_by_level')}::text[],
                  ${col('ownership')}::text[], ${col('grade')}::text[], ${col('lon')}::float8[], ${col('lat')}::float8[], ${col('unit')}::text[],
                  ${intArrays}, ${part.map((r) => arrayLiteral(r.departments))}::text[], ${col('tcm_hall_level')}::text[],
                  ${col('provides_deliveries')}::boolean[], ${part.map((r) => arrayLiteral(r.villages_served))}::text[], ${col('source')}::text[])
        AS t(code, name, type, central, run_by_level, ownership, grade, lon, lat, unit, ${ints}, departments, tcm_hall_level,
             provides_deliveries, villages_served, source)
      WHERE NOT EXISTS (
        SELECT 1 FROM facility x WHERE x.code = t.code AND (NOT x.synthetic OR x.version > 1 OR
          (x.name, x.type, x.central, x.run_by_level, x.ownership, x.grade, x.status, ST_X(x.location), ST_Y(x.location), x.unit_code,
           ${intsFrom('x')}, x.departments, x.tcm_hall_level, x.provides_deliveries, x.villages_served, x.source)
          IS NOT DISTINCT FROM
          (t.name, t.type, t.central, t.run_by_level, t.ownership, t.grade, 'open', t.lon, t.lat, t.unit,
           ${intsFrom('t')}, t.departments::text[], t.tcm_hall_level, t.provides_deliveries, t.villages_served::text[], t.source)))
      ON CONFLICT (code) DO UPDATE SET
        name = EXCLUDED.name, type = EXCLUDED.type, central = EXCLUDED.central, run_by_level = EXCLUDED.run_by_level,
        ownership = EXCLUDED.ownership, grade = EXCLUDED.grade, status = EXCLUDED.status, location = EXCLUDED.location,
        unit_code = EXCLUDED.unit_code, ${sql.join(FACILITY_INT_COLUMNS.map((c) => sql`${sql.ref(c)} = ${sql.ref(`excluded.${c}`)}`))},
        departments = EXCLUDED.departments, tcm_hall_level = EXCLUDED.tcm_hall_level, provides_deliveries = EXCLUDED.provides_deliveries,
        villages_served = EXCLUDED.villages_served, synthetic = EXCLUDED.synthetic, source = EXCLUDED.source, updated_at = now()
      WHERE f.synthetic AND f.version = 1`.execute(db);
  }
}

export async function upsertCells(db: Kysely<Database>, cells: PopulationCell[], cellSizeM: number, source: string): Promise<void> {
  for (const part of chunks(cells, 10_000)) {
    await sql`
      INSERT INTO population_cell AS c (cell_key, location, cell_size_m, population, unit_code, synthetic, source)
      SELECT t.key, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), ${cellSizeM}::int, t.population, t.unit, true, ${source}::text
      FROM unnest(${part.map((c) => c.key)}::text[], ${part.map((c) => c.lon)}::float8[], ${part.map((c) => c.lat)}::float8[],
                  ${part.map((c) => c.population)}::int[], ${part.map((c) => c.unit)}::text[]) AS t(key, lon, lat, population, unit)
      WHERE NOT EXISTS (
        SELECT 1 FROM population_cell x WHERE x.cell_key = t.key AND (NOT x.synthetic OR
          (ST_X(x.location), ST_Y(x.location), x.cell_size_m, x.population, x.unit_code, x.source)
          IS NOT DISTINCT FROM (t.lon, t.lat, ${cellSizeM}::int, t.population, t.unit, ${source}::text)))
      ON CONFLICT (cell_key) DO UPDATE SET
        location = EXCLUDED.location, cell_size_m = EXCLUDED.cell_size_m, population = EXCLUDED.population,
        unit_code = EXCLUDED.unit_code, synthetic = EXCLUDED.synthetic, source = EXCLUDED.source
      WHERE c.synthetic`.execute(db);
  }
}

/**
 * Remove what an earlier seed (another seed number) generated in these banners
 * and this one did not: synthetic cells, and synthetic facilities nobody edited
 * or merged into. Rows replaced by imports (synthetic = false) stay.
 */
export async function deleteStale(db: Kysely<Database>, banners: string[], facilityCodes: string[], cellKeys: string[], generator: string): Promise<{ facilities: number; cells: number }> {
  // EXCEPT (a hashed set difference), not NOT EXISTS over unnest(): the planner
  // cannot estimate an array's length and would compare every pair.
  const cells = await sql`
    DELETE FROM population_cell c
    USING (SELECT cell_key FROM population_cell WHERE synthetic AND banner_code = ANY (${banners}::text[])
           EXCEPT SELECT unnest(${cellKeys}::text[])) AS stale
    WHERE c.cell_key = stale.cell_key`.execute(db);
  const facilities = await sql`
    DELETE FROM facility f
    USING (SELECT code FROM facility WHERE synthetic AND version = 1 AND banner_code = ANY (${banners}::text[]) AND source LIKE ${`synthetic: ${generator}%`}
           EXCEPT SELECT unnest(${facilityCodes}::text[])) AS stale
    WHERE f.code = stale.code
      AND NOT EXISTS (SELECT 1 FROM facility m WHERE m.merged_into_id = f.id)`.execute(db);
  return { facilities: Number(facilities.numAffectedRows ?? 0), cells: Number(cells.numAffectedRows ?? 0) };
}
