/**
 * Invariants of the map's layer factories (web/src/layers.ts, web/src/map/style.ts):
 * every layer reads a source the style has, vector layers read source-layers and
 * fields the tile server serves, ids are unique, the layer switcher only names
 * layers that exist, every facility type has a symbol, and each legend shows
 * exactly the colours its layer draws.
 */
import { describe, expect, it } from 'vitest';
import type { LayerSpecification } from 'maplibre-gl';
import {
  accessLayers,
  colorsOfStep,
  densityColor,
  densityLegend,
  facilityGroupExpression,
  facilityIconIds,
  facilityLegend,
  indicatorRamp,
  rampLegend,
  statusColor,
  statusLegend,
  unitFillColor,
  type ColorMode,
} from '../web/src/layers.ts';
import { coverageStyle, LAYER_GROUPS, TILE_LAYERS } from '../web/src/map/style.ts';
import { FACILITY_GROUP_OF, FACILITY_GROUPS, STATUS_CLASSES, theme } from '../web/src/theme.ts';
import { FACILITY_TYPES, FACILITY_STATUSES } from '../server/domain/taxonomy.ts';
import { LAYER_INFO, LAYER_NAMES } from '../server/tiles/layers.ts';

const tileUrl = (layer: string) => `/api/tiles/${layer}/{z}/{x}/{y}.pbf`;
const plain = coverageStyle(theme, tileUrl, null);
const withBasemap = coverageStyle(theme, tileUrl, { kind: 'raster', url: 'https://tile.example/{z}/{x}/{y}.png', attribution: '© OSM' });

/** Every ['get', name] in an expression. */
function fieldsRead(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    if (value[0] === 'get' && typeof value[1] === 'string' && value.length === 2) out.add(value[1]);
    for (const v of value) fieldsRead(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) fieldsRead(v, out);
  }
  return out;
}

const sourceOf = (l: LayerSpecification) => ('source' in l ? (l.source as string) : undefined);

