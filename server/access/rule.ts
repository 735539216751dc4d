/**
 * The access rule kind and the 15-minute basic medical service circle (003:31)
 * in the rule catalogue. Registered through the rule engine's extension point
 * (server/rules/extensions.ts); the figures come from the access engine, so a
 * rule row and the access API always agree.
 *
 * The text sets the circle for 2030 as 「基本形成」 with no travel mode, speed,
 * facility set or share: all of them are rule-set parameters (params.access),
 * named in every row's notes and facts.
 */
import { LEVEL_COUNT, LEVEL_INDEX } from './inputs.ts';
import { accessResult } from './service.ts';
import { circleRow, circleVillages, travelText, within } from './views.ts';
import { registerEvaluator, registerRules, type EvaluatedRow, type RuleEvaluator } from '../rules/registry.ts';
import type { ItemRef, RuleDefinition } from '../rules/types.ts';
import { CIRCLE_CITATIONS, CIRCLE_RULE_ID } from './circle.ts';

/** The access kind measures one thing per unit for now: the circle. */
export interface AccessRuleSpec {
  measure: 'circle';
}

const pct = (v: number) => Math.round(v * 1000) / 10;

export const accessEvaluator: RuleEvaluator<AccessRuleSpec> = {
  kind: 'access',
  label: { zh: '可达性：一定行程时间内可达的人口比例', en: 'Access: share of residents within a travel time of care' },
  description: {
    zh: '由可达性引擎计算：人口网格每个网格到最近机构的大地线距离 × 绕行系数 ÷ 速度，按单元汇总人口比例。出行方式、速度、机构范围和目标比例均为规则集参数。',
    en: 'Computed by the access engine: each population cell’s geodesic distance to the nearest facility × detour factor ÷ speed, summed per unit. Mode, speeds, facility set and target share are rule-set parameters.',
  },
  validate(rule) {
    if (rule.spec.measure !== 'circle') throw new Error(`rule ${rule.id}: unknown access measure ${String(rule.spec.measure)}`);
  },
  async evaluate(input) {
    const params = input.params.access;
    const result = await accessResult(input.ctx.db, params, input.ctx);
    const { units } = result;
    const root = units.index.get(input.scope.root.code);
    if (root === undefined) return [];
    const only = input.scope.units ? new Set(input.scope.units) : null;
    const travel = travelText(params);
    const target = input.target;
    const rows: EvaluatedRow[] = [];
    for (let u = 0; u < units.count; u++) {
      if (!input.levels.includes(units.levels[u]!) || !within(result, u, root)) continue;
      if (only && !only.has(units.codes[u]!)) continue;
      const c = circleRow(result, u);
      const anc = (level: keyof typeof LEVEL_INDEX) => {
        const a = units.ancestors[u * LEVEL_COUNT + LEVEL_INDEX[level]]!;
        return a >= 0 ? units.codes[a]! : null;
      };
      const notes = [
        { zh: `出行假设：${travel.zh}。`, en: `Travel assumptions: ${travel.en}.` },
        {
          zh: `目标比例 ${pct(params.circleTargetShare)}% 为规则集参数（原文“基本形成”未给出比例）。`,
          en: `The target share ${pct(params.circleTargetShare)} % is a rule-set parameter (the text's 基本形成 gives no figure).`,
        },
      ];
      if (c.mobile > 0) {
        notes.push({
          zh: `${c.mobile} 人在流动服务地区（“小药箱”、流动医疗服务车），单列为流动服务覆盖，不计入分母。`,
          en: `${c.mobile} people live in mobile-service areas (medicine kits, mobile vehicles): reported as served by mobile services, left out of the denominator.`,
        });
      }
      const villages = circleVillages(result, u);
      const items: ItemRef[] = villages.slice(0, 25).map((v) => ({ id: v.code, code: v.code, name: v.name, role: 'out_of_reach', value: v.gap }));
      rows.push({
        unit: { code: units.codes[u]!, name: units.names[u]!, level: units.levels[u]!, leagueCode: anc('league'), bannerCode: anc('banner'), townshipCode: anc('township') },
        status: c.status,
        ...(c.status === 'fail' && c.share !== null ? { severity: (params.circleTargetShare - c.share) / params.circleTargetShare } : {}),
        measured: {
          value: c.share === null ? null : pct(c.share),
          unit: { zh: '%', en: '%' },
          text: c.reason,
        },
        target: {
          year: target.year,
          min: pct(params.circleTargetShare),
          max: null,
          text: {
            zh: `≥ ${pct(params.circleTargetShare)}% 的常住人口在 ${params.circleMinutes} 分钟内可达（${target.year}年；比例为假设）`,
            en: `≥ ${pct(params.circleTargetShare)} % of residents within ${params.circleMinutes} min (${target.year}; the share is an assumption)`,
          },
        },
        shortfall:
          c.status === 'fail' && c.shortfallPeople !== null
            ? {
                value: c.shortfallPeople,
                unit: { zh: '人', en: 'people' },
                text: {
                  zh: `还需 ${c.shortfallPeople} 人进入 ${params.circleMinutes} 分钟服务圈`,
                  en: `${c.shortfallPeople} more people need to be within ${params.circleMinutes} min`,
                },
              }
            : null,
        notes,
        facts: {
          population: c.population,
          within: c.within,
          mobile: c.mobile,
          gap: c.gap,
          share: c.share,
          targetShare: params.circleTargetShare,
          minutes: params.circleMinutes,
          facilityClass: params.circleClass,
          urbanMode: params.urbanMode,
          urbanSpeedKmh: params.urbanSpeedKmh,
          ruralMode: params.ruralMode,
          ruralSpeedKmh: params.ruralSpeedKmh,
          detourFactor: params.detourFactor,
          method: result.model.method,
          mobileService: params.mobileService,
        },
        facilities: { count: 0, items: [] },
        villages: { count: villages.length, items },
      });
    }
    return rows;
  },
};

export const CIRCLE_RULE: RuleDefinition<'access', AccessRuleSpec> = {
  id: CIRCLE_RULE_ID,
  kind: 'access',
  title: { zh: '15分钟基本医疗卫生服务圈', en: '15-minute basic medical and health service circle' },
  levels: ['banner', 'township'],
  targetLevel: 'banner',
  applicability: {
    zh: '每个旗县、苏木乡镇（按人口网格计算；全部人口在流动服务地区的单元不适用）',
    en: 'Every banner and township (computed from the population grid; units entirely in mobile-service areas are not applicable)',
  },
  requirement: {
    zh: '常住人口中在 15 分钟内可达基本医疗卫生服务的比例达到目标比例',
    en: 'The share of residents within 15 minutes of basic medical care reaches the target share',
  },
  targets: [{ year: 2030 }],
  force: 'target',
  citations: CIRCLE_CITATIONS,
  interpretation: {
    zh: '原文只规定 2030 年“15分钟基本医疗卫生服务圈基本形成”，未给出出行方式、速度、机构范围和人口比例：这些均为规则集参数（params.access），随结果列出。按旗县评价，苏木乡镇的结果供参考。流动服务地区单列，不计为空白。',
    en: 'The text only says the 15-minute circle is "basically formed" by 2030; it gives no travel mode, speed, facility set or share: all are rule-set parameters (params.access), listed with the results. Assessed per banner; township rows are indicative. Mobile-service areas are reported apart, not as gaps.',
  },
  topic: 'primary_care',
  spec: { measure: 'circle' },
};

registerEvaluator(accessEvaluator);
registerRules([CIRCLE_RULE as RuleDefinition]);
