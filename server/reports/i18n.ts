/**
 * The report's own wording (section titles, column headers, fixed sentences),
 * Chinese first with English. Everything measured comes from the engines'
 * results, already worded bilingually there.
 */
import type { Bilingual } from '../rules/types.ts';

export type Lang = 'zh' | 'en';
export const LANGS = ['zh', 'en'] as const;

export function tr(text: Bilingual, lang: Lang): string {
  return lang === 'en' ? text.en : text.zh;
}

export const bi = (zh: string, en: string): Bilingual => ({ zh, en });

export const REPORT_TITLE = bi('卫生资源配置缺口分析报告', 'Health facility gap report');

export const SECTIONS = {
  summary: bi('一、概况', '1. Summary'),
  map: bi('二、地图：机构、服务空白区与时限外人口', '2. Map: facilities, gap areas and people out of reach'),
  rules: bi('三、规则核查清单', '3. Rule checklist'),
  access: bi('四、可达性', '4. Access'),
  clinics: bi('五、嘎查村卫生室与撤并建议', '5. Village clinics and merge candidates'),
  scenario: bi('六、情景与现状对比', '6. Scenario against the baseline'),
  appendix: bi('附录：假设、定义与数据来源', 'Appendix: assumptions, definitions and data sources'),
} as const;

/** Force groups of the checklist: hard failures, missed targets, guidelines, opportunities (PRODUCT.md §2). */
export const FORCE_GROUP_TITLES = {
  must: bi('约束性要求（必须：均/至少/每个）', 'Binding requirements (must)'),
  target: bi('目标指标（达到/保持）', 'Targets'),
  should: bi('原则性要求与力争目标（原则上/应当/力争）', 'Guidelines and aspirations (should, strive)'),
  may: bi('可选事项（可：机会而非缺口）', 'Permissions (may): opportunities, not gaps'),
} as const;

export const FORCE_GROUP_NOTES = {
  must: bi('不达标即为硬性缺口。', 'A failure here is a hard gap.'),
  target: bi('规划期末应达到的数量目标；未达到为目标缺口。', 'Numeric goals for the end of the plan period; a failure is a missed target.'),
  should: bi('指导性要求，未达到时需说明理由。', 'Guidance; a failure needs an explanation rather than a fix by law.'),
  may: bi('文件允许的做法；列出以便利用，不计为缺口。', 'What the texts permit; listed as options, not counted as gaps.'),
} as const;

export const WORDS = {
  unit: bi('单位', 'Unit'),
  code: bi('代码', 'Code'),
  level: bi('层级', 'Level'),
  population: bi('常住人口', 'Residents'),
  people: bi('人', 'people'),
  date: bi('报告日期', 'Date'),
  ruleSet: bi('规则集', 'Rule set'),
  targetYear: bi('目标年份', 'Target year'),
  scenario: bi('情景', 'Scenario'),
  baseline: bi('现状（未叠加情景）', 'Baseline (no scenario)'),
  dataVersion: bi('数据版本', 'Data version'),
  engine: bi('引擎版本', 'Engine'),
  status: bi('状态', 'Status'),
  force: bi('约束力', 'Force'),
  measured: bi('实测', 'Measured'),
  target: bi('目标', 'Target'),
  shortfall: bi('缺口', 'Shortfall'),
  rule: bi('规则', 'Rule'),
  citation: bi('依据', 'Source'),
  notes: bi('说明', 'Notes'),
  indicative: bi('参考（上级指标）', 'indicative (higher-level target)'),
  none: bi('无', 'none'),
  yes: bi('是', 'yes'),
  no: bi('否', 'no'),
  synthetic: bi('合成数据', 'synthetic'),
  real: bi('真实数据', 'real'),
  contents: bi('目录', 'Contents'),
  page: bi('第 {page} 页 / 共 {pages} 页', 'Page {page} of {pages}'),
  rowsShown: bi('仅列出前 {shown} 行（共 {total} 行）；完整列表见 Excel 附表“{sheet}”。', 'First {shown} of {total} rows; the full list is in the Excel sheet “{sheet}”.'),
  empty: bi('（无）', '(none)'),
} as const;

export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? `{${k}}`));
}
