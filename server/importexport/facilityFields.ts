/**
 * The columns of a facility file: accepted on import (any of the names), written
 * on export (zh or en header). One list, so an export always re-imports.
 */
import { STAFF_FIELDS } from '../domain/taxonomy.ts';
import { FieldSet, type FieldSpec } from './columns.ts';

export const FACILITY_COUNT_FIELDS = [
  'beds',
  'beds_paediatric',
  'staff_doctors',
  'staff_assistant_doctors',
  'staff_nurses',
  'staff_gps',
  'staff_tcm_doctors',
  'staff_tcm_gps',
  'staff_village_doctors',
  'staff_public_health',
  'staff_supervisors',
  'staff_tcm_capable',
  'tcm_technique_categories',
  'tcm_techniques',
] as const;
export type FacilityCountField = (typeof FACILITY_COUNT_FIELDS)[number];

export type FacilityField =
  | 'code'
  | 'name'
  | 'type'
  | 'status'
  | 'grade'
  | 'ownership'
  | 'run_by_level'
  | 'central'
  | 'unit_code'
  | 'lon'
  | 'lat'
  | FacilityCountField
  | 'departments'
  | 'tcm_hall_level'
  | 'provides_deliveries'
  | 'villages_served'
  | 'synthetic'
  | 'source'
  | 'id'
  | 'version'
  | 'unit_name';

const STAFF_SYNONYMS: Record<keyof typeof STAFF_FIELDS, string[]> = {
  staff_doctors: ['执业医师数', '执业医师人数', '医师', '医生数', 'doctors', 'licensed_doctors'],
  staff_assistant_doctors: ['执业助理医师数', '助理医师', 'assistant_doctors'],
  staff_nurses: ['注册护士数', '护士', '护士数', '护士人数', 'nurses'],
  staff_gps: ['全科医生数', '全科医师', 'gps', 'general_practitioners'],
  staff_tcm_doctors: ['中医类别医师数', '中医医师', '中医师', '中蒙医医师', 'tcm_doctors'],
  staff_tcm_gps: ['中医类别全科医生数', '中医全科医生', 'tcm_gps'],
  staff_village_doctors: ['乡村医生数', '村医', '村医数', 'village_doctors'],
  staff_public_health: ['公共卫生人员数', '公卫人员', 'public_health_staff', 'public_health'],
  staff_supervisors: ['卫生监督员数', '监督员', 'supervisors'],
  staff_tcm_capable: ['能提供中医药服务人员', 'tcm_capable'],
};

export const FACILITY_FIELD_SPECS: FieldSpec<FacilityField>[] = [
  { key: 'code', zh: '机构编码', en: 'code', required: true, synonyms: ['机构代码', '编码', '代码', '机构编号', '组织机构代码', '统一社会信用代码', '登记号', 'facility_code', 'facility code'] },
  { key: 'name', zh: '机构名称', en: 'name', required: true, synonyms: ['名称', '单位名称', '医疗机构名称', '医院名称', '机构', 'facility_name', 'facility name'] },
  { key: 'type', zh: '机构类型', en: 'type', required: true, synonyms: ['类型', '机构类别', '类别', '机构分类', '医疗机构类别', 'facility_type', 'category'] },
  { key: 'status', zh: '状态', en: 'status', synonyms: ['运营状态', '机构状态', '执业状态'] },
  { key: 'grade', zh: '等级', en: 'grade', synonyms: ['医院等级', '级别', '机构等级'] },
  { key: 'ownership', zh: '所有制', en: 'ownership', synonyms: ['经济类型', '公立非公立', '举办性质', '所有制形式'] },
  { key: 'run_by_level', zh: '主办级别', en: 'run_by_level', synonyms: ['举办层级', '主办单位级别', '隶属关系', '行政级别', 'run by level'] },
  { key: 'central', zh: '中心卫生院', en: 'central', synonyms: ['是否中心卫生院', 'is_central'] },
  { key: 'unit_code', zh: '所在区划代码', en: 'unit_code', synonyms: ['区划代码', '行政区划代码', '所在地区划代码', '统计用区划代码', '所在区划', '区划', 'unit', 'adcode', 'unit code'] },
  { key: 'lon', zh: '经度', en: 'lon', synonyms: ['lng', 'long', 'longitude', 'x', '东经'] },
  { key: 'lat', zh: '纬度', en: 'lat', synonyms: ['latitude', 'y', '北纬'] },
  { key: 'beds', zh: '床位数', en: 'beds', synonyms: ['床位', '实有床位', '实有床位数', '开放床位', '开放床位数', '编制床位数', 'bed_count', 'beds_total'] },
  { key: 'beds_paediatric', zh: '儿科床位数', en: 'beds_paediatric', synonyms: ['儿科床位', 'paediatric_beds', 'pediatric_beds', 'beds_pediatric'] },
  ...(Object.entries(STAFF_FIELDS) as [keyof typeof STAFF_FIELDS, { zh: string; en: string }][]).map(([key, label]) => ({
    key,
    zh: label.zh,
    en: key.replace(/^staff_/, ''),
    synonyms: [label.en, key, ...STAFF_SYNONYMS[key]],
  })),
  { key: 'departments', zh: '科室', en: 'departments', synonyms: ['临床科室', '设置科室', '科室设置', '开设科室', 'depts'] },
  { key: 'tcm_hall_level', zh: '中医馆等级', en: 'tcm_hall_level', synonyms: ['中医馆', '蒙医馆', '中医馆（蒙医馆）', 'tcm_hall'] },
  { key: 'tcm_technique_categories', zh: '中医药技术类别数', en: 'tcm_technique_categories', synonyms: ['中医适宜技术类别数'] },
  { key: 'tcm_techniques', zh: '中医药技术项数', en: 'tcm_techniques', synonyms: ['中医适宜技术项数', '中医适宜技术数'] },
  { key: 'provides_deliveries', zh: '开展助产服务', en: 'provides_deliveries', synonyms: ['助产服务', '是否开展助产', '助产', 'deliveries'] },
  { key: 'villages_served', zh: '服务嘎查村', en: 'villages_served', synonyms: ['服务村', '服务行政村', '联办嘎查村', 'villages'] },
  { key: 'synthetic', zh: '合成数据', en: 'synthetic', synonyms: ['是否合成', '模拟数据'] },
  { key: 'source', zh: '数据来源', en: 'source', synonyms: ['来源', '资料来源'] },
  // Written by exports for reference; ignored on import (the code is the key).
  { key: 'id', zh: '编号', en: 'id', readOnly: true, synonyms: ['facility_id'] },
  // The version a row was exported at: a changed row whose facility has been edited since is refused.
  { key: 'version', zh: '版本', en: 'version', synonyms: ['版本号'] },
  { key: 'unit_name', zh: '所在区划名称', en: 'unit_name', readOnly: true, synonyms: ['区划名称', '所在区划名'] },
];

export const facilityFields = new FieldSet<FacilityField>(FACILITY_FIELD_SPECS);
