/**
 * Population rasters (GeoTIFF): WorldPop (EPSG:4326, people per ~100 m or ~1 km
 * pixel, no-data -99999) and GHS-POP (World Mollweide ESRI:54009, 100 m or 1 km,
 * no-data -200). Only the window over Inner Mongolia is read; each populated
 * pixel becomes a cell at its centre, reprojected to WGS84.
 */
import proj4 from 'proj4';
import { fromArrayBuffer, type GeoTIFFImage } from 'geotiff';
import { REGION_ENVELOPE } from './coords.ts';
import { importUnreadable } from './problems.ts';

/** Largest window read (pixels): ~100 MB of float32. A finer raster must be aggregated first. */
export const MAX_RASTER_PIXELS = 25_000_000;

const MOLLWEIDE = '+proj=moll +lon_0=0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs';

export const SUPPORTED_RASTER_CRS =
  'EPSG:4326 (WGS84 lon/lat, WorldPop), EPSG:4490 (CGCS2000 lon/lat), ESRI:54009 (World Mollweide, GHS-POP), EPSG:3857 (Web Mercator), EPSG:326xx (WGS84 UTM north)';

export interface RasterCrs {
  /** e.g. EPSG:4326, ESRI:54009 */
  id: string;
  geographic: boolean;
  /** proj4 definition for projected systems. */
  proj?: string;
}

export interface RasterCell {
  lon: number;
  lat: number;
  /** People in the pixel (fractional). */
  value: number;
  key: string;
  cellSizeM: number;
}

export interface RasterRead {
  crs: RasterCrs;
  width: number;
  height: number;
  resolution: [number, number];
  window: [number, number, number, number];
  cells: RasterCell[];
  /** Pixels in the window that are no-data, zero or negative. */
  empty: number;
  negative: number;
  bands: number;
}

function unsupported(what: string, zhWhat: string): never {
  throw importUnreadable(
    `The GeoTIFF is in a projection that cannot be read here: ${what}. Supported: ${SUPPORTED_RASTER_CRS}. Reproject it first (e.g. gdalwarp -t_srs EPSG:4326).`,
    `无法读取该 GeoTIFF 的投影：${zhWhat}。支持的坐标系：${SUPPORTED_RASTER_CRS}。请先重投影（例如 gdalwarp -t_srs EPSG:4326）。`,
  );
}

/** Identify the raster's coordinate system from its GeoKeys (and citations, where GDAL writes ESRI systems). */
export function rasterCrs(keys: Record<string, unknown> | null): RasterCrs {
  if (!keys || Object.keys(keys).length === 0) unsupported('it has no georeferencing (GeoKeys)', '文件没有地理参考信息（GeoKeys）');
  const modelType = keys.GTModelTypeGeoKey as number | undefined;
  const citations = [keys.GTCitationGeoKey, keys.PCSCitationGeoKey, keys.GeogCitationGeoKey].filter((c) => typeof c === 'string').join(' | ');
  if (modelType === 2 || (modelType === undefined && keys.ProjectedCSTypeGeoKey === undefined)) {
    const gcs = keys.GeographicTypeGeoKey as number | undefined;
    if (gcs === 4326) return { id: 'EPSG:4326', geographic: true };
    // CGCS2000 differs from WGS84 by centimetres: read as WGS84.
    if (gcs === 4490) return { id: 'EPSG:4490', geographic: true };
    if ((gcs === 32767 || gcs === undefined) && /WGS[ _]?84|WGS 1984|CGCS/i.test(citations)) return { id: 'EPSG:4326', geographic: true };
    unsupported(`geographic system ${gcs ?? 'unknown'}${citations ? ` (${citations})` : ''}`, `地理坐标系 ${gcs ?? '未知'}${citations ? `（${citations}）` : ''}`);
  }
  if (modelType === 1 || keys.ProjectedCSTypeGeoKey !== undefined) {
    const pcs = keys.ProjectedCSTypeGeoKey as number | undefined;
    const units = keys.ProjLinearUnitsGeoKey as number | undefined;
    if (units !== undefined && units !== 9001) unsupported(`linear unit ${units} (only metres, 9001)`, `线性单位 ${units}（仅支持米，9001）`);
    if (pcs === 54009 || ((pcs === 32767 || pcs === undefined) && /mollweide/i.test(citations))) {
      return { id: 'ESRI:54009', geographic: false, proj: MOLLWEIDE };
    }
    if (pcs === 3857 || pcs === 3785 || pcs === 900913) return { id: 'EPSG:3857', geographic: false, proj: 'EPSG:3857' };
    if (pcs !== undefined && pcs >= 32601 && pcs <= 32660) {
      return { id: `EPSG:${pcs}`, geographic: false, proj: `+proj=utm +zone=${pcs - 32600} +datum=WGS84 +units=m +no_defs` };
    }
    unsupported(`projected system ${pcs ?? 'unknown'}${citations ? ` (${citations})` : ''}`, `投影坐标系 ${pcs ?? '未知'}${citations ? `（${citations}）` : ''}`);
  }
  unsupported(`model type ${String(modelType)} (geocentric?)`, `模型类型 ${String(modelType)}（地心坐标？）`);
}

/** Round people per pixel to whole people, carrying the remainder so the total is kept (error diffusion). */
export function roundPreservingTotal(values: number[]): number[] {
  let carry = 0;
  return values.map((v) => {
    const exact = v + carry;
    const rounded = Math.max(0, Math.round(exact));
    carry = exact - rounded;
    return rounded;
  });
}