describe('coverage map style', () => {
  it.each([
    ['offline', plain],
    ['with a raster basemap', withBasemap],
  ])('every layer (%s) reads a source the style has, and ids are unique', (_name, style) => {
    for (const layer of style.layers) {
      if (layer.type === 'background') continue;
      expect(Object.keys(style.sources), layer.id).toContain(sourceOf(layer));
    }
    const ids = style.layers.map((l) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('offline there is no network source but our own server (no glyphs, no sprite, no basemap)', () => {
    for (const source of Object.values(plain.sources)) {
      if ('tiles' in source && source.tiles) for (const url of source.tiles) expect(url.startsWith('/api/tiles/')).toBe(true);
      if ('url' in source) expect(source.url).toBeUndefined();
    }
    expect(plain.layers.some((l) => l.id === 'basemap')).toBe(false);
    expect(withBasemap.layers.find((l) => l.id === 'basemap')?.layout).toEqual({ visibility: 'none' });
  });

  it('vector layers read the tile layers and fields the tile server serves', () => {
    expect([...TILE_LAYERS].sort()).toEqual([...LAYER_NAMES].sort());
    for (const layer of plain.layers) {
      const source = sourceOf(layer);
      if (!source || plain.sources[source]?.type !== 'vector') continue;
      const sourceLayer = (layer as { 'source-layer'?: string })['source-layer'];
      expect(LAYER_NAMES, layer.id).toContain(sourceLayer);
      const served = Object.keys(LAYER_INFO[sourceLayer as keyof typeof LAYER_INFO].fields);
      for (const field of fieldsRead([(layer as { filter?: unknown }).filter, layer.paint, layer.layout])) expect(served, `${layer.id} reads ${field}`).toContain(field);
    }
  });

  it('the layer switcher only names layers the style has', () => {
    const ids = new Set(withBasemap.layers.map((l) => l.id));
    for (const [group, layerIds] of Object.entries(LAYER_GROUPS)) for (const id of layerIds) expect(ids.has(id), `${group}: ${id}`).toBe(true);
  });

  it('every facility type of the taxonomy has a symbol group, and every icon the layer can ask for is drawn', () => {
    for (const type of FACILITY_TYPES) expect(FACILITY_GROUPS, type).toContain(FACILITY_GROUP_OF[type]);
    const ids = facilityIconIds();
    for (const group of FACILITY_GROUPS) for (const status of FACILITY_STATUSES) expect(ids).toContain(`${group}-${status}`);
    // The match expression sends each type to its group.
    const match = facilityGroupExpression() as unknown[];
    for (let i = 2; i < match.length - 1; i += 2) {
      const group = match[i + 1] as string;
      for (const type of match[i] as string[]) expect(FACILITY_GROUP_OF[type]).toBe(group);
    }
  });
});

describe('legends match the colours drawn', () => {
  it('status legend: one row per class colour of the status expression (must shaded by count)', () => {
    const expression = statusColor(theme) as unknown[];
    const drawn: string[] = [];
    for (let i = 2; i < expression.length - 1; i += 2) {
      const colour = expression[i + 1];
      drawn.push(...(typeof colour === 'string' ? [colour] : colorsOfStep(colour)));
    }
    drawn.push(expression.at(-1) as string);
    const legend = statusLegend(theme).map((r) => r.color);
    expect([...legend].sort()).toEqual([...drawn].sort());
    expect(legend).toHaveLength(STATUS_CLASSES.length - 1 + theme.mustByCount.colors.length);
  });

  it('density legend shows exactly the ramp of the density layer, in order', () => {
    const cells = plain.layers.find((l) => l.id === 'density-cells') as { paint: Record<string, unknown> };
    expect(rampLegend(theme.density).map((r) => r.color)).toEqual(colorsOfStep(cells.paint['circle-color']));
    expect(densityLegend(theme).map((r) => r.color)).toEqual(colorsOfStep(densityColor(theme)));
    expect(densityLegend(theme).at(-1)!.label).toBe(`≥ ${theme.density.breaks.at(-1)}`);
  });

  it('indicator and population legends show the colours the unit fill uses, with ranges from the breaks', () => {
    const ramp = indicatorRamp(theme, { target: 7.2, higherIsBetter: true }, [2, 5, 8]);
    expect(ramp.breaks).toEqual([3.6, 5.4, 7.2]);
    const mode: ColorMode = { kind: 'indicator', key: 'rule:im-beds-per-1k', ramp };
    const fill = unitFillColor(theme, mode) as unknown[];
    expect(rampLegend(ramp, String).map((r) => r.color)).toEqual(colorsOfStep(fill[2]));
    expect(rampLegend(ramp, String).map((r) => r.label)).toEqual(['< 3.6', '3.6 – 5.4', '5.4 – 7.2', '≥ 7.2']);
    expect(rampLegend(theme.population).map((r) => r.color)).toEqual(colorsOfStep(unitFillColor(theme, { kind: 'population' })));
  });

  it('quantile ramps without a target have increasing breaks and one colour more than breaks', () => {
    const ramp = indicatorRamp(theme, { target: null, higherIsBetter: false }, [0.1, 0.1, 0.2, 0.5, 0.9, 0.95]);
    expect(ramp.colors).toHaveLength(ramp.breaks.length + 1);
    for (let i = 1; i < ramp.breaks.length; i++) expect(ramp.breaks[i]!).toBeGreaterThan(ramp.breaks[i - 1]!);
    expect(ramp.colors[0]).toBe(theme.sequential.at(-1)); // lower is better: darkest first
  });

  it('facility legend uses the group colours the icons are drawn with; gaps use the gap colour', () => {
    expect(facilityLegend(theme).map((r) => r.color)).toEqual(FACILITY_GROUPS.map((g) => theme.facility[g].color));
    const gap = accessLayers('access', theme).find((l) => l.id === 'access-gap') as { paint: Record<string, unknown> };
    expect(gap.paint['circle-color']).toBe(theme.gap);
  });
});
