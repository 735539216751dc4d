/**
 * What every test database starts from: the real top levels (region, leagues,
 * banners with boundaries and census). Tests add their own small fixtures.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../server/db/schema.ts';
import { seedTopLevels, type Progress } from './topLevels.ts';

export async function seedTestData(db: Kysely<Database>, progress: Progress = () => {}): Promise<void> {
  await db.transaction().execute((trx) => seedTopLevels(trx, progress));
}
