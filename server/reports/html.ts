/**
 * The print-ready HTML report: one self-contained page (styles inline — the
 * CSP allows inline styles, and no script is used — and the map as inline SVG),
 * A4 with `@page` margins, page numbers in the page margin boxes, table headers
 * repeated on every page (`thead`), rows never split across pages, Chinese
 * fonts (Noto CJK from Debian's fonts-noto-cjk, with the usual Windows/macOS
 * fallbacks). Chromium prints it to PDF (pdf.ts) unchanged.
 *
 * Everything printed comes from the model (model.ts) or the table definitions
 * (tables.ts); this module only chooses, orders and formats. Tables that can
 * run to thousands of rows (failures at every village, villages out of reach
 * per class) print their first rows with a note pointing to the Excel sheet
 * that has them all.
 */
import { FORCE_LABELS, STATUS_LABELS, type Bilingual } from '../rules/types.ts';
import { LEVEL_LABELS } from '../domain/taxonomy.ts';
import { fmt } from '../rules/text.ts';
import { escapeXml, renderMapSvg } from './map.ts';
import { bi, fill, FORCE_GROUP_NOTES, FORCE_GROUP_TITLES, REPORT_TITLE, SECTIONS, tr, WORDS, type Lang } from './i18n.ts';
import { FORCE_GROUPS, forceGroupOf, type ReportModel, type RuleRow } from './model.ts';
import { reportTables, type Cell, type Column, type ReportTable, type TableKey } from './tables.ts';

/** Rows printed of the long tables (all of them are in the XLSX). */
export const HTML_ROW_LIMITS = {
  failuresBelow: 120,
  villagesPerClass: 15,
  villagesWithoutClinic: 400,
  mergeCandidates: 60,
  scenarioRules: 150,
  accessUnits: 400,
} as const;

const esc = escapeXml;
const colon = (lang: Lang) => (lang === 'en' ? ': ' : '：');

function cellText(value: Cell, column: Column, lang: Lang): string {
  if (value === null || value === undefined || value === '') return '';
  if (typeof value === 'string') return value;
  switch (column.kind) {
    case 'int':
      return fmt(value, 0);
    case 'num1':
    case 'minutes':
    case 'km':
      return fmt(value, 1);
    case 'num2':
      return fmt(value, 2);
    case 'pct':
      return `${(Math.round(value * 1000) / 10).toFixed(1)}%`;
    case 'text':
      return String(value);
  }
}

function numeric(column: Column): boolean {
  return column.kind !== 'text';
}

interface TableOptions {
  /** Columns to print (keys), in the table's order; default all. */
  columns?: readonly string[];
  limit?: number;
  /** Printed heading above the table (default: the table's title); null: none. */
  heading?: string | null;
  className?: string;
}

/** A table of tables.ts as HTML: colgroup widths from the spreadsheet widths, numbers right-aligned. */
export function htmlTable(table: ReportTable, lang: Lang, options: TableOptions = {}): string {
  const keep = options.columns ? table.columns.map((c, i) => [c, i] as const).filter(([c]) => options.columns!.includes(c.key)) : table.columns.map((c, i) => [c, i] as const);
  // On paper numbers must not wrap ("14,592") and long text columns give way.
  const width = (c: Column) => (numeric(c) ? Math.max(c.width, 11) : Math.min(c.width, 50));
  const total = keep.reduce((s, [c]) => s + width(c), 0);
  const rows = options.limit !== undefined ? table.rows.slice(0, options.limit) : table.rows;
  const heading = options.heading === undefined ? tr(table.title, lang) : options.heading;
  let out = heading ? `<h3>${esc(heading)}</h3>` : '';
  if (table.rows.length === 0) return `${out}<p class="empty">${esc(tr(WORDS.empty, lang))}</p>`;
  out += `<table class="${options.className ?? 'data'}"><colgroup>${keep.map(([c]) => `<col style="width:${((width(c) / total) * 100).toFixed(1)}%">`).join('')}</colgroup>`;
  out += `<thead><tr>${keep.map(([c]) => `<th${numeric(c) ? ' class="n"' : ''}>${esc(tr(c.label, lang))}</th>`).join('')}</tr></thead><tbody>`;
  for (const row of rows) {
    out += `<tr>${keep.map(([c, i]) => `<td${numeric(c) ? ' class="n"' : ''}>${esc(cellText(row[i] ?? null, c, lang)).replace(/\n/g, '<br>')}</td>`).join('')}</tr>`;
  }
  out += '</tbody></table>';
  if (rows.length < table.rows.length) out += `<p class="more">${esc(fill(tr(WORDS.rowsShown, lang), { shown: rows.length, total: table.rows.length, sheet: tr(table.sheet, lang) }))}</p>`;
  if (table.note) out += `<p class="note">${esc(tr(table.note, lang))}</p>`;
  return out;
}

