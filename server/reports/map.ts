/**
 * The report's map, drawn server-side and offline as SVG (embedded in the
 * HTML, so the PDF carries it without a browser map or tiles): the unit's
 * boundary (and its leagues'/banners' for larger units), township seats with
 * names, facilities by type, the gap areas of the 15-minute circle's class in
 * red, villages with people out of reach as circles whose area is the number
 * of people, a legend with counts, a scale bar and a north arrow.
 *
 * `mapData` reads what the API serves — boundaries and points as
 * /api/units returns them (units repository, simplified), facilities through
 * the evaluation's context, gap areas as /api/access/gaps draws them
 * (gapFeatures: PostGIS union of the cells) — and `renderMapSvg` is a pure
 * function of that data (unit-tested).
 */
import { sql, type Kysely } from 'kysely';
import type { Geometry, Position } from 'geojson';
import type { Database } from '../db/schema.ts';
import type { EvaluationContext } from '../engine/context.ts';
import type { FacilityType, Level } from '../domain/taxonomy.ts';
import type { ScopedUnit } from '../rules/engine.ts';
import { facilityInScope } from '../rules/sql.ts';
import type { AccessResult } from '../access/engine.ts';
import { classOf, classRef, filterGaps, gapFeatures, type ClassRef } from '../access/views.ts';
import { findUnit, listUnits } from '../units/repository.ts';
import type { Bilingual } from '../rules/types.ts';
import { fmt } from '../rules/text.ts';
import { bi, tr, type Lang } from './i18n.ts';
import type { ReportModel } from './model.ts';

type Shape = 'square' | 'triangle' | 'dot' | 'diamond';

export interface FacilityGroup {
  key: string;
  types: readonly FacilityType[];
  shape: Shape;
  colour: string;
  label: Bilingual;
}

export const FACILITY_GROUPS: readonly FacilityGroup[] = [
  { key: 'general', types: ['general_hospital', 'integrated_hospital'], shape: 'square', colour: '#1f4e9c', label: bi('综合医院、中西医结合医院', 'General / integrated hospital') },
  { key: 'tcm', types: ['tcm_hospital'], shape: 'square', colour: '#2e7d32', label: bi('中医（蒙医）医院', 'TCM / Mongolian-medicine hospital') },
  { key: 'mch', types: ['mch_hospital'], shape: 'square', colour: '#c2185b', label: bi('妇幼保健院', 'Maternal & child health hospital') },
  { key: 'specialist', types: ['psychiatric_hospital', 'infectious_hospital', 'specialist_hospital'], shape: 'square', colour: '#6a1b9a', label: bi('精神、传染病及其他专科医院', 'Psychiatric, infectious-disease, specialist hospital') },
  { key: 'public_health', types: ['cdc', 'health_supervision', 'emergency_station'], shape: 'diamond', colour: '#424242', label: bi('疾控、卫生监督、急救机构', 'CDC, supervision, emergency') },
  { key: 'township', types: ['township_health_centre', 'community_health_centre'], shape: 'triangle', colour: '#e65100', label: bi('苏木乡镇卫生院、社区卫生服务中心', 'Township / community health centre') },
  { key: 'village', types: ['village_clinic', 'community_health_station'], shape: 'dot', colour: '#00838f', label: bi('嘎查村卫生室、社区卫生服务站', 'Village clinic / community health station') },
];

/** Which facility groups a map of a unit at this level draws (a region map of 24,000 dots says nothing). */
export function groupsForLevel(level: Level): FacilityGroup[] {
  if (level === 'region') return FACILITY_GROUPS.filter((g) => ['general', 'tcm', 'mch', 'specialist'].includes(g.key));
  if (level === 'league') return FACILITY_GROUPS.filter((g) => g.key !== 'village');
  return [...FACILITY_GROUPS];
}

const SIMPLIFY_METRES: Record<Level, number> = { region: 2000, league: 500, banner: 120, township: 60, village: 30 };
/** Most gap areas and village circles drawn (largest first); the legend gives the totals. */
const MAX_GAPS = 400;
const MAX_VILLAGES = 300;

