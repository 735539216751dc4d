/**
 * The shapes the API answers with, as far as the UI reads them. The server's
 * TypeBox schemas (GET /api/openapi.json) are the contract; test/web-api.test.ts
 * runs the client against the real app so a drift shows up as a failing test.
 */
import type { FeatureCollection, Geometry, Point } from 'geojson';

export interface Bilingual {
  zh: string;
  en: string;
}

export type Level = 'region' | 'league' | 'banner' | 'township' | 'village';
export type Force = 'must' | 'target' | 'should' | 'strive' | 'may';
export type RuleStatus = 'pass' | 'fail' | 'not_applicable' | 'unknown';
export type Role = 'viewer' | 'planner' | 'editor' | 'admin';

export interface UiConfig {
  authMode: 'local' | 'required';
  basemap: { kind: 'raster' | 'style'; url: string; attribution: string } | null;
  features: { scenarios: boolean; mergeAdvisor: boolean; reports: string | null };
}

export interface Me {
  mode: 'local' | 'required';
  authenticated: boolean;
  via: 'local' | 'session' | 'token' | null;
  user: { id: number | null; name: string; displayName: string; role: Role; unitCode: string | null; mustChangePassword: boolean } | null;
  csrfToken: string | null;
  sessionExpiresAt: string | null;
}

// ── units ───────────────────────────────────────────────────────────────────

export interface UnitRef {
  code: string;
  name: string;
  level: Level;
}

export interface UnitDetail {
  code: string;
  name: string;
  level: Level;
  kind: string | null;
  parentCode: string | null;
  urban: boolean;
  population: number | null;
  populationUrban: number | null;
  populationYear: number | null;
  populationSource: string | null;
  areaKm2: number | null;
  density: number | null;
  mobileService: boolean;
  synthetic: boolean;
  parentChain: UnitRef[];
  children: (UnitRef & { population: number | null })[];
  descendantCounts: Record<string, number>;
  facilityCounts: Record<string, number>;
  point: Point | null;
  bbox: [number, number, number, number] | null;
}

export interface SearchHit {
  code: string;
  name: string;
  level: Level;
  kind: string | null;
  population: number | null;
  context: string[];
  center: [number, number] | null;
  bbox: [number, number, number, number] | null;
  synthetic: boolean;
}

export interface UnitStat {
  code: string;
  worst: Force | null;
  fails: Record<Force, number>;
  pass: number;
  unknown: number;
  indicative: number;
  value?: number | null;
}

export interface IndicatorMeta {
  key: string;
  title: Bilingual;
  unit: Bilingual;
  target: number | null;
  higherIsBetter: boolean;
}

export interface UnitStatsResponse {
  level: Exclude<Level, 'region'>;
  scope: { code: string; name: string };
  ruleSet: { id: number; version: number; name: string; targetYear: number };
  scenario: { id: number; version: number } | null;
  dataVersion: number;
  synthetic: boolean;
  indicator: IndicatorMeta | null;
  items: UnitStat[];
}

// ── facilities ──────────────────────────────────────────────────────────────

export interface FacilitySummary {
  id: number;
  code: string;
  name: string;
  type: string;
  status: 'planned' | 'open' | 'suspended' | 'closed';
  grade: string | null;
  ownership: 'public' | 'private';
  runByLevel: Level | null;
  central: boolean;
  unitCode: string;
  townshipCode: string | null;
  bannerCode: string | null;
  leagueCode: string | null;
  beds: number | null;
  synthetic: boolean;
}

export interface Staff {
  doctors: number | null;
  assistantDoctors: number | null;
  nurses: number | null;
  gps: number | null;
  tcmDoctors: number | null;
  tcmGps: number | null;
  villageDoctors: number | null;
  publicHealth: number | null;
  supervisors: number | null;
  tcmCapable: number | null;
}

