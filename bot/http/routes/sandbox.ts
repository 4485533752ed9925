import type Router from '@koa/router';
import { z } from 'zod';
import type { Huifang } from '../../huifang.js';
import { DomainError } from '../../core/errors.js';
import { readJsonBody } from '../read-body.js';
import { sandboxContentSecurityPolicy, sandboxPageHtml } from '../sandbox-page.js';
import { TICK_ORDER } from '../../../jobs/index.js';
import { runJob } from '../../../jobs/run-job.js';
import type { ProcessResult } from '../../core/inbox/process-inbound.js';
import { addLocalDays, toLocal } from '../../core/time.js';
import { submitCase } from '../../core/cases/submit-case.js';
import { toSubmitInput, type CaseBody } from '../../cases/case-body.js';
import { EXAMPLE_CUSTOMERS, EXAMPLE_DEPARTMENTS, seedExampleOrganisation } from '../../example/example-organisation.js';
import { formatStaffMessageHtml } from '../../channels/sandbox/format-staff-message-html.js';

const tapBody = z.object({ wecomUserId: z.string().min(1), taskId: z.string().min(1), key: z.string().min(1) }).strict();
const replyBody = z.object({ customerId: z.string().min(1), text: z.string().min(1).max(500) }).strict();
const exampleCaseBody = z.object({ kind: z.enum(['discharge', 'discharge_serious', 'complaint']) }).strict();

/** The example cases the sandbox page can create, each becoming due at once. */
type ExampleCaseKind = z.infer<typeof exampleCaseBody>['kind'];

/**
 * What the page shows of an inbound event's processing: the status and the use case's result (or the
 * rejection code and its details). A `DomainError` message is safe to show (STYLE E4); anything else
 * about a failure stays in the log.
 */
function toOutcome(processed: ProcessResult | null): { status: ProcessResult['status']; result: Record<string, unknown> | null; message?: string } | null {
  if (!processed) return null;
  return {
    status: processed.status,
    result: processed.result ?? null,
    ...(processed.status === 'REJECTED' && processed.error ? { message: processed.error.message } : {}),
  };
}

/**
 * Builds an example case body as a hospital or a property system would post it to `/api/v1/cases`,
 * timed so that its first follow-up is due now. P4 pushes the discharge phone task at 09:00 local on
 * day 7 (serious: day 1) and the survey SMS at 10:00 local on day 3; before 09:00 local the discharge
 * is placed one day earlier, so that the task is due right away at any time of day.
 */
function buildExampleCase(kind: ExampleCaseKind, now: Date, timeZone: string, sequence: number, externalId: string): CaseBody {
  const earlyMorning = toLocal(now, timeZone).hour < 9 ? 1 : 0;
  const daysAgo = (days: number) => addLocalDays(now, -(days + earlyMorning), timeZone).toISOString();
  const patients = EXAMPLE_CUSTOMERS.filter((c) => c.externalId.startsWith('P-'));
  const owners = EXAMPLE_CUSTOMERS.filter((c) => c.externalId.startsWith('O-'));
  const pick = (list: typeof patients) => list[sequence % list.length]!;
  const customerOf = (c: (typeof EXAMPLE_CUSTOMERS)[number]) => ({ externalId: c.externalId, name: c.name, salutation: c.salutation, phone: c.phone });
  switch (kind) {
    case 'discharge':
      return { type: 'discharge', externalId, occurredAt: daysAgo(7), responsibleStaff: 'hushi.li', customer: customerOf(pick(patients)), attributes: { severity: 'normal' } };
    case 'discharge_serious':
      return { type: 'discharge', externalId, occurredAt: daysAgo(1), responsibleStaff: 'hushi.li', customer: customerOf(pick(patients)), attributes: { severity: 'serious' } };
    case 'complaint':
      return {
        type: 'property_complaint',
        externalId,
        occurredAt: new Date(now.getTime() - 2 * 86_400_000).toISOString(),
        responsibleStaff: 'zhuli.wu',
        subjectStaff: 'weixiu.qian',
        customer: customerOf(pick(owners)),
        attributes: { severity: 'general' },
        milestones: { handled: now.toISOString() },
      };
  }
}

/**
 * Rejects a sandbox action on a channel that is wired to a real provider: the sandbox routes are mounted
 * while any channel is sandboxed, and must not forge WeCom taps, SMS replies or example cases (which
 * would reach real phones) for the others.
 */
function requireSandboxed(app: Huifang, ...needed: ('staff' | 'sms')[]): void {
  const live = needed.filter((c) => app.config.channels[c] !== 'sandbox');
  if (live.length > 0) {
    throw new DomainError('SANDBOX_CHANNEL_LIVE', `The ${live.join(' and ')} channel is connected to a real provider; the sandbox cannot act for it`, { channels: live });
  }
}

/** Staff every example case refers to (responsible and subject staff); checked before submitting. */
const EXAMPLE_CASE_STAFF: Readonly<Record<ExampleCaseKind, readonly string[]>> = {
  discharge: ['hushi.li'],
  discharge_serious: ['hushi.li'],
  complaint: ['zhuli.wu', 'weixiu.qian'],
};

/**
 * The sandbox: what the sandbox channels delivered, and the customer/staff side of the conversation.
 * Taps and replies go through exactly the inbound path of the real webhooks — the inbox table with its
 * dedupe key, then the same use case — only the wire format (and its signature check) differs.
 * Only mounted while at least one channel runs in sandbox mode.
 */
