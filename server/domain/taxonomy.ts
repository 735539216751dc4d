/**
 * Controlled vocabularies of the domain (PRODUCT.md §3; rule catalogues §5), with
 * Chinese and English labels. The database CHECK constraints hold copies of these
 * lists (migrations are frozen); a test asserts the two agree.
 */

export interface Term {
  zh: string;
  en: string;
}

export const LEVELS = ['region', 'league', 'banner', 'township', 'village'] as const;
export type Level = (typeof LEVELS)[number];
export const LEVEL_LABELS: Record<Level, Term> = {
  region: { zh: '自治区', en: 'Region' },
  league: { zh: '盟市', en: 'League / city' },
  banner: { zh: '旗县市区', en: 'Banner / county' },
  township: { zh: '苏木乡镇街道', en: 'Township / sumu / street' },
  village: { zh: '嘎查村社区', en: 'Village / gacha / community' },
};

export const FACILITY_TYPES = [
  'general_hospital',
  'tcm_hospital',
  'integrated_hospital',
  'mch_hospital',
  'psychiatric_hospital',
  'infectious_hospital',
  'specialist_hospital',
  'cdc',
  'health_supervision',
  'community_health_centre',
  'community_health_station',
  'township_health_centre',
  'village_clinic',
  'outpatient_clinic',
  'emergency_station',
  'nursing_rehab',
] as const;
export type FacilityType = (typeof FACILITY_TYPES)[number];
export const FACILITY_TYPE_LABELS: Record<FacilityType, Term> = {
  general_hospital: { zh: '综合医院', en: 'General hospital' },
  tcm_hospital: { zh: '中医（蒙医）医院', en: 'TCM / Mongolian-medicine hospital' },
  integrated_hospital: { zh: '中西医（蒙西医）结合医院', en: 'Integrated medicine hospital' },
  mch_hospital: { zh: '妇幼保健院', en: 'Maternal & child health hospital' },
  psychiatric_hospital: { zh: '精神专科医院', en: 'Psychiatric hospital' },
  infectious_hospital: { zh: '传染病医院', en: 'Infectious-disease hospital' },
  specialist_hospital: { zh: '其他专科医院', en: 'Other specialist hospital' },
  cdc: { zh: '疾病预防控制中心', en: 'Centre for disease control (CDC)' },
  health_supervision: { zh: '卫生监督机构', en: 'Health supervision agency' },
  community_health_centre: { zh: '社区卫生服务中心', en: 'Community health centre' },
  community_health_station: { zh: '社区卫生服务站', en: 'Community health station' },
  township_health_centre: { zh: '苏木乡镇卫生院', en: 'Township health centre' },
  village_clinic: { zh: '嘎查村卫生室', en: 'Village clinic' },
  outpatient_clinic: { zh: '门诊部、诊所', en: 'Outpatient department / clinic' },
  emergency_station: { zh: '急救中心（站）', en: 'Emergency station' },
  nursing_rehab: { zh: '护理院、康复及医养结合机构', en: 'Nursing / rehabilitation / elderly care' },
};

/** Hospital-like types (used by "public hospital" rules). */
export const HOSPITAL_TYPES: readonly FacilityType[] = [
  'general_hospital',
  'tcm_hospital',
  'integrated_hospital',
  'mch_hospital',
  'psychiatric_hospital',
  'infectious_hospital',
  'specialist_hospital',
];

export const FACILITY_STATUSES = ['planned', 'open', 'suspended', 'closed'] as const;
export type FacilityStatus = (typeof FACILITY_STATUSES)[number];
export const FACILITY_STATUS_LABELS: Record<FacilityStatus, Term> = {
  planned: { zh: '规划中', en: 'Planned' },
  open: { zh: '运营', en: 'Open' },
  suspended: { zh: '暂停', en: 'Suspended' },
  closed: { zh: '已关闭', en: 'Closed' },
};

export const GRADES = ['3A', '3', '2A', '2', '1', 'ungraded'] as const;
export type Grade = (typeof GRADES)[number];
export const GRADE_LABELS: Record<Grade, Term> = {
  '3A': { zh: '三级甲等', en: 'Grade 3A' },
  '3': { zh: '三级', en: 'Grade 3' },
  '2A': { zh: '二级甲等', en: 'Grade 2A' },
  '2': { zh: '二级', en: 'Grade 2' },
  '1': { zh: '一级', en: 'Grade 1' },
  ungraded: { zh: '未定级', en: 'Ungraded' },
};
/** Numeric level of a grade, as the database's generated grade_level column computes it. */
export function gradeLevel(grade: Grade | null | undefined): number {
  if (grade === '3A' || grade === '3') return 3;
  if (grade === '2A' || grade === '2') return 2;
  if (grade === '1') return 1;
  return 0;
}

