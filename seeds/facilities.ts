/**
 * The synthetic facility layer. No public facility list exists for the region,
 * so the seed generates one institution by institution, with every attribute the
 * rule engine reads, and calibrates beds and staff so that the totals match the
 * published 2020 baselines (seeds/calibration.ts: region 000:77-85, Aohan
 * 001:34-38).
 *
 * What is generated, per banner:
 * - the banner's own institutions at its seat: general hospital (人民医院),
 *   TCM/Mongolian-medicine hospital (missing in most city districts and a few
 *   banners, 002:50), maternal & child health hospital, CDC, health supervision;
 * - league-level institutions at each league seat, region-level ones at the
 *   region's seat (the named ones cite their source line);
 * - one township health centre per 镇/乡/苏木 (about a third 中心卫生院), a
 *   community health centre per street, community health stations for groups of
 *   communities;
 * - one village clinic per administrative village, except: small villages
 *   (< 500 residents) that share a joint clinic with the neighbouring village
 *   (联办, 002:25; `villages_served` lists both), villages under a street served
 *   by a community station instead (002:25), and a few with no clinic at all —
 *   in pastoral banners those gacha are flagged `mobile_service` (流动服务,
 *   000:1035); Aohan has none (「空白点」全部消除, 001:34);
 * - private hospitals, TCM hospitals, nursing homes and outpatient clinics, as
 *   many as make the institution count match (24,600 in the region, 656 in Aohan).
 *
 * Gaps are left in on purpose, at rates a planner would find plausible, so that
 * rules fail where they would: banners over 300,000 without a psychiatric ward,
 * banner hospitals without a paediatric ward or ICU, township centres without a
 * TCM hall, a GP or mental-health capacity, village clinics without a village
 * doctor or TCM service. Every rate is a named constant in GAP_RATES.
 */
import type { Department, FacilityType, Grade, Level, Ownership, TcmHallLevel } from '../server/domain/taxonomy.ts';
import { apportion, sum } from './apportion.ts';
import { baseline, impliedTotal } from './calibration.ts';
import type { UnitPopulation } from './population.ts';
import { rngFor, type Random } from './random.ts';
import { AOHAN, type BannerProfile, type RegionModel } from './region.ts';
import { nameStem, seatTownship, type TownshipRecord, type VillageRecord } from './townships.ts';

export const GENERATOR = 'seeds/facilities.ts';

/** Shares of facilities that lack something the rules ask for (assumptions of the generator, not policy figures). */
export const GAP_RATES = {
  /** Banner over 300,000 people with no public hospital that has a psychiatric ward (000:694-696). */
  psychWardMissing: 0.3,
  /** Banner of 300,000 or fewer without a psychiatry clinic in a banner-level public hospital (000:696-698). */
  psychClinicMissing: 0.25,
  /** Banner general hospital without a paediatric ward (000:854-858). */
  paediatricWardMissing: 0.12,
  /** Banner without any institution doing occupational health exams (000:910-912). */
  occupationalExamMissing: 0.12,
  /** Formal banner (旗/县/市) without its own TCM/MM hospital (002:50); city districts (区) mostly have none. */
  bannerTcmHospitalMissing: 0.05,
  districtTcmHospitalMissing: 0.7,
  /** Township health centre / community health centre without a TCM hall (004:8). */
  tcmHallMissing: 0.08,
  /** Township health centre without a GP (000:1548-1552 accepts a licensed doctor; 001:310 wants a GP). */
  townshipGpMissing: 0.12,
  /** Sumu health centre (remote, pastoral) without any licensed (assistant) doctor or GP. */
  sumuDoctorMissing: 0.03,
  /** Township / community health centre without mental-health capacity (000:700-702). */
  mentalHealthMissing: 0.15,
  /** Village clinic without a village doctor. */
  villageDoctorMissing: 0.05,
  /** Administrative village with no clinic of its own and no joint clinic. */
  villageClinicMissing: 0.012,
  /** Small village (< 500) that shares a joint clinic with its neighbour. */
  jointClinic: 0.35,
} as const;

export type Placement =
  /** At (or near) the point of a township seat or village; the facility stands in that unit. */
  | { anchor: 'unit'; unit: string; jitterM: readonly [number, number] }
  /** Near a league's or the region's seat; stands in the nearest township. */
  | { anchor: 'seat'; seat: string; jitterM: readonly [number, number] };

export interface PlannedFacility {
  code: string;
  name: string;
  type: FacilityType;
  central: boolean;
  run_by_level: Level | null;
  ownership: Ownership;
  grade: Grade | null;
  bannerCode: string;
  place: Placement;
  /** Raw weights; the calibration turns them into whole numbers matching the published totals. */
  weights: { beds: number; doctors: number; nurses: number; gps: number; publicHealth: number };
  shares: { assistant: number; tcmDoctors: number; tcmGps: number; paediatricBeds: number };
  beds: number;
  beds_paediatric: number;
  staff_doctors: number;
  staff_assistant_doctors: number;
  staff_nurses: number;
  staff_gps: number;
  staff_tcm_doctors: number;
  staff_tcm_gps: number;
  staff_village_doctors: number;
  staff_public_health: number;
  staff_supervisors: number;
  staff_tcm_capable: number;
  departments: Department[];
  tcm_hall_level: TcmHallLevel | null;
  tcm_technique_categories: number;
  tcm_techniques: number;
  provides_deliveries: boolean;
  villages_served: string[];
  source: string;
}

export interface FacilityPlan {
  facilities: PlannedFacility[];
  /** Villages with no clinic in a pastoral banner, served by mobile services (admin_unit.mobile_service). */
  mobileService: Set<string>;
}

type Draft = Omit<PlannedFacility, 'beds' | 'beds_paediatric' | 'staff_doctors' | 'staff_assistant_doctors' | 'staff_nurses' | 'staff_gps' | 'staff_tcm_doctors' | 'staff_tcm_gps' | 'staff_public_health'>;

/** Types whose staff numbers are drawn as whole numbers and kept as drawn by the calibration. */
const FIXED_STAFFING: ReadonlySet<FacilityType> = new Set(['village_clinic', 'community_health_station', 'outpatient_clinic']);

const NO_WEIGHT = { beds: 0, doctors: 0, nurses: 0, gps: 0, publicHealth: 0 };
const SHARES = { assistant: 0.15, tcmDoctors: 0.08, tcmGps: 0.2, paediatricBeds: 0 };

function draft(partial: Partial<Draft> & Pick<Draft, 'code' | 'name' | 'type' | 'bannerCode' | 'place'>): Draft {
  return {
    central: false,
    run_by_level: null,
    ownership: 'public',
    grade: null,
    weights: { ...NO_WEIGHT },
    shares: { ...SHARES },
    staff_village_doctors: 0,
    staff_supervisors: 0,
    staff_tcm_capable: 0,
    departments: [],
    tcm_hall_level: null,
    tcm_technique_categories: 0,
    tcm_techniques: 0,
    provides_deliveries: false,
    villages_served: [],
    source: '',
    ...partial,
  };
}

/** Departments present with the given probabilities (a department listed with 1 is always there). */
function departments(rng: Random, spec: Partial<Record<Department, number>>): Department[] {
  const result: Department[] = [];
  for (const [department, p] of Object.entries(spec) as [Department, number][]) {
    if (p >= 1 || rng.chance(p)) result.push(department);
  }
  return result;
}

function hallLevel(rng: Random): TcmHallLevel {
  const x = rng.next();
  return x < 0.03 ? 'demonstration' : x < 0.5 ? 'quality' : 'standard';
}

/** Short form of a banner name for institution names (敖汉旗 → 敖汉, 科尔沁左翼中旗 stays). */
function shortName(name: string): string {
  return name.length > 3 ? name : name.replace(/[旗县区市]$/, '');
}

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔包宝乌吉';
const HOSPITAL_WORDS = ['仁和', '博爱', '惠民', '仁爱', '同仁', '济民', '康宁', '华康', '德仁', '福康', '普济', '永康', '安康', '瑞康', '益民', '协和', '仁济', '长城', '新华', '天使'];
const SPECIALTIES = ['眼科医院', '骨科医院', '肛肠医院', '口腔医院', '妇产医院', '康复医院', '男科医院', '皮肤病医院'];

