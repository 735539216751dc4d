/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { browserUnavailableReason, launchBrowser, screenshot, shareOfPixelsNot, startServer } from './helpers.ts';

const unavailable = browserUnavailableReason();
if (unavailable) console.warn(`[browser tests skipped] ${unavailable}`);

describe.skipIf(unavailable !== null)('map page in Chromium', () => {
  let db: TestDatabase;
  let server: { app: FastifyInstance; url: string };
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServer(db);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.app.close();
    await db?.dispose();
  });

  it('renders the banners of Inner Mongolia on the map', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    await page.waitForTimeout(1000);
    expect(await page.locator('#status').textContent()).toMatch(/12 个盟市 · 103 个旗县市区/);
    await screenshot(page, 'foundation-map');
    // Background is #eef1f4; the banners cover a good part of the canvas.
    const drawn = await shareOfPixelsNot(page, '#map canvas', [0xee, 0xf1, 0xf4]);
    expect(drawn).toBeGreaterThan(0.05); // a blank canvas scores ~0; pale low-density banners are close to the background
    expect(errors).toEqual([]);
  });

  it('shows name, code and population of a clicked banner', async () => {
    // Aohan Banner's seat, projected to the screen by the map itself.
    const point = await page.evaluate(() => {
      const map = (window as unknown as { __map: { project(l: [number, number]): { x: number; y: number } } }).__map;
      return map.project([119.92, 42.3]);
    });
    const box = await page.locator('#map').boundingBox();
    await page.mouse.click(box!.x + point.x, box!.y + point.y);
    await page.waitForSelector('.unit-popup', { timeout: 10_000 });
    const text = await page.locator('.unit-popup').textContent();
    expect(text).toContain('敖汉旗');
    expect(text).toContain('150430');
    expect(text).toContain('448,712');
    await screenshot(page, 'foundation-map-popup');
  });
});
