/**
 * One coverage map: MapLibre with our sources and the layers of layers.ts, the
 * unit colouring applied as feature-state from /api/ui/unit-stats, and the
 * overlays the panels ask for (reach of a facility, gap areas, scenario
 * changes, selection). The app makes one; the compare view makes a second one
 * for the scenario side and keeps both cameras together.
 *
 * Works with no network but this server: no glyph URL (MapLibre 6 draws every
 * label with the browser's fonts), icons drawn at run time, an online basemap
 * only when the server is configured with one (BASEMAP_URL).
 */
import * as maplibregl from 'maplibre-gl';
import type { Feature, FeatureCollection, Geometry, Point, Polygon } from 'geojson';
import type { Api } from '../api.ts';
import { drawIcons, ICON_PIXEL_RATIO } from '../icons.ts';
import { facilityLayers, unitColorPaint, type ColorMode } from '../layers.ts';
import { coverageStyle, LAYER_GROUPS, TILE_LAYERS, type LayerGroup } from './style.ts';

export type { LayerGroup } from './style.ts';
import { FACILITY_GROUP_OF, type StatusClass, type Theme } from '../theme.ts';
import type { FacilityChange, UiConfig, UnitStat } from '../types.ts';

export const REGION_BOUNDS: [number, number, number, number] = [97.2, 37.4, 126.1, 53.4];

export interface MapCallbacks {
  onUnitClick?(code: string, level: string): void;
  onFacilityClick?(id: number): void;
  /** A click anywhere (used while picking a site). */
  onMapClick?(lngLat: { lng: number; lat: number }): void;
}

export interface CoverageMapOptions {
  container: HTMLElement;
  theme: Theme;
  api: Api;
  basemap: UiConfig['basemap'];
  callbacks?: MapCallbacks;
  /** Attribution of our own data. */
  attribution: string;
}

/** A unit's stat → the class its colour shows. */
export function statusClassOf(stat: UnitStat | undefined): StatusClass {
  if (!stat) return 'none';
  switch (stat.worst) {
    case 'must':
    case 'target':
    case 'should':
      return stat.worst;
    case 'strive':
    case 'may':
      return 'other';
    default:
      if (stat.unknown > 0) return 'unknown';
      return stat.pass > 0 ? 'pass' : 'none';
  }
}