/** Synthetic institution codes: SYN-{R,L,B,T,V,P}-{unit code}-{kind}. */
const code = {
  region: (kind: string) => `SYN-R-150000-${kind}`,
  league: (league: string, kind: string) => `SYN-L-${league}-${kind}`,
  banner: (banner: string, kind: string) => `SYN-B-${banner}-${kind}`,
  township: (township: string, kind: string) => `SYN-T-${township}-${kind}`,
  village: (village: string, kind: string) => `SYN-V-${village}-${kind}`,
  private: (banner: string, n: number) => `SYN-P-${banner}-${String(n).padStart(4, '0')}`,
};

interface BannerContext {
  banner: BannerProfile;
  population: Map<string, UnitPopulation>;
  seed: number;
  source: string;
  seatTownship: TownshipRecord;
}

// ── region and league institutions ──────────────────────────────────────────

function regionInstitutions(model: RegionModel, seed: number, source: string): Draft[] {
  const rng = rngFor(seed, 'facilities', 'region');
  const bannerCode = model.regionSeatBanner;
  const at = (near: number, far: number): Placement => ({ anchor: 'seat', seat: '150000', jitterM: [near, far] });
  const hospital = (shares: Partial<PlannedFacility['shares']> = {}) => ({ ...SHARES, ...shares });
  const named = (cite: string) => `${source}; name: ${cite}`;
  return [
    draft({ code: code.region('GH1'), name: '内蒙古自治区人民医院', type: 'general_hospital', bannerCode, place: at(1500, 6000), run_by_level: 'region', grade: '3A',
      weights: { beds: 2600, doctors: 1100, nurses: 1600, gps: 6, publicHealth: 30 }, shares: hospital({ assistant: 0.04, tcmDoctors: 0.05, paediatricBeds: 0.07 }),
      departments: departments(rng, { emergency: 1, obstetrics: 1, paediatrics: 1, paediatrics_ward: 1, neonatology: 1, icu: 1, fever_clinic: 1, infectious_disease: 1, geriatrics: 1, rehabilitation: 1, tcm_department: 1, psychiatry_ward: 1, psychiatry_clinic: 1, mental_health_service: 1, public_health: 1, isolation_observation: 1, pcr_lab: 1, p2_lab: 1, occupational_disease_diagnosis: 1 }),
      provides_deliveries: true, source: named('002:38 「自治区人民医院」') }),
    draft({ code: code.region('TCM1'), name: '内蒙古自治区中医医院', type: 'tcm_hospital', bannerCode, place: at(1500, 6000), run_by_level: 'region', grade: '3A',
      weights: { beds: 1200, doctors: 520, nurses: 600, gps: 3, publicHealth: 10 }, shares: hospital({ assistant: 0.05, tcmDoctors: 0.6, tcmGps: 0.6, paediatricBeds: 0.04 }),
      departments: departments(rng, { tcm_department: 1, rehabilitation: 1, preventive_care: 1, geriatrics: 1, emergency: 1, fever_clinic: 1, infectious_disease: 1, pcr_lab: 1, paediatrics: 1, paediatrics_ward: 1, public_health: 1, isolation_observation: 1 }),
      source: named('000:1335 「依托内蒙古自治区中医医院」') }),
    draft({ code: code.region('TCM2'), name: '内蒙古自治区国际蒙医医院', type: 'tcm_hospital', bannerCode, place: at(1500, 6000), run_by_level: 'region', grade: '3A',
      weights: { beds: 1000, doctors: 420, nurses: 480, gps: 2, publicHealth: 8 }, shares: hospital({ assistant: 0.05, tcmDoctors: 0.65, tcmGps: 0.6 }),
      departments: departments(rng, { tcm_department: 1, rehabilitation: 1, preventive_care: 1, geriatrics: 1, emergency: 1, fever_clinic: 1, pcr_lab: 1, public_health: 1 }),
      source: named('000:1343 「依托内蒙古自治区国际蒙医医院」') }),
    draft({ code: code.region('MCH'), name: '内蒙古自治区妇幼保健院', type: 'mch_hospital', bannerCode, place: at(1500, 6000), run_by_level: 'region', grade: '3A',
      weights: { beds: 600, doctors: 300, nurses: 420, gps: 1, publicHealth: 40 }, shares: hospital({ assistant: 0.05, tcmDoctors: 0.05, paediatricBeds: 0.35 }),
      departments: departments(rng, { obstetrics: 1, paediatrics: 1, paediatrics_ward: 1, neonatology: 1, tcm_department: 1, public_health: 1 }), provides_deliveries: true, source }),
    draft({ code: code.region('PSY'), name: '内蒙古自治区精神卫生中心', type: 'psychiatric_hospital', bannerCode, place: at(3000, 9000), run_by_level: 'region', grade: '3A',
      weights: { beds: 900, doctors: 160, nurses: 320, gps: 0, publicHealth: 10 }, shares: hospital({ assistant: 0.05 }),
      departments: ['psychiatry_ward', 'psychiatry_clinic', 'mental_health_service'], source: named('000:719 「建设好自治区级精神专科医院」') }),
    draft({ code: code.region('INF'), name: '内蒙古自治区第四医院', type: 'infectious_hospital', bannerCode, place: at(3000, 9000), run_by_level: 'region', grade: '3',
      weights: { beds: 500, doctors: 170, nurses: 280, gps: 0, publicHealth: 15 }, shares: hospital({ assistant: 0.06 }),
      departments: ['infectious_disease', 'fever_clinic', 'isolation_observation', 'icu', 'pcr_lab', 'p2_lab'], source: named('002:38 「自治区第四医院」') }),
    draft({ code: code.region('CDC'), name: '内蒙古自治区疾病预防控制中心', type: 'cdc', bannerCode, place: at(1500, 6000), run_by_level: 'region',
      weights: { beds: 0, doctors: 60, nurses: 10, gps: 0, publicHealth: 450 }, shares: hospital({ assistant: 0.05 }),
      departments: ['public_health', 'pcr_lab', 'p2_lab', 'occupational_disease_diagnosis'], source: named('000:620 「自治区疾控中心建设项目」') }),
    draft({ code: code.region('SUP'), name: '内蒙古自治区卫生健康委员会综合监督局', type: 'health_supervision', bannerCode, place: at(1500, 6000), run_by_level: 'region',
      weights: { ...NO_WEIGHT, publicHealth: 10 }, staff_supervisors: 90, source }),
  ];
}

