/// <reference lib="dom" />
/**
 * Gap reports in Chromium: the PDF the server renders (page count > 1, text
 * extractable with pdftotext, Chinese characters and the rule text present,
 * page numbers "第 n 页 / 共 N 页"), and the HTML report served by the app
 * under its strict CSP (its inline styles apply, no console errors). Page
 * images go to test-artifacts/ for a human to look at.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { ARTIFACTS, CHROMIUM, launchBrowser } from './helpers.ts';

const AOHAN = '150430';

/** Chromium and poppler-utils (pdftotext, pdfinfo, pdftoppm); in CI their absence is an error. */
function unavailableReason(): string | null {
  const missing: string[] = [];
  if (!fs.existsSync(CHROMIUM)) missing.push(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)`);
  for (const tool of ['pdftotext', 'pdfinfo', 'pdftoppm']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      missing.push(`${tool} not found (apt-get install -y poppler-utils)`);
    }
  }
  if (missing.length === 0) return null;
  if (process.env.CI) throw new Error(`report PDF tests must run in CI: ${missing.join('; ')}`);
  return missing.join('; ');
}

const unavailable = unavailableReason();
if (unavailable) console.warn(`[report PDF tests skipped] ${unavailable}`);

const squeeze = (s: string) => s.replace(/\s+/g, '');

describe.skipIf(unavailable !== null)('gap report as PDF and in Chromium', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  const dir = path.join(ARTIFACTS, 'report-aohan');

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildApp({ config: { logLevel: 'silent' }, db, closeDatabase: false, web: false });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    url = `http://127.0.0.1:${address.port}`;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.dispose();
  });

  it('renders Aohan Banner as a multi-page A4 PDF with Chinese text, the rule and its citation, page numbers', async () => {
    const res = await app.inject({ url: `/api/reports/units/${AOHAN}?format=pdf` });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const pdf = res.rawPayload;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const file = path.join(dir, 'aohan.pdf');
    fs.writeFileSync(file, pdf);

    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const pages = Number(/Pages:\s+(\d+)/.exec(info)![1]);
    expect(pages).toBeGreaterThan(1);
    expect(info).toMatch(/Page size:.*\(A4\)/);

    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect((text.match(/[\u4e00-\u9fff]/g) ?? []).length).toBeGreaterThan(2000);
    const flat = squeeze(text);
    const evaluation = await app.inject({ url: `/api/evaluations?unit=${AOHAN}&rule=im-psych-ward-pop-gt-300k&level=banner` });
    const psych = evaluation.json().results[0] as { title: { zh: string }; shortfall: { text: { zh: string } }; citations: { lineRange: string; quote: string }[] };
    expect(flat).toContain(squeeze(psych.title.zh));
    expect(flat).toContain(squeeze(psych.shortfall.text.zh));
    expect(flat).toContain(squeeze(psych.citations[0]!.quote));
    expect(flat).toContain(squeeze(psych.citations[0]!.lineRange));
    expect(flat).toContain(`第1页/共${pages}页`);
    expect(flat).toContain(`第${pages}页/共${pages}页`);

    // For the human check: every page as PNG in test-artifacts/report-aohan/.
    execFileSync('pdftoppm', ['-png', '-r', '60', file, path.join(dir, 'page')]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.png')).length).toBe(pages);
  });

  it('serves the HTML report under the strict CSP: styles apply, no console errors', async () => {
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: 'zh-CN' });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    // The report asks for nothing but itself; the browser's own favicon request (no web app here) is the one 404.
    const failed: string[] = [];
    page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && failed.push(`${r.status()} ${r.url()}`));
    const response = await page.goto(`${url}/api/reports/units/${AOHAN}?format=html`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await page.locator('h1').textContent()).toBe('敖汉旗');
    expect(await page.locator('thead').first().evaluate((el) => getComputedStyle(el).display)).toBe('table-header-group');
    expect(await page.locator('figure.map svg').count()).toBe(1);
    await page.screenshot({ path: path.join(dir, 'html-top.png') });
    expect(failed).toEqual([]);
    expect(errors.filter((e) => !/404 \(Not Found\)/.test(e))).toEqual([]);
  });
});
