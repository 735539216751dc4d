/**
 * PDF from the report's HTML with headless Chromium (Debian's, driven by
 * playwright-core; never a downloaded browser). One browser per renderer,
 * started on the first PDF and reused; at most `maxPages` pages render at
 * once (the others wait their turn); closed with the app (onClose) or by the
 * CLI. Page size, margins and page numbers come from the HTML's `@page` rules,
 * so the PDF is what the browser's own print of the HTML page gives.
 *
 * Without Chromium the renderer answers 503 with a message in both languages
 * pointing to the HTML version of the same report.
 */
import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { AppError } from '../errors.ts';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
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

export interface PdfRendererOptions {
  executablePath?: string;
  /** Pages rendering at the same time (each holds a report's DOM: tens of MB). */
  maxPages?: number;
  /** Give up on one PDF after this long. */
  timeoutMs?: number;
}

export function pdfUnavailable(htmlUrl: string | null, reason: string): AppError {
  const where = htmlUrl ? { en: ` The HTML version prints the same report from any browser: ${htmlUrl}`, zh: `可改用 HTML 版本（内容相同，可在浏览器中直接打印为 PDF）：${htmlUrl}` } : { en: ' Ask for format=html instead and print it from a browser.', zh: '请改用 format=html，在浏览器中打印为 PDF。' };
  return new AppError('ServiceUnavailable', 503, {
    en: `PDF reports need Chromium on the server (${reason}); install it with apt-get install -y chromium fonts-noto-cjk.${where.en}`,
    zh: `生成 PDF 报告需要服务器安装 Chromium 浏览器（${reason}），可用 apt-get install -y chromium fonts-noto-cjk 安装。${where.zh}`,
  });
}

export class PdfRenderer {
  readonly executablePath: string;
  private readonly maxPages: number;
  private readonly timeoutMs: number;
  private browser: Promise<Browser> | null = null;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  constructor(options: PdfRendererOptions = {}) {
    this.executablePath = options.executablePath ?? DEFAULT_CHROMIUM;
    this.maxPages = Math.max(1, options.maxPages ?? 2);
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** Why no PDF can be made here, or null. */
  unavailableReason(): string | null {
    return fs.existsSync(this.executablePath) ? null : `${this.executablePath} not found`;
  }

  private async launch(): Promise<Browser> {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: this.executablePath, args: CHROMIUM_ARGS, timeout: 60_000 });
    // A crashed browser is started again by the next request.
    browser.on('disconnected', () => {
      this.browser = null;
    });
    return browser;
  }

  private getBrowser(): Promise<Browser> {
    if (!this.browser) {
      const starting = this.launch();
      this.browser = starting;
      starting.catch(() => {
        if (this.browser === starting) this.browser = null;
      });
    }
    return this.browser;
  }

  private async acquire(): Promise<void> {
    if (this.active < this.maxPages) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** The PDF of a complete HTML document (`htmlUrl`: where the same report is as HTML, for the 503 message). */
  async render(html: string, htmlUrl: string | null = null): Promise<Buffer> {
    if (this.closed) throw new Error('PDF renderer closed');
    const reason = this.unavailableReason();
    if (reason) throw pdfUnavailable(htmlUrl, reason);
    await this.acquire();
    try {
      let browser: Browser;
      try {
        browser = await this.getBrowser();
      } catch (error) {
        throw pdfUnavailable(htmlUrl, `Chromium did not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
      const context = await browser.newContext({ locale: 'zh-CN', javaScriptEnabled: true });
      try {
        const page = await context.newPage();
        page.setDefaultTimeout(this.timeoutMs);
        // The report loads nothing from the network (inline styles and SVG); refuse any request it might make.
        await page.route('**/*', (route) => route.abort());
        await page.setContent(html, { waitUntil: 'load', timeout: this.timeoutMs });
        // Chinese glyphs come from system fonts; wait until they are loaded before printing.
        await page.evaluate('document.fonts.ready.then(() => true)');
        return await page.pdf({ preferCSSPageSize: true, printBackground: true, format: 'A4' });
      } finally {
        await context.close().catch(() => {});
      }
    } finally {
      this.release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const starting = this.browser;
    this.browser = null;
    if (starting) await starting.then((b) => b.close()).catch(() => {});
  }
}
