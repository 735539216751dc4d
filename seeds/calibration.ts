/**
 * The published 2020 baselines the synthetic facility layer is calibrated to,
 * each with its source (file, lines, quote), and the calibration table: the
 * generated figure next to the published one.
 *
 * Per-capita figures are over the 2020 census resident population (常住人口;
 * the plans say 「每千人口」 without a basis, seed-rules-000-001.md §6.2).
 * "Doctors" are licensed plus licensed assistant doctors (执业（助理）医师 =
 * staff_doctors + staff_assistant_doctors), as the plans count them.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../server/db/schema.ts';

export interface Citation {
  file: string;
  lines: string;
  quote: string;
}

export type Measure = 'beds' | 'doctors' | 'nurses' | 'gps' | 'publicHealth' | 'institutions' | 'tcmHospitals' | 'tcmClinics';
export type Basis = 'per1000' | 'per10000' | 'count';

export interface Baseline {
  scope: 'region' | 'aohan';
  measure: Measure;
  basis: Basis;
  value: number;
  label: { zh: string; en: string };
  citation: Citation;
}

const FILE_000 = '000_7de451bffa4866dc.txt';
const FILE_001 = '001_3f3f1bf1cb9d4b37.txt';
const IM_STAFF_QUOTE = '卫生人员达到 25.4 万人，每千人口执业（助理）医师、注册护士分别达到 3.35 人和 3.47 人，每万人口全科医生达到 2.51人';
const AH_RATIO_QUOTE = '每千人口床位数达到6.38张，每千人执业（助理）医师、注册护士分别达到2.76人和1.74人，每万人全科医生达到1.63人';

export const BASELINES: readonly Baseline[] = [
  { scope: 'region', measure: 'beds', basis: 'per1000', value: 6.73, label: { zh: '每千人口床位', en: 'beds per 1,000' },
    citation: { file: FILE_000, lines: '79-81', quote: '床位达到 16.2 万张；每千人口医疗机构床位达到 6.73张' } },
  { scope: 'region', measure: 'doctors', basis: 'per1000', value: 3.35, label: { zh: '每千人口执业（助理）医师', en: 'licensed (assistant) doctors per 1,000' },
    citation: { file: FILE_000, lines: '81-85', quote: IM_STAFF_QUOTE } },
  { scope: 'region', measure: 'nurses', basis: 'per1000', value: 3.47, label: { zh: '每千人口注册护士', en: 'registered nurses per 1,000' },
    citation: { file: FILE_000, lines: '81-85', quote: IM_STAFF_QUOTE } },
  { scope: 'region', measure: 'gps', basis: 'per10000', value: 2.51, label: { zh: '每万人口全科医生', en: 'GPs per 10,000' },
    citation: { file: FILE_000, lines: '81-85', quote: IM_STAFF_QUOTE } },
  { scope: 'region', measure: 'publicHealth', basis: 'per10000', value: 8.34, label: { zh: '每万人口公共卫生人员', en: 'public-health staff per 10,000' },
    citation: { file: FILE_000, lines: '374-378', quote: '19 每万人公共卫生人员数（人） 8.34' } },
  { scope: 'region', measure: 'institutions', basis: 'count', value: 24_600, label: { zh: '医疗卫生机构数', en: 'health institutions' },
    citation: { file: FILE_000, lines: '77-79', quote: '全区医疗卫生机构达到2.46 万个' } },
  { scope: 'aohan', measure: 'beds', basis: 'count', value: 2857, label: { zh: '床位数', en: 'beds' },
    citation: { file: FILE_001, lines: '34', quote: '全旗共有医疗卫生机构656个，床位2857张' } },
  { scope: 'aohan', measure: 'doctors', basis: 'per1000', value: 2.76, label: { zh: '每千人口执业（助理）医师', en: 'licensed (assistant) doctors per 1,000' },
    citation: { file: FILE_001, lines: '34', quote: AH_RATIO_QUOTE } },
  { scope: 'aohan', measure: 'nurses', basis: 'per1000', value: 1.74, label: { zh: '每千人口注册护士', en: 'registered nurses per 1,000' },
    citation: { file: FILE_001, lines: '34', quote: AH_RATIO_QUOTE } },
  { scope: 'aohan', measure: 'gps', basis: 'per10000', value: 1.63, label: { zh: '每万人口全科医生', en: 'GPs per 10,000' },
    citation: { file: FILE_001, lines: '34', quote: AH_RATIO_QUOTE } },
  { scope: 'aohan', measure: 'institutions', basis: 'count', value: 656, label: { zh: '医疗卫生机构数', en: 'health institutions' },
    citation: { file: FILE_001, lines: '34', quote: '全旗共有医疗卫生机构656个' } },
  { scope: 'aohan', measure: 'tcmHospitals', basis: 'count', value: 6, label: { zh: '中医（蒙医）医院', en: 'TCM/MM hospitals' },
    citation: { file: FILE_001, lines: '36', quote: '目前全旗有中医（蒙医）医疗机构37家，其中中医（蒙医）医院6家，中医（蒙医）诊所31家' } },
  { scope: 'aohan', measure: 'tcmClinics', basis: 'count', value: 31, label: { zh: '中医（蒙医）诊所', en: 'TCM/MM clinics' },
    citation: { file: FILE_001, lines: '36', quote: '目前全旗有中医（蒙医）医疗机构37家，其中中医（蒙医）医院6家，中医（蒙医）诊所31家' } },
];

export function baseline(scope: Baseline['scope'], measure: Measure): Baseline {
  const b = BASELINES.find((x) => x.scope === scope && x.measure === measure);
  if (!b) throw new Error(`no published baseline for ${scope} ${measure}`);
  return b;
}

/** The whole number a published rate implies for a population (e.g. 6.73 per 1,000 of 24,049,155 → 161,852 beds). */
export function impliedTotal(b: Baseline, population: number): number {
  if (b.basis === 'count') return b.value;
  return Math.round((b.value * population) / (b.basis === 'per1000' ? 1000 : 10_000));
}