export function sandboxRoutes(router: Router, app: Huifang): void {
  router.get('/sandbox', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', sandboxContentSecurityPolicy());
    ctx.body = sandboxPageHtml();
  });

  router.get('/sandbox/api/state', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const state = await app.views.sandbox.sandboxState();
    // Digests and reports are shown as WeCom shows them: rendered here, escaped, for the page to insert.
    const staff = state.staff.map((s) => ({
      ...s,
      messages: s.messages.map((m) => {
        const html = formatStaffMessageHtml(m.kind, m.content);
        return html === null ? m : { ...m, html };
      }),
    }));
    ctx.body = { now: app.clock.now().toISOString(), timeZone: app.config.timezone, channels: app.config.channels, ...state, staff };
  });

  // A staff member taps a task card button (the WeCom template_card_event, minus the encryption).
  router.post('/sandbox/api/tap', async (ctx) => {
    requireSandboxed(app, 'staff');
    const parsed = tapBody.safeParse(await readJsonBody(ctx, 8 * 1024));
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', 'Expected {wecomUserId, taskId, key}', {});
    const { wecomUserId, taskId, key } = parsed.data;
    const createTime = Math.floor(app.clock.now().getTime() / 1000);
    const received = await app.receive({
      source: 'wecom',
      // Same dedupe key as a real WeCom card event: FromUserName + CreateTime + Event + TaskId + EventKey.
      dedupeKey: `${wecomUserId}:${createTime}:template_card_event:${taskId}:${key}`,
      kind: 'staff_card_action',
      payload: { wecomUserId, taskId, actionKey: key, responseCode: null },
      receivedAt: app.clock.now(),
    });
    ctx.body = { eventId: received.id, duplicate: received.duplicate, result: toOutcome(received.processing ? await received.processing : null) };
  });

  // A customer replies to an SMS (the Tencent reply callback, minus the transport).
  router.post('/sandbox/api/reply', async (ctx) => {
    requireSandboxed(app, 'sms');
    const parsed = replyBody.safeParse(await readJsonBody(ctx, 8 * 1024));
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', 'Expected {customerId, text}', {});
    const phoneE164 = await app.views.sandbox.customerPhone(parsed.data.customerId);
    if (!phoneE164) throw new DomainError('NOT_FOUND', 'No customer with a phone number has that id');
    const now = app.clock.now();
    const received = await app.receive({
      source: 'sms',
      // Same dedupe key as a real SMS reply: mobile + reply time + text.
      dedupeKey: `${phoneE164}:${Math.floor(now.getTime() / 1000)}:${parsed.data.text}`,
      kind: 'sms_reply',
      payload: { phoneE164, text: parsed.data.text, receivedAt: now.toISOString() },
      receivedAt: now,
    });
    ctx.body = { eventId: received.id, duplicate: received.duplicate, result: toOutcome(received.processing ? await received.processing : null) };
  });

  // Runs one round of every job now, instead of waiting for the next cron tick.
  router.post('/sandbox/api/tick', async (ctx) => {
    const results: Record<string, object> = {};
    for (const name of TICK_ORDER) results[name] = await runJob(app, name);
    ctx.body = results;
  });

  // Loads the example organisation (idempotent: keyed by department code, WeCom id, customer id).
  router.post('/sandbox/api/seed', async (ctx) => {
    requireSandboxed(app, 'staff', 'sms');
    const staff = await seedExampleOrganisation(app.directory, () => app.deps.ids.next());
    app.logger.info({ staff: staff.size }, 'sandbox: example organisation loaded');
    ctx.body = { departments: EXAMPLE_DEPARTMENTS.length, staff: staff.size, customers: EXAMPLE_CUSTOMERS.length };
  });

  // Creates an example case through the same use case as POST /api/v1/cases.
  router.post('/sandbox/api/example-case', async (ctx) => {
    requireSandboxed(app, 'staff', 'sms');
    const parsed = exampleCaseBody.safeParse(await readJsonBody(ctx, 8 * 1024));
    if (!parsed.success) throw new DomainError('VALIDATION_FAILED', "Expected {kind: 'discharge' | 'discharge_serious' | 'complaint'}", {});
    const { kind } = parsed.data;
    const org = await app.deps.org.loadOrgSnapshot();
    const present = new Set([...org.staff.values()].map((s) => s.wecomUserId));
    if (!EXAMPLE_CASE_STAFF[kind].every((id) => present.has(id))) {
      throw new DomainError('EXAMPLE_ORG_MISSING', 'The example organisation is not loaded: click 载入示例机构 first (or run `huifang seed-example`)', {});
    }
    const type = kind === 'complaint' ? 'property_complaint' : 'discharge';
    // Rotate through the example customers, one case after another.
    const sequence = await app.views.sandbox.countCasesOfType(type);
    const now = app.clock.now();
    const body = buildExampleCase(kind, now, app.config.timezone, sequence, `SANDBOX-${app.deps.ids.next()}`);
    const input = await toSubmitInput(app, body, 'sandbox');
    const result = await submitCase(app.deps, input);
    app.logger.info({ caseId: result.caseId, created: result.created, followUpsAdded: result.followUpsAdded, type }, 'sandbox: example case created');
    ctx.status = result.created ? 201 : 200;
    ctx.body = { caseId: result.caseId, kind, externalId: body.externalId, customer: body.customer.name, followUpsAdded: result.followUpsAdded };
  });
}
