// Helpers for e2e tests: the booted service over HTTP, jobs run by name on the fake clock, and
// readers for what the service recorded.
import { expect } from 'vitest';
import type { Huifang } from '../../bot/huifang.js';
import type { PrismaClient } from '../../bot/db/client.js';
import type { TaskCard } from '../../bot/core/messages.js';
import { jobs } from '../../jobs/index.js';
import { runJob as runScheduledJob } from '../../jobs/run-job.js';
import { TEST_API_KEY } from './service.js';

/** Runs one job as the scheduler does (`jobs/run-job.ts`: timed, `job:finished` emitted), returning its summary. */
export async function runJob(app: Huifang, name: keyof typeof jobs & string): Promise<Record<string, unknown>> {
  return (await runScheduledJob(app, name)) as Record<string, unknown>;
}

/** `fetch` against the service with the test API key. */
export function api(baseUrl: string, path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const { key = TEST_API_KEY, headers, ...rest } = init;
  return fetch(`${baseUrl}${path}`, {
    ...rest,
    headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(rest.body ? { 'content-type': 'application/json' } : {}), ...(headers as Record<string, string> | undefined) },
  });
}

/** POSTs a case and returns the created case id (expects 201). */
export async function postCase(baseUrl: string, body: unknown): Promise<string> {
  const res = await api(baseUrl, '/api/v1/cases', { method: 'POST', body: JSON.stringify(body) });
  const json = (await res.json()) as { case?: { id: string } };
  expect(res.status, JSON.stringify(json)).toBe(201);
  return json.case!.id;
}

/** The case's follow-up for `step`. */
export async function followUpOf(prisma: PrismaClient, caseId: string, step: string) {
  return prisma.followUp.findUniqueOrThrow({ where: { caseId_step: { caseId, step } } });
}

/** Outbox rows of a follow-up, oldest first. */
export async function outboxOf(prisma: PrismaClient, followUpId: string, kind?: string) {
  return prisma.outboxMessage.findMany({ where: { followUpId, ...(kind ? { kind } : {}) }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}

/** Escalation cards (`esc:<id>:card:<level>`) raised from a follow-up, oldest first. */
export async function escalationCardsOf(prisma: PrismaClient, followUpId: string) {
  return prisma.outboxMessage.findMany({ where: { followUpId, kind: 'task_card', idempotencyKey: { startsWith: 'esc:' } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}

/** The task card of `attempt` as the sandbox delivered it to the staff member's WeCom inbox. */
export async function deliveredCard(prisma: PrismaClient, followUpId: string, attempt: number): Promise<{ card: TaskCard; address: string }> {
  const message = await prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `fu:${followUpId}:${attempt}` } });
  const delivery = await prisma.sandboxDelivery.findUniqueOrThrow({ where: { outboxMessageId: message.id } });
  const content = JSON.parse(delivery.content) as { kind: string; card: TaskCard };
  expect(content.kind).toBe('task_card');
  return { card: content.card, address: delivery.address };
}

/** The button key of a delivered card, by action (`satisfied`, `dissatisfied`, `unreachable`, `reschedule`). */
export function buttonKey(card: TaskCard, action: string): string {
  const button = card.buttons.find((b) => b.key.startsWith(`${action}:`));
  if (!button) throw new Error(`card ${card.taskId} has no ${action} button`);
  return button.key;
}
