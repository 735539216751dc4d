/**
 * The report's tables as plain rows, one language at a time: the XLSX has one
 * sheet per table, CSV is one table (`table=<key>`), and the HTML prints the
 * simple ones through the same definitions (the rule checklist and the cover
 * have layouts of their own in html.ts). Cells are the model's values: numbers
 * stay numbers (formatted by the writer), text is the engines' own wording.
 */
import { LEVEL_LABELS, FACILITY_TYPE_LABELS, type FacilityType } from '../domain/taxonomy.ts';
import { FORCE_LABELS, STATUS_LABELS, type Bilingual } from '../rules/types.ts';
import { bi, tr, WORDS, type Lang } from './i18n.ts';
import type { ReportModel, RuleRow } from './model.ts';
import { CHANGE_KIND_LABELS, type ChangeKind } from '../scenarios/changes.ts';

export type CellKind = 'text' | 'int' | 'num1' | 'num2' | 'pct' | 'minutes' | 'km';
export type Cell = string | number | null;

export interface Column {
  key: string;
  label: Bilingual;
  kind: CellKind;
  /** Spreadsheet column width (characters); the HTML uses it as a relative width. */
  width: number;
}

export interface ReportTable {
  key: TableKey;
  sheet: Bilingual;
  title: Bilingual;
  columns: Column[];
  rows: Cell[][];
  note?: Bilingual;
}

export const TABLE_KEYS = [
  'info',
  'facilities',
  'top_gaps',
  'rules',
  'rules_below',
  'failures_below',
  'access_classes',
  'access_units',
  'circle',
  'villages_out_of_reach',
  'villages_without_clinic',
  'merge_candidates',
  'scenario_changes',
  'scenario_rules',
  'scenario_access',
  'scenario_facilities',
  'assumptions',
  'documents',
  'data_layers',
  'rules_not_evaluated',
] as const;
export type TableKey = (typeof TABLE_KEYS)[number];

const c = (key: string, zh: string, en: string, kind: CellKind = 'text', width = 14): Column => ({ key, label: bi(zh, en), kind, width });

function citationCell(r: { citations: { file: string; lines: number[]; quote: string; draft: boolean }[] }, lang: Lang): string {
  return r.citations
    .map((x) => `${x.file}:${x.lines[0]}-${x.lines[1]}「${x.quote}」${x.draft ? (lang === 'en' ? ' (draft)' : '（征求意见稿）') : ''}`)
    .join('\n');
}

function ruleRowCells(r: RuleRow, lang: Lang): Cell[] {
  return [
    r.ruleId,
    tr(r.title, lang),
    r.unit.code,
    r.unit.name,
    tr(LEVEL_LABELS[r.unit.level], lang),
    tr(r.forceLabel, lang),
    tr(r.statusLabel, lang),
    r.indicative ? tr(WORDS.yes, lang) : '',
    r.measured.value,
    tr(r.measured.text, lang),
    r.target ? tr(r.target, lang) : '',
    r.shortfall?.value ?? null,
    r.shortfall ? tr(r.shortfall.unit, lang) : '',
    r.shortfall ? tr(r.shortfall.text, lang) : '',
    r.notes.map((n) => tr(n, lang)).join(lang === 'en' ? '; ' : '；'),
    citationCell(r, lang),
  ];
}

const RULE_COLUMNS: Column[] = [
  c('ruleId', '规则编号', 'Rule id', 'text', 26),
  c('title', '规则', 'Rule', 'text', 44),
  c('unitCode', '单位代码', 'Unit code', 'text', 14),
  c('unitName', '单位', 'Unit', 'text', 16),
  c('level', '层级', 'Level', 'text', 12),
  c('force', '约束力', 'Force', 'text', 10),
  c('status', '状态', 'Status', 'text', 10),
  c('indicative', '参考（上级指标）', 'Indicative', 'text', 8),
  c('measured', '实测值', 'Measured', 'num2', 10),
  c('measuredText', '实测说明', 'Measured (text)', 'text', 44),
  c('target', '目标', 'Target', 'text', 28),
  c('shortfall', '缺口值', 'Shortfall', 'num2', 10),
  c('shortfallUnit', '缺口单位', 'Unit of shortfall', 'text', 8),
  c('shortfallText', '缺口说明', 'Shortfall (text)', 'text', 40),
  c('notes', '备注', 'Notes', 'text', 40),
  c('citations', '依据（文件:行「原文」）', 'Source (file:lines “quote”)', 'text', 70),
];

