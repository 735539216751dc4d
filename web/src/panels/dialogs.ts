/**
 * Modal dialogs (one native <dialog>, so Esc and focus handling come from the
 * browser): rule-set settings, import (upload → validation table → confirm),
 * export, new scenario, upgrade/close a facility in a scenario, the stale
 * version conflict, confirmations.
 */
import { html, nothing } from 'lit-html';
import { ApiError } from '../api.ts';
import type { App } from '../app.ts';
import { fmt, L, labels, locale, t, type MessageKey } from '../i18n.ts';
import type { DialogState, RuleSetDraft } from '../state.ts';
import type { FacilityDetail, ImportProblem, RuleSet } from '../types.ts';
import { DEPARTMENT_LABELS, GRADES, TCM_HALL_LEVELS } from '../../../server/domain/taxonomy.ts';

const TRAVEL_MODES = ['walk', 'bicycle', 'motorbike', 'car'] as const;

function dialogFrame(app: App, title: string, body: unknown, footer: unknown, wide = false) {
  return html`<div class=${wide ? 'dialog-body wide' : 'dialog-body'}>
    <header class="dialog-head">
      <h2 id="dialog-title">${title}</h2>
      <button type="button" class="icon-button" aria-label=${t('close')} title=${t('close')} @click=${() => app.closeDialog()}>×</button>
    </header>
    <div class="dialog-content">${body}</div>
    <footer class="dialog-foot">${footer}</footer>
  </div>`;
}

// ── rule-set settings ───────────────────────────────────────────────────────

function draftOf(rs: RuleSet): RuleSetDraft {
  const a = rs.params.access;
  return {
    name: rs.name,
    targetYear: rs.targetYear,
    urbanMode: a.urbanMode,
    urbanSpeedKmh: a.urbanSpeedKmh,
    ruralMode: a.ruralMode,
    ruralSpeedKmh: a.ruralSpeedKmh,
    detourFactor: a.detourFactor,
    adjacencyMetres: rs.params.rules.adjacencyMetres,
    disabledRules: new Set(rs.disabledRules),
  };
}

async function copyRuleSet(app: App, state: Extract<DialogState, { kind: 'settings' }>, from: RuleSet): Promise<void> {
  try {
    const copy = await app.api.createRuleSet({ name: t('copyName', { name: from.name.split(' · ')[0]! }).slice(0, 200), basedOn: from.id });
    await app.reloadRuleSets();
    await app.useRuleSet(copy.id);
    state.ruleSet = copy;
    state.draft = draftOf(copy);
    state.error = null;
  } catch (error) {
    state.error = app.messageOf(error);
  }
  app.render();
}

async function saveRuleSet(app: App, state: Extract<DialogState, { kind: 'settings' }>): Promise<void> {
  const rs = state.ruleSet;
  const d = state.draft;
  if (!rs || !d) return;
  try {
    const updated = await app.api.updateRuleSet(rs.id, {
      version: rs.version,
      name: d.name,
      targetYear: d.targetYear,
      params: {
        rules: { adjacencyMetres: d.adjacencyMetres },
        access: { urbanMode: d.urbanMode, urbanSpeedKmh: d.urbanSpeedKmh, ruralMode: d.ruralMode, ruralSpeedKmh: d.ruralSpeedKmh, detourFactor: d.detourFactor },
      },
      disabledRules: [...d.disabledRules],
    });
    state.ruleSet = updated;
    state.draft = draftOf(updated);
    state.error = null;
    state.message = t('saved');
    app.render();
    await app.reloadRuleSets();
    await app.useRuleSet(updated.id);
  } catch (error) {
    state.error = error instanceof ApiError && error.isConflict ? `${app.messageOf(error)}` : app.messageOf(error);
    app.render();
  }
}

