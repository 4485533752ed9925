import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../bot/clocks.js';
import { jobs } from '../../jobs/index.js';
import { describeEachDatabase } from '../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';
import { dischargeBody, submit } from '../support/builders.js';
import type { Huifang } from '../../bot/huifang.js';
import type { PrismaClient } from '../../bot/db/client.js';

/** The path of the survey link the invitation carried (`/s/<token>.<signature>`). */
async function surveyLinkPath(prisma: PrismaClient, followUpId: string): Promise<string> {
  const invite = await prisma.outboxMessage.findFirstOrThrow({ where: { followUpId, kind: 'survey_invite' } });
  const link = (JSON.parse(invite.payload) as { link: string }).link;
  return new URL(link).pathname;
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

// The survey link in the SMS (000 第五篇 4「辅以…问卷调查」): a signed link to the page of the step's
// survey definition; a submission records one SurveyResponse through the inbox, a second one nothing.
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

  async function sentSurvey(): Promise<{ token: string; path: string; followUpId: string }> {
    clock.set('2026-11-03T07:30:00Z');
    const body = dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' });
    await submit(app, body);
    clock.set('2026-11-06T02:00:00Z'); // day 3, 10:00 local: the survey step is due
    await jobs['activate-due-follow-ups']!.run(app);
    const survey = await db().prisma.surveyInstance.findFirstOrThrow({ where: { followUp: { case: { externalId: body.externalId } } } });
    return { token: survey.token, path: await surveyLinkPath(db().prisma, survey.followUpId!), followUpId: survey.followUpId! };
  }

  it('sends a signed link, and shows the 1–5 scale in Chinese, recording when it was first opened', async () => {
    const { token, path } = await sentSurvey();
    expect(path).toMatch(new RegExp(`^/s/${token}\\.[A-Za-z0-9_-]{16}$`));
    const res = await fetch(`${server.baseUrl}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('lang="zh-CN"');
    expect(html).toContain('非常满意');
    expect(html.match(/type="radio" name="q_overall"/g)).toHaveLength(5);
    const opened = await db().prisma.surveyInstance.findUniqueOrThrow({ where: { token } });
    expect(opened.openedAt).toEqual(clock.now());
    clock.advance(60_000);
    await fetch(`${server.baseUrl}${path}`);
    expect((await db().prisma.surveyInstance.findUniqueOrThrow({ where: { token } })).openedAt).toEqual(opened.openedAt);
  });

  it('refuses a tampered, unsigned or re-purposed link politely, without opening the survey', async () => {
    const { token, path } = await sentSurvey();
    const signature = path.split('.')[1]!;
    const tampered = `/s/${token}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    for (const p of [tampered, `/s/${token}`, `/s/${token.slice(0, -1)}x.${signature}`, `/s/${await app.deps.links.sign('staff_form', token)}`]) {
      const res = await fetch(`${server.baseUrl}${p}`);
      expect(res.status, p).toBe(404);
      expect(await res.text()).toContain('链接无效');
      const post = await fetch(`${server.baseUrl}${p}`, form({ q_overall: '5' }));
      expect(post.status).toBe(404);
    }
    expect(await db().prisma.surveyInstance.findUniqueOrThrow({ where: { token } })).toMatchObject({ status: 'OPEN', openedAt: null });
    expect(await db().prisma.inboundEvent.count({ where: { dedupeKey: `survey:${token}` } })).toBe(0);
  });

  it('records one response from a submission, and says 已提交 to a second one', async () => {
    const { token, path, followUpId } = await sentSurvey();
    const first = await fetch(`${server.baseUrl}${path}`, form({ q_overall: '4', q_comment: '护士很耐心', intent: 'submit' }));
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('感谢您的评价');
    const second = await fetch(`${server.baseUrl}${path}`, form({ q_overall: '1' }));
    expect(second.status).toBe(200);
    expect(await second.text()).toContain('已提交');
    expect(await (await fetch(`${server.baseUrl}${path}`)).text()).toContain('已提交');
    const responses = await db().prisma.surveyResponse.findMany({ where: { survey: { token } } });
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ channel: 'web', score: 0.75, satisfaction: 'SATISFIED', rawText: '护士很耐心' });
    expect(JSON.parse(responses[0]!.answers)).toEqual({ overall: 4, comment: '护士很耐心' });
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });
    expect(await db().prisma.escalation.count({ where: { followUpId } })).toBe(0);
  });

  it('escalates a dissatisfied web answer', async () => {
    const { path, followUpId } = await sentSurvey();
    await fetch(`${server.baseUrl}${path}`, form({ q_overall: '2', q_comment: '等待太久' }));
    const escalation = await db().prisma.escalation.findFirstOrThrow({ where: { followUpId }, include: { owner: true } });
    expect(escalation.owner.wecomUserId).toBe('hushizhang.chen');
    expect(escalation.summary).toContain('等待太久');
  });

  it('shows what is missing next to the question, keeps the answers as a draft and the survey open', async () => {
    const { token, path } = await sentSurvey();
    const res = await fetch(`${server.baseUrl}${path}`, form({ q_comment: '还没想好分数' }));
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('请选择一项。');
    expect(html).toContain('href="#f-overall"');
    expect(html).toContain('还没想好分数');
    const survey = await db().prisma.surveyInstance.findUniqueOrThrow({ where: { token } });
    expect(survey.status).toBe('OPEN');
    expect(JSON.parse(survey.draft!)).toEqual({ q_comment: '还没想好分数' });
    expect(await db().prisma.inboundEvent.count({ where: { dedupeKey: `survey:${token}` } })).toBe(0);
    // The same link still accepts the answer afterwards.
    expect((await fetch(`${server.baseUrl}${path}`, form({ q_overall: '5' }))).status).toBe(200);
    expect(await db().prisma.surveyResponse.count({ where: { survey: { token } } })).toBe(1);
  });

  it('saves a draft without scripts (暂存) and by autosave, and restores it', async () => {
    const { token, path } = await sentSurvey();
    const saved = await fetch(`${server.baseUrl}${path}`, form({ q_overall: '3', intent: 'save' }));
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('已暂存');
    expect(await (await fetch(`${server.baseUrl}${path}`)).text()).toContain('name="q_overall" value="3" checked');
    const autosave = await fetch(`${server.baseUrl}${path}/draft`, form({ q_overall: '4', q_comment: '草稿', unknown: 'x' }));
    expect(autosave.status).toBe(204);
    expect(JSON.parse((await db().prisma.surveyInstance.findUniqueOrThrow({ where: { token } })).draft!)).toEqual({ q_overall: '4', q_comment: '草稿' });
    expect(await db().prisma.surveyResponse.count({ where: { survey: { token } } })).toBe(0);
  });

  it('says politely when the survey has expired', async () => {
    const { token, path } = await sentSurvey();
    clock.set('2026-11-20T00:00:00Z'); // past the day-13 deadline
    const res = await fetch(`${server.baseUrl}${path}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('问卷已过期');
    const post = await fetch(`${server.baseUrl}${path}`, form({ q_overall: '5' }));
    expect(post.status).toBe(410);
    expect((await fetch(`${server.baseUrl}${path}/draft`, form({ q_overall: '5' }))).status).toBe(410);
    expect(await db().prisma.surveyResponse.count({ where: { survey: { token } } })).toBe(0);
  });

  it('still processes an inbox event recorded by the earlier 1–5 page', async () => {
    const { token, followUpId } = await sentSurvey();
    const received = await app.receive({
      source: 'web',
      dedupeKey: `survey:${token}`,
      kind: 'survey_submit',
      payload: { token, score: 5, comment: null, receivedAt: clock.now().toISOString() },
      receivedAt: clock.now(),
    });
    expect((await received.processing)?.status).toBe('PROCESSED');
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'DONE', outcome: 'SATISFIED' });
  });
});

describe('survey page escaping', () => {
  it('escapes every value it renders', async () => {
    const { surveyFormPage } = await import('../../bot/http/survey-page.js');
    const definition = { key: 'x', title: '<i>问卷</i>', audience: 'customer' as const, headline: null, intro: '{org} <script>', questions: [{ key: 'q', type: 'text' as const, text: '"问"', required: false, maxLength: 10 }] };
    const html = surveyFormPage({ organisation: '<b>医院</b>', salutation: '"王"', action: '/s/abc', definition, values: { q_q: '</textarea><script>' } });
    expect(html).not.toContain('<b>医院</b>');
    expect(html).not.toContain('<i>');
    expect(html).not.toContain('</textarea><script>');
    expect(html).toContain('&lt;b&gt;医院&lt;/b&gt;');
  });
});