const pct = (v: number | null | undefined) => (v === null || v === undefined ? null : v);

function facilityType(t: string, lang: Lang): string {
  const label = FACILITY_TYPE_LABELS[t as FacilityType];
  return label ? tr(label, lang) : t;
}

const STATUS_OF_FACILITY: Record<string, Bilingual> = {
  added: bi('新增', 'added'),
  closed: bi('关闭', 'closed'),
  merged_away: bi('并入他院', 'merged into another'),
  moved: bi('迁址', 'moved'),
  updated: bi('调整', 'changed'),
  reopened: bi('重新启用', 'reopened'),
  removed: bi('移除', 'removed'),
};

const DIRECTION: Record<string, Bilingual> = {
  newly_failing: bi('变为不达标', 'newly failing'),
  fixed: bi('变为达标', 'now passing'),
  status: bi('状态变化', 'status change'),
  value: bi('数值变化', 'value change'),
};

const COVERAGE: Record<string, Bilingual> = {
  joint: bi('由联办卫生室服务（002:25）', 'served by a joint clinic (002:25)'),
  none: bi('无卫生室', 'no clinic'),
  unknown: bi('无法判断（数据缺失）', 'cannot tell (data missing)'),
};

export function coverageLabel(coverage: string): Bilingual {
  return COVERAGE[coverage] ?? bi(coverage, coverage);
}

