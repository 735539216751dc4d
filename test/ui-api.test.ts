/**
 * The map UI's own routes (server/ui): config, unit search, per-unit map
 * figures — checked against the feature routes they summarise, on the seeded
 * template (top levels + the complete Aohan Banner 150430).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestDatabase, engine, type TestDatabase } from './helpers/db.ts';
import { basemapOf } from '../server/ui/routes.ts';
import { worstForce } from '../server/ui/service.ts';

interface Stat {
  code: string;
  worst: string | null;
  fails: Record<string, number>;
  pass: number;
  unknown: number;
  indicative: number;
  value?: number | null;
}

describe(`map UI routes (${engine})`, () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });

  describe('GET /api/ui/config', () => {
    it('tells the client the auth mode, that there is no basemap, and which features exist', async () => {
      const res = await get('/api/ui/config');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.authMode).toBe('local');
      expect(body.basemap).toBeNull();
      expect(typeof body.features.scenarios).toBe('boolean');
      expect(body.features.reports === null || body.features.reports.includes(':unit')).toBe(true);
    });

    it('classifies a basemap URL as raster template or style, with an attribution', () => {
      expect(basemapOf(undefined)).toBeNull();
      expect(basemapOf('https://tile.openstreetmap.org/{z}/{x}/{y}.png')).toEqual({
        kind: 'raster',
        url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
        attribution: '© OpenStreetMap contributors',
      });
      expect(basemapOf('https://maps.example.cn/styles/basic/style.json')).toMatchObject({ kind: 'style', attribution: '底图 Basemap: maps.example.cn' });
    });
  });

  describe('GET /api/ui/search', () => {
    it('finds a banner by part of its Chinese name, with its league as context', async () => {
      const body = (await get(`/api/ui/search?q=${encodeURIComponent('敖汉')}`)).json();
      expect(body.units[0]).toMatchObject({ code: '150430', name: '敖汉旗', level: 'banner', context: ['赤峰市'], synthetic: false });
      expect(body.units[0].bbox).toHaveLength(4);
      const [lon, lat] = body.units[0].center;
      expect(lon).toBeGreaterThan(119);
      expect(lat).toBeGreaterThan(41.5);
    });

    it('finds townships and villages by a middle part of the name, ranked above longer names', async () => {
      const body = (await get(`/api/ui/search?q=${encodeURIComponent('新惠')}&limit=50`)).json();
      const first = body.units[0];
      expect(first).toMatchObject({ code: '150430100', name: '新惠镇', level: 'township', context: ['赤峰市', '敖汉旗'] });
      expect(body.units.every((u: { name: string }) => u.name.includes('新惠'))).toBe(true);
      // A village's context names its township, to tell same-named villages apart.
      const village = body.units.find((u: { level: string }) => u.level === 'village');
      if (village) expect(village.context).toHaveLength(3);
    });

    it('finds units by the start of the code, the exact code first', async () => {
      const body = (await get('/api/ui/search?q=150430&limit=5')).json();
      expect(body.units[0].code).toBe('150430');
      expect(body.units.every((u: { code: string }) => u.code.startsWith('150430'))).toBe(true);
      expect(body.numberReturned).toBe(5);
    });

    it('filters by level and treats LIKE wildcards as plain characters', async () => {
      const villages = (await get(`/api/ui/search?q=${encodeURIComponent('村')}&level=village&limit=10`)).json();
      expect(villages.units.length).toBe(10);
      expect(villages.units.every((u: { level: string }) => u.level === 'village')).toBe(true);
      const percent = (await get(`/api/ui/search?q=${encodeURIComponent('%')}`)).json();
      expect(percent.units).toEqual([]);
      const underscore = (await get(`/api/ui/search?q=${encodeURIComponent('_')}`)).json();
      expect(underscore.units).toEqual([]);
    });

    it('answers 400 in both languages for a missing query or an unknown level', async () => {
      for (const url of ['/api/ui/search', '/api/ui/search?q=', '/api/ui/search?q=a&level=county', '/api/ui/search?q=a&limit=500']) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(400);
        expect(res.json().messageZh, url).toBeTruthy();
      }
    });
  });

  describe('GET /api/ui/unit-stats', () => {
    it('counts each banner’s own failing rules by force exactly as /api/evaluations reports them', async () => {
      const res = await get('/api/ui/unit-stats?level=banner');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.levels).toEqual(['banner']);
      expect(body.ruleSet.id).toBeGreaterThan(0);
      expect(body.scenario).toBeNull();
      expect(body.items).toHaveLength(103);
      const aohan: Stat = body.items.find((s: Stat) => s.code === '150430');

      const evaluation = (await get('/api/evaluations?unit=150430&level=banner&limit=5000')).json();
      const own = evaluation.results.filter((r: { unit: { code: string } }) => r.unit.code === '150430');
      const expected = { must: 0, target: 0, should: 0, strive: 0, may: 0 } as Record<string, number>;
      let indicative = 0;
      for (const r of own) {
        if (r.status !== 'fail') continue;
        if (r.indicative) indicative += 1;
        else expected[r.force]! += 1;
      }
      expect(aohan.fails).toEqual(expected);
      expect(aohan.indicative).toBe(indicative);
      expect(aohan.pass).toBe(own.filter((r: { status: string }) => r.status === 'pass').length);
      // The psychiatric-ward rule fails in Aohan: a must.
      expect(own.find((r: { ruleId: string }) => r.ruleId === 'im-psych-ward-pop-gt-300k').status).toBe('fail');
      expect(aohan.worst).toBe('must');
    });

    it('answers several levels in one request, each item naming its level', async () => {
      const body = (await get('/api/ui/unit-stats?level=league,banner,township&unit=150400')).json();
      expect(body.levels).toEqual(['league', 'banner', 'township']);
      const byLevel = (level: string) => body.items.filter((s: Stat & { level: string }) => s.level === level);
      expect(byLevel('league').map((s: Stat) => s.code)).toEqual(['150400']);
      expect(byLevel('banner')).toHaveLength(12);
      // The template seeds Aohan's townships only.
      expect(byLevel('township').length).toBeGreaterThan(10);
      expect(byLevel('township').every((s: Stat) => s.code.startsWith('150430'))).toBe(true);
    });

    it('limits to a subtree and adds a rule’s measured value as the indicator, with its target', async () => {
      const body = (await get('/api/ui/unit-stats?level=banner&unit=150400&indicator=rule:im-beds-per-1k')).json();
      expect(body.scope).toEqual({ code: '150400', name: '赤峰市' });
      expect(body.items.length).toBe(12);
      expect(body.items.every((s: Stat) => s.code.startsWith('1504'))).toBe(true);
      expect(body.indicator).toMatchObject({ key: 'rule:im-beds-per-1k', higherIsBetter: true });
      expect(body.indicator.title.zh).toContain('床位');
      const beds = (await get('/api/evaluations?unit=150430&rule=im-beds-per-1k&level=banner')).json();
      const result = beds.results.find((r: { unit: { code: string } }) => r.unit.code === '150430');
      expect(body.items.find((s: Stat) => s.code === '150430').value).toBe(result.measured.value);
      expect(body.indicator.target).toBe(result.target.min);
    });

    it('gives every township its share within the access class limit, equal to /api/access/units', async () => {
      const body = (await get('/api/ui/unit-stats?level=township&unit=150430&indicator=access:basic')).json();
      const access = (await get('/api/access/units?unit=150430&level=township&class=basic&limit=1000')).json();
      expect(body.items.length).toBe(access.items.length);
      for (const row of access.items) {
        expect(body.items.find((s: Stat) => s.code === row.unit.code).value).toBe(row.figures.shareCovered);
      }
      expect(body.indicator.unit).toEqual({ zh: '%', en: '%' });
      expect(body.indicator.target).toBe(0.9);
    });

    it('answers 4xx in both languages for a bad level, indicator, unit or scenario', async () => {
      const cases: [string, number][] = [
        ['/api/ui/unit-stats', 400],
        ['/api/ui/unit-stats?level=region', 400],
        ['/api/ui/unit-stats?level=', 400],
        ['/api/ui/unit-stats?level=banner,county', 400],
        ['/api/ui/unit-stats?level=banner&indicator=beds', 400],
        ['/api/ui/unit-stats?level=banner&indicator=rule:no-such-rule', 400],
        ['/api/ui/unit-stats?level=banner&indicator=access:no_class', 400],
        ['/api/ui/unit-stats?level=banner&unit=15043', 400],
        ['/api/ui/unit-stats?level=banner&unit=150999', 404],
        ['/api/ui/unit-stats?level=banner&scenario=abc', 400],
        ['/api/ui/unit-stats?level=banner&ruleSet=999999', 404],
      ];
      for (const [url, status] of cases) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(status);
        expect(res.json().messageZh, url).toBeTruthy();
      }
    });
  });

  it('worstForce takes the strongest force with a failure', () => {
    expect(worstForce({ must: 0, target: 0, should: 0, strive: 0, may: 0 })).toBeNull();
    expect(worstForce({ must: 0, target: 2, should: 5, strive: 0, may: 1 })).toBe('target');
    expect(worstForce({ must: 1, target: 0, should: 0, strive: 0, may: 0 })).toBe('must');
    expect(worstForce({ must: 0, target: 0, should: 0, strive: 0, may: 3 })).toBe('may');
  });
});
