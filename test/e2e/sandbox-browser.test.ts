// The /sandbox page in a real browser (Debian chromium via playwright-core), on a phone-sized
// viewport, against the booted service (SQLite, FakeClock, sandbox channels). A person loads the
// example organisation, creates a case, runs the jobs, taps a task card as the nurse and answers the
// survey SMS as the patient; the database must show exactly one state change per action, replays included.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestDb, type AdHocTestDb } from '../support/db.js';
import { browserSkipNotice, launchChromium, skipBrowserTests } from '../support/browser.js';
import { loadConfig } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import { FakeClock } from '../../bot/clocks.js';
import { createHuifang, type Huifang } from '../../bot/huifang.js';
import { createHttpApp } from '../../bot/http/app.js';
import { buildDigest, digestFollowUps } from '../../bot/core/digests/build-digest.js';
import { buildDigestDocument } from '../../bot/core/digests/digest-document.js';
import type { TaskCard } from '../../bot/core/messages.js';

/** 09:00 in Asia/Shanghai: a 7-day-old discharge's phone task and its day-3 survey are both due. */
const START = '2026-11-10T01:00:00Z';

interface RunningSandbox {
  app: Huifang;
  db: AdHocTestDb;
  clock: FakeClock;
  page: Page;
}

/** Boots the service the way startService does (minus cron), on an ephemeral port, and opens /sandbox. */
async function openSandbox(browser: Browser): Promise<RunningSandbox> {
  const db = await createTestDb('sqlite');
  const clock = new FakeClock(START);
  const config = loadConfig({ DATABASE_URL: db.url, PORT: '3000', HUIFANG_TIMEZONE: 'Asia/Shanghai' });
  const app = createHuifang({ config, logger: createLogger({ level: 'silent' }), db, clock });
  const koa = createHttpApp(app);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = koa.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  context.setDefaultTimeout(15_000);
  onTestFinished(async ({ task }) => {
    await context.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (task.result?.state === 'fail') {
      await db.close();
      console.warn(`[sandbox-browser] a test failed: kept ${db.location} for debugging`);
    } else {
      await db.destroy();
    }
  });
  const page = await context.newPage();
  const { port } = server.address() as AddressInfo;
  await page.goto(`http://127.0.0.1:${port}/sandbox`);
  return { app, db, clock, page };
}

/** Clicks a toolbar button and waits for the status line to report the outcome. */
async function clickAndWaitForStatus(page: Page, button: string, expected: string): Promise<void> {
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.locator('#status', { hasText: expected }).waitFor();
}

/** The example organisation, one discharge case (7 days ago) and one round of jobs, through the page. */
async function prepareDischargeCase(page: Page): Promise<void> {
  await page.getByRole('button', { name: '载入示例机构' }).waitFor();
  await clickAndWaitForStatus(page, '载入示例机构', '已载入示例机构');
  await page.locator('#setup').waitFor({ state: 'hidden' });
  await clickAndWaitForStatus(page, '新建出院病例', '已新建出院病例');
  await clickAndWaitForStatus(page, '立即运行定时任务', '定时任务已运行');
}

