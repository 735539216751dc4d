/**
 * Coordinates: WGS84 is stored; GCJ-02 (AMap, Tencent, most Chinese web maps)
 * and BD-09 (Baidu) are converted on import. Users rarely know which one they
 * have, so a systematic offset that matches the GCJ-02 shift is reported.
 */
import gcoordModule from 'gcoord';
import type { Warning } from './problems.ts';

// gcoord is CommonJS whose module.exports is the API object; its typings describe it as `default`.
const gcoord = gcoordModule as unknown as (typeof gcoordModule)['default'];

export const CRS_OPTIONS = ['wgs84', 'gcj02', 'bd09'] as const;
export type InputCrs = (typeof CRS_OPTIONS)[number];

/** Longitude/latitude envelope of Inner Mongolia (region boundary 97.17–126.07 E, 37.41–53.34 N) with a margin. */
export const REGION_ENVELOPE = { minLon: 96.5, maxLon: 126.5, minLat: 37, maxLat: 54 } as const;

export function toWgs84(lon: number, lat: number, crs: InputCrs): [number, number] {
  if (crs === 'wgs84') return [lon, lat];
  const [x, y] = gcoord.transform([lon, lat], crs === 'gcj02' ? gcoord.GCJ02 : gcoord.BD09, gcoord.WGS84) as [number, number];
  return [x, y];
}

export function inEnvelope(lon: number, lat: number): boolean {
  return lon >= REGION_ENVELOPE.minLon && lon <= REGION_ENVELOPE.maxLon && lat >= REGION_ENVELOPE.minLat && lat <= REGION_ENVELOPE.maxLat;
}

/** Local metres east/north of b relative to a (equirectangular; fine for a few km). */
function offsetMetres(aLon: number, aLat: number, bLon: number, bLat: number): [number, number] {
  const k = 111_320;
  return [(bLon - aLon) * k * Math.cos((aLat * Math.PI) / 180), (bLat - aLat) * k];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface ShiftSample {
  row: number;
  /** Stored (converted) point. */
  lon: number;
  lat: number;
  /** The point of the unit it claims to stand in (seat or settlement). */
  unitLon: number;
  unitLat: number;
}

/**
 * Named assumptions of the shift detector: facilities are compared with the
 * point of the unit they stand in, using only those within NEAR_UNIT_M of it
 * (a hospital at the banner seat, a clinic at its village); with at least
 * MIN_SAMPLES of them, a median offset that is within MATCH_SHARE of the GCJ-02
 * shift vector at that place, and at least MIN_SHIFT_M long, is reported.
 */
export const SHIFT_DETECTION = { NEAR_UNIT_M: 3000, MIN_SAMPLES: 3, MATCH_SHARE: 0.4, MIN_SHIFT_M: 150 } as const;

/**
 * Report points that look GCJ-02-shifted although declared WGS84 (or already
 * WGS84 although declared GCJ-02 and therefore converted twice). Real
 * facilities scatter around their unit's point in every direction, so the
 * median offset is near zero; a systematic GCJ-02 offset (300–600 m to the
 * east-north-east in Inner Mongolia) survives the median.
 */
export function detectShift(samples: ShiftSample[], crs: InputCrs): Warning | undefined {
  const near = samples.filter((s) => {
    const [dx, dy] = offsetMetres(s.unitLon, s.unitLat, s.lon, s.lat);
    return Math.hypot(dx, dy) <= SHIFT_DETECTION.NEAR_UNIT_M;
  });
  if (near.length < SHIFT_DETECTION.MIN_SAMPLES) return undefined;
  const offsets = near.map((s) => offsetMetres(s.unitLon, s.unitLat, s.lon, s.lat));
  const dx = median(offsets.map((o) => o[0]));
  const dy = median(offsets.map((o) => o[1]));
  // The GCJ-02 shift vector at the samples' centre.
  const cLon = median(near.map((s) => s.unitLon));
  const cLat = median(near.map((s) => s.unitLat));
  const [gLon, gLat] = gcoord.transform([cLon, cLat], gcoord.WGS84, gcoord.GCJ02) as [number, number];
  const [gx, gy] = offsetMetres(cLon, cLat, gLon, gLat);
  const g = Math.hypot(gx, gy);
  const shift = Math.round(Math.hypot(dx, dy));
  if (shift < SHIFT_DETECTION.MIN_SHIFT_M) return undefined;
  const rows = near.map((s) => s.row).slice(0, 20);
  if (crs === 'wgs84' && Math.hypot(dx - gx, dy - gy) <= SHIFT_DETECTION.MATCH_SHARE * g) {
    return {
      code: 'looks_gcj02',
      en: `The points look GCJ-02 (Chinese web-map) coordinates: ${near.length} facilities near their unit's point are offset by a median ${shift} m, which matches the GCJ-02 shift here (${Math.round(g)} m). If they were copied from AMap, Tencent or a similar map, import again with crs=gcj02.`,
      zh: `这些坐标看起来是 GCJ-02（国测局/火星）坐标：${near.length} 个机构相对其所在区划点的中位偏移为 ${shift} 米，与此处 GCJ-02 偏移（${Math.round(g)} 米）一致。如坐标取自高德、腾讯等地图，请用 crs=gcj02 重新导入。`,
      rows,
      count: near.length,
    };
  }
  if (crs !== 'wgs84' && Math.hypot(dx + gx, dy + gy) <= SHIFT_DETECTION.MATCH_SHARE * g) {
    return {
      code: 'looks_wgs84',
      en: `After converting from ${crs.toUpperCase()}, ${near.length} facilities near their unit's point are offset by a median ${shift} m opposite to the GCJ-02 shift: the points were probably WGS84 already (GPS, Tianditu, OSM). Import again with crs=wgs84.`,
      zh: `按 ${crs.toUpperCase()} 转换后，${near.length} 个机构相对其所在区划点的中位偏移为 ${shift} 米，方向与 GCJ-02 偏移相反：原坐标可能已是 WGS84（GPS、天地图、OSM）。请用 crs=wgs84 重新导入。`,
      rows,
      count: near.length,
    };
  }
  return undefined;
}
