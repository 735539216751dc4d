/**
 * The coverage map's sources and layers as one pure function of (theme, tile
 * URL, basemap): what CoverageMap hands to MapLibre, and what the layer tests
 * check (every layer reads a source that exists, no id twice).
 *
 * Drawing order, bottom to top: background, optional raster basemap, density
 * cells, unit fills and outlines, league outlines, gap areas and people out of
 * reach, the selected facility's reach, township/village points, facilities,
 * scenario changes, unit names.
 */
import type { LayerSpecification, StyleSpecification, VectorSourceSpecification } from 'maplibre-gl';
import type { FeatureCollection } from 'geojson';
import { accessLayers, densityLayers, facilityLayers, gapAreaLayers, leagueOutlineLayers, reachLayers, scenarioLayers, unitLabelLayers, unitLayers } from '../layers.ts';
import type { Theme } from '../theme.ts';
import type { UiConfig } from '../types.ts';

/** The vector tile layers the server serves (server/tiles): /api/tiles/{layer}/{z}/{x}/{y}.pbf */
export const TILE_LAYERS = ['units', 'facilities', 'cells', 'access'] as const;
export type TileLayer = (typeof TILE_LAYERS)[number];

/** What the layer switcher turns on and off: groups of layer ids. */
export type LayerGroup = 'units' | 'facilities' | 'density' | 'gaps' | 'reach' | 'basemap';

export const LAYER_GROUPS: Record<LayerGroup, string[]> = {
  units: ['units-fill', 'units-outline', 'units-points', 'units-point-labels'],
  facilities: ['facilities-icons', 'facilities-labels', 'facilities-selected'],
  density: ['density-cells'],
  gaps: ['access-gap', 'access-mobile', 'gap-areas-fill', 'gap-areas-line'],
  reach: ['reach-catchment-fill', 'reach-catchment-line', 'reach-limit'],
  basemap: ['basemap'],
};

const EMPTY: FeatureCollection = { type: 'FeatureCollection', features: [] };

/** Feature ids for feature-state: units by code (colouring), facilities by id. */
const PROMOTE_ID: Partial<Record<TileLayer, string>> = { units: 'code', facilities: 'id' };

export function coverageStyle(theme: Theme, tileUrl: (layer: TileLayer) => string, basemap: UiConfig['basemap']): { sources: StyleSpecification['sources']; layers: LayerSpecification[] } {
  const vector = (layer: TileLayer): VectorSourceSpecification => {
    const promoteId = PROMOTE_ID[layer];
    return { type: 'vector', tiles: [tileUrl(layer)], minzoom: 0, maxzoom: 14, ...(promoteId ? { promoteId } : {}) };
  };
  const sources: StyleSpecification['sources'] = {
    units: vector('units'),
    facilities: vector('facilities'),
    cells: vector('cells'),
    access: vector('access'),
    leagues: { type: 'geojson', data: EMPTY },
    labels: { type: 'geojson', data: EMPTY },
    gaps: { type: 'geojson', data: EMPTY },
    reach: { type: 'geojson', data: EMPTY },
    scenario: { type: 'geojson', data: EMPTY },
  };
  const layers: LayerSpecification[] = [{ id: 'background', type: 'background', paint: { 'background-color': theme.background } }];
  if (basemap?.kind === 'raster') {
    sources.basemap = { type: 'raster', tiles: [basemap.url], tileSize: 256, attribution: basemap.attribution, maxzoom: 19 };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', layout: { visibility: 'none' }, paint: { 'raster-opacity': 0.7 } });
  }
  const units = unitLayers('units', theme, { kind: 'status' });
  const unitLayer = (...ids: string[]) => units.filter((l) => ids.includes(l.id));
  layers.push(
    ...densityLayers('cells', theme),
    ...unitLayer('units-fill', 'units-outline'),
    ...leagueOutlineLayers('leagues', theme),
    ...gapAreaLayers('gaps', theme),
    ...accessLayers('access', theme),
    ...reachLayers('reach', theme),
    ...unitLayer('units-points', 'units-selected-outline', 'units-selected-point'),
    ...facilityLayers('facilities', theme),
    ...scenarioLayers('scenario', theme),
    ...unitLabelLayers('labels', theme),
    ...unitLayer('units-point-labels'),
  );
  return { sources, layers };
}