export interface MapData {
  level: Level;
  name: string;
  bbox: [number, number, number, number];
  boundary: Geometry | null;
  children: { code: string; name: string; boundary: Geometry | null; label: [number, number] | null }[];
  places: { name: string; lon: number; lat: number }[];
  facilities: { group: string; lon: number; lat: number }[];
  groups: { key: string; count: number }[];
  omittedTypes: FacilityType[];
  gaps: { population: number; geometry: Geometry }[];
  gapTotals: { areas: number; population: number; drawn: number };
  villages: { name: string; lon: number; lat: number; gap: number }[];
  villageTotals: { villages: number; people: number; drawn: number };
  circleClass: ClassRef | null;
}

function pointOf(g: Geometry | null): [number, number] | null {
  return g && g.type === 'Point' ? [g.coordinates[0]!, g.coordinates[1]!] : null;
}

export async function mapData(db: Kysely<Database>, ctx: EvaluationContext, access: AccessResult, root: ScopedUnit, model: Pick<ReportModel, 'access'>): Promise<MapData> {
  const simplify = SIMPLIFY_METRES[root.level];
  const unit = await findUnit(db, root.code, { boundary: true, simplifyMetres: simplify });
  const childLevel: Level | null = root.level === 'region' ? 'league' : root.level === 'league' ? 'banner' : null;
  const children: MapData['children'] = [];
  if (childLevel) {
    const [shapes, seats] = await Promise.all([
      listUnits(db, { parent: root.code, level: childLevel, geometry: 'boundary', simplifyMetres: simplify, limit: 500, offset: 0 }),
      listUnits(db, { parent: root.code, level: childLevel, geometry: 'point', limit: 500, offset: 0 }),
    ]);
    const seatOf = new Map(seats.rows.map((r) => [r.code, pointOf(r.geometry)]));
    for (const r of shapes.rows) children.push({ code: r.code, name: r.name, boundary: r.geometry, label: seatOf.get(r.code) ?? null });
  }
  // Named places: township seats in a banner, villages in a township.
  const placeLevel: Level | null = root.level === 'banner' ? 'township' : root.level === 'township' ? 'village' : null;
  const places: MapData['places'] = [];
  if (placeLevel) {
    const rows = await listUnits(db, { parent: root.code, level: placeLevel, geometry: 'point', limit: 2000, offset: 0 });
    for (const r of rows.rows) {
      const p = pointOf(r.geometry);
      if (p) places.push({ name: r.name, lon: p[0], lat: p[1] });
    }
  }
  const groups = groupsForLevel(root.level);
  const groupOf = new Map<string, string>();
  for (const g of groups) for (const t of g.types) groupOf.set(t, g.key);
  // The statuses that provide care in the access engine (rule-set parameter facilityStatuses).
  const statuses = access.params.facilityStatuses;
  const { rows: facilityRows } = await sql<{ type: string; lon: number; lat: number }>`
    SELECT f.type, ST_X(f.location) AS lon, ST_Y(f.location) AS lat
    FROM ${ctx.facilities} AS f
    WHERE ${facilityInScope({ root: { code: root.code, level: root.level } }, 'village', 'f')}
      AND f.status = ANY(${statuses}::text[]) AND f.type = ANY(${[...groupOf.keys()]}::text[])
    ORDER BY f.id`.execute(ctx.db);
  const facilities = facilityRows.map((r) => ({ group: groupOf.get(r.type)!, lon: Number(r.lon), lat: Number(r.lat) }));
  const counts = new Map<string, number>();
  for (const f of facilities) counts.set(f.group, (counts.get(f.group) ?? 0) + 1);

  const cls = classOf(access, access.params.circleClass);
  const rootIndex = access.units.index.get(root.code)!;
  let gaps: MapData['gaps'] = [];
  let gapTotals = { areas: 0, population: 0, drawn: 0 };
  if (cls) {
    const areas = filterGaps(access, cls, { scope: rootIndex }).sort((a, b) => b.population - a.population || (a.id < b.id ? -1 : 1));
    const drawn = areas.slice(0, MAX_GAPS);
    const features = await gapFeatures(db, ctx, access, cls, drawn);
    gaps = features.filter((f) => f.geometry !== null).map((f) => ({ population: f.properties.population, geometry: f.geometry! }));
    gapTotals = { areas: areas.length, population: areas.reduce((s, a) => s + a.population, 0), drawn: gaps.length };
  }
  const out = model.access.villagesOutOfReach.find((v) => v.class.key === access.params.circleClass)?.villages ?? [];
  const wanted = out.filter((v) => v.gap > 0).slice(0, MAX_VILLAGES);
  const villages: MapData['villages'] = [];
  if (wanted.length > 0) {
    const { rows } = await sql<{ code: string; lon: number; lat: number }>`
      SELECT u.code, ST_X(u.point) AS lon, ST_Y(u.point) AS lat FROM ${ctx.units} AS u
      WHERE u.code = ANY(${wanted.map((v) => v.code)}::text[]) AND u.point IS NOT NULL`.execute(ctx.db);
    const at = new Map(rows.map((r) => [r.code, [Number(r.lon), Number(r.lat)] as const]));
    for (const v of wanted) {
      const p = at.get(v.code);
      if (p) villages.push({ name: v.name, lon: p[0], lat: p[1], gap: v.gap });
    }
  }
  const withGap = out.filter((v) => v.gap > 0);
  // Townships have no boundary (their bbox is their seat): frame what is drawn instead.
  const bbox = unit?.boundary && unit.bbox ? (unit.bbox.map(Number) as [number, number, number, number]) : extentOf([...facilities, ...places, ...villages]);
  return {
    level: root.level,
    name: root.name,
    bbox: padBbox(bbox),
    boundary: unit?.boundary ?? null,
    children,
    places,
    facilities,
    groups: groups.map((g) => ({ key: g.key, count: counts.get(g.key) ?? 0 })),
    omittedTypes: (['outpatient_clinic', 'nursing_rehab'] as FacilityType[]).concat(FACILITY_GROUPS.filter((g) => !groups.includes(g)).flatMap((g) => [...g.types])),
    gaps,
    gapTotals,
    villages,
    villageTotals: { villages: withGap.length, people: withGap.reduce((s, v) => s + v.gap, 0), drawn: villages.length },
    circleClass: cls ? classRef(cls.cls) : null,
  };
}