function settingsDialog(app: App, state: Extract<DialogState, { kind: 'settings' }>) {
  const s = app.state;
  if (!state.ruleSet && s.ruleSet) state.ruleSet = s.ruleSet;
  const rs = state.ruleSet;
  const editable = Boolean(rs?.editable);
  if (rs && editable && !state.draft) state.draft = draftOf(rs);
  const d = state.draft;
  const num = (key: keyof RuleSetDraft) => (e: Event) => {
    if (!d) return;
    const v = Number((e.target as HTMLInputElement).value);
    if (Number.isFinite(v)) (d as unknown as Record<string, number>)[key] = v;
  };
  const topics = new Map<string, { label: string; rules: { id: string; title: string; force: string }[] }>();
  for (const r of s.rules?.rules ?? []) {
    const group = topics.get(r.topic) ?? { label: L(r.topicLabel), rules: [] };
    group.rules.push({ id: r.id, title: L(r.title), force: r.force });
    topics.set(r.topic, group);
  }
  const body = html`<div class="settings">
    <section>
      <h3>${t('ruleSetList')}</h3>
      <ul class="ruleset-list">
        ${s.ruleSets.map(
          (r) => html`<li>
            <span>${r.name} <small>· ${r.targetYear} · v${r.version}${r.owner ? ` · ${r.owner}` : ''}</small></span>
            ${s.ruleSet?.id === r.id
              ? html`<span class="badge">${t('inUse')}</span>`
              : html`<button
                  type="button"
                  class="small"
                  @click=${async () => {
                    await app.useRuleSet(r.id);
                    state.ruleSet = app.state.ruleSet;
                    state.draft = null;
                    app.render();
                  }}
                >
                  ${t('useRuleSet')}
                </button>`}
          </li>`,
        )}
      </ul>
    </section>
    ${rs && !editable
      ? html`<p class="hint">${rs.isDefault ? t('defaultReadOnly') : t('notYours')}</p>
          <button type="button" class="primary" id="copy-ruleset" @click=${() => void copyRuleSet(app, state, rs)}>${t('copyRuleSet')}</button>`
      : nothing}
    ${rs && d
      ? html`<form
          id="ruleset-form"
          @submit=${(e: Event) => {
            e.preventDefault();
            void saveRuleSet(app, state);
          }}
        >
          <label class="field">${t('ruleSetName')} <input name="name" required maxlength="200" .value=${d.name} @input=${(e: Event) => (d.name = (e.target as HTMLInputElement).value)} /></label>
          <fieldset class="inline-fields">
            <legend>${t('targetYear')}</legend>
            ${[2025, 2030].map(
              (y) => html`<label class="check inline"><input type="radio" name="targetYear" value=${String(y)} .checked=${d.targetYear === y} @change=${() => (d.targetYear = y)} />${y}</label>`,
            )}
          </fieldset>
          <fieldset>
            <legend>${t('travel')}</legend>
            ${(['urban', 'rural'] as const).map(
              (k) => html`<div class="inline-fields">
                <label class="field"
                  >${t(k === 'urban' ? 'urbanMode' : 'ruralMode')}
                  <select name=${`${k}Mode`} @change=${(e: Event) => ((d as unknown as Record<string, string>)[`${k}Mode`] = (e.target as HTMLSelectElement).value)}>
                    ${TRAVEL_MODES.map((m) => html`<option value=${m} ?selected=${d[`${k}Mode`] === m}>${t(`mode_${m}` as MessageKey)}</option>`)}
                  </select></label
                >
                <label class="field"
                  >${t('speedKmh')}
                  <input name=${`${k}SpeedKmh`} type="number" min="1" max="150" step="0.5" required .value=${String(d[`${k}SpeedKmh`])} @input=${num(`${k}SpeedKmh`)}
                /></label>
              </div>`,
            )}
            <label class="field">${t('detourFactor')} <input name="detourFactor" type="number" min="1" max="3" step="0.05" required .value=${String(d.detourFactor)} @input=${num('detourFactor')} /></label>
          </fieldset>
          <label class="field"
            >${t('adjacency')}
            <input name="adjacencyMetres" type="number" min="100" max="50000" step="100" required .value=${String(d.adjacencyMetres)} @input=${num('adjacencyMetres')} />
            <small>${t('adjacencyHint')}</small></label
          >
          <fieldset class="rules-enabled">
            <legend>${t('enabledRules')}</legend>
            ${[...topics.values()].map(
              (g) => html`<details>
                <summary>${g.label}（${g.rules.filter((r) => !d.disabledRules.has(r.id)).length}/${g.rules.length}）</summary>
                ${g.rules.map(
                  (r) => html`<label class="check"
                    ><input
                      type="checkbox"
                      name="rule"
                      value=${r.id}
                      .checked=${!d.disabledRules.has(r.id)}
                      @change=${(e: Event) => {
                        if ((e.target as HTMLInputElement).checked) d.disabledRules.delete(r.id);
                        else d.disabledRules.add(r.id);
                        app.render();
                      }}
                    />${r.title} <small class="force force-${r.force}">${t(`force_${r.force}` as MessageKey)}</small></label
                  >`,
                )}
              </details>`,
            )}
          </fieldset>
        </form>`
      : nothing}
    ${rs ? html`<details class="assumptions"><summary>${t('assumptions')}</summary><dl>${rs.assumptions.map((a) => html`<div><dt>${L(a.label)}</dt><dd><strong>${String(typeof a.value === 'object' ? JSON.stringify(a.value) : a.value)}</strong> — ${L(a.description)}</dd></div>`)}</dl></details>` : nothing}
    ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : nothing}
    ${state.message ? html`<p class="ok" role="status">${state.message}</p>` : nothing}
  </div>`;
  const footer = html`${d ? html`<button type="submit" form="ruleset-form" class="primary" id="save-ruleset">${t('saveAndEvaluate')}</button>` : nothing}
    <button type="button" @click=${() => app.closeDialog()}>${t('close')}</button>`;
  return dialogFrame(app, t('settingsTitle'), body, footer, true);
}