function citationHtml(r: Pick<RuleRow, 'citations'>, lang: Lang): string {
  return r.citations
    .map(
      (c) =>
        `<span class="cite"><b>${esc(c.lineRange)}</b> ${esc(lang === 'en' ? c.document.en : `《${c.document.zh}》`)}${c.draft && lang === 'en' ? ' (draft)' : ''} <span class="file">${esc(c.file)}</span>${colon(lang)}「${esc(c.quote)}」</span>`,
    )
    .join('');
}

const STATUS_CLASS: Record<string, string> = { fail: 'st-fail', unknown: 'st-unknown', pass: 'st-pass', not_applicable: 'st-na' };

/** The unit's own rules, grouped by force: one block per rule (never split), its citation under it. */
function checklistOwn(m: ReportModel, lang: Lang): string {
  let out = '';
  for (const group of FORCE_GROUPS) {
    const rows = m.checklist.own.filter((r) => forceGroupOf(r.force) === group);
    if (rows.length === 0) continue;
    const failing = rows.filter((r) => r.status === 'fail').length;
    out += `<h3>${esc(tr(FORCE_GROUP_TITLES[group], lang))} <span class="count">${esc(lang === 'en' ? `${rows.length} rules, ${failing} failing` : `${rows.length} 条，不达标 ${failing} 条`)}</span></h3>`;
    out += `<p class="note">${esc(tr(FORCE_GROUP_NOTES[group], lang))}</p>`;
    out += `<table class="rules"><colgroup><col style="width:30%"><col style="width:9%"><col style="width:21%"><col style="width:18%"><col style="width:22%"></colgroup>`;
    out += `<thead><tr><th>${esc(tr(WORDS.rule, lang))}</th><th>${esc(tr(WORDS.status, lang))}</th><th>${esc(tr(WORDS.measured, lang))}</th><th>${esc(tr(WORDS.target, lang))}</th><th>${esc(tr(WORDS.shortfall, lang))}</th></tr></thead>`;
    for (const r of rows) {
      const notes = r.notes.map((n) => tr(n, lang)).join(lang === 'en' ? ' ' : '');
      out +=
        `<tbody class="rule ${STATUS_CLASS[r.status] ?? ''}"><tr>` +
        `<td><div class="rt">${esc(tr(r.title, lang))}</div><div class="rid">${esc(r.ruleId)} · ${esc(tr(r.forceLabel, lang))}${r.indicative ? ` · ${esc(tr(WORDS.indicative, lang))}` : ''}${r.jurisdiction ? ` · ${esc(tr(r.jurisdiction, lang))}` : ''}</div></td>` +
        `<td><span class="badge ${STATUS_CLASS[r.status] ?? ''}">${esc(tr(r.statusLabel, lang))}</span></td>` +
        `<td>${esc(tr(r.measured.text, lang))}</td>` +
        `<td>${r.target ? esc(tr(r.target, lang)) : ''}</td>` +
        `<td>${r.shortfall ? `<b>${esc(tr(r.shortfall.text, lang))}</b>` : ''}</td></tr>` +
        `<tr class="sub"><td colspan="5">${esc(tr(WORDS.citation, lang))}${colon(lang)}${citationHtml(r, lang)}${notes ? `<div class="rnote">${esc(notes)}</div>` : ''}${r.interpretation ? `<div class="rnote">${esc(tr(r.interpretation, lang))}</div>` : ''}</td></tr></tbody>`;
    }
    out += '</table>';
  }
  return out || `<p class="empty">${esc(tr(WORDS.empty, lang))}</p>`;
}

