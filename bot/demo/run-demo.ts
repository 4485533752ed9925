// `huifang demo`: the example organisation (bot/example) run for weeks of simulated time in
// seconds. Everything enters the way it does in production — cases through the API's
// `toSubmitInput` + `submitCase`, staff taps and customer SMS replies through `app.receive`
// with the exact inbound events the sandbox (and so the real webhooks) produce — and every job
// runs in `TICK_ORDER` on a fake clock. Randomness (arrivals, who acts when, what customers
// reply, ids, tokens, retry jitter) comes from one seeded PRNG, so a seed replays the same story.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createPrismaClient } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { createHuifang, type Huifang } from '../huifang.js';
import { FakeClock, UlidGenerator } from '../clocks.js';
import { seedExampleOrganisation, EXAMPLE_CUSTOMERS } from '../example/example-organisation.js';
import { caseBody, toSubmitInput, type CaseBody } from '../cases/case-body.js';
import { submitCase } from '../core/cases/submit-case.js';
import { jobs, TICK_ORDER } from '../../jobs/index.js';
import type { Clock, TokenGenerator } from '../core/clock.js';
import type { OutboundMessage, TaskCard } from '../core/messages.js';
import type { StaffAction } from '../core/follow-ups/status.js';
import { addLocalDays, formatLocalDate, formatLocalDateTime, startOfLocalDay, toLocal, zoneOffsetMs } from '../core/time.js';
import { buildDigest, type WeeklyDigest } from '../core/digests/build-digest.js';
import { buildDigestDocument } from '../core/digests/digest-document.js';
import { fitWecomDocument, formatWecomMarkdown } from '../channels/wecom/format-markdown.js';
import { utf8Length } from '../channels/wecom/text-limits.js';
import { formatDocumentText } from '../channels/sandbox/format-document-text.js';

export interface DemoOptions {
  /** Simulated days to run (from Monday 2026-11-02 08:00 Asia/Shanghai). */
  days: number;
  /** Print the report as JSON instead of text. */
  json: boolean;
  /**
   * An empty database to use (it is migrated and kept); default a fresh SQLite file in a temporary
   * directory, removed afterwards.
   */
  databaseUrl?: string;
  /** Where the report goes, one call per line [console.log]. */
  out?: (line: string) => void;
  /** PRNG seed [42]. */
  seed?: number;
}

/** Follow-up counts; `total` is the sum of every other field but `done` and `due`. */
export interface FollowUpCounts {
  total: number;
  /** Follow-ups whose due time had come by the end (not SKIPPED). */
  due: number;
  done: number;
  doneOnTime: number;
  doneLate: number;
  unreachable: number;
  overdueOpen: number;
  /** Open, activated, deadline not passed. */
  active: number;
  cancelled: number;
  /** SCHEDULED: not yet due, or waiting for the next attempt after a failed call (see `awaitingRetry`). */
  scheduled: number;
  awaitingRetry: number;
  skipped: number;
}

export interface DemoDigest {
  wecomUserId: string;
  manager: string;
  /** The digest as WeCom receives it (markdown within its 2048 bytes). */
  markdown: string;
  bytes: number;
  /** The same, as plain text, for the terminal. */
  text: string;
  digest: WeeklyDigest;
}

/** What happened in the demo; every group of figures adds up (see the printed equations). */
export interface DemoReport {
  organisation: string;
  seed: number;
  days: number;
  timeZone: string;
  /** Simulated start and end instants (ISO). */
  simulatedFrom: string;
  simulatedTo: string;
  ticks: number;
  /** Wall-clock milliseconds: migration, simulation (of which each job, and the simulated people's events), total. */
  runtimeMs: { migrate: number; simulate: number; total: number; jobs: Record<string, number>; events: number };
  cases: {
    created: number;
    byPolicy: { policyId: string; name: string; created: number }[];
    /** Complaints re-posted with their `handled` milestone (each adds the complaint follow-up). */
    handledUpdates: number;
    /** Discharges closed by the HIS (readmission), cancelling their open follow-ups. */
    closed: number;
    /** Identical re-posts (HIS retries): nothing changed. */
    replays: number;
  };
  followUps: FollowUpCounts & { byAction: { staffTasks: FollowUpCounts; surveys: FollowUpCounts } };
  staff: {
    cardsDelivered: number;
    taps: Record<StaffAction, number>;
    /** Cards nobody ever tapped (left to become overdue). */
    cardsIgnored: number;
    /** Taps the service refused or found already recorded. */
    tapsNotApplied: number;
  };
  surveys: {
    sent: number;
    answered: number;
    expired: number;
    open: number;
    replies: number;
    unparsedReplies: number;
    optOuts: number;
    /** Replies with no open survey to answer (after answering or expiry), rejected by the service. */
    rejectedReplies: number;
    satisfaction: { satisfied: number; neutral: number; dissatisfied: number };
  };
  escalations: {
    opened: number;
    open: number;
    byOwner: { owner: string; count: number }[];
    list: { owner: string; reason: string; status: string; createdAt: string; deadlineAt: string }[];
  };
  outbox: {
    total: number;
    sent: number;
    pending: number;
    dead: number;
    cancelled: number;
    byChannel: { channel: string; sent: number; pending: number; dead: number; cancelled: number; byKind: Record<string, number> }[];
  };
  inbound: { total: number; processed: number; rejected: number; failed: number; rejectedByCode: Record<string, number> };
  /** The digests of the last full week (Monday–Sunday) as sent on the following Monday at 08:00; null if no week completed. */
  digests: { from: string; to: string; builtAt: string; wardHead: DemoDigest | null; propertyManager: DemoDigest | null } | null;
}