function leagueInstitutions(model: RegionModel, seed: number, source: string): Draft[] {
  const result: Draft[] = [];
  for (const league of model.leagues.values()) {
    const rng = rngFor(seed, 'facilities', 'league', league.code);
    const s = Math.min(2, Math.max(0.4, league.population / 2_000_000));
    const bannerCode = league.seatBanner;
    const at = (near: number, far: number): Placement => ({ anchor: 'seat', seat: league.code, jitterM: [near, far] });
    const name = league.name;
    const pastoralLeague = ['150500', '150700', '152200', '152500', '152900'].includes(league.code);
    result.push(
      draft({ code: code.league(league.code, 'GH1'), name: `${name}医院`, type: 'general_hospital', bannerCode, place: at(800, 5000), run_by_level: 'league', grade: '3A',
        weights: { beds: 1300 * s ** 0.6, doctors: 540 * s ** 0.6, nurses: 780 * s ** 0.6, gps: 5, publicHealth: 20 }, shares: { ...SHARES, assistant: 0.05, tcmDoctors: 0.06, paediatricBeds: 0.07 },
        departments: departments(rng, { emergency: 1, obstetrics: 1, paediatrics: 1, paediatrics_ward: 1, neonatology: 1, icu: 1, fever_clinic: 1, infectious_disease: 1, geriatrics: 0.8, rehabilitation: 1, tcm_department: 0.95, psychiatry_ward: 0.5, psychiatry_clinic: 0.9, mental_health_service: 1, public_health: 1, isolation_observation: 1, pcr_lab: 1 }),
        provides_deliveries: true, source }),
    );
    if (league.population > 2_000_000) {
      result.push(
        draft({ code: code.league(league.code, 'GH2'), name: `${name}第二医院`, type: 'general_hospital', bannerCode, place: at(2000, 8000), run_by_level: 'league', grade: '3',
          weights: { beds: 700 * s ** 0.5, doctors: 280 * s ** 0.5, nurses: 400 * s ** 0.5, gps: 3, publicHealth: 10 }, shares: { ...SHARES, assistant: 0.06, paediatricBeds: 0.06 },
          departments: departments(rng, { emergency: 1, obstetrics: 1, paediatrics: 1, paediatrics_ward: 0.8, neonatology: 0.8, icu: 1, fever_clinic: 1, infectious_disease: 0.8, geriatrics: 0.5, rehabilitation: 0.8, tcm_department: 0.9, psychiatry_clinic: 0.6, mental_health_service: 0.8, public_health: 1, isolation_observation: 1, pcr_lab: 0.8 }),
          provides_deliveries: true, source }),
      );
    }
    // im-league-tcm-3a (000:1278-1280) is a must for the plan period; 000:1329-1333
    // speaks of leagues that have no 3A TCM hospital yet, so some lack it.
    result.push(
      draft({ code: code.league(league.code, 'TCM'), name: pastoralLeague ? `${name}蒙医医院` : `${name}中医蒙医医院`, type: 'tcm_hospital', bannerCode, place: at(800, 6000), run_by_level: 'league',
        grade: rng.chance(0.67) ? '3A' : '3', weights: { beds: 650 * s ** 0.5, doctors: 280 * s ** 0.5, nurses: 300 * s ** 0.5, gps: 2, publicHealth: 6 },
        shares: { ...SHARES, assistant: 0.06, tcmDoctors: 0.6, tcmGps: 0.6, paediatricBeds: 0.03 },
        departments: departments(rng, { tcm_department: 1, rehabilitation: 1, preventive_care: 0.95, geriatrics: 0.7, emergency: 1, fever_clinic: 1, infectious_disease: 0.7, pcr_lab: 0.9, paediatrics: 0.8, public_health: 1, grassroots_guidance: 0.6 }),
        provides_deliveries: rng.chance(0.4), source }),
      draft({ code: code.league(league.code, 'MCH'), name: `${name}妇幼保健院`, type: 'mch_hospital', bannerCode, place: at(800, 6000), run_by_level: 'league', grade: rng.chance(0.5) ? '3A' : '3',
        weights: { beds: 300 * s ** 0.5, doctors: 150 * s ** 0.5, nurses: 210 * s ** 0.5, gps: 1, publicHealth: 30 }, shares: { ...SHARES, assistant: 0.06, tcmDoctors: 0.05, paediatricBeds: 0.3 },
        departments: departments(rng, { obstetrics: 1, paediatrics: 1, paediatrics_ward: 1, neonatology: 0.9, tcm_department: 0.8, public_health: 1 }), provides_deliveries: true, source }),
      draft({ code: code.league(league.code, 'CDC'), name: `${name}疾病预防控制中心`, type: 'cdc', bannerCode, place: at(800, 6000), run_by_level: 'league',
        weights: { beds: 0, doctors: 25 * s, nurses: 5, gps: 0, publicHealth: 120 * s ** 0.7 }, shares: { ...SHARES, assistant: 0.1, tcmDoctors: 0 },
        // im-league-p2-lab (000:612-616) was a 2–3 year goal from 2021: one league still lacks it.
        departments: departments(rng, { public_health: 1, pcr_lab: 1, p2_lab: 0.9, occupational_disease_diagnosis: 0.5 }), source }),
      draft({ code: code.league(league.code, 'SUP'), name: `${name}卫生健康综合行政执法支队`, type: 'health_supervision', bannerCode, place: at(800, 6000), run_by_level: 'league',
        weights: { ...NO_WEIGHT, publicHealth: 6 }, staff_supervisors: Math.round(30 * s ** 0.5 * rng.logNormal(0.2)), source }),
      draft({ code: code.league(league.code, 'EMS'), name: `${name}急救中心`, type: 'emergency_station', bannerCode, place: at(800, 6000), run_by_level: 'league',
        weights: { beds: 0, doctors: 20 * s ** 0.5, nurses: 25 * s ** 0.5, gps: 0, publicHealth: 0 }, shares: { ...SHARES, assistant: 0.1, tcmDoctors: 0 }, departments: ['emergency'], source }),
    );
    if (rng.chance(0.75)) {
      result.push(
        draft({ code: code.league(league.code, 'PSY'), name: `${name}精神卫生中心`, type: 'psychiatric_hospital', bannerCode, place: at(3000, 12000), run_by_level: 'league', grade: rng.chance(0.5) ? '3' : '2A',
          weights: { beds: 350 * s ** 0.5, doctors: 60 * s ** 0.5, nurses: 130 * s ** 0.5, gps: 0, publicHealth: 4 }, shares: { ...SHARES, assistant: 0.08, tcmDoctors: 0.03 },
          departments: ['psychiatry_ward', 'psychiatry_clinic', 'mental_health_service'], source }),
      );
    }
    if (rng.chance(0.6)) {
      result.push(
        draft({ code: code.league(league.code, 'INF'), name: `${name}传染病医院`, type: 'infectious_hospital', bannerCode, place: at(3000, 12000), run_by_level: 'league', grade: rng.chance(0.5) ? '2A' : '3',
          weights: { beds: 200 * s ** 0.5, doctors: 60 * s ** 0.5, nurses: 100 * s ** 0.5, gps: 0, publicHealth: 6 }, shares: { ...SHARES, assistant: 0.08, tcmDoctors: 0.04 },
          departments: departments(rng, { infectious_disease: 1, fever_clinic: 1, isolation_observation: 1, pcr_lab: 1, icu: 0.5 }), source }),
      );
    }
  }
  return result;
}

// ── banner institutions ─────────────────────────────────────────────────────

/**
 * Aohan's banner institutions as 001 describes them (2020): 敖汉旗医院 (the banner
 * general hospital, grade 2 and 「创建三级医院」 a plan target, 001:281),
 * 敖汉旗中医蒙医医院 (三级, 001:36), 旗妇幼保健院 (which is still to 「开设妇产科和
 * 儿科」, 001:303), the CDC; a psychiatric ward and an occupational-health
 * examination institution are plan tasks (001:276-277), so neither exists yet.
 */
