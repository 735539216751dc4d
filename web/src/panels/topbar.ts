/**
 * The top bar: title, search (units by Chinese name part or code, facilities by
 * name or code; keyboard: ↑ ↓ Enter Esc), the active rule set (always visible;
 * opens the settings), the scenario picker, import/export, language, user.
 */
import { html, nothing } from 'lit-html';
import type { App } from '../app.ts';
import { facilityIcon } from '../app.ts';
import { fmt, L, labels, t } from '../i18n.ts';
import type { FacilitySummary, SearchHit } from '../types.ts';
import type { Point } from 'geojson';

interface SearchState {
  query: string;
  open: boolean;
  active: number;
  units: SearchHit[];
  facilities: { props: FacilitySummary; lon: number; lat: number }[];
  loading: boolean;
  abort: AbortController | null;
  timer: ReturnType<typeof setTimeout> | null;
}

const search: SearchState = { query: '', open: false, active: -1, units: [], facilities: [], loading: false, abort: null, timer: null };

type Option = { kind: 'unit'; hit: SearchHit } | { kind: 'facility'; props: FacilitySummary; lon: number; lat: number };

function options(): Option[] {
  return [...search.units.map((hit) => ({ kind: 'unit' as const, hit })), ...search.facilities.map((f) => ({ kind: 'facility' as const, ...f }))];
}

function runSearch(app: App, query: string): void {
  search.query = query;
  search.active = -1;
  if (search.timer) clearTimeout(search.timer);
  search.abort?.abort();
  if (query.trim() === '') {
    search.units = [];
    search.facilities = [];
    search.open = false;
    app.render();
    return;
  }
  search.open = true;
  search.loading = true;
  app.render();
  search.timer = setTimeout(async () => {
    const abort = new AbortController();
    search.abort = abort;
    try {
      const [units, facilities] = await Promise.all([
        app.api.search(query.trim(), 8, abort.signal),
        app.api.facilities({ q: query.trim(), limit: 6 }, abort.signal).catch(() => null),
      ]);
      if (abort.signal.aborted) return;
      search.units = units.units;
      search.facilities = (facilities?.features ?? []).map((f) => ({ props: f.properties, lon: (f.geometry as Point).coordinates[0]!, lat: (f.geometry as Point).coordinates[1]! }));
    } catch {
      if (abort.signal.aborted) return;
      search.units = [];
      search.facilities = [];
    }
    search.loading = false;
    app.render();
  }, 180);
}

function choose(app: App, option: Option): void {
  search.open = false;
  search.query = option.kind === 'unit' ? option.hit.name : option.props.name;
  app.render();
  if (option.kind === 'unit') void app.searchSelect({ kind: 'unit', code: option.hit.code });
  else void app.searchSelect({ kind: 'facility', id: option.props.id, lon: option.lon, lat: option.lat });
}

function onKey(app: App, e: KeyboardEvent): void {
  const list = options();
  if (e.key === 'ArrowDown') {
    e.preventDefault();
    search.open = true;
    search.active = Math.min(list.length - 1, search.active + 1);
    app.render();
  } else if (e.key === 'ArrowUp') {
    e.preventDefault();
    search.active = Math.max(0, search.active - 1);
    app.render();
  } else if (e.key === 'Enter') {
    e.preventDefault();
    const option = list[search.active >= 0 ? search.active : 0];
    if (option) choose(app, option);
  } else if (e.key === 'Escape') {
    search.open = false;
    app.render();
  }
}

