/**
 * The rule engine's vocabulary: rules as data (a catalogue entry is a typed
 * object, not code), the facts an evaluator returns, and the result shape every
 * consumer (API, map, scenario diff, printed reports) reads.
 *
 * Rule kinds are open: a module may register a new kind (see registry.ts), so
 * `RuleDefinition.kind` is a string and `spec` is whatever that kind's
 * evaluator understands. The built-in kinds narrow `spec` through their own types.
 */
import type { Department, FacilityType, Grade, Level, Ownership, StaffField } from '../domain/taxonomy.ts';

export interface Bilingual {
  zh: string;
  en: string;
}

/**
 * How binding the text is (PRODUCT.md §2): must = 均/至少/每个/所有; target = a
 * numeric goal (达到/保持); should = 原则上 / 加强 (guideline); may = 可 (permission,
 * an opportunity rather than a gap); strive = 力争/努力实现.
 */
export const FORCES = ['must', 'target', 'should', 'strive', 'may'] as const;
export type Force = (typeof FORCES)[number];
export const FORCE_LABELS: Record<Force, Bilingual> = {
  must: { zh: '必须', en: 'must' },
  target: { zh: '目标', en: 'target' },
  should: { zh: '原则上/应当', en: 'should' },
  strive: { zh: '力争', en: 'strive' },
  may: { zh: '可', en: 'may' },
};
/** Severity order for "worst failures first": lower is worse. */
export const FORCE_RANK: Record<Force, number> = { must: 0, target: 1, should: 2, strive: 3, may: 4 };

export const STATUSES = ['fail', 'unknown', 'pass', 'not_applicable'] as const;
export type Status = (typeof STATUSES)[number];
export const STATUS_LABELS: Record<Status, Bilingual> = {
  pass: { zh: '达标', en: 'pass' },
  fail: { zh: '不达标', en: 'fail' },
  not_applicable: { zh: '不适用', en: 'not applicable' },
  unknown: { zh: '数据缺失', en: 'unknown (data missing)' },
};
export const STATUS_RANK: Record<Status, number> = { fail: 0, unknown: 1, pass: 2, not_applicable: 3 };

export const TARGET_YEARS = [2025, 2030] as const;
export type TargetYear = (typeof TARGET_YEARS)[number];

/** Policy documents the catalogue cites (copies in server/rules/sources/). */
export type SourceFile =
  | '000_7de451bffa4866dc.txt'
  | '001_3f3f1bf1cb9d4b37.txt'
  | '002_bbee473a6d319f37.txt'
  | '003_ea3fa2f3d5dcf77a.txt'
  | '004_e8ec4b8c7e8c66c9.txt';

export interface Citation {
  file: SourceFile;
  /** 1-based, inclusive line range in the source file. */
  lines: readonly [number, number];
  /** Exact words of the source (PDF line breaks removed, nothing else changed). */
  quote: string;
}

/**
 * A filter over facilities, compiled to SQL with bound values (sql.ts). All
 * conditions must hold; `anyOf` adds "one of these sub-filters". Unknown
 * attributes (NULL grade, NULL run-by level, NULL deliveries) make the filter
 * UNKNOWN rather than false, so an evaluator can tell "none" from "cannot tell".
 */
export interface FacilityFilter {
  types?: readonly FacilityType[];
  ownership?: Ownership;
  runBy?: readonly Level[];
  /** At least one of these departments. */
  departmentsAny?: readonly Department[];
  /** All of these departments. */
  departmentsAll?: readonly Department[];
  /** Numeric grade level at least (二级以上 = 2); NULL grade is unknown. */
  gradeMin?: number;
  /** One of these exact grades; NULL grade is unknown. */
  grades?: readonly Grade[];
  providesDeliveries?: boolean;
  central?: boolean;
  hasTcmHall?: boolean;
  anyOf?: readonly FacilityFilter[];
}

/** Σ of staff/bed columns of one facility: NULL only when every column is NULL. */
export type AmountColumn = StaffField | 'beds' | 'beds_paediatric' | 'tcm_technique_categories' | 'tcm_techniques';

/** A requirement on one facility; all listed conditions must hold. */
export interface FacilityRequirement {
  departmentsAll?: readonly Department[];
  departmentsAny?: readonly Department[];
  hasTcmHall?: boolean;
  /** Every entry must hold. */
  minimums?: readonly { columns: readonly AmountColumn[]; min: number }[];
  /** At least one entry must hold (e.g. ≥ 1 licensed doctor OR ≥ 1 GP). */
  anyMinimum?: readonly { columns: readonly AmountColumn[]; min: number }[];
  /** Shortfall wording when a facility fails, e.g. { zh: '未设新生儿科', en: 'no neonatology department' }. */
  missing: Bilingual;
}

