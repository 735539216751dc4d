/**
 * The region as the generators see it: every banner with its real census
 * figures, seat, league and townships/villages, and which banner holds each
 * league's seat (where the league-level hospitals stand) and the region's.
 * Built from the shipped files only; nothing here is random.
 */
import { readDataCsv } from './data/load.ts';
import { bannerShapes, owningBanner, seats, type Shape } from './geometry.ts';
import { countyCensus } from './population.ts';
import { REGION_CODE, censusRows, statisticalAreaHosts } from './topLevels.ts';
import { loadBannerUnits, type BannerUnits } from './townships.ts';

export interface BannerProfile {
  code: string;
  name: string;
  /** 旗, 县, 区 or 市 (from the name). */
  kind: string;
  leagueCode: string;
  leagueName: string;
  /** Census 2020 resident population, statistical areas included (= admin_unit.population). */
  population: number;
  urbanPopulation: number;
  units: BannerUnits;
  shape: Shape;
  seat: [number, number];
  /** Most of its administrative villages are 嘎查 (pastoral gacha rather than farming 村). */
  pastoral: boolean;
  /** League whose seat stands in this banner (league-level institutions are placed here). */
  leagueSeatOf: string | null;
  /** The region's seat stands here (region-level institutions are placed here). */
  regionSeat: boolean;
}

export interface LeagueProfile {
  code: string;
  name: string;
  population: number;
  seat: [number, number];
  seatBanner: string;
}

export interface RegionModel {
  population: number;
  banners: Map<string, BannerProfile>;
  leagues: Map<string, LeagueProfile>;
  regionSeat: [number, number];
  regionSeatBanner: string;
}

let model: RegionModel | null = null;

export function regionModel(): RegionModel {
  if (model) return model;
  const divisions = readDataCsv('im_admin_divisions_nbs2023.csv');
  const leagueCensus = censusRows('im_census2020_league.csv');
  const census = countyCensus();
  const hosts = statisticalAreaHosts();
  const seatPoints = seats();
  const shapes = bannerShapes();
  const units = loadBannerUnits();

  const leagues = new Map<string, LeagueProfile>();
  for (const d of divisions.filter((r) => r.level === 'city')) {
    const seat = seatPoints.get(d.code!);
    if (!seat) throw new Error(`league ${d.code} has no seat`);
    const seatBanner = owningBanner(seat[0], seat[1]);
    if (!seatBanner) throw new Error(`the seat of league ${d.code} lies in no banner polygon`);
    leagues.set(d.code!, { code: d.code!, name: d.name!, population: leagueCensus.get(d.code!)!.total, seat, seatBanner });
  }
  const regionSeat = seatPoints.get('150100')!;
  const regionSeatBanner = leagues.get('150100')!.seatBanner;

  const banners = new Map<string, BannerProfile>();
  for (const d of divisions.filter((r) => r.level === 'county' && r.is_formal_admin_unit === '1')) {
    const code = d.code!;
    const own = census.get(code)!;
    const attached = [...hosts.entries()].filter(([, h]) => h.host === code).map(([c]) => census.get(c)!);
    const bannerUnits = units.get(code);
    const shape = shapes.get(code);
    const seat = seatPoints.get(code);
    if (!bannerUnits || !shape || !seat) throw new Error(`banner ${code} lacks units, boundary or seat`);
    let gacha = 0;
    let village = 0;
    for (const t of bannerUnits.townships) {
      for (const v of t.villages) {
        if (v.kind === '嘎查') gacha += 1;
        if (v.kind === '村') village += 1;
      }
    }
    const league = leagues.get(d.parent_code!)!;
    banners.set(code, {
      code,
      name: d.name!,
      kind: /[旗县区市]$/.exec(d.name!)?.[0] ?? '其他',
      leagueCode: league.code,
      leagueName: league.name,
      population: own.total + attached.reduce((s, r) => s + r.total, 0),
      urbanPopulation: own.urban + attached.reduce((s, r) => s + r.urban, 0),
      units: bannerUnits,
      shape,
      seat,
      pastoral: gacha > village,
      leagueSeatOf: [...leagues.values()].find((l) => l.seatBanner === code)?.code ?? null,
      regionSeat: code === regionSeatBanner,
    });
  }
  const population = leagueCensus.get(REGION_CODE)!.total;
  model = { population, banners: new Map([...banners.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))), leagues, regionSeat, regionSeatBanner };
  return model;
}

/** Aohan Banner, the one banner whose 2020 figures the plans publish (001:34-38). */
export const AOHAN = '150430';