function searchTemplate(app: App) {
  const list = options();
  const id = (i: number) => `search-option-${i}`;
  let index = -1;
  const option = (o: Option) => {
    index += 1;
    const i = index;
    const selected = i === search.active;
    if (o.kind === 'unit') {
      const h = o.hit;
      return html`<li id=${id(i)} role="option" aria-selected=${String(selected)} class=${selected ? 'active' : ''} @mousedown=${(e: Event) => (e.preventDefault(), choose(app, o))}>
        <span class="hit-name">${h.name}</span>
        <span class="hit-meta">${labels.level(h.level)} · ${h.code}${h.context.length ? ` · ${h.context.join(' / ')}` : ''}</span>
      </li>`;
    }
    return html`<li id=${id(i)} role="option" aria-selected=${String(selected)} class=${selected ? 'active' : ''} @mousedown=${(e: Event) => (e.preventDefault(), choose(app, o))}>
      <img class="hit-icon" src=${facilityIcon(o.props.type, o.props.status)} alt="" />
      <span class="hit-name">${o.props.name}</span>
      <span class="hit-meta">${labels.facilityType(o.props.type)} · ${o.props.code}</span>
    </li>`;
  };
  return html`<div class="search" role="search">
    <label class="visually-hidden" for="search-input">${t('search')}</label>
    <input
      id="search-input"
      type="search"
      role="combobox"
      autocomplete="off"
      aria-autocomplete="list"
      aria-controls="search-results"
      aria-expanded=${String(search.open)}
      aria-activedescendant=${search.active >= 0 ? id(search.active) : ''}
      placeholder=${t('searchPlaceholder')}
      .value=${search.query}
      @input=${(e: Event) => runSearch(app, (e.target as HTMLInputElement).value)}
      @keydown=${(e: KeyboardEvent) => onKey(app, e)}
      @focus=${() => {
        if (search.query) {
          search.open = true;
          app.render();
        }
      }}
      @blur=${() => {
        search.open = false;
        app.render();
      }}
    />
    ${search.open
      ? html`<ul id="search-results" role="listbox" class="search-results" aria-label=${t('search')}>
          ${search.units.length ? html`<li class="group" role="presentation">${t('searchUnits')}</li>` : nothing}
          ${search.units.map((hit) => option({ kind: 'unit', hit }))}
          ${search.facilities.length ? html`<li class="group" role="presentation">${t('searchFacilities')}</li>` : nothing}
          ${search.facilities.map((f) => option({ kind: 'facility', ...f }))}
          ${!search.loading && list.length === 0 ? html`<li class="empty" role="presentation">${t('searchNoHits', { q: search.query })}</li>` : nothing}
          ${search.loading && list.length === 0 ? html`<li class="empty" role="presentation">${t('loading')}</li>` : nothing}
        </ul>`
      : nothing}
  </div>`;
}

export function topbarTemplate(app: App) {
  const s = app.state;
  const rs = s.ruleSet;
  const user = s.me?.user;
  const role = user?.role;
  return html`<div class="brand">
      <h1>${t('appTitle')}</h1>
      <small>${t('appRegion')}</small>
    </div>
    ${searchTemplate(app)}
    <div class="topbar-actions">
      <button
        type="button"
        class="ruleset-chip"
        id="ruleset-button"
        title=${rs ? t('ruleSetActive', { name: rs.name, year: rs.targetYear }) : ''}
        @click=${() => app.openDialog({ kind: 'settings', ruleSet: null, draft: null, message: null, error: null })}
      >
        <span class="chip-label">${t('ruleSet')}</span>
        <span class="chip-value">${rs ? `${rs.name.split(' · ')[0]} · ${rs.targetYear}` : '…'}</span>
        <span aria-hidden="true">⚙</span>
      </button>
      ${s.config?.features.scenarios
        ? html`<label class="scenario-picker">
            <span class="chip-label">${t('scenario')}</span>
            <select
              id="scenario-select"
              @change=${(e: Event) => {
                const v = (e.target as HTMLSelectElement).value;
                void app.chooseScenario(v === '' ? null : Number(v));
              }}
            >
              <option value="" ?selected=${!s.scenario}>${t('baseline')}</option>
              ${s.scenarios.map((sc) => html`<option value=${String(sc.id)} ?selected=${s.scenario?.id === sc.id}>${sc.name}</option>`)}
            </select>
          </label>`
        : nothing}
      <button type="button" id="import-button" ?disabled=${role !== 'editor' && role !== 'admin'} title=${role !== 'editor' && role !== 'admin' ? t('importNeedsRole') : t('importTitle')}
        @click=${() => app.openDialog({ kind: 'import', kinds: null, kind_: 'facilities', file: null, encoding: 'auto', crs: 'wgs84', busy: null, report: null, problems: null, error: null, committed: null })}>
        ${t('import')}
      </button>
      <button type="button" id="export-button" @click=${() => app.openDialog({ kind: 'export' })}>${t('export')}</button>
      <button type="button" id="language-button" lang=${t('switchLanguage') === 'English' ? 'en' : 'zh-CN'} title=${t('switchLanguageTitle')} @click=${() => app.toggleLanguage()}>${t('switchLanguage')}</button>
      ${s.me?.mode === 'local'
        ? html`<span class="user-chip local" title=${t('localModeTitle')}>${t('localMode')}</span>`
        : user
          ? html`<span class="user-chip">${user.displayName} · ${t(`role_${user.role}`)}</span>
              <button type="button" @click=${() => void app.logout()}>${t('logout')}</button>`
          : nothing}
    </div>`;
}

export function populationText(n: number | null | undefined): string {
  return `${fmt.int(n)} ${t('people')}`;
}

export { L };
