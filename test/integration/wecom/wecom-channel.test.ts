import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { ChannelError } from '../../../bot/core/errors.js';
import type { OutboundMessage, SendRequest, TaskCard } from '../../../bot/core/messages.js';
import { WecomChannel } from '../../../bot/channels/wecom/wecom-channel.js';
import { WecomClient } from '../../../bot/channels/wecom/wecom-client.js';
import { WecomSimulator } from '../../simulators/wecom/wecom-simulator.js';
import { AppDailyQuota } from '../../../bot/channels/wecom/app-daily-quota.js';
import { MemorySharedWindows } from '../../../bot/memory/shared-window-store.js';
import { MemoryState } from '../../../bot/memory/memory-state.js';
import { PrismaSharedWindows } from '../../../bot/db/shared-window-store.js';
import { dispatchOutbox, RATE_LIMIT_SPREAD_MS } from '../../../bot/core/outbox/dispatch-outbox.js';
import { describeEachDatabase } from '../../support/db.js';
import { createPrismaClient, type DbClient } from '../../../bot/db/client.js';
import { UlidGenerator } from '../../../bot/clocks.js';
import { createTestService, seedOrganisation, sharedDbClient, storeContext } from '../../support/service.js';
import { staffTextMessage } from '../../support/builders.js';

let sim: WecomSimulator;
let clock: FakeClock;
let channel: WecomChannel;
let sequence = 0;

beforeEach(async () => {
  sim = await WecomSimulator.start({ users: ['hushi.li', 'hushi.zhou'] });
  clock = new FakeClock('2026-11-02T01:30:00.000Z');
  const client = new WecomClient({ corpId: sim.corpId, agentId: sim.agentId, secret: sim.secret, apiBase: sim.baseUrl, clock, timeoutMs: 2_000 });
  channel = new WecomChannel({ client, clock, windows: new MemorySharedWindows(new MemoryState()) });
});

afterEach(async () => {
  await sim.close();
});

const to = { staffId: 'S1', wecomUserId: 'hushi.li' };

function card(taskId: string): TaskCard {
  return {
    taskId,
    source: '回访提醒',
    title: '出院电话回访：王女士',
    description: '截止 2026-11-10 23:59',
    subtitle: '请致电并记录结果',
    fields: [{ label: '电话', value: '138****0001' }],
    buttons: [{ key: `satisfied:${taskId}:1`, text: '已回访·满意', style: 1 }],
    detailUrl: null,
  };
}

function request(message: OutboundMessage, attempt = 1): SendRequest {
  sequence += 1;
  return { messageId: `OB${sequence}`, idempotencyKey: `key-${sequence}`, attempt, message };
}

async function failure(promise: Promise<unknown>): Promise<ChannelError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

