import { expect, it } from 'vitest';
import { HuifangEvents } from '../../bot/core/events.js';
import { EventMetrics } from '../../bot/event-metrics.js';
import type { ClaimedOutboxMessage } from '../../bot/core/ports/outbox.js';

const at = new Date('2026-12-07T02:00:00Z');
const message = (channel: 'sms' | 'wecom', kind: 'survey_invite' | 'task_card'): ClaimedOutboxMessage =>
  ({ id: 'm1', idempotencyKey: 'k1', channel, attempt: 1, maxAttempts: 5, claimToken: 't', message: { kind } }) as unknown as ClaimedOutboxMessage;

it('counts lifecycle events by outcome and labels, in the Prometheus text format', () => {
  const events = new HuifangEvents();
  const metrics = new EventMetrics(events);
  events.emit('outbox:sent', { message: message('sms', 'survey_invite'), providerMessageId: 'p1', at });
  events.emit('outbox:sent', { message: message('sms', 'survey_invite'), providerMessageId: 'p2', at });
  events.emit('outbox:dead', { message: message('wecom', 'task_card'), error: new Error('x'), errorCode: '81013', replacementQueued: false, at });
  events.emit('inbox:processed', { eventId: 'e1', source: 'tencent-sms', dedupeKey: 'k', kind: 'sms_reply', status: 'REJECTED', result: null, reason: 'no survey', at });
  events.emit('escalation:opened', { escalationId: 'x', caseId: 'c', reason: 'DISSATISFIED', level: 1, ownerId: 's', deadlineAt: at, at });

  const text = metrics.render().join('\n');
  expect(text).toContain('# TYPE huifang_outbox_events_total counter');
  expect(text).toContain('huifang_outbox_events_total{outcome="sent",channel="sms",kind="survey_invite"} 2');
  expect(text).toContain('huifang_outbox_events_total{outcome="dead",channel="wecom",kind="task_card"} 1');
  expect(text).toContain('huifang_inbound_events_total{source="tencent-sms",kind="sms_reply",outcome="rejected"} 1');
  expect(text).toContain('huifang_escalation_events_total{transition="opened"} 1');
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
