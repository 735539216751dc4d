/** TypeBox request and response schemas of the scenario routes (the OpenAPI document shows them). */
import { Type, type Static, type TSchema } from 'typebox';
import { LEVELS } from '../domain/taxonomy.ts';
import { PagingQuery } from '../http/common.ts';
import { FORCES, STATUSES } from '../rules/types.ts';
import { CHANGE_KINDS, ChangeBody } from './changes.ts';

const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Bilingual = Type.Object({ zh: Type.String(), en: Type.String() });
const Id = Type.Integer({ minimum: 1, maximum: 9_007_199_254_740_991 });
const Version = Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'The scenario version you read; a stale one gets 409 with currentVersion and changes nothing' });

export const ScenarioIdParam = Type.Object({ id: Id });
export const ChangeIdParam = Type.Object({ id: Id, changeId: Id });
export const VersionQuery = Type.Object({ version: Version }, { additionalProperties: false });

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Description = nullable(Type.String({ maxLength: 4000 }));

export const CreateScenarioBody = Type.Object(
  {
    name: Name,
    description: Type.Optional(Description),
    basedOn: Type.Optional(Type.Integer({ minimum: 1, description: 'Another scenario whose changes apply first (a live link: its later changes apply too)' })),
  },
  { additionalProperties: false },
);
export const UpdateScenarioBody = Type.Object({ version: Version, name: Type.Optional(Name), description: Type.Optional(Description) }, { additionalProperties: false });
export const DuplicateBody = Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false });

export const AddChangeBody = Type.Object(
  {
    version: Version,
    change: ChangeBody,
    position: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: '1-based position among the scenario’s own changes (default: after the last)' })),
  },
  { additionalProperties: false },
);
export const ReorderBody = Type.Object(
  { version: Version, order: Type.Array(Id, { maxItems: 10_000, description: 'Every change id of the scenario, in the new order' }) },
  { additionalProperties: false },
);

export const ListQuery = Type.Object(
  { owner: Type.Optional(Type.String({ maxLength: 64, description: 'Only scenarios of this owner (login name)' })), ...PagingQuery(50, 500) },
  { additionalProperties: false },
);

const ProblemOut = Type.Object({ field: Type.String(), value: Type.Optional(Type.Unknown()), en: Type.String(), zh: Type.String() });

export const ChangeOut = Type.Object({
  id: Type.Integer(),
  scenarioId: Type.Integer({ description: 'The scenario the change belongs to (another one for inherited changes)' }),
  position: Type.Integer({ description: '1-based position in its own scenario' }),
  inherited: Type.Boolean({ description: 'From a scenario this one is based on' }),
  kind: Type.Enum(CHANGE_KINDS),
  change: Type.Unknown({ description: 'The change as stored: ids, resolved unit codes, WGS84 coordinates' }),
  summary: Bilingual,
  conflict: nullable(Type.Array(ProblemOut, { description: 'Why the change no longer applies (the baseline or a parent scenario changed); it is skipped' })),
  createdBy: nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});

const ScenarioFields = {
  id: Type.Integer(),
  name: Type.String(),
  description: nullable(Type.String()),
  owner: nullable(Type.String()),
  basedOnId: nullable(Type.Integer()),
  version: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
};

export const ScenarioSummaryOut = Type.Object({
  ...ScenarioFields,
  changes: Type.Integer({ description: 'Own changes' }),
  sharedWith: Type.Integer({ description: 'Users it is shared with' }),
});

export const ScenarioOut = Type.Object({
  ...ScenarioFields,
  access: Type.Enum(['owner', 'edit', 'read'], { description: 'What you may do with it' }),
  basedOn: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), version: Type.Integer() }), { description: 'The scenarios it is based on, the root first' }),
  changes: Type.Array(ChangeOut, { description: 'Every change in the order it applies: inherited ones first' }),
  conflicts: Type.Integer({ description: 'Changes skipped because they no longer apply' }),
  dataVersion: Type.Integer(),
});

export const ScenarioList = Type.Object({
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  scenarios: Type.Array(ScenarioSummaryOut),
});

export const AddChangeResponse = Type.Object({ scenario: ScenarioOut, change: ChangeOut });
export const DeleteResponse = Type.Object({ deleted: Type.Integer(), flattenedInto: Type.Array(Type.Integer(), { description: 'Scenarios based on it: its changes were copied into them' }) });

// ── evaluation and diff ─────────────────────────────────────────────────────

export const EvaluationQuery = Type.Object(
  {
    ruleSet: Type.Optional(Type.Integer({ minimum: 1, description: 'Rule set (default: the default rule set)' })),
    unit: Type.Optional(Type.String({ description: 'Unit code: figures for its subtree (default: the region)' })),
  },
  { additionalProperties: false },
);

