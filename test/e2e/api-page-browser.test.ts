// The API page (GET /api) in a real browser (Debian chromium via playwright-core) on a phone-sized
// viewport: Chinese first, every endpoint, parameter and field of /openapi.json on it, no horizontal
// scroll, and nothing blocked or loaded from elsewhere under its content security policy.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { FakeClock } from '../../bot/clocks.js';
import type { Huifang } from '../../bot/huifang.js';
import { describeEachDatabase } from '../support/db.js';
import { browserSkipNotice, launchChromium, skipBrowserTests } from '../support/browser.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';

interface Doc {
  paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

describe('GET /api', () => {
  describeEachDatabase('headers', (db) => {
    let server: { baseUrl: string; close(): Promise<void> };
    beforeAll(async () => {
      await seedOrganisation(db());
      server = await listen(createTestService(db().url, sharedDbClient(db()), new FakeClock('2026-11-03T16:00:00+08:00')));
    });
    afterAll(async () => {
      await server?.close();
    });

    it('is public HTML under a content security policy that allows no script and nothing remote', async () => {
      const res = await fetch(`${server.baseUrl}/api`);

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('script-src');
      expect(csp).not.toMatch(/https?:/);
      const html = await res.text();
      expect(html).not.toMatch(/<script|<link|<img|https?:\/\/(?!127\.0\.0\.1|localhost)/);
    });
  });
});

describe.skipIf(skipBrowserTests)(`API page in Chromium (390×844)${browserSkipNotice}`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describeEachDatabase('API page', (db) => {
    let app: Huifang;
    let server: { baseUrl: string; close(): Promise<void> };
    let context: BrowserContext;

    beforeAll(async () => {
      await seedOrganisation(db());
      app = createTestService(db().url, sharedDbClient(db()), new FakeClock('2026-11-03T16:00:00+08:00'));
      server = await listen(app);
      context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
      context.setDefaultTimeout(15_000);
    });
    afterAll(async () => {
      await context?.close();
      await server?.close();
    });

    it('shows every endpoint, parameter and field of /openapi.json, Chinese first, without horizontal scroll', async () => {
      const doc = (await (await fetch(`${server.baseUrl}/openapi.json`)).json()) as Doc;
      const page = await context.newPage();
      const blocked: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') blocked.push(m.text());
      });
      page.on('request', (r) => requests.push(r.url()));

      await page.goto(`${server.baseUrl}/api`);
      await page.getByRole('heading', { level: 1, name: /接口说明/ }).waitFor();

      // Chinese first: the title, each summary and the overview lead with Chinese.
      expect(await page.locator('h1').textContent()).toMatch(/^Huifang（回访）API 接口说明/);
      expect(await page.locator('section.card p').first().textContent()).toMatch(/^Huifang（回访）的集成接口/);
      const link = page.getByRole('link', { name: '/openapi.json' });
      expect(await link.getAttribute('href')).toBe('/openapi.json');

      const text = (await page.locator('main').textContent()) ?? '';
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          await page.getByRole('heading', { level: 2, name: new RegExp(`^${method.toUpperCase()}\\s*${path.replace(/[{}]/g, '\\$&')}$`) }).waitFor();
          for (const p of op.parameters ?? []) expect(text, `${method} ${path} parameter ${p.name}`).toContain(p.name);
        }
      }
      for (const field of ['customer.name', 'customer.phone', 'occurredAt', 'milestones', 'followUps', 'nextCursor', 'error.code', 'error.details.fields[].field']) {
        expect(await page.locator('ul.fields code', { hasText: new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}$`) }).count(), field).toBeGreaterThan(0);
      }
      for (const name of Object.keys(doc.components.schemas).filter((n) => n !== 'CaseBody')) {
        await page.locator(`#s-${name}`).waitFor();
      }
      for (const code of ['401', '404', '413', '422']) expect(await page.locator('.sc', { hasText: code }).count(), code).toBeGreaterThan(0);

      const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      expect(width.scroll, 'no horizontal scroll at 390 px').toBeLessThanOrEqual(width.client);
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: `test-results/api-page-${db().provider}.png` });
      await page.locator('#op-listFollowUps').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `test-results/api-page-follow-ups-${db().provider}.png` });
      // Every example and error example opened still fits.
      for (const summary of await page.locator('summary').all()) await summary.click();
      const opened = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(opened, 'no horizontal scroll with every example open').toBeLessThanOrEqual(width.client);
      await page.screenshot({ path: `test-results/api-page-full-${db().provider}.png`, fullPage: true });

      expect(blocked, 'nothing blocked by the content security policy').toEqual([]);
      expect(requests.every((u) => u.startsWith(server.baseUrl)), requests.join('\n')).toBe(true);
      await page.close();
    });
  });
});
