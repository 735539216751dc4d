/** Number formatting and shared wording for results (Chinese first). */
import type { Bilingual, CappedList, ItemRef, ResultTarget, TargetByYear } from './types.ts';

/** Round for display; never used for comparisons. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// Number#toLocaleString builds a formatter per call (~50 µs): tens of thousands of
// results would spend seconds in it, so the formatters are made once.
const FORMATTERS = new Map<number, Intl.NumberFormat>();

export function fmt(value: number, digits = 2): string {
  let formatter = FORMATTERS.get(digits);
  if (!formatter) {
    formatter = new Intl.NumberFormat('en', { maximumFractionDigits: digits });
    FORMATTERS.set(digits, formatter);
  }
  return formatter.format(round(value, digits));
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

export const EMPTY_LIST: CappedList = { count: 0, items: [] };

interface RawItem {
  id: number | string;
  code: string;
  name: string;
  value?: number | null;
}

/** A capped list from SQL items (already capped) and the true count. */
export function listOf(items: RawItem[] | null | undefined, count: number, role: string): CappedList {
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