export function reportTables(m: ReportModel, lang: Lang): ReportTable[] {
  const t = (b: Bilingual) => tr(b, lang);
  const tables: ReportTable[] = [];
  const add = (table: ReportTable) => tables.push(table);

  add({
    key: 'info',
    sheet: bi('说明', 'About'),
    title: bi('报告说明', 'About this report'),
    columns: [c('item', '项目', 'Item', 'text', 24), c('value', '内容', 'Value', 'text', 90)],
    rows: [
      [t(bi('报告', 'Report')), t(bi('卫生资源配置缺口分析报告', 'Health facility gap report'))],
      [t(WORDS.unit), `${m.unit.name}（${m.unit.code}，${t(m.unit.levelLabel)}）`],
      [t(bi('上级单位', 'Part of')), m.unit.parents.map((p) => p.name).join(' › ')],
      [t(WORDS.date), m.generatedAt.slice(0, 10)],
      [t(WORDS.ruleSet), `${m.ruleSet.name}（id ${m.ruleSet.id}，v${m.ruleSet.version}）`],
      [t(WORDS.targetYear), m.ruleSet.targetYear],
      [t(WORDS.scenario), m.scenario ? `${m.scenario.name}（id ${m.scenario.id}，v${m.scenario.version}）` : t(WORDS.baseline)],
      [t(WORDS.dataVersion), m.dataVersion],
      [t(WORDS.engine), m.engineVersion],
      [t(bi('出行时间估算', 'Travel time estimate')), t(m.travel)],
      [
        t(bi('合成数据', 'Synthetic data')),
        m.synthetic
          ? t(bi('是：以下图层含生成（合成）数据，仅供方法演示，不代表实际情况——', 'yes: these layers hold generated (synthetic) data, for method demonstration only — ')) +
            m.layers.filter((l) => l.synthetic).map((l) => t(l.label)).join(lang === 'en' ? ', ' : '、')
          : t(WORDS.no),
      ],
    ],
  });

  add({
    key: 'facilities',
    sheet: bi('机构类型', 'Facilities'),
    title: bi('医疗卫生机构（按类型）', 'Health facilities by type'),
    columns: [c('type', '类型', 'Type', 'text', 34), c('counted', '运营中', 'Operating', 'int', 12), c('other', '规划、停业或关闭', 'Planned, suspended or closed', 'int', 16)],
    rows: [...m.summary.facilities.map((f) => [t(f.label), f.counted, f.other] as Cell[]), [t(bi('合计', 'Total')), m.summary.facilitiesCounted, m.summary.facilities.reduce((s, f) => s + f.other, 0)]],
    note: bi(`“运营中”为规则集计入的状态：${m.summary.countedStatuses.join('、')}。`, `“Operating” = the statuses the rule set counts: ${m.summary.countedStatuses.join(', ')}.`),
  });

  add({
    key: 'top_gaps',
    sheet: bi('最严重缺口', 'Top gaps'),
    title: bi('最严重的缺口', 'The most serious gaps'),
    columns: [c('n', '序号', 'No.', 'int', 6), c('sentence', '缺口', 'Gap', 'text', 100), c('ruleId', '规则编号', 'Rule id', 'text', 26), c('unit', '单位代码', 'Unit code', 'text', 14)],
    rows: m.summary.topGaps.map((g, i) => [i + 1, t(g.sentence), g.ruleId, g.unitCode]),
  });

  add({ key: 'rules', sheet: bi('规则清单', 'Rule checklist'), title: bi('规则核查清单（本单位及下级全部结果）', 'Rule checklist (every result in the unit and below)'), columns: RULE_COLUMNS, rows: m.checklist.all.map((r) => ruleRowCells(r, lang)) });

  add({
    key: 'rules_below',
    sheet: bi('下级规则汇总', 'Rules below'),
    title: bi('下级单位规则汇总', 'Rules at the units below'),
    columns: [
      c('ruleId', '规则编号', 'Rule id', 'text', 26),
      c('title', '规则', 'Rule', 'text', 44),
      c('force', '约束力', 'Force', 'text', 10),
      c('level', '层级', 'Level', 'text', 12),
      c('units', '单位数', 'Units', 'int', 8),
      c('fail', '不达标', 'Fail', 'int', 8),
      c('unknown', '数据缺失', 'Unknown', 'int', 8),
      c('pass', '达标', 'Pass', 'int', 8),
      c('na', '不适用', 'N/A', 'int', 8),
      c('citations', '依据', 'Source', 'text', 70),
    ],
    rows: m.checklist.below.map((b) => [b.ruleId, t(b.title), t(FORCE_LABELS[b.force]), t(LEVEL_LABELS[b.level]), b.total, b.counts.fail, b.counts.unknown, b.counts.pass, b.counts.not_applicable, citationCell(b, lang)]),
  });

  add({ key: 'failures_below', sheet: bi('下级不达标', 'Failures below'), title: bi('下级单位不达标及数据缺失明细', 'Failing and unknown results below the unit'), columns: RULE_COLUMNS, rows: m.checklist.failuresBelow.map((r) => ruleRowCells(r, lang)) });

  add({
    key: 'access_classes',
    sheet: bi('可达性', 'Access'),
    title: bi('各类机构可达性（本单位）', 'Access by facility class (the unit)'),
    columns: [
      c('class', '机构类别', 'Facility class', 'text', 26),
      c('limit', '时限', 'Limit', 'text', 20),
      c('population', '网格人口', 'People (grid)', 'int', 12),
      c('covered', '可达人口', 'Within reach', 'int', 12),
      c('share', '可达比例', 'Share within reach', 'pct', 10),
      c('gap', '空白人口', 'In gaps', 'int', 12),
      c('mobile', '流动服务人口', 'Mobile service', 'int', 12),
      c('mean', '平均时间（分钟）', 'Mean minutes', 'minutes', 10),
      c('p90', '90% 人口时间（分钟）', 'P90 minutes', 'minutes', 10),
      c('areas', '空白区（片）', 'Gap areas', 'int', 10),
    ],
    rows: m.access.classes.map((x) => [t(x.class.name), t(x.class.limitText), x.figures.population, x.figures.covered, pct(x.figures.shareCovered), x.figures.gap, x.figures.mobile, x.figures.meanMinutes, x.figures.p90Minutes, x.gapAreas]),
  });

  const classKeys = m.access.classes.map((x) => x.class);
  add({
    key: 'access_units',
    sheet: bi('分单位可达性', 'Access by unit'),
    title: bi(`各${m.access.childLevel ? LEVEL_LABELS[m.access.childLevel].zh : '下级单位'}可达人口比例`, `Share within reach per ${m.access.childLevel ? LEVEL_LABELS[m.access.childLevel].en.toLowerCase() : 'unit'}`),
    columns: [
      c('code', '代码', 'Code', 'text', 14),
      c('name', '名称', 'Name', 'text', 18),
      c('population', '网格人口', 'People (grid)', 'int', 11),
      ...classKeys.map((k) => c(k.key, k.name.zh, k.name.en, 'pct', 12)),
      c('circleGap', '15分钟圈外人口', 'Outside 15 min', 'int', 12),
    ],
    rows: m.access.children.map((ch) => [ch.unit.code, ch.unit.name, ch.population, ...classKeys.map((k) => pct(ch.classes[k.key]?.shareCovered)), ch.circle.gap]),
    note: bi('比例 = 时限内人口 ÷ 网格人口；时限见“可达性”表。', 'Share = people within the limit ÷ people in the grid; limits as in the access table.'),
  });

  add({
    key: 'circle',
    sheet: bi('15分钟服务圈', '15-minute circle'),
    title: bi('15 分钟基本医疗卫生服务圈（003:31）', '15-minute basic medical service circle (003:31)'),
    columns: [
      c('code', '代码', 'Code', 'text', 14),
      c('name', '名称', 'Name', 'text', 18),
      c('population', '网格人口', 'People', 'int', 11),
      c('within', '15分钟内', 'Within 15 min', 'int', 11),
      c('mobile', '流动服务', 'Mobile service', 'int', 10),
      c('gap', '圈外', 'Outside', 'int', 10),
      c('share', '比例', 'Share', 'pct', 9),
      c('status', '状态', 'Status', 'text', 10),
      c('shortfall', '尚差人数', 'People short', 'int', 10),
    ],
    rows: [m.summary.circle, ...m.access.children.map((ch) => ch.circle)].map((r) => [r.unit.code, r.unit.name, r.population, r.within, r.mobile, r.gap, pct(r.share), t(STATUS_LABELS[r.status]), r.shortfallPeople]),
    note: bi(`目标：${Math.round(m.access.circleTargetShare * 1000) / 10}% 的常住人口（不含流动服务地区）在 ${m.access.circleMinutes} 分钟内可达（假设，见附录）。第一行为本单位。`, `Target: ${Math.round(m.access.circleTargetShare * 1000) / 10}% of residents (outside mobile-service areas) within ${m.access.circleMinutes} min (an assumption, see the appendix). The first row is the unit itself.`),
  });

  add({
    key: 'villages_out_of_reach',
    sheet: bi('时限外村', 'Villages out of reach'),
    title: bi('时限外人口最多的嘎查村', 'Villages with the most people out of reach'),
    columns: [
      c('class', '机构类别', 'Facility class', 'text', 22),
      c('code', '代码', 'Code', 'text', 14),
      c('name', '嘎查村', 'Village', 'text', 18),
      c('township', '苏木乡镇', 'Township', 'text', 14),
      c('population', '网格人口', 'People', 'int', 10),
      c('gap', '时限外（空白）', 'Out of reach (gap)', 'int', 12),
      c('mobile', '流动服务', 'Mobile service', 'int', 10),
      c('share', '可达比例', 'Share within reach', 'pct', 10),
      c('p90', '90% 人口距离（千米）', 'P90 distance (km)', 'km', 12),
    ],
    rows: m.access.villagesOutOfReach.flatMap((x) =>
      x.villages.map((v) => [t(x.class.name), v.code, v.name, v.township, v.population, v.gap, v.mobile, pct(v.shareCovered), v.p90DistanceM === null ? null : v.p90DistanceM / 1000] as Cell[]),
    ),
  });

  add({
    key: 'villages_without_clinic',
    sheet: bi('无本村卫生室', 'Villages without clinic'),
    title: bi('没有本村卫生室的行政嘎查村', 'Administrative villages without a clinic of their own'),
    columns: [
      c('code', '代码', 'Code', 'text', 14),
      c('name', '嘎查村', 'Village', 'text', 18),
      c('township', '苏木乡镇', 'Township', 'text', 14),
      c('population', '常住人口', 'Residents', 'int', 10),
      c('coverage', '情况', 'Situation', 'text', 22),
      c('status', '状态', 'Status', 'text', 10),
      c('partner', '联办卫生室', 'Joint clinic', 'text', 24),
      c('partnerVillage', '联办村', 'Partner village', 'text', 16),
      c('distance', '距离（米）', 'Distance (m)', 'int', 10),
      c('note', '说明', 'Note', 'text', 60),
    ],
    rows: m.clinics.villages.map((v) => [v.code, v.name, v.township, v.population, t(coverageLabel(v.coverage)), t(STATUS_LABELS[v.status]), v.partnerClinic, v.partnerVillage, v.distanceM, v.note ? t(v.note) : '']),
  });

  add({
    key: 'merge_candidates',
    sheet: bi('撤并建议', 'Merge candidates'),
    title: bi('撤并（联办）候选', 'Merge candidates'),
    columns: [
      c('rank', '序号', 'No.', 'int', 6),
      c('reason', '类型', 'Reason', 'text', 14),
      c('facility', '拟并入的机构', 'Facility to merge', 'text', 26),
      c('facilityUnit', '所在单位', 'Its unit', 'text', 16),
      c('partner', '并入（保留）机构', 'Into (survivor)', 'text', 26),
      c('distance', '距离（米）', 'Distance (m)', 'int', 10),
      c('why', '依据与说明', 'Why', 'text', 60),
      c('newlyFailing', '新增不达标规则', 'Rules newly failing', 'int', 10),
      c('losing', '失去可达人口', 'People losing access', 'int', 10),
      c('added', '增加行程（人·分钟）', 'Added travel (person-min)', 'int', 12),
    ],
    rows: m.merges.candidates.map((x, i) => [
      m.merges.evaluated ? x.rank : i + 1,
      x.reason === 'joint_clinic' ? t(bi('联办卫生室', 'joint clinic')) : t(bi('服务人口过少', 'small catchment')),
      x.facility.name,
      x.facility.unitName,
      x.partner.name,
      x.partner.distanceM,
      t(x.reasonText),
      x.effect?.newlyFailing ?? null,
      x.effect?.access.losing ?? null,
      x.effect?.access.addedPersonMinutes ?? null,
    ]),
    note: m.merges.evaluated
      ? bi('每个候选均作为单项情景评估并排序：① 不产生新的不达标规则优先；② 失去可达的人口少者优先；③ 增加的总行程少者优先。', 'Each candidate evaluated as a one-change scenario and ranked: no rule newly failing first, then fewest people losing access, then least added travel.')
      : bi('候选按联办条件（002:25）和服务人口列出，未逐一评估影响；影响评估见“撤并建议”接口（/api/merge-advisor）或以 mergeEffects=true 生成报告。', 'Candidates listed by the joint-clinic condition (002:25) and catchment size, effects not evaluated; see /api/merge-advisor or make the report with mergeEffects=true.'),
  });

  if (m.scenario && m.diff) {
    const d = m.diff.diff;
    add({
      key: 'scenario_changes',
      sheet: bi('情景变更', 'Scenario changes'),
      title: bi('情景包含的变更', 'Changes in the scenario'),
      columns: [c('position', '序号', 'No.', 'int', 6), c('inherited', '继承', 'Inherited', 'text', 8), c('kind', '类型', 'Kind', 'text', 18), c('summary', '内容', 'Change', 'text', 70), c('conflict', '冲突（未计入）', 'Conflict (skipped)', 'text', 40)],
      rows: m.scenario.changes.map((ch) => [ch.position, ch.inherited ? t(WORDS.yes) : '', CHANGE_KIND_LABELS[ch.kind as ChangeKind] ? t(CHANGE_KIND_LABELS[ch.kind as ChangeKind]) : ch.kind, t(ch.summary), ch.conflict ? t(ch.conflict) : '']),
    });
    add({
      key: 'scenario_rules',
      sheet: bi('情景规则变化', 'Scenario rules'),
      title: bi('达标状态发生变化的规则', 'Rules that change status'),
      columns: [
        c('unitCode', '单位代码', 'Unit code', 'text', 14),
        c('unit', '单位', 'Unit', 'text', 16),
        c('ruleId', '规则编号', 'Rule id', 'text', 26),
        c('rule', '规则', 'Rule', 'text', 40),
        c('force', '约束力', 'Force', 'text', 10),
        c('direction', '变化', 'Change', 'text', 12),
        c('before', '现状', 'Baseline', 'text', 10),
        c('after', '情景', 'Scenario', 'text', 10),
        c('beforeMeasured', '现状实测', 'Baseline measured', 'text', 36),
        c('afterMeasured', '情景实测', 'Scenario measured', 'text', 36),
        c('afterShortfall', '情景缺口', 'Scenario shortfall', 'text', 36),
      ],
      rows: d.rules.changes.map((x) => [
        x.unit.code,
        x.unit.name,
        x.ruleId,
        t(x.title),
        t(FORCE_LABELS[x.force]),
        t(DIRECTION[x.direction] ?? bi(x.direction, x.direction)),
        x.before.status ? t(STATUS_LABELS[x.before.status]) : '—',
        x.after.status ? t(STATUS_LABELS[x.after.status]) : '—',
        x.before.measuredText ? t(x.before.measuredText) : '',
        x.after.measuredText ? t(x.after.measuredText) : '',
        x.after.shortfallText ? t(x.after.shortfallText) : '',
      ]),
    });
    add({
      key: 'scenario_access',
      sheet: bi('情景可达性', 'Scenario access'),
      title: bi('可达人口与行程时间的变化', 'Change in access and travel time'),
      columns: [
        c('class', '机构类别', 'Facility class', 'text', 24),
        c('coveredBefore', '现状可达', 'Covered (baseline)', 'int', 12),
        c('coveredAfter', '情景可达', 'Covered (scenario)', 'int', 12),
        c('losing', '失去可达', 'Losing access', 'int', 10),
        c('gaining', '新获可达', 'Gaining access', 'int', 10),
        c('longer', '行程变远', 'Longer trip', 'int', 10),
        c('over5', '增加 >5 分钟', '> 5 min more', 'int', 10),
        c('over15', '增加 >15 分钟', '> 15 min more', 'int', 10),
        c('over30', '增加 >30 分钟', '> 30 min more', 'int', 10),
        c('added', '增加（人·分钟）', 'Added (person-min)', 'int', 12),
        c('shorter', '行程缩短', 'Shorter trip', 'int', 10),
      ],
      rows: d.access.map((x) => [t(x.class.name), x.coveredBefore, x.coveredAfter, x.totals.losing, x.totals.gaining, x.totals.longer, x.totals.over5, x.totals.over15, x.totals.over30, x.totals.addedPersonMinutes, x.totals.shorter]),
    });
    add({
      key: 'scenario_facilities',
      sheet: bi('情景机构变化', 'Scenario facilities'),
      title: bi('涉及的机构', 'Facilities changed'),
      columns: [c('code', '机构代码', 'Code', 'text', 22), c('name', '机构', 'Facility', 'text', 28), c('what', '变化', 'Change', 'text', 12), c('type', '类型', 'Type', 'text', 22), c('bedsBefore', '床位（现状）', 'Beds before', 'int', 10), c('bedsAfter', '床位（情景）', 'Beds after', 'int', 10)],
      rows: d.facilities.map((f) => [f.code, f.name, t(STATUS_OF_FACILITY[f.what] ?? bi(f.what, f.what)), facilityType((f.after ?? f.before)?.type ?? '', lang), f.before?.beds ?? null, f.after?.beds ?? null]),
    });
  }

  add({
    key: 'assumptions',
    sheet: bi('参数与假设', 'Assumptions'),
    title: bi('规则集参数与假设', 'Rule-set parameters and assumptions'),
    columns: [c('key', '参数', 'Parameter', 'text', 28), c('label', '名称', 'Name', 'text', 30), c('value', '取值', 'Value', 'text', 24), c('default', '默认值', 'Default', 'text', 24), c('description', '说明', 'Description', 'text', 80)],
    rows: m.assumptions.map((a) => [a.key, t(a.label), valueText(a.value), valueText(a.default), t(a.description)]),
  });

  add({
    key: 'documents',
    sheet: bi('政策文件', 'Documents'),
    title: bi('引用的政策文件', 'Policy documents cited'),
    columns: [c('ref', '编号', 'Ref', 'text', 6), c('file', '文件', 'File', 'text', 28), c('title', '标题', 'Title', 'text', 60), c('issuer', '发文单位', 'Issuer', 'text', 36), c('date', '日期', 'Date', 'text', 12), c('draft', '征求意见稿', 'Draft', 'text', 10)],
    rows: m.documents.map((d) => [d.ref, d.file, t(d.title), d.issuer, d.date, d.draft ? t(WORDS.yes) : '']),
  });

  add({
    key: 'data_layers',
    sheet: bi('数据来源', 'Data sources'),
    title: bi('数据图层及其来源（本单位范围）', 'Data layers and their sources (in the unit)'),
    columns: [c('layer', '图层', 'Layer', 'text', 36), c('rows', '记录数', 'Rows', 'int', 10), c('synthetic', '其中合成', 'Synthetic rows', 'int', 10), c('kind', '性质', 'Kind', 'text', 12), c('sources', '来源（记录数）', 'Sources (rows)', 'text', 90)],
    rows: m.layers.map((l) => [t(l.label), l.rows, l.syntheticRows, l.synthetic ? t(WORDS.synthetic) : t(WORDS.real), l.sources.map((s) => `${s.source}（${s.rows}）`).join('\n')]),
    note: bi(`数据文件：${m.datasets.map((d) => d.file).join('、')}（来源与许可见 seeds/README.md）。`, `Data files: ${m.datasets.map((d) => d.file).join(', ')} (sources and licences in seeds/README.md).`),
  });

  add({
    key: 'rules_not_evaluated',
    sheet: bi('未评估规则', 'Not evaluated'),
    title: bi('未评估的规则', 'Rules not evaluated'),
    columns: [c('ruleId', '规则编号', 'Rule id', 'text', 26), c('title', '规则', 'Rule', 'text', 50), c('reason', '原因', 'Reason', 'text', 60)],
    rows: m.rulesNotEvaluated.map((r) => [r.ruleId, r.title ? t(r.title) : '', t(r.reason)]),
  });

  return tables;
}

export function valueText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function tableByKey(m: ReportModel, lang: Lang, key: string): ReportTable | undefined {
  return reportTables(m, lang).find((x) => x.key === key);
}
