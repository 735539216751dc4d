/**
 * The diff as a file: CSV (UTF-8 with BOM so Excel shows Chinese; one table
 * with a section column) or XLSX (one sheet per section). Headers are Chinese
 * with English; the summary paragraph comes first.
 */
import Papa from 'papaparse';
import ExcelJS from 'exceljs';
import { LEVEL_LABELS, FACILITY_TYPE_LABELS, type FacilityType, type Level } from '../domain/taxonomy.ts';
import { STATUS_LABELS, FORCE_LABELS, type Bilingual, type Status } from '../rules/types.ts';
import type { AccessFigures, FacilityChange, RuleSide, ScenarioDiff } from './diff.ts';

export interface DiffFileContext {
  scenario: { id: number; version: number; name: string };
  against: { id: number; version: number; name: string } | null;
  summary: Bilingual;
  changes: { position: number; inherited: boolean; kind: string; summary: Bilingual; problems: Bilingual[] }[];
  generatedAt: string;
}

const HEADERS = ['分类 Section', '单位代码 Unit code', '单位 Unit', '层级 Level', '项目 Item', '对比基准 Before', '情景 After', '变化 Change', '说明 Note'];

type Row = (string | number | null)[];

const level = (l: Level) => `${LEVEL_LABELS[l].zh} ${l}`;
const status = (s: Status | null) => (s === null ? '—' : `${STATUS_LABELS[s].zh} ${s}`);

function sideText(s: RuleSide): string {
  const parts = [status(s.status)];
  if (s.measured !== null) parts.push(`实测 ${s.measured}`);
  if (s.shortfall !== null) parts.push(`缺口 ${s.shortfall}`);
  return parts.join('；');
}

const WHAT: Record<FacilityChange['what'], string> = {
  added: '新增 added',
  closed: '关闭 closed',
  merged_away: '并入他院 merged away',
  moved: '迁址 moved',
  updated: '调整 updated',
  reopened: '重新启用 reopened',
  removed: '移除 removed',
};

function facilityText(f: FacilityChange['before']): string {
  if (!f) return '—';
  const type = FACILITY_TYPE_LABELS[f.type as FacilityType]?.zh ?? f.type;
  return `${type}；${f.status}；${f.unitCode}；(${f.lon}, ${f.lat})；床位 ${f.beds ?? '—'}；人员 ${f.staff ?? '—'}${f.mergedIntoId !== null ? `；并入 ${f.mergedIntoId}` : ''}`;
}

function figureRows(section: string, unit: { code: string; name: string; level: Level } | null, className: string, f: AccessFigures): Row[] {
  const u = unit ? [unit.code, unit.name, level(unit.level)] : ['', '', ''];
  const rows: Row[] = [];
  const push = (item: string, value: number, note = '') => rows.push([section, ...u, `${className}：${item}`, null, value, null, note]);
  push('失去可达 losing access (people)', f.losing);
  push('新增可达 gaining access (people)', f.gaining);
  push('行程变远 longer trip (people)', f.longer);
  push('增加 > 5 分钟 more than 5 min further', f.over5);
  push('增加 > 15 分钟 more than 15 min further', f.over15);
  push('增加 > 30 分钟 more than 30 min further', f.over30, f.noFacility > 0 ? `含无此类机构 ${f.noFacility} 人 incl. ${f.noFacility} with none left` : '');
  push('行程缩短 shorter trip (people)', f.shorter);
  push('增加人·分钟 added person-minutes', f.addedPersonMinutes);
  return rows;
}