describe('WecomChannel', () => {
  it('delivers a task card and returns the msgid', async () => {
    const result = await channel.send(request({ kind: 'task_card', to, card: card('fu_A_1') }));
    const [delivered] = sim.messagesForTask('fu_A_1');
    expect(result.providerMessageId).toBe(delivered!.msgid);
    expect(delivered).toMatchObject({ userid: 'hushi.li', msgtype: 'template_card' });
  });

  it('treats 42014 on a retry as "already delivered", but not on a first attempt', async () => {
    const message: OutboundMessage = { kind: 'task_card', to, card: card('fu_B_1') };
    await channel.send(request(message));
    // Past WeCom's 30-minute duplicate check, the same card is refused for its used task_id.
    sim.advanceClock(31 * 60_000);
    expect(await channel.send(request(message, 2))).toEqual({ providerMessageId: null });
    expect(await failure(channel.send(request(message, 1)))).toMatchObject({ kind: 'permanent', providerCode: '42014' });
    expect(sim.messagesForTask('fu_B_1')).toHaveLength(1);
  });

  it('relies on the duplicate check for a quick identical retry', async () => {
    const message: OutboundMessage = { kind: 'task_card', to, card: card('fu_C_1') };
    const first = await channel.send(request(message));
    const retry = await channel.send(request(message, 2));
    expect(retry.providerMessageId).toBe(first.providerMessageId);
    expect(sim.messagesForTask('fu_C_1')).toHaveLength(1);
    expect(sim.duplicates).toHaveLength(1);
  });

  it('sends a text, cut to 2048 bytes', async () => {
    await channel.send(request({ kind: 'staff_text', to, text: '回'.repeat(1000) }));
    const body = sim.messages[0]!.body as { text: { content: string } };
    expect(Buffer.byteLength(body.text.content)).toBeLessThanOrEqual(2048);
  });

  it('sends a staff document as markdown, and an outbox payload of the old markdown kind as it is', async () => {
    const document = {
      title: '回访周报｜心内科病区',
      body: [{ kind: 'text' as const, runs: [{ text: '逾期 2', mark: 'warning' as const }] }],
      footer: [{ kind: 'text' as const, runs: [{ text: '查看完整周报', href: 'https://h.example.cn/d/x.sig' }] }],
    };
    await channel.send(request({ kind: 'staff_document', to, document }));
    expect(sim.messages.at(-1)).toMatchObject({
      msgtype: 'markdown',
      body: expect.objectContaining({ markdown: { content: '### 回访周报｜心内科病区\n<font color="warning">逾期 2</font>\n[查看完整周报](https://h.example.cn/d/x.sig)' } }),
    });
    await channel.send(request({ kind: 'staff_markdown', to, markdown: '### 回访月报\n**应回访 3 项**' }));
    expect(sim.messages.at(-1)).toMatchObject({ msgtype: 'markdown', body: expect.objectContaining({ markdown: { content: '### 回访月报\n**应回访 3 项**' } }) });
  });

  it('updates a card with the response_code, or says it by text when there is none', async () => {
    const sent = await channel.send(request({ kind: 'task_card', to, card: card('fu_D_1') }));
    expect(sent.providerMessageId).not.toBeNull();
    const answer = sim.requests.at(-1)!.answer;
    const sendCode = 'json' in answer ? String(answer.json?.response_code) : '';
    expect(sendCode).not.toBe('');
    await channel.send(request({ kind: 'card_update', to, taskId: 'fu_D_1', responseCode: sendCode, replaceName: '已回访·满意·李护士' }));
    expect(sim.cardUpdates).toEqual([expect.objectContaining({ taskId: 'fu_D_1', responseCode: sendCode, replaceName: '已回访·满意·李护士' })]);

    await channel.send(request({ kind: 'card_update', to, taskId: 'fu_D_1', responseCode: null, replaceName: '未接通·李护士' }));
    expect(sim.messages.at(-1)).toMatchObject({ msgtype: 'text', body: expect.objectContaining({ text: { content: '已记录：未接通·李护士' } }) });
  });

  it('paces messages to one member: the 31st within a minute waits instead of being dropped by WeCom', async () => {
    // The channel paces on the service clock, WeCom counts on its own: move both.
    const advance = (ms: number) => {
      clock.advance(ms);
      sim.advanceClock(ms);
    };
    for (let i = 0; i < 30; i++) await channel.send(request({ kind: 'staff_text', to, text: `第${i}条` }));
    advance(20_000);
    const error = await failure(channel.send(request({ kind: 'staff_text', to, text: '第31条' })));
    expect(error).toMatchObject({ kind: 'rate_limited', providerCode: 'MEMBER_RATE_LIMIT', retryAfterMs: 40_000 });
    // Other members are not held up.
    await channel.send(request({ kind: 'staff_text', to: { staffId: 'S2', wecomUserId: 'hushi.zhou' }, text: '你好' }));
    advance(40_000);
    await channel.send(request({ kind: 'staff_text', to, text: '第31条' }));
    expect(sim.messages.filter((m) => m.userid === 'hushi.li')).toHaveLength(31);
    expect(sim.dropped).toEqual([]);
  });

  it('gives the pacing slot back when WeCom refused the message', async () => {
    for (let i = 0; i < 30; i++) {
      sim.injectFailure({ errcode: 45033 });
      await failure(channel.send(request({ kind: 'staff_text', to, text: `第${i}条` })));
    }
    await channel.send(request({ kind: 'staff_text', to, text: '终于' }));
    expect(sim.messages).toHaveLength(1);
  });

  it('on 45009 blocks the application for a minute, then an hour, then until tomorrow, without calling WeCom meanwhile', async () => {
    const advance = (ms: number) => {
      clock.advance(ms);
      sim.advanceClock(ms);
    };
    sim.injectFailure({ errcode: 45009, errmsg: 'api freq out of limit' });
    expect(await failure(channel.send(request({ kind: 'staff_text', to, text: '1' })))).toMatchObject({ kind: 'rate_limited', providerCode: '45009', retryAfterMs: 60_000 });
    const calls = sim.requests.length;
    // Blocked: WeCom is not called again before the minute is over.
    advance(30_000);
    expect(await failure(channel.send(request({ kind: 'staff_text', to, text: '2' })))).toMatchObject({ kind: 'rate_limited', providerCode: '45009', retryAfterMs: 30_000 });
    expect(sim.requests.length).toBe(calls);
    // 45009 again once the minute is over: the hourly limit, an hour.
    advance(30_000);
    sim.injectFailure({ errcode: 45009, errmsg: 'api freq out of limit' });
    expect(await failure(channel.send(request({ kind: 'staff_text', to, text: '3' })))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3_600_000 });
    // And again after the hour: the daily limit, until the next local midnight (01:30Z + 1 min + 1 h = 10:31 Shanghai).
    advance(3_600_000);
    sim.injectFailure({ errcode: 45009, errmsg: 'api freq out of limit' });
    const daily = await failure(channel.send(request({ kind: 'staff_text', to, text: '4' })));
    expect(new Date(clock.now().getTime() + daily.retryAfterMs!).toISOString()).toBe('2026-11-02T16:00:00.000Z');
    // Tomorrow the application is called again, and a success ends the escalation.
    advance(daily.retryAfterMs!);
    await channel.send(request({ kind: 'staff_text', to, text: '5' }));
    sim.injectFailure({ errcode: 45009, errmsg: 'api freq out of limit' });
    expect(await failure(channel.send(request({ kind: 'staff_text', to, text: '6' })))).toMatchObject({ retryAfterMs: 60_000 });
  });

  it('fails permanently when WeCom refuses the one recipient', async () => {
    const nobody = { staffId: 'S9', wecomUserId: 'left.company' };
    expect(await failure(channel.send(request({ kind: 'staff_text', to: nobody, text: '你好' })))).toMatchObject({ kind: 'permanent', providerCode: '81013' });
  });

  it('refuses survey invitations: app messages reach members only', async () => {
    const invite: OutboundMessage = { kind: 'survey_invite', to: { customerId: 'C1', phoneE164: '+8613800000001' }, templateKey: 'survey_invite', params: [], text: 't', link: 'l', surveyId: 's' };
    expect(await failure(channel.send(request(invite)))).toMatchObject({ kind: 'permanent', providerCode: 'UNSUPPORTED_MESSAGE' });
    expect(sim.requests).toEqual([]);
  });
});

