// Row builders for digest and report tests: cases and follow-ups inserted straight into the database,
// each follow-up with its own case (one follow-up per case and step), so every status can be set exactly.
import type { PrismaClient } from '../../../bot/db/client.js';
import { UlidGenerator } from '../../../bot/clocks.js';
import { uniqueExternalId, uniquePhone } from '../../support/builders.js';

export interface FollowUpSpec {
  department: string;
  /** WeCom user id of the assignee; null for a customer survey or an unassigned task. */
  assignee: string | null;
  action?: 'STAFF_TASK' | 'CUSTOMER_SURVEY';
  status: 'SCHEDULED' | 'ACTIVE' | 'OVERDUE' | 'DONE' | 'UNREACHABLE' | 'CANCELLED' | 'SKIPPED';
  outcome?: 'SATISFIED' | 'NEUTRAL' | 'DISSATISFIED' | 'UNREACHABLE' | 'NO_RESPONSE' | null;
  deadlineAt: Date;
  completedAt?: Date | null;
  /** Policy and step: P4 phone / survey for the ward, P7 complaint_followup for the service centre by default. */
  policyId?: string;
  step?: string;
}

const ids = new UlidGenerator();

/** Shanghai wall-clock time as an instant: `at('2026-11-24T10:00')`. */
export function at(local: string): Date {
  return new Date(`${local}${local.length === 16 ? ':00' : ''}+08:00`);
}

/** Inserts one customer, then one case and one follow-up per spec; returns the follow-up ids in order. */
export async function insertFollowUps(prisma: PrismaClient, specs: readonly FollowUpSpec[]): Promise<string[]> {
  const departments = new Map((await prisma.department.findMany({ select: { id: true, code: true } })).map((d) => [d.code, d.id]));
  const staff = new Map((await prisma.staff.findMany({ select: { id: true, wecomUserId: true } })).map((s) => [s.wecomUserId, s.id]));
  const customerId = ids.next();
  const phone = uniquePhone();
  await prisma.customer.create({ data: { id: customerId, name: '赵六', salutation: '赵先生', phoneE164: phone, phoneMasked: `${phone.slice(3, 6)}****${phone.slice(-4)}` } });
  const cases = [];
  const followUps = [];
  for (const spec of specs) {
    const action = spec.action ?? 'STAFF_TASK';
    const policyId = spec.policyId ?? (spec.department === 'service-centre' ? 'P7' : 'P4');
    const step = spec.step ?? (policyId === 'P7' ? 'complaint_followup' : action === 'STAFF_TASK' ? 'phone' : 'survey');
    const caseId = ids.next();
    const departmentId = departments.get(spec.department);
    if (!departmentId) throw new Error(`unknown department ${spec.department}`);
    const assigneeId = spec.assignee ? staff.get(spec.assignee) : null;
    if (spec.assignee && !assigneeId) throw new Error(`unknown staff ${spec.assignee}`);
    cases.push({
      id: caseId,
      type: policyId === 'P7' ? 'property_complaint' : 'discharge',
      externalId: uniqueExternalId('RPT'),
      policyId,
      customerId,
      departmentId,
      occurredAt: new Date(spec.deadlineAt.getTime() - 10 * 86_400_000),
    });
    followUps.push({
      id: ids.next(),
      caseId,
      customerId,
      policyId,
      step,
      sequence: 1,
      action,
      channel: action === 'STAFF_TASK' ? 'wecom' : 'sms',
      status: spec.status,
      assigneeId: assigneeId ?? null,
      outcome: spec.outcome ?? null,
      earliestAt: new Date(spec.deadlineAt.getTime() - 5 * 86_400_000),
      dueAt: new Date(spec.deadlineAt.getTime() - 5 * 86_400_000),
      deadlineAt: spec.deadlineAt,
      completedAt: spec.completedAt ?? null,
    });
  }
  await prisma.case.createMany({ data: cases });
  await prisma.followUp.createMany({ data: followUps });
  return followUps.map((f) => f.id);
}

/** Inserts an open escalation on the case of `followUpId`, owned by `owner` (WeCom user id). */
export async function insertEscalation(prisma: PrismaClient, input: { followUpId: string; owner: string; createdAt: Date; deadlineAt: Date }): Promise<string> {
  const followUp = await prisma.followUp.findUniqueOrThrow({ where: { id: input.followUpId }, select: { caseId: true } });
  const owner = await prisma.staff.findUniqueOrThrow({ where: { wecomUserId: input.owner }, select: { id: true } });
  const id = ids.next();
  await prisma.escalation.create({
    data: {
      id,
      sourceKey: `test:${id}`,
      caseId: followUp.caseId,
      followUpId: input.followUpId,
      reason: 'DISSATISFIED',
      ownerId: owner.id,
      status: 'OPEN',
      summary: '客户不满意',
      createdAt: input.createdAt,
      deadlineAt: input.deadlineAt,
    },
  });
  return id;
}
