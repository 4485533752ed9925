// 拨打 on the staff 详情 form (issue 14): the number is revealed only on tap, through the console's
// audited reveal (one allowance per staff member and day, console and form together), and the call is
// pending on the card's activation until the form is submitted: 未接通 then counts as an unreachable
// attempt exactly as the card's button, up to the step's maxAttempts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../bot/clocks.js';
import { describeEachDatabase } from '../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../support/service.js';
import { dischargeBody, submit } from '../support/builders.js';
import { runJob } from '../support/e2e.js';
import { pageText, signedInAsStaff } from '../support/console-client.js';
import type { Huifang } from '../../bot/huifang.js';
import type { TaskCard } from '../../bot/core/messages.js';

const PHONE_DUE = '2026-11-10T01:00:00Z'; // day 7, 09:00 in Shanghai: the phone step is due (deadline 11-18)
const LIMIT = 3;

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const callJson = { method: 'POST', headers: { accept: 'application/json' } };

describeEachDatabase('拨打 on the staff 详情 form', (db) => {
  let app: Huifang;
  let server: { baseUrl: string; close(): Promise<void> };
  let staff: Map<string, string>;
  const clock = new FakeClock('2026-11-03T07:30:00Z');

  beforeAll(async () => {
    staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock, { env: { HUIFANG_CONSOLE_REVEALS_PER_DAY: String(LIMIT) } });
    server = await listen(app);
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A discharge whose phone task card has been pushed; the clock is then set to `at` (a day of its own, for the daily allowance). */
  async function pushedCard(at: string): Promise<{ followUpId: string; customerId: string; path: string; phone: string }> {
    clock.set('2026-11-03T07:30:00Z');
    const body = dischargeBody({ occurredAt: '2026-11-03T15:30:00+08:00' });
    await submit(app, body);
    clock.set(PHONE_DUE);
    await runJob(app, 'activate-due-follow-ups');
    const fu = await db().prisma.followUp.findFirstOrThrow({ where: { step: 'phone', case: { externalId: body.externalId } }, include: { case: true } });
    clock.set(at);
    return { followUpId: fu.id, customerId: fu.case.customerId, path: await formPath(fu.id, 1), phone: body.customer!.phone! };
  }

  async function formPath(followUpId: string, activation: number): Promise<string> {
    const row = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `fu:${followUpId}:${activation}` } });
    return new URL((JSON.parse(row.payload) as { card: TaskCard }).card.detailUrl!).pathname;
  }

  const audits = async (action: string, entityId: string) =>
    (await db().prisma.auditLog.findMany({ where: { action, entityId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] })).map((a) => ({ ...a, details: JSON.parse(a.details) as Record<string, unknown> }));

  it('offers 拨打 without the number; the tap reveals it once, audited as the assignee via the form, and the form then records the call', async () => {
    const { followUpId, customerId, path, phone } = await pushedCard('2026-11-14T02:00:00Z');
    const digits = phone.slice(3);
    const page = await fetch(`${server.baseUrl}${path}`);
    const html = await page.text();
    expect(html).toContain(`action="${path}/call"`);
    expect(html).toContain('>拨打</button>');
    expect(html).not.toContain(digits);
    expect(html).not.toContain('tel:');
    expect(html).toContain('<script src="/f/assets/staff-form.js" defer></script>');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await fetch(`${server.baseUrl}/f/assets/staff-form.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toContain("accept: 'application/json'");

    const res = await fetch(`${server.baseUrl}${path}/call`, callJson);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { tel: string; message: string };
    expect(body.tel).toBe(`tel:${phone}`);
    expect(body.message).toContain(`今日还可查看 ${LIMIT - 1} 次`);

    const revealed = await audits('customer.phone_revealed', customerId);
    expect(revealed).toEqual([
      expect.objectContaining({ actorType: 'STAFF', actorId: staff.get('hushi.li'), entityType: 'Customer', details: { purpose: 'call', via: 'staff_form', followUpId, activation: 1 } }),
    ]);
    expect(JSON.stringify(revealed)).not.toContain(digits);

    // The form now knows about the call and asks whether it got through.
    const after = await (await fetch(`${server.baseUrl}${path}`)).text();
    expect(after).toContain('已于 10:00 拨打');
    expect(after).toContain('已接通·满意');
    expect(after).not.toContain(digits);
    const done = await fetch(`${server.baseUrl}${path}`, form({ action: 'satisfied', q_overall: '5' }));
    expect(pageText(await done.text())).toContain('已提交：已接通·满意');
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'DONE', outcome: 'SATISFIED', attempts: 1 });
    const [recorded] = await audits('follow_up.satisfied', followUpId);
    expect(recorded!.details).toMatchObject({ via: 'staff_form', call: { startedAt: '2026-11-14T02:00:00.000Z', answered: true } });
    // A form no longer open reveals nothing.
    expect((await fetch(`${server.baseUrl}${path}/call`, callJson)).status).toBe(409);
    expect(await audits('customer.phone_revealed', customerId)).toHaveLength(1);
  });

  it('without the script, 拨打 answers with a page holding the tel: link', async () => {
    const { path, phone } = await pushedCard('2026-11-15T02:00:00Z');
    const res = await fetch(`${server.baseUrl}${path}/call`, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain(`href="tel:${phone}"`);
    expect(html).toContain(`href="${path}"`);
    expect(pageText(html)).toContain(`今日还可查看 ${LIMIT - 1} 次`);
  });

  it('shares the daily allowance with the console’s 查看号码; over it, a Chinese message, no number, and the refusal audited', async () => {
    const { followUpId, customerId, path, phone } = await pushedCard('2026-11-16T02:00:00Z');
    const nurse = await signedInAsStaff(app, server.baseUrl, staff.get('hushi.li')!);
    await nurse.get(`/console/customers/${customerId}`);
    expect((await nurse.post(`/console/customers/${customerId}/reveal`, { purpose: 'view' })).status).toBe(200);
    expect((await fetch(`${server.baseUrl}${path}/call`, callJson)).status).toBe(200);
    expect((await nurse.post(`/console/customers/${customerId}/reveal`, { purpose: 'view' })).status).toBe(200);

    const json = await fetch(`${server.baseUrl}${path}/call`, callJson);
    expect(json.status).toBe(429);
    const text = JSON.stringify(await json.json());
    expect(text).toContain(`今日查看号码的次数已达上限（每人每天 ${LIMIT} 次`);
    expect(text).not.toContain(phone.slice(3));
    const html = await fetch(`${server.baseUrl}${path}/call`, { method: 'POST' });
    expect(html.status).toBe(429);
    const page = await html.text();
    expect(pageText(page)).toContain('今日查看号码的次数已达上限');
    expect(page).not.toContain(phone.slice(3));
    expect((await nurse.post(`/console/customers/${customerId}/reveal`, { purpose: 'view' })).status).toBe(429);

    expect((await audits('customer.phone_revealed', customerId)).map((a) => a.details.via)).toEqual(['console', 'staff_form', 'console']);
    expect((await audits('customer.phone_reveal_refused', customerId)).map((a) => [a.actorId, a.details.via, a.details.followUpId ?? null])).toEqual([
      [staff.get('hushi.li'), 'staff_form', followUpId],
      [staff.get('hushi.li'), 'staff_form', followUpId],
      [expect.any(String), 'console', null],
    ]);
  });

  it('counts each unanswered call as an unreachable attempt, as the card’s button does, until maxAttempts (3) closes the task', async () => {
    const { followUpId, customerId, path: first } = await pushedCard(PHONE_DUE);
    let path = first;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const shown = await (await fetch(`${server.baseUrl}${path}`)).text();
      expect(pageText(shown)).toContain(`本次为第${attempt}次，最多3次`);
      expect((await fetch(`${server.baseUrl}${path}/call`, callJson)).status).toBe(200);
      const res = await fetch(`${server.baseUrl}${path}`, form({ action: 'unreachable', note: '无人接听' }));
      expect(res.status).toBe(200);
      expect(pageText(await res.text())).toContain(attempt < 3 ? '稍后会再次提醒您拨打' : '已达最多 3 次，该回访记为多次未接通');
      const fu = await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } });
      expect(fu.attempts).toBe(attempt);
      if (attempt < 3) {
        expect(fu.status).toBe('SCHEDULED');
        clock.set(fu.dueAt);
        await runJob(app, 'activate-due-follow-ups');
        path = await formPath(followUpId, attempt + 1);
        // A new card's form starts without a call.
        expect(await (await fetch(`${server.baseUrl}${path}`)).text()).not.toContain('已于');
      } else {
        expect(fu).toMatchObject({ status: 'UNREACHABLE', outcome: 'UNREACHABLE' });
      }
    }
    const recorded = await audits('follow_up.unreachable', followUpId);
    expect(recorded.map((a) => [a.details.activation, (a.details.call as { answered: boolean }).answered])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect((await audits('customer.phone_revealed', customerId)).map((a) => a.details.activation)).toEqual([1, 2, 3]);
    // Never reached: escalated as the card's 无法联系 would be.
    expect(await db().prisma.escalation.count({ where: { followUpId } })).toBe(1);
  });

  it('records a submission without a call as before, noting that no call was made from the form', async () => {
    const { followUpId, path } = await pushedCard('2026-11-17T02:00:00Z');
    const res = await fetch(`${server.baseUrl}${path}`, form({ action: 'unreachable' }));
    expect(pageText(await res.text())).toContain('已提交：未接通');
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: followUpId } })).toMatchObject({ status: 'SCHEDULED', attempts: 1 });
    const [recorded] = await audits('follow_up.unreachable', followUpId);
    expect(recorded!.details).toMatchObject({ via: 'staff_form', call: null });
  });

  it('never reveals the number of a customer who opted out', async () => {
    const { customerId, path, phone } = await pushedCard('2026-11-18T02:00:00Z');
    const manager = await signedInAsStaff(app, server.baseUrl, staff.get('kezhuren.wang')!);
    await manager.get(`/console/customers/${customerId}`);
    expect((await manager.post(`/console/customers/${customerId}/consent`, { change: 'opt_out', reason: '客户来电要求不再回访' })).status).toBe(302);
    const res = await fetch(`${server.baseUrl}${path}/call`, callJson);
    expect(res.status).toBe(409);
    expect(JSON.stringify(await res.json())).not.toContain(phone.slice(3));
    const shown = await (await fetch(`${server.baseUrl}${path}`)).text();
    expect(shown).not.toContain('>拨打</button>');
    expect(shown).toContain('客户已登记拒收（或不再联系），请勿拨打。');
    expect(await audits('customer.phone_revealed', customerId)).toHaveLength(0);
  });
});
