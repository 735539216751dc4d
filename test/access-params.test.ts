/**
 * Access parameters (rule_set.params.access): defaults are complete and valid,
 * partial stored params merge over them, every mistake names its field, the
 * hash ignores key order, and every assumption is printed.
 */
import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { AccessParams, DEFAULT_ACCESS_PARAMS, assumptionsOf, paramsHash, resolveAccessParams } from '../server/access/params.ts';

describe('access parameters', () => {
  it('has valid defaults with the six classes the issue names', () => {
    expect(Value.Check(AccessParams, DEFAULT_ACCESS_PARAMS)).toBe(true);
    expect(DEFAULT_ACCESS_PARAMS.classes.map((c) => c.key)).toEqual(['basic', 'township', 'banner_hospital', 'psychiatric', 'tcm', 'mch']);
    const banner = DEFAULT_ACCESS_PARAMS.classes.find((c) => c.key === 'banner_hospital')!;
    expect(banner.filter).toEqual({ types: ['general_hospital'], gradeMin: 2 });
    expect(DEFAULT_ACCESS_PARAMS.classes.find((c) => c.key === 'basic')!.limit).toEqual({ kind: 'time', minutes: 15 });
  });

  it('merges a partial stored set over the defaults', () => {
    const { params, problems } = resolveAccessParams({ ruralSpeedKmh: 40, mobileService: 'covered' });
    expect(problems).toEqual([]);
    expect(params).toMatchObject({ ruralSpeedKmh: 40, mobileService: 'covered', urbanSpeedKmh: DEFAULT_ACCESS_PARAMS.urbanSpeedKmh, classes: DEFAULT_ACCESS_PARAMS.classes });
    expect(resolveAccessParams(null).params).toEqual(DEFAULT_ACCESS_PARAMS);
    expect(resolveAccessParams('nonsense').problems).toEqual([]);
  });

  it('names the field of every mistake, in English and Chinese', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ detourFactor: 0.5 }, 'access.detourFactor'],
      [{ ruralSpeedKmh: 'fast' }, 'access.ruralSpeedKmh'],
      [{ urbanMode: 'horse' }, 'access.urbanMode'],
      [{ circleTargetShare: 1.5 }, 'access.circleTargetShare'],
      [{ facilityStatuses: [] }, 'access.facilityStatuses'],
      [{ circleClass: 'nope' }, 'access.circleClass'],
      [{ classes: [{ key: 'basic', name: { zh: '甲', en: 'A' }, filter: { types: ['clinic'] }, limit: { kind: 'time', minutes: 15 } }] }, 'access.classes.0.filter.types.0'],
      [{ classes: [{ key: 'basic', name: { zh: '甲', en: 'A' }, filter: { types: ['village_clinic'] }, limit: { kind: 'time', minutes: 0 } }] }, 'access.classes.0.limit'],
      [{ classes: [{ key: 'basic', name: { zh: '甲', en: 'A' }, filter: {}, limit: { kind: 'distance', metres: 3000 } }] }, 'access.classes.basic.filter'],
      [
        {
          classes: [
            { key: 'basic', name: { zh: '甲', en: 'A' }, filter: { types: ['village_clinic'] }, limit: { kind: 'distance', metres: 3000 } },
            { key: 'basic', name: { zh: '乙', en: 'B' }, filter: { types: ['village_clinic'] }, limit: { kind: 'distance', metres: 3000 } },
          ],
        },
        'access.classes',
      ],
      [{ unknownKey: 1 }, 'access'],
    ];
    for (const [stored, field] of cases) {
      const { problems, params } = resolveAccessParams(stored);
      expect(problems.length, JSON.stringify(stored)).toBeGreaterThan(0);
      expect(problems.map((p) => p.field).some((f) => f.startsWith(field)), `${JSON.stringify(stored)} → ${JSON.stringify(problems)}`).toBe(true);
      expect(problems[0]!.zh).toMatch(/[\u4e00-\u9fff]|access/);
      // A bad set never leaks into an evaluation: the defaults come back with the problems.
      expect(params).toEqual(DEFAULT_ACCESS_PARAMS);
    }
  });

  it('hashes equal parameters equally, whatever the key order, and different ones differently', () => {
    const a = resolveAccessParams({ ruralSpeedKmh: 25, urbanSpeedKmh: 4 }).params;
    const b = resolveAccessParams({ urbanSpeedKmh: 4, ruralSpeedKmh: 25 }).params;
    expect(paramsHash(a)).toBe(paramsHash(b));
    expect(paramsHash(a)).not.toBe(paramsHash(DEFAULT_ACCESS_PARAMS));
  });

  it('prints every assumption, marking which ones a text sets', () => {
    const list = assumptionsOf(DEFAULT_ACCESS_PARAMS);
    const byKey = new Map(list.map((a) => [a.key, a]));
    for (const c of DEFAULT_ACCESS_PARAMS.classes) expect(byKey.has(`access.classes.${c.key}`)).toBe(true);
    expect(byKey.get('access.classes.basic')).toMatchObject({ basis: 'text', citation: '003_ea3fa2f3d5dcf77a.txt:31' });
    expect(byKey.get('access.classes.township')!.basis).toBe('assumption');
    expect(byKey.get('access.ruralMode')).toMatchObject({ value: 'motorbike 30 km/h', basis: 'assumption' });
    expect(byKey.get('access.smallCatchmentPopulation')).toMatchObject({ value: 500, basis: 'text', citation: '002_bbee473a6d319f37.txt:25' });
    for (const a of list) {
      expect(a.label.zh.length, a.key).toBeGreaterThan(0);
      expect(a.description.en.length, a.key).toBeGreaterThan(0);
    }
  });
});
