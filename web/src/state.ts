/**
 * What the app remembers between visits (localStorage) and the shape of its
 * in-memory state. The app owns one State object and re-renders after each
 * change; panels only read it.
 */
import type {
  AccessParamsResponse,
  AccessUnitDetail,
  CatchmentProperties,
  EvaluationResponse,
  FacilityDetail,
  FacilitySummary,
  ImportKinds,
  ImportProblem,
  ImportReport,
  Me,
  MergeAdvice,
  RuleSet,
  RuleSetSummary,
  RulesCatalogue,
  Scenario,
  ScenarioDiff,
  ScenarioSummary,
  UiConfig,
  UnitDetail,
} from './types.ts';
import type { LayerGroup } from './map/coverage-map.ts';

export const PREFS_STORAGE_KEY = 'planner.prefs';

export interface Prefs {
  ruleSetId: number | null;
  scenarioId: number | null;
  colorBy: string;
  accessClass: string;
  layers: Record<LayerGroup, boolean>;
  legendCollapsed: boolean;
}

export const DEFAULT_PREFS: Prefs = {
  ruleSetId: null,
  scenarioId: null,
  colorBy: 'status',
  accessClass: 'basic',
  layers: { units: true, facilities: true, density: false, gaps: false, reach: true, basemap: false },
  legendCollapsed: false,
};

export function loadPrefs(): Prefs {
  try {
    const raw = globalThis.localStorage?.getItem(PREFS_STORAGE_KEY);
    if (!raw) return structuredClone(DEFAULT_PREFS);
    const stored = JSON.parse(raw) as Partial<Prefs>;
    return { ...structuredClone(DEFAULT_PREFS), ...stored, layers: { ...DEFAULT_PREFS.layers, ...(stored.layers ?? {}) } };
  } catch {
    return structuredClone(DEFAULT_PREFS);
  }
}

export function savePrefs(prefs: Prefs): void {
  try {
    globalThis.localStorage?.setItem(PREFS_STORAGE_KEY, JSON.stringify(prefs));
  } catch {
    // not remembered
  }
}

export type Loadable<T> = { status: 'idle' } | { status: 'loading' } | { status: 'ready'; value: T } | { status: 'error'; message: string };

export const idle = <T>(): Loadable<T> => ({ status: 'idle' });

export interface UnitView {
  code: string;
  tab: 'rules' | 'access' | 'merge' | 'children';
  failingOnly: boolean;
  openQuotes: Set<string>;
  detail: Loadable<UnitDetail>;
  own: Loadable<EvaluationResponse>;
  subtreeFails: Loadable<EvaluationResponse>;
  access: Loadable<AccessUnitDetail>;
  advice: Loadable<MergeAdvice>;
}

export interface FacilityView {
  id: number;
  detail: Loadable<FacilityDetail>;
  catchments: Loadable<{ cls: string; name: string; props: CatchmentProperties }[]>;
  alternatives: Loadable<{ facility: FacilitySummary; distanceM: number }[]>;
  reachClass: string | null;
}

export type EditMode =
  | { mode: 'move'; facilityId: number; name: string; lngLat: { lng: number; lat: number } }
  | { mode: 'merge'; facilityId: number; name: string; type: string; picked: { id: number; name: string; type: string }[]; allowMixedTypes: boolean };

export type DialogState =
  | { kind: 'settings'; ruleSet: RuleSet | null; draft: RuleSetDraft | null; message: string | null; error: string | null }
  | { kind: 'import'; kinds: ImportKinds | null; kind_: string; file: File | null; encoding: string; crs: string; busy: string | null; report: ImportReport | null; problems: ImportProblem[] | null; error: string | null; committed: ImportReport | null }
  | { kind: 'export' }
  | { kind: 'new-scenario'; error: string | null }
  | { kind: 'upgrade'; facility: FacilityDetail; error: string | null }
  | { kind: 'close-facility'; facility: { id: number; name: string }; error: string | null }
  | { kind: 'conflict'; yours: number | null; current: number | null }
  | { kind: 'confirm-delete'; scenario: { id: number; name: string; version: number } }
  | { kind: 'error'; message: string };

export interface RuleSetDraft {
  name: string;
  targetYear: number;
  urbanMode: string;
  urbanSpeedKmh: number;
  ruralMode: string;
  ruralSpeedKmh: number;
  detourFactor: number;
  adjacencyMetres: number;
  disabledRules: Set<string>;
}

export interface State {
  config: UiConfig | null;
  me: Me | null;
  prefs: Prefs;
  rules: RulesCatalogue | null;
  ruleSets: RuleSetSummary[];
  ruleSet: RuleSet | null;
  accessParams: AccessParamsResponse | null;
  scenarios: ScenarioSummary[];
  scenario: Scenario | null;
  diff: Loadable<ScenarioDiff>;
  compare: boolean;
  sideTab: 'details' | 'scenario';
  selection: { kind: 'unit'; code: string } | { kind: 'facility'; id: number } | null;
  unit: UnitView | null;
  facility: FacilityView | null;
  overview: Loadable<EvaluationResponse>;
  edit: EditMode | null;
  dialog: DialogState | null;
  busy: string | null;
  toast: { text: string; kind: 'info' | 'error' } | null;
  switcherOpen: boolean;
  statsInfo: string | null;
}