// ── import ──────────────────────────────────────────────────────────────────

function problemRows(problems: ImportProblem[]) {
  return html`<table class="problems" id="import-problems">
    <thead>
      <tr>
        <th scope="col">${t('importRow')}</th>
        <th scope="col">${t('importColumn')}</th>
        <th scope="col">${t('importValue')}</th>
        <th scope="col">${t('importReason')}</th>
      </tr>
    </thead>
    <tbody>
      ${problems.map(
        (p) => html`<tr>
          <td class="num">${p.row ?? '—'}</td>
          <td>${p.column ?? p.field ?? '—'}</td>
          <td><code>${p.value === undefined || p.value === null ? '' : String(p.value)}</code></td>
          <td>${locale() === 'en' ? p.en : p.zh}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

async function runImport(app: App, state: Extract<DialogState, { kind: 'import' }>, mode: 'validate' | 'commit'): Promise<void> {
  if (!state.file) return;
  state.busy = mode === 'validate' ? t('validating') : t('committing');
  state.error = null;
  state.problems = null;
  if (mode === 'validate') {
    state.report = null;
    state.committed = null;
  }
  app.render();
  try {
    const report = await app.api.importFile(state.kind_, state.file, { mode, encoding: state.encoding === 'auto' ? undefined : state.encoding, crs: state.crs });
    if (mode === 'validate') state.report = report;
    else {
      state.committed = report;
      state.report = null;
      state.busy = null;
      app.render();
      await app.afterDataChanged();
    }
  } catch (error) {
    if (error instanceof ApiError && (error.status === 422 || error.status === 400) && error.details.length > 0) state.problems = error.details;
    state.error = app.messageOf(error);
  }
  state.busy = null;
  app.render();
}

function importDialog(app: App, state: Extract<DialogState, { kind: 'import' }>) {
  if (!state.kinds) {
    void app.api
      .importKinds()
      .then((kinds) => {
        state.kinds = kinds;
        app.render();
      })
      .catch((error) => {
        state.error = app.messageOf(error);
        app.render();
      });
    state.kinds = { maxBytes: 0, crs: ['wgs84', 'gcj02', 'bd09'], encodings: [], kinds: [] };
  }
  const kinds = state.kinds.kinds;
  const r = state.report;
  const body = html`<form id="import-form" @submit=${(e: Event) => (e.preventDefault(), void runImport(app, state, 'validate'))}>
    <div class="inline-fields">
      <label class="field"
        >${t('importKind')}
        <select name="kind" autofocus @change=${(e: Event) => ((state.kind_ = (e.target as HTMLSelectElement).value), (state.report = null), app.render())}>
          ${kinds.map((k) => html`<option value=${k.kind} ?selected=${state.kind_ === k.kind}>${k.zh}${locale() === 'en' ? ` (${k.kind})` : ''}</option>`)}
        </select></label
      >
      <label class="field"
        >${t('importEncoding')}
        <select name="encoding" @change=${(e: Event) => (state.encoding = (e.target as HTMLSelectElement).value)}>
          <option value="auto">${t('encoding_auto')}</option>
          <option value="utf-8">UTF-8</option>
          <option value="gbk">GBK / GB18030</option>
          <option value="utf-16le">UTF-16</option>
        </select></label
      >
      <label class="field"
        >${t('importCrs')}
        <select name="crs" @change=${(e: Event) => (state.crs = (e.target as HTMLSelectElement).value)}>
          ${['wgs84', 'gcj02', 'bd09'].map((c) => html`<option value=${c} ?selected=${state.crs === c}>${t(`crs_${c}` as MessageKey)}</option>`)}
        </select></label
      >
    </div>
    <label class="field"
      >${t('importFile')}
      <input
        type="file"
        name="file"
        id="import-file"
        accept=".csv,.xlsx,.geojson,.json,.tif,.tiff,text/csv"
        required
        @change=${(e: Event) => {
          state.file = (e.target as HTMLInputElement).files?.[0] ?? null;
          state.report = null;
          state.problems = null;
          state.error = null;
          state.committed = null;
          app.render();
        }}
    /></label>
    ${(() => {
      const k = kinds.find((x) => x.kind === state.kind_);
      return k ? html`<details><summary>${t('acceptedColumns')}</summary><p class="columns">${k.fields.map((f) => html`<code>${locale() === 'en' ? f.en : f.zh}${f.required ? '*' : ''}</code> `)}</p></details>` : nothing;
    })()}
  </form>
  ${state.busy ? html`<p class="loading" role="status">${state.busy}</p>` : nothing}
  ${r
    ? html`<p class="ok" role="status" id="import-ok">${t('validationOk', { rows: fmt.int(r.rows), created: fmt.int(r.counts.created), updated: fmt.int(r.counts.updated), unchanged: fmt.int(r.counts.unchanged) })}</p>
        ${r.warnings.length ? html`<h4>${t('warnings')}</h4><ul>${r.warnings.map((w) => html`<li>${locale() === 'en' ? w.en : w.zh}</li>`)}</ul>` : nothing}`
    : nothing}
  ${state.error ? html`<p class="error" role="alert" id="import-error">${state.problems ? t('validationFailed') : ''} ${state.error}</p>` : nothing}
  ${state.problems ? problemRows(state.problems) : nothing}
  ${state.committed
    ? html`<p class="ok" role="status" id="import-committed">${t('committed', { created: fmt.int(state.committed.counts.created), updated: fmt.int(state.committed.counts.updated), unchanged: fmt.int(state.committed.counts.unchanged) })}</p>`
    : nothing}`;
  const footer = html`<button type="submit" form="import-form" id="import-validate" ?disabled=${!state.file || state.busy !== null}>${t('validate')}</button>
    <button type="button" class="primary" id="import-commit" ?disabled=${!r || state.busy !== null} @click=${() => void runImport(app, state, 'commit')}>${t('commit')}</button>
    <button type="button" @click=${() => app.closeDialog()}>${t('close')}</button>`;
  return dialogFrame(app, t('importTitle'), body, footer, true);
}

// ── export ──────────────────────────────────────────────────────────────────

function exportDialog(app: App) {
  const s = app.state;
  const unit = s.unit?.detail.status === 'ready' ? s.unit.detail.value : null;
  const code = unit?.code ?? '150000';
  const name = unit?.name ?? t('region');
  const headers = locale() === 'en' ? 'en' : 'zh';
  const link = (kind: string, format: string) => app.api.url(`/api/exports/${kind}`, { unit: code === '150000' ? undefined : code, format, headers });
  const row = (label: string, kind: string, formats: string[]) =>
    html`<tr>
      <th scope="row">${label}</th>
      <td>${formats.map((f) => html`<a class="button small" href=${link(kind, f)} download>${f.toUpperCase()}</a> `)}</td>
    </tr>`;
  const evalLink = (format: string) => app.api.url('/api/evaluations/export', { unit: code, format, ruleSet: s.ruleSet?.id, scenario: s.scenario?.id });
  const body = html`<table class="exports">
    <tbody>
      ${row(t('exportFacilities'), 'facilities', ['csv', 'xlsx', 'geojson'])}
      ${row(t('exportUnits'), 'units', ['csv', 'xlsx', 'geojson'])}
      ${row(t('exportCells'), 'population-cells', ['csv', 'xlsx', 'geojson'])}
      <tr>
        <th scope="row">${t('exportEvaluation')}${s.scenario ? html`<br /><small>${t('inScenario', { name: s.scenario.name })}</small>` : nothing}</th>
        <td><a class="button small" href=${evalLink('csv')} download>CSV</a> <a class="button small" href=${evalLink('xlsx')} download>XLSX</a></td>
      </tr>
      ${s.scenario
        ? html`<tr>
            <th scope="row">${t('exportDiff')}</th>
            <td>
              <a class="button small" href=${app.api.url(`/api/scenarios/${s.scenario.id}/diff/export`, { format: 'csv', unit: code === '150000' ? undefined : code, ruleSet: s.ruleSet?.id })} download>CSV</a>
              <a class="button small" href=${app.api.url(`/api/scenarios/${s.scenario.id}/diff/export`, { format: 'xlsx', unit: code === '150000' ? undefined : code, ruleSet: s.ruleSet?.id })} download>XLSX</a>
            </td>
          </tr>`
        : nothing}
    </tbody>
  </table>
  <p class="hint">${t('exportHeaders')}：${headers === 'zh' ? '中文' : 'English'} · ${t('legendSynthetic')}</p>`;
  return dialogFrame(app, t('exportTitle', { unit: name }), body, html`<button type="button" autofocus @click=${() => app.closeDialog()}>${t('close')}</button>`);
}

// ── scenario dialogs ────────────────────────────────────────────────────────

function newScenarioDialog(app: App, state: Extract<DialogState, { kind: 'new-scenario' }>) {
  const body = html`<form
      id="new-scenario-form"
      @submit=${async (e: Event) => {
        e.preventDefault();
        const form = e.target as HTMLFormElement;
        const data = new FormData(form);
        try {
          await app.createScenario(String(data.get('name') ?? '').trim(), String(data.get('description') ?? '').trim());
        } catch (error) {
          state.error = app.messageOf(error);
          app.render();
        }
      }}
    >
      <label class="field">${t('scenarioName')} <input name="name" id="scenario-name" required maxlength="200" autofocus /></label>
      <label class="field">${t('scenarioDescription')} <textarea name="description" rows="3" maxlength="4000"></textarea></label>
    </form>
    ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : nothing}`;
  const footer = html`<button type="submit" form="new-scenario-form" class="primary" id="create-scenario">${t('newScenario')}</button>
    <button type="button" @click=${() => app.closeDialog()}>${t('cancel')}</button>`;
  return dialogFrame(app, t('newScenario'), body, footer);
}

const UPGRADE_STAFF = ['doctors', 'assistantDoctors', 'nurses', 'gps', 'tcmDoctors', 'villageDoctors', 'publicHealth'] as const;

function upgradeDialog(app: App, state: Extract<DialogState, { kind: 'upgrade' }>) {
  const f: FacilityDetail = state.facility;
  const body = html`<form
      id="upgrade-form"
      @submit=${async (e: Event) => {
        e.preventDefault();
        const data = new FormData(e.target as HTMLFormElement);
        const set: Record<string, unknown> = {};
        const beds = Number(data.get('beds'));
        if (String(data.get('beds')) !== '' && beds !== (f.beds ?? 0)) set.beds = beds;
        const grade = String(data.get('grade') ?? '');
        if (grade !== (f.grade ?? '')) set.grade = grade === '' ? null : grade;
        const staff: Record<string, number> = {};
        for (const k of UPGRADE_STAFF) {
          const raw = String(data.get(`staff-${k}`) ?? '');
          if (raw !== '' && Number(raw) !== (f.staff[k] ?? 0)) staff[k] = Number(raw);
        }
        if (Object.keys(staff).length) set.staff = staff;
        const departments = data.getAll('department').map(String);
        if (departments.slice().sort().join() !== f.departments.slice().sort().join()) set.departments = departments;
        const hall = String(data.get('tcmHallLevel') ?? '');
        if (hall !== (f.tcmHallLevel ?? '')) set.tcmHallLevel = hall === '' ? null : hall;
        if (Object.keys(set).length === 0) {
          app.closeDialog();
          return;
        }
        const ok = await app.addChange({ kind: 'update_facility', facilityId: f.id, set });
        if (ok) app.closeDialog();
        else {
          state.error = app.state.toast?.text ?? t('errorTitle');
          app.render();
        }
      }}
    >
      <div class="inline-fields">
        <label class="field">${t('beds')} <input name="beds" id="upgrade-beds" type="number" min="0" step="1" .value=${String(f.beds ?? 0)} autofocus /></label>
        <label class="field"
          >${t('grade')}
          <select name="grade">
            <option value="" ?selected=${!f.grade}>—</option>
            ${GRADES.map((g) => html`<option value=${g} ?selected=${f.grade === g}>${labels.grade(g)}</option>`)}
          </select></label
        >
        <label class="field"
          >${labels.tcmHall('standard').replace(/达标型|Standard /, '') || 'TCM hall'}
          <select name="tcmHallLevel">
            <option value="" ?selected=${!f.tcmHallLevel}>—</option>
            ${TCM_HALL_LEVELS.map((g) => html`<option value=${g} ?selected=${f.tcmHallLevel === g}>${labels.tcmHall(g)}</option>`)}
          </select></label
        >
      </div>
      <fieldset class="inline-fields">
        <legend>${t('staff')}</legend>
        ${UPGRADE_STAFF.map((k) => html`<label class="field small">${t(`staff_${k}` as MessageKey)} <input name=${`staff-${k}`} type="number" min="0" step="1" .value=${String(f.staff[k] ?? 0)} /></label>`)}
      </fieldset>
      <fieldset class="departments">
        <legend>${t('departments')}</legend>
        ${Object.keys(DEPARTMENT_LABELS).map(
          (k) => html`<label class="check"><input type="checkbox" name="department" value=${k} .checked=${f.departments.includes(k)} />${labels.department(k)}</label>`,
        )}
      </fieldset>
    </form>
    ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : nothing}`;
  const footer = html`<button type="submit" form="upgrade-form" class="primary" id="upgrade-submit">${t('save')}</button>
    <button type="button" @click=${() => app.closeDialog()}>${t('cancel')}</button>`;
  return dialogFrame(app, t('upgradeTitle', { name: f.name }), body, footer, true);
}

function closeFacilityDialog(app: App, state: Extract<DialogState, { kind: 'close-facility' }>) {
  const body = html`<form
      id="close-form"
      @submit=${async (e: Event) => {
        e.preventDefault();
        const reason = String(new FormData(e.target as HTMLFormElement).get('reason') ?? '').trim();
        const ok = await app.addChange({ kind: 'close_facility', facilityId: state.facility.id, ...(reason ? { reason } : {}) });
        if (ok) app.closeDialog();
      }}
    >
      <p><strong>${state.facility.name}</strong></p>
      <label class="field">${t('closeReason')} <input name="reason" maxlength="500" autofocus /></label>
    </form>
    ${state.error ? html`<p class="error" role="alert">${state.error}</p>` : nothing}`;
  const footer = html`<button type="submit" form="close-form" class="primary danger" id="close-submit">${t('actionClose')}</button>
    <button type="button" @click=${() => app.closeDialog()}>${t('cancel')}</button>`;
  return dialogFrame(app, `${t('actionClose')}：${state.facility.name}`, body, footer);
}

function conflictDialog(app: App, state: Extract<DialogState, { kind: 'conflict' }>) {
  const body = html`<p role="alert" id="conflict-message">${t('staleMessage', { yours: state.yours ?? '?', current: state.current ?? '?' })}</p>`;
  const footer = html`<button type="button" class="primary" id="conflict-reload" autofocus @click=${() => void app.reloadScenario()}>${t('reload')}</button>
    <button type="button" @click=${() => app.closeDialog()}>${t('cancel')}</button>`;
  return dialogFrame(app, t('staleTitle'), body, footer);
}

function confirmDeleteDialog(app: App, state: Extract<DialogState, { kind: 'confirm-delete' }>) {
  return dialogFrame(
    app,
    t('deleteScenario'),
    html`<p>${t('deleteScenarioConfirm', { name: state.scenario.name })}</p>`,
    html`<button type="button" class="primary danger" @click=${() => void app.deleteScenario(state.scenario.id, state.scenario.version)}>${t('deleteScenario')}</button>
      <button type="button" autofocus @click=${() => app.closeDialog()}>${t('cancel')}</button>`,
  );
}

export function dialogTemplate(app: App, state: DialogState) {
  switch (state.kind) {
    case 'settings':
      return settingsDialog(app, state);
    case 'import':
      return importDialog(app, state);
    case 'export':
      return exportDialog(app);
    case 'new-scenario':
      return newScenarioDialog(app, state);
    case 'upgrade':
      return upgradeDialog(app, state);
    case 'close-facility':
      return closeFacilityDialog(app, state);
    case 'conflict':
      return conflictDialog(app, state);
    case 'confirm-delete':
      return confirmDeleteDialog(app, state);
    case 'error':
      return dialogFrame(app, t('errorTitle'), html`<p role="alert">${state.message}</p>`, html`<button type="button" autofocus @click=${() => app.closeDialog()}>${t('close')}</button>`);
  }
}
