// The console (/console) in a real browser (Debian chromium via playwright-core), for every role, at a
// phone size inside WeCom's built-in browser (390×844, a `wxwork` user agent) and at a desktop size
// (1366×900), against the booted service (SQLite, FakeClock, sandbox channels) holding five months of
// follow-ups. Each person signs in the way they would (a single-use link, or the sandbox picker), opens
// every page of their menu and does one thing through the forms. Every page must: show its Chinese
// heading; fit the screen without horizontal scrolling; load nothing from another host; raise no
// console error or Content-Security-Policy violation; show phone numbers masked; and offer only the
// menu entries of the role. Full-page screenshots go to test-results/console/ for a person to look at.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { browserSkipNotice, launchChromium, skipBrowserTests } from '../support/browser.js';
import { createTestDb, type AdHocTestDb } from '../support/db.js';
import { createTestService, listen, seedOrganisation } from '../support/service.js';
import { dischargeBody, submit, tapCard, uniqueExternalId, uniquePhone } from '../support/builders.js';
import { buttonKey, deliveredCard, runJob } from '../support/e2e.js';
import { FakeClock } from '../../bot/clocks.js';
import type { Huifang } from '../../bot/huifang.js';
import { createSignInLink } from '../../bot/console/sign-in.js';

const SCREENSHOTS = join(import.meta.dirname, '../../test-results/console');

/** WeCom's built-in browser on Android (its user agent carries `wxwork`). */
const WECOM_USER_AGENT =
  'Mozilla/5.0 (Linux; Android 13; V2227A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/2468 wxwork/4.1.22 ColorScheme/Light MicroMessenger/7.0.1 NetType/WIFI Language/zh Lang/zh';

const SIZES = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, userAgent: WECOM_USER_AGENT },
  desktop: { viewport: { width: 1366, height: 900 }, isMobile: false, hasTouch: false },
} as const;
type Size = keyof typeof SIZES;

const ALL_MENU = ['工作台', '回访任务', '案例', '升级', '满意度', '客户', '日历', '策略', '审计', '设置'];

type Role = 'admin' | 'manager' | 'staff' | 'auditor';

/** What each role's menu holds. */
const MENUS: Record<Role, string[]> = {
  admin: ALL_MENU,
  manager: ALL_MENU.filter((m) => m !== '审计' && m !== '设置'),
  staff: ALL_MENU.filter((m) => m !== '满意度' && m !== '审计' && m !== '设置'),
  auditor: ALL_MENU.filter((m) => m !== '设置'),
};

/** A full 11-digit mainland mobile number anywhere in a text. */
const FULL_MOBILE = /(?<![0-9])1[3-9][0-9]{9}(?![0-9])/;

interface Fixture {
  /** An active phone task of 李护士's (cardiology), due today. */
  liActive: { caseId: string; externalId: string; customerName: string; customerId: string; followUpId: string };
  /** An active task of 吴助理's (service centre). */
  wuActive: { caseId: string; externalId: string; customerName: string };
  /** An open escalation in cardiology. */
  escalationId: string;
}

/** Patients and owners, in the order their cases are created. */
const PATIENTS = ['王秀英', '张伟', '李娜', '刘洋', '陈静', '杨磊', '黄敏', '赵丽', '周强', '吴芳', '徐明', '孙燕', '马军', '朱红', '胡斌', '郭婷', '何勇', '高洁', '林涛', '罗敏'];

