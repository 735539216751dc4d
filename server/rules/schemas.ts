/** TypeBox request and response schemas of the rule routes. */
import { Type, type Static } from 'typebox';
import { LEVELS } from '../domain/taxonomy.ts';
import { PagingQuery } from '../http/common.ts';
import { RuleParamsSchema, RuleSetParamsPatchSchema, AccessParamsSchema } from './params.ts';
import { FORCES, RULE_TOPICS, STATUSES, TARGET_YEARS } from './types.ts';

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });

export const CitationOut = Type.Object({
  file: Type.String({ description: 'Seed document file name' }),
  ref: Type.String({ description: 'Short document reference: 000 … 004' }),
  lines: Type.Array(Type.Integer(), { minItems: 2, maxItems: 2, description: 'Inclusive 1-based line range' }),
  lineRange: Type.String({ description: 'e.g. 000:694-696' }),
  quote: Type.String({ description: 'Exact words of the source' }),
  document: Bilingual,
  draft: Type.Boolean({ description: 'The document is a draft for comment (征求意见稿)' }),
});

const Jurisdiction = Type.Object({ level: Type.Enum(LEVELS), code: Type.String(), name: Bilingual });

const TargetOut = Type.Object({
  year: Type.Integer(),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  derivation: Type.Optional(Bilingual),
  citation: Type.Optional(Type.Integer({ description: 'Index into citations' })),
});

export const RuleOut = Type.Object({
  id: Type.String(),
  title: Bilingual,
  kind: Type.String(),
  kindLabel: Bilingual,
  topic: Type.Enum(RULE_TOPICS),
  topicLabel: Bilingual,
  levels: Type.Array(Type.Enum(LEVELS)),
  targetLevel: Type.Enum(LEVELS),
  jurisdiction: nullable(Jurisdiction),
  applicability: Bilingual,
  requirement: Bilingual,
  targets: Type.Array(TargetOut),
  force: Type.Enum(FORCES),
  forceLabel: Bilingual,
  citations: Type.Array(CitationOut),
  interpretation: nullable(Bilingual),
  comparesWith: nullable(Type.String()),
  spec: Type.Unknown({ description: 'Machine-readable definition for the rule kind (filters, thresholds)' }),
});

export const RulesResponse = Type.Object({
  rules: Type.Array(RuleOut),
  kinds: Type.Array(Type.Object({ kind: Type.String(), label: Bilingual, description: Bilingual })),
  sources: Type.Array(Type.Object({ file: Type.String(), ref: Type.String(), title: Bilingual, issuer: Type.String(), date: Type.String(), status: Type.String() })),
  engineVersion: Type.String(),
});

export const RuleIdParam = Type.Object({ id: Type.String({ maxLength: 100 }) });

// ── Rule sets ──────────────────────────────────────────────────────────────

const AssumptionOut = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  default: Type.Unknown(),
  label: Bilingual,
  description: Bilingual,
});

export const RuleSetOut = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: nullable(Type.String()),
  isDefault: Type.Boolean(),
  editable: Type.Boolean({ description: 'False for the default set: copy it to change parameters' }),
  basedOnId: nullable(Type.Integer()),
  owner: nullable(Type.String()),
  targetYear: Type.Integer(),
  params: Type.Object({ rules: RuleParamsSchema, access: AccessParamsSchema }),
  disabledRules: Type.Array(Type.String()),
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  assumptions: Type.Array(AssumptionOut),
});

export const RuleSetList = Type.Object({ ruleSets: Type.Array(Type.Omit(RuleSetOut, ['params', 'assumptions'])) });

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Name shown in results and reports' });
const Description = nullable(Type.String({ maxLength: 2000 }));
const TargetYear = Type.Union(TARGET_YEARS.map((y) => Type.Literal(y)), { description: 'Planning horizon: 2025 or 2030' });
const DisabledRules = Type.Array(Type.String({ maxLength: 100 }), { maxItems: 500, description: 'Rule ids not evaluated' });

export const CreateRuleSetBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    basedOn: Type.Optional(Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991, description: 'Rule set to copy (default: the default set)' })),
    targetYear: Type.Optional(TargetYear),
    params: Type.Optional(RuleSetParamsPatchSchema),
    disabledRules: Type.Optional(DisabledRules),
  },
  { additionalProperties: false },
);
export type CreateRuleSetBody = Static<typeof CreateRuleSetBody>;

export const UpdateRuleSetBody = Type.Object(
  {
    version: Type.Integer({ minimum: 1, description: 'The version your change is based on (409 when someone changed it since)' }),
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    targetYear: Type.Optional(TargetYear),
    params: Type.Optional(RuleSetParamsPatchSchema),
    disabledRules: Type.Optional(DisabledRules),
  },
  { additionalProperties: false },
);
export type UpdateRuleSetBody = Static<typeof UpdateRuleSetBody>;

export const RuleSetIdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991 }) });
export const MakeDefaultBody = Type.Object({ version: Type.Integer({ minimum: 1, description: 'The version of the rule set you are making the default' }) }, { additionalProperties: false });
export const DeleteRuleSetQuery = Type.Object({ version: Type.Integer({ minimum: 1, description: 'The version you are deleting' }) }, { additionalProperties: false });

// ── Evaluations ────────────────────────────────────────────────────────────

const Counts = Type.Object({ pass: Type.Integer(), fail: Type.Integer(), not_applicable: Type.Integer(), unknown: Type.Integer() });

