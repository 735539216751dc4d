/**
 * What every test database starts from: the real top levels (region, leagues,
 * banners with boundaries and census) plus the complete Aohan Banner (150430):
 * its 19 townships and 249 villages (real names and codes, synthetic points and
 * populations summing to the census 448,712), its 656 calibrated synthetic
 * facilities (敖汉旗医院, 敖汉旗中医蒙医医院, 长胜中心卫生院 …) and its
 * population cells — the same rows `npm run seed` writes for Aohan with the
 * default seed. Other banners have no townships, facilities or cells: tests add
 * their own small fixtures there.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../server/db/schema.ts';
import { seedAll } from './index.ts';
import { AOHAN } from './region.ts';
import type { Progress } from './topLevels.ts';

export async function seedTestData(db: Kysely<Database>, progress: Progress = () => {}): Promise<void> {
  await seedAll(db, { banners: [AOHAN], progress });
}