function aohanInstitutions(ctx: BannerContext): Draft[] {
  const rng = rngFor(ctx.seed, 'facilities', 'banner', AOHAN);
  const seatUnit = ctx.seatTownship.code;
  const at = (near: number, far: number): Placement => ({ anchor: 'unit', unit: seatUnit, jitterM: [near, far] });
  const p = ctx.banner.population / 1000;
  const named = (cite: string) => `${ctx.source}; name and grade: ${cite}`;
  return [
    draft({ code: code.banner(AOHAN, 'GH1'), name: '敖汉旗医院', type: 'general_hospital', bannerCode: AOHAN, place: at(400, 2000), run_by_level: 'banner', grade: '2A',
      weights: { beds: 1000, doctors: 380, nurses: 400, gps: 6, publicHealth: 8 }, shares: { ...SHARES, assistant: 0.1, tcmDoctors: 0.06, paediatricBeds: 0.08 },
      departments: ['emergency', 'obstetrics', 'paediatrics', 'paediatrics_ward', 'neonatology', 'icu', 'fever_clinic', 'infectious_disease', 'rehabilitation', 'tcm_department', 'psychiatry_clinic', 'mental_health_service', 'public_health', 'isolation_observation', 'pcr_lab'],
      provides_deliveries: true, source: named('001:33-34 「旗医院」, 001:273, 001:281 「敖汉旗医院创建三级医院」') }),
    draft({ code: code.banner(AOHAN, 'TCM'), name: '敖汉旗中医蒙医医院', type: 'tcm_hospital', bannerCode: AOHAN, place: at(600, 2500), run_by_level: 'banner', grade: '3',
      weights: { beds: 620, doctors: 230, nurses: 210, gps: 3, publicHealth: 4 }, shares: { ...SHARES, assistant: 0.1, tcmDoctors: 0.55, tcmGps: 0.6, paediatricBeds: 0.04 },
      departments: ['tcm_department', 'rehabilitation', 'preventive_care', 'emergency', 'fever_clinic', 'pcr_lab', 'infectious_disease', 'paediatrics', 'public_health', 'grassroots_guidance', 'isolation_observation'],
      provides_deliveries: false, source: named('001:36 「旗中医蒙医医院晋升为三级中医蒙医医院」') }),
    draft({ code: code.banner(AOHAN, 'MCH'), name: '敖汉旗妇幼保健院', type: 'mch_hospital', bannerCode: AOHAN, place: at(500, 2500), run_by_level: 'banner', grade: '2',
      weights: { beds: 110, doctors: 60, nurses: 70, gps: 1, publicHealth: 25 }, shares: { ...SHARES, assistant: 0.12, tcmDoctors: 0.05, paediatricBeds: 0 },
      departments: ['obstetrics', 'public_health'], provides_deliveries: true, source: named('001:295 「旗妇幼保健院」, 001:303 「旗妇幼保健院开设妇产科和儿科」 (a task)') }),
    draft({ code: code.banner(AOHAN, 'CDC'), name: '敖汉旗疾病预防控制中心', type: 'cdc', bannerCode: AOHAN, place: at(500, 2500), run_by_level: 'banner',
      weights: { beds: 0, doctors: 10, nurses: 2, gps: 0, publicHealth: p * 0.09 }, shares: { ...SHARES, assistant: 0.15, tcmDoctors: 0 },
      departments: ['public_health', 'pcr_lab'], source: named('001:275 「疾病预防控制中心」') }),
    draft({ code: code.banner(AOHAN, 'SUP'), name: '敖汉旗卫生健康综合行政执法大队', type: 'health_supervision', bannerCode: AOHAN, place: at(500, 2500), run_by_level: 'banner',
      weights: { ...NO_WEIGHT, publicHealth: 2 }, staff_supervisors: Math.round(p / 10 * rng.range(0.8, 0.95)), source: ctx.source }),
  ];
}

function bannerInstitutions(ctx: BannerContext): Draft[] {
  if (ctx.banner.code === AOHAN) return aohanInstitutions(ctx);
  const { banner } = ctx;
  const rng = rngFor(ctx.seed, 'facilities', 'banner', banner.code);
  const seatUnit = ctx.seatTownship.code;
  const at = (near: number, far: number): Placement => ({ anchor: 'unit', unit: seatUnit, jitterM: [near, far] });
  const p = banner.population / 1000;
  const district = banner.kind === '区';
  const short = shortName(banner.name);
  const result: Draft[] = [];

  // Psychiatric care by banner population (000:694-698): decided per banner.
  const big = banner.population > 300_000;
  const psychWard = big && !rng.chance(GAP_RATES.psychWardMissing);
  const psychClinic = big ? rng.chance(0.7) : !rng.chance(GAP_RATES.psychClinicMissing);
  const psychHospital = psychWard && banner.population > 500_000 && rng.chance(0.25);
  const occupationalExam = !rng.chance(GAP_RATES.occupationalExamMissing);
  const occupationalAtCdc = rng.chance(0.35);

  const bedScale = banner.leagueSeatOf ? 0.55 : district ? 0.8 : 1;
  const ghGrade: Grade = banner.population > 600_000 && rng.chance(0.5) ? '3' : rng.chance(0.7) ? '2A' : '2';
  const ghBeds = (90 + 1.25 * p) * bedScale * rng.logNormal(0.15);
  result.push(
    draft({ code: code.banner(banner.code, 'GH1'), name: `${banner.name}人民医院`, type: 'general_hospital', bannerCode: banner.code, place: at(300, 2000), run_by_level: 'banner', grade: ghGrade,
      weights: { beds: ghBeds, doctors: ghBeds * 0.4, nurses: ghBeds * 0.55, gps: 2 + p / 100, publicHealth: 6 },
      shares: { ...SHARES, assistant: rng.range(0.06, 0.16), tcmDoctors: rng.range(0.04, 0.1), paediatricBeds: rng.range(0.05, 0.1) },
      departments: [
        ...departments(rng, {
          emergency: 1, obstetrics: 1, paediatrics: 1, paediatrics_ward: 1 - GAP_RATES.paediatricWardMissing,
          icu: ghGrade === '3' ? 1 : ghGrade === '2A' ? 0.85 : 0.65, fever_clinic: 0.95, infectious_disease: 0.85, geriatrics: 0.45,
          rehabilitation: 0.75, tcm_department: 0.85, mental_health_service: 0.9, public_health: 0.95, isolation_observation: 0.9, pcr_lab: 0.8,
        }),
        ...(rng.chance(0.85) ? (['neonatology'] as const) : []),
        ...(psychWard && !psychHospital ? (['psychiatry_ward'] as const) : []),
        ...(psychClinic ? (['psychiatry_clinic'] as const) : []),
        ...(occupationalExam && !occupationalAtCdc ? (['occupational_health_exam'] as const) : []),
      ],
      provides_deliveries: true, source: ctx.source }),
  );
  if (banner.population > 400_000 && rng.chance(0.4)) {
    const beds = (60 + 0.4 * p) * rng.logNormal(0.2);
    result.push(
      draft({ code: code.banner(banner.code, 'GH2'), name: `${banner.name}第二人民医院`, type: 'general_hospital', bannerCode: banner.code, place: at(1500, 6000), run_by_level: 'banner', grade: '2',
        weights: { beds, doctors: beds * 0.4, nurses: beds * 0.5, gps: 2, publicHealth: 3 }, shares: { ...SHARES, assistant: 0.15, paediatricBeds: 0.06 },
        departments: departments(rng, { emergency: 1, obstetrics: 0.8, paediatrics: 0.9, paediatrics_ward: 0.5, icu: 0.5, fever_clinic: 0.9, infectious_disease: 0.6, rehabilitation: 0.6, tcm_department: 0.8, public_health: 0.9, neonatology: 0.5 }),
        provides_deliveries: true, source: ctx.source }),
    );
  }
  if (psychHospital) {
    const beds = rng.range(80, 160);
    result.push(
      draft({ code: code.banner(banner.code, 'PSY'), name: `${banner.name}精神卫生中心`, type: 'psychiatric_hospital', bannerCode: banner.code, place: at(2000, 8000), run_by_level: 'banner', grade: '2',
        weights: { beds, doctors: beds * 0.18, nurses: beds * 0.35, gps: 0, publicHealth: 2 }, shares: { ...SHARES, assistant: 0.12, tcmDoctors: 0.02 },
        departments: ['psychiatry_ward', 'psychiatry_clinic', 'mental_health_service'], source: ctx.source }),
    );
  }
  const tcmMissing = rng.chance(district ? GAP_RATES.districtTcmHospitalMissing : GAP_RATES.bannerTcmHospitalMissing);
  if (!tcmMissing) {
    const tcmGrade: Grade = rng.chance(0.1) ? '3' : rng.chance(0.6) ? '2A' : '2';
    const beds = (50 + 0.55 * p) * bedScale * rng.logNormal(0.2);
    const tcmName = banner.pastoral ? `${banner.name}蒙医医院` : rng.chance(0.5) ? `${banner.name}中医医院` : `${banner.name}中蒙医医院`;
    result.push(
      draft({ code: code.banner(banner.code, 'TCM'), name: tcmName, type: 'tcm_hospital', bannerCode: banner.code, place: at(500, 2500), run_by_level: 'banner', grade: tcmGrade,
        weights: { beds, doctors: beds * 0.45, nurses: beds * 0.45, gps: 1, publicHealth: 3 }, shares: { ...SHARES, assistant: rng.range(0.08, 0.2), tcmDoctors: rng.range(0.45, 0.7), tcmGps: 0.6, paediatricBeds: 0.03 },
        departments: [
          ...departments(rng, {
            tcm_department: 1, rehabilitation: 0.92, preventive_care: 0.88, geriatrics: 0.5, emergency: 0.9, fever_clinic: 0.85, pcr_lab: 0.6, infectious_disease: 0.5,
            grassroots_guidance: 0.6, paediatrics: 0.6, obstetrics: 0.3, mental_health_service: 0.5, public_health: 0.8, isolation_observation: 0.7,
          }),
          ...(psychClinic && rng.chance(0.2) ? (['psychiatry_clinic'] as const) : []),
        ],
        provides_deliveries: rng.chance(0.35), source: ctx.source }),
    );
  }
  const mchGrade: Grade = rng.chance(0.3) ? '2A' : rng.chance(0.7) ? '2' : '1';
  const mchBeds = (15 + 0.12 * p) * rng.logNormal(0.3);
  result.push(
    draft({ code: code.banner(banner.code, 'MCH'), name: rng.chance(0.5) ? `${banner.name}妇幼保健院` : `${banner.name}妇幼保健计划生育服务中心`, type: 'mch_hospital', bannerCode: banner.code,
      place: at(500, 2500), run_by_level: 'banner', grade: mchGrade,
      weights: { beds: mchBeds, doctors: 5 + mchBeds * 0.55, nurses: 4 + mchBeds * 0.7, gps: 1, publicHealth: 15 + p / 30 }, shares: { ...SHARES, assistant: 0.15, tcmDoctors: 0.05, paediatricBeds: rng.range(0.2, 0.3) },
      departments: departments(rng, { obstetrics: 1, paediatrics: 0.9, paediatrics_ward: 0.5, neonatology: mchGrade === '1' ? 0 : 0.5, tcm_department: mchGrade === '2' || mchGrade === '2A' ? 0.65 : 0.3, public_health: 1 }),
      provides_deliveries: rng.chance(0.9), source: ctx.source }),
    draft({ code: code.banner(banner.code, 'CDC'), name: `${banner.name}疾病预防控制中心`, type: 'cdc', bannerCode: banner.code, place: at(500, 2500), run_by_level: 'banner',
      weights: { beds: 0, doctors: 8 + p / 40, nurses: 2, gps: 0, publicHealth: p * 0.17 * rng.logNormal(0.25) }, shares: { ...SHARES, assistant: 0.15, tcmDoctors: 0 },
      departments: [...departments(rng, { public_health: 1, pcr_lab: 0.8, p2_lab: 0.1 }), ...(occupationalExam && occupationalAtCdc ? (['occupational_health_exam'] as const) : [])], source: ctx.source }),
    // Health supervisors: 1–1.5 per 10,000 residents in principle (000:734-735); many banners fall short.
    draft({ code: code.banner(banner.code, 'SUP'), name: `${banner.name}卫生健康综合行政执法大队`, type: 'health_supervision', bannerCode: banner.code, place: at(500, 2500), run_by_level: 'banner',
      weights: { ...NO_WEIGHT, publicHealth: 2 }, staff_supervisors: Math.max(2, Math.round((p / 10) * rng.range(0.55, 1.7))), source: ctx.source }),
  );
  if (rng.chance(0.25)) {
    result.push(
      draft({ code: code.banner(banner.code, 'EMS'), name: `${short}急救站`, type: 'emergency_station', bannerCode: banner.code, place: at(300, 2000), run_by_level: 'banner',
        weights: { beds: 0, doctors: 4, nurses: 6, gps: 0, publicHealth: 0 }, shares: { ...SHARES, assistant: 0.2, tcmDoctors: 0 }, departments: ['emergency'], source: ctx.source }),
    );
  }
  return result;
}

