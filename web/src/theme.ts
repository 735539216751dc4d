/** One theme object: every colour, size and font the map draws with comes from here. */

export const STATUS_CLASSES = ['must', 'target', 'should', 'other', 'unknown', 'pass', 'none'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** Facility types grouped into the symbols the map draws (the list: hospital, TCM, MCH, CDC, township, community, village; plus other). */
export const FACILITY_GROUPS = ['hospital', 'tcm', 'mch', 'cdc', 'township', 'community', 'village', 'other'] as const;
export type FacilityGroup = (typeof FACILITY_GROUPS)[number];

export const FACILITY_GROUP_OF: Record<string, FacilityGroup> = {
  general_hospital: 'hospital',
  integrated_hospital: 'hospital',
  psychiatric_hospital: 'hospital',
  infectious_hospital: 'hospital',
  specialist_hospital: 'hospital',
  tcm_hospital: 'tcm',
  mch_hospital: 'mch',
  cdc: 'cdc',
  health_supervision: 'cdc',
  township_health_centre: 'township',
  community_health_centre: 'community',
  community_health_station: 'community',
  village_clinic: 'village',
  outpatient_clinic: 'other',
  emergency_station: 'other',
  nursing_rehab: 'other',
};

export type Shape = 'square' | 'diamond' | 'circle' | 'triangle' | 'hexagon' | 'pentagon' | 'dot';

export interface Ramp {
  /** Upper bounds of all classes but the last. */
  breaks: number[];
  /** One more colour than breaks. */
  colors: string[];
}

export interface Theme {
  background: string;
  font: string[];
  text: string;
  textHalo: string;
  leagueOutline: string;
  bannerOutline: string;
  selectedOutline: string;
  unitFillOpacity: number;
  status: Record<StatusClass, string>;
  /** 'must' failures shaded by how many of the unit's own must rules fail (1, 2, ≥ 3). */
  mustByCount: Ramp;
  density: Ramp;
  population: Ramp;
  /** Relative to a target (value ÷ target), where higher is better. */
  towardsTarget: Ramp;
  /** Share 0–1 without a target, or any indicator by quantiles. */
  sequential: string[];
  noValue: string;
  facility: Record<FacilityGroup, { color: string; shape: Shape; size: number }>;
  closed: string;
  gap: string;
  mobile: string;
  reach: string;
  scenarioAdded: string;
  scenarioRemoved: string;
  scenarioMoved: string;
}

export const theme: Theme = {
  background: '#eef1f4',
  // Drawn locally by MapLibre (no glyph server): the first installed family wins.
  font: ['Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'sans-serif'],
  text: '#1f2933',
  textHalo: '#ffffff',
  leagueOutline: '#37474f',
  bannerOutline: '#ffffff',
  selectedOutline: '#d81b60',
  unitFillOpacity: 0.62,
  status: {
    must: '#b2182b',
    target: '#f39c4a',
    should: '#f7d35c',
    other: '#e6e2b0',
    unknown: '#a0a7ad',
    pass: '#74b57a',
    none: '#f4f6f8',
  },
  mustByCount: { breaks: [2, 3], colors: ['#e05a5a', '#b2182b', '#67001f'] },
  density: {
    breaks: [5, 20, 50, 100, 300],
    colors: ['#edf8fb', '#bfd3e6', '#9ebcda', '#8c96c6', '#8856a7', '#810f7c'],
  },
  population: {
    breaks: [100_000, 200_000, 300_000, 500_000, 1_000_000],
    colors: ['#fff5eb', '#fdd0a2', '#fdae6b', '#f16913', '#d94801', '#8c2d04'],
  },
  towardsTarget: {
    breaks: [0.5, 0.75, 1],
    colors: ['#b2182b', '#ef8a62', '#f6c65b', '#6aa56e'],
  },
  sequential: ['#eff3ff', '#bdd7e7', '#6baed6', '#3182bd', '#08519c'],
  noValue: '#f4f6f8',
  facility: {
    hospital: { color: '#1565c0', shape: 'square', size: 18 },
    tcm: { color: '#2e7d32', shape: 'diamond', size: 18 },
    mch: { color: '#c2185b', shape: 'pentagon', size: 17 },
    cdc: { color: '#6a1b9a', shape: 'triangle', size: 17 },
    township: { color: '#00838f', shape: 'circle', size: 15 },
    community: { color: '#0288d1', shape: 'hexagon', size: 14 },
    village: { color: '#6d4c41', shape: 'dot', size: 9 },
    other: { color: '#607d8b', shape: 'dot', size: 9 },
  },
  closed: '#757575',
  gap: '#e53935',
  mobile: '#8e24aa',
  reach: '#1e88e5',
  scenarioAdded: '#1b8a3a',
  scenarioRemoved: '#424242',
  scenarioMoved: '#6d4c41',
};
