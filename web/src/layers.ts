/**
 * Layer specifications as pure functions of (source id, theme, options). The
 * map owns no style knowledge of its own; tests (test/web-layers.test.ts)
 * check the invariants: every layer reads the source it was given, ids are
 * unique, and each legend shows exactly the colours its layer draws.
 *
 * Tile layers (server/tiles/layers.ts): `units` (leagues z ≤ 5, banners z 6–7,
 * + township seats z 8–9, + villages z ≥ 10), `facilities`, `cells` (bins below
 * z 10, 1 km cells from z 10), `access` (one class; bins below z 10).
 */
import type { ExpressionSpecification, FilterSpecification, LayerSpecification } from 'maplibre-gl';
import { FACILITY_GROUP_OF, FACILITY_GROUPS, STATUS_CLASSES, type FacilityGroup, type Ramp, type StatusClass, type Theme } from './theme.ts';

export const UNITS_LAYER = 'units';
export const FACILITIES_LAYER = 'facilities';
export const CELLS_LAYER = 'cells';
export const ACCESS_LAYER = 'access';

/** How units are coloured. Indicator ramps are computed from the values (indicatorRamp). */
export type ColorMode = { kind: 'status' } | { kind: 'density' } | { kind: 'population' } | { kind: 'indicator'; key: string; ramp: Ramp };

export const FACILITY_STATUSES = ['open', 'planned', 'suspended', 'closed'] as const;

// ── expressions ─────────────────────────────────────────────────────────────

/** step(value) over a ramp: colors[0] below breaks[0], … */
export function stepColor(value: ExpressionSpecification, ramp: Ramp): ExpressionSpecification {
  const steps: (string | number)[] = [];
  ramp.breaks.forEach((b, i) => steps.push(b, ramp.colors[i + 1]!));
  return ['step', value, ramp.colors[0]!, ...steps] as ExpressionSpecification;
}

/** Colours of a step expression, in class order (for legends and tests). */
export function colorsOfStep(expression: unknown): string[] {
  const e = expression as unknown[];
  if (e[0] !== 'step') throw new Error('not a step expression');
  return [e[2] as string, ...e.slice(3).filter((_, i) => i % 2 === 1)] as string[];
}

/** Population density, the foundation's original ramp (kept for the density layer and banner polygons). */
export function densityColor(theme: Theme): ExpressionSpecification {
  return stepColor(['coalesce', ['get', 'density'], 0], theme.density);
}

/**
 * Status class (set as feature-state by the map) → colour; 'must' shaded by the
 * number of failing must rules (feature-state mustFails), so a region where
 * nearly every unit fails something still shows where it fails most.
 */
export function statusColor(theme: Theme): ExpressionSpecification {
  const pairs: (string | ExpressionSpecification)[] = [];
  for (const c of STATUS_CLASSES) {
    if (c === 'none') continue;
    pairs.push(c, c === 'must' ? stepColor(['coalesce', ['feature-state', 'mustFails'], 1], theme.mustByCount) : theme.status[c]);
  }
  return ['match', ['coalesce', ['feature-state', 'status'], 'none'], ...pairs, theme.status.none] as unknown as ExpressionSpecification;
}

/** An indicator value (feature-state) → colour; units without a value are pale. */
export function indicatorColor(theme: Theme, ramp: Ramp): ExpressionSpecification {
  return ['case', ['==', ['typeof', ['feature-state', 'value']], 'number'], stepColor(['to-number', ['feature-state', 'value']], ramp), theme.noValue];
}

export function unitFillColor(theme: Theme, mode: ColorMode): ExpressionSpecification | string {
  switch (mode.kind) {
    case 'status':
      return statusColor(theme);
    case 'density':
      return densityColor(theme);
    case 'population':
      return stepColor(['coalesce', ['get', 'population'], 0], theme.population);
    case 'indicator':
      return indicatorColor(theme, mode.ramp);
  }
}

/**
 * The ramp of an indicator: classes relative to the target where there is one
 * (½, ¾ of it, reached), else five quantile classes of the values shown.
 */
export function indicatorRamp(theme: Theme, indicator: { target: number | null; higherIsBetter: boolean }, values: readonly number[]): Ramp {
  if (indicator.target !== null && indicator.target > 0 && indicator.higherIsBetter) {
    return { breaks: theme.towardsTarget.breaks.map((f) => round(f * indicator.target!)), colors: [...theme.towardsTarget.colors] };
  }
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const n = theme.sequential.length;
  const breaks: number[] = [];
  for (let i = 1; i < n; i++) {
    const v = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / n))]! : i;
    const r = round(v);
    if (breaks.length === 0 || r > breaks[breaks.length - 1]!) breaks.push(r);
  }
  const colors = indicator.higherIsBetter ? [...theme.sequential] : [...theme.sequential].reverse();
  return { breaks, colors: colors.slice(0, breaks.length + 1) };
}

