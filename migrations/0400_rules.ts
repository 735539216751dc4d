/**
 * Rule engine (issue 4): the default rule set and documentation of the rule_set
 * columns the engine reads.
 *
 * Frozen in time: this file never imports application code. The default set
 * stores no parameter values (`{"rules": {}, "access": {}}`): its effective
 * parameters are always the current defaults of server/rules/params.ts and
 * server/access/params.ts, so the default set follows the code. Copies store
 * a full snapshot of the parameters at the time they were made.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE rule_set ADD CONSTRAINT rule_set_params_object CHECK (jsonb_typeof(params) = 'object')`.execute(db);
  await sql`ALTER TABLE rule_set ADD CONSTRAINT rule_set_name_length CHECK (length(name) <= 200)`.execute(db);
  await sql`
    INSERT INTO rule_set (name, description, is_default, target_year, params)
    SELECT '默认规则集 · Default rule set',
           '自治区及敖汉旗规划文件的全部规则，默认参数（2025 年目标）。规划人员请复制后修改。 · Every rule of the region''s and Aohan Banner''s plans with default parameters (2025 targets). Planners copy it to change parameters.',
           true, 2025, '{"rules": {}, "access": {}}'::jsonb
    WHERE NOT EXISTS (SELECT 1 FROM rule_set WHERE is_default)`.execute(db);
  for (const statement of COMMENTS) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM rule_set WHERE is_default AND params = '{"rules": {}, "access": {}}'::jsonb`.execute(db);
  await sql`ALTER TABLE rule_set DROP CONSTRAINT IF EXISTS rule_set_name_length`.execute(db);
  await sql`ALTER TABLE rule_set DROP CONSTRAINT IF EXISTS rule_set_params_object`.execute(db);
}

const COMMENTS = [
  `COMMENT ON COLUMN rule_set.params IS 'Parameters as {"rules": {...}, "access": {...}}: rules owned by server/rules/params.ts, access by server/access/params.ts; missing keys take the current defaults'`,
  `COMMENT ON COLUMN rule_set.disabled_rules IS 'Ids of catalogue rules (GET /api/rules) this rule set does not evaluate'`,
  `COMMENT ON COLUMN rule_set.target_year IS 'Planning horizon: each rule uses its latest target due by this year (2025 or 2030)'`,
  `COMMENT ON COLUMN rule_set.is_default IS 'The one default rule set: not editable by planners, who copy it'`,
  `COMMENT ON COLUMN rule_set.version IS 'Optimistic-concurrency version; part of every result and cache key'`,
  `COMMENT ON COLUMN rule_set.based_on_id IS 'The rule set this one was copied from'`,
];