/** Unit predicates a rule can restrict itself to. */
export interface UnitCondition {
  /** Applicability by resident population, e.g. { op: '>', value: 300000 } for 超过30万. */
  population?: { op: '>' | '>=' | '<' | '<='; value: number };
  /** Township-level rules: only streets (街道) or only non-street townships. */
  street?: 'only' | 'exclude';
  /**
   * Banner-level rules: does the text name urban districts (区)? 旗县（市、区） = true,
   * 旗县（市） = false. The rule set's districtsCountAsBanners parameter decides what
   * happens to districts when the text leaves them out.
   */
  districtsNamed?: boolean;
}

/** A rule applies everywhere in the region, or only inside one unit (e.g. Aohan Banner's own plan). */
export interface Jurisdiction {
  level: Level;
  code: string;
  name: Bilingual;
}

export interface TargetByYear {
  year: TargetYear;
  /** Inclusive lower bound (达到 / 以上 / 不低于). */
  min?: number;
  /** Inclusive upper bound of a band (1—1.5 名). */
  max?: number;
  /** Index into `citations` of the text that sets this target, when not the first. */
  citation?: number;
  /** How the number was derived when the text gives a relative target. */
  derivation?: Bilingual;
}

export interface RuleBase {
  id: string;
  title: Bilingual;
  kind: string;
  /** Levels at which the rule produces a (rule, unit) row. */
  levels: readonly Level[];
  /** Level at which the text sets the target; rows below it are "indicative". */
  targetLevel: Level;
  jurisdiction?: Jurisdiction;
  applicability: Bilingual;
  requirement: Bilingual;
  /**
   * Due years and numeric targets. A rule set evaluates a rule with the target of
   * the latest year ≤ its target year; a rule with only later targets is not evaluated.
   */
  targets: readonly TargetByYear[];
  force: Force;
  citations: readonly Citation[];
  /** How the engine reads the text where it is not literal (always shown with results). */
  interpretation?: Bilingual;
  /** Another rule shown beside this one (e.g. Aohan's own target beside the region's). */
  comparesWith?: string;
  /** Categories for filtering in the UI. */
  topic: RuleTopic;
}

export const RULE_TOPICS = ['mental_health', 'maternal_child', 'tcm', 'hospital_services', 'public_health', 'primary_care', 'staffing', 'capacity'] as const;
export type RuleTopic = (typeof RULE_TOPICS)[number];
export const RULE_TOPIC_LABELS: Record<RuleTopic, Bilingual> = {
  mental_health: { zh: '精神卫生', en: 'Mental health' },
  maternal_child: { zh: '妇幼与儿科', en: 'Maternal & child health' },
  tcm: { zh: '中医药（蒙医药）', en: 'TCM / Mongolian medicine' },
  hospital_services: { zh: '医院专科', en: 'Hospital services' },
  public_health: { zh: '公共卫生', en: 'Public health' },
  primary_care: { zh: '基层网络', en: 'Primary-care network' },
  staffing: { zh: '人员配备', en: 'Staffing' },
  capacity: { zh: '资源配置（千人指标）', en: 'Capacity ratios' },
};

export interface RuleDefinition<K extends string = string, S = unknown> extends RuleBase {
  kind: K;
  spec: S;
}

// ── Built-in kinds and their specs ──────────────────────────────────────────

/** ≥ n matching facilities in the unit, where the unit satisfies a condition (or always). */
export interface PresenceSpec {
  filter: FacilityFilter;
  /** Human wording of what is counted: "设有病房精神科的公立医院". */
  counted: Bilingual;
  min: number;
  unit?: UnitCondition;
  /** A second-best facility the text allows (可): pass, noted as the fallback. */
  fallback?: { filter: FacilityFilter; counted: Bilingual };
  /** Facilities that also count when a boolean rule-set parameter is on (an interpretation the user controls). */
  paramAlternative?: { param: 'psychWardCountsAsClinic'; filter: FacilityFilter };
}

/** Every matching facility meets a requirement; the result lists those that do not. */
export interface FacilityRequirementSpec {
  appliesTo: FacilityFilter;
  /** "二级以上开展助产服务的综合医院" */
  counted: Bilingual;
  requirement: FacilityRequirement;
}

/** At least `percent` % of matching facilities meet a requirement. */
export interface ShareSpec {
  appliesTo: FacilityFilter;
  counted: Bilingual;
  requirement: FacilityRequirement;
  /** What meeting it means, for the shortfall: { zh: '设置老年医学科', en: 'have a geriatrics department' }. */
  goal: Bilingual;
  /** Share of facilities (0–100), inclusive (…以上 / 达到). */
  percent: number;
}

