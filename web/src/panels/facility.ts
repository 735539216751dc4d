/**
 * The facility panel: attributes, catchment population per access class,
 * nearest facilities of the same type; in a scenario the edits a consultant
 * makes on the map — close, move (drag), upgrade, merge with… (pick on map).
 */
import { html, nothing } from 'lit-html';
import type { App } from '../app.ts';
import { facilityIcon } from '../app.ts';
import { fmt, labels, t, type MessageKey } from '../i18n.ts';
import type { FacilityView } from '../state.ts';
import type { FacilityDetail } from '../types.ts';
import { loaded, syntheticBadge } from './side.ts';

const STAFF_KEYS = ['doctors', 'assistantDoctors', 'nurses', 'gps', 'tcmDoctors', 'villageDoctors', 'publicHealth'] as const;

function editActions(app: App, d: FacilityDetail) {
  const s = app.state;
  if (!s.scenario) {
    return html`<p class="hint">${app.canCreateScenario() ? t('noChanges') : t('scenarioNeedsRole')}</p>`;
  }
  if (!app.canEditScenario()) return html`<p class="hint">${t('readOnlyScenario')}</p>`;
  const edit = s.edit;
  const [lon, lat] = d.location.coordinates as [number, number];
  const changed = s.diff.status === 'ready' ? s.diff.value.facilities.find((f) => f.id === d.id) : undefined;
  const closed = changed?.what === 'closed' || changed?.what === 'merged_away' || d.status === 'closed';
  if (edit?.mode === 'move' && edit.facilityId === d.id) {
    return html`<div class="edit-box" role="group" aria-label=${t('actionMove')}>
      <p>${t('moveHint')}</p>
      <p class="meta">${edit.lngLat.lng.toFixed(5)}, ${edit.lngLat.lat.toFixed(5)}</p>
      <div class="nudge" aria-label=${t('nudgeMarker')}>
        <button type="button" class="small" aria-label="↑" @click=${() => app.nudgeMove(0, 1)}>↑</button>
        <button type="button" class="small" aria-label="↓" @click=${() => app.nudgeMove(0, -1)}>↓</button>
        <button type="button" class="small" aria-label="←" @click=${() => app.nudgeMove(-1, 0)}>←</button>
        <button type="button" class="small" aria-label="→" @click=${() => app.nudgeMove(1, 0)}>→</button>
      </div>
      <div class="actions">
        <button type="button" class="primary" id="confirm-move" @click=${() => void app.confirmMove()}>${t('moveConfirm')}</button>
        <button type="button" @click=${() => app.cancelEdit()}>${t('cancel')}</button>
      </div>
    </div>`;
  }
  if (edit?.mode === 'merge' && edit.facilityId === d.id) {
    const mixed = edit.picked.some((p) => p.type && p.type !== edit.type);
    return html`<div class="edit-box" role="group" aria-label=${t('actionMerge')}>
      <p>${t('mergeHint', { name: edit.name })}</p>
      <p id="merge-picked">${t('mergePicked', { names: edit.picked.map((p) => p.name).join('、') || t('none') })}</p>
      ${mixed
        ? html`<label class="check"><input type="checkbox" .checked=${edit.allowMixedTypes} @change=${(e: Event) => app.setAllowMixedTypes((e.target as HTMLInputElement).checked)} />${t('allowMixedTypes')}</label>`
        : nothing}
      <div class="actions">
        <button type="button" class="primary" id="confirm-merge" ?disabled=${edit.picked.length === 0} @click=${() => void app.confirmMerge()}>${t('mergeConfirm')}</button>
        <button type="button" @click=${() => app.cancelEdit()}>${t('cancel')}</button>
      </div>
    </div>`;
  }
  return html`<div class="actions scenario-actions" role="group" aria-label=${t('inScenario', { name: s.scenario.name })}>
    <button type="button" id="action-close" ?disabled=${closed} @click=${() => app.openDialog({ kind: 'close-facility', facility: { id: d.id, name: d.name }, error: null })}>${t('actionClose')}</button>
    <button type="button" id="action-move" ?disabled=${closed} @click=${() => app.startMove(d.id, d.name, lon, lat)}>${t('actionMove')}</button>
    <button type="button" id="action-upgrade" ?disabled=${closed} @click=${() => app.openDialog({ kind: 'upgrade', facility: d, error: null })}>${t('actionUpgrade')}</button>
    <button type="button" id="action-merge" ?disabled=${closed} @click=${() => app.startMerge(d.id, d.name, d.type)}>${t('actionMerge')}</button>
  </div>`;
}

