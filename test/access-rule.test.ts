/**
 * The 15-minute basic medical service circle (003:31) as an `access` rule in the
 * rule engine: registered through the extension point, its citations match the
 * source, its rows agree with the access API, target share and mode are
 * parameters, and a 2025 rule set does not evaluate a 2030 target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { baselineContext } from '../server/engine/context.ts';
import { evaluate, type RuleSetInput } from '../server/rules/engine.ts';
import { defaultRuleSetParams } from '../server/rules/params.ts';
import { findRule, registeredKinds } from '../server/rules/registry.ts';
import { CIRCLE_RULE_ID } from '../server/access/circle.ts';

describe(`15-minute circle as a rule (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  const ruleSet = (over: Partial<RuleSetInput> = {}): RuleSetInput => ({
    id: 1,
    version: 1,
    name: 'test',
    isDefault: false,
    targetYear: 2030,
    params: defaultRuleSetParams(),
    disabledRules: [],
    ...over,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('is in the catalogue with the access kind, 003:31 and the mobile-service texts', () => {
    const rule = findRule(CIRCLE_RULE_ID)!;
    expect(rule).toBeDefined();
    expect(rule.kind).toBe('access');
    expect(registeredKinds().map((k) => k.kind)).toContain('access');
    expect(rule.citations.map((c) => `${c.file}:${c.lines.join('-')}`)).toEqual(['003_ea3fa2f3d5dcf77a.txt:31-31', '003_ea3fa2f3d5dcf77a.txt:31-31', '000_7de451bffa4866dc.txt:1035-1036']);
    expect(rule.targets).toEqual([{ year: 2030 }]);
  });

  it('evaluates every banner and township of Aohan and agrees with the access API', async () => {
    const evaluation = await evaluate(baselineContext(db.db), ruleSet(), { unit: '150430', rules: [CIRCLE_RULE_ID] });
    const rows = evaluation.results.filter((r) => r.ruleId === CIRCLE_RULE_ID);
    expect(rows.map((r) => r.unit.level).sort()).toEqual(['banner', ...Array(19).fill('township')]);
    const api = (await app.inject({ method: 'GET', url: '/api/access/circle?unit=150430' })).json();
    for (const row of rows) {
      const item = api.items.find((i: { unit: { code: string } }) => i.unit.code === row.unit.code);
      expect(row.status).toBe(item.status);
      expect(row.facts.population).toBe(item.population);
      expect(row.facts.within).toBe(item.within);
      expect(row.measured.value).toBe(item.share === null ? null : Math.round(item.share * 1000) / 10);
      expect(row.target!.min).toBe(90);
      expect(row.facts).toMatchObject({ ruralMode: 'motorbike', ruralSpeedKmh: 30, urbanMode: 'walk', urbanSpeedKmh: 5, detourFactor: 1.3, minutes: 15 });
      expect(row.notes[0]!.zh).toContain('出行假设');
      expect(row.citations[0]!.quote).toContain('15分钟基本医疗卫生服务圈基本形成');
      if (row.status === 'fail') {
        expect(row.shortfall!.value).toBe(item.shortfallPeople);
        expect(row.shortfall!.unit.zh).toBe('人');
      }
      expect(row.indicative).toBe(row.unit.level === 'township');
    }
  });

  it('follows the rule set: target share and speeds are parameters', async () => {
    const params = defaultRuleSetParams();
    const lenient = await evaluate(baselineContext(db.db), ruleSet({ params: { ...params, access: { ...params.access, circleTargetShare: 0 } } }), { unit: '150430', rules: [CIRCLE_RULE_ID] });
    for (const r of lenient.results) expect(['pass', 'unknown', 'not_applicable']).toContain(r.status);
    const strict = await evaluate(baselineContext(db.db), ruleSet({ params: { ...params, access: { ...params.access, circleTargetShare: 1, ruralSpeedKmh: 5, urbanSpeedKmh: 2 } } }), {
      unit: '150430',
      rules: [CIRCLE_RULE_ID],
    });
    const banner = strict.results.find((r) => r.unit.code === '150430')!;
    expect(banner.status).toBe('fail');
    expect(banner.facts.ruralSpeedKmh).toBe(5);
  });

  it('is not evaluated in a 2025 rule set (the text sets 2030)', async () => {
    const evaluation = await evaluate(baselineContext(db.db), ruleSet({ targetYear: 2025 }), { unit: '150430', rules: [CIRCLE_RULE_ID] });
    expect(evaluation.results.filter((r) => r.ruleId === CIRCLE_RULE_ID)).toEqual([]);
    expect(evaluation.rulesNotEvaluated.map((r) => r.ruleId)).toContain(CIRCLE_RULE_ID);
  });
});
