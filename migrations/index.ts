/**
 * The migration list, in order. Kysely sorts by name; names start with a number
 * that leaves room per feature (0001 foundation, 03xx data, 04xx rules, 05xx access,
 * 06xx scenarios, 07xx auth …) so that work on different features never collides.
 */
import type { Migration, MigrationProvider } from 'kysely/migration';
import * as m0001 from './0001_schema.ts';
import * as m0400 from './0400_rules.ts';
import * as m0700 from './0700_auth.ts';

export const migrations: Record<string, Migration> = {
  '0001_schema': m0001,
  '0400_rules': m0400,
  '0700_auth': m0700,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
