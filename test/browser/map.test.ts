/// <reference lib="dom" />
/**
 * The map UI in Chromium against the real server on the test database (the
 * complete Aohan Banner plus the real top levels): the map draws, Aohan
 * Banner's panel shows the psychiatric-ward rule with its citation, a scenario
 * that merges two village clinics updates the diff, a stale version offers a
 * reload, an import with a bad row shows the row error, and English replaces
 * the labels (and is remembered). Screenshots at 1366×768 go to test-artifacts/.
 *
 * The steps share one page and run in order (each starts where the last ended).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { browserUnavailableReason, launchBrowser, screenshot, shareOfPixelsNot, startServer } from './helpers.ts';

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[browser tests skipped] ${unavailable}`);

const BACKGROUND: [number, number, number] = [0xee, 0xf1, 0xf4]; // theme.background
const AOHAN_SEAT: [number, number] = [119.92, 42.3];

type MapHandle = { jumpTo(o: { center: [number, number]; zoom: number }): void; project(l: [number, number]): { x: number; y: number }; loaded(): boolean; areTilesLoaded(): boolean };

describe.skipIf(unavailable !== null)('map UI in Chromium', () => {
  let db: TestDatabase;
  let server: { app: FastifyInstance; url: string };
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  /** Requests to anywhere but this server: none (offline map: no glyph server, sprite, CDN or basemap). */
  const elsewhere: string[] = [];

  /** Move the main map and wait until its tiles are drawn. */
  async function jumpTo(center: [number, number], zoom: number): Promise<void> {
    await page.evaluate(
      ({ center, zoom }) =>
        new Promise<void>((resolve) => {
          const map = (window as unknown as { __map: MapHandle & { once(e: string, f: () => void): void } }).__map;
          map.once('idle', () => resolve());
          map.jumpTo({ center, zoom });
        }),
      { center, zoom },
    );
  }

  /** Click the main map at a longitude/latitude. */
  async function clickAt(lonLat: [number, number]): Promise<void> {
    const point = await page.evaluate((l) => (window as unknown as { __map: MapHandle }).__map.project(l), lonLat);
    const box = (await page.locator('#map-main').boundingBox())!;
    await page.mouse.click(box.x + point.x, box.y + point.y);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer(db);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => !r.url().startsWith(server.url) && !/^(data|blob):/.test(r.url()) && elsewhere.push(r.url()));
    // 4xx answers the UI shows to the user (the bad import) are expected; anything else logged as an error is not.
    page.on('console', (m) => m.type() === 'error' && !/status of 4\d\d/.test(m.text()) && errors.push(m.text()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.app.close();
    await db?.dispose();
  });

  it('draws the coverage map in Chinese with a legend (canvas not blank)', async () => {
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
    await page.waitForFunction(() => (window as unknown as { __map: MapHandle }).__map.areTilesLoaded(), null, { timeout: 60_000 });
    await page.waitForSelector('body[data-first-render]', { timeout: 60_000 });
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('.topbar h1').textContent()).toBe('卫生资源网格规划');
    expect(await page.locator('.legend').textContent()).toContain('规则达标情况');
    await screenshot(page, 'map-overview');
    // Background only scores ~0; the coloured leagues cover a good part of the canvas.
    expect(await shareOfPixelsNot(page, '#map-main canvas', BACKGROUND)).toBeGreaterThan(0.15);
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]); // labels included: drawn from the computer's fonts
  });

  it('clicking Aohan Banner opens its panel with the psychiatric-ward rule and its citation', async () => {
    await jumpTo(AOHAN_SEAT, 7);
    await clickAt(AOHAN_SEAT);
    await page.waitForFunction(() => document.querySelector('#unit-title')?.textContent?.includes('敖汉旗'), null, { timeout: 30_000 });
    const rule = page.locator('.rule[data-rule="im-psych-ward-pop-gt-300k"]');
    await rule.waitFor({ timeout: 60_000 });
    expect(await rule.locator('.rule-title').textContent()).toContain('精神科');
    expect(await rule.locator('.status').textContent()).toBe('不达标');
    expect(await rule.locator('.shortfall').textContent()).toContain('缺 1 所');
    await rule.locator('.quote-toggle').click();
    const citation = rule.locator('.citation');
    expect(await citation.locator('blockquote').textContent()).toContain('至少有 1 所公立医院设置有病房的精神科');
    expect(await citation.locator('figcaption').textContent()).toMatch(/000_[0-9a-f]+\.txt:694-69\d/);
    // The printable report of the unit, in the UI's language.
    expect(await page.locator('#report-link').getAttribute('href')).toMatch(/^\/api\/reports\/units\/150430\?format=html&lang=zh/);
    await rule.scrollIntoViewIfNeeded();
    await screenshot(page, 'unit-panel-aohan');
  });

  it('search by a Chinese name part finds Aohan Banner; by code prefix too', async () => {
    await page.locator('.panel.unit .icon-button').first().click(); // close the panel
    await page.fill('#search-input', '敖汉');
    await page.waitForSelector('#search-results [role="option"]');
    expect(await page.locator('#search-results [role="option"]').first().textContent()).toContain('150430');
    await page.fill('#search-input', '150430');
    await page.waitForFunction(() => document.querySelector('#search-results [role="option"]')?.textContent?.includes('敖汉旗'));
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#unit-title')?.textContent?.includes('敖汉旗'), null, { timeout: 30_000 });
  });

  it('a new scenario that merges two village clinics (picked on the map) updates the diff', async () => {
    await page.click('#tab-scenario');
    await page.click('#new-scenario');
    await page.fill('#scenario-name', '合并两所村卫生室');
    await page.click('#create-scenario');
    await page.waitForFunction(() => document.querySelector('#diff-summary')?.textContent?.includes('0 项变更'), null, { timeout: 60_000 });

    // The two closest village clinics of one township of the seeded banner, from the API.
    const clinics = await page.evaluate(async () => {
      const res = await fetch('/api/facilities?unit=150430100&type=village_clinic&status=open&limit=100');
      const fc = (await res.json()) as { features: { properties: { id: number; name: string }; geometry: { coordinates: [number, number] } }[] };
      const list = fc.features.map((f) => ({ id: f.properties.id, name: f.properties.name, at: f.geometry.coordinates }));
      let best: [(typeof list)[0], (typeof list)[0]] | null = null;
      let bestD = Infinity;
      for (const p of list)
        for (const q of list) {
          const d = Math.hypot(p.at[0] - q.at[0], p.at[1] - q.at[1]);
          if (p.id < q.id && d > 0.004 && d < bestD) [best, bestD] = [[p, q], d];
        }
      return best;
    });
    expect(clinics).not.toBeNull();
    const [a, b] = clinics!;
    await jumpTo([(a.at[0] + b.at[0]) / 2, (a.at[1] + b.at[1]) / 2], 13);
    await page.click('#tab-details');
    await clickAt(a.at);
    await screenshot(page, 'scenario-pick-facility');
    await page.waitForFunction((name) => document.querySelector('#facility-title')?.textContent?.includes(name), a.name, { timeout: 30_000 });
    await page.click('#action-merge');
    await clickAt(b.at);
    await page.waitForFunction((name) => document.querySelector('#merge-picked')?.textContent?.includes(name), b.name, { timeout: 10_000 });
    await page.click('#confirm-merge');

    await page.click('#tab-scenario');
    await page.waitForFunction(() => document.querySelector('#diff-summary')?.textContent?.includes('1 项变更'), null, { timeout: 90_000 });
    expect(await page.locator('#change-list li').count()).toBe(1);
    expect(await page.locator('#change-list li').textContent()).toContain(a.name);
    const changed = await page.locator('.facility-changes').textContent();
    expect(changed).toContain(a.name);
    expect(changed).toContain(b.name);
    expect(await page.locator('#diff-summary').textContent()).toMatch(/涉及机构 2 所/);
    await screenshot(page, 'scenario-diff');
  });

  it('a stale scenario version tells the user and offers to reload', async () => {
    // Someone else changes the scenario: a second session removes the merge.
    const removed = await page.evaluate(async () => {
      const app = (window as unknown as { __app: { state: { scenario: { id: number; version: number; changes: { id: number }[] } } } }).__app;
      const s = app.state.scenario;
      const res = await fetch(`/api/scenarios/${s.id}/changes/${s.changes[0]!.id}?version=${s.version}`, { method: 'DELETE' });
      return res.status;
    });
    expect(removed).toBe(200);
    await page.locator('#change-list li .danger').click(); // remove, based on the old version
    await page.waitForSelector('#conflict-message', { timeout: 30_000 });
    expect(await page.locator('#conflict-message').textContent()).toContain('其他人');
    await screenshot(page, 'scenario-conflict');
    await page.click('#conflict-reload');
    await page.waitForFunction(() => document.querySelector('#diff-summary')?.textContent?.includes('0 项变更'), null, { timeout: 60_000 });
    expect(await page.locator('#change-list li').count()).toBe(0);
  });

  it('a merge candidate of the advisor is accepted in one click; a facility is moved by dragging its marker', async () => {
    await page.click('#tab-details');
    await page.fill('#search-input', '150430100');
    await page.waitForFunction(() => document.querySelector('#search-results [role="option"]')?.textContent?.includes('150430100'));
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#unit-title')?.textContent?.trim().length, null, { timeout: 30_000 });
    await page.click('#unit-tab-merge');
    const accept = page.locator('.candidate .accept:not([disabled])').first();
    await accept.waitFor({ timeout: 120_000 });
    await screenshot(page, 'merge-advisor');
    await accept.click();
    await page.waitForFunction(() => document.querySelector('#diff-summary')?.textContent?.includes('1 项变更'), null, { timeout: 90_000 });
    expect(await page.locator('#change-list li').textContent()).toContain('合并');

    // Move: the facility panel's 迁移 puts a draggable marker on the facility; drag it ~1 km east.
    const facility = await page.evaluate(async () => {
      const fc = (await (await fetch('/api/facilities?unit=150430100&type=township_health_centre&limit=1')).json()) as { features: { properties: { id: number; name: string }; geometry: { coordinates: [number, number] } }[] };
      return { id: fc.features[0]!.properties.id, name: fc.features[0]!.properties.name, at: fc.features[0]!.geometry.coordinates };
    });
    await jumpTo(facility.at, 13);
    await page.click('#tab-details');
    await clickAt(facility.at);
    await page.waitForFunction((name) => document.querySelector('#facility-title')?.textContent?.includes(name), facility.name, { timeout: 30_000 });
    await page.click('#action-move');
    const marker = (await page.locator('.maplibregl-marker').boundingBox())!;
    await page.mouse.move(marker.x + marker.width / 2, marker.y + marker.height / 2);
    await page.mouse.down();
    await page.mouse.move(marker.x + marker.width / 2 + 40, marker.y + marker.height / 2, { steps: 8 });
    await page.mouse.move(marker.x + marker.width / 2 + 80, marker.y + marker.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.click('#confirm-move');
    await page.click('#tab-scenario');
    await page.waitForFunction(() => document.querySelector('#diff-summary')?.textContent?.includes('2 项变更'), null, { timeout: 90_000 });
    expect(await page.locator('#change-list li').nth(1).textContent()).toContain(facility.name);
    await screenshot(page, 'scenario-two-changes');

    // Upgrade the same centre: 20 more beds.
    await page.click('#tab-details');
    await page.click('#action-upgrade');
    const beds = Number(await page.inputValue('#upgrade-beds'));
    await page.fill('#upgrade-beds', String(beds + 20));
    await screenshot(page, 'facility-upgrade');
    await page.click('#upgrade-submit');
    await page.click('#tab-scenario');
    await page.waitForFunction(() => document.querySelector('#diff-summary')?.textContent?.includes('3 项变更'), null, { timeout: 90_000 });
    expect(await page.locator('#change-list li').nth(2).textContent()).toContain(String(beds + 20));

    // Compare: baseline left, scenario right, one camera; both drawn.
    await page.click('#compare-toggle');
    await page.waitForSelector('#map-compare:not([hidden]) canvas');
    await page.waitForFunction(() => document.querySelector('#map-compare .pane-label-text')?.textContent?.includes('合并两所村卫生室'));
    await page.waitForTimeout(3000);
    await screenshot(page, 'scenario-compare');
    expect(await shareOfPixelsNot(page, '#map-compare canvas', BACKGROUND)).toBeGreaterThan(0.05);
    await page.click('#compare-toggle');
    await page.waitForSelector('#map-compare', { state: 'hidden' });
  });

  it('an import with a bad row shows the row error and writes nothing', async () => {
    await page.click('#import-button');
    await page.waitForSelector('#import-form select[name="kind"] option[value="facilities"]', { state: 'attached' });
    const csv = [
      '机构编码,机构名称,机构类型,所在区划代码,经度,纬度,床位数',
      'UI-TEST-1,测试村卫生室一,村卫生室,150430100203,119.84,42.33,0',
      'UI-TEST-2,测试村卫生室二,村卫生室,150430100203,119.84,142.33,0',
    ].join('\r\n');
    await page.setInputFiles('#import-file', { name: 'bad-row.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    await page.click('#import-validate');
    await page.waitForSelector('#import-problems tbody tr', { timeout: 30_000 });
    const row = page.locator('#import-problems tbody tr').first();
    expect(await row.locator('td').first().textContent()).toBe('3');
    expect(await row.textContent()).toContain('142.33');
    expect(await page.locator('#import-commit').isDisabled()).toBe(true);
    await screenshot(page, 'import-row-error');
    const count = await page.evaluate(async () => ((await (await fetch('/api/facilities?q=UI-TEST&limit=5')).json()) as { numberMatched: number }).numberMatched);
    expect(count).toBe(0);
    await page.keyboard.press('Escape');
  });

  it('rule set settings: a copy of the default set with target year 2030 becomes the active set shown in the top bar', async () => {
    expect(await page.locator('#ruleset-button').textContent()).toContain('2025');
    await page.click('#ruleset-button');
    await page.click('#copy-ruleset');
    await page.waitForSelector('#ruleset-form');
    await page.check('#ruleset-form input[name="targetYear"][value="2030"]');
    await screenshot(page, 'ruleset-settings');
    await page.click('#save-ruleset');
    await page.waitForFunction(() => document.querySelector('#ruleset-button')?.textContent?.includes('2030'), null, { timeout: 60_000 });
    await page.keyboard.press('Escape');
    await page.waitForSelector('body[data-ready="true"]');
  });

  it('switching to English changes the labels and is remembered', async () => {
    await page.click('#language-button');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    expect(await page.locator('.topbar h1').textContent()).toBe('Health facility-grid planner');
    expect(await page.locator('#language-button').textContent()).toContain('中文');
    expect(await page.locator('.legend').textContent()).toContain('Rule status');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 90_000 });
    expect(await page.locator('.topbar h1').textContent()).toBe('Health facility-grid planner');
    await page.fill('#search-input', '150430');
    await page.waitForFunction(() => document.querySelector('#search-results [role="option"]')?.textContent?.includes('敖汉旗'));
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const rule = page.locator('.rule[data-rule="im-psych-ward-pop-gt-300k"]');
    await rule.waitFor({ timeout: 90_000 }).catch(async (error: unknown) => {
      await screenshot(page, 'english-failure');
      throw error;
    });
    expect((await rule.locator('.status').textContent())?.toLowerCase()).toBe('fail');
    expect(await page.locator('.facts').textContent()).toContain('448,712');
    await screenshot(page, 'english-unit-panel');
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
  });
});