export const DiffQuery = Type.Object(
  {
    against: Type.Optional(Type.String({ default: 'baseline', description: '"baseline" or the id of another scenario you can read' })),
    ruleSet: Type.Optional(Type.Integer({ minimum: 1 })),
    unit: Type.Optional(Type.String({ description: 'Unit code: the diff inside its subtree (default: the region)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 2000, description: 'At most this many units in `units` and per class in access.units' })),
  },
  { additionalProperties: false },
);
export const DiffExportQuery = Type.Object(
  {
    against: Type.Optional(Type.String({ default: 'baseline' })),
    ruleSet: Type.Optional(Type.Integer({ minimum: 1 })),
    unit: Type.Optional(Type.String()),
    format: Type.Optional(Type.Enum(['csv', 'xlsx'], { default: 'csv' })),
  },
  { additionalProperties: false },
);

const UnitRef = Type.Object({ code: Type.String(), name: Type.String(), level: Type.Enum(LEVELS) });
const ResultUnit = Type.Object({
  code: Type.String(),
  name: Type.String(),
  level: Type.Enum(LEVELS),
  leagueCode: nullable(Type.String()),
  bannerCode: nullable(Type.String()),
  townshipCode: nullable(Type.String()),
});
const RuleSide = Type.Object({
  status: nullable(Type.Enum(STATUSES)),
  measured: nullable(Type.Number()),
  measuredText: nullable(Bilingual),
  shortfall: nullable(Type.Number()),
  shortfallText: nullable(Bilingual),
});
const RuleChangeOut = Type.Object({
  ruleId: Type.String(),
  title: Bilingual,
  force: Type.Enum(FORCES),
  indicative: Type.Boolean(),
  unit: ResultUnit,
  direction: Type.Enum(['newly_failing', 'fixed', 'status', 'value'], { description: 'newly_failing / fixed: status to or from fail; status: another status change; value: same status, other measured value or shortfall' }),
  before: RuleSide,
  after: RuleSide,
});
const figures = {
  losing: Type.Number({ description: 'People covered before and not after (the scenario’s population)' }),
  losingToGap: Type.Number({ description: 'Of those, people now in a plain gap (not a mobile-service area)' }),
  gaining: Type.Number(),
  longer: Type.Number({ description: 'People whose trip to the nearest facility of the class gets longer' }),
  shorter: Type.Number(),
  over5: Type.Number({ description: 'People travelling more than 5 minutes further' }),
  over15: Type.Number(),
  over30: Type.Number(),
  noFacility: Type.Number({ description: 'People left with no facility of the class (counted in every over-bucket)' }),
  addedPersonMinutes: Type.Number(),
  savedPersonMinutes: Type.Number(),
};
const Figures = Type.Object(figures);
const ClassRefOut = Type.Object({ key: Type.String(), name: Bilingual, limit: Type.Unknown(), limitText: Bilingual });
const ClassDiffOut = Type.Object({
  class: ClassRefOut,
  coveredBefore: Type.Number(),
  coveredAfter: Type.Number(),
  population: Type.Number(),
  totals: Figures,
  units: Type.Array(Type.Object({ unit: UnitRef, ...figures })),
  catchments: Type.Array(Type.Object({ facilityId: Type.Integer(), name: nullable(Type.String()), before: Type.Number(), after: Type.Number() })),
});
const FacilitySide = nullable(
  Type.Object({
    status: Type.String(),
    type: Type.String(),
    unitCode: Type.String(),
    lon: Type.Number(),
    lat: Type.Number(),
    beds: nullable(Type.Integer()),
    staff: nullable(Type.Integer()),
    departments: Type.Array(Type.String()),
    mergedIntoId: nullable(Type.Integer()),
  }),
);
const FacilityChangeOut = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  what: Type.Enum(['added', 'closed', 'merged_away', 'moved', 'updated', 'reopened', 'removed']),
  before: FacilitySide,
  after: FacilitySide,
});
const Ref = nullable(Type.Object({ id: Type.Integer(), version: Type.Integer(), name: Type.String() }));
const StatsOut = Type.Object({
  base: Type.Enum(['baseline', 'scenario', 'full'], { description: 'What the incremental evaluation started from' }),
  facilitiesChanged: Type.Integer(),
  unitsChanged: Type.Integer(),
  cellsChanged: Type.Integer(),
  unitsReevaluated: Type.Integer(),
  cellsReassigned: Type.Record(Type.String(), Type.Integer()),
  timings: Type.Array(Type.Object({ stage: Type.String(), ms: Type.Number() })),
  totalMs: Type.Number(),
});

export const DiffResponse = Type.Object({
  scenario: Ref,
  against: Ref,
  ruleSet: Type.Object({ id: Type.Integer(), version: Type.Integer(), name: Type.String(), targetYear: Type.Integer() }),
  dataVersion: Type.Integer(),
  synthetic: Type.Boolean({ description: 'Some facilities or population in the data are generated (synthetic)' }),
  scope: UnitRef,
  summary: Bilingual,
  rules: Type.Object({
    newlyFailing: Type.Integer(),
    fixed: Type.Integer(),
    otherStatusChanges: Type.Integer(),
    valueChanges: Type.Integer(),
    byForce: Type.Record(Type.String(), Type.Object({ newlyFailing: Type.Integer(), fixed: Type.Integer() })),
    changes: Type.Array(RuleChangeOut),
  }),
  units: Type.Array(Type.Object({ unit: ResultUnit, rules: Type.Array(RuleChangeOut) })),
  access: Type.Array(ClassDiffOut),
  facilities: Type.Array(FacilityChangeOut),
  changes: Type.Array(ChangeOut, { description: 'The scenario’s changes (what the summary describes)' }),
  truncated: Type.Boolean({ description: 'units or access.units were cut at limit' }),
  evaluation: Type.Object({ scenario: StatsOut, against: nullable(StatsOut) }),
});
export type DiffResponse = Static<typeof DiffResponse>;

export const EvaluationResponse = Type.Object({
  scenario: Ref,
  ruleSet: Type.Object({ id: Type.Integer(), version: Type.Integer(), name: Type.String(), targetYear: Type.Integer() }),
  dataVersion: Type.Integer(),
  scope: UnitRef,
  rules: Type.Object({
    total: Type.Integer(),
    byStatus: Type.Record(Type.String(), Type.Integer()),
    worst: Type.Array(Type.Object({ ruleId: Type.String(), unitCode: Type.String(), unitName: Type.String(), force: Type.String(), title: Bilingual, shortfall: nullable(Bilingual) })),
  }),
  access: Type.Array(
    Type.Object({
      class: ClassRefOut,
      population: Type.Number(),
      covered: Type.Number(),
      gap: Type.Number(),
      mobile: Type.Number(),
      meanMinutes: nullable(Type.Number()),
      p90Minutes: nullable(Type.Number()),
    }),
  ),
  conflicts: Type.Integer(),
  stats: StatsOut,
  note: Bilingual,
});

// ── merge advisor ───────────────────────────────────────────────────────────

export const AdvisorQuery = Type.Object(
  {
    unit: Type.Optional(Type.String({ description: 'Unit code (a banner, league or township); default: the whole region' })),
    ruleSet: Type.Optional(Type.Integer({ minimum: 1 })),
    scenario: Type.Optional(Type.String({ description: 'Evaluate candidates on top of this scenario (default: the baseline)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 100, description: 'Return the best n (all candidates are evaluated)' })),
  },
  { additionalProperties: false },
);

const CandidateFacility = {
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  type: Type.String(),
  unitCode: Type.String(),
  unitName: nullable(Type.String()),
};
export const AdvisorResponse = Type.Object({
  scope: UnitRef,
  base: nullable(Type.Object({ id: Type.Integer(), version: Type.Integer() })),
  ruleSet: Type.Object({ id: Type.Integer(), version: Type.Integer(), name: Type.String() }),
  thresholds: Type.Object({ jointBelowPopulation: Type.Integer(), adjacencyMode: Type.String(), adjacencyMetres: Type.Number(), smallCatchmentPopulation: Type.Integer() }),
  ranking: Bilingual,
  numberMatched: Type.Integer(),
  candidates: Type.Array(
    Type.Object({
      key: Type.String(),
      rank: Type.Integer(),
      reason: Type.Enum(['joint_clinic', 'small_catchment']),
      reasonText: Bilingual,
      facility: Type.Object({ ...CandidateFacility, catchment: nullable(Type.Number()) }),
      partner: Type.Object({ ...CandidateFacility, distanceM: Type.Number() }),
      village: nullable(Type.Object({ code: Type.String(), name: Type.String(), population: Type.Number() })),
      change: Type.Object({ kind: Type.Literal('merge_facilities'), facilityIds: Type.Array(Type.Integer()), survivorId: Type.Integer() }, { description: 'POST as `change` to /api/scenarios/{id}/changes' }),
      effect: nullable(
        Type.Object({
          class: Type.String(),
          newlyFailing: Type.Integer(),
          fixed: Type.Integer(),
          newlyFailingRules: Type.Array(Type.Object({ ruleId: Type.String(), unitCode: Type.String(), unitName: Type.String(), title: Bilingual, shortfall: nullable(Bilingual) })),
          access: Figures,
          losingAnyClass: Type.Number(),
          evaluationMs: Type.Number(),
        }),
      ),
      problem: nullable(Bilingual),
    }),
  ),
  evaluatedMs: Type.Number(),
  synthetic: Type.Boolean(),
});