// ── townships, communities and villages ─────────────────────────────────────

function townshipInstitutions(ctx: BannerContext): Draft[] {
  const { banner } = ctx;
  const rng = rngFor(ctx.seed, 'facilities', 'townships', banner.code);
  const aohan = banner.code === AOHAN;
  const result: Draft[] = [];
  const rural = (v: VillageRecord) => v.kind !== '社区' && !v.virtual;
  // About a third of the towns and sumu (not the seat town) have a 中心卫生院: the most populous ones.
  const candidates = banner.units.townships
    .filter((t) => (t.kind === '镇' || t.kind === '苏木') && t.code !== ctx.seatTownship.code)
    .sort((a, b) => ctx.population.get(b.code)!.population - ctx.population.get(a.code)!.population || (a.code < b.code ? -1 : 1));
  const central = new Set(candidates.slice(0, Math.round(candidates.length / 3)).map((t) => t.code));
  // 长胜中心卫生院 (001:35) is a central township health centre in Aohan's 长胜镇.
  if (aohan) central.add('150430102');

  for (const township of banner.units.townships) {
    const pt = ctx.population.get(township.code)!.population / 1000;
    const hasRural = township.villages.some(rural);
    const stem = nameStem(township.name);
    const isCentral = central.has(township.code);
    const place: Placement = { anchor: 'unit', unit: township.code, jitterM: [100, 800] };
    const hall = (aohan || !rng.chance(GAP_RATES.tcmHallMissing)) ? hallLevel(rng) : null;
    const techniques = hall ? { tcm_technique_categories: rng.int(4, 9), tcm_techniques: rng.int(7, 16) } : { tcm_technique_categories: rng.int(0, 3), tcm_techniques: rng.int(0, 5) };
    const mental = rng.chance(1 - GAP_RATES.mentalHealthMissing) ? (['mental_health_service'] as const) : [];
    if (township.kind === '街道' || (township.kind === '其他' && !hasRural)) {
      if (township.kind === '其他' && pt < 8) continue;
      if (township.kind === '街道' && rng.chance(0.05)) continue; // served by stations only
      const beds = rng.chance(0.6) ? 0 : rng.range(5, 20);
      result.push(
        draft({ code: code.township(township.code, 'CHC'), name: `${stem}${township.kind === '街道' ? '街道' : ''}社区卫生服务中心`, type: 'community_health_centre', bannerCode: banner.code, place,
          run_by_level: 'township', grade: rng.chance(0.5) ? '1' : 'ungraded',
          weights: { beds, doctors: 5 + 0.25 * pt, nurses: 4 + 0.2 * pt, gps: rng.chance(0.05) ? 0 : 2 + 0.06 * pt, publicHealth: 3 + 0.05 * pt },
          shares: { ...SHARES, assistant: rng.range(0.15, 0.3), tcmDoctors: rng.range(0.18, 0.35), tcmGps: 0.3 },
          departments: [
            ...departments(rng, { tcm_department: aohan ? 1 : 0.9, fever_clinic: 0.7, public_health: 1, rehabilitation: 0.4, geriatrics: 0.1, preventive_care: 0.25 }),
            ...mental,
          ],
          tcm_hall_level: hall, ...techniques, staff_tcm_capable: 0, source: ctx.source }),
      );
      continue;
    }
    const sumu = township.kind === '苏木';
    const beds = (isCentral ? (25 + 0.8 * pt) * rng.logNormal(0.3) : (6 + 0.6 * pt) * rng.logNormal(0.4)) * (sumu ? 0.7 : 1);
    const noDoctor = !aohan && sumu && rng.chance(GAP_RATES.sumuDoctorMissing);
    const gps = noDoctor || rng.chance(GAP_RATES.townshipGpMissing) ? 0 : (1 + 0.05 * pt) * rng.logNormal(0.3);
    const deliveries = rng.chance(isCentral ? 0.35 : 0.08);
    const name = township.kind === '其他' ? `${township.name}卫生院` : `${stem}${isCentral ? '中心卫生院' : '卫生院'}`;
    result.push(
      draft({ code: code.township(township.code, 'THC'), name, type: 'township_health_centre', central: isCentral, bannerCode: banner.code, place, run_by_level: 'township',
        grade: rng.chance(isCentral ? 0.7 : 0.4) ? '1' : 'ungraded',
        weights: { beds, doctors: noDoctor ? 0 : 2 + 0.12 * beds + 0.15 * pt, nurses: 1 + 0.2 * beds + 0.1 * pt, gps, publicHealth: 2 + 0.05 * pt },
        shares: { ...SHARES, assistant: rng.range(0.25, 0.45), tcmDoctors: rng.range(0.18, 0.34), tcmGps: 0.3 },
        departments: [
          ...departments(rng, {
            tcm_department: aohan ? 1 : 0.9, fever_clinic: 0.85, isolation_observation: 0.8, public_health: 0.95, preventive_care: 0.2, rehabilitation: 0.25,
            emergency: isCentral ? 0.5 : 0.15, obstetrics: deliveries ? 1 : 0.1, paediatrics: 0.3,
          }),
          ...mental,
        ],
        tcm_hall_level: hall, ...techniques, provides_deliveries: deliveries, staff_tcm_capable: 0,
        source: aohan && township.code === '150430102' ? `${ctx.source}; name: 001:35 「长胜中心卫生院」` : ctx.source }),
    );
  }
  return result;
}