function round(v: number): number {
  if (v === 0) return 0;
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v))));
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const sqrtPopulation: ExpressionSpecification = ['sqrt', ['max', 0, ['coalesce', ['get', 'population'], 0]]];
const isTownship: ExpressionSpecification = ['==', ['get', 'level'], 'township'];

/** Township and village points: sized by population, growing with the zoom (plus `extra` pixels, for rings). */
export function pointRadius(extra = 0): ExpressionSpecification {
  const at = (township: ExpressionSpecification | number, village: ExpressionSpecification | number): ExpressionSpecification =>
    extra === 0 ? ['case', isTownship, township, village] : ['+', extra, ['case', isTownship, township, village]];
  return [
    'interpolate',
    ['linear'],
    ['zoom'],
    7,
    at(['max', 2.5, ['*', 0.022, sqrtPopulation]], 2),
    10,
    at(['max', 4, ['*', 0.045, sqrtPopulation]], ['max', 2, ['*', 0.1, sqrtPopulation]]),
    14,
    at(['max', 8, ['*', 0.09, sqrtPopulation]], ['max', 4, ['*', 0.3, sqrtPopulation]]),
  ];
}

const polygon: ExpressionSpecification = ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]];
const point: ExpressionSpecification = ['in', ['geometry-type'], ['literal', ['Point', 'MultiPoint']]];

// ── admin units (vector tiles) ──────────────────────────────────────────────

export function unitLayers(source: string, theme: Theme, mode: ColorMode): LayerSpecification[] {
  const fill = unitFillColor(theme, mode);
  const pointColor = mode.kind === 'status' || mode.kind === 'indicator' ? fill : '#8a9bb0';
  return [
    {
      id: 'units-fill',
      type: 'fill',
      source,
      'source-layer': UNITS_LAYER,
      filter: ['all', polygon, ['in', ['get', 'level'], ['literal', ['league', 'banner']]]],
      // Fades when zoomed in, where township and village points carry the colour.
      paint: { 'fill-color': fill, 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 7, theme.unitFillOpacity, 9.5, 0.2] },
    },
    {
      id: 'units-outline',
      type: 'line',
      source,
      'source-layer': UNITS_LAYER,
      filter: polygon,
      paint: { 'line-color': ['case', ['==', ['get', 'level'], 'league'], theme.leagueOutline, theme.bannerOutline], 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 0.6, 9, 1.6] },
    },
    {
      id: 'units-points',
      type: 'circle',
      source,
      'source-layer': UNITS_LAYER,
      filter: ['all', point, ['in', ['get', 'level'], ['literal', ['township', 'village']]]],
      paint: {
        'circle-radius': pointRadius(),
        'circle-color': pointColor,
        'circle-opacity': 0.9,
        'circle-stroke-color': ['case', isTownship, '#37474f', '#ffffff'],
        'circle-stroke-width': ['case', isTownship, 1.2, 0.6],
      },
    },
    {
      id: 'units-selected-outline',
      type: 'line',
      source,
      'source-layer': UNITS_LAYER,
      filter: ['all', polygon, ['==', ['get', 'code'], '']],
      paint: { 'line-color': theme.selectedOutline, 'line-width': 3 },
    },
    {
      id: 'units-selected-point',
      type: 'circle',
      source,
      'source-layer': UNITS_LAYER,
      filter: ['all', point, ['==', ['get', 'code'], '']],
      paint: { 'circle-radius': pointRadius(4), 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': theme.selectedOutline, 'circle-stroke-width': 3 },
    },
    {
      id: 'units-point-labels',
      type: 'symbol',
      source,
      'source-layer': UNITS_LAYER,
      filter: ['all', point, ['any', ['all', isTownship, ['>=', ['zoom'], 8.5]], ['>=', ['zoom'], 11.5]]],
      layout: {
        'text-field': ['get', 'name'],
        'text-font': theme.font,
        'text-size': ['case', isTownship, 12, 11],
        'text-offset': [0, 0.9],
        'text-anchor': 'top',
        'text-max-width': 8,
      },
      paint: { 'text-color': theme.text, 'text-halo-color': theme.textHalo, 'text-halo-width': 1.4 },
    },
  ];
}

