/**
 * Seeding entry points, used by `npm run seed` and by the first start of an
 * empty database. Each step is idempotent.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../server/db/schema.ts';
import { seedTopLevels, type Progress } from './topLevels.ts';

export type { Progress };

export interface SeedOptions {
  progress?: Progress;
}

/** Seed everything the planner needs. */
export async function seedAll(db: Kysely<Database>, options: SeedOptions = {}): Promise<void> {
  const progress = options.progress ?? (() => {});
  await db.transaction().execute(async (trx) => {
    await seedTopLevels(trx, progress);
  });
}

/** True when the database has no admin units yet (first start). */
export async function isEmpty(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('admin_unit').select('code').limit(1).executeTakeFirst();
  return row === undefined;
}
