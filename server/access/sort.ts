/**
 * Linear-time, stable index sorts over typed arrays: the per-unit percentiles
 * and the spatial ordering of cells sort hundreds of thousands of values per
 * class, where a comparator sort would dominate the whole evaluation.
 */

/** Indexes 0…n-1 ordered by ascending 32-bit keys; equal keys keep index order. */
export function radixArgsort(keys: Uint32Array): Uint32Array {
  const n = keys.length;
  let from = new Uint32Array(n);
  let to = new Uint32Array(n);
  for (let i = 0; i < n; i++) from[i] = i;
  const counts = new Uint32Array(65_537);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((keys[i]! >>> shift) & 0xffff) + 1]!++;
    for (let b = 1; b < 65_537; b++) counts[b]! += counts[b - 1]!;
    for (let i = 0; i < n; i++) {
      const idx = from[i]!;
      to[counts[(keys[idx]! >>> shift) & 0xffff]!++] = idx;
    }
    const t = from;
    from = to;
    to = t;
  }
  return from;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Sort key of a non-negative number: the bits of its float32 rounding, which
 * order like the numbers; NaN (no value) sorts last. Values equal after
 * rounding to float32 keep index order, so the order is deterministic.
 */
export function nonNegativeKeys(values: Float64Array): Uint32Array {
  const keys = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) keys[i] = 0xffffffff;
    else {
      f32[0] = v;
      keys[i] = u32[0]!;
    }
  }
  return keys;
}

/** Interleave the bits of two 16-bit numbers (Z-order), for spatial ordering. */
export function morton(x: number, y: number): number {
  let a = x & 0xffff;
  let b = y & 0xffff;
  a = (a | (a << 8)) & 0x00ff00ff;
  a = (a | (a << 4)) & 0x0f0f0f0f;
  a = (a | (a << 2)) & 0x33333333;
  a = (a | (a << 1)) & 0x55555555;
  b = (b | (b << 8)) & 0x00ff00ff;
  b = (b | (b << 4)) & 0x0f0f0f0f;
  b = (b | (b << 2)) & 0x33333333;
  b = (b | (b << 1)) & 0x55555555;
  return (a | (b << 1)) >>> 0;
}

/** Cell indexes in Z-order of their lon/lat, so consecutive queries are neighbours. */
export function spatialOrder(lon: Float64Array, lat: Float64Array): Uint32Array {
  const n = lon.length;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minX = Math.min(minX, lon[i]!);
    maxX = Math.max(maxX, lon[i]!);
    minY = Math.min(minY, lat[i]!);
    maxY = Math.max(maxY, lat[i]!);
  }
  const sx = maxX > minX ? 65_535 / (maxX - minX) : 0;
  const sy = maxY > minY ? 65_535 / (maxY - minY) : 0;
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = morton(Math.round((lon[i]! - minX) * sx), Math.round((lat[i]! - minY) * sy));
  return radixArgsort(keys);
}
