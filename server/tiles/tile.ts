/**
 * Web Mercator tile addresses (z/x/y, XYZ scheme as MapLibre requests them):
 * validation with messages that say what to fix, and the tile's lon/lat bounds.
 */
import { invalidParameter } from '../errors.ts';

export const MAX_ZOOM = 20;
/** MVT extent and buffer (tile units) used by both encoders. */
export const EXTENT = 4096;
export const BUFFER = 64;

export interface Tile {
  z: number;
  x: number;
  y: number;
}

function integer(name: string, value: string, max: number, zh: string): number {
  if (!/^[0-9]{1,8}$/.test(value)) {
    throw invalidParameter(name, `must be a whole number from 0 to ${max}, got '${value}'`, `${zh}必须是 0 到 ${max} 之间的整数，实际为“${value}”`, value);
  }
  const n = Number(value);
  if (n > max) throw invalidParameter(name, `must be at most ${max} at this zoom, got ${n}`, `${zh}在该缩放级别下不能大于 ${max}，实际为 ${n}`, value);
  return n;
}

export function parseTile(z: string, x: string, y: string): Tile {
  const zoom = integer('z', z, MAX_ZOOM, '缩放级别 z ');
  const max = 2 ** zoom - 1;
  return { z: zoom, x: integer('x', x, max, '列号 x '), y: integer('y', y, max, '行号 y ') };
}

function lonOf(x: number, z: number): number {
  return (x / 2 ** z) * 360 - 180;
}

function latOf(y: number, z: number): number {
  const n = Math.PI - (2 * Math.PI * y) / 2 ** z;
  return (180 / Math.PI) * Math.atan(Math.sinh(n));
}

/** [minLon, minLat, maxLon, maxLat] of the tile, grown by `buffer` tile units on every side. */
export function tileBounds(t: Tile, buffer = 0): [number, number, number, number] {
  const b = buffer / EXTENT;
  return [lonOf(t.x - b, t.z), latOf(t.y + 1 + b, t.z), lonOf(t.x + 1 + b, t.z), latOf(t.y - b, t.z)];
}

/** Degrees of longitude per tile pixel (of a 256-pixel tile) at the tile's zoom. */
export function degreesPerPixel(z: number): number {
  return 360 / 2 ** z / 256;
}