/** Tolerance of the calibration (the issue's bar): generated within 2 % of published. */
export const CALIBRATION_TOLERANCE = 0.02;

export interface CalibrationRow {
  scope: Baseline['scope'];
  measure: Measure;
  label: string;
  published: number;
  generated: number;
  /** generated / published − 1 */
  deviation: number;
  citation: string;
}

interface Totals {
  population: number;
  beds: number;
  doctors: number;
  nurses: number;
  gps: number;
  publicHealth: number;
  institutions: number;
  tcmHospitals: number;
  tcmClinics: number;
}

/**
 * Totals of the generated (synthetic) facilities over a scope, straight from the
 * database. A TCM clinic is an outpatient clinic with a TCM department.
 */
export async function scopeTotals(db: Kysely<Database>, scope: 'region' | 'aohan'): Promise<Totals> {
  const bannerFilter = scope === 'aohan' ? sql`AND banner_code = '150430'` : sql``;
  const { rows: facilities } = await sql<Omit<Totals, 'population'>>`
    SELECT coalesce(sum(beds), 0)::bigint AS beds,
           coalesce(sum(coalesce(staff_doctors, 0) + coalesce(staff_assistant_doctors, 0)), 0)::bigint AS doctors,
           coalesce(sum(staff_nurses), 0)::bigint AS nurses,
           coalesce(sum(staff_gps), 0)::bigint AS gps,
           coalesce(sum(staff_public_health), 0)::bigint AS "publicHealth",
           count(*)::int AS institutions,
           count(*) FILTER (WHERE type = 'tcm_hospital')::int AS "tcmHospitals",
           count(*) FILTER (WHERE type = 'outpatient_clinic' AND 'tcm_department' = ANY (departments))::int AS "tcmClinics"
    FROM facility
    WHERE synthetic AND status = 'open' ${bannerFilter}`.execute(db);
  const { rows: people } = await sql<{ population: number }>`
    SELECT coalesce(sum(population), 0)::bigint AS population FROM admin_unit
    WHERE level = 'banner' ${scope === 'aohan' ? sql`AND code = '150430'` : sql``}`.execute(db);
  return { ...facilities[0]!, population: people[0]!.population };
}

/** The calibration table of one scope: every published baseline next to the generated value. */
export async function calibrationTable(db: Kysely<Database>, scope: 'region' | 'aohan'): Promise<CalibrationRow[]> {
  const totals = await scopeTotals(db, scope);
  return BASELINES.filter((b) => b.scope === scope).map((b) => {
    const raw = totals[b.measure];
    const generated = b.basis === 'count' ? raw : (raw * (b.basis === 'per1000' ? 1000 : 10_000)) / totals.population;
    return {
      scope,
      measure: b.measure,
      label: `${b.label.zh} ${b.label.en}`,
      published: b.value,
      generated,
      deviation: generated / b.value - 1,
      citation: `${b.citation.file}:${b.citation.lines}`,
    };
  });
}

/** The table as printed by `npm run seed` (English labels padded; Chinese last, where widths do not matter). */
export function formatCalibration(rows: CalibrationRow[]): string[] {
  if (rows.length === 0) return [];
  const lines = [
    'calibration: generated vs published 2020 baseline (tolerance ±2 %)',
    `  ${'scope'.padEnd(7)}${'measure'.padEnd(40)}${'published'.padStart(10)}${'generated'.padStart(11)}${'deviation'.padStart(11)}     source`,
  ];
  for (const r of rows) {
    const b = BASELINES.find((x) => x.scope === r.scope && x.measure === r.measure)!;
    const digits = b.basis === 'count' ? 0 : 2;
    const deviation = `${r.deviation >= 0 ? '+' : ''}${(r.deviation * 100).toFixed(2)} %`;
    const ok = Math.abs(r.deviation) <= CALIBRATION_TOLERANCE ? 'ok ' : 'OUT';
    lines.push(
      `  ${r.scope.padEnd(7)}${b.label.en.padEnd(40)}${r.published.toFixed(digits).padStart(10)}${r.generated.toFixed(digits).padStart(11)}` +
        `${deviation.padStart(11)} ${ok} ${r.citation}  ${b.label.zh}`,
    );
  }
  return lines;
}