/** Units' fill/point colour under a mode, for the layers that read it (the map updates both on a mode change). */
export function unitColorPaint(theme: Theme, mode: ColorMode): { fill: ExpressionSpecification | string; point: ExpressionSpecification | string } {
  const fill = unitFillColor(theme, mode);
  return { fill, point: mode.kind === 'status' || mode.kind === 'indicator' ? fill : '#8a9bb0' };
}

/** League outlines at every zoom (the tiles hold banners from z 6), from a GeoJSON of league boundaries. */
export function leagueOutlineLayers(source: string, theme: Theme): LayerSpecification[] {
  return [
    {
      id: 'leagues-outline',
      type: 'line',
      source,
      paint: { 'line-color': theme.leagueOutline, 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 1.2, 9, 2.4], 'line-opacity': 0.85 },
    },
  ];
}

/** Names of leagues (low zoom) and banners (from z 5.5) at their seats, from a GeoJSON of points. */
export function unitLabelLayers(source: string, theme: Theme): LayerSpecification[] {
  return [
    {
      id: 'unit-labels',
      type: 'symbol',
      source,
      filter: ['any', ['all', ['==', ['get', 'level'], 'league'], ['<', ['zoom'], 5.6]], ['all', ['==', ['get', 'level'], 'banner'], ['>=', ['zoom'], 5.6]]],
      layout: {
        'text-field': ['get', 'name'],
        'text-font': theme.font,
        'text-size': ['case', ['==', ['get', 'level'], 'league'], 14, 12.5],
        'text-max-width': 7,
        'text-padding': 4,
      },
      paint: { 'text-color': theme.text, 'text-halo-color': theme.textHalo, 'text-halo-width': 1.6 },
    },
  ];
}

// ── facilities (vector tiles) ───────────────────────────────────────────────

/** type → symbol group, as an expression. */
export function facilityGroupExpression(): ExpressionSpecification {
  const byGroup = new Map<FacilityGroup, string[]>();
  for (const [type, group] of Object.entries(FACILITY_GROUP_OF)) byGroup.set(group, [...(byGroup.get(group) ?? []), type]);
  const arms: (string | string[])[] = [];
  for (const group of FACILITY_GROUPS) {
    const types = byGroup.get(group);
    if (types && group !== 'other') arms.push(types, group);
  }
  return ['match', ['get', 'type'], ...arms, 'other'] as unknown as ExpressionSpecification;
}

/** Every icon id the facility layer can ask for: `${group}-${status}`. */
export function facilityIconIds(): string[] {
  return FACILITY_GROUPS.flatMap((g) => FACILITY_STATUSES.map((s) => `${g}-${s}`));
}

const GROUP_ORDER: ExpressionSpecification = ['match', facilityGroupExpression(), 'hospital', 1, 'tcm', 2, 'mch', 3, 'cdc', 4, 'township', 5, 'community', 6, 'village', 8, 9];