/** Failing and unknown results below the unit, compact (their citations are in the table above). */
function failuresBelow(m: ReportModel, lang: Lang): string {
  const rows = m.checklist.failuresBelow;
  const heading = `<h3>${esc(tr(bi('下级单位不达标及数据缺失明细', 'Failing and unknown results below the unit'), lang))} <span class="count">${esc(fmt(rows.length, 0))}</span></h3>`;
  if (rows.length === 0) return `${heading}<p class="empty">${esc(tr(WORDS.empty, lang))}</p>`;
  const shown = rows.slice(0, HTML_ROW_LIMITS.failuresBelow);
  let out = `${heading}<table class="data"><colgroup><col style="width:17%"><col style="width:31%"><col style="width:8%"><col style="width:9%"><col style="width:35%"></colgroup>`;
  out += `<thead><tr><th>${esc(tr(WORDS.unit, lang))}</th><th>${esc(tr(WORDS.rule, lang))}</th><th>${esc(tr(WORDS.force, lang))}</th><th>${esc(tr(WORDS.status, lang))}</th><th>${esc(tr(bi('实测与缺口', 'Measured and shortfall'), lang))}</th></tr></thead><tbody>`;
  for (const r of shown) {
    out += `<tr><td>${esc(r.unit.name)}<div class="rid">${esc(r.unit.code)}</div></td><td>${esc(tr(r.title, lang))}<div class="rid">${esc(r.ruleId)}</div></td><td>${esc(tr(r.forceLabel, lang))}</td><td><span class="badge ${STATUS_CLASS[r.status] ?? ''}">${esc(tr(r.statusLabel, lang))}</span></td><td>${esc(tr(r.measured.text, lang))}${r.shortfall ? `<br><b>${esc(tr(r.shortfall.text, lang))}</b>` : ''}</td></tr>`;
  }
  out += '</tbody></table>';
  if (shown.length < rows.length) {
    out += `<p class="more">${esc(fill(tr(WORDS.rowsShown, lang), { shown: shown.length, total: rows.length, sheet: tr(bi('下级不达标', 'Failures below'), lang) }))}</p>`;
  }
  return out;
}

function pctText(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(Math.round(v * 1000) / 10).toFixed(1)}%`;
}

function summarySection(m: ReportModel, tables: Map<TableKey, ReportTable>, lang: Lang): string {
  const u = m.unit;
  const t = (b: Bilingual) => esc(tr(b, lang));
  const facts: [string, string][] = [
    [tr(WORDS.population, lang), u.population === null ? '—' : `${fmt(u.population, 0)}${u.populationYear ? (lang === 'en' ? ` (${u.populationYear})` : `（${u.populationYear} 年）`) : ''}`],
    [tr(bi('其中城镇人口', 'of whom urban'), lang), u.populationUrban === null ? '—' : `${fmt(u.populationUrban, 0)}${u.population ? (lang === 'en' ? ` (${pctText(u.populationUrban / u.population)})` : `（${pctText(u.populationUrban / u.population)}）`) : ''}`],
    [tr(bi('面积', 'Area'), lang), u.areaKm2 === null ? '—' : `${fmt(u.areaKm2, 0)} km²`],
    [
      tr(bi('下级单位', 'Units below'), lang),
      (['league', 'banner', 'township', 'village'] as const)
        .filter((l) => u.descendants[l])
        .map((l) => `${tr(LEVEL_LABELS[l], lang)} ${fmt(u.descendants[l]!, 0)}`)
        .join(lang === 'en' ? ', ' : '，') || '—',
    ],
    [tr(bi('运营中的医疗卫生机构', 'Operating health facilities'), lang), fmt(m.summary.facilitiesCounted, 0)],
  ];
  const c = m.summary.circle;
  const circleCls = m.summary.circleClass;
  let out = `<section class="chapter" id="summary"><h2>${t(SECTIONS.summary)}</h2>`;
  out += `<table class="facts"><tbody>${facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;

  // Failing rules by force (the roll-up of the unit's subtree).
  const byForce = m.summary.rollup.byForce;
  out += `<h3>${t(bi('规则核查结果（本单位及下级，按约束力）', 'Rule results (the unit and below, by force)'))}</h3>`;
  out += `<table class="data"><thead><tr><th>${t(WORDS.force)}</th><th class="n">${t(STATUS_LABELS.fail)}</th><th class="n">${t(STATUS_LABELS.unknown)}</th><th class="n">${t(STATUS_LABELS.pass)}</th><th class="n">${t(STATUS_LABELS.not_applicable)}</th></tr></thead><tbody>`;
  for (const force of ['must', 'target', 'should', 'strive', 'may'] as const) {
    const s = byForce[force];
    if (!s) continue;
    out += `<tr${s.fail > 0 && force === 'must' ? ' class="hot"' : ''}><td>${t(FORCE_LABELS[force])}</td><td class="n">${fmt(s.fail, 0)}</td><td class="n">${fmt(s.unknown, 0)}</td><td class="n">${fmt(s.pass, 0)}</td><td class="n">${fmt(s.not_applicable, 0)}</td></tr>`;
  }
  const all = m.summary.rollup.byStatus;
  out += `<tr class="total"><td>${t(bi('合计', 'Total'))}</td><td class="n">${fmt(all.fail, 0)}</td><td class="n">${fmt(all.unknown, 0)}</td><td class="n">${fmt(all.pass, 0)}</td><td class="n">${fmt(all.not_applicable, 0)}</td></tr></tbody></table>`;

  out += `<h3>${t(bi(`${m.access.circleMinutes} 分钟基本医疗卫生服务圈`, `${m.access.circleMinutes}-minute basic medical service circle`))}</h3>`;
  out += `<p class="lead">${
    lang === 'en'
      ? `${esc(fmt(c.gap, 0))} people live beyond ${m.access.circleMinutes} minutes of ${esc(circleCls ? circleCls.name.en : 'basic care')}${c.mobile > 0 ? `, and ${esc(fmt(c.mobile, 0))} in mobile-service areas` : ''}. ${esc(c.reason.en)}`
      : `${esc(fmt(c.gap, 0))} 人在${esc(circleCls ? circleCls.name.zh : '基本医疗服务')} ${m.access.circleMinutes} 分钟可达范围以外${c.mobile > 0 ? `，另有 ${esc(fmt(c.mobile, 0))} 人在流动服务地区` : ''}。${esc(c.reason.zh)}`
  }</p>`;

  out += `<h3>${t(bi('最严重的三项缺口', 'The three most serious gaps'))}</h3>`;
  if (m.summary.topGaps.length === 0) out += `<p class="empty">${t(bi('未发现不达标规则。', 'No failing rule.'))}</p>`;
  else out += `<ol class="gaps">${m.summary.topGaps.map((g) => `<li>${esc(tr(g.sentence, lang))}</li>`).join('')}</ol>`;

  out += htmlTable(tables.get('facilities')!, lang, { className: 'data compact' });
  return `${out}</section>`;
}

