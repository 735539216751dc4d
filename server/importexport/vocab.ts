/**
 * Controlled values as they appear in users' files: taxonomy ids (general_hospital),
 * the taxonomy's Chinese and English labels, and the usual Chinese variants
 * (乡镇卫生院, 中心卫生院, 三甲, 村卫生室 …). Unknown values are reported with the
 * list of accepted ones.
 */
import {
  DEPARTMENT_LABELS,
  FACILITY_STATUS_LABELS,
  FACILITY_TYPE_LABELS,
  GRADE_LABELS,
  LEVEL_LABELS,
  OWNERSHIP_LABELS,
  TCM_HALL_LEVEL_LABELS,
  type Department,
  type FacilityStatus,
  type FacilityType,
  type Grade,
  type Level,
  type Ownership,
  type TcmHallLevel,
  type Term,
} from '../domain/taxonomy.ts';
import { fold } from './values.ts';

/** Lookup key: width-folded, lower case, without spaces, underscores, hyphens and brackets. */
export function vocabKey(raw: string): string {
  return fold(raw)
    .toLowerCase()
    .replace(/[\s_\-()[\]{}（）【】<>《》"'“”‘’·.]/gu, '');
}

export interface Vocabulary<T extends string> {
  name: { en: string; zh: string };
  lookup(raw: string): { value: T; implies?: Record<string, unknown> } | undefined;
  /** "general_hospital (综合医院), …" for error messages. */
  accepted(): string;
  label(value: T): Term;
}

function vocabulary<T extends string>(
  name: { en: string; zh: string },
  labels: Record<T, Term>,
  synonyms: Record<string, T | { value: T; implies: Record<string, unknown> }> = {},
): Vocabulary<T> {
  const map = new Map<string, { value: T; implies?: Record<string, unknown> }>();
  for (const [id, term] of Object.entries(labels) as [T, Term][]) {
    map.set(vocabKey(id), { value: id });
    map.set(vocabKey(term.en), { value: id });
    map.set(vocabKey(term.zh), { value: id });
  }
  for (const [synonym, target] of Object.entries(synonyms)) {
    map.set(vocabKey(synonym), typeof target === 'string' ? { value: target } : target);
  }
  // Files repeat the same few values thousands of times: remember the raw strings.
  const seen = new Map<string, { value: T; implies?: Record<string, unknown> } | undefined>();
  return {
    name,
    lookup: (raw) => {
      if (seen.has(raw)) return seen.get(raw);
      const hit = map.get(vocabKey(raw));
      if (seen.size < 10_000) seen.set(raw, hit);
      return hit;
    },
    accepted: () => (Object.entries(labels) as [T, Term][]).map(([id, term]) => `${id} (${term.zh})`).join(', '),
    label: (value) => labels[value],
  };
}

export const facilityTypes = vocabulary<FacilityType>({ en: 'facility type', zh: '机构类型' }, FACILITY_TYPE_LABELS, {
  综合医院: 'general_hospital',
  人民医院: 'general_hospital',
  医院: 'general_hospital',
  中医医院: 'tcm_hospital',
  蒙医医院: 'tcm_hospital',
  中蒙医医院: 'tcm_hospital',
  中医蒙医医院: 'tcm_hospital',
  蒙中医医院: 'tcm_hospital',
  民族医医院: 'tcm_hospital',
  中西医结合医院: 'integrated_hospital',
  蒙西医结合医院: 'integrated_hospital',
  妇幼保健院: 'mch_hospital',
  妇幼保健所: 'mch_hospital',
  妇幼保健计划生育服务中心: 'mch_hospital',
  妇幼保健机构: 'mch_hospital',
  精神病医院: 'psychiatric_hospital',
  精神病专科医院: 'psychiatric_hospital',
  精神卫生中心: 'psychiatric_hospital',
  传染病专科医院: 'infectious_hospital',
  专科医院: 'specialist_hospital',
  疾控中心: 'cdc',
  疾病预防控制中心: 'cdc',
  卫生监督所: 'health_supervision',
  卫生健康综合行政执法大队: 'health_supervision',
  社区卫生服务中心: 'community_health_centre',
  社区卫生服务站: 'community_health_station',
  卫生院: 'township_health_centre',
  乡镇卫生院: 'township_health_centre',
  苏木卫生院: 'township_health_centre',
  苏木乡镇卫生院: 'township_health_centre',
  一般卫生院: { value: 'township_health_centre', implies: { central: false } },
  中心卫生院: { value: 'township_health_centre', implies: { central: true } },
  乡镇中心卫生院: { value: 'township_health_centre', implies: { central: true } },
  卫生室: 'village_clinic',
  村卫生室: 'village_clinic',
  嘎查卫生室: 'village_clinic',
  嘎查村卫生室: 'village_clinic',
  联办卫生室: 'village_clinic',
  门诊部: 'outpatient_clinic',
  诊所: 'outpatient_clinic',
  中医诊所: 'outpatient_clinic',
  医务室: 'outpatient_clinic',
  急救中心: 'emergency_station',
  急救站: 'emergency_station',
  护理院: 'nursing_rehab',
  康复医院: 'nursing_rehab',
  医养结合机构: 'nursing_rehab',
});

export const departments = vocabulary<Department>({ en: 'department', zh: '科室' }, DEPARTMENT_LABELS, {
  精神科病房: 'psychiatry_ward',
  精神科: 'psychiatry_ward',
  精神心理科: 'psychiatry_clinic',
  心理门诊: 'psychiatry_clinic',
  精神科门诊: 'psychiatry_clinic',
  儿科病房: 'paediatrics_ward',
  儿科: 'paediatrics',
  妇产科: 'obstetrics',
  产科: 'obstetrics',
  新生儿科: 'neonatology',
  重症医学科: 'icu',
  icu: 'icu',
  急诊: 'emergency',
  发热门诊: 'fever_clinic',
  感染科: 'infectious_disease',
  老年科: 'geriatrics',
  康复科: 'rehabilitation',
  中医科: 'tcm_department',
  蒙医科: 'tcm_department',
  中医阁: 'tcm_pavilion',
  蒙医阁: 'tcm_pavilion',
  治未病: 'preventive_care',
  公卫科: 'public_health',
  p2实验室: 'p2_lab',
  pcr实验室: 'pcr_lab',
});

export const grades = vocabulary<Grade>({ en: 'grade', zh: '等级' }, GRADE_LABELS, {
  三甲: '3A',
  三级甲等: '3A',
  三级乙等: '3',
  三乙: '3',
  三级: '3',
  二甲: '2A',
  二级甲等: '2A',
  二级乙等: '2',
  二乙: '2',
  二级: '2',
  一级: '1',
  一级甲等: '1',
  一级乙等: '1',
  未定级: 'ungraded',
  无等级: 'ungraded',
  '3a': '3A',
  iii: '3',
  ii: '2',
  i: '1',
});

export const statuses = vocabulary<FacilityStatus>({ en: 'status', zh: '状态' }, FACILITY_STATUS_LABELS, {
  规划: 'planned',
  拟建: 'planned',
  在建: 'planned',
  运行: 'open',
  开业: 'open',
  正常: 'open',
  营业: 'open',
  停业: 'suspended',
  暂停营业: 'suspended',
  关闭: 'closed',
  撤销: 'closed',
  注销: 'closed',
  撤并: 'closed',
});

export const ownerships = vocabulary<Ownership>({ en: 'ownership', zh: '所有制' }, OWNERSHIP_LABELS, {
  公办: 'public',
  政府办: 'public',
  国有: 'public',
  集体: 'public',
  民营: 'private',
  私立: 'private',
  社会办: 'private',
  个体: 'private',
  非公: 'private',
});

export const levels = vocabulary<Level>({ en: 'administrative level', zh: '行政级别' }, LEVEL_LABELS, {
  自治区级: 'region',
  省级: 'region',
  盟市级: 'league',
  盟级: 'league',
  市级: 'league',
  旗县级: 'banner',
  县级: 'banner',
  旗级: 'banner',
  旗县: 'banner',
  苏木乡镇级: 'township',
  乡镇级: 'township',
  乡级: 'township',
  苏木乡镇: 'township',
  嘎查村级: 'village',
  村级: 'village',
  嘎查村: 'village',
});

export const tcmHallLevels = vocabulary<TcmHallLevel>({ en: 'TCM hall level', zh: '中医馆等级' }, TCM_HALL_LEVEL_LABELS, {
  达标型: 'standard',
  达标: 'standard',
  有: 'standard',
  是: 'standard',
  优质型: 'quality',
  优质: 'quality',
  示范型: 'demonstration',
  示范: 'demonstration',
});
