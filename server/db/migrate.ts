import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrationProvider } from '../../migrations/index.ts';

export interface MigrationState {
  applied: string[];
  latest: string | null;
}

/** Apply every pending migration; throws (and the caller exits non-zero) on failure. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationState> {
  // Feature blocks are numbered (03xx data, 04xx rules, 07xx auth …), so a
  // database migrated while one feature's block was ahead of another's must still
  // accept the lower-numbered migration that lands later.
  const migrator = new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const name = failed?.migrationName ?? 'unknown';
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${name} failed: ${reason}`, { cause: error });
  }
  return migrationState(db);
}

export async function migrationState(db: Kysely<any>): Promise<MigrationState> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const all = await migrator.getMigrations();
  const applied = all.filter((m) => m.executedAt).map((m) => m.name);
  return { applied, latest: applied.at(-1) ?? null };
}