function extentOf(points: { lon: number; lat: number }[]): [number, number, number, number] {
  if (points.length === 0) return [119, 42, 121, 43];
  let b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of points) b = [Math.min(b[0], p.lon), Math.min(b[1], p.lat), Math.max(b[2], p.lon), Math.max(b[3], p.lat)];
  return b;
}

function padBbox(b: [number, number, number, number]): [number, number, number, number] {
  const dx = Math.max(b[2] - b[0], 0.02) * 0.03;
  const dy = Math.max(b[3] - b[1], 0.02) * 0.03;
  return [b[0] - dx, b[1] - dy, b[2] + dx, b[3] + dy];
}

// ── SVG ─────────────────────────────────────────────────────────────────────

const W = 1000;
const PAD = 10;
const MAX_MAP_H = 1180;
const FONT = `'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','PingFang SC','Microsoft YaHei','WenQuanYi Micro Hei',sans-serif`;

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface Projection {
  x(lon: number): number;
  y(lat: number): number;
  /** Kilometres per SVG unit. */
  kmPerUnit: number;
  width: number;
  height: number;
}

export function projection(bbox: [number, number, number, number]): Projection {
  const [minx, miny, maxx, maxy] = bbox;
  const k = Math.cos((((miny + maxy) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxx - minx) * k, 1e-6);
  const spanY = Math.max(maxy - miny, 1e-6);
  let s = (W - 2 * PAD) / spanX;
  if (spanY * s > MAX_MAP_H - 2 * PAD) s = (MAX_MAP_H - 2 * PAD) / spanY;
  const width = W;
  const height = Math.round(spanY * s + 2 * PAD);
  const offsetX = (W - spanX * s) / 2;
  return {
    x: (lon) => Math.round((offsetX + (lon - minx) * k * s) * 10) / 10,
    y: (lat) => Math.round((PAD + (maxy - lat) * s) * 10) / 10,
    kmPerUnit: 111.32 / s,
    width,
    height,
  };
}

function ringPath(ring: Position[], p: Projection): string {
  let d = '';
  let lastX = NaN;
  let lastY = NaN;
  for (let i = 0; i < ring.length; i++) {
    const x = p.x(ring[i]![0]!);
    const y = p.y(ring[i]![1]!);
    if (x === lastX && y === lastY) continue;
    d += `${d === '' ? 'M' : 'L'}${x} ${y}`;
    lastX = x;
    lastY = y;
  }
  return d === '' ? '' : `${d}Z`;
}

export function geometryPath(g: Geometry, p: Projection): string {
  switch (g.type) {
    case 'Polygon':
      return g.coordinates.map((r) => ringPath(r, p)).join('');
    case 'MultiPolygon':
      return g.coordinates.map((poly) => poly.map((r) => ringPath(r, p)).join('')).join('');
    case 'GeometryCollection':
      return g.geometries.map((x) => geometryPath(x, p)).join('');
    default:
      return '';
  }
}

function symbol(shape: Shape, x: number, y: number, size: number, colour: string): string {
  const h = size / 2;
  switch (shape) {
    case 'square':
      return `<rect x="${x - h}" y="${y - h}" width="${size}" height="${size}" fill="${colour}" stroke="#fff" stroke-width="1.2"/>`;
    case 'triangle':
      return `<path d="M${x} ${y - h * 1.15}L${x + h} ${y + h * 0.85}L${x - h} ${y + h * 0.85}Z" fill="${colour}" stroke="#fff" stroke-width="1"/>`;
    case 'diamond':
      return `<path d="M${x} ${y - h}L${x + h} ${y}L${x} ${y + h}L${x - h} ${y}Z" fill="${colour}" stroke="#fff" stroke-width="1"/>`;
    case 'dot':
      return `<circle cx="${x}" cy="${y}" r="${h}" fill="${colour}" fill-opacity="0.85"/>`;
  }
}

const SYMBOL_SIZE: Record<Shape, number> = { square: 13, diamond: 12, triangle: 13, dot: 5.5 };

function niceKm(target: number): number {
  const exp = 10 ** Math.floor(Math.log10(target));
  for (const m of [5, 2, 1]) if (m * exp <= target) return m * exp;
  return exp;
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}
const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && a.x1 > b.x0 && a.y0 < b.y1 && a.y1 > b.y0;

/** Rough width of a label in SVG units (CJK glyphs are square; Latin about half). */
function labelWidth(text: string, size: number): number {
  let w = 0;
  for (const ch of text) w += /[\u2e80-\u9fff\uff00-\uffef]/.test(ch) ? size : size * 0.58;
  return w;
}

/** Labels placed greedily in the given order; one that would overlap a placed label is left out. */
function labels(items: { text: string; x: number; y: number; size: number; weight?: number }[], taken: Box[] = []): string {
  let out = '';
  for (const it of items) {
    const w = labelWidth(it.text, it.size);
    const box = { x0: it.x + 6, y0: it.y - it.size * 0.8, x1: it.x + 6 + w, y1: it.y + it.size * 0.35 };
    if (box.x1 > W - 4 || taken.some((b) => overlaps(b, box))) continue;
    taken.push(box);
    out += `<text x="${it.x + 6}" y="${it.y + it.size * 0.3}" font-size="${it.size}"${it.weight ? ` font-weight="${it.weight}"` : ''} class="halo">${escapeXml(it.text)}</text>`;
  }
  return out;
}

export function renderMapSvg(data: MapData, lang: Lang): string {
  const p = projection(data.bbox);
  const mapH = p.height;
  const parts: string[] = [];
  const clipId = `clip-${data.level}`;
  const boundaryPath = data.boundary ? geometryPath(data.boundary, p) : '';
  parts.push(`<rect x="0" y="0" width="${W}" height="${mapH}" fill="#f4f7fa"/>`);
  if (boundaryPath) {
    parts.push(`<defs><clipPath id="${clipId}"><path d="${boundaryPath}" clip-rule="evenodd"/></clipPath></defs>`);
    parts.push(`<path d="${boundaryPath}" fill="#ffffff" fill-rule="evenodd" stroke="none"/>`);
  }
  // Gap areas under everything else, clipped to the unit (clusters run on across its border).
  if (data.gaps.length > 0) {
    const d = data.gaps.map((g) => geometryPath(g.geometry, p)).join('');
    parts.push(`<path d="${d}" fill="#e53935" fill-opacity="0.42" stroke="#b71c1c" stroke-width="0.6" fill-rule="nonzero"${boundaryPath ? ` clip-path="url(#${clipId})"` : ''}/>`);
  }
  for (const c of data.children) {
    if (c.boundary) parts.push(`<path d="${geometryPath(c.boundary, p)}" fill="none" stroke="#78909c" stroke-width="1" stroke-dasharray="5 3"/>`);
  }
  if (boundaryPath) parts.push(`<path d="${boundaryPath}" fill="none" stroke="#263238" stroke-width="2.2" fill-rule="evenodd"/>`);
  // People out of reach per village: circle area ∝ people.
  const maxGap = Math.max(1, ...data.villages.map((v) => v.gap));
  const radius = (n: number) => Math.max(2.5, 16 * Math.sqrt(n / maxGap));
  for (const v of [...data.villages].sort((a, b) => b.gap - a.gap)) {
    parts.push(`<circle cx="${p.x(v.lon)}" cy="${p.y(v.lat)}" r="${Math.round(radius(v.gap) * 10) / 10}" fill="#e53935" fill-opacity="0.18" stroke="#b71c1c" stroke-width="1.1"/>`);
  }
  // Facilities: small symbols first, hospitals on top.
  const order = ['village', 'township', 'public_health', 'specialist', 'mch', 'tcm', 'general'];
  const groups = new Map(FACILITY_GROUPS.map((g) => [g.key, g]));
  for (const key of order) {
    const g = groups.get(key)!;
    for (const f of data.facilities) if (f.group === key) parts.push(symbol(g.shape, p.x(f.lon), p.y(f.lat), SYMBOL_SIZE[g.shape], g.colour));
  }
  // Seats of townships (banner map) and names; league and banner names on larger maps.
  const taken: Box[] = [];
  const placeItems = data.places.map((pl) => ({ text: pl.name, x: p.x(pl.lon), y: p.y(pl.lat), size: data.level === 'township' ? 13 : 15 }));
  for (const it of placeItems) parts.push(`<circle cx="${it.x}" cy="${it.y}" r="3" fill="#263238"/>`);
  const childItems = data.children.filter((c) => c.label).map((c) => ({ text: c.name, x: p.x(c.label![0]), y: p.y(c.label![1]), size: 17, weight: 600 }));
  parts.push(labels([...childItems, ...placeItems], taken));
  parts.push(northArrow(lang));
  parts.push(scaleBar(p, lang));
  parts.push(`<rect x="0.5" y="0.5" width="${W - 1}" height="${mapH - 1}" fill="none" stroke="#90a4ae" stroke-width="1"/>`);
  const legend = legendSvg(data, mapH, lang);
  const height = mapH + legend.height;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${escapeXml(`${data.name} ${tr(bi('地图', 'map'), lang)}`)}" font-family="${FONT}">` +
    `<style>.halo{paint-order:stroke;stroke:#fff;stroke-width:3.5px;stroke-linejoin:round;fill:#212121}</style>` +
    parts.join('') +
    legend.svg +
    '</svg>'
  );
}

