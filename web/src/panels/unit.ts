/**
 * The unit panel: what a planner needs to see why a place fails — population,
 * facilities by type, the rule checklist grouped by force with measured value,
 * target, shortfall and the policy text on demand, access figures with their
 * assumptions, merge candidates, sub-units, the printable report.
 */
import { html, nothing } from 'lit-html';
import type { App } from '../app.ts';
import { facilityIcon } from '../app.ts';
import { fmt, L, locale, labels, t, type MessageKey } from '../i18n.ts';
import type { UnitView } from '../state.ts';
import type { AccessUnitDetail, Assumption, EvaluationResponse, MergeAdvice, RuleResult, UnitDetail } from '../types.ts';
import { FORCE_ORDER, forceBadge, loaded, syntheticBadge } from './side.ts';
import { statusClassOf } from '../map/coverage-map.ts';

const STATUS_ORDER = { fail: 0, unknown: 1, pass: 2, not_applicable: 3 } as const;

function statusPill(status: RuleResult['status']) {
  return html`<span class="status status-${status}">${t(`status_${status}` as MessageKey)}</span>`;
}

export function ruleRow(app: App, view: UnitView | null, r: RuleResult, showUnit = false) {
  const key = `${r.ruleId}@${r.unit.code}`;
  const open = view?.openQuotes.has(key) ?? false;
  return html`<li class="rule rule-${r.status}" data-rule=${r.ruleId}>
    <div class="rule-head">
      ${statusPill(r.status)}
      <span class="rule-title">${L(r.title)}</span>
    </div>
    ${showUnit ? html`<div class="rule-unit"><button type="button" class="link" @click=${() => void app.selectUnit(r.unit.code)}>${r.unit.name}</button></div>` : nothing}
    <dl class="rule-figures">
      <div><dt>${t('measured')}</dt><dd>${L(r.measured.text) || '—'}</dd></div>
      ${r.target ? html`<div><dt>${t('targetLabel')}</dt><dd>${L(r.target.text)}</dd></div>` : nothing}
      ${r.shortfall ? html`<div class="shortfall"><dt>${t('shortfall')}</dt><dd>${L(r.shortfall.text)}</dd></div>` : nothing}
    </dl>
    ${r.indicative ? html`<p class="note">${t('indicative')}</p>` : nothing}
    ${r.notes.map((n) => html`<p class="note">${L(n)}</p>`)}
    ${r.facilities.count > 0 && r.status === 'fail'
      ? html`<p class="items">${r.facilities.items.slice(0, 5).map((f, i) => html`${i ? '、' : ''}<button type="button" class="link" @click=${() => typeof f.id === 'number' && void app.selectFacility(f.id)}>${f.name}</button>`)}${r.facilities.count > 5 ? ` …（${fmt.int(r.facilities.count)}）` : ''}</p>`
      : nothing}
    ${r.villages.count > 0 && r.status === 'fail'
      ? html`<p class="items">${r.villages.items.slice(0, 5).map((v, i) => html`${i ? '、' : ''}<button type="button" class="link" @click=${() => void app.selectUnit(v.code)}>${v.name}</button>`)}${r.villages.count > 5 ? ` …（${fmt.int(r.villages.count)}）` : ''}</p>`
      : nothing}
    <button type="button" class="quote-toggle" aria-expanded=${String(open)} @click=${() => app.toggleQuote(key)}>${open ? t('hideQuote') : t('showQuote')} · ${r.citations.map((c) => c.lineRange).join('，')}</button>
    ${open
      ? html`<div class="citations">
          ${r.citations.map(
            (c) => html`<figure class="citation">
              <blockquote lang="zh-CN">${c.quote}</blockquote>
              <figcaption>${L(c.document)}${c.draft ? '（征求意见稿）' : ''} · <code>${c.file}:${c.lines[0]}-${c.lines[1]}</code></figcaption>
            </figure>`,
          )}
          ${r.interpretation ? html`<p class="interpretation"><strong>${t('interpretation')}：</strong>${L(r.interpretation)}</p>` : nothing}
        </div>`
      : nothing}
  </li>`;
}

