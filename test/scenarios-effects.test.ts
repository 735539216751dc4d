/**
 * Scenarios whose effect is known in advance, on hand-built fixtures and on
 * the seeded Aohan Banner:
 *  - merging the clinics of two small neighbouring villages leaves both served
 *    (one by its own clinic, the other by the joint clinic, 002:25) and moves
 *    exactly the people of the closed clinic's village further;
 *  - closing the only psychiatric ward in a banner over 300,000 people flips
 *    000:694-696 to fail with a shortfall of 1 (and Aohan's own 001:276);
 *  - a unit's population projection scales its cells and moves its ancestors;
 *  - the same results come through /api/evaluations?scenario= (the rules'
 *    provider hook, a full evaluation over the scenario relations).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { insertFacility, insertUnit } from './helpers/fixtures.ts';

const BANNER = '150421'; // 阿鲁科尔沁旗: no seeded townships, villages, facilities or cells in the template
const TOWNSHIP = '150421901';
const VA = '150421901201'; // 300 people, clinic A (closes)
const VB = '150421901202'; // 400 people, clinic B (survives)
const LAT = 43.9;
const KM_PER_DEG_LON = 111.32 * Math.cos((LAT * Math.PI) / 180);
const LON_B = 120.1;
const LON_A = LON_B + 2.5 / KM_PER_DEG_LON; // 2.5 km east of B: adjacent (≤ 3,000 m)

describe(`scenario effects on known fixtures (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let clinicA: number;
  let clinicB: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    await insertUnit(db.db, { code: TOWNSHIP, parent: BANNER, level: 'township', name: '测试苏木', population: 700, lon: LON_B, lat: LAT });
    await insertUnit(db.db, { code: VA, parent: TOWNSHIP, level: 'village', name: '甲嘎查', population: 300, lon: LON_A, lat: LAT });
    await insertUnit(db.db, { code: VB, parent: TOWNSHIP, level: 'village', name: '乙嘎查', population: 400, lon: LON_B, lat: LAT });
    await sql`UPDATE admin_unit SET kind = '嘎查' WHERE code IN (${VA}, ${VB})`.execute(db.db);
    clinicA = await insertFacility(db.db, { lon: LON_A, lat: LAT, unit_code: VA, type: 'village_clinic', name: '甲嘎查卫生室', beds: 0, staff_village_doctors: 1 });
    clinicB = await insertFacility(db.db, { lon: LON_B, lat: LAT, unit_code: VB, type: 'village_clinic', name: '乙嘎查卫生室', beds: 2, staff_village_doctors: 2 });
    // VA's people: at the village, 0.5 km and 4 km further east (the last one 6.5 km from B:
    // 6.5 km × 1.3 ÷ 30 km/h = 16.9 min > 15 min, so it falls out of the circle).
    const cells = [
      { key: 'T-A0', lon: LON_A, pop: 100, unit: VA },
      { key: 'T-A1', lon: LON_A + 0.5 / KM_PER_DEG_LON, pop: 100, unit: VA },
      { key: 'T-A2', lon: LON_A + 4 / KM_PER_DEG_LON, pop: 100, unit: VA },
      { key: 'T-B0', lon: LON_B, pop: 250, unit: VB },
      { key: 'T-B1', lon: LON_B - 1 / KM_PER_DEG_LON, pop: 150, unit: VB },
    ];
    for (const c of cells) {
      await sql`INSERT INTO population_cell (cell_key, location, cell_size_m, population, unit_code)
        VALUES (${c.key}, ST_SetSRID(ST_MakePoint(${c.lon}, ${LAT}), 4326), 1000, ${c.pop}, ${c.unit})`.execute(db.db);
    }
    await sql`UPDATE data_state SET data_version = data_version + 1`.execute(db.db);
    app = await buildTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  async function scenarioWith(changes: object[]): Promise<{ id: number; version: number }> {
    const created = await app.inject({ method: 'POST', url: '/api/scenarios', payload: { name: `fixture ${Math.random()}` } });
    expect(created.statusCode, created.body).toBe(201);
    let { id, version } = created.json() as { id: number; version: number };
    for (const change of changes) {
      const res = await app.inject({ method: 'POST', url: `/api/scenarios/${id}/changes`, payload: { version, change } });
      expect(res.statusCode, res.body).toBe(201);
      version = res.json().scenario.version;
    }
    return { id, version };
  }

  const villageRule = (results: { ruleId: string; unit: { code: string }; status: string; facts: Record<string, unknown> }[], code: string) =>
    results.find((r) => r.ruleId === 's2-village-joint-clinic-500' && r.unit.code === code)!;

  it('merging the clinics of two small neighbouring villages: both served, exactly VA’s 300 people travel further', async () => {
    const { id } = await scenarioWith([{ kind: 'merge_facilities', facilityIds: [clinicA, clinicB], survivorId: clinicB }]);
    const diff = (await app.inject({ method: 'GET', url: `/api/scenarios/${id}/diff` })).json();
    const basic = diff.access.find((c: { class: { key: string } }) => c.class.key === 'basic');
    expect(basic.totals).toMatchObject({ longer: 300, losing: 100, losingToGap: 100, gaining: 0, over5: 300, over15: 0, over30: 0, noFacility: 0, shorter: 0 });
    // 2.5 km further for everyone in VA: 2.5 × 1.3 ÷ 30 × 60 = 6.5 minutes each.
    expect(basic.totals.addedPersonMinutes).toBeGreaterThan(300 * 6.4);
    expect(basic.totals.addedPersonMinutes).toBeLessThan(300 * 6.6);
    const villageRow = basic.units.find((u: { unit: { code: string } }) => u.unit.code === VA);
    expect(villageRow).toMatchObject({ longer: 300, losing: 100 });
    expect(basic.units.find((u: { unit: { code: string } }) => u.unit.code === VB)).toBeUndefined();
    expect(basic.catchments.find((c: { facilityId: number }) => c.facilityId === clinicB)).toMatchObject({ before: 400, after: 700 });
    expect(basic.catchments.find((c: { facilityId: number }) => c.facilityId === clinicA)).toMatchObject({ before: 300, after: 0 });
    expect(diff.facilities.map((f: { id: number; what: string }) => [f.id, f.what]).sort()).toEqual([
      [clinicA, 'merged_away'],
      [clinicB, 'updated'],
    ].sort());
    const survivor = diff.facilities.find((f: { id: number }) => f.id === clinicB);
    expect(survivor.after).toMatchObject({ beds: 2, staff: 3 });
    // The summary quotes the same figures.
    expect(diff.summary.zh).toContain('300 人中');
    expect(diff.summary.en).toContain('of the 300 people whose trip gets longer, 300 travel more than 5 minutes further');

    // Both villages pass the joint-clinic rule: VA by the joint clinic it is now listed by.
    const evaluation = await app.inject({ method: 'GET', url: `/api/evaluations?scenario=${id}&unit=${TOWNSHIP}&limit=1000` });
    expect(evaluation.statusCode, evaluation.body).toBe(200);
    const results = evaluation.json().results;
    expect(villageRule(results, VA)).toMatchObject({ status: 'pass', facts: { coverage: 'joint', ownClinics: 0, listedPartners: 1 } });
    expect(villageRule(results, VB)).toMatchObject({ status: 'pass', facts: { coverage: 'own' } });
    // The scenario's own diff agrees: the joint-clinic rule changes status nowhere; VA's clinic
    // staffing rule has no clinic left to judge (pass → not applicable).
    expect(diff.rules.changes.filter((c: { ruleId: string }) => c.ruleId === 's2-village-joint-clinic-500')).toEqual([]);
    expect(diff.rules.changes.find((c: { ruleId: string; unit: { code: string } }) => c.ruleId === 'im-staff-village' && c.unit.code === VA)).toMatchObject({
      direction: 'status',
      before: { status: 'pass' },
      after: { status: 'not_applicable' },
    });
    expect(diff.rules.newlyFailing).toBe(0);
  });

  it('a village of exactly 500 cannot share: the same merge then fails the rule (不足500人 excludes 500)', async () => {
    const { id } = await scenarioWith([
      { kind: 'set_unit_population', unitCode: VA, population: 500 },
      { kind: 'merge_facilities', facilityIds: [clinicA, clinicB], survivorId: clinicB },
    ]);
    const diff = (await app.inject({ method: 'GET', url: `/api/scenarios/${id}/diff` })).json();
    const change = diff.rules.changes.find((c: { ruleId: string; unit: { code: string } }) => c.ruleId === 's2-village-joint-clinic-500' && c.unit.code === VA);
    expect(change).toMatchObject({ direction: 'newly_failing', before: { status: 'pass', measured: 300 }, after: { status: 'fail', measured: 500, shortfall: 1 } });
    expect(diff.summary.zh).toContain('甲嘎查「');
  });

  it('a population projection scales the unit’s cells and moves its ancestors by the difference', async () => {
    const { id } = await scenarioWith([{ kind: 'set_unit_population', unitCode: VA, population: 450, source: '2030 projection' }]);
    const scenario = (await app.inject({ method: 'GET', url: `/api/scenarios/${id}` })).json();
    expect(scenario.changes[0].summary.zh).toContain('由 300 调整为 450');
    const township = await app.inject({ method: 'GET', url: `/api/access/units/${TOWNSHIP}?scenario=${id}` });
    expect(township.statusCode, township.body).toBe(200);
    const basic = township.json().classes.find((c: { class: { key: string } }) => c.class.key === 'basic');
    expect(basic.figures.population).toBe(850); // 450 + 400
    expect(township.json().unitPopulation).toBe(850);
    expect(township.json().versions.scenario).toMatchObject({ id });
    const baseline = (await app.inject({ method: 'GET', url: `/api/access/units/${TOWNSHIP}` })).json();
    expect(baseline.unitPopulation).toBe(700);
    const banner = await app.inject({ method: 'GET', url: `/api/evaluations?scenario=${id}&unit=${BANNER}&rule=im-beds-per-1k&level=banner` });
    const bannerPopulation = Number((await sql<{ p: number }>`SELECT population AS p FROM admin_unit WHERE code = ${BANNER}`.execute(db.db)).rows[0]!.p);
    expect(banner.json().results[0].facts.population).toBe(bannerPopulation + 150);
  });

  it('rejects ?scenario= of a scenario that does not exist, on every route that takes it', async () => {
    for (const url of [`/api/evaluations?scenario=987654`, `/api/access/units?scenario=987654`, `/api/access/circle?scenario=987654`, `/api/tiles/facilities/8/213/94.pbf?scenario=987654`]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().code).toBe('ScenarioNotFound');
    }
    const bad = await app.inject({ method: 'GET', url: '/api/access/units?scenario=abc' });
    expect(bad.statusCode).toBe(400);
  });
});

describe(`closing the only psychiatric ward in a banner over 300,000 (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let hospital: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Aohan (448,712 people) gets one public hospital with a psychiatric ward: 敖汉旗医院.
    const row = await sql<{ id: number }>`
      UPDATE facility SET departments = array_append(departments, 'psychiatry_ward')
      WHERE code = 'SYN-B-150430-GH1' RETURNING id`.execute(db.db);
    hospital = Number(row.rows[0]!.id);
    const others = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM facility WHERE banner_code = '150430' AND ('psychiatry_ward' = ANY(departments) OR type = 'psychiatric_hospital')`.execute(db.db);
    expect(others.rows[0]!.n).toBe(1);
    await sql`UPDATE data_state SET data_version = data_version + 1`.execute(db.db);
    app = await buildTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  async function diffOf(change: object) {
    const created = (await app.inject({ method: 'POST', url: '/api/scenarios', payload: { name: '精神科' } })).json();
    const added = await app.inject({ method: 'POST', url: `/api/scenarios/${created.id}/changes`, payload: { version: created.version, change } });
    expect(added.statusCode, added.body).toBe(201);
    const diff = await app.inject({ method: 'GET', url: `/api/scenarios/${created.id}/diff?unit=150430` });
    expect(diff.statusCode, diff.body).toBe(200);
    return diff.json();
  }

  for (const [what, change] of [
    ['removing the ward', (id: number) => ({ kind: 'update_facility', facilityId: id, set: { departments: ['emergency', 'obstetrics', 'paediatrics', 'paediatrics_ward', 'neonatology', 'icu', 'psychiatry_clinic'] } })],
    ['closing the hospital', (id: number) => ({ kind: 'close_facility', facilityId: id })],
  ] as const) {
    it(`${what}: 000:694-696 and 001:276 fail with a shortfall of 1`, async () => {
      const diff = await diffOf(change(hospital));
      const psych = diff.rules.changes.find((c: { ruleId: string }) => c.ruleId === 'im-psych-ward-pop-gt-300k');
      expect(psych).toMatchObject({ unit: { code: '150430' }, direction: 'newly_failing', force: 'must', before: { status: 'pass', measured: 1, shortfall: null }, after: { status: 'fail', measured: 0, shortfall: 1 } });
      expect(psych.after.shortfallText.zh).toContain('缺 1 所');
      expect(diff.rules.changes.find((c: { ruleId: string }) => c.ruleId === 'ah-psych-ward')).toMatchObject({ direction: 'newly_failing', after: { shortfall: 1 } });
      expect(diff.rules.byForce.must.newlyFailing).toBeGreaterThanOrEqual(2);
      expect(diff.summary.zh).toContain('敖汉旗「常住人口超过30万的旗县');
      expect(diff.summary.zh).toMatch(/约束性要求 \d+ 项/);
    });
  }
});