/** A geodesic circle as a polygon (spherical; for drawing a reach limit). */
export function circlePolygon(lon: number, lat: number, radiusKm: number, steps = 96): Polygon {
  const R = 6371.0088;
  const d = radiusKm / R;
  const φ1 = (lat * Math.PI) / 180;
  const λ1 = (lon * Math.PI) / 180;
  const ring: [number, number][] = [];
  for (let i = 0; i <= steps; i++) {
    const θ = (i / steps) * 2 * Math.PI;
    const φ2 = Math.asin(Math.sin(φ1) * Math.cos(d) + Math.cos(φ1) * Math.sin(d) * Math.cos(θ));
    const λ2 = λ1 + Math.atan2(Math.sin(θ) * Math.sin(d) * Math.cos(φ1), Math.cos(d) - Math.sin(φ1) * Math.sin(φ2));
    ring.push([Math.round(((λ2 * 180) / Math.PI) * 1e6) / 1e6, Math.round(((φ2 * 180) / Math.PI) * 1e6) / 1e6]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

const EMPTY: FeatureCollection = { type: 'FeatureCollection', features: [] };

export class CoverageMap {
  readonly map: maplibregl.Map;
  readonly ready: Promise<void>;
  private readonly theme: Theme;
  private readonly api: Api;
  private readonly origin = typeof location === 'undefined' ? '' : location.origin;
  private tileQuery: { ruleSet: number | null; scenario: number | null; accessClass: string } = { ruleSet: null, scenario: null, accessClass: 'basic' };
  private statsByCode = new Map<string, UnitStat>();
  private gapsAbort: AbortController | null = null;
  private gapsVisible = false;
  private hiddenFacilityIds: number[] = [];
  private hoverPopup: maplibregl.Popup;
  /** Layers of a basemap style (toggled together as the basemap). */
  private basemapLayerIds: string[] = [];
  /** League outlines and unit names are in (tests wait for it). */
  staticLoaded = false;

  constructor(private readonly options: CoverageMapOptions) {
    this.theme = options.theme;
    this.api = options.api;
    const basemap = options.basemap;
    const { sources, layers } = coverageStyle(this.theme, (layer) => this.tileUrl(layer), basemap);
    // A MapLibre style as basemap: load it, then put our sources and layers on top of it.
    const styleBasemap = basemap?.kind === 'style' ? basemap.url : null;
    this.map = new maplibregl.Map({
      container: options.container,
      style: styleBasemap ?? { version: 8, sources, layers },
      bounds: REGION_BOUNDS,
      // The legend sits bottom left, over the region's far west (Alxa): start the region clear of it.
      fitBoundsOptions: { padding: { top: 20, right: 20, bottom: 20, left: 250 } },
      maxZoom: 16,
      minZoom: 3,
      attributionControl: { compact: true, customAttribution: options.attribution },
      // Chinese labels with the browser's own fonts (no glyph server anywhere).
      localIdeographFontFamily: this.theme.font.join(', '),
      dragRotate: false,
      pitchWithRotate: false,
      cancelPendingTileRequestsWhileZooming: true,
    });
    this.map.touchZoomRotate.disableRotation();
    this.hoverPopup = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'hover-popup', offset: 10, maxWidth: '260px' });

    // Tiles may ask for an icon before 'load': draw it then. Unknown ids get an empty image.
    const icons = new Map(drawIcons(this.theme).map((i) => [i.id, i]));
    this.map.on('styleimagemissing', (e) => {
      if (this.map.hasImage(e.id)) return;
      const icon = icons.get(e.id);
      if (icon) this.map.addImage(e.id, { width: icon.width, height: icon.height, data: icon.data }, { pixelRatio: ICON_PIXEL_RATIO });
      else this.map.addImage(e.id, { width: 1, height: 1, data: new Uint8Array(4) });
    });
    // Our icons exist before any tile asks for them (the style is ours unless a basemap style loads).
    if (!styleBasemap) {
      for (const icon of icons.values()) this.map.addImage(icon.id, { width: icon.width, height: icon.height, data: icon.data }, { pixelRatio: ICON_PIXEL_RATIO });
    }
    // A basemap style replaces our background: load it, then put our layers on top.
    this.ready = new Promise<void>((resolve) => {
      this.map.on('load', () => {
        if (styleBasemap) {
          this.basemapLayerIds = this.map.getStyle().layers.map((l) => l.id);
          for (const [id, source] of Object.entries(sources)) this.map.addSource(id, source);
          for (const layer of layers) if (layer.id !== 'background') this.map.addLayer(layer);
        }
        for (const icon of icons.values()) {
          if (!this.map.hasImage(icon.id)) this.map.addImage(icon.id, { width: icon.width, height: icon.height, data: icon.data }, { pixelRatio: ICON_PIXEL_RATIO });
        }
        this.bindEvents();
        this.setVisible('density', false);
        this.setVisible('gaps', false);
        void this.loadStaticData();
        resolve();
      });
    });
  }

  private tileUrl(layer: string): string {
    const q = new URLSearchParams();
    if (layer === 'access') {
      q.set('class', this.tileQuery.accessClass);
      if (this.tileQuery.ruleSet !== null) q.set('ruleSet', String(this.tileQuery.ruleSet));
      if (this.tileQuery.scenario !== null) q.set('scenario', String(this.tileQuery.scenario));
    }
    const query = q.toString();
    return `${this.origin}/api/tiles/${layer}/{z}/{x}/{y}.pbf${query ? `?${query}` : ''}`;
  }

  /** League outlines and league/banner names: small GeoJSON loaded once. */
  private async loadStaticData(): Promise<void> {
    try {
      const [outlines, leaguePoints, bannerPoints] = await Promise.all([
        this.api.request<FeatureCollection>('GET', '/api/units', { query: { level: 'league', simplify: 500, limit: 100 } }),
        this.api.request<FeatureCollection>('GET', '/api/units', { query: { level: 'league', geometry: 'point', limit: 100 } }),
        this.api.request<FeatureCollection>('GET', '/api/units', { query: { level: 'banner', geometry: 'point', limit: 1000 } }),
      ]);
      (this.map.getSource('leagues') as maplibregl.GeoJSONSource).setData(outlines);
      (this.map.getSource('labels') as maplibregl.GeoJSONSource).setData({ type: 'FeatureCollection', features: [...leaguePoints.features, ...bannerPoints.features] });
      this.staticLoaded = true;
    } catch {
      // Labels are a convenience; the tiles carry the data.
    }
  }

  private bindEvents(): void {
    const map = this.map;
    const cb = this.options.callbacks ?? {};
    map.on('click', (e) => {
      const facility = map.queryRenderedFeatures(e.point, { layers: ['facilities-icons', 'scenario-icons'].filter((l) => map.getLayer(l)) })[0];
      if (facility && map.getLayoutProperty('facilities-icons', 'visibility') !== 'none') {
        const id = Number(facility.properties?.id);
        if (Number.isFinite(id)) {
          cb.onFacilityClick?.(id);
          return;
        }
      }
      cb.onMapClick?.(e.lngLat);
      const unit = map.queryRenderedFeatures(e.point, { layers: ['units-points', 'units-fill'] })[0];
      if (unit?.properties?.code) cb.onUnitClick?.(String(unit.properties.code), String(unit.properties.level));
    });
    const hoverable = ['facilities-icons', 'scenario-icons', 'units-points', 'units-fill'];
    map.on('mousemove', (e) => {
      const feature = map.queryRenderedFeatures(e.point, { layers: hoverable.filter((l) => map.getLayer(l)) })[0];
      map.getCanvas().style.cursor = feature ? 'pointer' : '';
      if (!feature) {
        this.hoverPopup.remove();
        return;
      }
      const name = String(feature.properties?.name ?? '');
      this.hoverPopup.setLngLat(e.lngLat).setText(name).addTo(map);
    });
    map.on('mouseout', () => this.hoverPopup.remove());
    map.on('moveend', () => void this.refreshGaps());
  }

  // ── colouring ─────────────────────────────────────────────────────────────

  setColorMode(mode: ColorMode): void {
    const paint = unitColorPaint(this.theme, mode);
    this.map.setPaintProperty('units-fill', 'fill-color', paint.fill);
    this.map.setPaintProperty('units-points', 'circle-color', paint.point);
  }

  /** Replace the per-unit figures of some levels (feature-state status and value). */
  setUnitStats(items: readonly UnitStat[], replaceAll = false): void {
    if (replaceAll) {
      this.map.removeFeatureState({ source: 'units', sourceLayer: 'units' });
      this.statsByCode.clear();
    }
    for (const stat of items) {
      this.statsByCode.set(stat.code, stat);
      this.map.setFeatureState({ source: 'units', sourceLayer: 'units', id: stat.code }, { status: statusClassOf(stat), mustFails: stat.fails.must, value: stat.value ?? null });
    }
  }

  statOf(code: string): UnitStat | undefined {
    return this.statsByCode.get(code);
  }

  // ── layers ────────────────────────────────────────────────────────────────

  setVisible(group: LayerGroup, visible: boolean): void {
    const ids = group === 'basemap' && this.basemapLayerIds.length > 0 ? this.basemapLayerIds : LAYER_GROUPS[group];
    for (const id of ids) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
    }
    if (group === 'gaps') {
      this.gapsVisible = visible;
      if (visible) void this.refreshGaps();
    }
  }

  hasBasemap(): boolean {
    return Boolean(this.map.getLayer('basemap')) || this.basemapLayerIds.length > 0;
  }

  /** Rule set, scenario and access class of the access tiles and gap areas. */
  setAccessQuery(query: { ruleSet: number | null; scenario: number | null; accessClass: string }): void {
    const same = query.ruleSet === this.tileQuery.ruleSet && query.scenario === this.tileQuery.scenario && query.accessClass === this.tileQuery.accessClass;
    this.tileQuery = { ...query };
    if (same) return;
    (this.map.getSource('access') as maplibregl.VectorTileSource | undefined)?.setTiles([this.tileUrl('access')]);
    void this.refreshGaps();
  }

  /** After an import or registry edit: fetch every tile again. */
  reloadTiles(): void {
    for (const layer of TILE_LAYERS) {
      (this.map.getSource(layer) as maplibregl.VectorTileSource | undefined)?.setTiles([`${this.tileUrl(layer)}${layer === 'access' ? '&' : '?'}r=${Date.now()}`]);
    }
    void this.refreshGaps();
  }

  private async refreshGaps(): Promise<void> {
    const source = this.map.getSource('gaps') as maplibregl.GeoJSONSource | undefined;
    if (!source) return;
    this.gapsAbort?.abort();
    if (!this.gapsVisible || this.map.getZoom() < 6) {
      source.setData(EMPTY);
      return;
    }
    const b = this.map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(4)).join(',');
    const abort = new AbortController();
    this.gapsAbort = abort;
    try {
      const gaps = await this.api.gaps({ bbox, class: this.tileQuery.accessClass, limit: 500, ruleSet: this.tileQuery.ruleSet, scenario: this.tileQuery.scenario }, abort.signal);
      if (!abort.signal.aborted) source.setData(gaps as FeatureCollection);
    } catch {
      // A newer request replaced this one, or the view moved on.
    }
  }

  // ── selection and overlays ────────────────────────────────────────────────

  selectUnit(code: string | null): void {
    const filterCode = code ?? '';
    this.map.setFilter('units-selected-outline', ['all', ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]], ['==', ['get', 'code'], filterCode]]);
    this.map.setFilter('units-selected-point', ['all', ['in', ['geometry-type'], ['literal', ['Point', 'MultiPoint']]], ['==', ['get', 'code'], filterCode]]);
  }

  selectFacility(id: number | null): void {
    this.map.setFilter('facilities-selected', ['==', ['get', 'id'], id ?? -1]);
  }

  /** The facility's catchment (people it is the nearest for) and its time-limit circle. */
  setReach(reach: { catchment: Geometry | null; center: [number, number]; radiusKm: number | null } | null): void {
    const source = this.map.getSource('reach') as maplibregl.GeoJSONSource;
    if (!reach) {
      source.setData(EMPTY);
      return;
    }
    const features: Feature[] = [];
    if (reach.catchment) features.push({ type: 'Feature', geometry: reach.catchment, properties: { part: 'catchment' } });
    if (reach.radiusKm) features.push({ type: 'Feature', geometry: circlePolygon(reach.center[0], reach.center[1], reach.radiusKm), properties: { part: 'limit' } });
    source.setData({ type: 'FeatureCollection', features });
  }

  /** A scenario's facility changes over the baseline's: changed ones drawn from the scenario, hidden in the tiles. */
  setScenarioFacilities(changes: readonly FacilityChange[] | null): void {
    const source = this.map.getSource('scenario') as maplibregl.GeoJSONSource;
    const features: Feature[] = [];
    const hidden: number[] = [];
    for (const c of changes ?? []) {
      if (c.id > 0) hidden.push(c.id);
      const after = c.after;
      const before = c.before;
      const site = after ?? before;
      if (!site) continue;
      const status = after ? (c.what === 'merged_away' || c.what === 'closed' || c.what === 'removed' ? 'closed' : after.status) : 'closed';
      const props = { id: c.id, name: c.name, what: c.what, group: FACILITY_GROUP_OF[site.type] ?? 'other', status, site: 'new' };
      features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [site.lon, site.lat] } as Point, properties: props });
      if (c.what === 'moved' && before && after) {
        features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: [before.lon, before.lat] }, properties: { ...props, site: 'old' } });
        features.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: [[before.lon, before.lat], [after.lon, after.lat]] }, properties: { what: 'moved' } });
      }
    }
    source.setData({ type: 'FeatureCollection', features });
    const same = hidden.length === this.hiddenFacilityIds.length && hidden.every((id, i) => id === this.hiddenFacilityIds[i]);
    if (!same) {
      this.hiddenFacilityIds = hidden;
      const [icons, labels] = facilityLayers('facilities', this.theme, { hiddenIds: hidden });
      this.map.setFilter('facilities-icons', (icons as { filter?: maplibregl.FilterSpecification }).filter ?? null);
      this.map.setFilter('facilities-labels', (labels as { filter?: maplibregl.FilterSpecification }).filter ?? null);
    }
  }

  flyToUnit(bbox: [number, number, number, number] | null, center: [number, number] | null, level: string): void {
    if (bbox) this.map.fitBounds(bbox, { padding: 40, maxZoom: level === 'banner' ? 9 : 10, duration: 600 });
    else if (center) this.map.flyTo({ center, zoom: level === 'village' ? 12 : level === 'township' ? 10 : 8, duration: 600 });
  }

  /** Keep another map's camera equal to this one's (compare view). Returns the undo. */
  syncWith(other: CoverageMap): () => void {
    let busy = false;
    const follow = (from: maplibregl.Map, to: maplibregl.Map) => () => {
      if (busy) return;
      busy = true;
      to.jumpTo({ center: from.getCenter(), zoom: from.getZoom(), bearing: from.getBearing(), pitch: from.getPitch() });
      busy = false;
    };
    const a = follow(this.map, other.map);
    const b = follow(other.map, this.map);
    this.map.on('move', a);
    other.map.on('move', b);
    a();
    return () => {
      this.map.off('move', a);
      other.map.off('move', b);
    };
  }

  remove(): void {
    this.gapsAbort?.abort();
    this.hoverPopup.remove();
    this.map.remove();
  }
}
