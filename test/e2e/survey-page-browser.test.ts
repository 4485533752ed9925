// The customer survey page in a real browser (Debian chromium via playwright-core) on a phone-sized
// viewport: the 10-question power-supply questionnaire (seed 000 第二篇) answered end to end, a draft
// kept across a reload, a second submission, expiry and a tampered link.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FakeClock } from '../../bot/clocks.js';
import { jobs } from '../../jobs/index.js';
import { describeEachDatabase } from '../support/db.js';
import { browserSkipNotice, launchChromium, skipBrowserTests } from '../support/browser.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';
import { dischargeBody, submit } from '../support/builders.js';
import type { Huifang } from '../../bot/huifang.js';

describe.skipIf(skipBrowserTests)(`survey page in Chromium (390×844)${browserSkipNotice}`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describeEachDatabase('power-supply questionnaire', (db) => {
    let app: Huifang;
    let server: { baseUrl: string; close(): Promise<void> };
    let context: BrowserContext;
    const clock = new FakeClock('2026-11-03T07:30:00Z');

    beforeAll(async () => {
      await seedOrganisation(db());
      app = createTestService(db().url, sharedDbClient(db()), clock);
      server = await listen(app);
      context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'zh-CN' });
      context.setDefaultTimeout(15_000);
    });
    afterAll(async () => {
      await context?.close();
      await server?.close();
    });

    /** A survey sent by SMS, switched to the power-supply questionnaire; returns its link (path) and ids. */
    async function sentSurvey(): Promise<{ path: string; surveyId: string; followUpId: string }> {
      clock.set('2026-11-03T07:30:00Z');
      const body = dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' });
      await submit(app, body);
      clock.set('2026-11-06T02:00:00Z');
      await jobs['activate-due-follow-ups']!.run(app);
      const survey = await db().prisma.surveyInstance.findFirstOrThrow({ where: { followUp: { case: { externalId: body.externalId } } } });
      // The row as a power-supply policy step would have created it.
      await db().prisma.surveyInstance.update({ where: { id: survey.id }, data: { surveyKey: 'power-supply-10' } });
      const invite = await db().prisma.outboxMessage.findFirstOrThrow({ where: { followUpId: survey.followUpId!, kind: 'survey_invite' } });
      return { path: new URL((JSON.parse(invite.payload) as { link: string }).link).pathname, surveyId: survey.id, followUpId: survey.followUpId! };
    }

    async function open(path: string): Promise<Page> {
      const page = await context.newPage();
      await page.goto(`${server.baseUrl}${path}`);
      return page;
    }

    /** Picks an answer by the visible label inside the question's fieldset. */
    async function choose(page: Page, question: string, label: string): Promise<void> {
      await page.getByRole('group', { name: question }).getByLabel(label, { exact: true }).check();
    }

    it('answers all ten questions and records one response with the mean score and the worst category', async () => {
      const { path, surveyId, followUpId } = await sentSurvey();
      const page = await open(path);
      await page.getByRole('heading', { name: '供电公司客户受电工程满意度调查问卷' }).waitFor();
      expect(await page.locator('fieldset').count()).toBe(9);
      const levels = ['满意', '满意', '比较满意', '满意', '基本满意', '满意', '满意', '比较满意'];
      const questions = ['1. 您对供电企业提供安全用电指导与帮助的服务是否满意？', '2. 您对供电企业故障抢修的修复时限是否满意？', '3. 您对拨打95598服务热线和解决问题的评价？', '4. 您对供电企业的营业人员和工作人员的服务态度是否满意？', '5. 您对供电企业按规定披露信息情况是否满意？', '6. 您对供电企业在新装时提供的服务是否满意？', '7. 您对供电企业提供的电费缴纳方式是否满意？', '8. 您对供电企业实施的节能降耗活动是否满意？'];
      for (const [i, q] of questions.entries()) await choose(page, q, levels[i]!);
      const notice = page.getByRole('group', { name: '9. 您希望供电企业通过何种方式通知停电？' });
      await notice.getByLabel('短信').check();
      await notice.getByLabel('微信公众号').check();
      await page.getByLabel('10. 您觉得在那些方面供电企业的服务还有待提高？').fill('停电通知再早一些');
      await page.screenshot({ path: '/tmp/survey-power-supply.png', fullPage: true });
      await page.getByRole('button', { name: '提交', exact: true }).click();
      await page.getByRole('heading', { name: '已提交，感谢您的评价' }).waitFor();

      const responses = await db().prisma.surveyResponse.findMany({ where: { surveyId } });
      expect(responses).toHaveLength(1);
      const answers = JSON.parse(responses[0]!.answers) as Record<string, unknown>;
      expect(answers).toMatchObject({ q1_safety_guidance: 'satisfied', q3_hotline: 'fairly_satisfied', q5_disclosure: 'basically_satisfied', q9_outage_notice: ['sms', 'wechat'], q10_improve: '停电通知再早一些' });
      expect(responses[0]!.satisfaction).toBe('NEUTRAL');
      expect(responses[0]!.score).toBeCloseTo((5 + 2 * (2 / 3) + 1 / 3) / 8, 4);
      expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'DONE', outcome: 'NEUTRAL' });

      // Going back and submitting again records nothing new.
      await page.goBack();
      await page.goto(`${server.baseUrl}${path}`);
      await page.getByRole('heading', { name: '已提交，感谢您的评价' }).waitFor();
      expect(await db().prisma.surveyResponse.count({ where: { surveyId } })).toBe(1);
      await page.close();
    });

    it('shows errors next to unanswered questions without losing what was answered', async () => {
      const { path, surveyId } = await sentSurvey();
      const page = await open(path);
      await choose(page, '1. 您对供电企业提供安全用电指导与帮助的服务是否满意？', '不满意');
      await page.getByRole('button', { name: '提交', exact: true }).click();
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').textContent()).toContain('第 2 题：请选择一项。');
      expect(await page.locator('.invalid').count()).toBe(8); // questions 2–9
      expect(await page.getByRole('group', { name: '1. 您对供电企业提供安全用电指导与帮助的服务是否满意？' }).getByLabel('不满意', { exact: true }).isChecked()).toBe(true);
      expect(await db().prisma.surveyResponse.count({ where: { surveyId } })).toBe(0);
      await page.close();
    });

    it('autosaves a draft and restores it after a reload', async () => {
      const { path, surveyId } = await sentSurvey();
      const page = await open(path);
      const saved = page.waitForResponse((r) => r.url().endsWith('/draft') && r.status() === 204);
      await choose(page, '3. 您对拨打95598服务热线和解决问题的评价？', '基本满意');
      await saved;
      const typed = page.waitForResponse((r) => r.url().endsWith('/draft') && r.status() === 204);
      await page.getByLabel('10. 您觉得在那些方面供电企业的服务还有待提高？').fill('热线等待时间长');
      await typed;
      await page.locator('#saved', { hasText: '已自动保存' }).waitFor();
      await page.reload();
      expect(await page.getByRole('group', { name: '3. 您对拨打95598服务热线和解决问题的评价？' }).getByLabel('基本满意', { exact: true }).isChecked()).toBe(true);
      expect(await page.getByLabel('10. 您觉得在那些方面供电企业的服务还有待提高？').inputValue()).toBe('热线等待时间长');
      expect(await db().prisma.surveyResponse.count({ where: { surveyId } })).toBe(0);
      await page.close();
    });

    it('says politely that the survey has expired, and that a tampered link is not valid', async () => {
      const { path, surveyId } = await sentSurvey();
      clock.set('2026-11-20T00:00:00Z');
      const page = await open(path);
      await page.getByRole('heading', { name: '问卷已过期' }).waitFor();
      const tampered = path.replace(/\.(.)/, (_, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
      await page.goto(`${server.baseUrl}${tampered}`);
      await page.getByRole('heading', { name: '链接无效' }).waitFor();
      expect(await db().prisma.surveyInstance.findUniqueOrThrow({ where: { id: surveyId } })).toMatchObject({ openedAt: null, status: 'OPEN' });
      await page.close();
    });
  });
});
