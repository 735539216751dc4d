/** Number formatting and shared wording for results (Chinese first). */
import type { Bilingual, CappedList, ItemRef, ResultTarget, TargetByYear } from './types.ts';

/** Round for display; never used for comparisons. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * 1234.5 → "1,234.5" (at most `digits` decimals, no trailing zeros). Written out
 * rather than Intl.NumberFormat: tens of thousands of results format several
 * numbers each, and Intl costs microseconds per call.
 */
export function fmt(value: number, digits = 2): string {
  const r = round(value, digits);
  let text = digits > 0 ? r.toFixed(digits).replace(/\.?0+$/, '') : String(Math.round(r));
  const negative = text.startsWith('-');
  if (negative) text = text.slice(1);
  const dot = text.indexOf('.');
  const int = dot < 0 ? text : text.slice(0, dot);
  const grouped = int.length > 3 ? int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : int;
  const out = dot < 0 ? grouped : `${grouped}${text.slice(dot)}`;
  return negative && out !== '0' ? `-${out}` : out;
}

export function bi(zh: string, en: string): Bilingual {
  return { zh, en };
}

/** "≥ 7.5 张/千人" / "1–1.5 名/万人" for a target. */
export function targetText(t: TargetByYear, unit: Bilingual, digits = 2): Bilingual {
  if (t.min !== undefined && t.max !== undefined) {
    return bi(`${fmt(t.min, digits)}—${fmt(t.max, digits)} ${unit.zh}（${t.year}年）`, `${fmt(t.min, digits)}–${fmt(t.max, digits)} ${unit.en} (${t.year})`);
  }
  if (t.min !== undefined) return bi(`≥ ${fmt(t.min, digits)} ${unit.zh}（${t.year}年）`, `≥ ${fmt(t.min, digits)} ${unit.en} (${t.year})`);
  if (t.max !== undefined) return bi(`≤ ${fmt(t.max, digits)} ${unit.zh}（${t.year}年）`, `≤ ${fmt(t.max, digits)} ${unit.en} (${t.year})`);
  return bi(`${t.year}年`, `${t.year}`);
}

export function resultTarget(t: TargetByYear, text: Bilingual): ResultTarget {
  return { year: t.year, min: t.min ?? null, max: t.max ?? null, text };
}

/** No notes: one shared, frozen array (results are read-only). */
export const NO_NOTES: Bilingual[] = Object.freeze([]) as unknown as Bilingual[];

const memo = new WeakMap<object, Map<string, unknown>>();
/**
 * A value that depends only on a rule (and a key such as its target year):
 * built once and shared by all its result rows (results are read-only), which
 * keeps tens of thousands of identical target objects out of every evaluation.
 */
export function perRule<T>(rule: object, key: string, build: () => T): T {
  let byKey = memo.get(rule);
  if (!byKey) memo.set(rule, (byKey = new Map()));
  if (!byKey.has(key)) byKey.set(key, build());
  return byKey.get(key) as T;
}

export const EMPTY_LIST: CappedList = Object.freeze({ count: 0, items: Object.freeze([]) as unknown as ItemRef[] });

interface RawItem {
  id: number | string;
  code: string;
  name: string;
  value?: number | null;
}

/** A capped list from SQL items (already capped) and the true count. */
export function listOf(items: RawItem[] | null | undefined, count: number, role: string): CappedList {
  if (Number(count) === 0 && (!items || items.length === 0)) return EMPTY_LIST;
  const list: ItemRef[] = (items ?? []).map((i) => ({
    id: i.id,
    code: i.code,
    name: i.name,
    role,
    ...(i.value !== undefined ? { value: i.value === null ? null : Number(i.value) } : {}),
  }));
  return { count: Number(count), items: list };
}

/** Concatenate capped lists (counts add up; items keep their roles). */
export function mergeLists(...lists: CappedList[]): CappedList {
  const nonEmpty = lists.filter((l) => l.count > 0 || l.items.length > 0);
  if (nonEmpty.length === 0) return EMPTY_LIST;
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  return { count: lists.reduce((n, l) => n + l.count, 0), items: lists.flatMap((l) => l.items) };
}

export const UNITS = {
  facility: bi('所', 'facilities'),
  facilityOne: bi('所', 'facility'),
  village: bi('个', 'villages'),
  percentPoint: bi('个百分点', 'percentage points'),
  percent: bi('%', '%'),
  people: bi('人', 'people'),
} as const;
