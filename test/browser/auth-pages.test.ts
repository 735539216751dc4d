/// <reference lib="dom" />
/**
 * The login and admin pages in Chromium with authentication required: the
 * strict CSP (no inline script) holds, a one-time password must be replaced,
 * the map then loads its data with the session cookie, and the admin page
 * creates a user. Any CSP violation would appear as a console error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.ts';
import { DEFAULT_AUTH } from '../../server/config.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { createTestUser } from '../helpers/auth.ts';
import { browserUnavailableReason, launchBrowser, screenshot } from './helpers.ts';

const unavailable = browserUnavailableReason();

describe.skipIf(unavailable !== null)('login and admin pages in Chromium (authentication required)', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let url: string;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await buildApp({
      config: { logLevel: 'silent', auth: { ...DEFAULT_AUTH, mode: 'required', rateLimits: { login: 0, expensive: 0, api: 0 } } },
      db,
      closeDatabase: false,
      web: true,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    url = `http://127.0.0.1:${address.port}`;
    await createTestUser(app, { role: 'admin', name: 'chief', password: 'one-time-4711-abc', mustChangePassword: true });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.dispose();
  });

  it('logs in, replaces the one-time password and reaches the map with its data', async () => {
    await page.goto(`${url}/login?next=/`);
    await page.fill('#name', 'chief');
    await page.fill('#password', 'wrong password here');
    await page.click('#login button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#login-error')?.textContent?.includes('登录名或密码错误'));
    await page.fill('#password', 'one-time-4711-abc');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#change:not([hidden])');
    await screenshot(page, 'auth-change-password');
    await page.fill('#new1', 'my own passphrase 2025');
    await page.fill('#new2', 'my own passphrase 2025');
    await page.click('#change button[type=submit]');
    await page.waitForURL(`${url}/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    // The map app, signed in: the user in the top bar, the region's overview loaded with the session.
    expect(await page.locator('.user-chip').textContent()).toContain('测试admin');
    await page.waitForSelector('.overview ol.worst li', { timeout: 60_000 });
    expect(await page.locator('.overview table.rollup tbody tr').count()).toBe(12); // the 12 leagues
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'planner_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Failed login attempts print a 401 in the console; nothing else may.
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
  });

  it('the map app shows its own login view without a session, then loads with the new one', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
    const fresh = await context.newPage();
    const pageErrors: string[] = [];
    fresh.on('pageerror', (e) => pageErrors.push(e.message));
    await fresh.goto(`${url}/`);
    await fresh.waitForSelector('#login-form');
    expect(await fresh.locator('#login-title').textContent()).toBe('登录');
    await fresh.fill('#login-name', 'chief');
    await fresh.fill('#login-password', 'not the password');
    await fresh.click('#login-form button[type=submit]');
    await fresh.waitForSelector('#login-error');
    await screenshot(fresh, 'app-login');
    await fresh.fill('#login-password', 'my own passphrase 2025');
    await fresh.click('#login-form button[type=submit]');
    await fresh.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    expect(await fresh.locator('#login').isHidden()).toBe(true);
    expect(await fresh.locator('.user-chip').textContent()).toContain('测试admin');
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('administers users from /admin', async () => {
    errors.length = 0;
    await page.goto(`${url}/admin`);
    await page.waitForFunction(() => document.querySelectorAll('#users tr').length >= 1);
    await page.fill('#c-name', 'wang.li');
    await page.fill('#c-display', '王丽');
    await page.selectOption('#c-role', 'editor');
    await page.fill('#c-unit', '150430');
    await page.click('#create button[type=submit]');
    await page.waitForSelector('#secret:not([hidden])');
    expect(await page.locator('#secret').textContent()).toMatch(/wang\.li 的一次性密码 \/ one-time password: \S{19}/);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#users td')).some((td) => td.textContent?.includes('150430 敖汉旗')));
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#audit td')).some((td) => td.textContent === 'user.password_change'));
    await screenshot(page, 'auth-admin');
    expect(errors).toEqual([]);
    const row = await db.db.selectFrom('app_user').select(['role', 'unit_code']).where('name', '=', 'wang.li').executeTakeFirstOrThrow();
    expect(row).toEqual({ role: 'editor', unit_code: '150430' });
  });
});
