/**
 * The synthetic population grid: 1 km cells of the IM-AEA-1km grid
 * (seeds/geometry.ts: Albers equal-area, so every cell is 1 km² on the ground),
 * one row per populated cell with its centre point, generated around the
 * settlements and summing exactly to every village (and so to every township
 * and banner).
 *
 * Each village spreads its residents over a footprint of cells around its point:
 * a community over one to four dense urban cells, a farming village over a few
 * cells within about a kilometre, a pastoral gacha over many sparse cells several
 * kilometres out (herders' winter and summer camps). A cell belongs to one
 * village only — the first that claims it, in code order, after every village
 * has claimed the cell it stands in — and to the banner whose territory holds its
 * centre; the village's population is apportioned over its cells by weight
 * (largest remainder), so the sums are exact. Cells that would get nobody are not
 * stored.
 */
import { apportion } from './apportion.ts';
import { cellCentre, cellKey, cellOf, GRID_CELL_M, toGrid } from './geometry.ts';
import type { BannerPoints } from './placement.ts';
import type { UnitPopulation } from './population.ts';
import { rngFor } from './random.ts';
import type { BannerProfile } from './region.ts';
import type { VillageRecord } from './townships.ts';

export interface PopulationCell {
  key: string;
  lon: number;
  lat: number;
  population: number;
  unit: string;
}

interface Footprint {
  /** Standard deviation of the spread around the village point, metres. */
  sigmaM: number;
  /** Number of distinct cells to aim for. */
  cells: number;
  /** Extra weight of the cell the village stands in. */
  centreWeight: number;
}

function footprint(v: VillageRecord, population: number, pastoral: boolean): Footprint {
  if (v.virtual || population <= 1) return { sigmaM: 0, cells: 1, centreWeight: 1 };
  if (v.kind === '社区') return { sigmaM: 450, cells: Math.min(4, 1 + Math.round(population / 5000)), centreWeight: 6 };
  if (v.kind === '嘎查' && pastoral) return { sigmaM: 3500, cells: Math.min(30, 2 + Math.round(population / 45)), centreWeight: 4 };
  if (v.kind === '嘎查') return { sigmaM: 1100, cells: Math.min(10, 1 + Math.round(population / 250)), centreWeight: 4 };
  return { sigmaM: 750, cells: Math.min(8, 1 + Math.round(population / 300)), centreWeight: 4 };
}

export function generateCells(banner: BannerProfile, points: BannerPoints, population: Map<string, UnitPopulation>, seed: number): PopulationCell[] {
  const rng = rngFor(seed, 'cells', banner.code);
  const claimed = new Map<string, string>();
  const villages = banner.units.townships.flatMap((t) => t.villages);
  const centreCell = new Map<string, { ix: number; iy: number }>();
  for (const v of villages) {
    const p = points.units.get(v.code)!;
    const [x, y] = toGrid(p);
    const c = cellOf(x, y);
    centreCell.set(v.code, c);
    claimed.set(cellKey(c.ix, c.iy), v.code);
  }
  const cells: PopulationCell[] = [];
  for (const v of villages) {
    const people = population.get(v.code)!.population;
    if (people === 0) continue;
    const fp = footprint(v, people, banner.pastoral);
    const centre = centreCell.get(v.code)!;
    const own = new Map<string, { ix: number; iy: number; weight: number }>();
    own.set(cellKey(centre.ix, centre.iy), { ...centre, weight: fp.centreWeight });
    if (fp.cells > 1) {
      const [x, y] = toGrid(points.units.get(v.code)!);
      for (let draw = 0; draw < fp.cells * 8 && own.size < fp.cells; draw++) {
        const c = cellOf(x + rng.normal() * fp.sigmaM, y + rng.normal() * fp.sigmaM);
        const key = cellKey(c.ix, c.iy);
        const mine = own.get(key);
        if (mine) {
          mine.weight += 1;
          continue;
        }
        if (claimed.has(key) || !points.territory.ownsCell(c.ix, c.iy)) continue;
        claimed.set(key, v.code);
        own.set(key, { ...c, weight: 1 + rng.next() });
      }
    }
    const list = [...own.entries()];
    const parts = apportion(people, list.map(([, c]) => c.weight));
    list.forEach(([key, c], i) => {
      if (parts[i] === 0) return;
      const [lon, lat] = cellCentre(c.ix, c.iy);
      cells.push({ key, lon, lat, population: parts[i]!, unit: v.code });
    });
  }
  return cells;
}

export const CELL_SIZE_M = GRID_CELL_M;