describe('WecomChannel with the application daily quota', () => {
  it('stops before the quota, waits until the next local day, and counts other replicas from the outbox', async () => {
    // Another replica has already sent 1 today (the outbox count); the quota is 3 person-times.
    let counted = 1;
    const counts: Date[] = [];
    const quota = new AppDailyQuota({
      limit: 3,
      timeZone: 'Asia/Shanghai',
      countSentSince: async (since) => {
        counts.push(since);
        return counted;
      },
    });
    const client = new WecomClient({ corpId: sim.corpId, agentId: sim.agentId, secret: sim.secret, apiBase: sim.baseUrl, clock, timeoutMs: 2_000 });
    const limited = new WecomChannel({ client, clock, dailyQuota: quota, windows: new MemorySharedWindows(new MemoryState()) });
    const text = (n: number): OutboundMessage => ({ kind: 'staff_text', to: n % 2 ? to : { staffId: 'S2', wecomUserId: 'hushi.zhou' }, text: `提醒 ${n}` });

    await limited.send(request(text(1)));
    await limited.send(request(text(2)));
    // 09:30 local: the third of today would exceed 3 → it waits until 00:00 tomorrow (14 h 30 min).
    const over = await failure(limited.send(request(text(3))));
    expect(over).toMatchObject({ kind: 'rate_limited', providerCode: 'APP_DAILY_QUOTA', retryAfterMs: 14.5 * 3_600_000 });
    expect(sim.messages.filter((m) => m.msgtype === 'text')).toHaveLength(2);
    expect(counts[0]).toEqual(new Date('2026-11-01T16:00:00.000Z'));

    // After midnight the day starts again from the outbox count.
    clock.set('2026-11-02T16:00:00.000Z');
    counted = 0;
    await limited.send(request(text(3)));
    expect(counts.at(-1)).toEqual(new Date('2026-11-02T16:00:00.000Z'));
    expect(sim.messages.filter((m) => m.msgtype === 'text')).toHaveLength(3);
  });
});

