/**
 * Township and village populations: each banner's 2020 census total, split
 * urban/rural as the census says, apportioned exactly (largest remainder) over
 * its villages, so that villages sum to their township and townships to their
 * banner without a single person lost or added.
 *
 * - Urban residents (census 城镇人口) go to the 社区 (residents' committees) —
 *   those of streets and of the seat town first — and, a little, to the villages
 *   of the seat town and of other towns (their built-up parts count as urban in
 *   the census).
 * - Rural residents go to the 村, 嘎查 and other village-level units with a
 *   right-skewed (log-normal) size distribution: a 嘎查 is typically smaller
 *   than a farming 村, townships differ in size, and so a real share of
 *   administrative villages ends up under 500 residents (the joint-clinic rule,
 *   002:25).
 * - A statistical-only area (开发区, 管委会) keeps its own census total for its
 *   own townships inside the host banner.
 * - Age groups (0–14, 65+) are the census shares, apportioned by population.
 *
 * Nothing is fitted to village-level data (none is public): the sizes are
 * synthetic and flagged so; the banner totals are real.
 */
import { apportion } from './apportion.ts';
import { rngFor } from './random.ts';
import { censusRows, type CensusRow } from './topLevels.ts';
import { seatTownship, type BannerUnits, type TownshipRecord, type VillageRecord } from './townships.ts';

export interface UnitPopulation {
  population: number;
  urban: number;
  age0to14: number;
  age65plus: number;
}

/** Log-normal sigma and median weight of rural village sizes, by village kind. */
const RURAL_SIZE = {
  村: { median: 1, sigma: 0.65 },
  嘎查: { median: 0.5, sigma: 0.6 },
  其他: { median: 0.45, sigma: 0.9 },
} as const;
/** Relative weight of a "虚拟" (registration-only) unit. */
const VIRTUAL_WEIGHT = 0.04;
/** Smallest population of a village-level unit that is not virtual (when the total allows). */
const MIN_VILLAGE_POPULATION = 20;

let census: Map<string, CensusRow> | null = null;
export function countyCensus(): Map<string, CensusRow> {
  return (census ??= censusRows('im_census2020_county.csv'));
}

/**
 * Populations of every township and village of one banner, keyed by code. Pure
 * function of (banner, seed): the same seed gives the same numbers.
 */
export function planPopulation(banner: BannerUnits, seed: number): Map<string, UnitPopulation> {
  const result = new Map<string, UnitPopulation>();
  const seat = seatTownship(banner);
  const areas = new Map<string, TownshipRecord[]>();
  for (const t of banner.townships) areas.set(t.censusAreaCode, [...(areas.get(t.censusAreaCode) ?? []), t]);

  for (const [areaCode, townships] of areas) {
    const area = countyCensus().get(areaCode);
    if (!area) throw new Error(`no census row for county-level area ${areaCode}`);
    const rng = rngFor(seed, 'population', areaCode);
    const villages: VillageRecord[] = [];
    const urbanWeights: number[] = [];
    const ruralWeights: number[] = [];
    for (const township of townships) {
      const townshipSize = rng.logNormal(0.3);
      const isSeat = township.code === seat.code;
      for (const village of township.villages) {
        const virtual = village.virtual ? VIRTUAL_WEIGHT : 1;
        villages.push(village);
        if (village.kind === '社区') {
          const central = township.kind === '街道' || isSeat ? 1 : 0.4;
          urbanWeights.push(townshipSize * central * rng.logNormal(0.5) * virtual);
          ruralWeights.push(0);
        } else {
          const size = RURAL_SIZE[village.kind];
          const rural = townshipSize * size.median * rng.logNormal(size.sigma) * virtual;
          ruralWeights.push(rural);
          urbanWeights.push(isSeat ? 0.3 * rural : township.kind === '镇' ? 0.04 * rural : 0);
        }
      }
    }
    if (villages.length === 0) throw new Error(`census area ${areaCode} has no villages`);
    const urbanTotal = area.urban;
    const ruralTotal = area.total - area.urban;
    // An area without communities still has census-urban residents (its town
    // centres), and a city district without villages may have census-rural ones.
    const uw = urbanWeights.some((w) => w > 0) ? urbanWeights : ruralWeights;
    const rw = ruralWeights.some((w) => w > 0) ? ruralWeights : urbanWeights;
    // Every real unit gets at least a handful of residents from its own pool.
    const minimumRural = villages.map((v, i) => (!v.virtual && ruralWeights[i]! > 0 ? MIN_VILLAGE_POPULATION : 0));
    const minimumUrban = villages.map((v) => (!v.virtual && v.kind === '社区' ? MIN_VILLAGE_POPULATION : 0));
    const urban = apportion(urbanTotal, uw, uw === urbanWeights && fits(minimumUrban, urbanTotal) ? { min: minimumUrban } : {});
    const rural = apportion(ruralTotal, rw, rw === ruralWeights && fits(minimumRural, ruralTotal) ? { min: minimumRural } : {});
    const population = villages.map((_, i) => urban[i]! + rural[i]!);
    const young = apportion(area.age0to14, population);
    const old = apportion(area.age65plus, population);
    villages.forEach((village, i) => {
      result.set(village.code, { population: population[i]!, urban: urban[i]!, age0to14: young[i]!, age65plus: old[i]! });
    });
    for (const township of townships) {
      const total: UnitPopulation = { population: 0, urban: 0, age0to14: 0, age65plus: 0 };
      for (const village of township.villages) {
        const p = result.get(village.code)!;
        total.population += p.population;
        total.urban += p.urban;
        total.age0to14 += p.age0to14;
        total.age65plus += p.age65plus;
      }
      result.set(township.code, total);
    }
  }
  return result;
}

function fits(minimum: number[], total: number): boolean {
  let s = 0;
  for (const m of minimum) s += m;
  return s <= total;
}