export const OWNERSHIPS = ['public', 'private'] as const;
export type Ownership = (typeof OWNERSHIPS)[number];
export const OWNERSHIP_LABELS: Record<Ownership, Term> = {
  public: { zh: '公立', en: 'Public' },
  private: { zh: '非公立', en: 'Private' },
};

export const DEPARTMENTS = [
  'psychiatry_ward',
  'psychiatry_clinic',
  'mental_health_service',
  'paediatrics_ward',
  'paediatrics',
  'obstetrics',
  'neonatology',
  'icu',
  'emergency',
  'fever_clinic',
  'infectious_disease',
  'geriatrics',
  'rehabilitation',
  'tcm_department',
  'tcm_pavilion',
  'preventive_care',
  'tcm_service',
  'public_health',
  'isolation_observation',
  'occupational_health_exam',
  'occupational_disease_diagnosis',
  'p2_lab',
  'pcr_lab',
  'grassroots_guidance',
] as const;
export type Department = (typeof DEPARTMENTS)[number];
export const DEPARTMENT_LABELS: Record<Department, Term> = {
  psychiatry_ward: { zh: '精神科（设病房）', en: 'Psychiatry with ward' },
  psychiatry_clinic: { zh: '精神心理门诊', en: 'Psychiatry / psychology outpatient clinic' },
  mental_health_service: { zh: '精神（心理）卫生服务能力', en: 'Mental-health service capacity' },
  paediatrics_ward: { zh: '儿科（设病房）', en: 'Paediatrics with ward' },
  paediatrics: { zh: '儿科门诊', en: 'Paediatrics (outpatient)' },
  obstetrics: { zh: '妇产科', en: 'Obstetrics & gynaecology' },
  neonatology: { zh: '新生儿科', en: 'Neonatology' },
  icu: { zh: '重症医学科（ICU）', en: 'Intensive care (ICU)' },
  emergency: { zh: '急诊科', en: 'Emergency department' },
  fever_clinic: { zh: '发热门诊（诊室）', en: 'Fever clinic' },
  infectious_disease: { zh: '感染性疾病科', en: 'Infectious-disease department' },
  geriatrics: { zh: '老年医学科', en: 'Geriatrics' },
  rehabilitation: { zh: '康复医学科', en: 'Rehabilitation' },
  tcm_department: { zh: '中医（蒙医）科', en: 'TCM / Mongolian-medicine department' },
  tcm_pavilion: { zh: '中医阁（蒙医阁）', en: 'TCM pavilion (中医阁)' },
  preventive_care: { zh: '治未病科', en: 'Preventive care (治未病)' },
  tcm_service: { zh: '提供中医药（蒙医药）服务', en: 'Provides TCM / MM services' },
  public_health: { zh: '公共卫生科', en: 'Public-health department' },
  isolation_observation: { zh: '隔离留观室', en: 'Isolation & observation room' },
  occupational_health_exam: { zh: '职业健康检查', en: 'Occupational health examination' },
  occupational_disease_diagnosis: { zh: '职业病诊断', en: 'Occupational-disease diagnosis' },
  p2_lab: { zh: '生物安全二级（P2）实验室', en: 'Biosafety level 2 (P2) laboratory' },
  pcr_lab: { zh: '核酸检测实验室', en: 'Nucleic-acid (PCR) laboratory' },
  grassroots_guidance: { zh: '基层指导科', en: 'Grassroots guidance department' },
};

export const TCM_HALL_LEVELS = ['standard', 'quality', 'demonstration'] as const;
export type TcmHallLevel = (typeof TCM_HALL_LEVELS)[number];
export const TCM_HALL_LEVEL_LABELS: Record<TcmHallLevel, Term> = {
  standard: { zh: '达标型中医馆', en: 'Standard TCM hall' },
  quality: { zh: '优质型中医馆', en: 'High-quality TCM hall' },
  demonstration: { zh: '示范型中医馆', en: 'Demonstration TCM hall' },
};

/** Staff columns of the facility table, with labels (per-capita ratios and imports use these). */
export const STAFF_FIELDS = {
  staff_doctors: { zh: '执业医师', en: 'Licensed doctors' },
  staff_assistant_doctors: { zh: '执业助理医师', en: 'Licensed assistant doctors' },
  staff_nurses: { zh: '注册护士', en: 'Registered nurses' },
  staff_gps: { zh: '全科医生', en: 'General practitioners' },
  staff_tcm_doctors: { zh: '中医类别医师', en: 'TCM-category doctors' },
  staff_tcm_gps: { zh: '中医类别全科医生', en: 'TCM-category GPs' },
  staff_village_doctors: { zh: '乡村医生', en: 'Village doctors' },
  staff_public_health: { zh: '公共卫生人员', en: 'Public-health staff' },
  staff_supervisors: { zh: '卫生监督员', en: 'Health supervisors' },
  staff_tcm_capable: { zh: '能提供中医药服务的医务人员', en: 'Staff able to provide TCM' },
} as const satisfies Record<string, Term>;
export type StaffField = keyof typeof STAFF_FIELDS;