export interface FacilityDetail extends FacilitySummary {
  gradeLevel: number;
  location: Point;
  unitName: string | null;
  bedsPaediatric: number | null;
  staff: Staff;
  departments: string[];
  tcmHallLevel: string | null;
  providesDeliveries: boolean | null;
  villagesServed: string[];
  mergedIntoId: number | null;
  source: string | null;
  version: number;
  updatedAt: string;
}

export type FacilityCollection = FeatureCollection<Point, FacilitySummary> & { numberMatched: number; numberReturned: number };

// ── rules ───────────────────────────────────────────────────────────────────

export interface Citation {
  file: string;
  ref: string;
  lines: [number, number];
  lineRange: string;
  quote: string;
  document: Bilingual;
  draft: boolean;
}

export interface RuleDefinition {
  id: string;
  title: Bilingual;
  kind: string;
  topic: string;
  topicLabel: Bilingual;
  levels: Level[];
  force: Force;
  forceLabel: Bilingual;
  requirement: Bilingual;
  citations: Citation[];
  targets: { year: number; min?: number; max?: number }[];
}

export interface RulesCatalogue {
  rules: RuleDefinition[];
  engineVersion: string;
}

export interface Assumption {
  key: string;
  value: unknown;
  default: unknown;
  label: Bilingual;
  description: Bilingual;
  basis?: 'text' | 'assumption' | 'method';
  citation?: string;
}

export interface RuleSetSummary {
  id: number;
  name: string;
  description: string | null;
  isDefault: boolean;
  editable: boolean;
  basedOnId: number | null;
  owner: string | null;
  targetYear: number;
  disabledRules: string[];
  version: number;
  updatedAt: string;
}

export interface AccessClassParams {
  key: string;
  name: Bilingual;
  filter: unknown;
  limit: { kind: 'time'; minutes: number } | { kind: 'distance'; metres: number };
  basis?: string;
  basisZh?: string;
}

export interface AccessParams {
  urbanMode: string;
  urbanSpeedKmh: number;
  ruralMode: string;
  ruralSpeedKmh: number;
  detourFactor: number;
  classes: AccessClassParams[];
  circleClass: string;
  circleMinutes: number;
  circleTargetShare: number;
  mobileService: string;
  facilityStatuses: string[];
  smallCatchmentPopulation: number;
}

export interface RuleSet extends RuleSetSummary {
  params: { rules: Record<string, unknown> & { adjacencyMetres: number; adjacencyMode: string }; access: AccessParams };
  assumptions: Assumption[];
}

export interface RuleResult {
  ruleId: string;
  kind: string;
  title: Bilingual;
  topic: string;
  unit: { code: string; name: string; level: Level };
  status: RuleStatus;
  statusLabel: Bilingual;
  force: Force;
  forceLabel: Bilingual;
  severity: number;
  indicative: boolean;
  measured: { value: number | null; unit: Bilingual; text: Bilingual };
  target: { year: number; min: number | null; max: number | null; text: Bilingual } | null;
  shortfall: { value: number; unit: Bilingual; text: Bilingual } | null;
  notes: Bilingual[];
  facilities: { count: number; items: { id: number | string; code: string; name: string; role: string }[] };
  villages: { count: number; items: { id: number | string; code: string; name: string; role: string }[] };
  citations: Citation[];
  interpretation: Bilingual | null;
}

export interface Rollup {
  unit: UnitRef;
  total: number;
  byStatus: Record<RuleStatus, number>;
  byForce: Record<Force, Record<RuleStatus, number>>;
  worst: { ruleId: string; unitCode: string; unitName: string; force: Force; title: Bilingual; shortfall: Bilingual | null }[];
}

export interface EvaluationResponse {
  evaluation: {
    ruleSet: { id: number; version: number; name: string; isDefault: boolean; targetYear: number };
    scenario: { id: number; version: number } | null;
    dataVersion: number;
    durationMs: number;
    cached: boolean;
    synthetic: boolean;
    assumptions: Assumption[];
    rulesNotEvaluated: { ruleId: string; reason: Bilingual }[];
  };
  unit: UnitRef;
  summary: Rollup;
  children: Rollup[];
  numberMatched: number;
  numberReturned: number;
  results: RuleResult[];
}