describeEachDatabase('WecomChannel 45009 block shared through the database', (db) => {
  let nurse: string;
  let run = 0;

  beforeAll(async () => {
    nurse = (await seedOrganisation(db())).get('hushi.li')!;
  });

  /** A replica's WeCom channel (or the one of a restarted process): its own client and store, one database. */
  function replicaChannel(application: string): WecomChannel {
    const client = new WecomClient({ corpId: sim.corpId, agentId: sim.agentId, secret: sim.secret, apiBase: sim.baseUrl, clock, timeoutMs: 2_000 });
    return new WecomChannel({ client, clock, windows: new PrismaSharedWindows(storeContext(db())), applicationKey: application });
  }

  it('defers every replica’s messages while the application is blocked, and a restarted process escalates the same block', async () => {
    // Deferred to the block's end, spread by the jitter (0.5 here) times RATE_LIMIT_SPREAD_MS.
    const SPREAD = 0.5 * RATE_LIMIT_SPREAD_MS;
    const application = `test:${++run}`;
    const key = `wecom-45009:${application}`;
    const first = replicaChannel(application);
    const app = createTestService(db().url, sharedDbClient(db()), clock, { channels: { wecom: first }, jitter: () => 0.5 });
    await app.deps.outbox.enqueue([staffTextMessage(`block-a-${run}`, nurse, 'hushi.li', clock.now())]);
    sim.injectFailure({ errcode: 45009, errmsg: 'api freq out of limit' });
    expect(await dispatchOutbox(app.deps, { channels: app.channels, jitter: () => 0.5 })).toMatchObject({ retried: 1, dead: 0 });
    const blocked = await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `block-a-${run}` } });
    // Deferred, not failed: a rate limit does not use up the message's attempts (the schema's 8, one more for the deferred try).
    expect(blocked).toMatchObject({ status: 'PENDING', lastErrorCode: '45009', nextAttemptAt: new Date(clock.now().getTime() + 60_000 + SPREAD), attempts: 1 });
    expect(blocked.maxAttempts).toBe(8 + 1);

    // Another replica, 30 s later: its message waits for the block without WeCom being called.
    clock.advance(30_000);
    const calls = sim.requests.length;
    const second = replicaChannel(application);
    const other = createTestService(db().url, sharedDbClient(db()), clock, { channels: { wecom: second }, jitter: () => 0.5 });
    await other.deps.outbox.enqueue([staffTextMessage(`block-b-${run}`, nurse, 'hushi.li', clock.now())]);
    expect(await dispatchOutbox(other.deps, { channels: other.channels, jitter: () => 0.5 })).toMatchObject({ claimed: 1, retried: 1, sent: 0 });
    expect(sim.requests.length).toBe(calls);
    expect(await db().prisma.outboxMessage.findUniqueOrThrow({ where: { idempotencyKey: `block-b-${run}` } })).toMatchObject({ status: 'PENDING', nextAttemptAt: new Date(clock.now().getTime() + 30_000 + SPREAD) });

    // A process started after the minute meets 45009 again: the hourly limit, for every replica.
    clock.advance(30_000);
    sim.injectFailure({ errcode: 45009, errmsg: 'api freq out of limit' });
    const restarted = replicaChannel(application);
    expect(await failure(restarted.send(request({ kind: 'staff_text', to, text: 'after restart' })))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3_600_000 });
    expect(await failure(first.send(request({ kind: 'staff_text', to, text: 'old replica' })))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3_600_000 });

    // After the hour a send goes through on any replica and ends the escalation for all.
    clock.advance(3_600_000);
    sim.advanceClock(3_600_000 + 60_000);
    await second.send(request({ kind: 'staff_text', to, text: 'through' }));
    expect(await db().prisma.sharedWindow.findUnique({ where: { key } })).toBeNull();
    sim.injectFailure({ errcode: 45009, errmsg: 'api freq out of limit' });
    expect(await failure(restarted.send(request({ kind: 'staff_text', to, text: 'minute again' })))).toMatchObject({ retryAfterMs: 60_000 });
  });
  it('paces one member across replicas: 30 messages in a minute from two replicas together, then the next waits', async () => {
    const application = `test:${++run}`;
    const a = replicaChannel(application);
    const b = replicaChannel(application);
    const before = sim.messages.length;
    for (let i = 0; i < 20; i++) await a.send(request({ kind: 'staff_text', to, text: `a${i}` }));
    for (let i = 0; i < 10; i++) await b.send(request({ kind: 'staff_text', to, text: `b${i}` }));
    clock.advance(1_000);
    sim.advanceClock(1_000);
    // B sent 10 itself, A 20: the member has had 30 this minute, so B's next one waits for the minute to end.
    expect(await failure(b.send(request({ kind: 'staff_text', to, text: 'b-over' })))).toMatchObject({ kind: 'rate_limited', providerCode: 'MEMBER_RATE_LIMIT', retryAfterMs: 59_000 });
    // So does a process started now; another member is not affected.
    expect(await failure(replicaChannel(application).send(request({ kind: 'staff_text', to, text: 'restarted' })))).toMatchObject({ providerCode: 'MEMBER_RATE_LIMIT' });
    await b.send(request({ kind: 'staff_text', to: { staffId: 'S2', wecomUserId: 'hushi.zhou' }, text: 'other member' }));
    expect(sim.messages.length - before).toBe(31);
    clock.advance(59_000);
    sim.advanceClock(60_000);
    await b.send(request({ kind: 'staff_text', to, text: 'next minute' }));
    expect(sim.messages.length - before).toBe(32);
  });
});