function tableRows(diff: ScenarioDiff, ctx: DiffFileContext): Row[] {
  const rows: Row[] = [];
  const about = (item: string, value: string) => rows.push(['说明 About', '', '', '', item, null, value, null, '']);
  about('情景 Scenario', `${ctx.scenario.name}（${ctx.scenario.id}，v${ctx.scenario.version}）`);
  about('对比 Against', ctx.against ? `${ctx.against.name}（${ctx.against.id}，v${ctx.against.version}）` : '现状 baseline');
  about('规则集 Rule set', `${diff.ruleSet.name}（${diff.ruleSet.id}，v${diff.ruleSet.version}，${diff.ruleSet.targetYear}）`);
  about('范围 Scope', `${diff.scope.name} ${diff.scope.code}`);
  about('数据版本 Data version', String(diff.dataVersion));
  about('生成时间 Generated', ctx.generatedAt);
  if (diff.synthetic) about('合成数据 Synthetic', '是：部分机构或人口为生成数据 · yes: some facilities or population are generated');
  rows.push(['摘要 Summary', '', '', '', '中文', null, ctx.summary.zh, null, '']);
  rows.push(['摘要 Summary', '', '', '', 'English', null, ctx.summary.en, null, '']);
  for (const c of ctx.changes) {
    rows.push(['变更 Changes', '', '', '', `#${c.position}${c.inherited ? '（继承 inherited）' : ''} ${c.kind}`, null, c.summary.zh, null, c.problems.length ? `未计入 skipped: ${c.problems.map((p) => p.zh).join('；')}` : c.summary.en]);
  }
  for (const u of diff.units) {
    for (const r of u.rules) {
      const change = r.direction === 'newly_failing' ? '变为不达标 newly failing' : r.direction === 'fixed' ? '转为达标 now passing' : r.direction === 'status' ? '状态变化 status' : '数值变化 value';
      rows.push(['规则 Rules', r.unit.code, r.unit.name, level(r.unit.level), `${r.ruleId} ${r.title.zh}（${FORCE_LABELS[r.force].zh}）`, sideText(r.before), sideText(r.after), change, r.after.shortfallText?.zh ?? r.after.measuredText?.zh ?? '']);
    }
  }
  for (const c of diff.access) {
    const name = c.class.name.zh;
    rows.push(['可达性 Access', diff.scope.code, diff.scope.name, level(diff.scope.level), `${name}：可达人口 covered (${c.class.limitText.zh})`, c.coveredBefore, c.coveredAfter, c.coveredAfter - c.coveredBefore, `总人口 population ${c.population}`]);
    rows.push(...figureRows('可达性 Access', diff.scope, name, c.totals));
    for (const u of c.units) if (u.unit.code !== diff.scope.code) rows.push(...figureRows('可达性（分单位） Access by unit', u.unit, name, u));
    for (const k of c.catchments) rows.push(['服务人口 Catchments', '', '', '', `${name}：${k.name ?? ''}（${k.facilityId}）`, k.before, k.after, k.after - k.before, '']);
  }
  for (const f of diff.facilities) {
    rows.push(['机构 Facilities', f.after?.unitCode ?? f.before?.unitCode ?? '', '', '', `${f.name}（${f.id}，${f.code}）`, facilityText(f.before), facilityText(f.after), WHAT[f.what], '']);
  }
  return rows;
}

export function diffCsv(diff: ScenarioDiff, ctx: DiffFileContext): string {
  const body = Papa.unparse({ fields: HEADERS, data: tableRows(diff, ctx) }, { newline: '\r\n' });
  return `\uFEFF${body}\r\n`;
}