// ── access ──────────────────────────────────────────────────────────────────

export interface ClassRef {
  key: string;
  name: Bilingual;
  limit: { kind: 'time'; minutes: number } | { kind: 'distance'; metres: number };
  limitText: Bilingual;
}

export interface UnitFigures {
  population: number;
  covered: number;
  uncovered: number;
  gap: number;
  mobile: number;
  shareCovered: number | null;
  meanMinutes: number | null;
  p90Minutes: number | null;
  meanDistanceM: number | null;
  p90DistanceM: number | null;
  cells: number;
  unreachable: number;
}

export interface AccessEnvelope {
  ruleSet: { id: number; name: string; version: number; isDefault: boolean } | null;
  assumptions: Assumption[];
  provenance: { synthetic: boolean; note: Bilingual | null };
  method: string;
}

export interface AccessUnitDetail extends AccessEnvelope {
  unit: UnitRef;
  travel: Bilingual;
  classes: {
    class: ClassRef;
    figures: UnitFigures;
    villagesOutOfReach: { code: string; name: string; population: number; gap: number; mobile: number; shareCovered: number | null }[];
  }[];
  circle: { population: number; within: number; gap: number; mobile: number; share: number | null; target: number; status: RuleStatus; shortfallPeople: number | null; reason: Bilingual };
}

export interface AccessParamsResponse {
  ruleSet: AccessEnvelope['ruleSet'];
  params: AccessParams;
  assumptions: Assumption[];
  classes: ClassRef[];
}

export interface GapProperties {
  id: string;
  class: string;
  population: number;
  areaKm2: number;
  cells: number;
  nearestFacility: { id: number; name: string | null } | null;
  nearestDistanceM: number | null;
}

export type GapCollection = FeatureCollection<Geometry, GapProperties> & AccessEnvelope & { totalPopulation: number; numberMatched: number };

export interface CatchmentProperties {
  facilityId: number;
  name: string | null;
  type: string | null;
  class: string;
  population: number;
  cells: number;
  meanDistanceM: number | null;
  maxDistanceM: number | null;
  populationPerDoctor: number | null;
  populationPerBed: number | null;
  small: boolean;
  synthetic: boolean;
}

export type CatchmentCollection = FeatureCollection<Geometry, CatchmentProperties> & AccessEnvelope & { smallCatchmentPopulation: number };

// ── import / export ─────────────────────────────────────────────────────────

export interface ImportKinds {
  maxBytes: number;
  crs: string[];
  encodings: string[];
  kinds: { kind: string; zh: string; formats: string[]; fields: { key: string; zh: string; en: string; required: boolean }[] }[];
}

export interface ImportProblem {
  row?: number | null;
  column?: string | null;
  field?: string;
  value?: unknown;
  en: string;
  zh: string;
}

export interface ImportReport {
  kind: string;
  mode: 'validate' | 'commit';
  committed: boolean;
  file: { name: string; bytes: number; format: string; encoding: string | null; sheet: string | null };
  crs: string;
  rows: number;
  counts: { created: number; updated: number; unchanged: number; deleted: number; skipped: number };
  columns: { mapped: { header: string; field: string }[]; ignored: string[] };
  warnings: { code: string; en: string; zh: string; rows?: number[]; count?: number }[];
  dataVersion: number | null;
  durationMs: number;
}

// ── scenarios ───────────────────────────────────────────────────────────────

export type ChangeKind = 'add_facility' | 'close_facility' | 'move_facility' | 'update_facility' | 'merge_facilities' | 'set_unit_population';

export interface ScenarioChange {
  id: number;
  scenarioId: number;
  position: number;
  inherited: boolean;
  kind: ChangeKind;
  change: Record<string, unknown>;
  summary: Bilingual;
  conflict: { field: string; en: string; zh: string }[] | null;
  createdBy: string | null;
  createdAt: string;
}

