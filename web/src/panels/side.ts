/** The side panel: details (overview, unit, facility) and the scenario workbench, as two tabs. */
import { html, nothing, type TemplateResult } from 'lit-html';
import type { App } from '../app.ts';
import { fmt, L, t, type MessageKey } from '../i18n.ts';
import type { Loadable } from '../state.ts';
import type { Force, Rollup } from '../types.ts';
import { unitPanel } from './unit.ts';
import { facilityPanel } from './facility.ts';
import { workbenchPanel } from './workbench.ts';

export const FORCE_ORDER: Force[] = ['must', 'target', 'should', 'strive', 'may'];

/** A loadable's template: spinner text, error with retry, or the value. */
export function loaded<T>(value: Loadable<T>, ready: (v: T) => TemplateResult | typeof nothing, retry?: () => void): TemplateResult | typeof nothing {
  switch (value.status) {
    case 'idle':
      return nothing;
    case 'loading':
      return html`<p class="loading" role="status">${t('loading')}</p>`;
    case 'error':
      return html`<p class="error" role="alert">${t('failedToLoad', { message: value.message })} ${retry ? html`<button type="button" @click=${retry}>${t('retry')}</button>` : nothing}</p>`;
    case 'ready':
      return ready(value.value);
  }
}

export function forceBadge(force: Force) {
  return html`<span class="force force-${force}">${t(`force_${force}` as MessageKey)}</span>`;
}

export function syntheticBadge(synthetic: boolean) {
  return synthetic ? html`<span class="badge synthetic" title=${t('syntheticTitle')}>${t('synthetic')}</span>` : nothing;
}

function failCounts(rollup: Rollup) {
  return html`<ul class="force-counts">
    ${FORCE_ORDER.filter((f) => rollup.byForce[f].fail > 0).map((f) => html`<li>${forceBadge(f)} <strong>${fmt.int(rollup.byForce[f].fail)}</strong></li>`)}
    ${rollup.byStatus.unknown > 0 ? html`<li><span class="force force-unknown">${t('status_unknown')}</span> <strong>${fmt.int(rollup.byStatus.unknown)}</strong></li>` : nothing}
  </ul>`;
}

function overviewPanel(app: App) {
  return html`<section class="panel overview" aria-labelledby="overview-title">
    <h2 id="overview-title">${t('overviewTitle')}</h2>
    <p class="hint">${t('overviewHint')}</p>
    ${loaded(
      app.state.overview,
      (e) => html`<h3>${t('failingByForce')}</h3>
        ${failCounts(e.summary)}
        <h3>${t('worstFailures')}</h3>
        <ol class="worst">
          ${e.summary.worst.slice(0, 8).map(
            (w) => html`<li>
              ${forceBadge(w.force)}
              <button type="button" class="link" @click=${() => void app.selectUnit(w.unitCode, { fly: true })}>${w.unitName}</button>：${L(w.shortfall) || L(w.title)}
            </li>`,
          )}
        </ol>
        <h3>${t('leagues')}</h3>
        <table class="rollup">
          <thead>
            <tr>
              <th scope="col">${t('unit')}</th>
              ${FORCE_ORDER.slice(0, 3).map((f) => html`<th scope="col">${forceBadge(f)}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${e.children.map(
              (c) => html`<tr>
                <th scope="row"><button type="button" class="link" @click=${() => void app.selectUnit(c.unit.code, { fly: true })}>${c.unit.name}</button></th>
                ${FORCE_ORDER.slice(0, 3).map((f) => html`<td class="num">${c.byForce[f].fail ? fmt.int(c.byForce[f].fail) : '·'}</td>`)}
              </tr>`,
            )}
          </tbody>
        </table>
        <p class="meta">${t('evaluatedWith', { ruleSet: e.evaluation.ruleSet.name, data: e.evaluation.dataVersion })}${e.evaluation.synthetic ? html` · ${syntheticBadge(true)}` : nothing}</p>`,
      () => void app.loadOverview(),
    )}
  </section>`;
}

export function sidePanelTemplate(app: App) {
  const s = app.state;
  const scenarios = Boolean(s.config?.features.scenarios);
  const details = s.unit ? unitPanel(app, s.unit) : s.facility ? facilityPanel(app, s.facility) : overviewPanel(app);
  return html`${scenarios
      ? html`<div class="side-tabs" role="tablist" aria-label=${t('workbench')}>
          <button type="button" role="tab" id="tab-details" aria-selected=${String(s.sideTab === 'details')} aria-controls="side-details" @click=${() => ((s.sideTab = 'details'), app.render())}>
            ${s.unit || s.facility ? t('details') : t('overviewTitle')}
          </button>
          <button type="button" role="tab" id="tab-scenario" aria-selected=${String(s.sideTab === 'scenario')} aria-controls="side-scenario" @click=${() => ((s.sideTab = 'scenario'), app.render())}>
            ${t('workbench')}${s.scenario ? html` · <span class="tab-scenario-name">${s.scenario.name}</span>` : nothing}
          </button>
        </div>`
      : nothing}
    ${s.busy ? html`<div class="busy" role="status">${s.busy}</div>` : nothing}
    ${s.toast ? html`<div class="toast ${s.toast.kind}" role=${s.toast.kind === 'error' ? 'alert' : 'status'}>${s.toast.text}</div>` : nothing}
    <div id="side-details" role="tabpanel" aria-labelledby="tab-details" ?hidden=${scenarios && s.sideTab !== 'details'}>${details}</div>
    ${scenarios ? html`<div id="side-scenario" role="tabpanel" aria-labelledby="tab-scenario" ?hidden=${s.sideTab !== 'scenario'}>${workbenchPanel(app)}</div>` : nothing}`;
}