function coverSection(m: ReportModel, lang: Lang): string {
  const t = (b: Bilingual) => esc(tr(b, lang));
  const u = m.unit;
  const rows: [string, string][] = [
    [tr(WORDS.unit, lang), `${u.name}（${u.code}，${tr(u.levelLabel, lang)}）`],
    [tr(bi('上级单位', 'Part of'), lang), u.parents.map((p) => p.name).join(' › ') || '—'],
    [tr(WORDS.date, lang), m.generatedAt.slice(0, 10)],
    [tr(WORDS.ruleSet, lang), `${m.ruleSet.name}（id ${m.ruleSet.id}，v${m.ruleSet.version}${m.ruleSet.isDefault ? (lang === 'en' ? ', default' : '，默认') : ''}）`],
    [tr(WORDS.targetYear, lang), String(m.ruleSet.targetYear)],
    [tr(bi('出行时间估算', 'Travel time estimate'), lang), tr(m.travel, lang)],
    [tr(WORDS.scenario, lang), m.scenario ? `${m.scenario.name}（id ${m.scenario.id}，v${m.scenario.version}）` : tr(WORDS.baseline, lang)],
    [tr(WORDS.dataVersion, lang), `${m.dataVersion} · ${tr(WORDS.engine, lang)} ${m.engineVersion}`],
  ];
  if (m.ruleSet.disabledRules.length > 0) rows.push([tr(bi('停用的规则', 'Rules disabled'), lang), m.ruleSet.disabledRules.join(lang === 'en' ? ', ' : '、')]);
  let out = `<section class="cover"><div class="kicker">${t(bi('内蒙古自治区卫生资源网格规划', 'Inner Mongolia health facility-grid planner'))}</div>`;
  out += `<h1>${esc(u.name)}</h1><div class="subtitle">${t(REPORT_TITLE)}${m.scenario ? ` · ${t(WORDS.scenario)}「${esc(m.scenario.name)}」` : ''}</div>`;
  out += `<table class="facts cover-facts"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;
  const synthetic = m.layers.filter((l) => l.synthetic);
  if (synthetic.length > 0) {
    out += `<div class="warn"><b>${t(bi('合成数据提示', 'Synthetic data'))}</b>${colon(lang)}${
      lang === 'en'
        ? `these layers hold generated data (no public source exists), for demonstrating the method only: ${esc(synthetic.map((l) => `${l.label.en} (${fmt(l.syntheticRows, 0)} of ${fmt(l.rows, 0)} rows)`).join('; '))}. Replace them by importing real data.`
        : `以下图层含程序生成的合成数据（无公开数据源），仅供方法演示，不代表实际情况：${esc(synthetic.map((l) => `${l.label.zh}（${fmt(l.rows, 0)} 条中 ${fmt(l.syntheticRows, 0)} 条）`).join('；'))}。导入真实数据后即可替换。`
    }</div>`;
  }
  out += `<h3>${t(WORDS.contents)}</h3><ul class="toc">`;
  const entries: Bilingual[] = [SECTIONS.summary, SECTIONS.map, SECTIONS.rules, SECTIONS.access, SECTIONS.clinics, ...(m.diff ? [SECTIONS.scenario] : []), SECTIONS.appendix];
  out += entries.map((e) => `<li>${t(e)}</li>`).join('');
  out += `</ul><h3>${t(bi('数据来源（详见附录）', 'Data sources (details in the appendix)'))}</h3><table class="data compact"><colgroup><col style="width:36%"><col style="width:11%"><col style="width:11%"><col style="width:42%"></colgroup><thead><tr><th>${t(bi('图层', 'Layer'))}</th><th class="n">${t(bi('记录数', 'Rows'))}</th><th>${t(bi('性质', 'Kind'))}</th><th>${t(bi('主要来源', 'Main source'))}</th></tr></thead><tbody>`;
  for (const l of m.layers) {
    const main = l.sources[0]?.source ?? '—';
    out += `<tr><td>${esc(tr(l.label, lang))}</td><td class="n">${fmt(l.rows, 0)}</td><td>${l.synthetic ? `<span class="badge st-unknown">${t(WORDS.synthetic)}</span>` : t(WORDS.real)}</td><td class="small">${esc(main.length > 90 ? `${main.slice(0, 88)}…` : main)}${l.sources.length > 1 ? esc(lang === 'en' ? ` (+${l.sources.length - 1} more)` : `（另有 ${l.sources.length - 1} 种）`) : ''}</td></tr>`;
  }
  return `${out}</tbody></table></section>`;
}

function mapSection(m: ReportModel, lang: Lang): string {
  let out = `<section class="chapter" id="map"><h2>${esc(tr(SECTIONS.map, lang))}</h2>`;
  if (!m.map) return `${out}<p class="empty">${esc(tr(WORDS.empty, lang))}</p></section>`;
  out += `<figure class="map">${renderMapSvg(m.map, lang)}</figure>`;
  return `${out}</section>`;
}

function checklistSection(m: ReportModel, tables: Map<TableKey, ReportTable>, lang: Lang): string {
  let out = `<section class="chapter" id="rules"><h2>${esc(tr(SECTIONS.rules, lang))}</h2>`;
  out += `<p class="note">${esc(
    tr(
      bi(
        `${m.unit.name}本级适用的全部规则（规则集“${m.ruleSet.name}”，${m.ruleSet.targetYear} 年目标）；每条规则附政策原文（文件:行「原文」）。“数据缺失”不计为达标。`,
        `Every rule that applies to ${m.unit.name} itself (rule set “${m.ruleSet.name}”, ${m.ruleSet.targetYear} targets), each with the policy text it comes from (file:lines “quote”). “Unknown” is never counted as a pass.`,
      ),
      lang,
    ),
  )}</p>`;
  out += checklistOwn(m, lang);
  if (m.checklist.below.length > 0) {
    // Citations as "000:694-696「quote」" (the documents table in the appendix names the files).
    const below = tables.get('rules_below')!;
    const cite = (b: ReportModel['checklist']['below'][number]) => b.citations.map((c) => `${c.lineRange}「${c.quote}」`).join('\n');
    const printed = { ...below, rows: below.rows.map((r, i) => r.map((v, j) => (below.columns[j]!.key === 'citations' ? cite(m.checklist.below[i]!) : v))) };
    out += htmlTable(printed, lang, { columns: ['title', 'force', 'level', 'units', 'fail', 'unknown', 'pass', 'citations'] });
    out += failuresBelow(m, lang);
  }
  return `${out}</section>`;
}

function accessSection(m: ReportModel, tables: Map<TableKey, ReportTable>, lang: Lang): string {
  let out = `<section class="chapter" id="access"><h2>${esc(tr(SECTIONS.access, lang))}</h2>`;
  out += `<p class="note">${esc(tr(m.travel, lang))}${esc(tr(bi('；时限以内（含）为可达。', '; within the limit (inclusive) counts as reached.'), lang))}</p>`;
  out += htmlTable(tables.get('access_classes')!, lang, { columns: ['class', 'limit', 'population', 'covered', 'share', 'gap', 'mobile', 'mean', 'p90', 'areas'] });
  if (m.access.children.length > 0) {
    out += htmlTable(tables.get('access_units')!, lang, { limit: HTML_ROW_LIMITS.accessUnits });
    out += htmlTable(tables.get('circle')!, lang, { limit: HTML_ROW_LIMITS.accessUnits });
  }
  const villages = tables.get('villages_out_of_reach')!;
  out += `<h3>${esc(tr(villages.title, lang))}</h3>`;
  for (const x of m.access.villagesOutOfReach) {
    const mine = { ...villages, rows: villages.rows.filter((r) => r[0] === tr(x.class.name, lang)) };
    out += htmlTable(mine, lang, {
      heading: null,
      limit: HTML_ROW_LIMITS.villagesPerClass,
      columns: ['code', 'name', 'township', 'population', 'gap', 'mobile', 'share', 'p90'],
      className: 'data',
    }).replace('<table', `<div class="caption">${esc(tr(x.class.name, lang))}${lang === 'en' ? ` (${esc(x.class.limitText.en)}): ` : `（${esc(x.class.limitText.zh)}）：`}${esc(lang === 'en' ? `${fmt(x.villages.length, 0)} villages with people out of reach` : `${fmt(x.villages.length, 0)} 个嘎查村有时限外人口`)}</div><table`);
  }
  return `${out}</section>`;
}

function clinicsSection(m: ReportModel, tables: Map<TableKey, ReportTable>, lang: Lang): string {
  const k = m.clinics.counts;
  let out = `<section class="chapter" id="clinics"><h2>${esc(tr(SECTIONS.clinics, lang))}</h2>`;
  const cite = m.clinics.citations.map((c) => `${c.lineRange}「${c.quote}」`).join('；');
  out += `<p class="lead">${esc(
    lang === 'en'
      ? `${fmt(k.total, 0)} villages assessed: ${fmt(k.own, 0)} with a clinic of their own, ${fmt(k.community, 0)} community stations, ${fmt(k.joint, 0)} served by a joint clinic, ${fmt(k.none, 0)} without any clinic, ${fmt(k.unknown, 0)} unknown.`
      : `共核查 ${fmt(k.total, 0)} 个嘎查村（社区）：有本村卫生室 ${fmt(k.own, 0)} 个，社区卫生服务站 ${fmt(k.community, 0)} 个，由联办卫生室服务 ${fmt(k.joint, 0)} 个，无卫生室 ${fmt(k.none, 0)} 个，数据缺失 ${fmt(k.unknown, 0)} 个。`,
  )}</p>`;
  if (cite) out += `<p class="note">${esc(tr(WORDS.citation, lang))}${colon(lang)}${esc(cite)}</p>`;
  const withDistance = m.clinics.villages.some((v) => v.distanceM !== null);
  out += htmlTable(tables.get('villages_without_clinic')!, lang, { limit: HTML_ROW_LIMITS.villagesWithoutClinic, columns: ['name', 'township', 'population', 'coverage', 'status', 'partner', ...(withDistance ? ['distance'] : [])] });
  // Effects exist only when the candidates were evaluated (mergeEffects).
  out += htmlTable(tables.get('merge_candidates')!, lang, { limit: HTML_ROW_LIMITS.mergeCandidates, columns: ['rank', 'reason', 'facility', 'facilityUnit', 'partner', 'distance', ...(m.merges.evaluated ? ['newlyFailing', 'losing', 'added'] : [])] });
  return `${out}</section>`;
}

function scenarioSection(m: ReportModel, tables: Map<TableKey, ReportTable>, lang: Lang): string {
  if (!m.diff || !m.scenario) return '';
  const d = m.diff.diff;
  let out = `<section class="chapter" id="scenario"><h2>${esc(tr(SECTIONS.scenario, lang))}</h2>`;
  out += `<div class="memo">${esc(tr(m.diff.summary, lang))}</div>`;
  out += `<p class="lead">${esc(
    lang === 'en'
      ? `Rules newly failing: ${d.rules.newlyFailing}; now passing: ${d.rules.fixed}; other status changes: ${d.rules.otherStatusChanges}; value changes: ${d.rules.valueChanges}.`
      : `新增不达标 ${d.rules.newlyFailing} 项，变为达标 ${d.rules.fixed} 项，其他状态变化 ${d.rules.otherStatusChanges} 项，数值变化 ${d.rules.valueChanges} 项。`,
  )}</p>`;
  out += htmlTable(tables.get('scenario_changes')!, lang);
  out += htmlTable(tables.get('scenario_rules')!, lang, { limit: HTML_ROW_LIMITS.scenarioRules, columns: ['unit', 'rule', 'force', 'direction', 'before', 'after', 'afterShortfall'] });
  out += htmlTable(tables.get('scenario_access')!, lang);
  out += htmlTable(tables.get('scenario_facilities')!, lang);
  return `${out}</section>`;
}

function appendixSection(m: ReportModel, tables: Map<TableKey, ReportTable>, lang: Lang): string {
  const t = (b: Bilingual) => esc(tr(b, lang));
  let out = `<section class="chapter" id="appendix"><h2>${t(SECTIONS.appendix)}</h2>`;
  const definitions: Bilingual[] = [
    bi('阈值按法规用语理解：“以上、以下、以内”含本数，“超过、不满、不足”不含本数。例如“超过30万”为人口 > 300,000，“30万以下”为 ≤ 300,000，“不足500人”为 < 500，“二级以上”为等级 ≥ 2。', 'Thresholds follow PRC legal usage: 以上/以下/以内 include the number, 超过/不满/不足 exclude it: “超过30万” is > 300,000, “30万以下” ≤ 300,000, “不足500人” < 500, “二级以上” grade ≥ 2.'),
    bi('状态：达标、不达标、不适用、数据缺失。数据缺失从不计为达标。', 'Status: pass, fail, not applicable, unknown. Unknown is never counted as a pass.'),
    bi('约束力：必须（均/至少/每个）为硬性要求；目标（达到）为规划期末数量目标；原则上/应当与力争为指导性要求；可为允许的做法（机会而非缺口）。', 'Force: must (均/至少/每个) is binding; target (达到) a number for the end of the plan period; should and strive are guidance; may is a permission (an opportunity, not a gap).'),
    bi(`出行时间 = 大地线直线距离 × 绕行系数 ÷ 速度（${m.travel.zh}）。未使用路网，结果为估算。每个 1 km 人口网格按其最近的、处于运营状态的同类机构计算；自治区以外的机构不计。`, `Travel time = geodesic straight-line distance × detour factor ÷ speed (${m.travel.en}). No road network: an estimate. Each 1 km population cell goes to the nearest operating facility of the class; facilities outside the region are not known.`),
    bi(`15 分钟基本医疗卫生服务圈（003:31）：文件未规定出行方式、速度、机构范围和比例，这些均为规则集参数（见下表），目标比例 ${Math.round(m.access.circleTargetShare * 1000) / 10}%。流动服务地区（000:1035）的人口单列，不计为空白。`, `15-minute basic medical service circle (003:31): the text sets no travel mode, speed, facility set or share; these are rule-set parameters (table below), target share ${Math.round(m.access.circleTargetShare * 1000) / 10}%. People in mobile-service areas (000:1035) are reported apart, not as gaps.`),
    bi('人口比例指标（每千人床位、医师、护士等）按常住人口计算；上级（自治区）指标在下级单位仅作参考，标注“参考（上级指标）”。', 'Per-population ratios (beds, doctors, nurses per 1,000 …) use resident population; a higher level’s target shown at a lower unit is indicative only and marked so.'),
  ];
  out += `<h3>${t(bi('定义', 'Definitions'))}</h3><ul class="defs">${definitions.map((d) => `<li>${t(d)}</li>`).join('')}</ul>`;
  out += htmlTable(tables.get('assumptions')!, lang, { columns: ['label', 'value', 'default', 'description'] });
  out += htmlTable(tables.get('documents')!, lang, { columns: ['ref', 'file', 'title', 'issuer', 'date', 'draft'] });
  out += htmlTable(tables.get('data_layers')!, lang);
  if (m.rulesNotEvaluated.length > 0) out += htmlTable(tables.get('rules_not_evaluated')!, lang);
  out += `<h3>${t(bi('数据文件', 'Data files'))}</h3><table class="data"><colgroup><col style="width:30%"><col style="width:32%"><col style="width:26%"><col style="width:12%"></colgroup><thead><tr><th>${t(bi('文件', 'File'))}</th><th>${t(bi('内容', 'Contents'))}</th><th>${t(bi('来源', 'Source'))}</th><th>${t(bi('许可', 'Licence'))}</th></tr></thead><tbody>`;
  out += m.datasets.map((d) => `<tr><td class="small">${esc(d.file)}</td><td>${esc(tr(d.what, lang))}</td><td class="small">${esc(d.source)}</td><td class="small">${esc(d.licence)}</td></tr>`).join('');
  return `${out}</tbody></table></section>`;
}

/** A CSS string literal (for the page margin boxes). */
function cssString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\n\r]/g, ' ')}"`;
}