function villageInstitutions(ctx: BannerContext, mobileService: Set<string>): Draft[] {
  const { banner } = ctx;
  const rng = rngFor(ctx.seed, 'facilities', 'villages', banner.code);
  const aohan = banner.code === AOHAN;
  // Share of village clinics providing TCM services: around the 80 % target (004:15), per banner.
  const tcmRate = aohan ? 0.8 : Math.min(0.95, Math.max(0.6, 0.8 + 0.08 * rng.normal()));
  const result: Draft[] = [];
  const pop = (v: VillageRecord) => ctx.population.get(v.code)!.population;

  const villageClinic = (host: VillageRecord, served: VillageRecord[], joint: boolean): Draft => {
    const noDoctor = rng.chance(GAP_RATES.villageDoctorMissing);
    const villageDoctors = noDoctor ? 0 : joint ? rng.int(1, 3) : rng.weightedIndex([0, 0.55, 0.3, 0.1, 0.05]);
    const assistant = (noDoctor && rng.chance(0.5)) || rng.chance(0.1) ? 1 : 0;
    const tcm = villageDoctors + assistant > 0 && rng.chance(tcmRate);
    const stem = nameStem(host.name);
    const suffix = host.kind === '嘎查' ? '嘎查卫生室' : host.kind === '村' ? '村卫生室' : '卫生室';
    return draft({
      code: code.village(host.code, 'VC'),
      name: joint ? `${stem}${suffix}（联办）` : `${stem}${suffix}`,
      type: 'village_clinic', bannerCode: banner.code, place: { anchor: 'unit', unit: host.code, jitterM: [20, 300] }, run_by_level: 'village',
      ownership: rng.chance(0.85) ? 'public' : 'private',
      weights: { beds: 0, doctors: assistant, nurses: rng.chance(0.05) ? 1 : 0, gps: 0, publicHealth: 0 },
      shares: { ...SHARES, assistant: 1, tcmDoctors: 0.3, tcmGps: 0 },
      staff_village_doctors: villageDoctors,
      staff_tcm_capable: tcm ? Math.max(1, Math.min(villageDoctors + assistant, rng.int(1, 2))) : 0,
      departments: tcm ? (rng.chance(0.1) ? ['tcm_service', 'tcm_pavilion'] : ['tcm_service']) : [],
      tcm_technique_categories: tcm ? rng.int(2, 6) : 0, tcm_techniques: tcm ? rng.int(3, 9) : 0,
      villages_served: served.map((v) => v.code).sort(),
      source: ctx.source,
    });
  };
  const station = (host: VillageRecord, served: VillageRecord[]): Draft => {
    const tcm = rng.chance(0.88);
    return draft({
      code: code.village(host.code, 'CHS'), name: `${nameStem(host.name)}社区卫生服务站`, type: 'community_health_station', bannerCode: banner.code,
      place: { anchor: 'unit', unit: host.code, jitterM: [20, 250] }, run_by_level: 'township', ownership: rng.chance(0.7) ? 'public' : 'private',
      weights: { beds: 0, doctors: rng.int(1, 3), nurses: rng.int(1, 2), gps: rng.chance(0.25) ? 1 : 0, publicHealth: 0 },
      shares: { ...SHARES, assistant: 0.3, tcmDoctors: 0.3, tcmGps: 0.3 },
      staff_tcm_capable: tcm ? rng.int(1, 2) : 0,
      departments: tcm ? (rng.chance(0.1) ? ['tcm_service', 'tcm_pavilion'] : ['tcm_service']) : [],
      tcm_technique_categories: tcm ? rng.int(3, 6) : 0, tcm_techniques: tcm ? rng.int(4, 10) : 0,
      villages_served: served.map((v) => v.code).sort(), source: ctx.source,
    });
  };

  for (const township of banner.units.townships) {
    const inStreet = township.kind === '街道';
    const central = inStreet || township.code === ctx.seatTownship.code;
    // Communities: a station for a run of one to three neighbouring communities, or none (served by the centre).
    const communities = township.villages.filter((v) => v.kind === '社区' && !v.virtual);
    for (let i = 0; i < communities.length; ) {
      const size = Math.min(communities.length - i, rng.int(1, 3));
      const group = communities.slice(i, i + size);
      i += size;
      if (rng.chance(central ? 0.6 : 0.35)) result.push(station(group.reduce((a, b) => (pop(b) > pop(a) ? b : a)), group));
    }
    // Villages under a street: in principle stations, not village clinics (002:25) — half converted by 2020.
    const villages = township.villages.filter((v) => v.kind !== '社区' && !v.virtual);
    const used = new Set<string>();
    for (let i = 0; i < villages.length; i++) {
      const v = villages[i]!;
      if (used.has(v.code)) continue;
      used.add(v.code);
      if (inStreet && rng.chance(0.5)) {
        result.push(station(v, [v]));
        continue;
      }
      const next = villages[i + 1];
      const administrative = v.kind === '村' || v.kind === '嘎查';
      // Joint clinic (002:25): a village under 500 and its code neighbour in the same township.
      if (administrative && next && !used.has(next.code) && (next.kind === '村' || next.kind === '嘎查') && (pop(v) < 500 || pop(next) < 500) && rng.chance(GAP_RATES.jointClinic)) {
        used.add(next.code);
        const host = pop(next) > pop(v) ? next : v;
        result.push(villageClinic(host, [v, next], true));
        continue;
      }
      if (!aohan && (v.kind === '其他' ? rng.chance(0.3) : rng.chance(GAP_RATES.villageClinicMissing))) {
        if (banner.pastoral && v.kind === '嘎查') mobileService.add(v.code);
        continue;
      }
      result.push(villageClinic(v, [v], false));
    }
  }
  return result;
}

// ── private institutions ────────────────────────────────────────────────────