export function facilityPanel(app: App, view: FacilityView) {
  return html`<section class="panel facility" aria-labelledby="facility-title">
    ${loaded(view.detail, (d) => {
      const changed = app.state.diff.status === 'ready' ? app.state.diff.value.facilities.find((f) => f.id === d.id) : undefined;
      return html`<header class="panel-head">
          <div class="title-row">
            <h2 id="facility-title"><img class="title-icon" src=${facilityIcon(d.type, d.status)} alt="" /> ${d.name} ${syntheticBadge(d.synthetic)}</h2>
            <button type="button" class="icon-button" aria-label=${t('close')} title=${t('close')} @click=${() => app.clearSelection()}>×</button>
          </div>
          <p class="meta">${labels.facilityType(d.type)} · ${t('code')} ${d.code}</p>
        </header>
        ${changed
          ? html`<p class="changed-note">${t('changedInScenario')}：<strong>${t(`what_${changed.what}` as MessageKey)}</strong>${changed.after && changed.before && changed.after.beds !== changed.before.beds ? ` · ${t('beds')} ${fmt.int(changed.before.beds)} → ${fmt.int(changed.after.beds)}` : ''}</p>`
          : nothing}
        <dl class="facts">
          <div><dt>${t('status')}</dt><dd>${labels.status(d.status)}</dd></div>
          <div><dt>${t('grade')}</dt><dd>${d.grade ? labels.grade(d.grade) : '—'}</dd></div>
          <div><dt>${t('ownership')}</dt><dd>${labels.ownership(d.ownership)}</dd></div>
          <div><dt>${t('beds')}</dt><dd>${fmt.int(d.beds)}</dd></div>
          <div class="wide">
            <dt>${t('unit')}</dt>
            <dd><button type="button" class="link" @click=${() => void app.selectUnit(d.unitCode)}>${d.unitName ?? d.unitCode}</button></dd>
          </div>
          <div class="wide">
            <dt>${t('staff')}</dt>
            <dd>
              ${STAFF_KEYS.filter((k) => (d.staff[k] ?? 0) > 0)
                .map((k) => `${t(`staff_${k}` as MessageKey)} ${fmt.int(d.staff[k])}`)
                .join('，') || '—'}
            </dd>
          </div>
          <div class="wide">
            <dt>${t('departments')}</dt>
            <dd>${d.departments.length ? d.departments.map((x) => labels.department(x)).join('、') : t('noDepartments')}${d.tcmHallLevel ? `；${labels.tcmHall(d.tcmHallLevel)}` : ''}</dd>
          </div>
          ${d.source ? html`<div class="wide"><dt>${t('source')}</dt><dd><small>${d.source}</small></dd></div>` : nothing}
          ${d.version ? html`<div><dt>${t('versionLabel')}</dt><dd>${d.version}</dd></div>` : nothing}
        </dl>
        ${app.state.scenario ? html`<h3>${t('inScenario', { name: app.state.scenario.name })}</h3>${editActions(app, d)}` : editActions(app, d)}
        <h3>${t('catchment')}</h3>
        ${loaded(view.catchments, (list) =>
          list.length === 0
            ? html`<p class="hint">—</p>`
            : html`<ul class="catchments">
                ${list.map(
                  (c) => html`<li>
                    <label class="check inline">
                      <input type="radio" name="reach-class" .checked=${view.reachClass === c.cls} @change=${() => app.setReachClass(c.cls)} />
                      ${t('catchmentOf', { class: c.name, n: fmt.int(c.props.population) })}
                    </label>
                    ${c.props.small ? html`<span class="badge warn">${t('under500')}</span>` : nothing}
                    <small>${c.props.populationPerDoctor ? ` · ${fmt.int(c.props.populationPerDoctor)} ${t('perDoctor')}` : ''}</small>
                  </li>`,
                )}
              </ul>
              <label class="check"><input type="checkbox" name="show-reach" .checked=${app.state.prefs.layers.reach} @change=${(e: Event) => app.setLayer('reach', (e.target as HTMLInputElement).checked)} />${t('showReach')}</label>`,
        )}
        <h3>${t('nearestAlternatives')}</h3>
        ${loaded(view.alternatives, (list) =>
          list.length === 0
            ? html`<p class="hint">—</p>`
            : html`<ol class="alternatives">
                ${list.map(
                  (a) => html`<li>
                    <button type="button" class="link" @click=${() => void app.selectFacility(a.facility.id)}>${a.facility.name}</button>
                    <small>${fmt.km(a.distanceM)}${a.facility.beds ? ` · ${t('beds')} ${fmt.int(a.facility.beds)}` : ''}</small>
                    ${app.state.edit?.mode === 'merge' && app.state.edit.facilityId === d.id
                      ? html`<button type="button" class="small" @click=${() => app.pickForMerge({ id: a.facility.id, name: a.facility.name, type: a.facility.type })}>${t('select')}</button>`
                      : nothing}
                  </li>`,
                )}
              </ol>`,
        )}`;
    })}
  </section>`;
}