describe.skipIf(skipBrowserTests)(`console in Chromium, every role at phone and desktop size${browserSkipNotice}`, () => {
  const clock = new FakeClock('2026-08-06T09:00:00+08:00');
  let db: AdHocTestDb;
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;
  let staff: Map<string, string>;
  let accounts: Record<'admin' | 'auditor', string>;
  let fixture: Fixture;
  let failed = false;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDb('sqlite');
    staff = await seedOrganisation(db);
    app = createTestService(db.url, db, clock);
    http = await listen(app);
    fixture = await seedFiveMonths();
    const admin = await app.console.auth.createFirstAdmin({ id: app.deps.ids.next(), name: '系统管理员', at: clock.now() });
    const auditor = await app.console.auth.ensureStaffConsoleUser({ id: app.deps.ids.next(), staffId: staff.get('yuanzhang.liu')!, name: '刘院长', at: clock.now() });
    await app.console.auth.setConsoleRole(auditor.id, 'auditor');
    accounts = { admin: admin!.id, auditor: auditor.id };
    browser = await launchChromium({ lang: 'zh-CN' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await http?.close();
    if (failed) {
      await db?.close();
      console.warn(`[console-browser] a test failed: kept ${db?.location} for debugging`);
    } else {
      await db?.destroy();
    }
  });

  let customerIndex = 0;
  function nextCustomer(): { name: string; phone: string } {
    const name = PATIENTS[customerIndex % PATIENTS.length]!;
    customerIndex++;
    return { name, phone: uniquePhone() };
  }

  /** A discharge a week ago (its phone task is due now) of `nurse`'s. */
  async function discharge(nurse: string) {
    const { name, phone } = nextCustomer();
    const externalId = uniqueExternalId('ZY');
    const occurredAt = new Date(clock.now().getTime() - 7 * 86_400_000).toISOString();
    const result = await submit(app, dischargeBody({ externalId, occurredAt, responsibleStaff: nurse, phone, customer: { externalId: `PAT-${externalId}`, name, salutation: `${name.slice(0, 1)}先生`, phone } }));
    return { caseId: result.caseId, externalId, customerName: name, step: 'phone' };
  }

  /** A property complaint handled yesterday, for 吴助理. */
  async function complaint() {
    const { name, phone } = nextCustomer();
    const externalId = uniqueExternalId('TS');
    const result = await submit(app, {
      type: 'property_complaint',
      externalId,
      occurredAt: new Date(clock.now().getTime() - 3 * 86_400_000).toISOString(),
      department: 'service-centre',
      responsibleStaff: 'zhuli.wu',
      customer: { externalId: `OWNER-${externalId}`, name, salutation: `${name.slice(0, 1)}女士`, phone },
      attributes: { severity: 'general' },
      milestones: { handled: new Date(clock.now().getTime() - 86_400_000).toISOString() },
    });
    return { caseId: result.caseId, externalId, customerName: name, step: 'complaint_followup' };
  }

  async function answer(c: { caseId: string; step: string }, who: string, action: 'satisfied' | 'dissatisfied') {
    const followUp = await db.prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId: c.caseId, step: c.step } } });
    const card = await deliveredCard(db.prisma, followUp.id, 1);
    const tapped = await tapCard(app, { wecomUserId: who, key: buttonKey(card.card, action) });
    expect(tapped.result?.status).toBe('PROCESSED');
    return followUp.id;
  }

  /**
   * August to December: each month three discharges and a complaint, mostly answered 满意, one 不满意
   * in October and one in December (open escalation); in December two tasks stay open and one of
   * November's is overdue.
   */
  async function seedFiveMonths(): Promise<Fixture> {
    const months = ['2026-08-06', '2026-09-07', '2026-10-08', '2026-11-06', '2026-12-07'];
    let fixture: Partial<Fixture> = {};
    for (const [i, day] of months.entries()) {
      clock.set(`${day}T09:00:00+08:00`);
      const li1 = await discharge('hushi.li');
      const li2 = await discharge('hushi.li');
      const zhou = await discharge('hushi.zhou');
      const wu = await complaint();
      await runJob(app, 'activate-due-follow-ups');
      await runJob(app, 'dispatch-outbox');
      clock.advance(2 * 3_600_000);
      const last = i === months.length - 1;
      await answer(li1, 'hushi.li', i === 2 || last ? 'dissatisfied' : 'satisfied');
      if (!last) {
        if (i !== 3) await answer(li2, 'hushi.li', 'satisfied');
        await answer(zhou, 'hushi.zhou', i === 1 ? 'dissatisfied' : 'satisfied');
        await answer(wu, 'zhuli.wu', 'satisfied');
      } else {
        const liFollowUp = await db.prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId: li2.caseId, step: 'phone' } } });
        const liCase = await db.prisma.case.findUniqueOrThrow({ where: { id: li2.caseId } });
        fixture = {
          liActive: { caseId: li2.caseId, externalId: li2.externalId, customerName: li2.customerName, customerId: liCase.customerId, followUpId: liFollowUp.id },
          wuActive: { caseId: wu.caseId, externalId: wu.externalId, customerName: wu.customerName },
          escalationId: (await db.prisma.escalation.findFirstOrThrow({ where: { followUp: { caseId: li1.caseId } } })).id,
        };
      }
      await runJob(app, 'dispatch-outbox');
    }
    await runJob(app, 'mark-overdue');
    await runJob(app, 'dispatch-outbox');
    clock.set('2026-12-07T11:30:00+08:00');
    return fixture as Fixture;
  }

  interface Opened {
    context: BrowserContext;
    page: Page;
    /** Console errors, page errors and CSP violations since the last check. */
    problems: string[];
    /** Every URL the page requested. */
    requests: string[];
  }

  async function open(size: Size): Promise<Opened> {
    const context = await browser.newContext({ ...SIZES[size], deviceScaleFactor: 1, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    context.setDefaultTimeout(15_000);
    const problems: string[] = [];
    const requests: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    context.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    // Chromium reports CSP violations as console errors too; the event names the directive.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
    return { context, page, problems, requests };
  }

  /** Signs in as a person would: administrators and auditors by a single-use link, staff by the sandbox picker. */
  async function signIn(o: Opened, role: Role): Promise<void> {
    const { page } = o;
    if (role === 'admin' || role === 'auditor') {
      const { url } = await createSignInLink(app, accounts[role]);
      const token = new URL(url).searchParams.get('t')!;
      await page.goto(`${http.baseUrl}/console/login/link?t=${token}`);
      await signInPageShot(o, role);
      await page.getByRole('button', { name: '登录' }).click();
    } else {
      // Inside WeCom's browser without WeCom connected, the sign-in page offers the sandbox picker.
      await page.goto(`${http.baseUrl}/console/login`);
      await signInPageShot(o, role);
      await page.getByLabel('员工').selectOption({ label: role === 'manager' ? '王主任（kezhuren.wang）' : '李护士（hushi.li）' });
      await page.getByRole('button', { name: '登录' }).click();
    }
    await page.waitForURL(`${http.baseUrl}/console`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('工作台');
  }

  /** The sign-in page fits the screen too, raises nothing, loads nothing from elsewhere; its screenshot. */
  async function signInPageShot(o: Opened, role: Role): Promise<void> {
    const { page } = o;
    const width = page.viewportSize()!.width;
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    expect(widths).toEqual({ scroll: expect.any(Number), inner: width });
    expect(widths.scroll).toBeLessThanOrEqual(width);
    expect(o.requests.filter((u) => !u.startsWith(`${http.baseUrl}/`))).toEqual([]);
    expect(o.problems).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, `${role}-sign-in-${width === 390 ? 'phone' : 'desktop'}.png`), fullPage: true });
  }

  /** The checks every page passes, then its screenshot. */
  async function checkPage(o: Opened, role: Role, name: string, size: Size, heading: string | RegExp): Promise<void> {
    const { page } = o;
    await page.waitForLoadState('load');
    const h1 = (await page.locator('main h1').textContent())?.trim() ?? '';
    if (typeof heading === 'string') expect(h1, `${role} ${name}`).toBe(heading);
    else expect(h1, `${role} ${name}`).toMatch(heading);
    // Against the screen's width, not innerWidth: a mobile browser zooms out to fit a page that is too
    // wide, which widens innerWidth with it.
    const screenWidth = SIZES[size].viewport.width;
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    expect(widths.inner, `${role} ${name} ${size}: the browser zoomed out to fit the page`).toBe(screenWidth);
    expect(widths.scroll, `${role} ${name} ${size}: page wider than the screen`).toBeLessThanOrEqual(screenWidth);
    // Images (the chart) must have loaded.
    const broken = await page.locator('img').evaluateAll((imgs) => imgs.filter((i) => !(i as HTMLImageElement).complete || (i as HTMLImageElement).naturalWidth === 0).map((i) => (i as HTMLImageElement).src));
    expect(broken, `${role} ${name}: images not loaded`).toEqual([]);
    const text = await page.locator('body').innerText();
    expect(text.match(FULL_MOBILE)?.[0], `${role} ${name}: an unmasked phone number`).toBeUndefined();
    // Form fields too, the policy simulator's example case included (shown without its phone number).
    const values = await page.locator('input:not([type=hidden]), textarea, select').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value).join(' '));
    expect(values.match(FULL_MOBILE)?.[0], `${role} ${name}: an unmasked phone number in a form field`).toBeUndefined();
    const menu = await page.locator('nav.menu a').allTextContents();
    expect(menu.map((m) => m.trim()), `${role} ${name}: menu`).toEqual(MENUS[role]);
    const foreign = o.requests.filter((u) => !u.startsWith(`${http.baseUrl}/`));
    expect(foreign, `${role} ${name}: requests to other hosts`).toEqual([]);
    expect(o.problems, `${role} ${name}: console errors`).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, `${role}-${name}-${size}.png`), fullPage: true });
  }

  /** Follows a menu entry, as a person taps it. */
  async function menu(o: Opened, entry: string): Promise<void> {
    const { page } = o;
    await Promise.all([page.waitForURL(/\/console/), page.locator('nav.menu').getByRole('link', { name: entry, exact: true }).click()]);
  }

  async function visitAll(role: Role, size: Size): Promise<void> {
    const o = await open(size);
    try {
      await signIn(o, role);
      const { page } = o;
      await checkPage(o, role, 'dashboard', size, '工作台');

      await menu(o, '回访任务');
      await checkPage(o, role, 'follow-ups', size, '回访任务');

      await menu(o, '案例');
      await checkPage(o, role, 'cases', size, '案例');
      const detail = role === 'staff' || role === 'manager' ? fixture.liActive : fixture.liActive;
      await page.locator('main').getByRole('link', { name: detail.externalId }).click();
      await checkPage(o, role, 'case', size, `案例 ${detail.externalId}`);

      await menu(o, '升级');
      await checkPage(o, role, 'escalations', size, '升级');
      if (role !== 'staff') {
        await page.goto(`${http.baseUrl}/console/escalations/${fixture.escalationId}`);
        await checkPage(o, role, 'escalation', size, /^升级：/);
      }

      if (MENUS[role].includes('满意度')) {
        await menu(o, '满意度');
        await checkPage(o, role, 'satisfaction', size, '满意度');
        const chart = page.locator('.chart img');
        expect(await chart.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
      }

      await menu(o, '客户');
      await checkPage(o, role, 'customers', size, '客户');
      await page.getByLabel('搜索').fill(fixture.liActive.customerName);
      await page.getByRole('button', { name: '筛选' }).click();
      await page.locator('main').getByRole('link', { name: fixture.liActive.customerName, exact: true }).first().click();
      await checkPage(o, role, 'customer', size, fixture.liActive.customerName);

      await menu(o, '日历');
      await checkPage(o, role, 'calendar', size, '2026 年工作日历');

      await menu(o, '策略');
      await checkPage(o, role, 'policies', size, '策略');
      await page.locator('main').getByRole('link', { name: 'P4', exact: true }).click();
      await page.getByRole('button', { name: '模拟' }).click();
      await page.getByRole('heading', { name: '模拟结果' }).waitFor();
      await checkPage(o, role, 'policy-simulation', size, /^P4 /);

      if (MENUS[role].includes('审计')) {
        await menu(o, '审计');
        await checkPage(o, role, 'audit', size, '审计');
      }
      if (MENUS[role].includes('设置')) {
        await menu(o, '设置');
        await checkPage(o, role, 'settings', size, '设置');
      }
      // Pages outside the role are refused, not just hidden.
      for (const [entry, path] of [['满意度', '/console/satisfaction'], ['审计', '/console/audit'], ['设置', '/console/settings']] as const) {
        if (MENUS[role].includes(entry)) continue;
        const res = await page.goto(`${http.baseUrl}${path}`);
        expect(res?.status(), `${role} → ${path}`).toBe(403);
        o.problems.length = 0; // the browser logs the 403 itself
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      await o.context.close();
    }
  }

  for (const role of ['admin', 'manager', 'staff', 'auditor'] as const) {
    for (const size of ['phone', 'desktop'] as const) {
      it(`${role} opens every page of the menu at ${size} size`, async () => {
        await visitAll(role, size);
      }, 120_000);
    }
  }

  /** Runs an action test, keeping the database if it fails. */
  async function acting(size: Size, role: Role, fn: (o: Opened) => Promise<void>): Promise<void> {
    const o = await open(size);
    try {
      await signIn(o, role);
      await fn(o);
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      await o.context.close();
    }
  }

  it('the manager reassigns 李护士’s open task to 周护士 through the form on a phone', async () => {
    await acting('phone', 'manager', async (o) => {
      const { page } = o;
      await menu(o, '回访任务');
      await page.getByLabel('搜索').fill(fixture.liActive.customerName);
      await page.getByRole('button', { name: '筛选' }).click();
      const task = page.locator('table.rows tbody tr', { hasText: fixture.liActive.customerName }).filter({ hasText: '出院电话回访' });
      await task.getByRole('checkbox', { name: `选择 ${fixture.liActive.customerName}` }).check();
      await page.getByLabel('转派给').selectOption({ label: '周护士' });
      await page.getByLabel('说明（可选）').fill('李护士休假');
      await page.getByRole('button', { name: '转派', exact: true }).click();
      await page.getByRole('status').filter({ hasText: '已转派 1 条回访' }).waitFor();
      const row = page.locator('table.rows tbody tr', { hasText: fixture.liActive.customerName }).filter({ hasText: '出院电话回访' });
      await expect.poll(() => row.locator('td[data-label="负责人"]').innerText()).toContain('周护士');
      await checkPage(o, 'manager', 'reassigned', 'phone', '回访任务');
      const moved = await db.prisma.followUp.findUniqueOrThrow({ where: { id: fixture.liActive.followUpId } });
      expect(moved.assigneeId).toBe(staff.get('hushi.zhou'));
    });
  }, 60_000);

  it('李护士 opens her own task from 回访任务 and sees its case timeline', async () => {
    await acting('phone', 'staff', async (o) => {
      const { page } = o;
      await menu(o, '回访任务');
      await page.getByLabel('状态').selectOption({ label: '未完成' });
      await page.getByRole('button', { name: '筛选' }).click();
      const rows = page.locator('table.rows tbody tr');
      // Only her own tasks: every row names her as the person responsible.
      const assignees = await rows.locator('td[data-label="负责人"]').allInnerTexts();
      expect(assignees.length).toBeGreaterThan(0);
      for (const a of assignees) expect(a).toContain('李护士');
      const name = (await rows.first().locator('td[data-label="客户"] a').innerText()).trim();
      await rows.first().locator('td[data-label="客户"] a').click();
      await page.locator('main h1', { hasText: /^案例 / }).waitFor();
      expect(await page.locator('dl.facts').innerText()).toContain(name);
      expect(await page.locator('ol.timeline').innerText()).toContain('回访推送');
      await checkPage(o, 'staff', 'own-task', 'phone', /^案例 /);
    });
  }, 60_000);

  it('the administrator adds a closure day to the calendar on the desktop', async () => {
    await acting('desktop', 'admin', async (o) => {
      const { page } = o;
      await menu(o, '日历');
      await page.getByLabel('日期').fill('2026-12-31');
      await page.getByLabel('类型').selectOption('closure');
      await page.getByLabel('名称').fill('年终盘点');
      await page.getByRole('button', { name: '添加', exact: true }).click();
      await page.locator('main h1', { hasText: '2026 年工作日历' }).waitFor();
      await page.locator('table.rows tbody tr', { hasText: '年终盘点' }).waitFor();
      expect(await page.locator('table.rows tbody tr', { hasText: '年终盘点' }).innerText()).toContain('本单位停业');
      expect(await page.locator('.cal [title="2026-12-31 年终盘点"]').getAttribute('class')).toContain('closed');
      await checkPage(o, 'admin', 'calendar-closure', 'desktop', '2026 年工作日历');
      expect(app.deps.calendar.dayInfo('2026-12-31').kind).toBe('closure');
    });
  }, 60_000);

  it('the administrator imports a year\'s holiday schedule from a file on the phone: preview first, then installed', async () => {
    const file = ['years:', '  - year: 2099', '    source: 国务院办公厅关于2099年部分节假日安排的通知（测试用）', '    holidays:', '      - name: 国庆节', '        from: 2099-10-01', '        to: 2099-10-07', '    makeupWorkdays:', '      - date: 2099-10-10', '        holiday: 国庆节', ''].join('\n');
    await acting('phone', 'admin', async (o) => {
      const { page } = o;
      await menu(o, '日历');
      await page.getByLabel('年份').fill('2099');
      await page.getByLabel('选择文件（.yaml）').setInputFiles({ name: '2099.yaml', mimeType: 'text/yaml', buffer: Buffer.from(file) });
      await page.waitForFunction(() => (document.getElementById('import-content') as HTMLTextAreaElement | null)?.value.includes('国庆节'));
      await page.getByRole('button', { name: '检查并预览' }).click();
      await page.locator('main h1', { hasText: '导入 2099 年节假日安排' }).waitFor();
      expect(await page.locator('main').innerText()).toContain('检查通过（2099.yaml）');
      expect(app.deps.calendar.isCovered(2099)).toBe(false);
      await checkPage(o, 'admin', 'calendar-import-preview', 'phone', '导入 2099 年节假日安排');
      await page.getByRole('button', { name: '确认导入' }).click();
      await page.locator('main h1', { hasText: '2099 年工作日历' }).waitFor();
      expect(await page.locator('main').innerText()).toContain('已导入 2099 年节假日安排');
      await checkPage(o, 'admin', 'calendar-imported', 'phone', '2099 年工作日历');
      expect(app.deps.calendar.isWorkingDay('2099-10-10')).toBe(true);
    });
  }, 60_000);

  it('the auditor opens a case and finds that view in the audit log, with no form to change anything', async () => {
    await acting('phone', 'auditor', async (o) => {
      const { page } = o;
      await page.goto(`${http.baseUrl}/console/escalations/${fixture.escalationId}`);
      expect(await page.locator('main').innerText()).toContain('只读账号');
      expect(await page.locator('main form[method="post"]').count()).toBe(0);
      await page.goto(`${http.baseUrl}/console/cases/${fixture.wuActive.caseId}`);
      await page.locator('main h1', { hasText: fixture.wuActive.externalId }).waitFor();
      await menu(o, '审计');
      await page.getByLabel('操作人').selectOption({ label: '刘院长' });
      await page.getByLabel('事项').selectOption({ label: '查看客户' });
      await page.getByRole('button', { name: '筛选' }).click();
      const rows = page.locator('table.rows tbody tr');
      await rows.first().waitFor();
      const first = await rows.first().innerText();
      expect(first).toContain('刘院长');
      expect(first).toContain('查看客户');
      await checkPage(o, 'auditor', 'audit-views', 'phone', '审计');
    });
  }, 60_000);
});