describe.skipIf(skipBrowserTests)(`sandbox page in Chromium (390×844)${browserSkipNotice}`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('records a nurse’s dissatisfied tap once, escalates it to the head nurse, and shows the card as handled', async () => {
    const { app, db, clock, page } = await openSandbox(browser);
    const prisma = db.prisma;

    await page.getByRole('button', { name: '载入示例机构' }).waitFor();
    await page.screenshot({ path: '/tmp/sandbox-setup.png' });
    // Before the organisation exists, creating a case explains what to do first.
    await clickAndWaitForStatus(page, '新建出院病例', '示例机构尚未载入，请先点击「载入示例机构」');
    expect(await prisma.case.count()).toBe(0);

    await prepareDischargeCase(page);
    const inbox = page.locator('[data-staff="hushi.li"]');
    await inbox.getByRole('heading', { name: '李护士' }).waitFor();
    const card = inbox.locator('li.tcard');
    await card.waitFor();
    expect(await card.count()).toBe(1);
    const taskId = await card.getAttribute('data-task-id');
    const followUp = await prisma.followUp.findFirstOrThrow({ where: { step: 'phone' }, include: { assignee: true } });
    expect(taskId).toBe(`fu_${followUp.id}_1`);
    expect(followUp).toMatchObject({ status: 'ACTIVE', assignee: { wecomUserId: 'hushi.li' } });

    const dissatisfied = card.getByRole('button', { name: '已回访·不满意' });
    const key = await dissatisfied.getAttribute('data-key');
    expect(key).toBe(`dissatisfied:${followUp.id}:1`);
    await dissatisfied.click();
    await card.locator('.outcome', { hasText: '已记录：已回访·不满意（已升级给上级处理）' }).waitFor();
    // Until the card update arrives, the page already refuses a second tap.
    expect(await card.locator('button:not([disabled])').count()).toBe(0);

    const inboundFor = () => prisma.inboundEvent.findMany({ where: { kind: 'staff_card_action', payload: { contains: taskId! } }, orderBy: { receivedAt: 'asc' } });
    const done = await prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } });
    expect(done).toMatchObject({ status: 'DONE', outcome: 'DISSATISFIED', attempts: 1 });
    expect(done.version).toBeGreaterThan(followUp.version);
    const events = await inboundFor();
    expect(events.map((e) => e.status)).toEqual(['PROCESSED']);
    const escalations = await prisma.escalation.findMany({ where: { followUpId: followUp.id }, include: { owner: true } });
    expect(escalations.map((e) => e.owner.wecomUserId)).toEqual(['hushizhang.chen']);
    expect(escalations[0]!.owner.name).toBe('陈护士长');

    // Replays: the same tap within the same second is the same WeCom event (deduplicated by the inbox);
    // a later one is a new event that finds the outcome already recorded.
    const replay = () =>
      page.evaluate(async (body) => {
        const res = await fetch('/sandbox/api/tap', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return (await res.json()) as { duplicate: boolean; result: { status: string; result: { status?: string } | null } | null };
      }, { wecomUserId: 'hushi.li', taskId: taskId!, key: key! });
    expect(await replay()).toMatchObject({ duplicate: true, result: null });
    expect(await inboundFor()).toHaveLength(1);
    clock.advance(5_000);
    expect(await replay()).toMatchObject({ duplicate: false, result: { status: 'PROCESSED', result: { status: 'already_recorded' } } });
    const after = await prisma.followUp.findUniqueOrThrow({ where: { id: followUp.id } });
    expect(after.version).toBe(done.version);
    expect(await inboundFor()).toHaveLength(2);
    expect(await prisma.escalation.count({ where: { followUpId: followUp.id } })).toBe(1);
    expect(await prisma.outboxMessage.count({ where: { followUpId: followUp.id, kind: 'card_update' } })).toBe(1);

    // The next round of jobs delivers the card update and the escalation notice.
    await clickAndWaitForStatus(page, '立即运行定时任务', '发出消息 2 条');
    const handled = card.getByRole('button', { name: '已回访·不满意·李护士' });
    await handled.waitFor();
    expect(await handled.isDisabled()).toBe(true);
    expect(await card.getAttribute('data-handled')).toBe('updated');
    // The head nurse receives the escalation as a card: acknowledge button, 详情 link to resolve it.
    const notice = page.locator('[data-staff="hushizhang.chen"] [data-task-id^="esc_"]');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('客户不满意');
    expect(await notice.getByRole('button', { name: '确认受理' }).count()).toBe(1);
    expect(await notice.getByRole('link', { name: '详情 ›' }).getAttribute('href')).toMatch(/\/e\/[0-9A-Z]+_1\./);

    // Phone numbers appear masked only.
    const html = await page.content();
    expect(html).toContain('138****0001');
    expect(html).not.toMatch(/13800000001/);
    await page.screenshot({ path: '/tmp/sandbox-staff.png', fullPage: true });
  });

  it('records a patient’s SMS reply “5” as a fully satisfied survey answer', async () => {
    const { app, db, page } = await openSandbox(browser);
    const prisma = db.prisma;
    await prepareDischargeCase(page);

    const discharge = await prisma.case.findFirstOrThrow({ where: { type: 'discharge' }, include: { customer: true } });
    const phone = page.locator(`[data-customer="${discharge.customerId}"]`);
    await phone.locator('li.bubble', { hasText: '请回复5至1' }).waitFor();
    const survey = await prisma.followUp.findFirstOrThrow({ where: { caseId: discharge.id, step: 'survey' } });
    expect(survey.status).toBe('ACTIVE');

    await phone.getByLabel(`以${discharge.customer.name}的身份回复短信`).fill('5');
    await phone.getByRole('button', { name: '发送' }).click();
    await phone.locator('.outcome', { hasText: '「5」— 已记录：5分（满意）' }).waitFor();

    const responses = await prisma.surveyResponse.findMany({ where: { survey: { followUpId: survey.id } } });
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ score: 1, satisfaction: 'SATISFIED', channel: 'sms', rawText: '5' });
    expect(await prisma.followUp.findUniqueOrThrow({ where: { id: survey.id } })).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });
    expect(await phone.getByLabel(`以${discharge.customer.name}的身份回复短信`).inputValue()).toBe('');

    await page.screenshot({ path: '/tmp/sandbox.png', fullPage: true });
  });

  it('shows a weekly digest as WeCom shows it — bold, colours, links — and an old markdown digest too', async () => {
    const { app, db, page } = await openSandbox(browser);
    /** Sends through the sandbox's WeCom channel and records the delivery, as the outbox's SENT outcome does in the same commit. */
    const deliver = async (request: Parameters<typeof app.channels.wecom.send>[0]) => {
      const { recordedDelivery } = await app.channels.wecom.send(request);
      await db.prisma.sandboxDelivery.create({ data: recordedDelivery! });
    };
    await page.getByRole('button', { name: '载入示例机构' }).waitFor();
    await clickAndWaitForStatus(page, '载入示例机构', '已载入示例机构');
    const at = (local: string) => new Date(`${local}+08:00`);
    const digest = buildDigest({
      manager: { name: '王主任' },
      period: { from: at('2026-11-02T00:00:00'), to: at('2026-11-09T00:00:00'), timeZone: 'Asia/Shanghai' },
      asOf: at('2026-11-09T08:00:00'),
      departments: ['心内科病区'],
      ...digestFollowUps(
        [
          { id: 'a', status: 'DONE', outcome: 'SATISFIED', action: 'STAFF_TASK', assigneeName: '李护士', departmentName: '心内科病区', dueAt: at('2026-11-03T09:00:00'), deadlineAt: at('2026-11-04T23:59:00'), completedAt: at('2026-11-04T10:00:00') },
          { id: 'b', status: 'OVERDUE', outcome: null, action: 'STAFF_TASK', assigneeName: '周护士', departmentName: '心内科病区', dueAt: at('2026-11-03T09:00:00'), deadlineAt: at('2026-11-05T23:59:00'), completedAt: null },
        ],
        { from: at('2026-11-02T00:00:00'), to: at('2026-11-09T00:00:00') },
        at('2026-11-09T08:00:00'),
      ),
      openEscalations: [],
      previousSatisfactionRate: null,
    });
    const document = buildDigestDocument(digest, app.deps.templates, { detailUrl: 'http://127.0.0.1/d/2026-W45~X.sig' });
    const to = { staffId: 'S-wang', wecomUserId: 'kezhuren.wang' };
    await deliver({ messageId: 'OB-doc', idempotencyKey: 'digest:doc', attempt: 1, message: { kind: 'staff_document', to, document } });
    // An outbox row of an earlier version, stored as WeCom markdown.
    const markdown = '### 回访月报｜心内科病区｜2026年10月\n> 上报截止 2026-11-05 16:00（节假日不顺延）\n\n**应回访 3 项**：已完成 2\n低于70%（批评教育）：<font color="warning">周护士</font>\n[下载 Excel 报表](http://127.0.0.1/r/x.sig)';
    await deliver({ messageId: 'OB-md', idempotencyKey: 'report:md', attempt: 1, message: { kind: 'staff_markdown', to, markdown } });

    const inbox = page.locator('[data-staff="kezhuren.wang"]');
    const weekly = inbox.locator('li[data-kind="staff_document"]');
    await weekly.waitFor();
    await weekly.getByRole('heading', { name: '回访周报｜心内科病区' }).waitFor();
    expect(await weekly.locator('strong', { hasText: '应回访 2 项' }).count()).toBe(1);
    const overdue = weekly.locator('.warning', { hasText: '逾期 1' }).first();
    expect(await overdue.evaluate((e) => getComputedStyle(e).color)).toBe('rgb(194, 65, 12)');
    expect(await weekly.getByRole('link', { name: '查看完整周报（全部人员、科室与清单）' }).getAttribute('href')).toBe('http://127.0.0.1/d/2026-W45~X.sig');
    expect(await weekly.locator('h5', { hasText: '按人员（员工回访）' }).count()).toBe(1);
    const text = await weekly.innerText();
    expect(text).not.toMatch(/###|<font|\*\*|\]\(/);

    const monthly = inbox.locator('li[data-kind="staff_markdown"]');
    await monthly.getByRole('heading', { name: '回访月报｜心内科病区｜2026年10月' }).waitFor();
    expect(await monthly.locator('blockquote', { hasText: '上报截止 2026-11-05 16:00' }).count()).toBe(1);
    expect(await monthly.locator('strong', { hasText: '应回访 3 项' }).count()).toBe(1);
    expect(await monthly.locator('.warning', { hasText: '周护士' }).count()).toBe(1);
    expect(await monthly.getByRole('link', { name: '下载 Excel 报表' }).getAttribute('href')).toBe('http://127.0.0.1/r/x.sig');
    expect(await monthly.innerText()).not.toMatch(/###|<font|\*\*|\]\(|^> /m);
    // A task card that arrives after the digests is still listed before them: work first, reading after.
    const card: TaskCard = { taskId: 'fu_T1_1', source: '仁和医院', title: '出院回访：王秀英', description: '请电话回访', subtitle: '', fields: [], buttons: [{ key: 'satisfied:T1:1', text: '满意', style: 1 }], detailUrl: null };
    await deliver({ messageId: 'OB-card', idempotencyKey: 'fu:T1:1', attempt: 1, message: { kind: 'task_card', to, card } });
    await inbox.locator('li.tcard').first().waitFor();
    const kinds = await inbox.locator('ol.msgs > li').evaluateAll((items) => items.map((li) => li.getAttribute('data-kind') ?? (li.classList.contains('tcard') ? 'task_card' : li.className)));
    const firstReading = kinds.findIndex((k) => k === 'staff_document' || k === 'staff_markdown');
    expect(firstReading).toBeGreaterThan(0);
    expect(kinds.slice(firstReading).every((k) => k === 'staff_document' || k === 'staff_markdown')).toBe(true);
    await page.screenshot({ path: '/tmp/sandbox-digest.png', fullPage: true });
  });
});
