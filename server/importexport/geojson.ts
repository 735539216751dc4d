/**
 * GeoJSON files: a FeatureCollection (RFC 7946) and nothing else, checked
 * structurally in JS before PostGIS sees a geometry (so a malformed ring is a
 * clear problem, not a database error), then as tables of properties.
 */
import type { Feature, FeatureCollection, Geometry, Position } from 'geojson';
import { importUnreadable, ProblemList } from './problems.ts';
import type { Table } from './tabular.ts';

export function parseFeatureCollection(text: string): FeatureCollection {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    const message = (error as Error).message;
    throw importUnreadable(
      `The file is not valid JSON (${message}). A GeoJSON file must be one FeatureCollection object; was it cut off?`,
      `文件不是有效的 JSON（${message}）。GeoJSON 文件应为一个 FeatureCollection 对象；文件是否不完整？`,
    );
  }
  const kind = Array.isArray(parsed) ? 'an array' : parsed === null || typeof parsed !== 'object' ? typeof parsed : `a "${String((parsed as { type?: unknown }).type ?? 'object without type')}"`;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || (parsed as { type?: unknown }).type !== 'FeatureCollection') {
    throw importUnreadable(
      `The GeoJSON is ${kind}, not a FeatureCollection. Wrap the features in {"type": "FeatureCollection", "features": [...]}.`,
      `该 GeoJSON 是 ${kind}，不是 FeatureCollection。请将要素放入 {"type": "FeatureCollection", "features": [...]} 中。`,
    );
  }
  const fc = parsed as { features?: unknown; crs?: { properties?: { name?: unknown } } };
  if (!Array.isArray(fc.features)) {
    throw importUnreadable('The FeatureCollection has no "features" array.', 'FeatureCollection 缺少 "features" 数组。');
  }
  const crsName = fc.crs?.properties?.name;
  if (crsName !== undefined && !/(CRS84|EPSG:+4326|EPSG::4326|WGS ?84)$/i.test(String(crsName))) {
    throw importUnreadable(
      `The GeoJSON declares the coordinate system ${String(crsName)}; only WGS84 longitude/latitude (RFC 7946) is read (GCJ-02 and BD-09 via the crs option). Reproject it to EPSG:4326 first.`,
      `该 GeoJSON 声明的坐标系为 ${String(crsName)}；仅支持 WGS84 经纬度（RFC 7946；GCJ-02、BD-09 可用 crs 参数转换）。请先转换为 EPSG:4326。`,
    );
  }
  if (fc.features.length === 0) throw importUnreadable('The FeatureCollection has no features.', 'FeatureCollection 中没有任何要素。');
  return parsed as FeatureCollection;
}

function isPosition(p: unknown): p is Position {
  return Array.isArray(p) && p.length >= 2 && p.length <= 4 && p.every((n) => typeof n === 'number' && Number.isFinite(n));
}

