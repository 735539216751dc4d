/**
 * Property: an incremental scenario evaluation (baseline results reused; rules
 * only for the units the changes reach, access only for the cells they reach)
 * gives exactly the results of a full evaluation of the same scenario
 * relations — for random change sets (seeded PRNG) on the complete Aohan
 * Banner: closes, moves, attribute updates (type, departments, beds, staff),
 * additions, merges (with and without a new site) and population projections.
 * Also from an intermediate scenario state (what a re-evaluation after one more
 * change does). RELIABILITY-style knobs: SCENARIO_PROPERTY_ROUNDS, SCENARIO_PROPERTY_SEED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { insertFacility } from './helpers/fixtures.ts';
import { getDefaultRuleSet, type RuleSetRecord } from '../server/rules/ruleSets.ts';
import { DEPARTMENTS, FACILITY_TYPES } from '../server/domain/taxonomy.ts';
import type { AccessResult } from '../server/access/engine.ts';
import type { StoredChange } from '../server/scenarios/changes.ts';
import { baselineEvaluated, fullEvaluation, reevaluate, unitResults, type Evaluated } from '../server/scenarios/evaluate.ts';
import { applyChange, baselineFor, referencesOf, ScenarioState } from '../server/scenarios/state.ts';

const ROUNDS = Number(process.env.SCENARIO_PROPERTY_ROUNDS ?? 6);
const SEED = Number(process.env.SCENARIO_PROPERTY_SEED ?? 20240601);

/** mulberry32: small, seeded, reproducible. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!,
  };
}

interface FacilityRow {
  id: number;
  type: string;
  unit_code: string;
  lon: number;
  lat: number;
}
interface VillageRow {
  code: string;
  township_code: string;
  lon: number;
  lat: number;
}

function compareRules(inc: Evaluated, full: Evaluated): string[] {
  const problems: string[] = [];
  const codes = new Set([...inc.baseline.byUnit.keys(), ...inc.overrides.keys(), ...full.overrides.keys()]);
  // Everything but the provenance stamp: reused rows keep the evaluation that computed them.
  const norm = (e: Evaluated, code: string) =>
    unitResults(e, code)
      .map((r) => JSON.stringify({ ...r, versions: { engine: r.versions.engine, data: r.versions.data } }))
      .sort();
  for (const code of codes) {
    const a = norm(inc, code);
    const b = norm(full, code);
    if (a.length !== b.length) {
      problems.push(`${code}: ${a.length} incremental vs ${b.length} full results`);
      continue;
    }
    for (let i = 0; i < a.length; i++) {
      if (a[i] === b[i]) continue;
      let at = 0;
      while (a[i]![at] === b[i]![at]) at++;
      const from = Math.max(0, at - 120);
      problems.push(`${code} ${JSON.parse(a[i]!).ruleId}: …${a[i]!.slice(from, at + 120)}\n  ≠ …${b[i]!.slice(from, at + 120)}`);
    }
  }
  return problems;
}

function compareAccess(inc: AccessResult, full: AccessResult): string[] {
  const problems: string[] = [];
  if (inc.cells.count !== full.cells.count) return [`cells ${inc.cells.count} vs ${full.cells.count}`];
  const byId = new Map<number, number>();
  for (let i = 0; i < full.cells.count; i++) byId.set(full.cells.ids[i]!, i);
  for (let i = 0; i < inc.cells.count; i++) {
    const j = byId.get(inc.cells.ids[i]!)!;
    if (inc.cells.population[i] !== full.cells.population[j]) problems.push(`cell ${inc.cells.ids[i]} population ${inc.cells.population[i]} vs ${full.cells.population[j]}`);
  }
  inc.classes.forEach((a, k) => {
    const b = full.classes[k]!;
    let shown = 0;
    for (let i = 0; i < inc.cells.count && shown < 5; i++) {
      const j = byId.get(inc.cells.ids[i]!)!;
      const fa = a.nearest[i]! >= 0 ? inc.facilities.ids[a.nearest[i]!] : null;
      const fb = b.nearest[j]! >= 0 ? full.facilities.ids[b.nearest[j]!] : null;
      const same = fa === fb && a.state[i] === b.state[j] && Object.is(a.distance[i], b.distance[j]) && Object.is(a.minutes[i], b.minutes[j]);
      if (!same) {
        shown++;
        problems.push(`${a.cls.key} cell ${inc.cells.ids[i]}: facility ${fa}/${fb} state ${a.state[i]}/${b.state[j]} minutes ${a.minutes[i]}/${b.minutes[j]}`);
      }
    }
    for (let u = 0; u < inc.units.count; u++) {
      const v = full.units.index.get(inc.units.codes[u]!)!;
      for (const field of ['population', 'covered', 'gap', 'mobile', 'reachable', 'p90Minutes', 'p90Distance'] as const) {
        if (!Object.is(a.agg[field][u], b.agg[field][v])) problems.push(`${a.cls.key} ${inc.units.codes[u]} ${field}: ${a.agg[field][u]} vs ${b.agg[field][v]}`);
      }
      for (const field of ['sumMinutes', 'sumDistance'] as const) {
        const x = a.agg[field][u]!;
        const y = b.agg[field][v]!;
        if (Math.abs(x - y) > 1e-6 * Math.max(1, Math.abs(y))) problems.push(`${a.cls.key} ${inc.units.codes[u]} ${field}: ${x} vs ${y}`);
      }
    }
  });
  return problems;
}

describe(`incremental scenario evaluation == full evaluation, random change sets on Aohan (${engine})`, () => {
  let db: TestDatabase;
  let ruleSet: RuleSetRecord;
  let baseline: Evaluated;
  let facilities: FacilityRow[];
  let villages: VillageRow[];
  let townships: string[];
  /** Small villages (< 500) and the clinics of other villages within the adjacency distance: the joint-clinic rule's reach. */
  let partners: { village: string; population: number; lon: number; lat: number; clinics: number[] }[];
  /** Village → a clinic listing it in villages_served (its joint clinic). */
  let listing: Map<string, number>;

  /** A hospital recorded at league level (no banner): its figures report to the league and the region only. */
  let leagueHospital: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    leagueHospital = await insertFacility(db.db, {
      lon: 118.95,
      lat: 42.27,
      unit_code: '150400',
      type: 'general_hospital',
      name: '赤峰市测试医院',
      grade: '3A',
      run_by_level: 'league',
      beds: 800,
      staff_doctors: 300,
      staff_nurses: 400,
      departments: ['psychiatry_ward', 'paediatrics_ward', 'emergency'],
    });
    await sql`UPDATE data_state SET data_version = data_version + 1`.execute(db.db);
    ruleSet = await getDefaultRuleSet(db.db);
    baseline = await baselineEvaluated(db.db, ruleSet);
    const f = await sql<FacilityRow>`
      SELECT id, type, unit_code, ST_X(location) AS lon, ST_Y(location) AS lat FROM facility
      WHERE banner_code = '150430' AND status = 'open' ORDER BY id`.execute(db.db);
    facilities = f.rows.map((r) => ({ ...r, id: Number(r.id) }));
    const v = await sql<VillageRow>`
      SELECT code, township_code, ST_X(point) AS lon, ST_Y(point) AS lat FROM admin_unit
      WHERE banner_code = '150430' AND level = 'village' AND point IS NOT NULL ORDER BY code`.execute(db.db);
    villages = v.rows;
    townships = [...new Set(villages.map((x) => x.township_code))].sort();
    const p = await sql<{ code: string; population: number; lon: number; lat: number; clinics: number[] | null }>`
      SELECT v.code, v.population, ST_X(v.point) AS lon, ST_Y(v.point) AS lat,
             (SELECT array_agg(f.id::int ORDER BY ST_Distance(f.location::geography, v.point::geography), f.id) FROM facility f WHERE f.type = 'village_clinic' AND f.status = 'open' AND f.unit_code <> v.code
                AND ST_DWithin(f.location::geography, v.point::geography, 3000)) AS clinics
      FROM admin_unit v WHERE v.banner_code = '150430' AND v.level = 'village' AND v.population < 600 AND v.point IS NOT NULL ORDER BY v.code`.execute(db.db);
    partners = p.rows.map((r) => ({ village: r.code, population: Number(r.population), lon: r.lon, lat: r.lat, clinics: (r.clinics ?? []).map(Number) }));
    const l = await sql<{ code: string; id: number }>`
      SELECT v.code, min(f.id)::int AS id FROM admin_unit v JOIN facility f ON v.code = ANY(f.villages_served)
      WHERE v.banner_code = '150430' AND v.level = 'village' GROUP BY v.code`.execute(db.db);
    listing = new Map(l.rows.map((r) => [r.code, Number(r.id)]));
    expect(partners.length).toBeGreaterThan(10);
    expect(facilities.length).toBeGreaterThan(600);
    expect(villages.length).toBeGreaterThan(200);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  /** A random change against the state (it may turn out invalid: then it is not applied, as a conflict). */
  function randomChange(rng: ReturnType<typeof prng>, state: ScenarioState, added: number[], nextId: () => number): StoredChange {
    const live = () => {
      const pool = [...facilities.map((x) => x.id), ...added];
      return rng.pick(pool);
    };
    const village = () => rng.pick(villages);
    const jitter = () => (rng.next() - 0.5) * 0.02;
    if (rng.next() < 0.35) {
      // Aimed at the joint-clinic rule (002:25): its results depend on clinics of other villages nearby.
      const t = rng.pick(partners);
      // Mostly the nearest partner (the one the rule lists), else any within the distance.
      const clinic = t.clinics.length === 0 ? rng.pick(facilities).id : rng.next() < 0.6 ? t.clinics[0]! : rng.pick(t.clinics);
      switch (rng.int(4)) {
        case 0:
          return { kind: 'close_facility', facilityId: clinic };
        case 1: {
          const far = village();
          return { kind: 'move_facility', facilityId: clinic, lon: far.lon, lat: far.lat, unitCode: far.code };
        }
        case 2:
          return { kind: 'set_unit_population', unitCode: t.village, population: rng.pick([499, 500, 501, 120]) };
        default: {
          if (rng.next() < 0.5) {
            // A clinic of another village moved next to this one.
            const other = rng.pick(facilities.filter((f) => f.type === 'village_clinic'));
            const host = villages.find((v) => v.code !== t.village && v.code !== other.unit_code)!;
            return { kind: 'move_facility', facilityId: other.id, lon: t.lon + jitter() / 10, lat: t.lat + jitter() / 10, unitCode: host.code };
          }
          const id = nextId();
          added.push(id);
          return { kind: 'add_facility', facilityId: id, code: `PROP-${-id}`, unitCode: villages.find((v) => v.code !== t.village)!.code, lon: t.lon + jitter() / 10, lat: t.lat + jitter() / 10, facility: { name: `联办 ${-id}`, type: 'village_clinic' } };
        }
      }
    }
    switch (rng.int(7)) {
      case 0:
        return { kind: 'close_facility', facilityId: live() };
      case 1: {
        const v = village();
        return { kind: 'move_facility', facilityId: live(), lon: v.lon + jitter(), lat: v.lat + jitter(), unitCode: v.code };
      }
      case 2: {
        const deps = DEPARTMENTS.filter(() => rng.next() < 0.15);
        const set: Record<string, unknown> = { beds: rng.int(300), staff: { doctors: rng.int(40), nurses: rng.int(40), villageDoctors: rng.int(3), gps: rng.int(5) } };
        if (rng.next() < 0.5) set.departments = deps;
        if (rng.next() < 0.25) set.type = rng.pick(['village_clinic', 'township_health_centre', 'general_hospital', 'tcm_hospital', 'community_health_station']);
        if (rng.next() < 0.2) set.grade = rng.pick(['2A', '1', 'ungraded', null]);
        return { kind: 'update_facility', facilityId: live(), set };
      }
      case 3: {
        const v = village();
        const id = nextId();
        added.push(id);
        const type = rng.next() < 0.6 ? 'village_clinic' : rng.pick(FACILITY_TYPES.filter((t) => t !== 'village_clinic'));
        return {
          kind: 'add_facility',
          facilityId: id,
          code: `PROP-${-id}`,
          unitCode: v.code,
          lon: v.lon + jitter(),
          lat: v.lat + jitter(),
          facility: { name: `新增 ${-id}`, type, beds: rng.int(50), staff: { villageDoctors: rng.int(3), doctors: rng.int(10) }, departments: rng.next() < 0.3 ? ['psychiatry_ward', 'obstetrics'] : [] },
        };
      }
      case 4: {
        // Two facilities of one type, often village clinics of nearby villages.
        const a = rng.pick(facilities);
        const sameType = facilities.filter((x) => x.type === a.type && x.id !== a.id);
        if (sameType.length === 0) return { kind: 'close_facility', facilityId: a.id };
        const b = sameType.sort((x, y) => Math.hypot(x.lon - a.lon, x.lat - a.lat) - Math.hypot(y.lon - a.lon, y.lat - a.lat))[rng.int(Math.min(3, sameType.length))]!;
        const v = village();
        return {
          kind: 'merge_facilities',
          facilityIds: [a.id, b.id],
          survivorId: rng.next() < 0.5 ? a.id : b.id,
          site: rng.next() < 0.3 ? { lon: v.lon, lat: v.lat, unitCode: v.code } : null,
        };
      }
      case 5: {
        const unitCode = rng.next() < 0.7 ? village().code : rng.pick(townships);
        const current = state.unit(unitCode)?.population ?? 1000;
        return { kind: 'set_unit_population', unitCode, population: Math.max(1, Math.round(current * (0.4 + rng.next() * 1.4))) };
      }
      default: {
        const a = live();
        return { kind: 'update_facility', facilityId: a, set: { status: rng.pick(['open', 'planned', 'suspended']), villagesServed: [village().code, village().code].filter((x, i, l) => l.indexOf(x) === i) } };
      }
    }
  }

  async function stateOf(changes: StoredChange[]): Promise<{ state: ScenarioState; applied: number }> {
    const base = baselineFor(db.db, baseline.dataVersion);
    await base.ensure(db.db, referencesOf(changes));
    const state = new ScenarioState(base);
    let applied = 0;
    changes.forEach((c, i) => {
      if (applyChange(state, c, { changeId: i + 1, scenarioId: 1, position: i + 1 }, '2026-01-01T00:00:00.000Z') === null) applied++;
    });
    return { state, applied };
  }

  it(`holds for ${ROUNDS} random change sets (seed ${SEED}), from the baseline and from an intermediate state`, async () => {
    const rng = prng(SEED);
    let id = -1_000_000;
    const kindsSeen = new Set<string>();
    let totalApplied = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const added: number[] = [];
      const changes: StoredChange[] = [];
      const n = 1 + rng.int(5);
      // Build against a growing state so later changes can refer to earlier ones.
      for (let k = 0; k < n; k++) {
        const { state } = await stateOf(changes);
        changes.push(randomChange(rng, state, added, () => id--));
      }
      for (const c of changes) kindsSeen.add(c.kind);
      const scenario = { id: 1000 + round, version: 1 };
      const half = await stateOf(changes.slice(0, Math.max(1, n - 1)));
      const whole = await stateOf(changes);
      totalApplied += whole.applied;
      const intermediate = await reevaluate(db.db, baseline, { state: half.state, scenario: { ...scenario, version: 0 } });
      const fromBaseline = await reevaluate(db.db, baseline, { state: whole.state, scenario });
      const fromIntermediate = await reevaluate(db.db, intermediate, { state: whole.state, scenario });
      const full = await fullEvaluation(db.db, ruleSet, { state: whole.state, scenario }, baseline.baseline);
      const label = `round ${round} (${changes.map((c) => c.kind).join(', ')})`;
      expect(compareRules(fromBaseline, full), `${label}: rules from the baseline`).toEqual([]);
      expect(compareRules(fromIntermediate, full), `${label}: rules from the intermediate state`).toEqual([]);
      expect(compareAccess(fromBaseline.access, full.access), `${label}: access from the baseline`).toEqual([]);
      expect(compareAccess(fromIntermediate.access, full.access), `${label}: access from the intermediate state`).toEqual([]);
      // Incremental means less: never every unit again.
      expect(fromBaseline.stats.unitsReevaluated).toBeLessThan(baseline.baseline.byUnit.size);
    }
    expect(totalApplied).toBeGreaterThan(ROUNDS);
    if (ROUNDS >= 6) expect(kindsSeen.size).toBeGreaterThanOrEqual(5);
  }, 600_000);

  it('holds for changes to a facility recorded at league level (its aggregate rows are the league’s, not a banner’s)', async () => {
    const aohanHospital = facilities.find((f) => f.type === 'general_hospital')!;
    const village = villages[3]!;
    const sets: StoredChange[][] = [
      [{ kind: 'update_facility', facilityId: leagueHospital, set: { beds: 0, departments: [], staff: { doctors: 0, nurses: 0 } } }],
      [{ kind: 'close_facility', facilityId: leagueHospital }],
      [{ kind: 'move_facility', facilityId: leagueHospital, lon: village.lon, lat: village.lat, unitCode: village.code }],
      [{ kind: 'merge_facilities', facilityIds: [aohanHospital.id, leagueHospital], survivorId: leagueHospital, site: null }],
      [{ kind: 'merge_facilities', facilityIds: [leagueHospital, aohanHospital.id], survivorId: aohanHospital.id, site: null }],
    ];
    let leagueMoved = 0;
    for (const [k, changes] of sets.entries()) {
      const { state, applied } = await stateOf(changes);
      expect(applied, `set ${k}`).toBe(changes.length);
      const scenario = { id: 7000 + k, version: 1 };
      const incremental = await reevaluate(db.db, baseline, { state, scenario });
      const full = await fullEvaluation(db.db, ruleSet, { state, scenario }, baseline.baseline);
      expect(compareRules(incremental, full), `set ${k} (${changes[0]!.kind})`).toEqual([]);
      const league = (e: Evaluated) => JSON.stringify(unitResults(e, '150400').map((r) => [r.ruleId, r.status, r.measured.value]));
      if (league(full) !== league(baseline)) leagueMoved++;
    }
    // The league's own figures do move (else the cases would prove nothing).
    expect(leagueMoved).toBeGreaterThanOrEqual(3);
  }, 600_000);

  it('holds where only the adjacency distance links a village to a changed clinic (joint clinics, 002:25)', async () => {
    // Small villages served by a joint clinic that lists them, with other clinics within 3 km:
    // once the listing clinic is gone (the intermediate state), the nearest one within the distance
    // serves them — and only the adjacency distance connects the next change to the village.
    const cases = partners.filter((t) => t.population < 500 && listing.has(t.village) && t.clinics.filter((c) => c !== listing.get(t.village)).length >= 1).slice(0, 4);
    expect(cases.length).toBeGreaterThanOrEqual(2);
    let flipped = 0;
    for (const t of cases) {
      const joint = listing.get(t.village)!;
      const nearest = t.clinics.find((c) => c !== joint)!;
      const far = villages[0]!;
      for (const second of [
        { kind: 'close_facility', facilityId: nearest },
        { kind: 'move_facility', facilityId: nearest, lon: far.lon, lat: far.lat, unitCode: far.code },
      ] as StoredChange[]) {
        const first: StoredChange = { kind: 'close_facility', facilityId: joint };
        const scenario = { id: 5000, version: 2 };
        const half = await stateOf([first]);
        const whole = await stateOf([first, second]);
        const intermediate = await reevaluate(db.db, baseline, { state: half.state, scenario: { ...scenario, version: 1 } });
        const next = await reevaluate(db.db, intermediate, { state: whole.state, scenario });
        const full = await fullEvaluation(db.db, ruleSet, { state: whole.state, scenario }, baseline.baseline);
        expect(compareRules(next, full), `${t.village}: ${second.kind} ${nearest} after closing ${joint}`).toEqual([]);
        const status = (e: Evaluated) => unitResults(e, t.village).find((r) => r.ruleId === 's2-village-joint-clinic-500')!;
        if (JSON.stringify(status(intermediate).facilities) !== JSON.stringify(status(next).facilities)) flipped++;
      }
    }
    // The cases do move the village's result (else they would prove nothing).
    expect(flipped).toBeGreaterThan(0);
  }, 600_000);
});