const TIME_ZONE = 'Asia/Shanghai';
/** Monday 2026-11-02 08:00 in Asia/Shanghai. */
const START = new Date('2026-11-02T08:00:00+08:00');
const HOUR_MS = 3_600_000;
const WARD_HEAD = 'kezhuren.wang';
const PROPERTY_MANAGER = 'jingli.zhao';

/**
 * Runs the demo: a fresh database (migrated like production), the example organisation, and `days`
 * simulated days driven hour by hour; prints the story and returns the report.
 */
export async function runDemo(options: DemoOptions): Promise<DemoReport> {
  const days = Math.floor(options.days);
  if (!Number.isFinite(days) || days < 1 || days > 366) throw new Error('demo: --days must be a whole number between 1 and 366');
  const out = options.out ?? ((line: string) => console.log(line));
  const seed = options.seed ?? 42;
  const started = performance.now();

  const tempDir = options.databaseUrl ? null : mkdtempSync(join(tmpdir(), 'huifang-demo-'));
  const databaseUrl = options.databaseUrl ?? `file:${join(tempDir!, 'demo.db')}`;
  try {
    await migrateDatabase(databaseUrl);
    const migrated = performance.now();
    const db = createPrismaClient(databaseUrl, { throwaway: tempDir !== null });
    try {
      // Our own throwaway database: no fsync per commit (safe against a crash of this process, not of
      // the machine). The simulation commits thousands of small transactions; waiting for the disk
      // on each of them would dominate on a busy machine.
      const config = loadConfig({ DATABASE_URL: databaseUrl, HUIFANG_ORG_NAME: '仁和医院', HUIFANG_SANDBOX: '1', LOG_LEVEL: 'silent' });
      const logger = createLogger({ level: 'silent' });
      const clock = new FakeClock(START);
      // Separate streams, so that the story does not change when the service mints one id more or less.
      const story = mulberry32(seed);
      const idRandom = mulberry32(seed ^ 0x5bd1e995);
      const ids = new UlidGenerator(clock, (n) => Uint8Array.from({ length: n }, () => Math.floor(idRandom() * 256)));
      const app = createHuifang({ config, logger, db, clock, ids, tokens: seededTokens(idRandom), jitter: mulberry32(seed ^ 0x27d4eb2f) });
      await seedExampleOrganisation(app.directory, () => ids.next());

      const sim = new Simulation(app, clock, story, days);
      await sim.run();
      const simulated = performance.now();
      const { events = 0, ...jobTimes } = sim.timings;
      const runtimeMs = {
        migrate: Math.round(migrated - started),
        simulate: Math.round(simulated - migrated),
        total: 0,
        jobs: Object.fromEntries(Object.entries(jobTimes).map(([name, ms]) => [name, Math.round(ms)])),
        events: Math.round(events),
      };
      const report = await buildReport(app, sim, { seed, days, runtimeMs });
      report.runtimeMs.total = Math.round(performance.now() - started);
      if (options.json) out(JSON.stringify(report, null, 2));
      else for (const line of formatReport(report)) out(line);
      return report;
    } finally {
      await db.close();
    }
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}

/* ------------------------------------------------------------------ randomness */

/** mulberry32: a tiny, fast 32-bit PRNG; plenty for a simulation, useless for secrets. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function seededTokens(random: () => number): TokenGenerator {
  return {
    token: (bytes = 18) => Buffer.from(Array.from({ length: bytes }, () => Math.floor(random() * 256))).toString('base64url'),
  };
}

/* ------------------------------------------------------------------ the simulation */

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢';
const MALE_NAMES = ['伟', '强', '磊', '军', '洋', '勇', '杰', '涛', '明', '超', '建国', '志强', '海涛', '文博', '子轩', '德华', '国平', '振华'];
const FEMALE_NAMES = ['芳', '娜', '敏', '静', '丽', '艳', '娟', '霞', '秀英', '桂兰', '玉梅', '淑珍', '雨涵', '欣怡', '慧敏', '丽华', '春梅'];
const COMPLAINT_CATEGORIES = ['楼上漏水', '电梯故障', '夜间噪音', '车位被占', '保洁不到位', '维修不及时', '门禁失灵', '垃圾清运'];

type Card = { taskId: string; wecomUserId: string; buttons: TaskCard['buttons']; diligence: number; caseType: string; externalId: string };
type Agenda = { at: number; seq: number; run: () => Promise<void> };

/** Probability per working hour that a prompt / slow staff member handles a card (ignored cards are never handled). */
const DILIGENCE = { prompt: 0.35, slow: 0.05 } as const;

/**
 * Drives the simulated organisation hour by hour: at HH:00 every job runs once in `TICK_ORDER`; then
 * the hour's events (case arrivals, staff taps, customer replies) happen at their minute.
 */
class Simulation {
  readonly counters = {
    ticks: 0,
    casesCreated: 0,
    handledUpdates: 0,
    closed: 0,
    replays: 0,
    cardsDelivered: 0,
    cardsIgnored: 0,
    taps: { satisfied: 0, dissatisfied: 0, unreachable: 0, reschedule: 0 } as Record<StaffAction, number>,
    tapsNotApplied: 0,
    replies: 0,
    escalationsResolved: 0,
  };
  digests: DemoReport['digests'] = null;
  /** Wall-clock milliseconds spent in each job and in the simulated people's events. */
  readonly timings: Record<string, number> = {};

  readonly #cards = new Map<string, Card>();
  readonly #seenDeliveries = new Set<string>();
  #agenda: Agenda[] = [];
  #seq = 0;
  readonly #phones = new Set<string>(EXAMPLE_CUSTOMERS.map((c) => c.phone));
  #customerCount = 0;
  readonly #reachability = new Map<string, number>();

  constructor(
    private readonly app: Huifang,
    private readonly clock: FakeClock,
    private readonly random: () => number,
    private readonly days: number,
  ) {}

  async run(): Promise<void> {
    const hours = this.days * 24;
    let planned = '';
    for (let h = 0; h < hours; h++) {
      const hourStart = START.getTime() + h * HOUR_MS;
      this.clock.set(new Date(hourStart));
      const local = toLocal(this.clock.now(), TIME_ZONE);
      const date = formatLocalDate(this.clock.now(), TIME_ZONE);
      if (date !== planned) {
        planned = date;
        this.planDay(this.clock.now());
      }
      // Sandbox deliveries only happen when the dispatcher sends something.
      if ((await this.tick()) > 0) await this.collectDeliveries(hourStart);
      if (h > 0 && weekday(local) === 1 && local.hour === 8) await this.buildDigests();

      // This hour's events at their minutes, in time order: the staff taps decided now, plus what
      // the agenda holds (arrivals, complaint updates, customer replies).
      if (isWorkingHour(local)) this.planStaffActions(hourStart, weekday(local) === 0 ? 0.3 : 1);
      const due = this.#agenda.filter((a) => a.at < hourStart + HOUR_MS).sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.#agenda = this.#agenda.filter((a) => a.at >= hourStart + HOUR_MS);
      const t = performance.now();
      for (const event of due) {
        this.clock.set(new Date(Math.max(event.at, hourStart)));
        await event.run();
      }
      this.timings.events = (this.timings.events ?? 0) + performance.now() - t;
    }
    // One last round at the end, so that what the last hour decided is also sent.
    const end = START.getTime() + hours * HOUR_MS;
    this.clock.set(new Date(end));
    if ((await this.tick()) > 0) await this.collectDeliveries(end);
    const local = toLocal(this.clock.now(), TIME_ZONE);
    if (weekday(local) === 1 && local.hour === 8) await this.buildDigests();
  }

  /** Runs every job once in `TICK_ORDER`; returns how many messages the dispatcher sent. */
  private async tick(): Promise<number> {
    let sent = 0;
    for (const name of TICK_ORDER) {
      const t = performance.now();
      const summary = await jobs[name]!.run(this.app);
      this.timings[name] = (this.timings[name] ?? 0) + performance.now() - t;
      if (name === 'dispatch-outbox') sent = (summary as { sent?: number }).sent ?? 0;
    }
    this.counters.ticks++;
    return sent;
  }

  private at(time: number, run: () => Promise<void>): void {
    this.#agenda.push({ at: time, seq: this.#seq++, run });
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((s, [, w]) => s + w, 0);
    let r = this.random() * total;
    for (const [value, w] of choices) {
      r -= w;
      if (r < 0) return value;
    }
    return choices[choices.length - 1]![0];
  }

  /* ---------------------------------------------------------------- arrivals */

  /** Discharges from the ward (HIS) and complaints at the service centre (CRM) for one local day. */
  private planDay(now: Date): void {
    const midnight = startOfLocalDay(now, TIME_ZONE).getTime();
    const local = toLocal(now, TIME_ZONE);
    const day = weekday(local);
    const ymd = formatLocalDate(now, TIME_ZONE).replaceAll('-', '');
    const discharges = day === 0 || day === 6 ? this.int(1, 2) : this.int(3, 5);
    for (let i = 1; i <= discharges; i++) {
      const at = midnight + this.int(9 * 60, 17 * 60) * 60_000;
      if (at <= now.getTime()) continue;
      const externalId = `ZY${ymd}${String(i).padStart(2, '0')}`;
      this.at(at, () => this.discharge(externalId));
    }
    const complaints = day === 0 ? (this.chance(0.3) ? 1 : 0) : this.weighted([[0, 0.35], [1, 0.5], [2, 0.15]] as const);
    for (let i = 1; i <= complaints; i++) {
      const at = midnight + this.int(8 * 60 + 30, 19 * 60) * 60_000;
      if (at <= now.getTime()) continue;
      const externalId = `TS${ymd}${String(i).padStart(2, '0')}`;
      this.at(at, () => this.complaint(externalId));
    }
  }

  private newCustomer(kind: 'patient' | 'owner'): CaseBody['customer'] {
    const male = this.chance(0.5);
    const surname = this.pick([...SURNAMES]);
    const name = surname + this.pick(male ? MALE_NAMES : FEMALE_NAMES);
    let phone: string;
    do phone = `+86138${String(this.int(0, 99_999_999)).padStart(8, '0')}`;
    while (this.#phones.has(phone));
    this.#phones.add(phone);
    this.#customerCount++;
    return {
      ...(kind === 'patient' ? { externalId: `P-${String(10_000 + this.#customerCount)}` } : {}),
      name,
      salutation: `${surname}${male ? '先生' : '女士'}`,
      phone,
    };
  }

  private async discharge(externalId: string): Promise<void> {
    const now = this.clock.now();
    const body: CaseBody = {
      type: 'discharge',
      externalId,
      // The HIS posts the discharge a little after it happened.
      occurredAt: isoLocal(new Date(now.getTime() - this.int(5, 90) * 60_000)),
      department: 'cardiology',
      responsibleStaff: this.weighted([['hushi.li', 0.45], ['hushi.zhou', 0.45], [WARD_HEAD, 0.1]] as const),
      customer: this.newCustomer('patient'),
      attributes: { severity: this.chance(0.25) ? 'serious' : 'normal', ward: '心内科一病区' },
    };
    await this.submit(body);
    // HIS retries (identical body) and readmissions (the case is closed) happen later.
    if (this.chance(0.05)) this.at(now.getTime() + this.int(10, 50) * 60_000, () => this.submit(body));
    if (this.chance(0.05)) {
      this.at(now.getTime() + this.int(2, 6) * 86_400_000, () => this.submit({ ...body, closedAt: isoLocal(this.clock.now()) }));
    }
  }

  private async complaint(externalId: string): Promise<void> {
    const now = this.clock.now();
    const body: CaseBody = {
      type: 'property_complaint',
      externalId,
      occurredAt: isoLocal(now),
      department: 'service-centre',
      ...(this.chance(0.35) ? { subjectStaff: 'weixiu.qian' } : {}),
      customer: this.newCustomer('owner'),
      attributes: { severity: this.weighted([['normal', 0.6], ['important', 0.3], ['major', 0.1]] as const), category: this.pick(COMPLAINT_CATEGORIES) },
    };
    await this.submit(body);
    // Handled a day or two later, in working hours: the CRM re-posts the case with its milestone,
    // which unlocks the complaint follow-up (the case-update path).
    const handledAt = startOfLocalDay(addLocalDays(now, this.int(1, 2), TIME_ZONE), TIME_ZONE).getTime() + this.int(9 * 60, 17 * 60) * 60_000;
    this.at(handledAt, async () => {
      await this.submit({ ...body, milestones: { handled: isoLocal(this.clock.now()) } });
    });
  }

  private async submit(body: CaseBody): Promise<void> {
    const parsed = caseBody.parse(body);
    const input = await toSubmitInput(this.app, parsed, 'demo');
    const result = await submitCase(this.app.deps, input);
    if (result.created) this.counters.casesCreated++;
    else if (body.closedAt) this.counters.closed++;
    else if (body.milestones && result.followUpsAdded > 0) this.counters.handledUpdates++;
    else this.counters.replays++;
  }

  /* ---------------------------------------------------------------- deliveries */

  /** Reads what the sandbox channels delivered at this tick: task cards for staff, survey SMS for customers. */
  private async collectDeliveries(tickAt: number): Promise<void> {
    const rows = await this.app.views.sandbox.deliveriesSince(new Date(tickAt), ['task_card', 'survey_invite']);
    for (const row of rows) {
      if (this.#seenDeliveries.has(row.id)) continue;
      this.#seenDeliveries.add(row.id);
      const message = row.content as OutboundMessage;
      if (message.kind === 'task_card') this.receiveCard(message);
      else if (message.kind === 'survey_invite' && message.to.phoneE164) this.planReply(message.to.phoneE164, tickAt);
    }
  }

  private receiveCard(message: Extract<OutboundMessage, { kind: 'task_card' }>): void {
    this.counters.cardsDelivered++;
    if (message.card.taskId.startsWith('esc_')) return this.receiveEscalationCard(message);
    const externalId = message.card.fields.find((f) => f.label === '案例')?.value ?? '';
    // Most staff are prompt, some slow (they finish late), and some cards are never touched.
    const kind = this.weighted([['prompt', 0.68], ['slow', 0.2], ['ignore', 0.12]] as const);
    if (kind === 'ignore') {
      this.counters.cardsIgnored++;
      return;
    }
    this.#cards.set(message.card.taskId, {
      taskId: message.card.taskId,
      wecomUserId: message.to.wecomUserId,
      buttons: message.card.buttons,
      diligence: DILIGENCE[kind],
      caseType: externalId.startsWith('TS') ? 'property_complaint' : 'discharge',
      externalId,
    });
  }

  /**
   * A manager's escalation card: most acknowledge within a few working hours and resolve it with a
   * note within two days (which schedules the second follow-up); some let it climb to the next level.
   */
  private receiveEscalationCard(message: Extract<OutboundMessage, { kind: 'task_card' }>): void {
    const m = /^esc_([0-9A-Z]+)_(\d+)$/.exec(message.card.taskId);
    const ack = message.card.buttons[0]?.key;
    if (!m || !ack || this.chance(0.2)) return;
    const [escalationId, level] = [m[1]!, Number(m[2])];
    const now = this.clock.now().getTime();
    this.at(now + this.int(20, 240) * 60_000, async () => {
      const createTime = Math.floor(this.clock.now().getTime() / 1000);
      await this.app.receive({
        source: 'wecom',
        dedupeKey: `${message.to.wecomUserId}:${createTime}:template_card_event:${message.card.taskId}:${ack}`,
        kind: 'staff_card_action',
        payload: { wecomUserId: message.to.wecomUserId, taskId: message.card.taskId, actionKey: ack, responseCode: null },
        receivedAt: this.clock.now(),
      });
    });
    this.at(now + this.int(5, 40) * 3_600_000, async () => {
      const received = await this.app.receive({
        source: 'web',
        dedupeKey: `escalation:${escalationId}:${level}:resolve`,
        kind: 'escalation_action',
        payload: { escalationId, level, action: 'resolve', note: '已致电客户说明情况并道歉，问题已处理。' },
        receivedAt: this.clock.now(),
      });
      if ((await received.processing)?.status === 'PROCESSED') this.counters.escalationsResolved++;
    });
  }

  /** Whether a case's customer picks up the phone: a few almost never do (three misses make the follow-up unreachable). */
  private unreachableRate(externalId: string): number {
    let rate = this.#reachability.get(externalId);
    if (rate === undefined) this.#reachability.set(externalId, (rate = this.chance(0.12) ? 0.85 : 0.12));
    return rate;
  }

  /** In a working hour each card's recipient handles it with their diligence, at a random minute. */
  private planStaffActions(hourStart: number, factor: number): void {
    for (const card of [...this.#cards.values()]) {
      if (!this.chance(card.diligence * factor)) continue;
      this.#cards.delete(card.taskId);
      const action: StaffAction = this.chance(this.unreachableRate(card.externalId))
        ? 'unreachable'
        : this.weighted<StaffAction>(
            card.caseType === 'property_complaint'
              ? [['satisfied', 0.76], ['dissatisfied', 0.18], ['reschedule', 0.06]]
              : [['satisfied', 0.86], ['dissatisfied', 0.08], ['reschedule', 0.06]],
          );
      this.at(hourStart + this.int(1, 59) * 60_000, () => this.tap(card, action));
    }
  }

  /** The event POST /sandbox/api/tap records (the WeCom template_card_event, minus the encryption). */
  private async tap(card: Card, action: StaffAction): Promise<void> {
    const key = card.buttons.find((b) => b.key.startsWith(`${action}:`))?.key;
    if (!key) throw new Error(`demo: card ${card.taskId} has no ${action} button`);
    const now = this.clock.now();
    const createTime = Math.floor(now.getTime() / 1000);
    const received = await this.app.receive({
      source: 'wecom',
      dedupeKey: `${card.wecomUserId}:${createTime}:template_card_event:${card.taskId}:${key}`,
      kind: 'staff_card_action',
      payload: { wecomUserId: card.wecomUserId, taskId: card.taskId, actionKey: key, responseCode: null },
      receivedAt: now,
    });
    const result = received.processing ? await received.processing : null;
    if (result?.status === 'PROCESSED' && result.result?.status === 'recorded') this.counters.taps[action]++;
    else this.counters.tapsNotApplied++;
  }

  /** Whether, when and what a customer answers to a survey SMS. */
  private planReply(phone: string, sentAt: number): void {
    if (this.chance(0.3)) return; // never answers: the survey expires
    const when = (after: number, minMinutes: number, maxMinutes: number) => awake(after + this.int(minMinutes, maxMinutes) * 60_000, this.random);
    const first = when(sentAt, 3, 30 * 60);
    const text = this.weighted([
      ['5', 0.2],
      ['５分', 0.1],
      ['满意', 0.15],
      ['4分', 0.08],
      ['非常满意，谢谢医生护士', 0.06],
      ['一般', 0.06],
      ['3', 0.03],
      ['不满意，护士态度差', 0.08],
      ['2分 出院手续办了两个小时', 0.04],
      ['你们是谁', 0.12],
      ['R', 0.05],
      ['退订', 0.03],
    ] as const);
    this.at(first, () => this.reply(phone, text));
    // Someone who asked "你们是谁" often answers once they understand; a few thank the hospital
    // after answering, and that message has no survey left to answer.
    if (text === '你们是谁' && this.chance(0.6)) this.at(when(first, 30, 180), () => this.reply(phone, this.pick(['5', '满意', '4'])));
    else if (/^[5５满非4]/.test(text) && this.chance(0.06)) this.at(when(first, 10, 120), () => this.reply(phone, '谢谢'));
  }

  /** The event POST /sandbox/api/reply records (the Tencent SMS reply callback, minus the transport). */
  private async reply(phoneE164: string, text: string): Promise<void> {
    const now = this.clock.now();
    this.counters.replies++;
    await this.app.receive({
      source: 'sms',
      dedupeKey: `${phoneE164}:${Math.floor(now.getTime() / 1000)}:${text}`,
      kind: 'sms_reply',
      payload: { phoneE164, text, receivedAt: now.toISOString() },
      receivedAt: now,
    });
  }

  /* ---------------------------------------------------------------- digests */

  /** Monday 08:00: the digests of the week that just ended, as the weekly job would send them. */
  private async buildDigests(): Promise<void> {
    const now = this.clock.now();
    const to = startOfLocalDay(now, TIME_ZONE);
    const from = addLocalDays(to, -7, TIME_ZONE);
    const build = async (wecomUserId: string): Promise<DemoDigest | null> => {
      // The department heads' digests, as the weekly job builds them.
      const recipient = (await this.app.deps.digests.listDigestRecipients()).find((r) => r.wecomUserId === wecomUserId && r.basis === 'head');
      if (!recipient) return null;
      const digest = buildDigest(await this.app.deps.digests.loadDigestInput(recipient, { from, to, asOf: now, timeZone: TIME_ZONE }));
      const document = buildDigestDocument(digest, this.app.deps.templates);
      const markdown = formatWecomMarkdown(document);
      return { wecomUserId, manager: recipient.name, markdown, bytes: utf8Length(markdown), text: formatDocumentText(fitWecomDocument(document)), digest };
    };
    this.digests = {
      from: from.toISOString(),
      to: to.toISOString(),
      builtAt: now.toISOString(),
      wardHead: await build(WARD_HEAD),
      propertyManager: await build(PROPERTY_MANAGER),
    };
  }
}

function weekday(local: { year: number; month: number; day: number }): number {
  return new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay();
}

/** Staff work 08:00–18:00, Monday to Sunday (the ward never closes; Sundays are quieter). */
function isWorkingHour(local: { hour: number }): boolean {
  return local.hour >= 8 && local.hour < 18;
}

/** Customers reply between 07:00 and 22:00; a reply "planned" at night is sent the next morning. */
function awake(at: number, random: () => number): number {
  const local = toLocal(new Date(at), TIME_ZONE);
  if (local.hour >= 7 && local.hour < 22) return at;
  const morning = startOfLocalDay(local.hour >= 22 ? addLocalDays(new Date(at), 1, TIME_ZONE) : new Date(at), TIME_ZONE).getTime();
  return morning + (7 * 60 + Math.floor(random() * 120)) * 60_000;
}

/** `2026-11-02T09:30:00+08:00`: the instant as the HIS/CRM would send it, with the business offset. */
function isoLocal(instant: Date): string {
  const offsetMin = Math.round(zoneOffsetMs(instant, TIME_ZONE) / 60_000);
  const l = toLocal(instant, TIME_ZONE);
  const pad = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${l.year}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/* ------------------------------------------------------------------ the report */

async function buildReport(app: Huifang, sim: Simulation, meta: { seed: number; days: number; runtimeMs: DemoReport['runtimeMs'] }): Promise<DemoReport> {
  const end = app.clock.now();
  const figures = await app.views.activity.activityFigures();
  const { followUps, escalations, inbound } = figures;

  const countFollowUps = (rows: typeof followUps): FollowUpCounts => {
    const c: FollowUpCounts = { total: rows.length, due: 0, done: 0, doneOnTime: 0, doneLate: 0, unreachable: 0, overdueOpen: 0, active: 0, cancelled: 0, scheduled: 0, awaitingRetry: 0, skipped: 0 };
    for (const f of rows) {
      if (f.status !== 'SKIPPED' && f.dueAt <= end) c.due++;
      switch (f.status) {
        case 'DONE':
          c.done++;
          if (f.completedAt && f.completedAt <= f.deadlineAt) c.doneOnTime++;
          else c.doneLate++;
          break;
        case 'UNREACHABLE':
          c.unreachable++;
          break;
        case 'OVERDUE':
          c.overdueOpen++;
          break;
        case 'ACTIVE':
          c.active++;
          break;
        case 'CANCELLED':
          c.cancelled++;
          break;
        case 'SCHEDULED':
          c.scheduled++;
          if (f.attempts > 0) c.awaitingRetry++;
          break;
        default:
          c.skipped++;
      }
    }
    return c;
  };
  const surveyCount = (status: string) => figures.surveysByStatus[status] ?? 0;
  const satisfactionCount = (value: string) => figures.responsesBySatisfaction.find((r) => r.satisfaction === value)?.count ?? 0;

  const byOwner = new Map<string, number>();
  for (const e of escalations) byOwner.set(e.ownerName, (byOwner.get(e.ownerName) ?? 0) + 1);

  const channels = new Map<string, DemoReport['outbox']['byChannel'][number]>();
  const outboxTotals = { total: 0, sent: 0, pending: 0, dead: 0, cancelled: 0 };
  for (const g of figures.outbox) {
    const n = g.count;
    let ch = channels.get(g.channel);
    if (!ch) channels.set(g.channel, (ch = { channel: g.channel, sent: 0, pending: 0, dead: 0, cancelled: 0, byKind: {} }));
    outboxTotals.total += n;
    const field = g.status === 'SENT' ? 'sent' : g.status === 'DEAD' ? 'dead' : g.status === 'CANCELLED' ? 'cancelled' : 'pending';
    ch[field] += n;
    outboxTotals[field] += n;
    if (g.status === 'SENT') ch.byKind[g.kind] = (ch.byKind[g.kind] ?? 0) + n;
  }

  const rejectedByCode: Record<string, number> = {};
  let rejectedReplies = 0;
  for (const e of inbound) {
    if (e.status !== 'REJECTED') continue;
    const code = typeof e.result.code === 'string' ? e.result.code : 'UNKNOWN';
    rejectedByCode[code] = (rejectedByCode[code] ?? 0) + 1;
    if (e.kind === 'sms_reply' && code === 'NO_OPEN_SURVEY') rejectedReplies++;
  }

  const c = sim.counters;
  return {
    organisation: app.config.organisationName,
    seed: meta.seed,
    days: meta.days,
    timeZone: TIME_ZONE,
    simulatedFrom: START.toISOString(),
    simulatedTo: end.toISOString(),
    ticks: c.ticks,
    runtimeMs: meta.runtimeMs,
    cases: {
      created: c.casesCreated,
      byPolicy: figures.casesByPolicy.map((g) => ({ policyId: g.policyId, name: app.deps.policies.byId(g.policyId)?.name ?? g.policyId, created: g.count })),
      handledUpdates: c.handledUpdates,
      closed: c.closed,
      replays: c.replays,
    },
    followUps: {
      ...countFollowUps(followUps),
      byAction: {
        staffTasks: countFollowUps(followUps.filter((f) => f.action === 'STAFF_TASK')),
        surveys: countFollowUps(followUps.filter((f) => f.action === 'CUSTOMER_SURVEY')),
      },
    },
    staff: { cardsDelivered: c.cardsDelivered, taps: c.taps, cardsIgnored: c.cardsIgnored, tapsNotApplied: c.tapsNotApplied },
    surveys: {
      sent: Object.values(figures.surveysByStatus).reduce((s, n) => s + n, 0),
      answered: surveyCount('ANSWERED'),
      expired: surveyCount('EXPIRED'),
      open: surveyCount('OPEN'),
      replies: c.replies,
      unparsedReplies: figures.unparsedReplies,
      optOuts: figures.optedOutCustomers,
      rejectedReplies,
      satisfaction: { satisfied: satisfactionCount('SATISFIED'), neutral: satisfactionCount('NEUTRAL'), dissatisfied: satisfactionCount('DISSATISFIED') },
    },
    escalations: {
      opened: escalations.length,
      open: escalations.filter((e) => e.status === 'OPEN' || e.status === 'ACKNOWLEDGED').length,
      byOwner: [...byOwner].map(([owner, count]) => ({ owner, count })).sort((a, b) => b.count - a.count || a.owner.localeCompare(b.owner, 'zh-Hans-CN')),
      list: escalations.map((e) => ({ owner: e.ownerName, reason: e.reason, status: e.status, createdAt: e.createdAt.toISOString(), deadlineAt: e.deadlineAt.toISOString() })),
    },
    outbox: { ...outboxTotals, byChannel: [...channels.values()].sort((a, b) => a.channel.localeCompare(b.channel)) },
    inbound: {
      total: inbound.length,
      processed: inbound.filter((e) => e.status === 'PROCESSED').length,
      rejected: inbound.filter((e) => e.status === 'REJECTED').length,
      failed: inbound.filter((e) => e.status === 'FAILED').length,
      rejectedByCode,
    },
    digests: sim.digests,
  };
}

const KIND_LABELS: Readonly<Record<string, string>> = {
  task_card: 'task and escalation cards 任务/升级卡片',
  card_update: 'card updates 卡片更新',
  staff_text: 'reminders, overdue and climb notices 提醒/逾期/升级通知',
  staff_document: 'weekly digests and monthly reports 周报/月报',
  staff_markdown: 'weekly digests and monthly reports 周报/月报 (as stored by earlier versions)',
  survey_invite: 'survey invitations 问卷短信',
  customer_notice: 'greetings 问候',
};

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The report as the text `huifang demo` prints. */
function formatReport(r: DemoReport): string[] {
  const tz = r.timeZone;
  const f = r.followUps;
  const s = r.surveys;
  const when = (iso: string) => formatLocalDateTime(new Date(iso), tz);
  const counts = (c: FollowUpCounts) =>
    `${c.total} = ${c.done} done (${c.doneOnTime} on time, ${c.doneLate} late) + ${c.unreachable} unreachable + ${c.overdueOpen} overdue + ${c.active} active + ${c.cancelled} cancelled + ${c.scheduled} scheduled` +
    (c.skipped ? ` + ${c.skipped} skipped` : '');
  const lines = [
    '══════════ 回访演示 Huifang demo ══════════',
    `${r.organisation} example organisation: 心内科病区 (P4 discharges) and 锦绣花园客服中心 (P7 complaints); seed ${r.seed}`,
    `Simulated ${r.days} days, ${when(r.simulatedFrom)} → ${when(r.simulatedTo)} (${tz}), ${r.ticks} job ticks`,
    `Ran in ${seconds(r.runtimeMs.total)} wall clock: migration ${seconds(r.runtimeMs.migrate)}, simulation ${seconds(r.runtimeMs.simulate)}` +
      ` (jobs ${Object.entries(r.runtimeMs.jobs).map(([name, ms]) => `${name} ${seconds(ms)}`).join(', ')}; staff/customer/HIS events ${seconds(r.runtimeMs.events)})`,
    '',
    `案例 Cases: ${r.cases.created} created — ${r.cases.byPolicy.map((p) => `${p.policyId} ${p.name} ${p.created}`).join('; ')}`,
    `  updates: ${r.cases.handledUpdates} complaints marked handled 已处理 (follow-up added), ${r.cases.closed} discharges closed (readmission 再入院), ${r.cases.replays} identical re-posts (no change)`,
    '',
    `回访 Follow-ups: ${f.total} scheduled, ${f.due} of them due by the end`,
    `  ${f.total} total = ${f.doneOnTime} done on time 按时完成 + ${f.doneLate} done late 逾期完成 + ${f.unreachable} unreachable 未接通/未回复`,
    `           + ${f.overdueOpen} overdue open 逾期未办 + ${f.active} active 进行中 + ${f.cancelled} cancelled 已取消 + ${f.scheduled} still scheduled 待办${f.awaitingRetry ? `（含 ${f.awaitingRetry} 待重拨 awaiting retry）` : ''}` +
      (f.skipped ? ` + ${f.skipped} skipped 抽样跳过` : ''),
    `  staff tasks 员工回访:   ${counts(f.byAction.staffTasks)}`,
    `  surveys 客户问卷:       ${counts(f.byAction.surveys)}`,
    `  staff 员工: ${r.staff.cardsDelivered} task cards delivered; taps ${Object.values(r.staff.taps).reduce((a, b) => a + b, 0)} recorded` +
      ` (满意 satisfied ${r.staff.taps.satisfied}, 不满意 dissatisfied ${r.staff.taps.dissatisfied}, 未接通 unreachable ${r.staff.taps.unreachable}, 改期 reschedule ${r.staff.taps.reschedule})` +
      `${r.staff.tapsNotApplied ? `, ${r.staff.tapsNotApplied} not applied` : ''}; ${r.staff.cardsIgnored} cards ignored 无人处理`,
    '',
    `问卷 Surveys: ${s.sent} sent = ${s.answered} answered 已回答 + ${s.expired} expired 已过期 + ${s.open} open 待回答`,
    `  ${s.replies} SMS replies: ${s.answered} answers (满意 ${s.satisfaction.satisfied}, 一般 ${s.satisfaction.neutral}, 不满意 ${s.satisfaction.dissatisfied}), ` +
      `${s.unparsedReplies} unparsed 无法识别 (kept for a person), ${s.optOuts} opt-outs 退订, ${s.rejectedReplies} with no open survey`,
    '',
    `升级 Escalations: ${r.escalations.opened} opened, ${r.escalations.open} still open — owners 负责人: ${r.escalations.byOwner.map((o) => `${o.owner} ${o.count}`).join(', ') || 'none'}`,
    `发件箱 Outbox: ${r.outbox.total} messages, ${r.outbox.sent} sent, ${r.outbox.pending} pending, ${r.outbox.cancelled} cancelled (opt-out), ${r.outbox.dead} dead 死信`,
    ...r.outbox.byChannel.map(
      (c) => `  ${c.channel.padEnd(6)} ${c.sent} sent: ${Object.entries(c.byKind).map(([k, n]) => `${KIND_LABELS[k] ?? k} ${n}`).join(', ')}`,
    ),
    `收件箱 Inbound: ${r.inbound.total} events, ${r.inbound.processed} processed, ${r.inbound.rejected} rejected` +
      (r.inbound.rejected ? ` (${Object.entries(r.inbound.rejectedByCode).map(([k, n]) => `${k} ${n}`).join(', ')})` : '') +
      `, ${r.inbound.failed} failed`,
  ];
  if (!r.digests) {
    lines.push('', '周报 Weekly digest: no full week (Monday–Sunday) was simulated; run at least 7 days.');
    return lines;
  }
  const last = new Date(new Date(r.digests.to).getTime() - 1);
  lines.push('', `══════════ 周报 Weekly digests ${formatLocalDate(new Date(r.digests.from), tz)} → ${formatLocalDate(last, tz)}, sent ${when(r.digests.builtAt)} ══════════`);
  for (const d of [r.digests.wardHead, r.digests.propertyManager]) {
    if (!d) continue;
    lines.push('', `── to ${d.manager} (${d.wecomUserId}) via WeCom markdown, ${d.bytes} bytes ──`, ...d.text.split('\n'));
  }
  return lines;
}
