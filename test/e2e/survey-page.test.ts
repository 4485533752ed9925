import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../bot/clocks.js';
import { jobs } from '../../jobs/index.js';
import { describeEachDatabase } from '../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';
import { dischargeBody, submit } from '../support/builders.js';
import type { Huifang } from '../../bot/huifang.js';

// The survey link in the SMS (000 第五篇 4「辅以…问卷调查」): the page shows the 1–5 scale, a submission
// records one SurveyResponse through the inbox, a second submission records nothing, expiry is polite.
describeEachDatabase('survey page /s/:token', (db) => {
  let app: Huifang;
  let server: { baseUrl: string; close(): Promise<void> };
  const clock = new FakeClock('2026-11-03T07:30:00Z'); // 15:30 in Shanghai

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    server = await listen(app);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function sentSurveyToken(): Promise<{ token: string; followUpId: string }> {
    clock.set('2026-11-03T07:30:00Z');
    const body = dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' });
    await submit(app, body);
    clock.set('2026-11-06T02:00:00Z'); // day 3, 10:00 local: the survey step is due
    await jobs['activate-due-follow-ups']!.run(app);
    const survey = await db().prisma.surveyInstance.findFirstOrThrow({
      where: { followUp: { case: { externalId: body.externalId } } },
    });
    return { token: survey.token, followUpId: survey.followUpId! };
  }

  it('shows the 1–5 scale in Chinese', async () => {
    const { token } = await sentSurveyToken();
    const res = await fetch(`${server.baseUrl}/s/${token}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('lang="zh-CN"');
    expect(html).toContain('非常满意');
    expect(html.match(/type="radio" name="score"/g)).toHaveLength(5);
  });

  it('records one response from a submission, and nothing from a second one', async () => {
    const { token, followUpId } = await sentSurveyToken();
    const post = (score: string) =>
      fetch(`${server.baseUrl}/s/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ score, comment: '护士很耐心' }).toString(),
      });
    const first = await post('4');
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('感谢您的评价');
    const second = await post('1');
    expect(second.status).toBe(200);
    const responses = await db().prisma.surveyResponse.findMany({ where: { survey: { token } } });
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ channel: 'web', score: 0.75, satisfaction: 'SATISFIED', rawText: '护士很耐心' });
    const followUp = await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } });
    expect(followUp).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });
    expect(await db().prisma.escalation.count({ where: { followUpId } })).toBe(0);
  });

  it('escalates a dissatisfied web answer', async () => {
    const { token, followUpId } = await sentSurveyToken();
    await fetch(`${server.baseUrl}/s/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'score=2&comment=%E7%AD%89%E5%BE%85%E5%A4%AA%E4%B9%85',
    });
    const escalation = await db().prisma.escalation.findFirstOrThrow({ where: { followUpId }, include: { owner: true } });
    expect(escalation.owner.wecomUserId).toBe('hushizhang.chen');
    expect(escalation.summary).toContain('等待太久');
  });

  it('rejects a submission without a score and keeps the survey open', async () => {
    const { token } = await sentSurveyToken();
    const res = await fetch(`${server.baseUrl}/s/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'comment=x' });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('请选择');
    expect((await db().prisma.surveyInstance.findUniqueOrThrow({ where: { token } })).status).toBe('OPEN');
  });

  it('says politely when the survey has expired, and for unknown links', async () => {
    const { token } = await sentSurveyToken();
    clock.set('2026-11-20T00:00:00Z'); // past the day-13 deadline
    const res = await fetch(`${server.baseUrl}/s/${token}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('问卷已过期');
    const post = await fetch(`${server.baseUrl}/s/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'score=5' });
    expect(post.status).toBe(410);
    expect(await db().prisma.surveyResponse.count({ where: { survey: { token } } })).toBe(0);
    const unknown = await fetch(`${server.baseUrl}/s/${'x'.repeat(24)}`);
    expect(unknown.status).toBe(404);
  });
});

describe('survey page escaping', () => {
  it('escapes every value it renders', async () => {
    const { surveyFormPage } = await import('../../bot/http/survey-page.js');
    const html = surveyFormPage({ organisation: '<b>医院</b>', salutation: '"王"', action: '/s/abc' });
    expect(html).not.toContain('<b>医院</b>');
    expect(html).toContain('&lt;b&gt;医院&lt;/b&gt;');
  });
});
