/**
 * The scenario workbench: pick or create a scenario, its change list (reorder,
 * remove), the comparison with the baseline (the diff list and the summary
 * paragraph), and the switch to the side-by-side compare view.
 */
import { html, nothing } from 'lit-html';
import type { App } from '../app.ts';
import { fmt, L, t, type MessageKey } from '../i18n.ts';
import type { RuleChange, ScenarioDiff } from '../types.ts';
import { forceBadge, loaded } from './side.ts';

function ruleChangeRow(app: App, c: RuleChange) {
  const side = (s: RuleChange['before']) =>
    html`<span class="status status-${s.status ?? 'unknown'}">${s.status ? t(`status_${s.status}` as MessageKey) : '—'}</span> ${L(s.shortfallText) || L(s.measuredText)}`;
  return html`<li class="rule-change ${c.direction}">
    <div>${forceBadge(c.force)} <button type="button" class="link" @click=${() => void app.selectUnit(c.unit.code)}>${c.unit.name}</button>：${L(c.title)}</div>
    <div class="before-after">${side(c.before)} <span aria-hidden="true">→</span><span class="visually-hidden">${t('confirm')}</span> ${side(c.after)}</div>
  </li>`;
}

function diffView(app: App, d: ScenarioDiff) {
  const newly = d.rules.changes.filter((c) => c.direction === 'newly_failing');
  const fixed = d.rules.changes.filter((c) => c.direction === 'fixed');
  const other = d.rules.changes.filter((c) => c.direction === 'status' || c.direction === 'value');
  const exportUrl = (format: string) => app.api.url(`/api/scenarios/${d.scenario?.id}/diff/export`, { format, ruleSet: app.state.ruleSet?.id });
  return html`<section class="diff" aria-labelledby="diff-title">
    <h3 id="diff-title">${t('diffTitle')}</h3>
    <figure class="summary">
      <figcaption>${t('diffSummary')}</figcaption>
      <p id="diff-summary">${L(d.summary)}</p>
      <button
        type="button"
        class="small"
        @click=${async () => {
          try {
            await navigator.clipboard.writeText(L(d.summary));
            app.toast(t('copied'));
          } catch {
            app.toast(L(d.summary));
          }
        }}
      >
        ${t('copy')}
      </button>
    </figure>
    <h4>${t('diffRules')}</h4>
    <ul class="diff-counts">
      <li class="bad">${t('newlyFailing')} <strong id="diff-newly-failing">${fmt.int(d.rules.newlyFailing)}</strong></li>
      <li class="good">${t('fixed')} <strong id="diff-fixed">${fmt.int(d.rules.fixed)}</strong></li>
      <li>${t('otherChanges')} <strong>${fmt.int(d.rules.otherStatusChanges + d.rules.valueChanges)}</strong></li>
    </ul>
    ${newly.length ? html`<ul class="rule-changes">${newly.slice(0, 30).map((c) => ruleChangeRow(app, c))}</ul>` : nothing}
    ${fixed.length ? html`<ul class="rule-changes">${fixed.slice(0, 30).map((c) => ruleChangeRow(app, c))}</ul>` : nothing}
    ${other.length
      ? html`<details>
          <summary>${t('otherChanges')}（${other.length}）</summary>
          <ul class="rule-changes">${other.slice(0, 60).map((c) => ruleChangeRow(app, c))}</ul>
        </details>`
      : nothing}
    <h4>${t('diffAccess')}</h4>
    <table class="access-diff">
      <thead>
        <tr>
          <th scope="col"></th>
          <th scope="col">${t('losing')}</th>
          <th scope="col">${t('gaining')}</th>
          <th scope="col">${t('over5')}</th>
          <th scope="col">${t('over15')}</th>
          <th scope="col">${t('over30')}</th>
        </tr>
      </thead>
      <tbody>
        ${d.access.map(
          (a) => html`<tr>
            <th scope="row">${L(a.class.name)}<br /><small>${L(a.class.limitText)}</small></th>
            <td class="num ${a.totals.losing > 0 ? 'fail' : ''}">${fmt.int(a.totals.losing)}</td>
            <td class="num ${a.totals.gaining > 0 ? 'pass' : ''}">${fmt.int(a.totals.gaining)}</td>
            <td class="num">${fmt.int(a.totals.over5)}</td>
            <td class="num">${fmt.int(a.totals.over15)}</td>
            <td class="num">${fmt.int(a.totals.over30)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    <h4>${t('diffFacilities')}</h4>
    <ul class="facility-changes">
      ${d.facilities.map(
        (f) => html`<li>
          <span class="badge what-${f.what}">${t(`what_${f.what}` as MessageKey)}</span>
          <button type="button" class="link" @click=${() => void app.selectFacility(f.id)}>${f.name}</button>
          ${f.before && f.after && f.before.beds !== f.after.beds ? html`<small>${t('beds')} ${fmt.int(f.before.beds)} → ${fmt.int(f.after.beds)}</small>` : nothing}
        </li>`,
      )}
    </ul>
    <div class="actions">
      <a class="button small" href=${exportUrl('xlsx')} download>${t('exportDiff')} XLSX</a>
      <a class="button small" href=${exportUrl('csv')} download>CSV</a>
    </div>
    <p class="meta">${t('reevaluated', { ms: fmt.int(d.evaluation.scenario.totalMs), units: fmt.int(d.evaluation.scenario.unitsReevaluated) })}${d.truncated ? ' · …' : ''}</p>
  </section>`;
}

export function workbenchPanel(app: App) {
  const s = app.state;
  const scenario = s.scenario;
  const canEdit = app.canEditScenario();
  const own = scenario?.changes ?? [];
  const ownIds = own.filter((c) => !c.inherited).map((c) => c.id);
  return html`<section class="panel workbench" aria-labelledby="workbench-title">
    <div class="title-row">
      <h2 id="workbench-title">${t('workbench')}</h2>
      ${app.canCreateScenario()
        ? html`<button type="button" class="primary small" id="new-scenario" @click=${() => app.openDialog({ kind: 'new-scenario', error: null })}>＋ ${t('newScenario')}</button>`
        : nothing}
    </div>
    ${!app.canCreateScenario() ? html`<p class="hint">${t('scenarioNeedsRole')}</p>` : nothing}
    ${s.scenarios.length === 0 && !scenario ? html`<p class="hint">${t('noScenario')}</p>` : nothing}
    ${s.scenarios.length > 0
      ? html`<ul class="scenario-list" aria-label=${t('chooseScenario')}>
          ${s.scenarios.map(
            (sc) => html`<li class=${scenario?.id === sc.id ? 'active' : ''}>
              <button type="button" class="link" aria-current=${scenario?.id === sc.id ? 'true' : 'false'} @click=${() => void app.chooseScenario(scenario?.id === sc.id ? null : sc.id)}>${sc.name}</button>
              <small>${sc.owner ?? ''} · v${sc.version} · ${fmt.int(sc.changes)}</small>
            </li>`,
          )}
        </ul>`
      : nothing}
    ${scenario
      ? html`<section class="scenario" aria-labelledby="scenario-title">
          <div class="title-row">
            <h3 id="scenario-title">${scenario.name} <small>v${scenario.version}</small></h3>
            <button type="button" class=${s.compare ? 'primary small' : 'small'} id="compare-toggle" aria-pressed=${String(s.compare)} @click=${() => app.setCompare(!s.compare)}>
              ${s.compare ? t('compareOff') : t('compare')}
            </button>
          </div>
          ${s.compare ? html`<p class="hint">${t('compareOn')}</p>` : nothing}
          ${scenario.description ? html`<p>${scenario.description}</p>` : nothing}
          ${!canEdit ? html`<p class="hint">${t('readOnlyScenario')}</p>` : nothing}
          <h4>${t('changes')}</h4>
          ${own.length === 0 ? html`<p class="hint">${t('noChanges')}</p>` : nothing}
          <ol class="changes" id="change-list">
            ${own.map((c) => {
              const i = ownIds.indexOf(c.id);
              return html`<li class=${c.conflict ? 'conflict' : ''} data-change=${String(c.id)}>
                <span class="change-text">${L(c.summary)}</span>
                ${c.inherited ? html`<small class="meta">${t('inherited')}</small>` : nothing}
                ${c.conflict ? html`<p class="note">${t('conflict', { reason: c.conflict.map((p) => L(p)).join('；') })}</p>` : nothing}
                ${canEdit && !c.inherited
                  ? html`<span class="change-actions">
                      <button type="button" class="icon-button" aria-label=${t('moveUp')} title=${t('moveUp')} ?disabled=${i <= 0} @click=${() => void app.moveChange(c.id, -1)}>↑</button>
                      <button type="button" class="icon-button" aria-label=${t('moveDown')} title=${t('moveDown')} ?disabled=${i < 0 || i >= ownIds.length - 1} @click=${() => void app.moveChange(c.id, 1)}>↓</button>
                      <button type="button" class="icon-button danger" aria-label=${t('remove')} title=${t('remove')} @click=${() => void app.removeChange(c.id)}>×</button>
                    </span>`
                  : nothing}
              </li>`;
            })}
          </ol>
          ${loaded(s.diff, (d) => diffView(app, d), () => void app.loadDiff())}
          ${scenario.access === 'owner'
            ? html`<p><button type="button" class="small danger" @click=${() => app.openDialog({ kind: 'confirm-delete', scenario: { id: scenario.id, name: scenario.name, version: scenario.version } })}>${t('deleteScenario')}</button></p>`
            : nothing}
        </section>`
      : nothing}
  </section>`;
}
