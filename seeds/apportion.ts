/**
 * Integer apportionment by the largest-remainder (Hamilton) method: split an
 * integer total into integer parts proportional to weights so that the parts sum
 * to the total exactly. This is what keeps every village, township and banner
 * population, and every calibrated bed and staff total, exact rather than
 * "about right".
 */

export interface ApportionOptions {
  /** Upper bound of each part (e.g. GPs ≤ doctors). Parts at their cap take no more. */
  caps?: readonly number[];
  /** Lower bound of each part, given before the proportional split (needs Σmin ≤ total). */
  min?: number | readonly number[];
}

/**
 * Parts of `total` proportional to `weights`. Zero weights get nothing (beyond
 * `min`); ties in the remainders go to the earlier index, so the result is a
 * pure function of its inputs.
 */
export function apportion(total: number, weights: readonly number[], options: ApportionOptions = {}): number[] {
  if (!Number.isInteger(total) || total < 0) throw new Error(`apportion: total must be a non-negative integer, got ${total}`);
  const n = weights.length;
  const parts = new Array<number>(n).fill(0);
  const minOf = (i: number) => (typeof options.min === 'number' ? options.min : (options.min?.[i] ?? 0));
  let remaining = total;
  if (options.min !== undefined) {
    for (let i = 0; i < n; i++) {
      parts[i] = minOf(i);
      remaining -= parts[i]!;
    }
    if (remaining < 0) throw new Error(`apportion: minimums exceed the total ${total}`);
  }
  if (remaining === 0) return parts;
  const caps = options.caps;
  const open = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`apportion: weight ${i} is ${w}`);
    open[i] = w > 0 && (caps === undefined || parts[i]! < caps[i]!);
  }
  // Water-filling: split proportionally among the open parts; parts that would
  // pass their cap are fixed at it and the rest is split again.
  for (;;) {
    let weightSum = 0;
    for (let i = 0; i < n; i++) if (open[i]) weightSum += weights[i]!;
    if (weightSum === 0) throw new Error(`apportion: ${remaining} left to split but no part can take it`);
    let capped = false;
    if (caps) {
      for (let i = 0; i < n; i++) {
        if (!open[i]) continue;
        const room = caps[i]! - parts[i]!;
        if ((remaining * weights[i]!) / weightSum >= room) {
          parts[i] = caps[i]!;
          remaining -= room;
          open[i] = false;
          capped = true;
        }
      }
    }
    if (capped) {
      if (remaining === 0) return parts;
      continue;
    }
    const quotas: { index: number; fraction: number }[] = [];
    let given = 0;
    for (let i = 0; i < n; i++) {
      if (!open[i]) continue;
      const exact = (remaining * weights[i]!) / weightSum;
      const whole = Math.floor(exact);
      parts[i]! += whole;
      given += whole;
      quotas.push({ index: i, fraction: exact - whole });
    }
    let left = remaining - given;
    quotas.sort((a, b) => b.fraction - a.fraction || a.index - b.index);
    for (const q of quotas) {
      if (left === 0) break;
      parts[q.index]! += 1;
      left -= 1;
    }
    return parts;
  }
}

/** Sum of a list of numbers. */
export function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