/** Structural problems of a geometry, in both languages (empty = fine). */
export function geometryProblems(geometry: unknown, allowed: readonly string[], checkRange = true): { en: string; zh: string }[] {
  if (geometry === null || geometry === undefined) return [{ en: 'the feature has no geometry', zh: '要素没有几何图形' }];
  const g = geometry as { type?: unknown; coordinates?: unknown };
  if (typeof g.type !== 'string' || !allowed.includes(g.type)) {
    return [{ en: `geometry type ${String(g.type)} is not accepted here (expected ${allowed.join(' or ')})`, zh: `此处不接受几何类型 ${String(g.type)}（应为 ${allowed.join(' 或 ')}）` }];
  }
  const out: { en: string; zh: string }[] = [];
  const position = (p: unknown, where: string) => {
    if (!isPosition(p)) {
      out.push({ en: `${where}: a position must be [longitude, latitude] numbers`, zh: `${where}：坐标应为 [经度, 纬度] 数字` });
      return;
    }
    const [x, y] = p as [number, number];
    if (checkRange && (x < -180 || x > 180 || y < -90 || y > 90)) {
      out.push({ en: `${where}: [${x}, ${y}] is not a longitude/latitude`, zh: `${where}：[${x}, ${y}] 不是有效的经纬度` });
    }
  };
  const ring = (r: unknown, where: string) => {
    if (!Array.isArray(r) || r.length < 4) {
      out.push({ en: `${where}: a ring needs at least 4 positions`, zh: `${where}：环至少需要 4 个坐标点` });
      return;
    }
    r.forEach((p, i) => position(p, `${where} point ${i + 1}`));
    const first = r[0] as Position;
    const last = r[r.length - 1] as Position;
    if (isPosition(first) && isPosition(last) && (first[0] !== last[0] || first[1] !== last[1])) {
      out.push({ en: `${where}: the ring is not closed (first and last positions differ)`, zh: `${where}：环未闭合（首末坐标不同）` });
    }
  };
  const polygon = (rings: unknown, where: string) => {
    if (!Array.isArray(rings) || rings.length === 0) {
      out.push({ en: `${where}: a polygon needs at least one ring`, zh: `${where}：多边形至少需要一个环` });
      return;
    }
    rings.forEach((r, i) => ring(r, `${where} ring ${i + 1}`));
  };
  switch (g.type) {
    case 'Point':
      position(g.coordinates, 'point');
      break;
    case 'Polygon':
      polygon(g.coordinates, 'polygon');
      break;
    case 'MultiPolygon':
      if (!Array.isArray(g.coordinates) || g.coordinates.length === 0) out.push({ en: 'a MultiPolygon needs at least one polygon', zh: 'MultiPolygon 至少需要一个多边形' });
      else g.coordinates.forEach((p, i) => polygon(p, `polygon ${i + 1}`));
      break;
    default:
      out.push({ en: `geometry type ${g.type} is not supported`, zh: `不支持几何类型 ${g.type}` });
  }
  return out.slice(0, 5);
}

/** Apply a coordinate conversion to every position of a (validated) geometry. */
export function mapPositions(geometry: Geometry, fn: (lon: number, lat: number) => [number, number]): Geometry {
  const pos = (p: Position): Position => fn(p[0]!, p[1]!);
  switch (geometry.type) {
    case 'Point':
      return { type: 'Point', coordinates: pos(geometry.coordinates) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: geometry.coordinates.map((r) => r.map(pos)) };
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: geometry.coordinates.map((p) => p.map((r) => r.map(pos))) };
    default:
      return geometry;
  }
}

export const GEOMETRY_LON = '经度 (geometry)';
export const GEOMETRY_LAT = '纬度 (geometry)';

/**
 * Point features as a table: one row per feature (row = feature number), the
 * properties as columns, and the point's coordinates as two extra columns that
 * replace any lon/lat properties (the geometry is authoritative).
 */
export function pointFeaturesAsTable(fc: FeatureCollection, problems: ProblemList, isCoordinateHeader: (h: string) => boolean): Table {
  const headers: string[] = [];
  const seen = new Set<string>();
  for (const f of fc.features) {
    for (const key of Object.keys((f as Feature).properties ?? {})) {
      if (!seen.has(key) && !isCoordinateHeader(key)) {
        seen.add(key);
        headers.push(key);
      }
    }
  }
  headers.push(GEOMETRY_LON, GEOMETRY_LAT);
  const rows = fc.features.map((f, i) => {
    const row = i + 1;
    const feature = f as Partial<Feature>;
    const cells = headers.slice(0, -2).map((h) => {
      const v = (feature.properties ?? {})[h];
      if (v === null || v === undefined) return '';
      if (Array.isArray(v)) return v.join(';');
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
    if (feature.type !== 'Feature') {
      problems.add(row, 'type', feature.type, 'not_a_feature', 'each element of "features" must be a Feature', '"features" 中的每个元素都必须是 Feature');
      cells.push('', '');
      return { row, cells };
    }
    // Ranges are checked by the importer, which can tell swapped coordinates apart.
    const issues = geometryProblems(feature.geometry, ['Point'], false);
    for (const issue of issues) problems.add(row, 'geometry', JSON.stringify(feature.geometry)?.slice(0, 80), 'invalid_geometry', issue.en, issue.zh);
    if (issues.length === 0) {
      const [lon, lat] = (feature.geometry as { coordinates: number[] }).coordinates as [number, number];
      cells.push(String(lon), String(lat));
    } else {
      cells.push('', '');
    }
    return { row, cells };
  });
  return { headers, headerRow: 0, rows };
}
