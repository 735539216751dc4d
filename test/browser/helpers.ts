/// <reference lib="dom" />
/**
 * Browser-test plumbing: Debian's Chromium through playwright-core (never a
 * downloaded browser), the app listening on a free port, screenshots saved to
 * test-artifacts/ for a human to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.ts';
import { projectRoot } from '../../server/paths.ts';
import type { DatabaseHandle } from '../../server/db/index.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const ARTIFACTS = path.join(projectRoot, 'test-artifacts');

/** Why browser tests cannot run here, or null when they can. In CI a missing browser is an error. */
export function browserUnavailableReason(): string | null {
  const missing: string[] = [];
  if (!fs.existsSync(CHROMIUM)) missing.push(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)`);
  if (!fs.existsSync(path.join(projectRoot, 'web', 'dist', 'index.html'))) missing.push('web app not built (npm run build:web)');
  if (missing.length === 0) return null;
  const reason = missing.join('; ');
  if (process.env.CI) throw new Error(`browser tests must run in CI: ${reason}`);
  return reason;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export async function startServer(db: DatabaseHandle): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildApp({ config: { logLevel: 'silent' }, db, closeDatabase: false, web: true });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { app, url: `http://127.0.0.1:${address.port}` };
}

export async function screenshot(page: Page, name: string): Promise<Buffer> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/**
 * Share of pixels in an element that differ from a colour: a blank map canvas
 * (background only) scores ~0. Decoded in the page itself (no image library).
 */
export async function shareOfPixelsNot(page: Page, selector: string, rgb: [number, number, number]): Promise<number> {
  const png = await page.locator(selector).screenshot();
  return page.evaluate(
    async ({ data, rgb }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${data}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const pixels = ctx.getImageData(0, 0, img.width, img.height).data;
      let different = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        const d = Math.abs(pixels[i]! - rgb[0]) + Math.abs(pixels[i + 1]! - rgb[1]) + Math.abs(pixels[i + 2]! - rgb[2]);
        if (d > 24) different += 1;
      }
      return different / (pixels.length / 4);
    },
    { data: png.toString('base64'), rgb },
  );
}