function rulesTab(app: App, view: UnitView, own: EvaluationResponse) {
  const results = own.results.filter((r) => r.unit.code === view.code && (!view.failingOnly || r.status === 'fail' || r.status === 'unknown'));
  const byForce = FORCE_ORDER.map((force) => ({
    force,
    results: results.filter((r) => r.force === force).sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.severity - a.severity),
  })).filter((g) => g.results.length > 0);
  return html`<div class="rules">
    <label class="check inline"><input type="checkbox" name="failing-only" .checked=${view.failingOnly} @change=${() => app.toggleFailingOnly()} />${t('onlyFailing')}</label>
    ${byForce.length === 0 ? html`<p class="hint">${t('noRules')}</p>` : nothing}
    ${byForce.map((g) => {
      const fails = g.results.filter((r) => r.status === 'fail').length;
      return html`<section class="force-group">
        <h4>${forceBadge(g.force)} <span class="count">${fails ? html`<strong class="fail">${fmt.int(fails)}</strong> / ` : nothing}${fmt.int(g.results.length)}</span></h4>
        <ul class="rule-list">${g.results.map((r) => ruleRow(app, view, r))}</ul>
      </section>`;
    })}
    ${loaded(view.subtreeFails, (sub) => {
      const below = sub.results.filter((r) => r.unit.code !== view.code);
      if (below.length === 0) return nothing;
      return html`<section class="force-group subtree">
        <h4>${t('failingBelow')} <span class="count">${fmt.int(sub.summary.byStatus.fail - (sub.results.length - below.length))}</span></h4>
        <ul class="rule-list">${below.slice(0, 60).map((r) => ruleRow(app, view, r, true))}</ul>
        ${sub.numberMatched > sub.numberReturned ? html`<p class="hint">${t('moreResults', { n: fmt.int(sub.numberMatched - sub.numberReturned) })}</p>` : nothing}
      </section>`;
    })}
    <p class="meta">${t('evaluatedWith', { ruleSet: own.evaluation.ruleSet.name, data: own.evaluation.dataVersion })}${own.evaluation.scenario ? ` · ${t('scenario')} #${own.evaluation.scenario.id} v${own.evaluation.scenario.version}` : ''}</p>
  </div>`;
}

export function assumptionsList(assumptions: readonly Assumption[]) {
  return html`<details class="assumptions">
    <summary>${t('assumptions')}（${assumptions.length}）</summary>
    <dl>
      ${assumptions.map(
        (a) => html`<div>
          <dt>${L(a.label)} ${a.basis ? html`<span class="basis basis-${a.basis}">${t(`basis_${a.basis}` as MessageKey)}</span>` : nothing}</dt>
          <dd><strong>${typeof a.value === 'object' ? JSON.stringify(a.value) : String(a.value)}</strong> — ${L(a.description)}</dd>
        </div>`,
      )}
    </dl>
  </details>`;
}

function accessTab(app: App, access: AccessUnitDetail) {
  const c = access.circle;
  return html`<div class="access">
    <p class="travel">${L(access.travel)}</p>
    ${c.status !== 'not_applicable'
      ? html`<p class="circle">${statusPill(c.status)} <strong>${t('circle')}</strong>：${t('circleStatus', { share: fmt.pct(c.share), target: fmt.pct(c.target, 0) })}${c.shortfallPeople ? ` · ${t('gap')} ${fmt.int(c.shortfallPeople)}` : ''}</p>`
      : nothing}
    <table class="access-table">
      <thead>
        <tr>
          <th scope="col">${t('accessClass_col')}</th>
          <th scope="col">${t('shareCovered')}</th>
          <th scope="col">${t('gap')}</th>
          <th scope="col">${t('mobile')}</th>
          <th scope="col">${t('meanMinutes')}</th>
          <th scope="col">${t('p90Minutes')}</th>
        </tr>
      </thead>
      <tbody>
        ${access.classes.map(
          (k) => html`<tr>
            <th scope="row">${L(k.class.name)}<br /><small>${L(k.class.limitText)}</small></th>
            <td class="num">${fmt.pct(k.figures.shareCovered)}</td>
            <td class="num ${k.figures.gap > 0 ? 'fail' : ''}">${fmt.int(k.figures.gap)}</td>
            <td class="num">${fmt.int(k.figures.mobile)}</td>
            <td class="num">${fmt.minutes(k.figures.meanMinutes)}</td>
            <td class="num">${fmt.minutes(k.figures.p90Minutes)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${(() => {
      const cls = access.classes.find((k) => k.class.key === app.state.prefs.accessClass) ?? access.classes[0];
      if (!cls || cls.villagesOutOfReach.length === 0) return nothing;
      return html`<h4>${t('villagesOutOfReach')}（${L(cls.class.name)}）</h4>
        <ol class="villages">
          ${cls.villagesOutOfReach.map((v) => html`<li><button type="button" class="link" @click=${() => void app.selectUnit(v.code, { fly: true })}>${v.name}</button> · ${t('gap')} ${fmt.int(v.gap)} / ${fmt.int(v.population)}</li>`)}
        </ol>`;
    })()}
    ${access.provenance.note ? html`<p class="note">${L(access.provenance.note)}</p>` : nothing}
    ${assumptionsList(access.assumptions)}
  </div>`;
}

export function adviceList(app: App, advice: MergeAdvice) {
  const canAccept = app.canEditScenario();
  return html`<div class="advice">
    <p class="hint">${L(advice.ranking)}</p>
    ${advice.candidates.length === 0 ? html`<p>${t('mergeNone')}</p>` : nothing}
    <ol class="candidates">
      ${advice.candidates.map(
        (c) => html`<li class="candidate" data-key=${c.key}>
          <div class="candidate-head"><span class="badge">${L(c.reasonText)}</span></div>
          <p>
            <button type="button" class="link" @click=${() => void app.selectFacility(c.facility.id)}>${c.facility.name}</button>
            ${c.facility.catchment !== null ? html`<small>（${fmt.int(c.facility.catchment)} ${t('people')}）</small>` : nothing} →
            <button type="button" class="link" @click=${() => void app.selectFacility(c.partner.id)}>${c.partner.name}</button>
            <small>${fmt.km(c.partner.distanceM)}</small>
          </p>
          ${c.village ? html`<p class="meta">${c.village.name} · ${fmt.int(c.village.population)} ${t('people')}</p>` : nothing}
          ${c.effect
            ? html`<p class=${c.effect.newlyFailing > 0 ? 'effect bad' : 'effect'}>${t('mergeEffect', { fail: c.effect.newlyFailing, fixed: c.effect.fixed, losing: fmt.int(c.effect.losingAnyClass) })}</p>`
            : nothing}
          ${c.problem ? html`<p class="note">${L(c.problem)}</p>` : nothing}
          <button
            type="button"
            class="primary small accept"
            ?disabled=${!canAccept || c.problem !== null}
            title=${canAccept ? t('mergeAcceptTitle') : t('mergeNeedsScenario')}
            @click=${() => void app.acceptCandidate(c.change as unknown as Record<string, unknown>)}
          >
            ${t('mergeAccept')}
          </button>
        </li>`,
      )}
    </ol>
    ${!canAccept ? html`<p class="hint">${t('mergeNeedsScenario')}</p>` : nothing}
  </div>`;
}

function childrenTab(app: App, detail: UnitDetail) {
  return html`<ul class="children">
    ${detail.children.map((c) => {
      const status = statusClassOf(app.statOf(c.code));
      return html`<li>
        <span class="dot status-dot-${status}" aria-hidden="true"></span>
        <button type="button" class="link" @click=${() => void app.selectUnit(c.code, { fly: true })}>${c.name}</button>
        <span class="num">${fmt.int(c.population)}</span>
      </li>`;
    })}
  </ul>`;
}

function header(app: App, view: UnitView, d: UnitDetail) {
  const reports = app.state.config?.features.reports;
  const reportUrl = (format: 'html' | 'pdf' | 'xlsx') =>
    app.api.url(reports!.replace(':unit', encodeURIComponent(d.code)), { format, lang: locale() === 'en' ? 'en' : 'zh', ruleSet: app.state.ruleSet?.id, scenario: app.state.scenario?.id });
  const own = view.own.status === 'ready' ? view.own.value : null;
  return html`<header class="panel-head">
    <nav class="breadcrumb" aria-label=${t('parentUnits')}>
      ${d.parentChain.map((p) => html`<button type="button" class="link" @click=${() => void app.selectUnit(p.code, { fly: true })}>${p.name}</button> › `)}
    </nav>
    <div class="title-row">
      <h2 id="unit-title">${d.name} ${syntheticBadge(d.synthetic)}</h2>
      <button type="button" class="icon-button" aria-label=${t('close')} title=${t('close')} @click=${() => app.clearSelection()}>×</button>
    </div>
    <p class="meta">${labels.level(d.level)}${d.kind ? ` · ${d.kind}` : ''} · ${t('code')} ${d.code}</p>
    <div class="actions">
      <button type="button" class="small" @click=${() => app.main?.flyToUnit(d.bbox, d.point ? (d.point.coordinates as [number, number]) : null, d.level)}>${t('zoomTo')}</button>
      ${reports
        ? html`<a class="button small" id="report-link" href=${reportUrl('html')} target="_blank" rel="noopener">${t('openReport')}</a>
            <a class="button small" href=${reportUrl('pdf')} target="_blank" rel="noopener">PDF</a>
            <a class="button small" href=${reportUrl('xlsx')} download>Excel</a>`
        : nothing}
      ${own
        ? html`<a class="button small" href=${app.api.url('/api/evaluations/export', { unit: d.code, format: 'xlsx', ruleSet: app.state.ruleSet?.id, scenario: app.state.scenario?.id })} download>${t('exportRules')}</a>`
        : nothing}
    </div>
  </header>`;
}

export function unitPanel(app: App, view: UnitView) {
  return html`<section class="panel unit" aria-labelledby="unit-title">
    ${loaded(view.detail, (d) => {
      const counts = Object.entries(d.facilityCounts).sort((a, b) => b[1] - a[1]);
      const tabs: { key: UnitView['tab']; label: string; show: boolean }[] = [
        { key: 'rules', label: t('tabRules'), show: true },
        { key: 'access', label: t('tabAccess'), show: true },
        { key: 'merge', label: t('tabMerge'), show: Boolean(app.state.config?.features.mergeAdvisor) && (d.level === 'banner' || d.level === 'township') },
        { key: 'children', label: `${t('tabChildren')}（${d.children.length}）`, show: d.children.length > 0 },
      ];
      return html`${header(app, view, d)}
        <dl class="facts">
          <div><dt>${t('population')}</dt><dd>${fmt.int(d.population)} ${t('people')}${d.populationYear ? html` <small>（${d.populationYear}）</small>` : nothing}</dd></div>
          ${d.populationUrban !== null ? html`<div><dt>${t('populationUrban')}</dt><dd>${fmt.int(d.populationUrban)} ${t('people')}</dd></div>` : nothing}
          ${d.areaKm2 !== null ? html`<div><dt>${t('area')}</dt><dd>${fmt.int(d.areaKm2)} ${t('km2')}</dd></div>` : nothing}
          ${d.density !== null ? html`<div><dt>${t('density')}</dt><dd>${fmt.num(d.density)} ${t('perKm2')}</dd></div>` : nothing}
          ${d.populationSource ? html`<div class="wide"><dt>${t('source')}</dt><dd><small>${d.populationSource}</small></dd></div>` : nothing}
        </dl>
        <h3>${t('facilitiesByType')}</h3>
        ${counts.length === 0
          ? html`<p class="hint">${t('noFacilities')}</p>`
          : html`<ul class="facility-counts">
              ${counts.map(([type, n]) => html`<li><img src=${facilityIcon(type)} alt="" /> ${labels.facilityType(type)} <strong>${fmt.int(n)}</strong></li>`)}
            </ul>`}
        <div class="tabs" role="tablist" aria-label=${d.name}>
          ${tabs
            .filter((x) => x.show)
            .map(
              (x) => html`<button type="button" role="tab" id=${`unit-tab-${x.key}`} aria-selected=${String(view.tab === x.key)} @click=${() => app.setUnitTab(x.key)}>${x.label}</button>`,
            )}
        </div>
        <div class="tab-body" role="tabpanel" aria-labelledby=${`unit-tab-${view.tab}`}>
          ${view.tab === 'rules' ? loaded(view.own, (own) => rulesTab(app, view, own), () => void app.selectUnit(view.code)) : nothing}
          ${view.tab === 'access' ? loaded(view.access, (a) => accessTab(app, a), () => void app.selectUnit(view.code)) : nothing}
          ${view.tab === 'merge'
            ? view.advice.status === 'loading'
              ? html`<p class="loading" role="status">${t('mergeLoading')}</p>`
              : loaded(view.advice, (a) => adviceList(app, a), () => void app.loadAdvice())
            : nothing}
          ${view.tab === 'children' ? childrenTab(app, d) : nothing}
        </div>`;
    })}
  </section>`;
}

