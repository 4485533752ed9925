// The staff 详情 form behind a task card's 详情 button (issue 4): a nurse opens it from the card in
// WeCom's browser (Chromium here, phone-sized), reads the case and what to ask, fills in the
// questionnaire during the call and records the outcome. It records exactly as a card tap does —
// once — plus one SurveyResponse with the answers (channel staff_phone).
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { FakeClock } from '../../bot/clocks.js';
import { describeEachDatabase } from '../support/db.js';
import { browserSkipNotice, launchChromium, skipBrowserTests } from '../support/browser.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';
import { dischargeBody, submit, tapCard } from '../support/builders.js';
import { runJob } from '../support/e2e.js';
import type { Huifang } from '../../bot/huifang.js';
import type { TaskCard } from '../../bot/core/messages.js';

const PHONE_DUE = '2026-11-10T01:00:00Z'; // day 7, 09:00 in Shanghai: the phone step is due

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describeEachDatabase('staff 详情 form /f/:id', (db) => {
  let app: Huifang;
  let server: { baseUrl: string; close(): Promise<void> };
  const clock = new FakeClock('2026-11-03T07:30:00Z');

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    server = await listen(app);
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A discharge whose phone task card (activation `n`) has been pushed; returns the card and its form path. */
  async function pushedCard(): Promise<{ followUpId: string; card: TaskCard; path: string; phone: string }> {
    clock.set('2026-11-03T07:30:00Z');
    const body = dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' });
    await submit(app, body);
    clock.set(PHONE_DUE);
    await runJob(app, 'activate-due-follow-ups');
    const fu = await db().prisma.followUp.findFirstOrThrow({ where: { step: 'phone', case: { externalId: body.externalId } } });
    return { followUpId: fu.id, ...(await cardOf(fu.id, 1)), phone: body.customer!.phone! };
  }

  async function cardOf(followUpId: string, activation: number): Promise<{ card: TaskCard; path: string }> {
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `fu:${followUpId}:${activation}` } });
    const card = (JSON.parse(row.payload) as { card: TaskCard }).card;
    return { card, path: new URL(card.detailUrl!).pathname };
  }

  it('puts a signed link to the form of this activation on the card', async () => {
    const { followUpId, card, path } = await pushedCard();
    expect(card.detailUrl).toMatch(new RegExp(`^http://localhost:3000/f/${followUpId}_1\\.[A-Za-z0-9_-]{16}$`));
    const res = await fetch(`${server.baseUrl}${path}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('出院电话回访');
    expect(html).toContain('询问目前情况、服药、锻炼、生活情况');
    expect(html).toContain('测试患者');
    expect(html).toMatch(/135\*{4}\d{4}/);
    expect(html).not.toContain('tel:');
    expect(html).toContain('name="q_overall"'); // the default questionnaire: satisfaction-5
  });

  it('refuses a tampered link, and a link signed for a survey', async () => {
    const { followUpId, path } = await pushedCard();
    const tampered = path.replace(`${followUpId}_1`, `${followUpId}_2`);
    expect((await fetch(`${server.baseUrl}${tampered}`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/f/${await app.deps.links.sign('survey', `${followUpId}_1`)}`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}${tampered}`, form({ action: 'satisfied' }))).status).toBe(404);
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'ACTIVE' });
  });

  it('records 未接通 like a tap, and then shows the old card’s form as superseded', async () => {
    const { followUpId, path } = await pushedCard();
    const res = await fetch(`${server.baseUrl}${path}`, form({ action: 'unreachable', note: '无人接听', q_overall: '5' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('已记录未接通');
    const fu = await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } });
    expect(fu).toMatchObject({ status: 'SCHEDULED', attempts: 1, outcomeNote: '无人接听' });
    expect(await db().prisma.surveyResponse.count({ where: { survey: { followUpId } } })).toBe(0);
    // The card is updated by a text notice: a form has no WeCom response code.
    const update = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `fu:${followUpId}:1:update` } });
    expect(JSON.parse(update.payload)).toMatchObject({ kind: 'card_update', responseCode: null });
    expect(await (await fetch(`${server.baseUrl}${path}`)).text()).toContain('该回访已改期');

    clock.set(fu.dueAt);
    await runJob(app, 'activate-due-follow-ups');
    const second = await cardOf(followUpId, 2);
    expect(second.path).not.toBe(path);
    const old = await fetch(`${server.baseUrl}${path}`);
    expect(old.status).toBe(409);
    expect(await old.text()).toContain('这张任务卡片已更新');
    expect((await fetch(`${server.baseUrl}${path}`, form({ action: 'satisfied' }))).status).toBe(409);
    expect((await fetch(`${server.baseUrl}${second.path}`)).status).toBe(200);
  });

  it('reschedules to the time the customer named, and rejects a time in the past', async () => {
    const { followUpId, path } = await pushedCard();
    const past = await fetch(`${server.baseUrl}${path}`, form({ action: 'reschedule', rescheduleAt: '2026-11-09T10:00' }));
    expect(past.status).toBe(422);
    expect(await past.text()).toContain('改期时间需晚于现在');
    const missing = await fetch(`${server.baseUrl}${path}`, form({ action: 'reschedule' }));
    expect(await missing.text()).toContain('请填写改期的日期和时间');
    const ok = await fetch(`${server.baseUrl}${path}`, form({ action: 'reschedule', rescheduleAt: '2026-11-12T19:30', note: '客户晚上方便' }));
    expect(await ok.text()).toContain('已改期至 2026-11-12 19:30');
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'SCHEDULED', attempts: 0, dueAt: new Date('2026-11-12T11:30:00Z') });
  });

  it('says so when a card tap recorded it first', async () => {
    const { followUpId, card, path } = await pushedCard();
    await tapCard(app, { wecomUserId: 'hushi.li', key: card.buttons[0]!.key });
    const res = await fetch(`${server.baseUrl}${path}`, form({ action: 'dissatisfied', q_overall: '1' }));
    expect(await res.text()).toContain('该回访已记录');
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });
    expect(await db().prisma.surveyResponse.count({ where: { survey: { followUpId } } })).toBe(0);
    expect(await db().prisma.escalation.count({ where: { followUpId } })).toBe(0);
  });

  describe.skipIf(skipBrowserTests)(`in Chromium (390×844)${browserSkipNotice}`, () => {
    let browser: Browser;
    let context: BrowserContext;
    beforeAll(async () => {
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
      context.setDefaultTimeout(15_000);
    });
    afterAll(async () => {
      await context?.close();
      await browser?.close();
    });

    it('records the outcome and the answers once, escalates, and refuses a second submission', async () => {
      const { followUpId, path } = await pushedCard();
      const page = await context.newPage();
      await page.goto(`${server.baseUrl}${path}`);
      await page.getByRole('heading', { name: '出院电话回访' }).waitFor();
      await page.getByRole('group', { name: '1. 您对本次服务的总体评价（5 = 非常满意）' }).getByLabel(/^2\s*不满意$/).check();
      await page.getByLabel('2. 意见或建议（选填）').fill('出院结算排队太久');
      await page.getByRole('group', { name: '回访结果（必选）' }).getByLabel('已回访·不满意').check();
      await page.getByLabel('备注（选填，如客户反映的问题、未接通原因）').fill('患者对结算流程不满');
      await page.screenshot({ path: '/tmp/staff-form.png', fullPage: true });
      await page.getByRole('button', { name: '提交回访记录' }).click();
      await page.getByRole('heading', { name: '已提交：已回访·不满意' }).waitFor();

      const fu = await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId }, include: { assignee: true } });
      expect(fu).toMatchObject({ status: 'DONE', outcome: 'DISSATISFIED', attempts: 1, outcomeNote: '患者对结算流程不满' });
      expect(fu.outcomeById).toBe(fu.assigneeId);
      expect(fu.assignee?.wecomUserId).toBe('hushi.li');
      const surveys = await db().prisma.surveyInstance.findMany({ where: { followUpId }, include: { responses: true } });
      expect(surveys).toHaveLength(1);
      expect(surveys[0]).toMatchObject({ status: 'ANSWERED', surveyKey: 'satisfaction-5', channel: 'staff_phone' });
      expect(surveys[0]!.responses).toHaveLength(1);
      expect(surveys[0]!.responses[0]).toMatchObject({ channel: 'staff_phone', score: 0.25, satisfaction: 'DISSATISFIED', rawText: '出院结算排队太久' });
      expect(JSON.parse(surveys[0]!.responses[0]!.answers)).toEqual({ overall: 2, comment: '出院结算排队太久' });
      // Audited as answered, like the customer's own answer (the source of the survey.answered webhook).
      const answeredAudit = await db().prisma.auditLog.findMany({ where: { action: 'survey.answered', entityId: surveys[0]!.id } });
      expect(answeredAudit.map((a) => [a.actorType, a.actorId, JSON.parse(a.details)])).toEqual([['STAFF', fu.assigneeId, { surveyKey: 'satisfaction-5', score: 0.25, satisfaction: 'DISSATISFIED', channel: 'staff_phone', via: 'staff' }]]);
      const escalations = await db().prisma.escalation.findMany({ where: { followUpId }, include: { owner: true } });
      expect(escalations.map((e) => e.owner.wecomUserId)).toEqual(['hushizhang.chen']);
      expect(await db().prisma.outboxMessage.count({ where: { followUpId, kind: 'card_update' } })).toBe(1);

      // Back to the form: it now says the follow-up is recorded; posting it again records nothing new.
      await page.goBack();
      await page.getByRole('heading', { name: '该回访已记录' }).waitFor();
      const again = await page.evaluate(async (action) => {
        const res = await fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=satisfied&q_overall=5' });
        return res.text();
      }, path);
      expect(again).toContain('该回访已记录');
      expect(await db().prisma.surveyResponse.count({ where: { survey: { followUpId } } })).toBe(1);
      expect(await db().prisma.escalation.count({ where: { followUpId } })).toBe(1);
      expect(await db().prisma.inboundEvent.count({ where: { kind: 'staff_form_submit', dedupeKey: `staff_form:${followUpId}_1` } })).toBe(1);
      expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ version: fu.version, outcome: 'DISSATISFIED' });
      await page.close();
    });

    it('拨打 reveals the number only on tap and opens the dialler with a tel: link; the call is then recorded as 未接通', async () => {
      const { followUpId, path, phone } = await pushedCard();
      const digits = phone.slice(3);
      let page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      const opened = await page.goto(`${server.baseUrl}${path}`);
      expect(await opened!.text()).not.toContain(digits);
      await page.getByRole('heading', { name: '出院电话回访' }).waitFor();
      expect(await page.content()).not.toContain(digits);
      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: `test-results/staff-form-call-${db().provider}.png`, fullPage: true });

      // The script posts for the number, then navigates to tel:+86…, caught here (headless Chromium has no
      // dialler: the navigation fails and the page stays, as on a phone where the dialler opens over it).
      const [dial] = await Promise.all([page.waitForRequest((r) => r.url().startsWith('tel:')), page.getByRole('button', { name: '拨打' }).click()]);
      expect(dial.url()).toBe(`tel:${phone}`);
      await page.getByRole('status').filter({ hasText: `正在拨打 ${digits}` }).waitFor();
      // Where no dialler opens (WeCom on a desktop), the number stays on the page as a tel: link.
      expect(await page.getByRole('status').getByRole('link', { name: '再次拨打' }).getAttribute('href')).toBe(`tel:${phone}`);
      await page.getByRole('group', { name: '回访结果（必选）' }).getByLabel('已接通·满意').waitFor();
      expect(errors).toEqual([]); // no CSP violation: the script is served, not inline
      await page.screenshot({ path: `test-results/staff-form-tapped-${db().provider}.png` });

      // Back from the call, the form opened again from the card (in a new tab: headless Chromium keeps a
      // dialog about the unhandled tel: link on the first one) remembers the call and asks how it went.
      await page.close();
      page = await context.newPage();
      await page.goto(`${server.baseUrl}${path}`);
      await page.getByRole('status').filter({ hasText: '拨打，请在下方记录通话结果' }).waitFor();
      expect(await page.content()).not.toContain(digits);
      await page.getByRole('group', { name: '回访结果（必选）' }).getByLabel('未接通').check();
      await page.screenshot({ path: `test-results/staff-form-called-${db().provider}.png`, fullPage: true });
      await page.getByRole('button', { name: '提交回访记录' }).click();
      await page.getByRole('heading', { name: '已提交：未接通' }).waitFor();
      expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'SCHEDULED', attempts: 1 });
      const recorded = await db().prisma.auditLog.findFirstOrThrow({ where: { action: 'follow_up.unreachable', entityId: followUpId } });
      expect(JSON.parse(recorded.details)).toMatchObject({ via: 'staff_form', call: { answered: false } });
      await page.close();
    });
  });
});
