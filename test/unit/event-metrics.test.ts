import { expect, it } from 'vitest';
import { HuifangEvents } from '../../bot/core/events.js';
import { EventMetrics } from '../../bot/event-metrics.js';
import type { ClaimedOutboxMessage } from '../../bot/core/ports/outbox.js';

const at = new Date('2026-12-07T02:00:00Z');
const message = (channel: 'sms' | 'wecom', kind: 'survey_invite' | 'task_card'): ClaimedOutboxMessage =>
  ({ id: 'm1', idempotencyKey: 'k1', channel, attempt: 1, maxAttempts: 5, claimToken: 't', message: { kind } }) as unknown as ClaimedOutboxMessage;

const NO_BACKLOG = { outboxLagSeconds: 0, inboxBacklog: 0, inboxOldestAgeSeconds: 0, inboxDead: 0, outboxUncertain: 0 };

it('counts lifecycle events by outcome and labels, in the Prometheus text format', async () => {
  const events = new HuifangEvents();
  const metrics = new EventMetrics(events);
  events.emit('outbox:sent', { message: message('sms', 'survey_invite'), providerMessageId: 'p1', at });
  events.emit('outbox:sent', { message: message('sms', 'survey_invite'), providerMessageId: 'p2', at });
  events.emit('outbox:dead', { message: message('wecom', 'task_card'), error: new Error('x'), errorCode: '81013', replacementQueued: false, at });
  events.emit('inbox:processed', { eventId: 'e1', source: 'tencent-sms', dedupeKey: 'k', kind: 'sms_reply', status: 'REJECTED', result: null, reason: 'no survey', at });
  events.emit('escalation:opened', { escalationId: 'x', caseId: 'c', reason: 'DISSATISFIED', level: 1, ownerId: 's', deadlineAt: at, at });

  events.emit('job:finished', { job: 'dispatch-outbox', ms: 40, ok: true, at });

  const text = await metrics.render({ outboxLagSeconds: 12.5, inboxBacklog: 3, inboxOldestAgeSeconds: 7, inboxDead: 2, outboxUncertain: 1 });
  expect(text).toContain('# TYPE huifang_outbox_events_total counter');
  expect(text).toContain('huifang_outbox_events_total{outcome="sent",channel="sms",kind="survey_invite"} 2');
  expect(text).toContain('huifang_outbox_events_total{outcome="dead",channel="wecom",kind="task_card"} 1');
  expect(text).toContain('huifang_inbound_events_total{source="tencent-sms",kind="sms_reply",outcome="rejected"} 1');
  expect(text).toContain('huifang_escalation_events_total{transition="opened"} 1');
  expect(text).toContain('huifang_job_duration_seconds_bucket{le="0.05",job="dispatch-outbox",outcome="ok"} 1');
  expect(text).toContain('huifang_job_duration_seconds_bucket{le="0.025",job="dispatch-outbox",outcome="ok"} 0');
  expect(text).toContain('huifang_outbox_lag_seconds 12.5');
  expect(text).toContain('huifang_inbox_backlog 3');
  expect(text).toContain('huifang_inbox_oldest_age_seconds 7');
  expect(text).toContain('huifang_inbox_dead 2');
  expect(text).toContain('huifang_outbox_uncertain 1');
  // Default process metrics, in this registry.
  expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
  expect(text).toMatch(/^nodejs_eventloop_lag_seconds \S+$/m);
});

it('keeps each service’s metrics in its own registry', async () => {
  const first = new HuifangEvents();
  const second = new HuifangEvents();
  const a = new EventMetrics(first);
  // A second instance in the same process neither clashes with the first nor sees its events.
  const b = new EventMetrics(second);
  first.emit('outbox:sent', { message: message('sms', 'survey_invite'), providerMessageId: 'p1', at });
  a.observeRequest('/healthz', 'GET', 200, 0.002);

  const textA = await a.render(NO_BACKLOG);
  const textB = await b.render(NO_BACKLOG);
  expect(textA).toContain('huifang_outbox_events_total{outcome="sent",channel="sms",kind="survey_invite"} 1');
  expect(textA).toContain('huifang_http_request_duration_seconds_count{route="/healthz",method="GET",status="200"} 1');
  expect(textB).not.toContain('huifang_outbox_events_total{');
  expect(textB).not.toContain('huifang_http_request_duration_seconds_count{');
  expect(textB).toContain('# TYPE process_cpu_user_seconds_total counter');
});

it('keeps emitting to the other listeners when one throws, and reports the error', () => {
  const errors: unknown[] = [];
  const events = new HuifangEvents((error) => errors.push(error));
  const seen: string[] = [];
  events.on('escalation:resolved', () => {
    throw new Error('listener broke');
  });
  events.on('escalation:resolved', (e) => seen.push(e.escalationId));
  expect(() => events.emit('escalation:resolved', { escalationId: 'x1', byStaffId: 's', secondFollowUpId: null, at })).not.toThrow();
  expect(seen).toEqual(['x1']);
  expect(errors).toEqual([expect.objectContaining({ message: 'listener broke' })]);
});
