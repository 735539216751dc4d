/**
 * Every rule kind on small hand-built fixtures in a real database: pass, fail,
 * not applicable and unknown; thresholds at their boundaries; shortfall
 * arithmetic; roll-ups equal to the detail rows.
 *
 * Fixtures live in 阿拉善盟 (152900) and 乌海市 (150300); every facility the
 * template may already hold there is closed first, so only the fixtures count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { insertFacility, insertUnit, type FacilityFixture } from './helpers/fixtures.ts';
import { baselineContext } from '../server/engine/context.ts';
import { childUnits, evaluate, findScopedUnit, inSubtree, rollup, type RuleSetInput } from '../server/rules/engine.ts';
import { getDefaultRuleSet } from '../server/rules/ruleSets.ts';
import type { RuleResult } from '../server/rules/types.ts';

let db: TestDatabase;
let base: RuleSetInput;

const LEFT = '152921'; // 阿拉善左旗
const RIGHT = '152922'; // 阿拉善右旗
const EJINA = '152923'; // 额济纳旗
const HAIBOWAN = '150302'; // 海勃湾区 (a district)
const HAINAN = '150303'; // 海南区
const WUDA = '150304'; // 乌达区

async function setPopulation(code: string, population: number | null, children: number | null = null) {
  await db.db.updateTable('admin_unit').set({ population, population_urban: null, pop_age_0_14: children }).where('code', '=', code).execute();
}

async function run(unit: string, rules: string[], over: Partial<RuleSetInput> = {}): Promise<RuleResult[]> {
  const evaluation = await evaluate(baselineContext(db.db), { ...base, ...over }, { unit, rules });
  return evaluation.results;
}

function one(results: RuleResult[], ruleId: string, unit: string): RuleResult {
  const found = results.filter((r) => r.ruleId === ruleId && r.unit.code === unit);
  expect(found, `${ruleId} @ ${unit}`).toHaveLength(1);
  return found[0]!;
}

const at = (over: FacilityFixture): FacilityFixture => over;
// Hospitals default to grade 1 without deliveries, so rules about grade-≥2 hospitals only see the fixtures made for them.
const HOSPITAL = { lon: 105.7, lat: 38.8, grade: '1' as const, provides_deliveries: false };

beforeAll(async () => {
  db = await createTestDatabase();
  await sql`UPDATE facility SET status = 'closed' WHERE league_code IN ('152900', '150300')`.execute(db.db);
  base = await getDefaultRuleSet(db.db);
});
afterAll(async () => {
  await db?.dispose();
});

describe(`presence by population: psychiatric ward / clinic (${engine})`, () => {
  beforeAll(async () => {
    await setPopulation(LEFT, 300_000);
    await setPopulation(RIGHT, 300_001);
    await setPopulation(EJINA, null);
    // 300,000 exactly: a banner-run public hospital with a psychiatry clinic.
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: LEFT, run_by_level: 'banner', ownership: 'public', departments: ['psychiatry_clinic'] }));
    // 300,001: a clinic only (does not satisfy the ward rule), and a private ward (does not count).
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: RIGHT, run_by_level: 'banner', departments: ['psychiatry_clinic'] }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: RIGHT, ownership: 'private', departments: ['psychiatry_ward'] }));
  });

  it('a banner of exactly 300,000 falls under the clinic rule, not the ward rule', async () => {
    const results = await run(LEFT, ['im-psych-ward-pop-gt-300k', 'im-psych-clinic-pop-le-300k']);
    expect(one(results, 'im-psych-ward-pop-gt-300k', LEFT).status).toBe('not_applicable');
    const clinic = one(results, 'im-psych-clinic-pop-le-300k', LEFT);
    expect(clinic.status).toBe('pass');
    expect(clinic.facilities.count).toBe(1);
    expect(clinic.citations[0]).toMatchObject({ file: '000_7de451bffa4866dc.txt', lines: [696, 698] });
  });

  it('a banner of 300,001 needs a public hospital with a ward; a private one or a clinic does not count', async () => {
    let ward = one(await run(RIGHT, ['im-psych-ward-pop-gt-300k']), 'im-psych-ward-pop-gt-300k', RIGHT);
    expect(ward.status).toBe('fail');
    expect(ward.shortfall).toMatchObject({ value: 1, text: { zh: '缺 1 所设有病房精神科的公立医院' } });
    expect(ward.force).toBe('must');
    // A league-run public hospital sited in the banner counts (any level).
    const id = await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: RIGHT, run_by_level: 'league', departments: ['psychiatry_ward'] }));
    ward = one(await run(RIGHT, ['im-psych-ward-pop-gt-300k']), 'im-psych-ward-pop-gt-300k', RIGHT);
    expect(ward.status).toBe('pass');
    expect(ward.facilities.items.map((i) => i.id)).toEqual([id]);
  });

  it('missing population is unknown for both branches; unknown run-by level is never a pass', async () => {
    const results = await run(EJINA, ['im-psych-ward-pop-gt-300k', 'im-psych-clinic-pop-le-300k']);
    expect(one(results, 'im-psych-ward-pop-gt-300k', EJINA).status).toBe('unknown');
    expect(one(results, 'im-psych-clinic-pop-le-300k', EJINA).status).toBe('unknown');
    await setPopulation(EJINA, 35_756);
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: EJINA, run_by_level: null, departments: ['psychiatry_clinic'] }));
    const clinic = one(await run(EJINA, ['im-psych-clinic-pop-le-300k']), 'im-psych-clinic-pop-le-300k', EJINA);
    expect(clinic.status).toBe('unknown');
    expect(clinic.facilities.items[0]?.role).toBe('unknown');
  });

  it('the psychWardCountsAsClinic parameter is honoured', async () => {
    await setPopulation(HAINAN, 94_770);
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: HAINAN, run_by_level: 'banner', departments: ['psychiatry_ward'] }));
    expect(one(await run(HAINAN, ['im-psych-clinic-pop-le-300k']), 'im-psych-clinic-pop-le-300k', HAINAN).status).toBe('pass');
    const strict = { ...base, params: { ...base.params, rules: { ...base.params.rules, psychWardCountsAsClinic: false } } };
    expect(one(await run(HAINAN, ['im-psych-clinic-pop-le-300k'], strict), 'im-psych-clinic-pop-le-300k', HAINAN).status).toBe('fail');
  });
});

describe(`presence per unit (${engine})`, () => {
  it('paediatric ward: pass with a public general hospital, fail without (TCM/MCH do not count)', async () => {
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: LEFT, departments: ['paediatrics_ward'] }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'mch_hospital', unit_code: WUDA, departments: ['paediatrics_ward'] }));
    const results = await run('152900', ['im-county-paeds-ward']);
    expect(one(results, 'im-county-paeds-ward', LEFT).status).toBe('pass');
    expect(one(results, 'im-county-paeds-ward', RIGHT).status).toBe('fail');
    expect(one((await run(WUDA, ['im-county-paeds-ward'])), 'im-county-paeds-ward', WUDA).status).toBe('fail');
  });

  it('TCM hospital per banner: banner-run only; the fallback passes with a note; districts per the text', async () => {
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'tcm_hospital', unit_code: LEFT, run_by_level: 'banner' }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'tcm_hospital', unit_code: RIGHT, run_by_level: 'league' }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'outpatient_clinic', unit_code: EJINA, run_by_level: 'banner', departments: ['tcm_department'] }));
    const results = await run('152900', ['s2-banner-tcm-hospital']);
    expect(one(results, 's2-banner-tcm-hospital', LEFT).status).toBe('pass');
    expect(one(results, 's2-banner-tcm-hospital', RIGHT).status).toBe('fail');
    const fallback = one(results, 's2-banner-tcm-hospital', EJINA);
    expect(fallback.status).toBe('pass');
    expect(fallback.notes[0]?.zh).toContain('旗县办中医（蒙医）门诊部');
    // 002:50 says 旗县（市）: a district (区) is not applicable by default, applicable when the rule set says always.
    const district = one(await run(HAIBOWAN, ['s2-banner-tcm-hospital']), 's2-banner-tcm-hospital', HAIBOWAN);
    expect(district.status).toBe('not_applicable');
    const always = { ...base, params: { ...base.params, rules: { ...base.params.rules, districtsCountAsBanners: 'always' as const } } };
    expect(one(await run(HAIBOWAN, ['s2-banner-tcm-hospital'], always), 's2-banner-tcm-hospital', HAIBOWAN).status).toBe('fail');
  });

  it('grade 2A or above: a TCM hospital with unknown grade makes it unknown', async () => {
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'tcm_hospital', unit_code: HAINAN, grade: null }));
    expect(one(await run(HAINAN, ['s4-banner-tcm-2a'], { params: { ...base.params, rules: { ...base.params.rules, districtsCountAsBanners: 'always' } } }), 's4-banner-tcm-2a', HAINAN).status).toBe('unknown');
  });

  it('a township health centre in every non-street township; streets are not applicable', async () => {
    await insertUnit(db.db, { code: '152921901', parent: LEFT, level: 'township', name: '测试镇', population: 5000 });
    await insertUnit(db.db, { code: '152921902', parent: LEFT, level: 'township', name: '测试苏木', population: 3000 });
    await insertUnit(db.db, { code: '152921903', parent: LEFT, level: 'township', name: '测试街道', population: 20000, urban: true });
    await insertFacility(db.db, at({ lon: 105.6, lat: 38.8, type: 'township_health_centre', unit_code: '152921901' }));
    const results = await run(LEFT, ['im-rural-three-tier-township', 's2-street-community-station']);
    expect(one(results, 'im-rural-three-tier-township', '152921901').status).toBe('pass');
    expect(one(results, 'im-rural-three-tier-township', '152921902').status).toBe('fail');
    expect(one(results, 'im-rural-three-tier-township', '152921903').status).toBe('not_applicable');
    const street = one(results, 's2-street-community-station', '152921903');
    expect(street.status).toBe('fail');
    expect(street.force).toBe('should');
    expect(one(results, 's2-street-community-station', '152921901').status).toBe('not_applicable');
  });

  it('league rules: P2 laboratory and 3A league-level TCM hospital', async () => {
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'cdc', unit_code: LEFT, departments: ['p2_lab'] }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'tcm_hospital', unit_code: LEFT, run_by_level: 'league', grade: '3' }));
    const results = await run('152900', ['im-league-p2-lab', 'im-league-tcm-3a']);
    expect(one(results, 'im-league-p2-lab', '152900').status).toBe('pass');
    const tcm = one(results, 'im-league-tcm-3a', '152900');
    expect(tcm.status).toBe('fail');
    expect(tcm.unit.level).toBe('league');
    // A banner subtree has no league rows.
    expect((await run(LEFT, ['im-league-p2-lab'])).length).toBe(0);
  });
});

describe(`facility requirement: neonatology in grade ≥ 2 hospitals with deliveries (${engine})`, () => {
  const rule = 'im-neonatology';
  beforeAll(async () => {
    // HAINAN: grade exactly 2 with deliveries and neonatology → pass; grade 1 without → exempt.
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: HAIBOWAN, grade: '2', provides_deliveries: true, departments: ['neonatology'] }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: HAIBOWAN, grade: '1', provides_deliveries: true }));
    // WUDA: grade exactly 2 without neonatology → fail (grade 2 is included).
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: WUDA, grade: '2', provides_deliveries: true, name: '乌达区医院' }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: WUDA, grade: '3A', provides_deliveries: false }));
  });

  it('passes, fails (listing the hospital) and is exempt below grade 2 or without deliveries', async () => {
    const results = await run('150300', [rule]);
    expect(one(results, rule, HAIBOWAN).status).toBe('pass');
    const fail = one(results, rule, WUDA);
    expect(fail.status).toBe('fail');
    expect(fail.facilities).toMatchObject({ count: 1, items: [{ name: '乌达区医院', role: 'fails' }] });
    expect(fail.shortfall?.text.zh).toBe('1 所二级以上开展助产服务的综合医院未设新生儿科');
  });

  it('is unknown when grade or deliveries are unknown, not applicable when no hospital qualifies', async () => {
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: HAINAN, grade: '2A', provides_deliveries: null }));
    const results = await run('150300', [rule]);
    expect(one(results, rule, HAINAN).status).toBe('unknown');
    expect(one(await run(RIGHT, [rule]), rule, RIGHT).status).toBe('not_applicable');
  });

  it('staff minimums: ≥ 1 licensed doctor or GP; NULL counts are unknown', async () => {
    await insertUnit(db.db, { code: '152922901', parent: RIGHT, level: 'township', name: '甲镇', population: 4000 });
    await insertUnit(db.db, { code: '152922902', parent: RIGHT, level: 'township', name: '乙镇', population: 4000 });
    await insertUnit(db.db, { code: '152922903', parent: RIGHT, level: 'township', name: '丙镇', population: 4000 });
    await insertFacility(db.db, at({ lon: 101.6, lat: 39.2, type: 'township_health_centre', unit_code: '152922901', staff_doctors: 0, staff_assistant_doctors: 0, staff_gps: 1 }));
    await insertFacility(db.db, at({ lon: 101.6, lat: 39.2, type: 'township_health_centre', unit_code: '152922902', staff_doctors: 0, staff_assistant_doctors: 0, staff_gps: 0 }));
    await insertFacility(db.db, at({ lon: 101.6, lat: 39.2, type: 'township_health_centre', unit_code: '152922903' }));
    const results = await run(RIGHT, ['im-staff-township-chc']);
    expect(one(results, 'im-staff-township-chc', '152922901').status).toBe('pass');
    expect(one(results, 'im-staff-township-chc', '152922902').status).toBe('fail');
    expect(one(results, 'im-staff-township-chc', '152922903').status).toBe('unknown');
  });
});

describe(`share of facilities: geriatrics in ≥ 50 % of grade-≥2 general hospitals (${engine})`, () => {
  const rule = 'im-geriatrics-50pct';
  it('pass at exactly 50 %, fail with the facilities still needed, unknown, not applicable', async () => {
    // LEFT: 1 of 2 → 50 % → pass. RIGHT: 1 of 3 → short of 1 (ceil(1.5 − 1)). EJINA: 1 pass, 1 fail, 1 grade unknown → unknown.
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: LEFT, grade: '2', departments: ['geriatrics'] }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: LEFT, grade: '2A' }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: RIGHT, grade: '3', departments: ['geriatrics'] }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: RIGHT, grade: '2' }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: RIGHT, grade: '2' }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: EJINA, grade: '2', departments: ['geriatrics'] }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: EJINA, grade: '2' }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: EJINA, grade: null }));
    const results = await run('152900', [rule]);
    const left = results.filter((r) => r.ruleId === rule && r.unit.code === LEFT)[0]!;
    // Earlier fixtures in LEFT (no grade-≥2 general hospital among them) do not change the share.
    expect(left.status).toBe('pass');
    expect(left.indicative).toBe(true);
    const right = one(results, rule, RIGHT);
    expect(right.status).toBe('fail');
    expect(right.shortfall?.value).toBe(1);
    expect(right.measured.value).toBeCloseTo(33.33, 2);
    expect(one(results, rule, EJINA).status).toBe('unknown');
    expect(one(results, rule, '152900').indicative).toBe(true);
    // HAINAN's only grade-≥2 general hospital (from the neonatology fixtures) has no geriatrics.
    expect(one(await run('150300', [rule]), rule, HAINAN).status).toBe('fail');
    expect(one(await run('150300', [rule]), rule, '150300').status).toBe('fail');
  });
});

describe(`ratio per population (${engine})`, () => {
  it('beds per 1,000: exactly the target passes, one bed less fails with a shortfall of 1', async () => {
    await setPopulation(HAINAN, 10_000);
    await sql`UPDATE facility SET beds = 0 WHERE unit_code = ${HAINAN} AND status = 'open'`.execute(db.db);
    const id = await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: HAINAN, beds: 75 }));
    let r = one(await run(HAINAN, ['im-beds-per-1k']), 'im-beds-per-1k', HAINAN);
    expect(r.status).toBe('pass');
    expect(r.measured.value).toBe(7.5);
    await db.db.updateTable('facility').set({ beds: 74 }).where('id', '=', id).execute();
    r = one(await run(HAINAN, ['im-beds-per-1k']), 'im-beds-per-1k', HAINAN);
    expect(r.status).toBe('fail');
    expect(r.shortfall).toMatchObject({ value: 1, text: { zh: '床位缺口 1 张', en: 'short of 1 beds' } });
    expect(r.facts).toMatchObject({ amount: 74, denominator: 10_000, population: 10_000 });
  });

  it('league and region rows sum their banners; a missing population is unknown', async () => {
    await setPopulation(LEFT, 100_000);
    await setPopulation(RIGHT, 50_000);
    await setPopulation(EJINA, null);
    await sql`UPDATE facility SET status = 'closed' WHERE league_code = '152900'`.execute(db.db);
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: LEFT, beds: 500, staff_nurses: 300 }));
    await insertFacility(db.db, at({ ...HOSPITAL, type: 'general_hospital', unit_code: RIGHT, beds: 250 }));
    await setPopulation('152900', 150_000);
    const results = await run('152900', ['im-beds-per-1k', 'im-nurses-per-1k']);
    expect(one(results, 'im-beds-per-1k', LEFT).measured.value).toBe(5);
    expect(one(results, 'im-beds-per-1k', '152900').measured.value).toBe(5);
    expect(one(results, 'im-beds-per-1k', '152900').facts.amount).toBe(750);
    // 7.5 × 150 − 750 = 375 beds short.
    expect(one(results, 'im-beds-per-1k', '152900').shortfall?.value).toBe(375);
    expect(one(results, 'im-beds-per-1k', EJINA).status).toBe('unknown');
    // RIGHT's only hospital reports no nurses: unknown, not a pass and not a silent zero.
    expect(one(results, 'im-nurses-per-1k', RIGHT).status).toBe('unknown');
    expect(one(results, 'im-nurses-per-1k', LEFT).status).toBe('fail');
  });

  it('re-evaluating given units (scenario reuse) gives the same rows as the full evaluation', async () => {
    const full = await run('150000', ['im-beds-per-1k', 'im-geriatrics-50pct', 'im-league-p2-lab']);
    for (const units of [['152900'], [LEFT], [LEFT, '152900', '150000']]) {
      const partial = (await evaluate(baselineContext(db.db), base, { units, rules: ['im-beds-per-1k', 'im-geriatrics-50pct', 'im-league-p2-lab'] })).results;
      expect(partial.map((r) => r.unit.code).every((c) => units.includes(c))).toBe(true);
      for (const r of partial) {
        const same = one(full, r.ruleId, r.unit.code);
        expect({ status: r.status, value: r.measured.value, facts: r.facts }).toEqual({ status: same.status, value: same.measured.value, facts: same.facts });
      }
      expect(partial.length).toBe(full.filter((r) => units.includes(r.unit.code)).length);
    }
  });

  it('Aohan Banner’s own targets apply to 150430 only', async () => {
    const results = await run('152900', ['ah-beds-per-1k']);
    expect(results).toHaveLength(0);
  });
});

describe(`village clinic coverage and the 500-person joint clinic (${engine})`, () => {
  const T = '152923901';
  const S = '152923902';
  const v = (n: number) => `${T}${String(n).padStart(3, '0')}`;
  // 0.01° of latitude ≈ 1,112 m.
  beforeAll(async () => {
    await insertUnit(db.db, { code: T, parent: EJINA, level: 'township', name: '测试乡', population: 5000 });
    await insertUnit(db.db, { code: S, parent: EJINA, level: 'township', name: '测试街道', population: 9000, urban: true });
    await insertUnit(db.db, { code: v(1), parent: T, level: 'village', name: '一村', population: 499, lon: 101.0, lat: 42.0 });
    await insertUnit(db.db, { code: v(2), parent: T, level: 'village', name: '二村', population: 800, lon: 101.0, lat: 42.01 });
    await insertUnit(db.db, { code: v(3), parent: T, level: 'village', name: '三村', population: 500, lon: 101.0, lat: 42.02 });
    await insertUnit(db.db, { code: v(4), parent: T, level: 'village', name: '四村', population: 300, lon: 101.3, lat: 42.3 });
    await insertUnit(db.db, { code: v(5), parent: T, level: 'village', name: '五村', population: 200 });
    await insertUnit(db.db, { code: v(6), parent: T, level: 'village', name: '六村', lon: 101.0, lat: 42.005 });
    await insertUnit(db.db, { code: v(7), parent: T, level: 'village', name: '七村', population: 450, lon: 102.0, lat: 43.0 });
    await insertUnit(db.db, { code: `${S}001`, parent: S, level: 'village', name: '一社区', population: 3000, lon: 101.1, lat: 42.1 });
    // 二村's clinic: the partner of 一村 (1.1 km) and 三村 (1.1 km); lists 四村 (far away) as served.
    await insertFacility(db.db, at({ lon: 101.0, lat: 42.01, type: 'village_clinic', unit_code: v(2), villages_served: [v(4)], name: '二村卫生室', staff_village_doctors: 1 }));
    await insertFacility(db.db, at({ lon: 102.0, lat: 43.0, type: 'village_clinic', unit_code: v(7), name: '七村卫生室', staff_village_doctors: 0, staff_doctors: 0, staff_assistant_doctors: 0 }));
  });

  it('own clinic, joint clinic (< 500 and adjacent), exactly 500 not eligible, unknowns', async () => {
    const results = await run(T, ['s2-village-joint-clinic-500']);
    const rule = 's2-village-joint-clinic-500';
    expect(one(results, rule, v(2)).status).toBe('pass');
    const joint = one(results, rule, v(1));
    expect(joint.status).toBe('pass');
    expect(joint.facts.coverage).toBe('joint');
    expect(joint.facilities.items[0]).toMatchObject({ name: '二村卫生室', role: 'partner_clinic' });
    expect(joint.facilities.items[0]?.value).toBeGreaterThan(1100);
    expect(joint.facilities.items[0]?.value).toBeLessThan(1125);
    expect(joint.villages.items[0]).toMatchObject({ code: v(2), name: '二村', role: 'partner_village' });
    const five00 = one(results, rule, v(3));
    expect(five00.status).toBe('fail');
    expect(five00.shortfall?.text.zh).toBe('缺 1 所村卫生室');
    expect(one(results, rule, v(4)).status).toBe('pass'); // listed by 二村's clinic
    expect(one(results, rule, v(5)).status).toBe('unknown'); // no location, cannot tell adjacency
    expect(one(results, rule, v(6)).status).toBe('unknown'); // population missing, a partner nearby
    expect(one(results, rule, v(7)).status).toBe('pass'); // its own clinic
  });

  it('adjacency parameters: distance only drops the listing; a shorter distance drops the neighbour', async () => {
    const rule = 's2-village-joint-clinic-500';
    const distanceOnly = { ...base, params: { ...base.params, rules: { ...base.params.rules, adjacencyMode: 'distance_only' as const } } };
    expect(one(await run(T, [rule], distanceOnly), rule, v(4)).status).toBe('fail');
    const near = { ...base, params: { ...base.params, rules: { ...base.params.rules, adjacencyMetres: 1000 } } };
    expect(one(await run(T, [rule], near), rule, v(1)).status).toBe('fail');
  });

  it('communities in streets expect community stations: not applicable here', async () => {
    const results = await run(S, ['s2-village-joint-clinic-500']);
    expect(one(results, 's2-village-joint-clinic-500', `${S}001`).status).toBe('not_applicable');
  });

  it('village doctor in every village clinic: pass, fail, not applicable', async () => {
    const results = await run(T, ['im-staff-village']);
    expect(one(results, 'im-staff-village', v(2)).status).toBe('pass');
    expect(one(results, 'im-staff-village', v(7)).status).toBe('fail');
    expect(one(results, 'im-staff-village', v(1)).status).toBe('not_applicable');
  });

  it('a single village can be re-evaluated alone (scenario reuse)', async () => {
    const evaluation = await evaluate(baselineContext(db.db), base, { unit: T, units: [v(3)], rules: ['s2-village-joint-clinic-500'] });
    expect(evaluation.results.map((r) => r.unit.code)).toEqual([v(3)]);
  });
});

describe(`roll-ups (${engine})`, () => {
  it('count exactly the detail rows, per unit and per child, by status and by force', async () => {
    const ctx = baselineContext(db.db);
    const evaluation = await evaluate(ctx, base, { unit: '152900' });
    expect(evaluation.results.length).toBeGreaterThan(50);
    const root = await findScopedUnit(ctx, '152900');
    const summary = rollup(evaluation.results, root);
    const sum = (c: { pass: number; fail: number; not_applicable: number; unknown: number }) => c.pass + c.fail + c.not_applicable + c.unknown;
    expect(summary.total).toBe(evaluation.results.length);
    expect(sum(summary.byStatus)).toBe(summary.total);
    expect(Object.values(summary.byForce).reduce((n, c) => n + sum(c), 0)).toBe(summary.total);
    for (const status of ['pass', 'fail', 'not_applicable', 'unknown'] as const) {
      expect(summary.byStatus[status]).toBe(evaluation.results.filter((r) => r.status === status).length);
    }
    const children = await childUnits(ctx, '152900');
    let inChildren = 0;
    for (const child of children) {
      const r = rollup(evaluation.results, child);
      const rows = evaluation.results.filter((x) => inSubtree(x, child));
      expect(r.total).toBe(rows.length);
      expect(r.byStatus.fail).toBe(rows.filter((x) => x.status === 'fail').length);
      inChildren += r.total;
    }
    expect(inChildren + evaluation.results.filter((r) => r.unit.code === '152900').length).toBe(summary.total);
    // Worst failures first: must before target before should.
    const ranks = summary.worst.map((w) => ['must', 'target', 'should', 'strive', 'may'].indexOf(w.force));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    // The banner subtree of the same evaluation equals a direct evaluation of the banner.
    const direct = await evaluate(ctx, base, { unit: LEFT });
    const restricted = evaluation.results.filter((r) => inSubtree(r, { code: LEFT, level: 'banner' }));
    expect(direct.results.map((r) => `${r.ruleId}@${r.unit.code}:${r.status}`).sort()).toEqual(restricted.map((r) => `${r.ruleId}@${r.unit.code}:${r.status}`).sort());
  });

  it('disabled rules and target years decide what is evaluated', async () => {
    const ctx = baselineContext(db.db);
    const e2025 = await evaluate(ctx, { ...base, disabledRules: ['im-beds-per-1k'] }, { unit: LEFT });
    expect(e2025.rulesEvaluated).not.toContain('im-beds-per-1k');
    expect(e2025.rulesNotEvaluated.map((r) => r.ruleId)).toEqual(expect.arrayContaining(['im-beds-per-1k', 's3-nurses-per-1000']));
    const e2030 = await evaluate(ctx, { ...base, targetYear: 2030 }, { unit: LEFT, rules: ['s2-gp-per-10k', 's3-nurses-per-1000'] });
    expect(one(e2030.results, 's2-gp-per-10k', LEFT).target).toMatchObject({ year: 2030, min: 5 });
    expect(one(e2030.results, 's3-nurses-per-1000', LEFT).target).toMatchObject({ year: 2030, min: 5.2 });
  });
});