function privateInstitutions(ctx: BannerContext, count: number, withClinic: ReadonlySet<string>): Draft[] {
  const { banner } = ctx;
  const rng = rngFor(ctx.seed, 'facilities', 'private', banner.code);
  const aohan = banner.code === AOHAN;
  const short = shortName(banner.name);
  // Where private institutions stand: settlements weighted by population, towns and communities first.
  const settlements: { unit: string; stem: string; weight: number }[] = [];
  for (const t of banner.units.townships) {
    for (const v of t.villages) {
      if (v.virtual) continue;
      const p = ctx.population.get(v.code)!.population;
      settlements.push({ unit: v.code, stem: nameStem(v.name), weight: p * (v.kind === '社区' ? 3 : t.code === ctx.seatTownship.code ? 2 : 1) });
    }
  }
  const weights = settlements.map((s) => s.weight);
  const seatUnit = ctx.seatTownship.code;
  let n = 0;
  const next = () => code.private(banner.code, ++n);
  const result: Draft[] = [];
  const usedNames = new Set<string>();
  const hospitalWord = () => {
    for (let i = 0; i < 50; i++) {
      const w = rng.pick(HOSPITAL_WORDS);
      if (!usedNames.has(w)) {
        usedNames.add(w);
        return w;
      }
    }
    return `${rng.pick(HOSPITAL_WORDS)}${rng.int(2, 9)}`;
  };

  let hospitals: number;
  let tcmHospitals: number;
  let nursing: number;
  let tcmClinics: number;
  if (aohan) {
    // 001:36: 6 TCM/MM hospitals (one public, so 5 private) and 31 TCM/MM clinics;
    // 001:38: one integrated medical-and-elderly-care institution, 旗仁康养老康复护理院.
    tcmHospitals = 5;
    hospitals = 4;
    nursing = 1;
    tcmClinics = 31;
  } else {
    hospitals = Math.min(Math.round(count * 0.06), Math.round((banner.population / 70_000) * rng.logNormal(0.3)));
    tcmHospitals = Math.round(hospitals * 0.2);
    hospitals -= tcmHospitals;
    nursing = Math.min(Math.round(count * 0.02), Math.round((banner.population / 300_000) * rng.logNormal(0.4)));
    tcmClinics = Math.round(count * rng.range(0.05, 0.1));
  }
  // A second, privately run clinic in larger villages (a village doctor's own
  // 卫生室): most of the rural institutions beyond one clinic per village.
  const largeVillages = banner.units.townships.flatMap((t) =>
    t.villages.filter((v) => (v.kind === '村' || v.kind === '嘎查') && withClinic.has(v.code) && ctx.population.get(v.code)!.population >= 1000),
  );
  const ruralShare = 1 - banner.urbanPopulation / banner.population;
  const extraVillageClinics = Math.min(largeVillages.length, Math.round((count - hospitals - tcmHospitals - nursing - tcmClinics) * (aohan ? 0.42 : 0.45 * ruralShare)));
  const clinics = count - hospitals - tcmHospitals - nursing - tcmClinics - extraVillageClinics;
  if (clinics < 0) throw new Error(`banner ${banner.code}: ${count} private institutions cannot hold the fixed ones`);

  for (let i = 0; i < hospitals; i++) {
    const specialist = rng.chance(0.35);
    const beds = specialist ? rng.range(20, 80) : rng.range(25, 120);
    const deliveries = !specialist && rng.chance(0.15);
    result.push(
      draft({ code: next(), name: specialist ? `${short}${hospitalWord()}${rng.pick(SPECIALTIES)}` : `${short}${hospitalWord()}医院`, type: specialist ? 'specialist_hospital' : 'general_hospital',
        ownership: 'private', grade: rng.chance(0.15) ? '2' : rng.chance(0.5) ? '1' : 'ungraded', bannerCode: banner.code, place: { anchor: 'unit', unit: seatUnit, jitterM: [500, 5000] },
        weights: { beds, doctors: beds * 0.35, nurses: beds * 0.4, gps: rng.chance(0.1) ? 1 : 0, publicHealth: 0 }, shares: { ...SHARES, assistant: 0.2, tcmDoctors: 0.05, paediatricBeds: 0.05 },
        departments: departments(rng, { emergency: 0.3, obstetrics: deliveries ? 1 : 0.05, paediatrics: 0.2, rehabilitation: 0.3, geriatrics: 0.1, tcm_department: 0.2, fever_clinic: 0.2 }),
        provides_deliveries: deliveries, source: ctx.source }),
    );
  }
  for (let i = 0; i < tcmHospitals; i++) {
    const beds = rng.range(15, 60);
    result.push(
      draft({ code: next(), name: `${short}${hospitalWord()}${banner.pastoral || rng.chance(0.3) ? '蒙医医院' : '中医医院'}`, type: 'tcm_hospital', ownership: 'private', grade: rng.chance(0.3) ? '1' : 'ungraded',
        bannerCode: banner.code, place: { anchor: 'unit', unit: seatUnit, jitterM: [500, 5000] },
        weights: { beds, doctors: beds * 0.4, nurses: beds * 0.3, gps: 0, publicHealth: 0 }, shares: { ...SHARES, assistant: 0.2, tcmDoctors: 0.8, tcmGps: 0 },
        departments: departments(rng, { tcm_department: 1, rehabilitation: 0.6, preventive_care: 0.3, geriatrics: 0.2 }), source: ctx.source }),
    );
  }
  for (let i = 0; i < nursing; i++) {
    const beds = rng.range(40, 150);
    const name = aohan && i === 0 ? '敖汉旗仁康养老康复护理院' : `${short}${hospitalWord()}${rng.pick(['护理院', '康复医院', '医养结合中心'])}`;
    result.push(
      draft({ code: next(), name, type: 'nursing_rehab', ownership: 'private', grade: null, bannerCode: banner.code, place: { anchor: 'unit', unit: seatUnit, jitterM: [800, 6000] },
        weights: { beds, doctors: beds * 0.05, nurses: beds * 0.15, gps: 0, publicHealth: 0 }, shares: { ...SHARES, assistant: 0.3, tcmDoctors: 0.1 },
        departments: ['rehabilitation', 'geriatrics'], source: aohan && i === 0 ? `${ctx.source}; name: 001:38 「旗仁康养老康复护理院」` : ctx.source }),
    );
  }
  rng.shuffle(largeVillages);
  for (const village of largeVillages.slice(0, extraVillageClinics).sort((a, b) => (a.code < b.code ? -1 : 1))) {
    const villageDoctors = rng.weightedIndex([0, 0.7, 0.3]);
    const assistant = rng.chance(0.1) ? 1 : 0;
    const tcm = rng.chance(0.75);
    result.push(
      draft({ code: code.village(village.code, 'VC2'), name: `${nameStem(village.name)}${village.kind === '嘎查' ? '嘎查' : '村'}${rng.pick([...SURNAMES])}氏卫生室`, type: 'village_clinic',
        ownership: 'private', run_by_level: 'village', bannerCode: banner.code, place: { anchor: 'unit', unit: village.code, jitterM: [100, 900] },
        weights: { beds: 0, doctors: assistant, nurses: 0, gps: 0, publicHealth: 0 }, shares: { ...SHARES, assistant: 1, tcmDoctors: 0.3, tcmGps: 0 },
        staff_village_doctors: villageDoctors, staff_tcm_capable: tcm ? 1 : 0, departments: tcm ? ['tcm_service'] : [],
        tcm_technique_categories: tcm ? rng.int(2, 6) : 0, tcm_techniques: tcm ? rng.int(3, 9) : 0, villages_served: [village.code], source: ctx.source }),
    );
  }
  const clinicAt = () => settlements[rng.weightedIndex(weights)]!;
  for (let i = 0; i < tcmClinics; i++) {
    const at = clinicAt();
    const mongolian = banner.pastoral ? rng.chance(0.6) : rng.chance(0.2);
    result.push(
      draft({ code: next(), name: `${at.stem}${rng.pick([...SURNAMES])}氏${mongolian ? '蒙医' : '中医'}诊所`, type: 'outpatient_clinic', ownership: 'private', bannerCode: banner.code,
        place: { anchor: 'unit', unit: at.unit, jitterM: [30, 600] },
        weights: { beds: 0, doctors: rng.weightedIndex([0, 0.6, 0.3, 0.1]), nurses: rng.chance(0.25) ? 1 : 0, gps: 0, publicHealth: 0 }, shares: { ...SHARES, assistant: 0.3, tcmDoctors: 1, tcmGps: 0 },
        departments: ['tcm_department', 'tcm_service'], tcm_technique_categories: rng.int(2, 6), tcm_techniques: rng.int(3, 12), source: ctx.source }),
    );
  }
  for (let i = 0; i < clinics; i++) {
    const at = clinicAt();
    const kind = rng.weightedIndex([0.72, 0.1, 0.18]);
    const name = kind === 0 ? `${at.stem}${rng.pick([...SURNAMES])}氏诊所` : kind === 1 ? `${short}${hospitalWord()}门诊部` : `${at.stem}${rng.pick([...SURNAMES])}氏口腔诊所`;
    const doctors = kind === 1 ? rng.int(3, 8) : rng.weightedIndex([0, 0.65, 0.25, 0.1]);
    result.push(
      draft({ code: next(), name, type: 'outpatient_clinic', ownership: 'private', bannerCode: banner.code, place: { anchor: 'unit', unit: at.unit, jitterM: [30, 600] },
        weights: { beds: 0, doctors, nurses: kind === 1 ? rng.int(2, 6) : rng.weightedIndex([0.6, 0.3, 0.1]), gps: rng.chance(0.05) ? 1 : 0, publicHealth: 0 },
        shares: { ...SHARES, assistant: 0.3, tcmDoctors: kind === 0 ? 0.1 : 0, tcmGps: 0 }, source: ctx.source }),
    );
  }
  return result;
}