function northArrow(lang: Lang): string {
  const x = W - 40;
  const y = 22;
  return (
    `<g><circle cx="${x}" cy="${y + 22}" r="24" fill="#fff" fill-opacity="0.85"/>` +
    `<path d="M${x} ${y}L${x + 11} ${y + 34}L${x} ${y + 26}L${x - 11} ${y + 34}Z" fill="#263238"/>` +
    `<text x="${x}" y="${y + 58}" font-size="15" text-anchor="middle" class="halo" font-weight="700">${lang === 'en' ? 'N' : '北'}</text></g>`
  );
}

function scaleBar(p: Projection, lang: Lang): string {
  const km = niceKm((W * 0.22) * p.kmPerUnit);
  const len = km / p.kmPerUnit;
  const x = 24;
  const y = p.height - 26;
  const half = Math.round((len / 2) * 10) / 10;
  const unit = lang === 'en' ? 'km' : '千米';
  return (
    `<g><rect x="${x - 10}" y="${y - 26}" width="${len + 78}" height="44" fill="#fff" fill-opacity="0.88" rx="3"/>` +
    `<rect x="${x}" y="${y}" width="${half}" height="7" fill="#263238"/><rect x="${x + half}" y="${y}" width="${Math.round((len - half) * 10) / 10}" height="7" fill="#fff" stroke="#263238" stroke-width="1"/>` +
    `<text x="${x}" y="${y - 6}" font-size="14" text-anchor="middle" fill="#212121">0</text>` +
    `<text x="${Math.round((x + len) * 10) / 10}" y="${y - 6}" font-size="14" text-anchor="middle" fill="#212121">${fmt(km, 1)} ${unit}</text></g>`
  );
}