/** The most messages to one member within any `windowMs` (closed at the newest end, as WeCom counts). */
function mostWithin(messages: readonly { at: Date }[], windowMs: number): number {
  const times = messages.map((m) => m.at.getTime()).sort((a, b) => a - b);
  let most = 0;
  for (let last = 0, first = 0; last < times.length; last++) {
    while (times[first]! <= times[last]! - windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describeEachDatabase('WecomChannel per-member caps shared through the database', (db) => {
  /** WeCom on the service's fake clock: it counts, and silently drops, on the same instants. */
  let wecom: WecomSimulator;
  let time: FakeClock;
  let run = 0;
  const clients: DbClient[] = [];

  beforeEach(async () => {
    time = new FakeClock('2026-11-02T01:30:00.000Z');
    wecom = await WecomSimulator.start({ users: ['hushi.li', 'hushi.zhou'], clock: time });
  });

  afterEach(async () => {
    await wecom.close();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  /** A replica (or a restarted process): its own Prisma client on the one database, its own WeCom client and pacing. */
  function replica(application: string, fetch?: typeof globalThis.fetch): WecomChannel {
    const client = createPrismaClient(db().url);
    clients.push(client);
    const windows = new PrismaSharedWindows({ prisma: client.prisma, capabilities: client.capabilities, ids: new UlidGenerator() });
    const api = new WecomClient({ corpId: wecom.corpId, agentId: wecom.agentId, secret: wecom.secret, apiBase: wecom.baseUrl, clock: time, timeoutMs: 10_000, ...(fetch ? { fetch } : {}) });
    return new WecomChannel({ client: api, clock: time, windows, applicationKey: application });
  }

  const toLi = (m: { userid: string }) => m.userid === 'hushi.li';

  it('two replicas sending in turn across minute boundaries never put more than 30 in any 60 s; the excess waits', async () => {
    const application = `caps:${++run}`;
    const replicas = [replica(application), replica(application)];
    // One message opens the member's first minute; the burst starts 45 s later, so it straddles the minute
    // that a window opened by the first send would end at.
    await replicas[0]!.send(request({ kind: 'staff_text', to, text: 'first' }));
    time.advance(45_000);
    const pending = Array.from({ length: 100 }, (_, i) => `burst ${i}`);
    const deferred: number[] = [];
    const sentBy: { replica: number; atMs: number }[] = [];
    // Each second, each replica in turn tries the next pending message; one over a cap stays pending.
    for (let second = 0; second < 300 && pending.length > 0; second++) {
      for (const [index, channel] of replicas.entries()) {
        if (pending.length === 0) break;
        try {
          await channel.send(request({ kind: 'staff_text', to, text: pending[0]! }));
          pending.shift();
          sentBy.push({ replica: index, atMs: time.now().getTime() });
        } catch (error) {
          expect(error).toMatchObject({ kind: 'rate_limited', providerCode: 'MEMBER_RATE_LIMIT' });
          deferred.push((error as ChannelError).retryAfterMs!);
        }
      }
      time.advance(1_000);
    }
    const delivered = wecom.messages.filter(toLi);
    expect(wecom.dropped).toEqual([]);
    expect(pending).toEqual([]);
    expect(delivered).toHaveLength(101);
    expect(mostWithin(delivered, 60_000)).toBe(30);
    // Both replicas sent on both sides of the end of the minute the first message opened.
    const firstMinuteEnd = delivered[0]!.at.getTime() + 60_000;
    for (const index of [0, 1]) {
      expect(sentBy.some((s) => s.replica === index && s.atMs < firstMinuteEnd)).toBe(true);
      expect(sentBy.some((s) => s.replica === index && s.atMs >= firstMinuteEnd)).toBe(true);
    }
    // The burst's 30th went in the first minute; at its end only the lone first message left the window.
    expect(sentBy.filter((s) => s.atMs >= firstMinuteEnd && s.atMs < firstMinuteEnd + 1_000)).toHaveLength(1);
    expect(deferred.length).toBeGreaterThan(0);
  });

  it('two replicas together send no more than 1 000 in any hour; the next waits until the hour’s first leaves it, and a restarted process knows', async () => {
    const application = `caps:${++run}`;
    const replicas = [replica(application), replica(application)];
    let sent = 0;
    let turn = 0;
    // As the outbox would: a message over a cap is tried again after the wait it was given.
    while (sent < 1_000) {
      try {
        await replicas[turn++ % 2]!.send(request({ kind: 'staff_text', to, text: `hour ${sent}` }));
        sent++;
      } catch (error) {
        expect(error).toMatchObject({ kind: 'rate_limited', providerCode: 'MEMBER_RATE_LIMIT' });
        time.advance((error as ChannelError).retryAfterMs!);
      }
    }
    const delivered = wecom.messages.filter(toLi);
    const firstAt = delivered[0]!.at.getTime();
    expect(time.now().getTime() - firstAt).toBeLessThan(3_600_000);
    time.advance(60_000);
    // A thousand this hour: each replica, and a process started now, waits for the first to leave the hour.
    const untilFirstLeaves = firstAt + 3_600_000 - time.now().getTime();
    for (const channel of [...replicas, replica(application)]) {
      expect(await failure(channel.send(request({ kind: 'staff_text', to, text: 'one too many' })))).toMatchObject({ kind: 'rate_limited', providerCode: 'MEMBER_RATE_LIMIT', retryAfterMs: untilFirstLeaves });
    }
    // Another member is not held up.
    await replicas[1]!.send(request({ kind: 'staff_text', to: { staffId: 'S2', wecomUserId: 'hushi.zhou' }, text: 'other member' }));
    time.advance(untilFirstLeaves);
    await replicas[1]!.send(request({ kind: 'staff_text', to, text: 'next hour' }));
    const all = wecom.messages.filter(toLi);
    expect(all).toHaveLength(1_001);
    expect(wecom.dropped).toEqual([]);
    expect(mostWithin(all, 3_600_000)).toBe(1_000);
    expect(mostWithin(all, 60_000)).toBe(30);
  });

  it('replicas sending to one member at the same moment get exactly 30 through; a send WeCom refused is given back', async () => {
    const application = `caps:${++run}`;
    const replicas = [replica(application), replica(application)];
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => replicas[i % 2]!.send(request({ kind: 'staff_text', to, text: `same moment ${i}` })).then(() => 'sent', (e: unknown) => e)),
    );
    expect(outcomes.filter((o) => o === 'sent')).toHaveLength(30);
    // Until the first 30 are answered they count at the latest instant they could reach WeCom (4 × 10 s on),
    // so the wait is a minute from then at most.
    for (const o of outcomes.filter((o) => o !== 'sent')) {
      expect(o).toMatchObject({ kind: 'rate_limited', providerCode: 'MEMBER_RATE_LIMIT' });
      expect((o as ChannelError).retryAfterMs).toBeGreaterThanOrEqual(60_000);
      expect((o as ChannelError).retryAfterMs).toBeLessThanOrEqual(100_000);
    }
    expect(wecom.messages.filter(toLi)).toHaveLength(30);

    // A minute on: a send WeCom answers with an errcode delivered nothing and does not count.
    time.advance(60_000);
    expect(mostWithin(wecom.messages.filter(toLi), 60_000)).toBe(30);
    wecom.injectFailure({ errcode: 45033 });
    await failure(replicas[0]!.send(request({ kind: 'staff_text', to, text: 'refused' })));
    for (let i = 0; i < 30; i++) await replicas[i % 2]!.send(request({ kind: 'staff_text', to, text: `next minute ${i}` }));
    expect(wecom.messages.filter(toLi)).toHaveLength(60);
    expect(wecom.dropped).toEqual([]);
  });

  it('counts a send from when it may reach WeCom until its answer, so a late one does not make 31 in WeCom’s minute', async () => {
    const application = `caps:${++run}`;
    // Replica A's next message/send request is held before it leaves, and again after WeCom took it, before
    // its answer comes back, while the clock moves on (well within the client's timeouts: 4 × 10 s).
    const hold = () => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let reach!: () => void;
      const reached = new Promise<void>((resolve) => (reach = resolve));
      return { release, released, reach, reached };
    };
    const request1 = hold();
    const answer = hold();
    let held = true;
    const slowFetch: typeof globalThis.fetch = async (input, init) => {
      if (!held || !String(input instanceof Request ? input.url : input).includes('/cgi-bin/message/send')) return globalThis.fetch(input, init);
      held = false;
      request1.reach();
      await request1.released;
      const response = await globalThis.fetch(input, init);
      answer.reach();
      await answer.released;
      return response;
    };
    const a = replica(application, slowFetch);
    const b = replica(application);
    const slow = a.send(request({ kind: 'staff_text', to, text: 'late' }));
    await request1.reached;
    for (let i = 0; i < 29; i++) await b.send(request({ kind: 'staff_text', to, text: `first ${i}` }));
    // A's message reaches WeCom 30 s after it was let go; its answer is still on the way a minute after.
    time.advance(30_000);
    request1.release();
    await answer.reached;
    time.advance(30_000);
    let sentNow = 0;
    for (let i = 0; i < 30; i++) {
      try {
        await b.send(request({ kind: 'staff_text', to, text: `second ${i}` }));
        sentNow++;
      } catch (error) {
        expect(error).toMatchObject({ kind: 'rate_limited', providerCode: 'MEMBER_RATE_LIMIT' });
      }
    }
    // B's first 29 left the window, A's message has not: 29 more, and WeCom holds 30 in its minute.
    expect(sentNow).toBe(29);
    answer.release();
    await slow;
    const delivered = wecom.messages.filter(toLi);
    expect(delivered).toHaveLength(59);
    expect(wecom.dropped).toEqual([]);
    expect(mostWithin(delivered, 60_000)).toBe(30);
    // Its answer came after the latest instant it was counted at (40 s after it was let go), so it keeps that
    // instant: the next send waits until 40 s + 60 s after the message was let go.
    expect(await failure(b.send(request({ kind: 'staff_text', to, text: 'next' })))).toMatchObject({ providerCode: 'MEMBER_RATE_LIMIT', retryAfterMs: 40_000 });
  });
});
