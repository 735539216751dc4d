/**
 * The catalogue as data: every citation matches its source text at the cited
 * lines, ids are unique, every rule's kind has an evaluator, and the pure
 * judgement functions get every threshold right at its boundary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import '../server/rules/setup.ts';
import { allRules, findRule, registeredKinds, selectTarget } from '../server/rules/registry.ts';
import { compare, unitApplicability, type UnitColumns } from '../server/rules/evaluators/common.ts';
import { judgePresence, type PresenceRow } from '../server/rules/evaluators/presence.ts';
import { facilitiesShort, judgeShare, type ShareRow } from '../server/rules/evaluators/share.ts';
import { amountShort, amountOver, judgeRatio, type RatioRow } from '../server/rules/evaluators/ratio.ts';
import { judgeVillageClinic, type VillageRow } from '../server/rules/evaluators/villageClinic.ts';
import { RULE_PARAM_DEFAULTS, effectiveParams, patchParams } from '../server/rules/params.ts';
import { fmt } from '../server/rules/text.ts';
import type { PresenceSpec, RatioSpec, RuleDefinition, ShareSpec, VillageClinicSpec } from '../server/rules/types.ts';

const SOURCES_DIR = path.join(import.meta.dirname, '../server/rules/sources');
const squash = (s: string) => s.replace(/\s+/g, '');

function linesOf(file: string): string[] {
  return fs.readFileSync(path.join(SOURCES_DIR, file), 'utf8').split('\n');
}

const unit = (over: Partial<UnitColumns> = {}): UnitColumns => ({
  unit_code: '150430',
  unit_name: '敖汉旗',
  unit_level: 'banner',
  unit_kind: '旗',
  unit_urban: false,
  parent_kind: '市',
  parent_urban: false,
  population: 448_712,
  league_code: '150400',
  banner_code: '150430',
  township_code: null,
  ...over,
});

function rule<S>(id: string): RuleDefinition<string, S> {
  const r = findRule(id);
  if (!r) throw new Error(`no rule ${id}`);
  return r as RuleDefinition<string, S>;
}

describe('rule catalogue', () => {
  it('has the rules the issue names, each with a citation', () => {
    const ids = allRules().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [
      'im-psych-ward-pop-gt-300k',
      'im-psych-clinic-pop-le-300k',
      'im-psych-primary-capacity',
      'im-county-paeds-ward',
      'im-neonatology',
      's2-banner-tcm-hospital',
      's4-tcm-hall-100',
      's4-thc-tcm-doctor-25',
      's4-station-village-4-6',
      's2-icu-secondary-plus',
      'im-geriatrics-50pct',
      'im-banner-occ-exam',
      'im-league-tcm-3a',
      'im-league-p2-lab',
      'im-league-occ-diagnosis',
      's2-league-id-hospital',
      'im-staff-township-chc',
      'im-staff-village',
      'im-rural-three-tier-township',
      's2-village-joint-clinic-500',
      'im-beds-per-1k',
      'im-doctors-per-1k',
      'im-nurses-per-1k',
      'im-gp-per-10k',
      's2-gp-per-10k',
      's4-tcm-gp-per-10k',
      'im-supervisors-per-10k',
      'im-paediatric-beds',
      'ah-beds-per-1k',
      'ah-doctors-per-1k',
      'ah-nurses-per-1k',
      'ah-gp-per-10k',
    ]) {
      expect(findRule(id), id).toBeDefined();
    }
    for (const r of allRules()) expect(r.citations.length, r.id).toBeGreaterThan(0);
  });

  it('quotes every source exactly at the cited lines', () => {
    const cache = new Map<string, string[]>();
    for (const r of allRules()) {
      for (const c of r.citations) {
        if (!cache.has(c.file)) cache.set(c.file, linesOf(c.file));
        const lines = cache.get(c.file)!;
        expect(c.lines[1], `${r.id} ${c.file}:${c.lines.join('-')}`).toBeLessThanOrEqual(lines.length);
        const text = squash(lines.slice(c.lines[0] - 1, c.lines[1]).join(''));
        expect(text, `${r.id}: 「${c.quote}」 not found at ${c.file}:${c.lines.join('-')}`).toContain(squash(c.quote));
        // The range is tight: the quote does not fit into a shorter range.
        const first = squash(lines[c.lines[0] - 1]!);
        const last = squash(lines[c.lines[1] - 1]!);
        expect(squash(c.quote).length > 0 && (first.length === 0 || text.indexOf(squash(c.quote)) < first.length), `${r.id}: quote starts after line ${c.lines[0]}`).toBe(true);
        expect(text.indexOf(squash(c.quote)) + squash(c.quote).length > text.length - last.length, `${r.id}: quote ends before line ${c.lines[1]}`).toBe(true);
      }
    }
  });

  it('has an evaluator for every kind and targets for both years where the texts give both', () => {
    const kinds = new Set(registeredKinds().map((k) => k.kind));
    for (const r of allRules()) expect(kinds.has(r.kind), r.id).toBe(true);
    const gp = rule('s2-gp-per-10k');
    expect(selectTarget(gp, 2025)).toMatchObject({ year: 2025, min: 3 });
    expect(selectTarget(gp, 2030)).toMatchObject({ year: 2030, min: 5 });
    // A 2025 target is still due in 2030; a 2030-only target is not evaluated in 2025.
    expect(selectTarget(rule('im-beds-per-1k'), 2030)).toMatchObject({ year: 2025, min: 7.5 });
    expect(selectTarget(rule('s3-nurses-per-1000'), 2025)).toBeUndefined();
  });

  it('applies Aohan Banner’s own targets to 150430 only, beside the region’s', () => {
    for (const [id, min, compares] of [
      ['ah-beds-per-1k', 7.2, 'im-beds-per-1k'],
      ['ah-doctors-per-1k', 3.0, 'im-doctors-per-1k'],
      ['ah-nurses-per-1k', 3.5, 'im-nurses-per-1k'],
      ['ah-gp-per-10k', 3.5, 'im-gp-per-10k'],
    ] as const) {
      const r = rule(id);
      expect(r.jurisdiction?.code).toBe('150430');
      expect(r.targets[0]?.min).toBe(min);
      expect(r.comparesWith).toBe(compares);
    }
  });
});

describe('thresholds at their boundaries (PRC usage)', () => {
  const params = RULE_PARAM_DEFAULTS;
  const ward = rule<PresenceSpec>('im-psych-ward-pop-gt-300k');
  const clinic = rule<PresenceSpec>('im-psych-clinic-pop-le-300k');
  const presenceRow = (population: number | null, found = 0, maybe = 0): PresenceRow => ({
    ...unit({ population }),
    found,
    maybe,
    items: [],
    maybe_items: [],
    fallback_found: 0,
    fallback_items: [],
  });
  const t2025 = { year: 2025 as const };

  it('超过30万 is > 300,000 and 30万以下 is ≤ 300,000: exactly 300,000 gets the clinic rule', () => {
    expect(compare('>', 300_000, 300_000)).toBe(false);
    expect(compare('<=', 300_000, 300_000)).toBe(true);
    expect(judgePresence(ward, presenceRow(300_000), t2025, params).status).toBe('not_applicable');
    expect(judgePresence(clinic, presenceRow(300_000), t2025, params).status).toBe('fail');
    expect(judgePresence(ward, presenceRow(300_001), t2025, params).status).toBe('fail');
    expect(judgePresence(clinic, presenceRow(300_001), t2025, params).status).toBe('not_applicable');
    // Aohan Banner (448,712) falls under the ward rule.
    expect(judgePresence(ward, presenceRow(448_712, 1), t2025, params).status).toBe('pass');
    expect(judgePresence(clinic, presenceRow(448_712, 1), t2025, params).status).toBe('not_applicable');
  });

  it('never passes on missing data: no population → unknown, only uncertain facilities → unknown', () => {
    expect(judgePresence(ward, presenceRow(null, 1), t2025, params).status).toBe('unknown');
    expect(judgePresence(ward, presenceRow(400_000, 0, 1), t2025, params).status).toBe('unknown');
    const fail = judgePresence(ward, presenceRow(400_000, 0, 0), t2025, params);
    expect(fail.status).toBe('fail');
    expect(fail.shortfall).toEqual({ value: 1, unit: { zh: '所', en: 'facilities' }, text: { zh: '缺 1 所设有病房精神科的公立医院', en: 'short of 1 public hospital(s) with a psychiatric ward' } });
  });

  it('districts follow the text unless the rule set says otherwise', () => {
    const district = unit({ unit_kind: '区' });
    expect(unitApplicability({ districtsNamed: false }, district, params)).toMatchObject({ applicable: false });
    expect(unitApplicability({ districtsNamed: true }, district, params)).toEqual({ applicable: true });
    expect(unitApplicability({ districtsNamed: false }, district, { ...params, districtsCountAsBanners: 'always' })).toEqual({ applicable: true });
    expect(unitApplicability({ districtsNamed: true }, district, { ...params, districtsCountAsBanners: 'never' })).toMatchObject({ applicable: false });
  });

  const village = rule<VillageClinicSpec>('s2-village-joint-clinic-500');
  const villageRow = (population: number | null, over: Partial<VillageRow> = {}): VillageRow => ({
    ...unit({ unit_code: '150430100201', unit_name: '小村', unit_level: 'village', unit_kind: '村', parent_kind: '镇', population, township_code: '150430100' }),
    has_point: true,
    own_count: null,
    own_items: null,
    listed_count: null,
    listed_items: null,
    listed_villages: null,
    near_id: 7,
    near_code: 'VC-7',
    near_name: '邻村卫生室',
    near_village_code: '150430100202',
    near_village_name: '邻村',
    near_distance: 1200,
    ...over,
  });

  it('不足500人 is < 500: a village of exactly 500 cannot share a clinic, 499 can', () => {
    const at499 = judgeVillageClinic(village, villageRow(499), t2025, params);
    expect(at499.status).toBe('pass');
    expect(at499.facts.coverage).toBe('joint');
    expect(at499.notes[0]?.zh).toContain('联办');
    const at500 = judgeVillageClinic(village, villageRow(500), t2025, params);
    expect(at500.status).toBe('fail');
    expect(at500.shortfall?.text.zh).toBe('缺 1 所村卫生室');
    expect(judgeVillageClinic(village, villageRow(500, { own_count: 1 }), t2025, params).status).toBe('pass');
  });

  it('villages in streets and urban communities expect community stations instead', () => {
    const street = judgeVillageClinic(village, villageRow(3000, { parent_kind: '街道', near_id: null }), t2025, params);
    expect(street.status).toBe('not_applicable');
    expect(street.facts.coverage).toBe('community');
  });

  it('adjacency mode decides which partner counts; no location means unknown, not pass', () => {
    const listedOnly = { ...params, adjacencyMode: 'listed_only' as const };
    expect(judgeVillageClinic(village, villageRow(300), t2025, listedOnly).status).toBe('fail');
    expect(judgeVillageClinic(village, villageRow(300, { near_id: null, listed_count: 1, listed_items: [{ id: 9, code: 'VC-9', name: '联办卫生室' }] }), t2025, listedOnly).status).toBe('pass');
    expect(judgeVillageClinic(village, villageRow(300, { near_id: null, has_point: false }), t2025, params).status).toBe('unknown');
    expect(judgeVillageClinic(village, villageRow(null), t2025, params).status).toBe('unknown');
  });

  const geriatrics = rule<ShareSpec>('im-geriatrics-50pct');
  const shareRow = (p: number, f: number, u = 0): ShareRow => ({ ...unit({ unit_code: '150000', unit_level: 'region' }), members_passing: p, failing: f, undecided: u, fail_items: [], unknown_items: [] });

  it('“达到50%” is ≥ 50 %: 1 of 2 passes, 2 of 5 is short of 1 (ceil)', () => {
    expect(judgeShare(geriatrics, shareRow(1, 1), t2025, params).status).toBe('pass');
    const short = judgeShare(geriatrics, shareRow(2, 3), t2025, params);
    expect(short.status).toBe('fail');
    expect(short.shortfall?.value).toBe(1);
    expect(facilitiesShort(2, 5, 50)).toBe(1);
    expect(facilitiesShort(7, 10, 80)).toBe(1);
    expect(facilitiesShort(0, 10, 80)).toBe(8);
    expect(facilitiesShort(8, 10, 80)).toBe(0);
    // Unknowns decide: 1 pass, 1 fail, 1 unknown → between 33 % and 67 % → unknown.
    expect(judgeShare(geriatrics, shareRow(1, 1, 1), t2025, params).status).toBe('unknown');
    expect(judgeShare(geriatrics, shareRow(0, 0, 0), t2025, params).status).toBe('not_applicable');
  });

  const beds = rule<RatioSpec>('im-beds-per-1k');
  const ratioRow = (amount: number, population: number | null, over: Partial<RatioRow> = {}): RatioRow => ({
    ...unit({ population }),
    children: 75_000,
    amount,
    matched: 10,
    with_value: 10,
    missing_items: [],
    denom_amount: 0,
    denom_matched: 0,
    denom_with_value: 0,
    below_count: 0,
    below_items: [],
    ...over,
  });

  it('ratios: exactly at the target passes; the shortfall is in natural units (beds)', () => {
    const t = selectTarget(beds, 2025)!;
    expect(judgeRatio(beds, ratioRow(7500, 1_000_000), t, params).status).toBe('pass');
    const below = judgeRatio(beds, ratioRow(7499, 1_000_000), t, params);
    expect(below.status).toBe('fail');
    expect(below.shortfall?.value).toBe(1);
    expect(below.shortfall?.text).toEqual({ zh: '床位缺口 1 张', en: 'short of 1 beds' });
    // Aohan Banner, 2020: 2,857 beds for 448,712 people → 6.37 per 1,000, short of 3,365.34 − 2,857 → 509 beds.
    const aohan = judgeRatio(beds, ratioRow(2857, 448_712), t, params);
    expect(aohan.measured.value).toBeCloseTo((2857 / 448_712) * 1000, 3);
    expect(aohan.shortfall?.value).toBe(Math.ceil(7.5 * 448.712 - 2857));
    expect(amountShort(2857, 448_712, 1000, 7.5)).toBe(509);
    expect(amountShort(4120 * 25, 25_000_000, 1000, 4.12)).toBe(0);
    expect(judgeRatio(beds, ratioRow(100, null), t, params).status).toBe('unknown');
    expect(judgeRatio(beds, ratioRow(0, 1000, { with_value: 0 }), t, params).status).toBe('unknown');
    expect(judgeRatio(beds, ratioRow(0, 1000, { matched: 0, with_value: 0 }), t, params).status).toBe('fail');
  });

  it('a band (supervisors 1–1.5 per 10,000): both ends inclusive, above the band is flagged', () => {
    const sup = rule<RatioSpec>('im-supervisors-per-10k');
    const t = selectTarget(sup, 2025)!;
    expect(judgeRatio(sup, ratioRow(100, 1_000_000), t, params).status).toBe('pass');
    expect(judgeRatio(sup, ratioRow(150, 1_000_000), t, params).status).toBe('pass');
    const over = judgeRatio(sup, ratioRow(151, 1_000_000), t, params);
    expect(over.status).toBe('fail');
    expect(over.shortfall?.value).toBe(-1);
    expect(amountOver(151, 1_000_000, 10000, 1.5)).toBe(1);
    expect(judgeRatio(sup, ratioRow(99, 1_000_000), t, params).shortfall?.value).toBe(1);
  });

  it('TCM doctor share: new TCM doctors also join the doctor total', () => {
    const share = rule<RatioSpec>('s4-thc-tcm-doctor-25');
    const t = selectTarget(share, 2025)!;
    const row = ratioRow(10, 448_712, { denom_amount: 100, denom_matched: 5, denom_with_value: 5, matched: 5, with_value: 5 });
    const r = judgeRatio(share, row, t, params);
    expect(r.status).toBe('fail');
    // (10 + x) / (100 + x) ≥ 25 % → x ≥ 20.
    expect(r.shortfall?.value).toBe(20);
    expect(judgeRatio(share, { ...row, amount: 25 }, t, params).status).toBe('pass');
  });

  it('children’s beds use the 0–14 band times the rule-set multiplier', () => {
    const kids = rule<RatioSpec>('im-paediatric-beds');
    const t = selectTarget(kids, 2025)!;
    expect(judgeRatio(kids, ratioRow(165, 1_000_000, { children: 75_000 }), t, params).status).toBe('pass');
    expect(judgeRatio(kids, ratioRow(165, 1_000_000, { children: 75_000 }), t, { ...params, childrenScale: 1.2 }).status).toBe('fail');
    expect(judgeRatio(kids, ratioRow(165, 1_000_000, { children: null }), t, params).status).toBe('unknown');
  });
});

describe('scenario hook', () => {
  it('answers 400 "scenarios are not available yet" until a provider is registered', async () => {
    const { contextFor } = await import('../server/rules/service.ts');
    const db = {} as Parameters<typeof contextFor>[0];
    await expect(contextFor(db, 5)).rejects.toMatchObject({ code: 'ScenariosUnavailable', statusCode: 400 });
    expect((await contextFor(db, null)).scenarioId).toBeNull();
  });
});

describe('number wording', () => {
  it('groups thousands and drops trailing zeros, like Intl en', () => {
    const intl = (v: number, d: number) => new Intl.NumberFormat('en', { maximumFractionDigits: d }).format(Math.round(v * 10 ** d) / 10 ** d);
    for (const [v, d] of [[0, 2], [5.3, 2], [1000, 2], [448_712, 0], [6.366, 2], [-1234.5, 1], [1_234_567.891, 3], [99.995, 2], [3365.34, 0]] as const) {
      expect(fmt(v, d), `${v} (${d})`).toBe(intl(v, d));
    }
  });
});

describe('rule-set parameters', () => {
  it('fill in defaults, drop unknown keys and report bad values bilingually', () => {
    expect(effectiveParams({ rules: { adjacencyMetres: 5000, bogus: 1 } }).rules).toEqual({ ...RULE_PARAM_DEFAULTS, adjacencyMetres: 5000 });
    expect(effectiveParams(null).rules).toEqual(RULE_PARAM_DEFAULTS);
    const { problems } = patchParams(effectiveParams({}), { rules: { adjacencyMetres: 10 } });
    expect(problems[0]?.field).toBe('rules.adjacencyMetres');
  });
});
