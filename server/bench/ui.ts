/**
 * Map UI figures (issue 8): the size of the built web bundle (raw and gzip, as
 * a browser downloads it) and the time to the first rendered map in Debian's
 * Chromium at 1366×768 — from navigation to the map's first 'idle' (tiles of
 * the whole region drawn and coloured by rule status), cold (new browser
 * profile: nothing cached) and warm (same page reloaded). The app measures
 * itself (performance.measure 'planner-first-render', web/src/main.ts).
 *
 * Needs `npm run build:web` and /usr/bin/chromium (or CHROMIUM_PATH); skips
 * with the reason otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { buildApp } from '../app.ts';
import { DEFAULT_AUTH } from '../config.ts';
import { projectRoot } from '../paths.ts';
import type { Bench } from './registry.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The flags of test/browser/helpers.ts (software WebGL: no GPU on the bench machines).
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-gpu', '--no-first-run', '--disable-background-networking'];
const RUNS = 3;

export const uiBench: Bench = {
  name: 'ui',
  async run(ctx) {
    const dist = path.join(projectRoot, 'web', 'dist');
    if (!fs.existsSync(path.join(dist, 'index.html'))) {
      ctx.log('skipped: web app not built (npm run build:web)');
      return;
    }
    const assets = fs.readdirSync(path.join(dist, 'assets')).map((f) => path.join(dist, 'assets', f));
    const size = (files: string[]) => files.reduce((a, f) => a + fs.statSync(f).size, 0);
    const gzip = (files: string[]) => files.reduce((a, f) => a + zlib.gzipSync(fs.readFileSync(f), { level: 6 }).length, 0);
    const main = assets.filter((f) => /index-.*\.(js|css)$/.test(f));
    const worker = assets.filter((f) => /worker/.test(f));
    ctx.report('web bundle: app + MapLibre + CSS (first load)', Math.round(size(main) / 1024), 'KiB', `gzip ${Math.round(gzip(main) / 1024)} KiB`);
    ctx.report('web bundle: MapLibre worker', Math.round(size(worker) / 1024), 'KiB', `gzip ${Math.round(gzip(worker) / 1024)} KiB`);

    if (!fs.existsSync(CHROMIUM)) {
      ctx.log(`first render skipped: Chromium not found at ${CHROMIUM}`);
      return;
    }
    const app = await buildApp({
      config: { logLevel: 'silent', auth: { ...DEFAULT_AUTH, rateLimits: { login: 0, expensive: 0, api: 0 } } },
      db: { db: ctx.db, engine: ctx.engine, close: async () => {} },
      closeDatabase: false,
      web: true,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const firstRender = async (page: import('playwright-core').Page, load: () => Promise<unknown>) => {
        await load();
        await page.waitForSelector('body[data-first-render][data-coloured-ms]', { timeout: 180_000 });
        const body = page.locator('body');
        return { drawn: Number(await body.getAttribute('data-first-render')), coloured: Number(await body.getAttribute('data-coloured-ms')) };
      };
      const cold: { drawn: number; coloured: number }[] = [];
      const warm: { drawn: number; coloured: number }[] = [];
      for (let i = 0; i < RUNS; i++) {
        const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
        const page = await context.newPage();
        cold.push(await firstRender(page, () => page.goto(url)));
        warm.push(await firstRender(page, () => page.reload()));
        await context.close();
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
      const row = (label: string, runs: { drawn: number; coloured: number }[], note: string) => {
        ctx.report(`${label}: map drawn (first idle)`, median(runs.map((r) => r.drawn)), 'ms', `runs ${runs.map((r) => r.drawn).join(', ')} ms; ${note}`);
        ctx.report(`${label}: units coloured by rule status`, median(runs.map((r) => r.coloured)), 'ms', `runs ${runs.map((r) => r.coloured).join(', ')} ms`);
      };
      row('first render, whole region, new browser profile', cold, `median of ${RUNS}; the first run also waits for the server's first region evaluation; load ${load}; software WebGL`);
      row('first render, whole region, reload', warm, `median of ${RUNS}; browser cache and server caches warm`);
    } finally {
      await browser.close();
      await app.close();
    }
  },
};
