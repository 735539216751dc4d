/**
 * Rule-set parameters: the assumptions the texts leave open, each a named,
 * visible parameter with a default and a description (printed with every
 * evaluation). Stored in `rule_set.params` as `{ rules: {...}, access: {...} }`:
 * this module owns `rules`; the access engine owns `access` (server/access/params.ts,
 * whose schema and defaults are composed in here). Both are merged shallowly:
 * a patch replaces whole top-level values.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { Bilingual } from './types.ts';
import { describeValidationError } from '../plugins/errors.ts';
import { ACCESS_DEFAULTS, AccessParamsSchema, resolveAccessParams, type ParamProblem } from '../access/params.ts';

export const RuleParamsSchema = Type.Object(
  {
    populationBasis: Type.Enum(['resident'], {
      default: 'resident',
      description:
        'Population behind every per-capita rule: resident population 常住人口 (the texts say 常住人口 where they say anything; registered 户籍 population is not in the data model).',
    }),
    childrenAgeBand: Type.Enum(['0-14'], {
      default: '0-14',
      description: 'Age band of "children" for 每千儿童床位 (undefined in 000/001): the census 0–14 group.',
    }),
    childrenScale: Type.Number({
      minimum: 0.5,
      maximum: 2,
      default: 1,
      description: 'Multiplier on the 0–14 count to approximate another band (e.g. 18/15 = 1.2 for 0–17). 1 = the census 0–14 group as is.',
    }),
    adjacencyMode: Type.Enum(['listed_or_distance', 'listed_only', 'distance_only'], {
      default: 'listed_or_distance',
      description:
        'What makes a small village "地域临近" to a partner clinic (002:25 does not define it): listed in the clinic’s villages_served, within adjacencyMetres, or either.',
    }),
    adjacencyMetres: Type.Integer({
      minimum: 100,
      maximum: 50_000,
      default: 3000,
      description: 'Distance (geodesic metres, village point to clinic) within which a partner village clinic counts as adjacent. An assumption, not from the texts.',
    }),
    districtsCountAsBanners: Type.Enum(['as_text', 'always', 'never'], {
      default: 'as_text',
      description:
        'Urban districts (区) in banner-level rules: as_text = only where the text names them (旗县（市、区）), always, or never.',
    }),
    psychWardCountsAsClinic: Type.Boolean({
      default: true,
      description:
        'A banner-level public hospital with a psychiatric ward counts for the 精神心理门诊 rule (000:696-698) — a psychiatric department with beds also sees outpatients.',
    }),
    countPlannedFacilities: Type.Boolean({
      default: false,
      description: 'Count facilities with status "planned" as if open (to see what a plan would achieve). Default: open facilities only.',
    }),
  },
  { additionalProperties: false },
);
export type RuleParams = Static<typeof RuleParamsSchema>;

/** The access engine's parameters (server/access/params.ts owns them; composed here). */
export { AccessParamsSchema };

export const RuleSetParamsSchema = Type.Object(
  {
    rules: RuleParamsSchema,
    access: AccessParamsSchema,
  },
  { additionalProperties: false },
);
export type RuleSetParams = Static<typeof RuleSetParamsSchema>;

/**
 * A schema's properties, all optional and without their defaults: the request
 * validator fills defaults in (useDefaults), which would silently reset every
 * parameter a patch does not mention. Unknown keys are let through here (the
 * validator would strip them silently) and refused by patchParams with a 400
 * naming them, so a misspelt parameter is never ignored.
 */
function patchOf<T extends { properties: Record<string, object> }>(schema: T) {
  const properties = Object.fromEntries(
    Object.entries(schema.properties).map(([key, property]) => {
      const { default: _default, ...rest } = property as { default?: unknown };
      return [key, Type.Optional(rest as typeof property & TSchema)];
    }),
  );
  return Type.Object(properties);
}

/** Partial params as accepted on create/update (merged shallowly onto the current values). */
export const RuleSetParamsPatchSchema = Type.Object({
  rules: Type.Optional(patchOf(RuleParamsSchema)),
  access: Type.Optional(patchOf(AccessParamsSchema)),
});
export type RuleSetParamsPatch = { rules?: Partial<RuleParams>; access?: Partial<Static<typeof AccessParamsSchema>> };

export const RULE_PARAM_DEFAULTS: RuleParams = Value.Create(RuleParamsSchema) as RuleParams;

export const PARAM_LABELS: Record<keyof RuleParams, Bilingual> = {
  populationBasis: { zh: '人口口径：常住人口', en: 'Population basis: resident population' },
  childrenAgeBand: { zh: '儿童年龄段（每千儿童床位）', en: 'Children’s age band (children’s beds per 1,000)' },
  childrenScale: { zh: '儿童人口换算系数', en: 'Children population multiplier' },
  adjacencyMode: { zh: '“地域临近”判定方式（联办卫生室）', en: 'What counts as adjacent (joint village clinics)' },
  adjacencyMetres: { zh: '临近距离（米）', en: 'Adjacency distance (metres)' },
  districtsCountAsBanners: { zh: '市辖区是否按旗县计', en: 'Urban districts in banner rules' },
  psychWardCountsAsClinic: { zh: '设病房的精神科视同精神心理门诊', en: 'Psychiatric ward counts as psychiatry clinic' },
  countPlannedFacilities: { zh: '规划中机构视同运营', en: 'Count planned facilities as open' },
};

