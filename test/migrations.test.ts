import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { inject } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../server/db/index.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { migrations } from '../migrations/index.ts';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { insertFacility } from './helpers/fixtures.ts';
import { adminQuery, withDatabase } from './setup/template.ts';
import { DEPARTMENTS, FACILITY_STATUSES, FACILITY_TYPES, GRADES, TCM_HALL_LEVELS } from '../server/domain/taxonomy.ts';

describe(`migrations on an empty ${engine} database`, () => {
  let handle: DatabaseHandle;
  let dropName: string | undefined;

  beforeAll(async () => {
    const url = inject('databaseUrl');
    if (url) {
      dropName = `planner_empty_${crypto.randomBytes(5).toString('hex')}`;
      await adminQuery(url, `CREATE DATABASE "${dropName}" TEMPLATE template0`);
      handle = await openDatabase({ databaseUrl: withDatabase(url, dropName), poolSize: 2 });
    } else {
      handle = await openDatabase({});
    }
  });
  afterAll(async () => {
    await handle?.close();
    const url = inject('databaseUrl');
    if (url && dropName) await adminQuery(url, `DROP DATABASE IF EXISTS "${dropName}" WITH (FORCE)`);
  });

  it('apply cleanly and are idempotent', async () => {
    const first = await migrateToLatest(handle.db);
    expect(first.applied).toEqual(Object.keys(migrations));
    const second = await migrateToLatest(handle.db);
    expect(second).toEqual(first);
    const { rows } = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`.execute(handle.db);
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['admin_unit', 'audit_log', 'data_state', 'facility', 'population_cell', 'rule_set', 'scenario', 'scenario_change']),
    );
  });

  it('documents tables with COMMENT ON', async () => {
    const { rows } = await sql<{ name: string; comment: string | null }>`
      SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname NOT LIKE 'kysely_%' AND c.relname <> 'spatial_ref_sys'`.execute(handle.db);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const row of rows) expect(row.comment, `table ${row.name}`).toBeTruthy();
  });

  it('has GiST indexes on every geometry column', async () => {
    const { rows } = await sql<{ f_table_name: string; f_geometry_column: string; indexed: boolean }>`
      SELECT g.f_table_name, g.f_geometry_column,
        EXISTS (SELECT 1 FROM pg_indexes i WHERE i.tablename = g.f_table_name
                AND i.indexdef ILIKE '%gist%' AND i.indexdef LIKE '%(' || g.f_geometry_column || ')%') AS indexed
      FROM geometry_columns g WHERE g.f_table_schema = 'public'`.execute(handle.db);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) expect(row.indexed, `${row.f_table_name}.${row.f_geometry_column}`).toBe(true);
  });
});

describe(`constraints (${engine})`, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  const point = { lon: 119.9, lat: 42.28 };

  it('accepts every taxonomy value the API accepts', async () => {
    for (const type of FACILITY_TYPES) await insertFacility(db.db, { ...point, type });
    for (const status of FACILITY_STATUSES) await insertFacility(db.db, { ...point, status });
    for (const grade of GRADES) await insertFacility(db.db, { ...point, type: 'general_hospital', grade });
    for (const level of TCM_HALL_LEVELS) await insertFacility(db.db, { ...point, tcm_hall_level: level });
    await insertFacility(db.db, { ...point, departments: [...DEPARTMENTS] });
  });

  it.each([
    ['an unknown facility type', { type: 'spaceship' }],
    ['an unknown status', { status: 'demolished' }],
    ['an unknown grade', { grade: '4' }],
    ['an unknown department', { departments: ['psychiatry_ward', 'astrology'] }],
    ['negative beds', { beds: -1 }],
    ['negative staff', { staff_nurses: -3 }],
    ['a unit that does not exist', { unit_code: '159999' }],
  ])('rejects %s', async (_label, values) => {
    await expect(insertFacility(db.db, { ...point, ...(values as object) })).rejects.toThrow();
  });

  it('rejects unit codes of the wrong length for their level', async () => {
    const bad = [
      { code: '15043010', level: 'township' },
      { code: '150430100', level: 'village' },
      { code: '1504301002011', level: 'village' },
      { code: '150430', level: 'township' },
    ] as const;
    for (const unit of bad) {
      await expect(
        db.db.insertInto('admin_unit').values({ code: unit.code, parent_code: '150430', level: unit.level, name: 'x', kind: null }).execute(),
      ).rejects.toThrow();
    }
  });

  it('rejects a negative population and a second region', async () => {
    await expect(
      db.db.insertInto('admin_unit').values({ code: '150430999', parent_code: '150430', level: 'township', name: 'x', kind: null, population: -5 }).execute(),
    ).rejects.toThrow();
    await expect(db.db.insertInto('admin_unit').values({ code: '160000', parent_code: null, level: 'league', name: 'x', kind: null }).execute()).rejects.toThrow();
  });

  it('derives grade_level and ancestor codes', async () => {
    const id = await insertFacility(db.db, { ...point, type: 'general_hospital', grade: '2A', unit_code: '150430' });
    const row = await db.db.selectFrom('facility').select(['grade_level', 'banner_code', 'league_code']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toEqual({ grade_level: 2, banner_code: '150430', league_code: '150400' });
  });
});