export const RollupOut = Type.Object({
  unit: Type.Object({ code: Type.String(), name: Type.String(), level: Type.Enum(LEVELS) }),
  total: Type.Integer(),
  byStatus: Counts,
  byForce: Type.Object(Object.fromEntries(FORCES.map((f) => [f, Counts])) as Record<(typeof FORCES)[number], typeof Counts>),
  worst: Type.Array(
    Type.Object({ ruleId: Type.String(), unitCode: Type.String(), unitName: Type.String(), force: Type.Enum(FORCES), title: Bilingual, shortfall: nullable(Bilingual) }),
  ),
});

const ItemOut = Type.Object({
  id: Type.Union([Type.Integer(), Type.String()]),
  code: Type.String(),
  name: Type.String(),
  role: Type.String(),
  value: Type.Optional(nullable(Type.Number())),
});
const CappedListOut = Type.Object({ count: Type.Integer(), items: Type.Array(ItemOut) });

export const ResultOut = Type.Object({
  ruleId: Type.String(),
  kind: Type.String(),
  title: Bilingual,
  topic: Type.Enum(RULE_TOPICS),
  unit: Type.Object({
    code: Type.String(),
    name: Type.String(),
    level: Type.Enum(LEVELS),
    leagueCode: nullable(Type.String()),
    bannerCode: nullable(Type.String()),
    townshipCode: nullable(Type.String()),
  }),
  status: Type.Enum(STATUSES),
  statusLabel: Bilingual,
  force: Type.Enum(FORCES),
  forceLabel: Bilingual,
  severity: Type.Number({ description: '0–1: relative size of a failure' }),
  indicative: Type.Boolean({ description: 'The target is set for a higher level; shown here for orientation' }),
  jurisdiction: nullable(Jurisdiction),
  measured: Type.Object({ value: nullable(Type.Number()), unit: Bilingual, text: Bilingual }),
  target: nullable(Type.Object({ year: Type.Integer(), min: nullable(Type.Number()), max: nullable(Type.Number()), text: Bilingual })),
  shortfall: nullable(Type.Object({ value: Type.Number(), unit: Bilingual, text: Bilingual })),
  notes: Type.Array(Bilingual),
  facts: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()])),
  facilities: CappedListOut,
  villages: CappedListOut,
  citations: Type.Array(CitationOut),
  interpretation: nullable(Bilingual),
  comparesWith: nullable(Type.String()),
  ruleSet: Type.Object({ id: Type.Integer(), version: Type.Integer() }),
  versions: Type.Object({ engine: Type.String(), data: Type.Integer(), scenario: nullable(Type.Object({ id: Type.Integer(), version: Type.Integer() })) }),
});

export const EvaluationMeta = Type.Object({
  ruleSet: Type.Object({ id: Type.Integer(), version: Type.Integer(), name: Type.String(), isDefault: Type.Boolean(), targetYear: Type.Integer() }),
  scenario: nullable(Type.Object({ id: Type.Integer(), version: Type.Integer() })),
  dataVersion: Type.Integer(),
  engineVersion: Type.String(),
  evaluatedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Number(),
  cached: Type.Boolean(),
  synthetic: Type.Boolean({ description: 'Some of the data behind these results is generated (synthetic), not sourced' }),
  assumptions: Type.Array(AssumptionOut),
  rulesEvaluated: Type.Array(Type.String()),
  rulesNotEvaluated: Type.Array(Type.Object({ ruleId: Type.String(), reason: Bilingual })),
});

export const EvaluationResponse = Type.Object({
  evaluation: EvaluationMeta,
  unit: Type.Object({ code: Type.String(), name: Type.String(), level: Type.Enum(LEVELS) }),
  summary: RollupOut,
  children: Type.Array(RollupOut),
  numberMatched: Type.Integer({ description: 'Results matching the filters, before paging' }),
  numberReturned: Type.Integer(),
  results: Type.Array(ResultOut),
});

export const EVALUATION_LIMIT_DEFAULT = 200;
export const EVALUATION_LIMIT_MAX = 5000;

const EvaluationFilters = {
  unit: Type.Optional(Type.String({ maxLength: 20, description: 'Unit code: evaluate its subtree (default: the region 150000)' })),
  ruleSet: Type.Optional(Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991, description: 'Rule set id (default: the default set)' })),
  scenario: Type.Optional(Type.String({ maxLength: 20, description: '"baseline" (default) or a scenario id' })),
  status: Type.Optional(Type.String({ maxLength: 100, description: `Comma-separated: ${STATUSES.join(', ')}` })),
  force: Type.Optional(Type.String({ maxLength: 100, description: `Comma-separated: ${FORCES.join(', ')}` })),
  rule: Type.Optional(Type.String({ maxLength: 4000, description: 'Comma-separated rule ids' })),
  level: Type.Optional(Type.String({ maxLength: 100, description: `Comma-separated unit levels: ${LEVELS.join(', ')}` })),
  topic: Type.Optional(Type.String({ maxLength: 200, description: `Comma-separated: ${RULE_TOPICS.join(', ')}` })),
};

export const EvaluationQuery = Type.Object(
  { ...EvaluationFilters, ...PagingQuery(EVALUATION_LIMIT_DEFAULT, EVALUATION_LIMIT_MAX) },
  { additionalProperties: false },
);
export type EvaluationQuery = Static<typeof EvaluationQuery>;

export const ExportQuery = Type.Object(
  { ...EvaluationFilters, format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { default: 'csv' })) },
  { additionalProperties: false },
);
export type ExportQuery = Static<typeof ExportQuery>;
