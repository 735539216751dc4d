/**
 * The rule engine on the seeded template: Aohan Banner (150430), 448,712
 * residents by the 2020 census, with whatever facilities, townships and
 * villages seeds/test.ts gives it. Every expected figure is recomputed here
 * from the seeded rows, so the tests hold for any calibration of the seed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { baselineContext } from '../server/engine/context.ts';
import { evaluate, findScopedUnit, inSubtree, rollup, type Evaluation } from '../server/rules/engine.ts';
import { getDefaultRuleSet } from '../server/rules/ruleSets.ts';
import type { RuleResult } from '../server/rules/types.ts';

const AOHAN = '150430';
let db: TestDatabase;
let evaluation: Evaluation;

function row(ruleId: string, unit = AOHAN): RuleResult {
  const found = evaluation.results.filter((r) => r.ruleId === ruleId && r.unit.code === unit);
  expect(found, `${ruleId} @ ${unit}`).toHaveLength(1);
  return found[0]!;
}

beforeAll(async () => {
  db = await createTestDatabase();
  evaluation = await evaluate(baselineContext(db.db), await getDefaultRuleSet(db.db), { unit: AOHAN });
});
afterAll(async () => {
  await db?.dispose();
});

describe(`Aohan Banner on the seeded data (${engine})`, () => {
  it('has the census population and falls under the psychiatric ward rule, not the clinic rule', async () => {
    const unit = await db.db.selectFrom('admin_unit').select(['population', 'name']).where('code', '=', AOHAN).executeTakeFirstOrThrow();
    expect(unit).toEqual({ population: 448_712, name: '敖汉旗' });
    const ward = row('im-psych-ward-pop-gt-300k');
    expect(['pass', 'fail', 'unknown']).toContain(ward.status);
    expect(ward.facts.population).toBe(448_712);
    expect(row('im-psych-clinic-pop-le-300k').status).toBe('not_applicable');
    // Aohan's own plan repeats the ward rule without a threshold (001:276).
    expect(row('ah-psych-ward').status).toBe(ward.status === 'unknown' ? row('ah-psych-ward').status : ward.status);
  });

  it('beds per 1,000 equal the seeded beds ÷ census population × 1,000, against both the region’s and Aohan’s targets', async () => {
    const { rows } = await sql<{ beds: number; n: number }>`
      SELECT COALESCE(sum(beds), 0)::int AS beds, count(*)::int AS n FROM facility WHERE banner_code = ${AOHAN} AND status = 'open'`.execute(db.db);
    const beds = rows[0]!.beds;
    const region = row('im-beds-per-1k');
    const own = row('ah-beds-per-1k');
    expect(region.facts.amount).toBe(beds);
    expect(region.facts.denominator).toBe(448_712);
    expect(region.measured.value).toBeCloseTo((beds / 448_712) * 1000, 3);
    expect(own.measured.value).toBe(region.measured.value);
    expect(region.target?.min).toBe(7.5);
    expect(own.target?.min).toBe(7.2);
    expect(own.comparesWith).toBe('im-beds-per-1k');
    expect(own.jurisdiction?.code).toBe(AOHAN);
    if (region.status === 'fail') expect(region.shortfall?.value).toBe(Math.ceil(7.5 * 448.712 - beds - 1e-9));
    if (rows[0]!.n > 0) {
      // The seed is calibrated to the 2020 baseline (2,857 beds, 001:34): below both targets.
      expect(region.status).toBe('fail');
      expect(own.status).toBe('fail');
    }
  });

  it('doctors, nurses and GPs per population use the same seeded sums', async () => {
    const { rows } = await sql<{ doctors: number; nurses: number; gps: number }>`
      SELECT COALESCE(sum(COALESCE(staff_doctors, 0) + COALESCE(staff_assistant_doctors, 0)), 0)::int AS doctors,
             COALESCE(sum(staff_nurses), 0)::int AS nurses, COALESCE(sum(staff_gps), 0)::int AS gps
      FROM facility WHERE banner_code = ${AOHAN} AND status = 'open'`.execute(db.db);
    const s = rows[0]!;
    expect(row('ah-doctors-per-1k').facts.amount).toBe(s.doctors);
    expect(row('ah-nurses-per-1k').facts.amount).toBe(s.nurses);
    expect(row('ah-gp-per-10k').facts.amount).toBe(s.gps);
    expect(row('ah-gp-per-10k').target?.min).toBe(3.5);
    expect(row('im-gp-per-10k').target?.min).toBe(3.2);
  });

  it('evaluates every village and township of the banner; roll-ups equal the detail rows', async () => {
    const villages = await db.db.selectFrom('admin_unit').select((eb) => eb.fn.countAll<number>().as('n')).where('banner_code', '=', AOHAN).where('level', '=', 'village').executeTakeFirstOrThrow();
    const villageRows = evaluation.results.filter((r) => r.ruleId === 's2-village-joint-clinic-500');
    expect(villageRows).toHaveLength(Number(villages.n));
    const townships = await db.db.selectFrom('admin_unit').select(['code', 'name', 'level', 'league_code', 'banner_code', 'township_code']).where('parent_code', '=', AOHAN).execute();
    expect(evaluation.results.filter((r) => r.ruleId === 'im-rural-three-tier-township')).toHaveLength(townships.length);
    const root = await findScopedUnit(baselineContext(db.db), AOHAN);
    const summary = rollup(evaluation.results, root);
    expect(summary.total).toBe(evaluation.results.length);
    const c = summary.byStatus;
    expect(c.pass + c.fail + c.not_applicable + c.unknown).toBe(evaluation.results.length);
    let sum = 0;
    for (const t of townships) {
      const child = { code: t.code, name: t.name, level: t.level, leagueCode: t.league_code, bannerCode: t.banner_code, townshipCode: t.township_code };
      const r = rollup(evaluation.results, child);
      expect(r.total).toBe(evaluation.results.filter((x) => inSubtree(x, child)).length);
      sum += r.total;
    }
    expect(sum + evaluation.results.filter((r) => r.unit.code === AOHAN).length).toBe(summary.total);
  });

  it('says when the data behind the results is synthetic', async () => {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM facility WHERE banner_code = ${AOHAN} AND synthetic`.execute(db.db);
    const { rows: units } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM admin_unit WHERE banner_code = ${AOHAN} AND synthetic`.execute(db.db);
    expect(evaluation.synthetic).toBe(rows[0]!.n + units[0]!.n > 0);
  });
});