export const PARAM_DESCRIPTIONS_ZH: Record<keyof RuleParams, string> = {
  populationBasis: '所有千人/万人指标的分母为常住人口（文件凡有说明均为常住人口；数据中暂无户籍人口）。',
  childrenAgeBand: '“每千儿童床位”中的儿童年龄段文件未定义，采用普查 0–14 岁人口。',
  childrenScale: '对 0–14 岁人口乘以该系数以近似其他年龄段（如 0–17 岁取 18/15 = 1.2）；1 表示直接使用普查数。',
  adjacencyMode: '002:25 未定义“地域临近”：卫生室服务名单（villages_served）列有该村、在临近距离内，或两者之一。',
  adjacencyMetres: '村点到伙伴卫生室的直线（大地线）距离不超过该值视为临近。此为假设，文件未规定。',
  districtsCountAsBanners: '旗县级规则中的市辖区：as_text = 仅当原文写明“旗县（市、区）”时计入；always = 总是计入；never = 不计入。',
  psychWardCountsAsClinic: '设有病房精神科的旗县级公立医院视同设有精神心理门诊（000:696-698）。',
  countPlannedFacilities: '将“规划中”的机构视同运营（查看规划实施后的效果）。默认只计运营机构。',
};

export function defaultRuleSetParams(): RuleSetParams {
  return { rules: { ...RULE_PARAM_DEFAULTS }, access: structuredClone({ ...ACCESS_DEFAULTS }) };
}

/**
 * The effective params of a stored rule set: stored values over the current
 * defaults (so a parameter added later gets its default in older sets). Unknown
 * stored keys are dropped rather than failing an evaluation.
 */
export function effectiveParams(stored: unknown): RuleSetParams {
  const defaults = defaultRuleSetParams();
  const s = (stored && typeof stored === 'object' ? stored : {}) as { rules?: unknown; access?: unknown };
  const rules = { ...defaults.rules } as Record<string, unknown>;
  if (s.rules && typeof s.rules === 'object') {
    for (const [key, value] of Object.entries(s.rules)) {
      if (key in RuleParamsSchema.properties) rules[key] = value;
    }
  }
  const merged = { ...defaults.rules, ...rules };
  const checked = Value.Check(RuleParamsSchema, merged) ? (merged as RuleParams) : defaults.rules;
  return { rules: checked, access: resolveAccessParams(s.access).params };
}

/**
 * Apply a patch to effective params; returns the problems (bilingual, naming the
 * field) instead of throwing, so the caller can answer 400 and write nothing.
 */
export function patchParams(current: RuleSetParams, patch: RuleSetParamsPatch | undefined): { params: RuleSetParams; problems: ParamProblem[] } {
  if (!patch) return { params: current, problems: [] };
  const problems: ParamProblem[] = [];
  for (const key of Object.keys(patch)) {
    if (key !== 'rules' && key !== 'access') {
      problems.push({ field: key, en: `unknown parameter group '${key}' (expected rules or access)`, zh: `未知参数组“${key}”（应为 rules 或 access）` });
    }
  }
  const known = Object.keys(RuleParamsSchema.properties);
  for (const key of Object.keys(patch.rules ?? {})) {
    if (!known.includes(key)) {
      problems.push({ field: `rules.${key}`, en: `unknown parameter rules.${key}; known: ${known.join(', ')}`, zh: `未知参数 rules.${key}；可用参数：${known.join(', ')}` });
    }
  }
  const rules = { ...current.rules, ...(patch.rules ?? {}) } as RuleParams;
  for (const error of Value.Errors(RuleParamsSchema, rules)) {
    // Unknown keys are reported above, by name.
    if (error.keyword === 'additionalProperties' || error.keyword === 'boolean') continue;
    const detail = describeValidationError(
      { instancePath: `/params/rules${error.instancePath}`, keyword: error.keyword, params: error.params as Record<string, unknown>, message: error.message },
      'body',
    );
    problems.push({ field: `rules${error.instancePath.replace(/\//g, '.')}`, en: detail.en, zh: detail.zh });
  }
  const access = patch.access ? resolveAccessParams({ ...current.access, ...patch.access }) : { params: current.access, problems: [] };
  return { params: { rules, access: access.params }, problems: [...problems, ...access.problems] };
}

export interface Assumption {
  key: string;
  value: unknown;
  default: unknown;
  label: Bilingual;
  description: Bilingual;
}

/** The rule parameters as printed with every result. */
export function assumptionsOf(params: RuleSetParams): Assumption[] {
  return (Object.keys(RuleParamsSchema.properties) as (keyof RuleParams)[]).map((key) => ({
    key: `rules.${key}`,
    value: params.rules[key],
    default: RULE_PARAM_DEFAULTS[key],
    label: PARAM_LABELS[key],
    description: {
      zh: PARAM_DESCRIPTIONS_ZH[key],
      en: String((RuleParamsSchema.properties[key] as { description?: string }).description ?? ''),
    },
  }));
}
