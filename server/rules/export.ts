/**
 * The evaluation table as CSV (UTF-8 with BOM, so Excel shows Chinese) or XLSX
 * (results, assumptions and provenance sheets). Headers are Chinese with English.
 */
import Papa from 'papaparse';
import ExcelJS from 'exceljs';
import { LEVEL_LABELS } from '../domain/taxonomy.ts';
import { SOURCES } from './sources.ts';
import type { Evaluation } from './engine.ts';
import { FORCE_LABELS, STATUS_LABELS, type CappedList, type Citation, type RuleResult } from './types.ts';

const COLUMNS: { key: string; header: string; width: number; value: (r: RuleResult) => string | number | null }[] = [
  { key: 'rule', header: '规则编号 Rule id', width: 28, value: (r) => r.ruleId },
  { key: 'title', header: '规则 Rule (中文)', width: 48, value: (r) => r.title.zh },
  { key: 'titleEn', header: 'Rule (English)', width: 48, value: (r) => r.title.en },
  { key: 'unitCode', header: '单位代码 Unit code', width: 16, value: (r) => r.unit.code },
  { key: 'unitName', header: '单位名称 Unit', width: 18, value: (r) => r.unit.name },
  { key: 'level', header: '层级 Level', width: 12, value: (r) => `${LEVEL_LABELS[r.unit.level].zh} ${r.unit.level}` },
  { key: 'status', header: '状态 Status', width: 16, value: (r) => `${STATUS_LABELS[r.status].zh} ${r.status}` },
  { key: 'force', header: '约束力 Force', width: 14, value: (r) => `${FORCE_LABELS[r.force].zh} ${r.force}` },
  { key: 'indicative', header: '仅供参考 Indicative', width: 10, value: (r) => (r.indicative ? '是 yes' : '') },
  { key: 'measured', header: '实测 Measured', width: 12, value: (r) => r.measured.value },
  { key: 'measuredText', header: '实测说明 Measured (中文)', width: 48, value: (r) => r.measured.text.zh },
  { key: 'target', header: '目标 Target', width: 30, value: (r) => r.target?.text.zh ?? '' },
  { key: 'shortfall', header: '缺口 Shortfall', width: 12, value: (r) => r.shortfall?.value ?? null },
  { key: 'shortfallText', header: '缺口说明（中文）', width: 40, value: (r) => r.shortfall?.text.zh ?? '' },
  { key: 'shortfallTextEn', header: 'Shortfall (English)', width: 40, value: (r) => r.shortfall?.text.en ?? '' },
  { key: 'notes', header: '备注 Notes', width: 48, value: (r) => r.notes.map((n) => n.zh).join('；') },
  { key: 'facilities', header: '涉及机构 Facilities', width: 40, value: (r) => listText(r.facilities) },
  { key: 'villages', header: '涉及村 Villages', width: 30, value: (r) => listText(r.villages) },
  { key: 'citations', header: '依据 Sources', width: 60, value: (r) => r.citations.map(citationText).join('\n') },
  { key: 'interpretation', header: '解读 Interpretation', width: 48, value: (r) => r.interpretation?.zh ?? '' },
  { key: 'ruleSet', header: '规则集 Rule set', width: 12, value: (r) => `${r.ruleSet.id} v${r.ruleSet.version}` },
  { key: 'scenario', header: '情景 Scenario', width: 12, value: (r) => (r.versions.scenario ? `${r.versions.scenario.id} v${r.versions.scenario.version}` : '现状 baseline') },
  { key: 'dataVersion', header: '数据版本 Data version', width: 10, value: (r) => r.versions.data },
  { key: 'engine', header: '引擎版本 Engine', width: 14, value: (r) => r.versions.engine },
];

function listText(list: CappedList): string {
  if (list.count === 0) return '';
  const shown = list.items.map((i) => `${i.name}(${i.code})`).join('、');
  return list.count > list.items.length ? `${shown} … 共 ${list.count}` : shown;
}

export function citationText(c: Citation): string {
  return `${SOURCES[c.file].ref}:${c.lines[0]}-${c.lines[1]}「${c.quote}」${SOURCES[c.file].status === 'draft' ? '（征求意见稿）' : ''}`;
}

function provenance(e: Evaluation): [string, string][] {
  return [
    ['规则集 Rule set', `${e.ruleSet.name} (id ${e.ruleSet.id}, v${e.ruleSet.version}, ${e.ruleSet.targetYear})`],
    ['情景 Scenario', e.scenario ? `${e.scenario.id} v${e.scenario.version}` : '现状 baseline'],
    ['范围 Scope', `${e.root.name} ${e.root.code}`],
    ['数据版本 Data version', String(e.dataVersion)],
    ['引擎版本 Engine', e.engineVersion],
    ['评估时间 Evaluated at', e.evaluatedAt],
    ['合成数据 Synthetic data', e.synthetic ? '是：部分单位或机构为生成数据（synthetic），非真实登记 · yes: some units or facilities are generated, not sourced' : '否 no'],
    ['未评估规则 Rules not evaluated', e.rulesNotEvaluated.map((r) => `${r.ruleId}: ${r.reason.zh}`).join('；')],
  ];
}

export function evaluationCsv(e: Evaluation, results: readonly RuleResult[]): string {
  const rows = results.map((r) => COLUMNS.map((c) => c.value(r) ?? ''));
  const body = Papa.unparse({ fields: COLUMNS.map((c) => c.header), data: rows }, { newline: '\r\n' });
  return `\uFEFF${body}\r\n`;
}

export async function evaluationXlsx(e: Evaluation, results: readonly RuleResult[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '卫生资源网格规划 · health facility-grid planner';
  wb.created = new Date(e.evaluatedAt);
  const sheet = wb.addWorksheet('评估结果 Results', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = COLUMNS.map((c) => ({ header: c.header, key: c.key, width: c.width }));
  for (const r of results) sheet.addRow(Object.fromEntries(COLUMNS.map((c) => [c.key, c.value(r)])));
  sheet.getRow(1).font = { bold: true };
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: COLUMNS.length } };

  const assumptions = wb.addWorksheet('假设 Assumptions');
  assumptions.columns = [
    { header: '参数 Parameter', key: 'key', width: 36 },
    { header: '取值 Value', key: 'value', width: 24 },
    { header: '默认 Default', key: 'default', width: 24 },
    { header: '说明', key: 'zh', width: 70 },
    { header: 'Description', key: 'en', width: 70 },
  ];
  for (const a of e.assumptions) {
    assumptions.addRow({ key: `${a.label.zh} ${a.key}`, value: JSON.stringify(a.value), default: JSON.stringify(a.default), zh: a.description.zh, en: a.description.en });
  }
  assumptions.getRow(1).font = { bold: true };

  const about = wb.addWorksheet('说明 About');
  about.columns = [
    { header: '项目 Item', key: 'k', width: 30 },
    { header: '内容 Value', key: 'v', width: 100 },
  ];
  for (const [k, v] of provenance(e)) about.addRow({ k, v });
  about.getRow(1).font = { bold: true };
  return Buffer.from(await wb.xlsx.writeBuffer());
}