export async function diffXlsx(diff: ScenarioDiff, ctx: DiffFileContext): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = '卫生资源网格规划 · health facility-grid planner';
  wb.created = new Date(ctx.generatedAt);
  const sheet = (name: string, columns: { header: string; key: string; width: number }[], rows: Record<string, unknown>[]) => {
    const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = columns;
    for (const r of rows) ws.addRow(r);
    ws.getRow(1).font = { bold: true };
    if (rows.length > 0) ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns.length } };
    return ws;
  };
  const summary = sheet(
    '摘要 Summary',
    [
      { header: '项目 Item', key: 'k', width: 24 },
      { header: '内容 Value', key: 'v', width: 120 },
    ],
    [
      { k: '摘要（中文）', v: ctx.summary.zh },
      { k: 'Summary (English)', v: ctx.summary.en },
      { k: '情景 Scenario', v: `${ctx.scenario.name}（${ctx.scenario.id}，v${ctx.scenario.version}）` },
      { k: '对比 Against', v: ctx.against ? `${ctx.against.name}（${ctx.against.id}，v${ctx.against.version}）` : '现状 baseline' },
      { k: '规则集 Rule set', v: `${diff.ruleSet.name}（${diff.ruleSet.id}，v${diff.ruleSet.version}，${diff.ruleSet.targetYear}）` },
      { k: '范围 Scope', v: `${diff.scope.name} ${diff.scope.code}` },
      { k: '数据版本 Data version', v: diff.dataVersion },
      { k: '生成时间 Generated', v: ctx.generatedAt },
      { k: '合成数据 Synthetic', v: diff.synthetic ? '是 yes' : '否 no' },
    ],
  );
  summary.getColumn('v').alignment = { wrapText: true, vertical: 'top' };
  sheet(
    '变更 Changes',
    [
      { header: '序号 #', key: 'p', width: 8 },
      { header: '继承 Inherited', key: 'i', width: 10 },
      { header: '类型 Kind', key: 'k', width: 22 },
      { header: '内容', key: 'zh', width: 70 },
      { header: 'Change', key: 'en', width: 70 },
      { header: '未计入原因 Skipped because', key: 'x', width: 50 },
    ],
    ctx.changes.map((c) => ({ p: c.position, i: c.inherited ? '是 yes' : '', k: c.kind, zh: c.summary.zh, en: c.summary.en, x: c.problems.map((p) => p.zh).join('；') })),
  );
  sheet(
    '规则变化 Rules',
    [
      { header: '单位代码 Unit code', key: 'code', width: 16 },
      { header: '单位 Unit', key: 'name', width: 16 },
      { header: '层级 Level', key: 'level', width: 14 },
      { header: '规则编号 Rule id', key: 'rule', width: 28 },
      { header: '规则 Rule', key: 'title', width: 48 },
      { header: '约束力 Force', key: 'force', width: 12 },
      { header: '变化 Change', key: 'dir', width: 20 },
      { header: '对比基准状态 Status before', key: 'sb', width: 14 },
      { header: '情景状态 Status after', key: 'sa', width: 14 },
      { header: '对比基准实测 Measured before', key: 'mb', width: 14 },
      { header: '情景实测 Measured after', key: 'ma', width: 14 },
      { header: '对比基准缺口 Shortfall before', key: 'fb', width: 14 },
      { header: '情景缺口 Shortfall after', key: 'fa', width: 14 },
      { header: '情景缺口说明 Shortfall after (中文)', key: 'ft', width: 40 },
    ],
    diff.units.flatMap((u) =>
      u.rules.map((r) => ({
        code: r.unit.code,
        name: r.unit.name,
        level: level(r.unit.level),
        rule: r.ruleId,
        title: r.title.zh,
        force: FORCE_LABELS[r.force].zh,
        dir: r.direction,
        sb: status(r.before.status),
        sa: status(r.after.status),
        mb: r.before.measured,
        ma: r.after.measured,
        fb: r.before.shortfall,
        fa: r.after.shortfall,
        ft: r.after.shortfallText?.zh ?? '',
      })),
    ),
  );
  const figureColumns = [
    { header: '失去可达 Losing', key: 'losing', width: 12 },
    { header: '其中落入空白 To gap', key: 'losingToGap', width: 12 },
    { header: '新增可达 Gaining', key: 'gaining', width: 12 },
    { header: '行程变远 Longer', key: 'longer', width: 12 },
    { header: '> 5 分钟', key: 'over5', width: 10 },
    { header: '> 15 分钟', key: 'over15', width: 10 },
    { header: '> 30 分钟', key: 'over30', width: 10 },
    { header: '无此类机构 None left', key: 'noFacility', width: 12 },
    { header: '行程缩短 Shorter', key: 'shorter', width: 12 },
    { header: '增加人·分钟 Added person-min', key: 'addedPersonMinutes', width: 16 },
  ];
  sheet(
    '可达性 Access',
    [
      { header: '类别 Class', key: 'cls', width: 24 },
      { header: '时限 Limit', key: 'limit', width: 18 },
      { header: '单位代码 Unit code', key: 'code', width: 16 },
      { header: '单位 Unit', key: 'name', width: 16 },
      { header: '层级 Level', key: 'level', width: 14 },
      { header: '对比基准可达 Covered before', key: 'cb', width: 14 },
      { header: '情景可达 Covered after', key: 'ca', width: 14 },
      ...figureColumns,
    ],
    diff.access.flatMap((c) => [
      { cls: c.class.name.zh, limit: c.class.limitText.zh, code: diff.scope.code, name: diff.scope.name, level: level(diff.scope.level), cb: c.coveredBefore, ca: c.coveredAfter, ...c.totals },
      ...c.units.filter((u) => u.unit.code !== diff.scope.code).map((u) => ({ cls: c.class.name.zh, limit: c.class.limitText.zh, code: u.unit.code, name: u.unit.name, level: level(u.unit.level), cb: null, ca: null, ...u })),
    ]).map((r) => {
      const { unit: _u, ...rest } = r as typeof r & { unit?: unknown };
      return rest;
    }),
  );
  sheet(
    '服务人口 Catchments',
    [
      { header: '类别 Class', key: 'cls', width: 24 },
      { header: '机构编号 Facility id', key: 'id', width: 14 },
      { header: '机构 Facility', key: 'name', width: 30 },
      { header: '对比基准 Before', key: 'b', width: 14 },
      { header: '情景 After', key: 'a', width: 14 },
      { header: '变化 Change', key: 'd', width: 14 },
    ],
    diff.access.flatMap((c) => c.catchments.map((k) => ({ cls: c.class.name.zh, id: k.facilityId, name: k.name ?? '', b: k.before, a: k.after, d: k.after - k.before }))),
  );
  sheet(
    '机构 Facilities',
    [
      { header: '机构编号 Id', key: 'id', width: 10 },
      { header: '编码 Code', key: 'code', width: 22 },
      { header: '名称 Name', key: 'name', width: 30 },
      { header: '变化 What', key: 'what', width: 18 },
      { header: '对比基准 Before', key: 'b', width: 60 },
      { header: '情景 After', key: 'a', width: 60 },
    ],
    diff.facilities.map((f) => ({ id: f.id, code: f.code, name: f.name, what: WHAT[f.what], b: facilityText(f.before), a: facilityText(f.after) })),
  );
  return Buffer.from(await wb.xlsx.writeBuffer());
}
