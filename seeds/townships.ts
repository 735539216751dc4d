/**
 * The real township and village lists (NBS 2023 codes and names, 1,225 and
 * 14,592 units) arranged under their banners. Nothing here is generated: names,
 * codes and the kind derived from the name are real. The five statistical-only
 * areas (开发区, 管委会) have no polygon; their 19 townships are placed under the
 * banner whose polygon holds them (statisticalAreaHosts()), and remember which
 * census area they belong to so that the area's own census total stays theirs.
 */
import { readDataCsv } from './data/load.ts';
import { statisticalAreaHosts } from './topLevels.ts';

export type TownshipKind = '镇' | '乡' | '苏木' | '街道' | '其他';
export type VillageKind = '嘎查' | '村' | '社区' | '其他';

export interface VillageRecord {
  code: string;
  name: string;
  kind: VillageKind;
  urban: boolean;
  /** A "虚拟" unit kept by NBS for registration only (虚拟社区, 虚拟生活区): few residents. */
  virtual: boolean;
  townshipCode: string;
}

export interface TownshipRecord {
  code: string;
  name: string;
  kind: TownshipKind;
  urban: boolean;
  /** Host banner (for the statistical areas, the banner whose polygon holds them). */
  bannerCode: string;
  /** The county-level code the NBS list files it under (a statistical area or the banner itself). */
  censusAreaCode: string;
  villages: VillageRecord[];
}

export interface BannerUnits {
  code: string;
  townships: TownshipRecord[];
}

/** Township kind from the name suffix (镇/乡/苏木/街道; anything else — 区, 农场, 牧场, 开发区 … — is 其他). */
export function townshipKind(name: string): TownshipKind {
  if (name.endsWith('街道') || name.endsWith('街道办事处')) return '街道';
  if (name.endsWith('苏木')) return '苏木';
  if (name.endsWith('镇')) return '镇';
  if (name.endsWith('乡')) return '乡';
  return '其他';
}

/**
 * Village kind from the name suffix. 居委会 / 居民委员会 / 社区 are 社区 (urban);
 * a 嘎查 may be written 嘎查, 嘎查村, 嘎查委员会, 嘎查委会, 嘎查人民委员会, 嘎查村民委员会 or 嘎查村委员会;
 * 村委会 / 村民委员会 / 村 are 村; the rest (生活区, 生产队, 管理区 …) is 其他.
 */
export function villageKind(name: string): VillageKind {
  const n = name.replace(/\s+/g, '');
  if (/(居委会|居民委员会|居民委会|社区|社区委员会)$/.test(n)) return '社区';
  if (/嘎查(村|村民委员会|村委员会|人民委员会|委员会|委会|村委会)?$/.test(n) || n.endsWith('查委会')) return '嘎查';
  if (/(村民委员会|村民委会|村委会|村委|村)$/.test(n)) return '村';
  return '其他';
}

/** The part of a name before its administrative suffix, for facility names (长胜镇 → 长胜). */
export function nameStem(name: string): string {
  const suffixes = [
    '社区居民委员会', '居民委员会', '社区居委会', '居委会', '社区委员会', '嘎查村民委员会', '嘎查村委员会', '嘎查委员会',
    '嘎查委会', '嘎查', '村民委员会', '村民委会', '村委会', '村委', '街道办事处', '街道', '苏木', '社区', '村', '镇', '乡',
  ];
  for (const s of suffixes) {
    if (name.endsWith(s) && name.length > s.length + 1) return name.slice(0, -s.length);
  }
  return name;
}

let cache: Map<string, BannerUnits> | null = null;

/** Every banner's townships and villages, in code order. */
export function loadBannerUnits(): Map<string, BannerUnits> {
  if (cache) return cache;
  const hosts = statisticalAreaHosts();
  const townships = new Map<string, TownshipRecord>();
  const banners = new Map<string, BannerUnits>();
  for (const row of readDataCsv('im_townships_nbs2023.csv')) {
    const county = row.county_code!;
    const bannerCode = hosts.get(county)?.host ?? county;
    const kind = townshipKind(row.name!);
    const township: TownshipRecord = {
      code: row.code!,
      name: row.name!,
      kind,
      urban: kind === '街道',
      bannerCode,
      censusAreaCode: county,
      villages: [],
    };
    townships.set(township.code, township);
    let banner = banners.get(bannerCode);
    if (!banner) banners.set(bannerCode, (banner = { code: bannerCode, townships: [] }));
    banner.townships.push(township);
  }
  for (const row of readDataCsv('im_villages_nbs2023.csv.gz')) {
    const township = townships.get(row.township_code!);
    if (!township) throw new Error(`village ${row.code} names township ${row.township_code}, which is not in the township list`);
    const kind = villageKind(row.name!);
    township.villages.push({
      code: row.code!,
      name: row.name!,
      kind,
      urban: kind === '社区',
      virtual: row.name!.includes('虚拟'),
      townshipCode: township.code,
    });
  }
  for (const banner of banners.values()) {
    banner.townships.sort((a, b) => (a.code < b.code ? -1 : 1));
    for (const t of banner.townships) t.villages.sort((a, b) => (a.code < b.code ? -1 : 1));
  }
  cache = new Map([...banners.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  return cache;
}

/**
 * The township at the banner's seat: the lowest-coded 镇 (the seat town of a
 * banner or county, e.g. 新惠镇 150430100 for Aohan), or, in a city district
 * without towns, its lowest-coded street.
 */
export function seatTownship(banner: BannerUnits): TownshipRecord {
  const own = banner.townships.filter((t) => t.censusAreaCode === banner.code);
  const pool = own.length > 0 ? own : banner.townships;
  return pool.find((t) => t.kind === '镇') ?? pool.find((t) => t.kind === '街道') ?? pool[0]!;
}