export type Denominator =
  | { kind: 'population'; per: 1000 | 10000 }
  | { kind: 'children'; per: 1000 }
  | {
      kind: 'facility_sum';
      filter: FacilityFilter;
      columns: readonly AmountColumn[];
      per: 100;
      /** The counted staff are part of the denominator too (TCM doctors among all doctors). */
      numeratorIncluded: boolean;
      label: Bilingual;
    };

/** Σ amount over matching facilities ÷ denominator × per, against a minimum and/or maximum. */
export interface RatioSpec {
  filter: FacilityFilter;
  columns: readonly AmountColumn[];
  denominator: Denominator;
  /** Natural unit of the numerator: 张 / 人 / 名. */
  amountUnit: Bilingual;
  /** What the numerator counts: "床位", "执业（助理）医师". */
  amountLabel: Bilingual;
  /** "张/千人", "人/万人", "%" */
  valueUnit: Bilingual;
  /** For facility_sum denominators: list the facilities below the target on their own. */
  listFacilitiesBelow?: boolean;
}

/** Every administrative village has its own clinic or is served by a joint clinic (002:25). */
export interface VillageClinicSpec {
  /** 不足500人: a village is eligible to share a clinic only when population < this. */
  jointBelowPopulation: number;
}

export type BuiltInRule =
  | RuleDefinition<'presence_by_population', PresenceSpec>
  | RuleDefinition<'presence_per_unit', PresenceSpec>
  | RuleDefinition<'facility_requirement', FacilityRequirementSpec>
  | RuleDefinition<'share_of_facilities', ShareSpec>
  | RuleDefinition<'ratio_per_population', RatioSpec>
  | RuleDefinition<'village_clinic_coverage', VillageClinicSpec>;

// ── Results ────────────────────────────────────────────────────────────────

export interface UnitRef {
  code: string;
  name: string;
  level: Level;
}

/** A result's unit with its ancestors (for roll-ups and map joins). */
export interface ResultUnit extends UnitRef {
  leagueCode: string | null;
  bannerCode: string | null;
  townshipCode: string | null;
}

export interface ItemRef {
  /** Facility id (number) or village code. */
  id: number | string;
  code: string;
  name: string;
  /** Why it is listed: 'counted', 'fails', 'unknown', 'own_clinic', 'partner_clinic', 'missing_data', 'below_target'… */
  role: string;
  /** Optional figure (distance in metres, individual share …). */
  value?: number | null;
}

export interface CappedList {
  /** Total number, even when `items` is capped. */
  count: number;
  items: ItemRef[];
}

export interface Shortfall {
  /** In natural units: beds, facilities, doctors, percentage points … */
  value: number;
  unit: Bilingual;
  /** "缺 1 所设有病房的精神科的公立医院" / "short of 1 public hospital with a psychiatric ward". */
  text: Bilingual;
}

export interface ResultTarget {
  year: TargetYear;
  min: number | null;
  max: number | null;
  text: Bilingual;
}

/** One (rule, unit) row: complete and stable (API, map, scenario diff, reports). */
export interface RuleResult {
  ruleId: string;
  kind: string;
  title: Bilingual;
  topic: RuleTopic;
  unit: ResultUnit;
  status: Status;
  force: Force;
  /** How bad a failure is, 0–1 (relative gap to the target; 1 for a missing facility); 0 unless failing. */
  severity: number;
  /** True when the target is set for a higher level (region) and is shown here for orientation. */
  indicative: boolean;
  jurisdiction: Jurisdiction | null;
  measured: { value: number | null; unit: Bilingual; text: Bilingual };
  target: ResultTarget | null;
  shortfall: Shortfall | null;
  /** What the engine noticed (served by a joint clinic, fallback used, data missing …). */
  notes: Bilingual[];
  /** Figures behind the measured value (population, counts, sums). */
  facts: Record<string, number | string | boolean | null>;
  facilities: CappedList;
  villages: CappedList;
  citations: readonly Citation[];
  interpretation: Bilingual | null;
  comparesWith: string | null;
  ruleSet: { id: number; version: number };
  versions: { engine: string; data: number; scenario: { id: number; version: number } | null };
}

export interface StatusCounts {
  pass: number;
  fail: number;
  not_applicable: number;
  unknown: number;
}

export interface Rollup {
  unit: UnitRef;
  total: number;
  byStatus: StatusCounts;
  byForce: Record<Force, StatusCounts>;
  /** Failures in the subtree, worst first (force, then relative shortfall), capped. */
  worst: { ruleId: string; unitCode: string; unitName: string; force: Force; title: Bilingual; shortfall: Bilingual | null }[];
}