export function facilityLayers(source: string, theme: Theme, options: { hiddenIds?: readonly number[] } = {}): LayerSpecification[] {
  const hidden: FilterSpecification | true = options.hiddenIds && options.hiddenIds.length > 0 ? ['!', ['in', ['get', 'id'], ['literal', [...options.hiddenIds]]]] : true;
  const major: ExpressionSpecification = ['in', facilityGroupExpression(), ['literal', ['hospital', 'tcm', 'mch', 'cdc']]];
  return [
    {
      id: 'facilities-icons',
      type: 'symbol',
      source,
      'source-layer': FACILITIES_LAYER,
      filter: hidden === true ? ['all'] : hidden,
      layout: {
        'icon-image': ['concat', facilityGroupExpression(), '-', ['get', 'status']],
        'icon-size': ['interpolate', ['linear'], ['zoom'], 5, 0.55, 9, 0.8, 13, 1.05],
        'icon-allow-overlap': ['step', ['zoom'], false, 10, true],
        'icon-ignore-placement': false,
        'symbol-sort-key': GROUP_ORDER,
      },
      paint: { 'icon-opacity': ['case', ['==', ['get', 'status'], 'suspended'], 0.5, 1] },
    },
    {
      id: 'facilities-labels',
      type: 'symbol',
      source,
      'source-layer': FACILITIES_LAYER,
      filter: ['all', hidden === true ? ['all'] : hidden, ['any', ['all', major, ['>=', ['zoom'], 9.5]], ['>=', ['zoom'], 12.5]]],
      layout: {
        'text-field': ['get', 'name'],
        'text-font': theme.font,
        'text-size': 11,
        'text-offset': [0, 1.1],
        'text-anchor': 'top',
        'text-max-width': 9,
        'text-optional': true,
        'symbol-sort-key': GROUP_ORDER,
      },
      paint: { 'text-color': '#243b53', 'text-halo-color': theme.textHalo, 'text-halo-width': 1.3 },
    },
    {
      id: 'facilities-selected',
      type: 'circle',
      source,
      'source-layer': FACILITIES_LAYER,
      filter: ['==', ['get', 'id'], -1],
      paint: { 'circle-radius': 13, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': theme.selectedOutline, 'circle-stroke-width': 3 },
    },
  ];
}

// ── population density (cell tiles) ─────────────────────────────────────────

/** People per km² of populated cells: a bin's people ÷ its 1 km cells; a single cell's people. */
export const cellDensity: ExpressionSpecification = ['/', ['coalesce', ['get', 'population'], 0], ['max', 1, ['coalesce', ['get', 'cells'], 1]]];

/** Circle radius: 4-pixel bins below z 10, then ~1 km cells (4.4 px at z 10, doubling per zoom). */
export function cellRadius(): ExpressionSpecification {
  return ['interpolate', ['exponential', 2], ['zoom'], 0, 2.3, 9.99, 2.3, 10, 4.4, 20, 4505.6];
}

export function densityLayers(source: string, theme: Theme): LayerSpecification[] {
  return [
    {
      id: 'density-cells',
      type: 'circle',
      source,
      'source-layer': CELLS_LAYER,
      paint: {
        'circle-radius': cellRadius(),
        'circle-color': stepColor(cellDensity, theme.density),
        'circle-opacity': 0.8,
      },
    },
  ];
}

// ── access: people out of reach (access tiles) and gap areas (GeoJSON) ─────

/** People out of reach in a feature: a cell in a gap (z ≥ 10) or a bin's gap count. */
export const gapPeople: ExpressionSpecification = ['case', ['has', 'state'], ['case', ['==', ['get', 'state'], 'gap'], ['coalesce', ['get', 'population'], 0], 0], ['coalesce', ['get', 'gap'], 0]];
export const mobilePeople: ExpressionSpecification = ['case', ['has', 'state'], ['case', ['==', ['get', 'state'], 'mobile'], ['coalesce', ['get', 'population'], 0], 0], ['coalesce', ['get', 'mobile'], 0]];

export function accessLayers(source: string, theme: Theme): LayerSpecification[] {
  const size = (people: ExpressionSpecification): ExpressionSpecification => [
    'interpolate',
    ['linear'],
    ['zoom'],
    5,
    ['min', 7, ['max', 1.2, ['*', 0.12, ['sqrt', people]]]],
    10,
    ['min', 12, ['max', 2.5, ['*', 0.3, ['sqrt', people]]]],
    14,
    ['min', 40, ['max', 6, ['*', 1.2, ['sqrt', people]]]],
  ];
  return [
    {
      id: 'access-mobile',
      type: 'circle',
      source,
      'source-layer': ACCESS_LAYER,
      filter: ['>', mobilePeople, 0],
      paint: { 'circle-radius': size(mobilePeople), 'circle-color': theme.mobile, 'circle-opacity': 0.55 },
    },
    {
      id: 'access-gap',
      type: 'circle',
      source,
      'source-layer': ACCESS_LAYER,
      filter: ['>', gapPeople, 0],
      paint: { 'circle-radius': size(gapPeople), 'circle-color': theme.gap, 'circle-opacity': 0.75, 'circle-stroke-color': '#7f0000', 'circle-stroke-width': 0.4 },
    },
  ];
}

export function gapAreaLayers(source: string, theme: Theme): LayerSpecification[] {
  return [
    { id: 'gap-areas-fill', type: 'fill', source, paint: { 'fill-color': theme.gap, 'fill-opacity': 0.22 } },
    { id: 'gap-areas-line', type: 'line', source, paint: { 'line-color': theme.gap, 'line-width': 1.4 } },
  ];
}

// ── reach of a selected facility (GeoJSON: its catchment and its limit circle) ──

export function reachLayers(source: string, theme: Theme): LayerSpecification[] {
  return [
    { id: 'reach-catchment-fill', type: 'fill', source, filter: ['==', ['get', 'part'], 'catchment'], paint: { 'fill-color': theme.reach, 'fill-opacity': 0.16 } },
    { id: 'reach-catchment-line', type: 'line', source, filter: ['==', ['get', 'part'], 'catchment'], paint: { 'line-color': theme.reach, 'line-width': 1.2 } },
    {
      id: 'reach-limit',
      type: 'line',
      source,
      filter: ['==', ['get', 'part'], 'limit'],
      paint: { 'line-color': theme.reach, 'line-width': 2, 'line-dasharray': [3, 2] },
    },
  ];
}

// ── scenario changes over the baseline's facilities (GeoJSON) ───────────────

export function scenarioLayers(source: string, theme: Theme): LayerSpecification[] {
  const what = ['get', 'what'] as ExpressionSpecification;
  return [
    {
      id: 'scenario-moved-line',
      type: 'line',
      source,
      filter: ['==', ['geometry-type'], 'LineString'],
      paint: { 'line-color': theme.scenarioMoved, 'line-width': 2, 'line-dasharray': [2, 2] },
    },
    {
      id: 'scenario-old-site',
      type: 'circle',
      source,
      filter: ['all', ['==', ['geometry-type'], 'Point'], ['==', ['get', 'site'], 'old']],
      paint: { 'circle-radius': 6, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': theme.scenarioMoved, 'circle-stroke-width': 1.5 },
    },
    {
      id: 'scenario-icons',
      type: 'symbol',
      source,
      filter: ['all', ['==', ['geometry-type'], 'Point'], ['==', ['get', 'site'], 'new']],
      layout: {
        'icon-image': ['concat', ['get', 'group'], '-', ['get', 'status']],
        'icon-size': ['interpolate', ['linear'], ['zoom'], 5, 0.7, 13, 1.15],
        'icon-allow-overlap': true,
      },
    },
    {
      id: 'scenario-ring',
      type: 'circle',
      source,
      filter: ['all', ['==', ['geometry-type'], 'Point'], ['==', ['get', 'site'], 'new']],
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 5, 8, 13, 14],
        'circle-color': 'rgba(0,0,0,0)',
        'circle-stroke-width': 2.2,
        'circle-stroke-color': ['match', what, ['added', 'reopened'], theme.scenarioAdded, ['closed', 'merged_away', 'removed'], theme.scenarioRemoved, 'moved', theme.scenarioMoved, '#1565c0'],
      },
    },
  ];
}

