import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engine } from './helpers/db.ts';
import { openDatabase } from '../server/db/index.ts';
import { migrateToLatest } from '../server/db/migrate.ts';

// The embedded engine keeps its data in DATA_DIR; PostgreSQL persistence is the server's.
describe.runIf(engine === 'pglite')('embedded database on disk', () => {
  // Two cold PGlite starts (initdb + PostGIS): ~30 s on an idle machine, much more under load.
  it('survives a restart with its data', { timeout: 240_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'planner-persist-'));
    try {
      const first = await openDatabase({ pgliteDir: path.join(dir, 'pgdata') });
      await migrateToLatest(first.db);
      await first.db.insertInto('admin_unit').values({ code: '150000', parent_code: null, level: 'region', name: '内蒙古自治区', kind: '自治区', population: 24049155 }).execute();
      await first.close();

      const second = await openDatabase({ pgliteDir: path.join(dir, 'pgdata') });
      const state = await migrateToLatest(second.db);
      expect(state.applied.length).toBeGreaterThan(0);
      const row = await second.db.selectFrom('admin_unit').select(['name', 'population']).where('code', '=', '150000').executeTakeFirst();
      expect(row).toEqual({ name: '内蒙古自治区', population: 24049155 });
      await second.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