// ── the whole plan ──────────────────────────────────────────────────────────

/**
 * Every facility of the region with calibrated beds and staff. The whole region
 * is always planned (it is cheap: no geometry), so calibration is exact and a
 * one-banner seed writes the same rows as the whole-region seed.
 */
export function planFacilities(model: RegionModel, populations: Map<string, Map<string, UnitPopulation>>, seed: number): FacilityPlan {
  const source = `synthetic: ${GENERATOR} (seed ${seed}), calibrated to 2020 baselines 000:77-85, 001:34-38`;
  const mobileService = new Set<string>();
  const byBanner = new Map<string, Draft[]>();
  const add = (list: Draft[]) => {
    for (const f of list) {
      const mine = byBanner.get(f.bannerCode);
      if (mine) mine.push(f);
      else byBanner.set(f.bannerCode, [f]);
    }
  };
  const contexts = new Map<string, BannerContext>();
  for (const banner of model.banners.values()) {
    const ctx: BannerContext = { banner, population: populations.get(banner.code)!, seed, source, seatTownship: seatTownship(banner.units) };
    contexts.set(banner.code, ctx);
  }
  add(regionInstitutions(model, seed, source));
  add(leagueInstitutions(model, seed, source));
  for (const ctx of contexts.values()) {
    add(bannerInstitutions(ctx));
    add(townshipInstitutions(ctx));
    add(villageInstitutions(ctx, mobileService));
  }

  // Private institutions make up the published institution counts.
  const regionTarget = impliedTotal(baseline('region', 'institutions'), model.population);
  const aohanTarget = impliedTotal(baseline('aohan', 'institutions'), model.banners.get(AOHAN)!.population);
  const structural = (code: string) => byBanner.get(code)?.length ?? 0;
  const withClinic = new Set<string>();
  for (const f of [...byBanner.values()].flat()) if (f.type === 'village_clinic') for (const v of f.villages_served) withClinic.add(v);
  const others = [...model.banners.values()].filter((b) => b.code !== AOHAN);
  const otherStructural = sum(others.map((b) => structural(b.code)));
  const privateTotal = regionTarget - aohanTarget - otherStructural;
  const privateWeights = others.map((b) => b.population * (0.35 + b.urbanPopulation / b.population) * rngFor(seed, 'private-count', b.code).logNormal(0.2));
  const privateCounts = apportion(privateTotal, privateWeights);
  others.forEach((b, i) => add(privateInstitutions(contexts.get(b.code)!, privateCounts[i]!, withClinic)));
  add(privateInstitutions(contexts.get(AOHAN)!, aohanTarget - structural(AOHAN), withClinic));

  const drafts = [...byBanner.values()].flat();
  const facilities = calibrate(drafts, model);
  return { facilities, mobileService };
}

/**
 * Beds, licensed (assistant) doctors, nurses, GPs and public-health staff: the
 * published totals apportioned over the raw weights (largest remainder, so the
 * totals are exact). Aohan is calibrated to its own figures (001:34), the rest
 * of the region to the region's (000:77-85) minus Aohan's.
 */
function calibrate(drafts: Draft[], model: RegionModel): PlannedFacility[] {
  const aohanPopulation = model.banners.get(AOHAN)!.population;
  const inAohan = drafts.map((f) => f.bannerCode === AOHAN);
  // Small institutions keep the whole numbers drawn for them (a clinic with one
  // doctor stays a clinic with one doctor); the rest of each total is apportioned
  // over the larger ones in proportion to their weights.
  const fixed = drafts.map((f) => FIXED_STAFFING.has(f.type));
  const split = (total: number, members: number[], weight: (f: Draft) => number, caps?: number[]) => {
    const result = new Map<number, number>();
    let left = total;
    const scaled: number[] = [];
    for (const i of members) {
      if (fixed[i]) {
        result.set(i, Math.round(weight(drafts[i]!)));
        left -= result.get(i)!;
      } else scaled.push(i);
    }
    if (left < 0) throw new Error(`calibration: small institutions alone exceed the published total ${total}`);
    const parts = apportion(left, scaled.map((i) => weight(drafts[i]!)), caps ? { caps: scaled.map((i) => caps[i]!) } : {});
    scaled.forEach((i, k) => result.set(i, parts[k]!));
    return result;
  };
  const byGroups = (measure: 'beds' | 'doctors' | 'nurses' | 'gps', weight: (f: Draft) => number, caps?: number[]) => {
    const regionTotal = impliedTotal(baseline('region', measure), model.population);
    const aohanTotal = impliedTotal(baseline('aohan', measure), aohanPopulation);
    const result = new Array<number>(drafts.length).fill(0);
    for (const [group, total] of [[true, aohanTotal], [false, regionTotal - aohanTotal]] as const) {
      const members = drafts.map((_, i) => i).filter((i) => inAohan[i] === group);
      for (const [i, v] of split(total, members, weight, caps)) result[i] = v;
    }
    return result;
  };
  const beds = byGroups('beds', (f) => f.weights.beds);
  const doctors = byGroups('doctors', (f) => f.weights.doctors);
  const nurses = byGroups('nurses', (f) => f.weights.nurses);
  // A GP is a licensed (assistant) doctor: never more GPs than doctors.
  const gps = byGroups('gps', (f) => f.weights.gps, doctors);
  const publicHealthParts = split(
    impliedTotal(baseline('region', 'publicHealth'), model.population),
    drafts.map((_, i) => i),
    (f) => f.weights.publicHealth,
  );
  const publicHealth = drafts.map((_, i) => publicHealthParts.get(i)!);

  return drafts.map((f, i) => {
    const d = doctors[i]!;
    const assistants = Math.min(d, Math.round(d * f.shares.assistant));
    const tcmDoctors = Math.min(d, Math.round(d * f.shares.tcmDoctors));
    const g = gps[i]!;
    return {
      ...f,
      beds: beds[i]!,
      beds_paediatric: Math.round(beds[i]! * f.shares.paediatricBeds),
      staff_doctors: d - assistants,
      staff_assistant_doctors: assistants,
      staff_nurses: nurses[i]!,
      staff_gps: g,
      staff_tcm_doctors: tcmDoctors,
      staff_tcm_gps: Math.min(g, tcmDoctors, Math.round(g * f.shares.tcmGps)),
      staff_public_health: publicHealth[i]!,
      // Township and community centres: their TCM-category doctors provide TCM; stations and village clinics were drawn.
      staff_tcm_capable: f.type === 'township_health_centre' || f.type === 'community_health_centre' ? tcmDoctors : f.staff_tcm_capable,
    };
  });
}
