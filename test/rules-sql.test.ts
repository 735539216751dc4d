/**
 * The compiled SQL of every evaluator kind, snapshotted so that a change to a
 * rule's query shows up as a SQL diff in review. Compiled with kysely's
 * DummyDriver (no database): the text is what both engines receive.
 */
import { describe, expect, it } from 'vitest';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { Database } from '../server/db/schema.ts';
import { baselineContext } from '../server/engine/context.ts';
import '../server/rules/setup.ts';
import { evaluatorFor, findRule, selectTarget } from '../server/rules/registry.ts';
import { defaultRuleSetParams } from '../server/rules/params.ts';
import { levelInScope, type ResolvedScope } from '../server/rules/sql.ts';

const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

function compiled(ruleId: string, scope: ResolvedScope) {
  const rule = findRule(ruleId)!;
  const evaluator = evaluatorFor(rule.kind);
  const input = {
    ctx: baselineContext(db),
    rule,
    target: selectTarget(rule, 2025)!,
    params: defaultRuleSetParams(),
    scope,
    levels: rule.levels.filter((l) => levelInScope(l, scope.root.level)),
  };
  const query = evaluator.compile!([input]).compile(db);
  // Collapse indentation so the snapshot shows the statement, not the template's whitespace.
  return { sql: query.sql.replace(/\s+/g, ' ').trim(), parameters: query.parameters };
}

const REGION: ResolvedScope = { root: { code: '150000', level: 'region' } };
const AOHAN: ResolvedScope = { root: { code: '150430', level: 'banner' } };

describe('compiled evaluator SQL', () => {
  for (const [kind, ruleId, scope] of [
    ['presence_by_population', 'im-psych-ward-pop-gt-300k', REGION],
    ['presence_per_unit (with fallback)', 's2-banner-tcm-hospital', REGION],
    ['presence_per_unit (township, banner subtree)', 'im-rural-three-tier-township', AOHAN],
    ['facility_requirement', 'im-neonatology', REGION],
    ['share_of_facilities', 'im-geriatrics-50pct', REGION],
    ['ratio_per_population', 'im-beds-per-1k', REGION],
    ['ratio_per_population (facility share)', 's4-thc-tcm-doctor-25', AOHAN],
    ['village_clinic_coverage', 's2-village-joint-clinic-500', AOHAN],
  ] as const) {
    it(`${kind}: ${ruleId}`, () => {
      const { sql, parameters } = compiled(ruleId, scope);
      expect(sql).not.toMatch(/'(psychiatry_ward|general_hospital|150430)'/); // values are bound, never inlined
      expect({ sql, parameters }).toMatchSnapshot();
    });
  }

  it('a scenario-style explicit unit list restricts units and facilities', () => {
    const { sql, parameters } = compiled('im-beds-per-1k', { root: { code: '150430', level: 'banner' }, units: ['150430'] });
    expect(sql).toContain('= ANY(');
    expect(parameters).toContainEqual(['150430']);
  });
});
