// GET /metrics of the booted service: a signed WeCom callback and a dispatch run move the counters,
// the latency histogram, the job histogram and the backlog gauges, read back by parsing the scrape.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { runJob } from '../support/e2e.js';
import { processedInboundEvent, startWecomService, type WecomTestService } from '../integration/wecom/wecom-service.js';

/** One sample of a scrape: metric name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (samples only; comments skipped). */
function parseScrape(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`; 0 when none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

describeEachDatabase('GET /metrics', (db) => {
  let service: WecomTestService;
  let metricsUrl: string;

  beforeAll(async () => {
    service = await startWecomService(db());
    metricsUrl = service.callbackUrl.replace('/wecom/callback', '/metrics');
  });
  afterAll(async () => {
    await service?.close();
  });

  const scrape = async () => {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseScrape(await res.text());
  };

  it('moves with a signed callback and a dispatch run', async () => {
    const { sim, callbackUrl, clock, app } = service;
    const callbackCount = { route: '/wecom/callback', method: 'POST', status: '200' };
    const handled = { source: 'wecom', kind: 'staff_message', outcome: 'processed' };
    const before = await scrape();
    expect(valueOf(before, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // A member's text: recorded, handled (the help text is queued for the member), answered 200.
    const delivery = await sim.sendText(callbackUrl, { fromUser: 'hushi.li', content: '你好', msgId: '7291746382910470001' });
    expect(delivery.status).toBe(200);
    await processedInboundEvent(service, '7291746382910470001');
    clock.advance(30_000);

    const afterCallback = await scrape();
    expect(valueOf(afterCallback, 'huifang_http_request_duration_seconds_count', callbackCount)).toBe(valueOf(before, 'huifang_http_request_duration_seconds_count', callbackCount) + 1);
    // Every answered callback lies in the +Inf bucket; the sum of its latencies grew.
    expect(valueOf(afterCallback, 'huifang_http_request_duration_seconds_bucket', { ...callbackCount, le: '+Inf' })).toBe(valueOf(afterCallback, 'huifang_http_request_duration_seconds_count', callbackCount));
    expect(valueOf(afterCallback, 'huifang_http_request_duration_seconds_sum', callbackCount)).toBeGreaterThan(valueOf(before, 'huifang_http_request_duration_seconds_sum', callbackCount));
    expect(valueOf(afterCallback, 'huifang_inbound_events_total', handled)).toBe(valueOf(before, 'huifang_inbound_events_total', handled) + 1);
    // The reply has waited 30 s (fake clock) since it became due.
    expect(valueOf(afterCallback, 'huifang_outbox_lag_seconds')).toBeGreaterThanOrEqual(30);

    const sent = { outcome: 'sent', channel: 'wecom' };
    const dispatchRuns = { job: 'dispatch-outbox', outcome: 'ok' };
    await runJob(app, 'dispatch-outbox');

    const afterDispatch = await scrape();
    expect(valueOf(afterDispatch, 'huifang_outbox_events_total', sent)).toBe(valueOf(afterCallback, 'huifang_outbox_events_total', sent) + 1);
    expect(valueOf(afterDispatch, 'huifang_job_duration_seconds_count', dispatchRuns)).toBe(valueOf(afterCallback, 'huifang_job_duration_seconds_count', dispatchRuns) + 1);
    expect(valueOf(afterDispatch, 'huifang_outbox_lag_seconds')).toBe(0);
    // The scrapes themselves are counted under their route pattern.
    expect(valueOf(afterDispatch, 'huifang_http_request_duration_seconds_count', { route: '/metrics', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(2);
  });

  it('shows inbound events waiting to be handled, and their age', async () => {
    const { app, clock } = service;
    const before = await scrape();
    // Recorded as a webhook records it, not handled yet (the inbox job would pick it up).
    await app.deps.inbox.recordInbound({ id: app.deps.ids.next(), source: 'wecom', dedupeKey: 'metrics-backlog-1', kind: 'staff_message', payload: { wecomUserId: 'hushi.li', text: '你好', msgId: 'metrics-backlog-1' }, receivedAt: clock.now() });
    clock.advance(45_000);

    const waiting = await scrape();
    expect(valueOf(waiting, 'huifang_inbox_backlog')).toBe(valueOf(before, 'huifang_inbox_backlog') + 1);
    expect(valueOf(waiting, 'huifang_inbox_oldest_age_seconds')).toBeGreaterThanOrEqual(45);

    await runJob(app, 'process-inbox');
    const handled = await scrape();
    expect(valueOf(handled, 'huifang_inbox_backlog')).toBe(valueOf(before, 'huifang_inbox_backlog'));
    expect(valueOf(handled, 'huifang_job_duration_seconds_count', { job: 'process-inbox', outcome: 'ok' })).toBe(valueOf(waiting, 'huifang_job_duration_seconds_count', { job: 'process-inbox', outcome: 'ok' }) + 1);
  });
});