export interface ScenarioSummary {
  id: number;
  name: string;
  description: string | null;
  owner: string | null;
  basedOnId: number | null;
  version: number;
  updatedAt: string;
  changes: number;
}

export interface Scenario {
  id: number;
  name: string;
  description: string | null;
  owner: string | null;
  basedOnId: number | null;
  version: number;
  access: 'owner' | 'edit' | 'read';
  basedOn: { id: number; name: string; version: number }[];
  changes: ScenarioChange[];
  conflicts: number;
  dataVersion: number;
}

export interface RuleSide {
  status: RuleStatus | null;
  measured: number | null;
  measuredText: Bilingual | null;
  shortfall: number | null;
  shortfallText: Bilingual | null;
}

export interface RuleChange {
  ruleId: string;
  title: Bilingual;
  force: Force;
  indicative: boolean;
  unit: { code: string; name: string; level: Level };
  direction: 'newly_failing' | 'fixed' | 'status' | 'value';
  before: RuleSide;
  after: RuleSide;
}

export interface AccessFiguresDiff {
  losing: number;
  losingToGap: number;
  gaining: number;
  longer: number;
  shorter: number;
  over5: number;
  over15: number;
  over30: number;
  noFacility: number;
  addedPersonMinutes: number;
  savedPersonMinutes: number;
}

export interface FacilitySide {
  status: string;
  type: string;
  unitCode: string;
  lon: number;
  lat: number;
  beds: number | null;
  staff: number | null;
  departments: string[];
  mergedIntoId: number | null;
}

export interface FacilityChange {
  id: number;
  code: string;
  name: string;
  what: 'added' | 'closed' | 'merged_away' | 'moved' | 'updated' | 'reopened' | 'removed';
  before: FacilitySide | null;
  after: FacilitySide | null;
}

export interface ScenarioDiff {
  scenario: { id: number; version: number; name: string } | null;
  against: { id: number; version: number; name: string } | null;
  ruleSet: { id: number; version: number; name: string; targetYear: number };
  dataVersion: number;
  synthetic: boolean;
  scope: UnitRef;
  summary: Bilingual;
  rules: {
    newlyFailing: number;
    fixed: number;
    otherStatusChanges: number;
    valueChanges: number;
    byForce: Record<string, { newlyFailing: number; fixed: number }>;
    changes: RuleChange[];
  };
  access: { class: ClassRef; coveredBefore: number; coveredAfter: number; population: number; totals: AccessFiguresDiff; units: ({ unit: UnitRef } & AccessFiguresDiff)[] }[];
  facilities: FacilityChange[];
  changes: ScenarioChange[];
  truncated: boolean;
  evaluation: { scenario: { totalMs: number; unitsReevaluated: number; cellsChanged: number } };
}

export interface MergeCandidate {
  key: string;
  rank: number;
  reason: 'joint_clinic' | 'small_catchment';
  reasonText: Bilingual;
  facility: { id: number; code: string; name: string; type: string; unitCode: string; unitName: string | null; catchment: number | null };
  partner: { id: number; code: string; name: string; type: string; unitCode: string; unitName: string | null; distanceM: number };
  village: { code: string; name: string; population: number } | null;
  change: { kind: 'merge_facilities'; facilityIds: number[]; survivorId: number };
  effect: {
    class: string;
    newlyFailing: number;
    fixed: number;
    newlyFailingRules: { ruleId: string; unitName: string; title: Bilingual; shortfall: Bilingual | null }[];
    access: AccessFiguresDiff;
    losingAnyClass: number;
  } | null;
  problem: Bilingual | null;
}

export interface MergeAdvice {
  scope: UnitRef;
  ranking: Bilingual;
  numberMatched: number;
  candidates: MergeCandidate[];
  thresholds: { jointBelowPopulation: number; adjacencyMode: string; adjacencyMetres: number; smallCatchmentPopulation: number };
  evaluatedMs: number;
  synthetic: boolean;
}
