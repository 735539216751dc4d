/**
 * The seed's generators as pure functions (no database): randomness,
 * apportionment, unit kinds, populations and the facility plan of the whole
 * region, the grid geometry.
 */
import { describe, expect, it } from 'vitest';
import * as turf from '@turf/turf';
import { apportion, sum } from '../seeds/apportion.ts';
import { Random, rngFor, hashString } from '../seeds/random.ts';
import { loadBannerUnits, nameStem, seatTownship, townshipKind, villageKind } from '../seeds/townships.ts';
import { planPopulation, type UnitPopulation } from '../seeds/population.ts';
import { planFacilities, type FacilityPlan } from '../seeds/facilities.ts';
import { AOHAN, regionModel } from '../seeds/region.ts';
import { baseline, BASELINES, impliedTotal, CALIBRATION_TOLERANCE } from '../seeds/calibration.ts';
import { Shape, cellCentre, cellKey, cellOf, fromGrid, toGrid, bannerShapes, seats } from '../seeds/geometry.ts';
import { DEFAULT_SEED } from '../seeds/random.ts';
import { censusRows } from '../seeds/topLevels.ts';

describe('seed randomness', () => {
  it('repeats exactly for the same seed and key, and differs between keys', () => {
    const draw = (r: Random) => Array.from({ length: 5 }, () => r.next());
    expect(draw(rngFor(1, 'a', '150430'))).toEqual(draw(rngFor(1, 'a', '150430')));
    expect(draw(rngFor(1, 'a', '150430'))).not.toEqual(draw(rngFor(1, 'a', '150402')));
    expect(draw(rngFor(1, 'a', '150430'))).not.toEqual(draw(rngFor(2, 'a', '150430')));
    expect(hashString('150430')).toBe(hashString('150430'));
  });

  it('draws uniform numbers in [0, 1) and normals with mean 0 and sd 1', () => {
    const r = new Random(42);
    const u = Array.from({ length: 20_000 }, () => r.next());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(sum(u) / u.length).toBeCloseTo(0.5, 1);
    const n = Array.from({ length: 20_000 }, () => r.normal());
    const mean = sum(n) / n.length;
    const sd = Math.sqrt(sum(n.map((x) => (x - mean) ** 2)) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});

describe('largest-remainder apportionment', () => {
  it('splits a total exactly and proportionally', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(100, [0.5, 0.25, 0.25])).toEqual([50, 25, 25]);
    expect(apportion(7, [0, 3, 0, 4])).toEqual([0, 3, 0, 4]);
    const weights = Array.from({ length: 500 }, (_, i) => (i % 7) + 0.3);
    const parts = apportion(24_049_155, weights);
    expect(sum(parts)).toBe(24_049_155);
    parts.forEach((p, i) => expect(Math.abs(p - (24_049_155 * weights[i]!) / sum(weights))).toBeLessThan(1));
  });

  it('respects caps and minimums', () => {
    const parts = apportion(10, [10, 1, 1], { caps: [2, 100, 100] });
    expect(parts[0]).toBe(2);
    expect(sum(parts)).toBe(10);
    expect(apportion(10, [1, 0, 0], { min: 2 })).toEqual([6, 2, 2]);
    expect(() => apportion(10, [1, 1], { caps: [2, 3] })).toThrow(/no part can take/);
    expect(() => apportion(3, [1, 1], { min: 2 })).toThrow(/minimums/);
    expect(() => apportion(5, [0, 0])).toThrow();
    expect(apportion(0, [0, 0])).toEqual([0, 0]);
  });
});

describe('real townships and villages', () => {
  it('reads kinds from the name suffix', () => {
    expect(['新惠镇', '丰收乡', '敖润苏莫苏木', '敖汉旗惠州街道', '敖汉旗工业园区', '巴彦淖尔农场'].map(townshipKind)).toEqual(['镇', '乡', '苏木', '街道', '其他', '其他']);
    expect(
      ['扎赛营子村委会', '长胜村民委员会', '巴音哈拉嘎查村', '伊力特嘎查人民委员会', '查干嘎查委员会', '宝日呼岱嘎查', '北城新区社区居委会', '佳和社区居民委会', '新华社区', '一农场生活区'].map(villageKind),
    ).toEqual(['村', '村', '嘎查', '嘎查', '嘎查', '嘎查', '社区', '社区', '社区', '其他']);
    expect(nameStem('长胜镇')).toBe('长胜');
    expect(nameStem('扎赛营子村委会')).toBe('扎赛营子');
  });

  it('puts all 1,225 townships and 14,592 villages under the 103 banners', () => {
    const banners = loadBannerUnits();
    expect(banners.size).toBe(103);
    const townships = [...banners.values()].flatMap((b) => b.townships);
    expect(townships).toHaveLength(1225);
    expect(townships.flatMap((t) => t.villages)).toHaveLength(14_592);
    // The 19 townships of the five statistical-only areas live under their host banners.
    const statistical = townships.filter((t) => t.censusAreaCode !== t.bannerCode);
    expect(statistical).toHaveLength(19);
    expect(new Set(statistical.map((t) => t.censusAreaCode))).toEqual(new Set(['150172', '150271', '150571', '152571', '152971']));
    expect(statistical.filter((t) => t.censusAreaCode === '150172').every((t) => t.bannerCode === '150105')).toBe(true);
    expect(seatTownship(banners.get('150430')!).code).toBe('150430100');
  });
});

describe('populations', () => {
  const model = regionModel();
  const populations = new Map<string, Map<string, UnitPopulation>>();
  for (const b of model.banners.values()) populations.set(b.code, planPopulation(b.units, DEFAULT_SEED));

  it('sum exactly to every banner’s census total and urban part, 24,049,155 in all', () => {
    let region = 0;
    for (const banner of model.banners.values()) {
      const p = populations.get(banner.code)!;
      const townships = banner.units.townships.map((t) => p.get(t.code)!);
      expect(sum(townships.map((t) => t.population)), banner.code).toBe(banner.population);
      expect(sum(townships.map((t) => t.urban)), banner.code).toBe(banner.urbanPopulation);
      for (const t of banner.units.townships) {
        const villages = t.villages.map((v) => p.get(v.code)!);
        expect(sum(villages.map((v) => v.population))).toBe(p.get(t.code)!.population);
        expect(villages.every((v) => v.urban <= v.population && v.age0to14 + v.age65plus <= v.population)).toBe(true);
      }
      region += banner.population;
    }
    expect(region).toBe(24_049_155);
  });

  it('keeps a statistical area’s own census total for its townships', () => {
    const census = censusRows('im_census2020_county.csv');
    const sayhan = model.banners.get('150105')!;
    const p = populations.get('150105')!;
    const zone = sayhan.units.townships.filter((t) => t.censusAreaCode === '150172');
    expect(sum(zone.map((t) => p.get(t.code)!.population))).toBe(census.get('150172')!.total);
  });

  it('gives a skewed village-size distribution with a real share under 500', () => {
    const sizes: number[] = [];
    for (const banner of model.banners.values()) {
      const p = populations.get(banner.code)!;
      for (const t of banner.units.townships) for (const v of t.villages) if (v.kind === '村' || v.kind === '嘎查') sizes.push(p.get(v.code)!.population);
    }
    sizes.sort((a, b) => a - b);
    const under500 = sizes.filter((s) => s < 500).length / sizes.length;
    expect(under500).toBeGreaterThan(0.2);
    expect(under500).toBeLessThan(0.6);
    const mean = sum(sizes) / sizes.length;
    expect(sizes[Math.floor(sizes.length / 2)]!).toBeLessThan(mean); // right-skewed
  });

  it('is deterministic and depends on the seed', () => {
    const aohan = model.banners.get(AOHAN)!.units;
    expect([...planPopulation(aohan, DEFAULT_SEED)]).toEqual([...planPopulation(aohan, DEFAULT_SEED)]);
    expect([...planPopulation(aohan, 1)]).not.toEqual([...planPopulation(aohan, DEFAULT_SEED)]);
  });
});

describe('facility plan of the whole region', () => {
  const model = regionModel();
  const populations = new Map<string, Map<string, UnitPopulation>>();
  for (const b of model.banners.values()) populations.set(b.code, planPopulation(b.units, DEFAULT_SEED));
  const plan: FacilityPlan = planFacilities(model, populations, DEFAULT_SEED);
  const all = plan.facilities;
  const aohan = all.filter((f) => f.bannerCode === AOHAN);
  const total = (fs: typeof all, f: (x: (typeof all)[number]) => number) => sum(fs.map(f));

  it('matches every published baseline within 2 % (000:77-85, 000:374-378, 001:34-36)', () => {
    const measured = {
      region: { beds: total(all, (f) => f.beds), doctors: total(all, (f) => f.staff_doctors + f.staff_assistant_doctors), nurses: total(all, (f) => f.staff_nurses), gps: total(all, (f) => f.staff_gps), publicHealth: total(all, (f) => f.staff_public_health), institutions: all.length },
      aohan: {
        beds: total(aohan, (f) => f.beds), doctors: total(aohan, (f) => f.staff_doctors + f.staff_assistant_doctors), nurses: total(aohan, (f) => f.staff_nurses), gps: total(aohan, (f) => f.staff_gps),
        institutions: aohan.length, tcmHospitals: aohan.filter((f) => f.type === 'tcm_hospital').length,
        tcmClinics: aohan.filter((f) => f.type === 'outpatient_clinic' && f.departments.includes('tcm_department')).length,
      },
    } as Record<string, Record<string, number>>;
    for (const b of BASELINES) {
      const population = b.scope === 'region' ? model.population : model.banners.get(AOHAN)!.population;
      const want = impliedTotal(b, population);
      const got = measured[b.scope]![b.measure]!;
      expect(Math.abs(got / want - 1), `${b.scope} ${b.measure}: ${got} vs ${want}`).toBeLessThanOrEqual(CALIBRATION_TOLERANCE);
    }
    expect(impliedTotal(baseline('region', 'beds'), model.population)).toBe(161_851);
  });

  it('is consistent inside every facility', () => {
    expect(new Set(all.map((f) => f.code)).size).toBe(all.length);
    const problems: string[] = [];
    for (const f of all) {
      const doctors = f.staff_doctors + f.staff_assistant_doctors;
      if (f.staff_gps > doctors) problems.push(`${f.code}: more GPs than doctors`);
      if (f.staff_tcm_doctors > doctors) problems.push(`${f.code}: more TCM doctors than doctors`);
      if (f.staff_tcm_gps > Math.min(f.staff_gps, f.staff_tcm_doctors)) problems.push(`${f.code}: TCM GPs`);
      if (f.beds_paediatric > f.beds) problems.push(`${f.code}: paediatric beds`);
      if (!f.source.includes(`seeds/facilities.ts (seed ${DEFAULT_SEED})`)) problems.push(`${f.code}: source`);
      if (['village_clinic', 'outpatient_clinic', 'community_health_station'].includes(f.type) && f.beds !== 0) problems.push(`${f.code}: beds in a clinic`);
      if (f.type === 'village_clinic' && !(f.place.anchor === 'unit' && f.villages_served.includes(f.place.unit))) problems.push(`${f.code}: clinic outside the villages it serves`);
    }
    expect(problems).toEqual([]);
  });

  it('has the institutions the issue lists in every banner, and league and region hospitals at their seats', () => {
    const bannerRun = new Map<string, string[]>();
    for (const f of all) if (f.run_by_level === 'banner') bannerRun.set(f.bannerCode, [...(bannerRun.get(f.bannerCode) ?? []), f.type]);
    for (const banner of model.banners.values()) {
      const types = bannerRun.get(banner.code) ?? [];
      const count = (t: string) => types.filter((x) => x === t).length;
      expect([banner.code, count('general_hospital') >= 1, count('mch_hospital'), count('cdc'), count('health_supervision')]).toEqual([banner.code, true, 1, 1, 1]);
    }
    for (const league of model.leagues.values()) {
      const l = all.filter((f) => f.run_by_level === 'league' && f.code.includes(league.code));
      expect(l.every((f) => f.bannerCode === league.seatBanner)).toBe(true);
      expect(l.some((f) => f.type === 'general_hospital' && f.grade === '3A')).toBe(true);
    }
    expect(all.filter((f) => f.run_by_level === 'region').map((f) => f.name)).toEqual(
      expect.arrayContaining(['内蒙古自治区中医医院', '内蒙古自治区国际蒙医医院', '内蒙古自治区人民医院', '内蒙古自治区第四医院']),
    );
    // Banner general hospitals are all grade 2 or above (000:93-94).
    expect(all.filter((f) => f.run_by_level === 'banner' && f.type === 'general_hospital').every((f) => ['2', '2A', '3', '3A'].includes(f.grade!))).toBe(true);
    // One township health centre per town, township and sumu.
    const towns = [...model.banners.values()].flatMap((b) => b.units.townships).filter((t) => ['镇', '乡', '苏木'].includes(t.kind));
    const thc = new Set(all.filter((f) => f.type === 'township_health_centre').map((f) => (f.place.anchor === 'unit' ? f.place.unit : '')));
    expect(towns.every((t) => thc.has(t.code))).toBe(true);
  });

  it('leaves plausible gaps so that rules fail where they would', () => {
    const big = [...model.banners.values()].filter((b) => b.population > 300_000);
    const withWard = big.filter((b) => all.some((f) => f.bannerCode === b.code && f.ownership === 'public' && f.departments.includes('psychiatry_ward')));
    expect(withWard.length).toBeGreaterThan(big.length / 2);
    expect(withWard.length).toBeLessThan(big.length);
    const centres = all.filter((f) => f.type === 'township_health_centre');
    const noGp = centres.filter((f) => f.staff_gps === 0).length / centres.length;
    const noHall = centres.filter((f) => f.tcm_hall_level === null).length / centres.length;
    expect(noGp).toBeGreaterThan(0.03);
    expect(noGp).toBeLessThan(0.3);
    expect(noHall).toBeGreaterThan(0.02);
    expect(noHall).toBeLessThan(0.2);
    // Villages genuinely without a clinic: a few, none in Aohan (001:34); some of them served by mobile services.
    const served = new Set(all.flatMap((f) => f.villages_served));
    const administrative = [...model.banners.values()].flatMap((b) => b.units.townships.flatMap((t) => t.villages.filter((v) => v.kind === '村' || v.kind === '嘎查').map((v) => ({ v, banner: b.code }))));
    const without = administrative.filter((x) => !served.has(x.v.code));
    expect(without.length / administrative.length).toBeGreaterThan(0.002);
    expect(without.length / administrative.length).toBeLessThan(0.05);
    expect(without.some((x) => x.banner === AOHAN)).toBe(false);
    expect(plan.mobileService.size).toBeGreaterThan(0);
  });

  it('pairs only small neighbouring villages of one township in joint clinics (002:25)', () => {
    const joint = all.filter((f) => f.type === 'village_clinic' && f.villages_served.length > 1);
    expect(joint.length).toBeGreaterThan(100);
    for (const f of joint) {
      expect(f.villages_served).toHaveLength(2);
      const [a, b] = f.villages_served;
      expect(a!.slice(0, 9)).toBe(b!.slice(0, 9));
      const p = populations.get(f.bannerCode)!;
      expect(Math.min(p.get(a!)!.population, p.get(b!)!.population)).toBeLessThan(500);
      expect(f.name).toContain('联办');
    }
  });
});

describe('grid and polygon geometry', () => {
  it('tests points against a polygon with a hole, and measures the distance to its edges', () => {
    const shape = new Shape({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], [[0.4, 0.4], [0.6, 0.4], [0.6, 0.6], [0.4, 0.6], [0.4, 0.4]]] });
    expect(shape.contains(0.2, 0.2)).toBe(true);
    expect(shape.contains(0.5, 0.5)).toBe(false);
    expect(shape.contains(1.2, 0.5)).toBe(false);
    expect(shape.distanceToEdgeM(0.5, 0.1, 50_000)).toBeCloseTo(0.1 * 110_574, -2);
    expect(shape.containsWithMargin(0.2, 0.01, 500)).toBe(true);
    expect(shape.containsWithMargin(0.2, 0.001, 500)).toBe(false);
    expect(shape.areaKm2).toBeGreaterThan(0.95 * 111.3 * 110.6 * 0.96);
  });

  it('uses 1 km equal-area cells with stable keys', () => {
    const [x, y] = toGrid([119.9, 42.28]);
    const back = fromGrid(x, y);
    expect(back[0]).toBeCloseTo(119.9, 9);
    expect(back[1]).toBeCloseTo(42.28, 9);
    const c = cellOf(x, y);
    expect(cellKey(c.ix, c.iy)).toMatch(/^IM-AEA-1km:E\d{4}N\d{4}$/);
    // Each cell is 1 km² on the ground, in the south-west and the north-east of the region alike.
    for (const p of [[101, 38.5], [121, 50.5]] as const) {
      const [px, py] = toGrid(p);
      const k = cellOf(px, py);
      const ring = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]].map(([dx, dy]) => fromGrid((k.ix + dx!) * 1000, (k.iy + dy!) * 1000));
      expect(turf.area(turf.polygon([ring])) / 1e6).toBeCloseTo(1, 2);
      expect(cellCentre(k.ix, k.iy)).toEqual(fromGrid((k.ix + 0.5) * 1000, (k.iy + 0.5) * 1000));
    }
  });

  it('finds Aohan’s real seat inside its polygon', () => {
    const seat = seats().get('150430')!;
    expect(bannerShapes().get('150430')!.contains(seat[0], seat[1])).toBe(true);
  });
});