function styles(m: ReportModel, lang: Lang): string {
  const header = `${m.unit.name} · ${tr(REPORT_TITLE, lang)}${m.scenario ? ` · ${m.scenario.name}` : ''}`;
  const [before, after] = tr(WORDS.page, lang).split('{page}') as [string, string];
  const [middle, end] = after.split('{pages}') as [string, string];
  return `
@page { size: A4; margin: 16mm 14mm 17mm 14mm;
  @top-right { content: ${cssString(header)}; font-size: 7.5pt; color: #607d8b; }
  @bottom-center { content: ${cssString(before)} counter(page) ${cssString(middle)} counter(pages) ${cssString(end)}; font-size: 8pt; color: #455a64; }
}
@page :first { @top-right { content: none; } }
:root { --ink: #1c2833; --muted: #5d6d7e; --line: #c5ced6; --head: #eef2f5; --fail: #b71c1c; --unknown: #8d6e00; --pass: #2e7d32; }
* { box-sizing: border-box; }
html { font-family: 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif; color: var(--ink); font-size: 9.5pt; line-height: 1.5; }
body { margin: 0; }
@media screen { body { background: #e9edf0; } main { max-width: 210mm; margin: 12px auto; background: #fff; padding: 16mm 14mm; box-shadow: 0 1px 4px rgba(0,0,0,.2); } }
h1 { font-size: 26pt; margin: 4mm 0 1mm; letter-spacing: .05em; }
h2 { font-size: 14pt; border-bottom: 1.5pt solid #263238; padding-bottom: 1.5mm; margin: 0 0 3mm; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 5mm 0 2mm; break-after: avoid; }
h3 .count { font-weight: 400; color: var(--muted); font-size: 8.5pt; margin-left: 2mm; }
p { margin: 1.5mm 0; orphans: 3; widows: 3; }
.chapter { break-before: page; }
.cover .kicker { color: var(--muted); font-size: 10pt; letter-spacing: .1em; margin-top: 8mm; }
.cover .subtitle { font-size: 15pt; color: #37474f; margin-bottom: 6mm; }
.warn { border: 1pt solid #e0a800; background: #fff8e1; padding: 2.5mm 3mm; margin: 4mm 0; break-inside: avoid; }
.memo { border-left: 3pt solid #1f4e9c; background: #f3f6fb; padding: 2.5mm 3.5mm; margin: 2mm 0 3mm; break-inside: avoid; }
.lead { font-size: 10pt; }
.note, .more { color: var(--muted); font-size: 8pt; }
.more { font-style: italic; }
.empty { color: var(--muted); }
.small { font-size: 7.5pt; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 1mm 0 2mm; }
thead { display: table-header-group; }
tr, .rule { break-inside: avoid; page-break-inside: avoid; }
th, td { border: .5pt solid var(--line); padding: .9mm 1.4mm; vertical-align: top; text-align: left; overflow-wrap: anywhere; word-break: normal; }
th { background: var(--head); font-weight: 700; font-size: 8pt; }
td { font-size: 8.3pt; }
.n { text-align: right; font-variant-numeric: tabular-nums; overflow-wrap: normal; }
table.facts { width: auto; min-width: 60%; }
table.facts th { width: 38mm; background: none; border: none; border-bottom: .5pt solid var(--line); font-size: 9pt; color: var(--muted); font-weight: 400; }
table.facts td { border: none; border-bottom: .5pt solid var(--line); font-size: 9.5pt; }
.cover-facts { width: 100% !important; }
tr.hot td { color: var(--fail); font-weight: 700; }
tr.total td { font-weight: 700; background: #f7f9fa; }
.rules .rt { font-weight: 700; }
.rid { color: var(--muted); font-size: 7pt; overflow-wrap: anywhere; }
.rules tr.sub td { background: #fafbfc; font-size: 7.6pt; color: #37474f; border-top: none; }
.rules tbody.rule tr:first-child td { border-bottom: none; }
.cite { display: block; }
.rnote { color: var(--muted); margin-top: .6mm; }
.badge { display: inline-block; padding: 0 1.2mm; border-radius: 1mm; font-size: 7.6pt; font-weight: 700; white-space: nowrap; }
.badge.st-fail { background: #ffebee; color: var(--fail); }
.badge.st-unknown { background: #fff8e1; color: var(--unknown); }
.badge.st-pass { background: #e8f5e9; color: var(--pass); }
.badge.st-na { background: #eceff1; color: var(--muted); }
ol.gaps li { margin: 1mm 0; }
ul.toc { list-style: none; padding-left: 2mm; margin: 0; }
table.compact th, table.compact td { padding: .4mm 1.4mm; }
.cite .file { color: var(--muted); font-size: 6.8pt; }
ul.defs li { margin: 1mm 0; }
.caption { font-weight: 700; font-size: 8.5pt; margin: 3mm 0 1mm; break-after: avoid; }
figure.map { margin: 0; }
figure.map svg { width: 100%; height: auto; max-height: 240mm; display: block; }
`;
}

export function renderReportHtml(m: ReportModel, lang: Lang): string {
  const tables = new Map(reportTables(m, lang).map((t) => [t.key, t]));
  const title = `${m.unit.name} · ${tr(REPORT_TITLE, lang)}${m.scenario ? ` · ${m.scenario.name}` : ''}`;
  return (
    `<!doctype html><html lang="${lang === 'en' ? 'en' : 'zh-CN'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${esc(title)}</title><style>${styles(m, lang)}</style></head><body><main>` +
    coverSection(m, lang) +
    summarySection(m, tables, lang) +
    mapSection(m, lang) +
    checklistSection(m, tables, lang) +
    accessSection(m, tables, lang) +
    clinicsSection(m, tables, lang) +
    scenarioSection(m, tables, lang) +
    appendixSection(m, tables, lang) +
    '</main></body></html>'
  );
}

