// Builders for API bodies, inbound events and database rows (STYLE T7: rows come from builders).
import { randomInt } from 'node:crypto';
import type { Huifang } from '../../bot/huifang.js';
import { toSubmitInput, type CaseBody } from '../../bot/cases/case-body.js';
import { submitCase, type SubmitCaseResult } from '../../bot/core/cases/submit-case.js';
import type { ProcessResult } from '../../bot/core/inbox/process-inbound.js';
import type { NewOutboxMessage } from '../../bot/core/records.js';
import type { PrismaClient } from '../../bot/db/client.js';
import { UlidGenerator } from '../../bot/clocks.js';

let phoneCounter = randomInt(0, 50_000) * 10;

/**
 * A fresh, valid mainland mobile number (E.164) not used by the example organisation, so each test
 * has its own customer and its own open surveys.
 */
export function uniquePhone(): string {
  phoneCounter += 1;
  return `+86135${String(phoneCounter).padStart(8, '0')}`;
}

let externalCounter = 0;
/** A unique external id with a readable prefix. */
export function uniqueExternalId(prefix = 'HIS'): string {
  externalCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${externalCounter}`;
}

/** A `POST /api/v1/cases` body for a discharge (P4), responsible nurse 李护士 by default. */
export function dischargeBody(overrides: Partial<CaseBody> & { severity?: string; phone?: string } = {}): CaseBody {
  const { severity = 'normal', phone, ...rest } = overrides;
  const externalId = rest.externalId ?? uniqueExternalId('ZY');
  return {
    type: 'discharge',
    externalId,
    occurredAt: '2026-11-03T15:30:00+08:00',
    department: 'cardiology',
    responsibleStaff: 'hushi.li',
    customer: { externalId: `PAT-${externalId}`, name: '测试患者', salutation: '测先生', phone: phone ?? uniquePhone() },
    attributes: { severity },
    ...rest,
  };
}

/** Submits a case body through the same translation as the HTTP API, then the use case. */
export async function submit(app: Huifang, body: CaseBody): Promise<SubmitCaseResult> {
  return submitCase(app.deps, await toSubmitInput(app, body, 'test'));
}

/** A staff member tapping a task-card button, as the WeCom edge records it. */
export async function tapCard(
  app: Huifang,
  input: { wecomUserId: string; key: string; createTime?: number },
): Promise<{ id: string; duplicate: boolean; result: ProcessResult | null }> {
  const [, followUpId, attempt] = input.key.split(':');
  const taskId = `fu_${followUpId}_${attempt}`;
  const createTime = input.createTime ?? Math.floor(app.clock.now().getTime() / 1000);
  const received = await app.receive({
    source: 'wecom',
    dedupeKey: `${input.wecomUserId}:${createTime}:template_card_event:${taskId}:${input.key}`,
    kind: 'staff_card_action',
    payload: { wecomUserId: input.wecomUserId, taskId, actionKey: input.key, responseCode: `rc-${taskId}` },
    receivedAt: app.clock.now(),
  });
  return { id: received.id, duplicate: received.duplicate, result: received.processing ? await received.processing : null };
}

/** A customer's SMS reply, as the Tencent reply callback records it (dedupe: mobile + time + text). */
export async function smsReply(app: Huifang, phoneE164: string, text: string): Promise<{ id: string; duplicate: boolean; result: ProcessResult | null }> {
  const now = app.clock.now();
  const received = await app.receive({
    source: 'sms',
    dedupeKey: `${phoneE164}:${Math.floor(now.getTime() / 1000)}:${text}`,
    kind: 'sms_reply',
    payload: { phoneE164, text, receivedAt: now.toISOString() },
    receivedAt: now,
  });
  return { id: received.id, duplicate: received.duplicate, result: received.processing ? await received.processing : null };
}

/** A staff text outbox message to `staffId`, due at `at`. */
export function staffTextMessage(key: string, staffId: string, wecomUserId: string, at: Date): NewOutboxMessage {
  return {
    idempotencyKey: key,
    channel: 'wecom',
    recipientType: 'staff',
    recipientId: staffId,
    followUpId: null,
    nextAttemptAt: at,
    message: { kind: 'staff_text', to: { staffId, wecomUserId }, text: `测试消息 ${key}` },
  };
}

/**
 * Inserts `count` open P4 discharge cases for one new customer, each with one SCHEDULED phone
 * follow-up due at `dueAt` and assigned to `assigneeId`; returns the follow-up ids.
 */
export async function insertDueFollowUps(
  prisma: PrismaClient,
  input: { count: number; dueAt: Date; assigneeId: string; departmentId: string },
): Promise<string[]> {
  const ids = new UlidGenerator();
  const customerId = ids.next();
  const phone = uniquePhone();
  await prisma.customer.create({ data: { id: customerId, name: '批量患者', phoneE164: phone, phoneMasked: `${phone.slice(3, 6)}****${phone.slice(-4)}` } });
  const cases = Array.from({ length: input.count }, () => ({
    id: ids.next(),
    type: 'discharge',
    externalId: uniqueExternalId('BULK'),
    policyId: 'P4',
    customerId,
    departmentId: input.departmentId,
    responsibleStaffId: input.assigneeId,
    attributes: JSON.stringify({ severity: 'normal' }),
    occurredAt: new Date(input.dueAt.getTime() - 7 * 86_400_000),
  }));
  await prisma.case.createMany({ data: cases });
  const followUps = cases.map((c) => ({
    id: ids.next(),
    caseId: c.id,
    customerId,
    policyId: 'P4',
    step: 'phone',
    sequence: 1,
    action: 'STAFF_TASK',
    channel: 'wecom',
    status: 'SCHEDULED',
    assigneeId: input.assigneeId,
    assigneeRule: 'responsible',
    earliestAt: input.dueAt,
    dueAt: input.dueAt,
    deadlineAt: new Date(input.dueAt.getTime() + 8 * 86_400_000),
    maxAttempts: 3,
  }));
  await prisma.followUp.createMany({ data: followUps });
  return followUps.map((f) => f.id);
}