// ── legends: the colours above, with labels ─────────────────────────────────

export interface LegendRow {
  color: string;
  /** A label key for the UI (i18n) or a literal range text. */
  label: string;
  kind?: 'fill' | 'circle' | 'line' | 'icon';
  icon?: string;
}

/** Rows of the status legend, in the order the match expression lists the classes ('must' by count, most first). */
export function statusLegend(theme: Theme): LegendRow[] {
  return STATUS_CLASSES.flatMap((c: StatusClass) =>
    c === 'must'
      ? theme.mustByCount.colors
          .map((color, i) => ({ color, label: `legendStatus_must_${i}`, kind: 'fill' as const }))
          .reverse()
      : [{ color: theme.status[c], label: `legendStatus_${c}`, kind: 'fill' as const }],
  );
}

/** Rows of a step ramp, labelled with the ranges (formatted by the caller's number format). */
export function rampLegend(ramp: Ramp, format: (n: number) => string = String): LegendRow[] {
  return ramp.colors.map((color, i) => {
    const lo = i === 0 ? null : ramp.breaks[i - 1]!;
    const hi = ramp.breaks[i];
    const label = lo === null ? `< ${format(hi!)}` : hi === undefined ? `≥ ${format(lo)}` : `${format(lo)} – ${format(hi)}`;
    return { color, label, kind: 'fill' as const };
  });
}

/** The density legend (foundation API, kept): ranges of the density ramp. */
export function densityLegend(theme: Theme): { label: string; color: string }[] {
  const { breaks, colors } = theme.density;
  return colors.map((color, i) => {
    const lo = i === 0 ? 0 : breaks[i - 1]!;
    const hi = breaks[i];
    return { label: hi === undefined ? `≥ ${lo}` : `${lo} – ${hi}`, color };
  });
}

/** Facility symbols in the legend, one per group (open), in drawing priority. */
export function facilityLegend(theme: Theme): LegendRow[] {
  return FACILITY_GROUPS.map((g) => ({ color: theme.facility[g].color, label: `group_${g}`, kind: 'icon' as const, icon: `${g}-open` }));
}