function legendSvg(data: MapData, top: number, lang: Lang): { svg: string; height: number } {
  const rows: string[] = [];
  const col = (i: number) => 12 + (i % 2) * 494;
  const line = 26;
  let i = 0;
  const at = () => ({ x: col(i), y: top + 30 + Math.floor(i / 2) * line });
  const text = (x: number, y: number, s: string) => `<text x="${x + 26}" y="${y + 5}" font-size="15" fill="#212121">${escapeXml(s)}</text>`;
  const cls = data.circleClass;
  const limit = cls ? tr(cls.limitText, lang) : '';
  {
    const { x, y } = at();
    const label =
      lang === 'en'
        ? `Gap areas: ${cls ? cls.name.en : ''} beyond ${limit}: ${fmt(data.gapTotals.areas, 0)} areas, ${fmt(data.gapTotals.population, 0)} people${data.gapTotals.drawn < data.gapTotals.areas ? ` (largest ${data.gapTotals.drawn} drawn)` : ''}`
        : `服务空白区（${cls ? cls.name.zh : ''}${limit}以外）：${fmt(data.gapTotals.areas, 0)} 片，${fmt(data.gapTotals.population, 0)} 人${data.gapTotals.drawn < data.gapTotals.areas ? `（绘出最大的 ${data.gapTotals.drawn} 片）` : ''}`;
    rows.push(`<rect x="${x}" y="${y - 7}" width="18" height="13" fill="#e53935" fill-opacity="0.42" stroke="#b71c1c" stroke-width="0.8"/>` + text(x, y, label));
    i = 2;
  }
  {
    const { x, y } = at();
    const label =
      lang === 'en'
        ? `People out of reach by village (circle area ∝ people): ${fmt(data.villageTotals.villages, 0)} villages, ${fmt(data.villageTotals.people, 0)} people${data.villageTotals.drawn < data.villageTotals.villages ? ` (${data.villageTotals.drawn} largest drawn)` : ''}`
        : `时限外人口（按嘎查村，圆面积与人数成正比）：${fmt(data.villageTotals.villages, 0)} 个村，${fmt(data.villageTotals.people, 0)} 人${data.villageTotals.drawn < data.villageTotals.villages ? `（绘出最多的 ${data.villageTotals.drawn} 个）` : ''}`;
    rows.push(`<circle cx="${x + 9}" cy="${y}" r="8" fill="#e53935" fill-opacity="0.18" stroke="#b71c1c" stroke-width="1.1"/>` + text(x, y, label));
    i = 4;
  }
  for (const g of FACILITY_GROUPS) {
    const count = data.groups.find((c) => c.key === g.key);
    if (!count) continue;
    const { x, y } = at();
    rows.push(symbol(g.shape, x + 9, y, SYMBOL_SIZE[g.shape], g.colour) + text(x, y, lang === 'en' ? `${g.label.en} (${fmt(count.count, 0)})` : `${g.label.zh}（${fmt(count.count, 0)}）`));
    i++;
  }
  if (data.places.length > 0) {
    const { x, y } = at();
    rows.push(`<circle cx="${x + 9}" cy="${y}" r="3" fill="#263238"/>` + text(x, y, data.level === 'township' ? tr(bi('嘎查村（社区）位置', 'Village location'), lang) : tr(bi('苏木乡镇（街道）驻地', 'Township seat'), lang)));
    i++;
  }
  if (data.boundary) {
    const { x, y } = at();
    rows.push(`<path d="M${x} ${y}H${x + 18}" stroke="#263238" stroke-width="2.2"/>` + text(x, y, tr(bi('本单位边界', 'Unit boundary'), lang)));
    i++;
  }
  if (data.children.length > 0) {
    const { x, y } = at();
    rows.push(`<path d="M${x} ${y}H${x + 18}" stroke="#78909c" stroke-width="1.2" stroke-dasharray="5 3"/>` + text(x, y, tr(bi('下级单位边界', 'Boundaries of units below'), lang)));
    i++;
  }
  if (i % 2 === 1) i++;
  const noteY = top + 30 + Math.floor(i / 2) * line;
  const omitted = lang === 'en' ? 'Not drawn: outpatient clinics, nursing and rehabilitation homes' : '未绘出：门诊部、诊所及护理康复机构';
  const more = data.level === 'region' ? (lang === 'en' ? ', township and village facilities' : '、基层医疗卫生机构') : data.level === 'league' ? (lang === 'en' ? ', village clinics' : '、嘎查村卫生室') : '';
  rows.push(`<text x="12" y="${noteY}" font-size="13" fill="#546e7a">${escapeXml(`${omitted}${more}。${lang === 'en' ? 'Straight-line travel estimate; see the appendix.' : '可达性按直线距离估算，见附录。'}`)}</text>`);
  const height = noteY - top + 16;
  return { svg: `<g>${rows.join('')}</g>`, height };
}