export async function readPopulationRaster(bytes: Buffer): Promise<RasterRead> {
  let image: GeoTIFFImage;
  try {
    const tiff = await fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    image = await tiff.getImage(0);
  } catch (error) {
    throw importUnreadable(
      `The GeoTIFF cannot be read: it is damaged or incomplete (${(error as Error).message?.slice(0, 120)}).`,
      '无法读取该 GeoTIFF：文件已损坏或不完整。',
    );
  }
  const crs = rasterCrs(image.getGeoKeys() as Record<string, unknown> | null);
  const directory = image.getFileDirectory() as unknown as { getValue(name: string): number[] | undefined };
  const transformation = directory.getValue('ModelTransformation');
  if (transformation && (transformation[1] !== 0 || transformation[4] !== 0)) {
    unsupported('a rotated or sheared grid (ModelTransformation)', '旋转或倾斜的栅格（ModelTransformation）');
  }
  let origin: number[];
  let resolution: number[];
  try {
    origin = image.getOrigin();
    resolution = image.getResolution();
  } catch {
    unsupported('it has no pixel-to-map transformation (tie point and pixel scale)', '文件缺少像素到坐标的变换（控制点和像元大小）');
  }
  const keys = image.getGeoKeys() as Record<string, unknown>;
  const pixelIsPoint = keys.GTRasterTypeGeoKey === 2;
  const resX = Math.abs(resolution[0]!);
  // North-up unless a transformation says the rows go north.
  const stepY = transformation ? transformation[5]! : -Math.abs(resolution[1]!);
  const width = image.getWidth();
  const height = image.getHeight();
  const half = pixelIsPoint ? 0 : 0.5;
  const toLonLat = crs.geographic ? (x: number, y: number): [number, number] => [x, y] : (x: number, y: number) => proj4(crs.proj!, 'EPSG:4326', [x, y]) as [number, number];
  const fromLonLat = crs.geographic ? (x: number, y: number): [number, number] => [x, y] : (x: number, y: number) => proj4('EPSG:4326', crs.proj!, [x, y]) as [number, number];

  // The region's envelope in raster coordinates (edges sampled, projections bend them).
  const xs: number[] = [];
  const ys: number[] = [];
  const E = REGION_ENVELOPE;
  for (let i = 0; i <= 60; i++) {
    const t = i / 60;
    for (const [lon, lat] of [
      [E.minLon + t * (E.maxLon - E.minLon), E.minLat],
      [E.minLon + t * (E.maxLon - E.minLon), E.maxLat],
      [E.minLon, E.minLat + t * (E.maxLat - E.minLat)],
      [E.maxLon, E.minLat + t * (E.maxLat - E.minLat)],
    ] as [number, number][]) {
      const [x, y] = fromLonLat(lon, lat);
      xs.push(x);
      ys.push(y);
    }
  }
  const col = (x: number) => (x - origin[0]!) / resX - half;
  const row = (y: number) => (y - origin[1]!) / stepY - half;
  const c0 = Math.max(0, Math.floor(Math.min(...xs.map(col))));
  const c1 = Math.min(width, Math.ceil(Math.max(...xs.map(col))) + 1);
  const rowsOf = ys.map(row);
  const r0 = Math.max(0, Math.floor(Math.min(...rowsOf)));
  const r1 = Math.min(height, Math.ceil(Math.max(...rowsOf)) + 1);
  const result: RasterRead = { crs, width, height, resolution: [resX, Math.abs(stepY)], window: [c0, r0, c1, r1], cells: [], empty: 0, negative: 0, bands: image.getSamplesPerPixel() };
  if (c1 <= c0 || r1 <= r0) return result;
  const pixels = (c1 - c0) * (r1 - r0);
  if (pixels > MAX_RASTER_PIXELS) {
    throw importUnreadable(
      `The raster's window over Inner Mongolia has ${pixels.toLocaleString('en')} pixels (at most ${MAX_RASTER_PIXELS.toLocaleString('en')}). Aggregate it to 1 km cells first (e.g. gdalwarp -tr 0.0083333 0.0083333 -r sum), or clip it to one league.`,
      `该栅格在内蒙古范围内有 ${pixels.toLocaleString('en')} 个像元（上限 ${MAX_RASTER_PIXELS.toLocaleString('en')}）。请先聚合为 1 公里网格（例如 gdalwarp -tr 0.0083333 0.0083333 -r sum），或按盟市裁剪。`,
    );
  }
  let data: ArrayLike<number>;
  try {
    const raster = await image.readRasters({ window: [c0, r0, c1, r1], samples: [0], interleave: true });
    data = raster as unknown as ArrayLike<number>;
  } catch (error) {
    throw importUnreadable(`The GeoTIFF's pixels cannot be read (${(error as Error).message?.slice(0, 120)}).`, '无法读取该 GeoTIFF 的像元数据（文件可能已损坏）。');
  }
  const noData = image.getGDALNoData();
  const grid = `${crs.id}@${Number(resX.toPrecision(8))}`;
  const w = c1 - c0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v) || (noData !== null && v === noData) || v <= 0) {
      if (v < 0 && v !== noData) result.negative++;
      result.empty++;
      continue;
    }
    const c = c0 + (i % w);
    const r = r0 + Math.floor(i / w);
    const x = origin[0]! + (c + half) * resX;
    const y = origin[1]! + (r + half) * stepY;
    const [lon, lat] = toLonLat(x, y);
    // A stable key from the pixel's position in its grid, independent of the file's extent.
    const key = `${grid}:${Math.floor(x / resX)}:${Math.floor(y / Math.abs(stepY))}`;
    const cellSizeM = crs.geographic
      ? Math.round(Math.abs(stepY) * 111_320)
      : crs.id === 'EPSG:3857'
        ? Math.round(resX * Math.cos((lat * Math.PI) / 180))
        : Math.round(resX);
    result.cells.push({ lon, lat, value: v, key, cellSizeM: Math.max(1, cellSizeM) });
  }
  return result;
}
