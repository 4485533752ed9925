// The crash drill: real `huifang jobs run all` processes against one database and the Tencent SMS and
// WeCom simulators, each SIGKILLed at a random moment, restarted at once (far sooner than any lease),
// again and again. Then the drill plays the operator (`huifang outbox uncertain`, `resend` or `settle`
// after looking at the simulator, as a person looks at the provider's console), lets one unkilled run
// finish, and counts: every due follow-up activated, every message sent, no customer texted twice, no
// card shown twice. Used by test/e2e/crash-drill.test.ts (a few dozen cycles) and `npm run drill`
// (as many as asked).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UlidGenerator } from '../../bot/clocks.js';
import type { PrismaClient } from '../../prisma/generated/postgresql/index.js';
import { EXAMPLE_STAFF, seedExampleOrganisation } from '../../bot/example/example-organisation.js';
import { PrismaStaffDirectory } from '../../bot/db/staff-directory-store.js';
import { PrismaCustomerImportStore } from '../../bot/db/customer-import-store.js';
import type { DbClient } from '../../bot/db/client.js';
import { TencentSmsSimulator } from '../simulators/tencent-sms/tencent-sms-simulator.js';
import { WecomSimulator } from '../simulators/wecom/wecom-simulator.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The survey invitation as registered in the SMS console (templates/messages, {1}…{3}). */
const SURVEY_TEMPLATE_ID = '1234567';
const SURVEY_TEMPLATE_TEXT = '{1}您好，您{2}的{3}已办结。反馈办理情况请回复5至1（5很好，1很差），有问题可直接回复。拒收请回复R';
/** Task cards go round every example staff member. */
const ASSIGNEES = EXAMPLE_STAFF.map((s) => s.wecomUserId);

export interface CrashDrillOptions {
  db: Pick<DbClient, 'prisma' | 'capabilities'> & { url: string };
  /** Processes killed (SIGKILL) while alive. */
  cycles: number;
  /** Due follow-ups seeded at the start [640]: half survey invitations by SMS (one customer each), half WeCom task cards. */
  followUps?: number;
  /** Due follow-ups added before each further process, so that kills keep landing on live work [24]. */
  perCycle?: number;
  /** Each process is killed this long after it starts, uniformly at random within [min, max] ms [2000, 15000]. */
  lifeMs?: { min: number; max: number };
  /** Progress lines (one per cycle). */
  log?: (line: string) => void;
}

export interface CrashDrillResult {
  cycles: number;
  /** Processes that finished their run before the kill came (not counted as cycles). */
  finishedUnkilled: number;
  /** Sends a kill interrupted: handed to the provider (marked) with no outcome recorded when the process died. */
  interruptedSends: number;
  /** Longest life of a killed process, ms: the loop restarted far sooner than the 60 s and 120 s leases. */
  longestLifeMs: number;
  followUps: number;
  /** Done while the crash loop ran, before any unkilled run: the loop made progress. */
  duringLoop: { activated: number; sent: number; smsDelivered: number };
  /** Activated in the end. */
  activated: number;
  sms: { rows: number; sent: number; delivered: number; lost: number; customersTextedTwice: number; extraTexts: number };
  /**
   * `droppedByWecom`: accepted by WeCom but silently dropped over its per-member cap (30 a minute). Huifang
   * counts the caps across processes in the database, each send from the latest instant it can arrive until
   * its answer; kept apart from `lost` in case a send outlived that bound.
   * `lost`: neither delivered nor dropped.
   */
  cards: { rows: number; sent: number; delivered: number; droppedByWecom: number; lost: number; shownTwice: number };
  /** Held UNCERTAIN for a person, and what the drill (as operator) decided. */
  uncertain: { held: number; resent: number; settled: number };
  /** Outbox rows in any state but SENT at the end (must be 0). */
  unsent: number;
  durationMs: number;
}

/** Runs the drill; throws only when the machinery fails (the result says what happened to the messages). */
export async function runCrashDrill(options: CrashDrillOptions): Promise<CrashDrillResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const followUps = options.followUps ?? 640;
  const life = options.lifeMs ?? { min: 2_000, max: 15_000 };
  const sms = await TencentSmsSimulator.start({ templates: { [SURVEY_TEMPLATE_ID]: SURVEY_TEMPLATE_TEXT } });
  const wecom = await WecomSimulator.start({ users: EXAMPLE_STAFF.map((s) => s.wecomUserId) });
  try {
    const prisma = options.db.prisma as unknown as PrismaClient;
    const org = await seedOrganisation(options.db);
    let seeded = await addDueFollowUps(options.db, org, 0, followUps);
    const perCycle = options.perCycle ?? 24;
    const interrupted = new Set<string>();
    const env = childEnv(options.db.url, sms, wecom);

    let cycles = 0;
    let finishedUnkilled = 0;
    let longestLifeMs = 0;
    // A kill must come before the run ends on its own, so kill times follow how long a run takes now: on
    // a fast machine a whole run can take less than `life.min`. After every fifth kill one run goes
    // unkilled up to `life.max` to measure that again (runs grow as the backlog does).
    let runMs = Number.POSITIVE_INFINITY;
    let killsSinceMeasured = 0;
    for (let run = 0; cycles < options.cycles; run++) {
      if (run > 0) seeded += await addDueFollowUps(options.db, org, seeded, perCycle);
      const measuring = killsSinceMeasured >= 5;
      const upper = Math.min(life.max, runMs * 0.9);
      const lower = Math.min(life.min, upper * 0.3);
      const lifeMs = measuring ? life.max : lower + Math.random() * (upper - lower);
      const runStarted = Date.now();
      const outcome = await runProcess(['jobs', 'run', 'all'], env, lifeMs);
      if (outcome.killed) killsSinceMeasured = measuring ? 0 : killsSinceMeasured + 1;
      else killsSinceMeasured = 0;
      if (!outcome.killed) runMs = Date.now() - runStarted;
      else if (measuring) runMs = Number.POSITIVE_INFINITY;
      if (outcome.killed) {
        cycles++;
        const caught = await prisma.outboxMessage.findMany({ where: { status: 'SENDING', sendStartedAt: { not: null } }, select: { id: true } });
        for (const { id } of caught) interrupted.add(id);
        longestLifeMs = Math.max(longestLifeMs, lifeMs);
      } else {
        if (outcome.code !== 0) throw new Error(`huifang jobs run all failed (${outcome.code}): ${outcome.stderr.slice(-2000)}`);
        finishedUnkilled++;
      }
      if (cycles % 10 === 0 || !outcome.killed) {
        const activated = await prisma.followUp.count({ where: { status: { not: 'SCHEDULED' } } });
        log(`cycle ${cycles}/${options.cycles} ${outcome.killed ? `killed after ${Math.round(lifeMs)} ms` : 'finished before its kill'}: ${activated}/${seeded} activated, ${sms.sent.length} SMS, ${wecom.messages.length} WeCom messages`);
      }
    }
    const duringLoop = {
      activated: await prisma.followUp.count({ where: { status: { not: 'SCHEDULED' } } }),
      sent: await prisma.outboxMessage.count({ where: { status: 'SENT' } }),
      smsDelivered: sms.sent.length,
    };

    // What the last killed processes claimed stays leased (60 s, 120 s): move those leases to now, as
    // waiting them out would, so the finishing runs need not sleep for two minutes.
    const now = new Date();
    await prisma.followUp.updateMany({ where: { status: 'SCHEDULED', leaseExpiresAt: { gt: now } }, data: { leaseExpiresAt: now } });
    await prisma.outboxMessage.updateMany({ where: { status: 'SENDING', leaseExpiresAt: { gt: now } }, data: { leaseExpiresAt: now } });

    // Unkilled runs until nothing is left to do (a run reconciles what the crashes interrupted). A backlog
    // paced by WeCom's per-member cap takes as many rounds as it needs; the drill stops early only when
    // three runs in a row changed nothing, and whatever is still open then counts as unsent.
    const uncertain = { held: 0, resent: 0, settled: 0 };
    let idleRounds = 0;
    let lastProgress = -1;
    while (idleRounds < 3) {
      // Messages a provider's rate limit deferred (WeCom: 30 a minute per member) wait for their time.
      const next = await prisma.outboxMessage.findFirst({ where: { status: 'PENDING' }, orderBy: { nextAttemptAt: 'asc' }, select: { nextAttemptAt: true } });
      const waitMs = next ? next.nextAttemptAt.getTime() - Date.now() : 0;
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs + 500, 90_000)));
      const run = await runProcess(['jobs', 'run', 'all'], env, null);
      if (run.code !== 0) throw new Error(`huifang jobs run all failed (${run.code}): ${run.stderr.slice(-2000)}`);
      // The operator: each uncertain message is looked up at the provider and resent or settled.
      const listed = await runProcess(['outbox', 'uncertain', '--json'], env, null);
      if (listed.code !== 0) throw new Error(`huifang outbox uncertain failed: ${listed.stderr.slice(-2000)}`);
      const held = JSON.parse(listed.stdout) as { id: string; idempotencyKey: string; channel: string }[];
      for (const m of held) {
        uncertain.held++;
        const arrived = m.channel === 'sms' ? sms.sent.some((s) => s.sessionContext === m.idempotencyKey) : false;
        const decision = arrived ? 'settle' : 'resend';
        const done = await runProcess(['outbox', decision, m.id, '--note', 'crash drill: checked the simulator'], env, null);
        if (done.code !== 0) throw new Error(`huifang outbox ${decision} failed: ${done.stderr.slice(-2000)}`);
        uncertain[arrived ? 'settled' : 'resent']++;
      }
      const open = await prisma.outboxMessage.count({ where: { status: { not: 'SENT' } } });
      const scheduled = await prisma.followUp.count({ where: { status: 'SCHEDULED' } });
      if (held.length === 0 && open === 0 && scheduled === 0) break;
      const progress = (await prisma.outboxMessage.count({ where: { status: 'SENT' } })) + (await prisma.followUp.count({ where: { status: { not: 'SCHEDULED' } } })) + uncertain.held;
      idleRounds = progress === lastProgress ? idleRounds + 1 : 0;
      lastProgress = progress;
    }

    const taskIdOf = (payload: string) => (JSON.parse(payload) as { card?: { taskId?: string } }).card?.taskId ?? '';
    const rows = await prisma.outboxMessage.findMany({ select: { idempotencyKey: true, channel: true, status: true, payload: true, lastErrorCode: true } });
    const smsRows = rows.filter((r) => r.channel === 'sms');
    const cardRows = rows.filter((r) => r.channel === 'wecom' && taskIdOf(r.payload) !== '');
    const textsByKey = countBy(sms.sent.map((s) => s.sessionContext ?? ''));
    const textsByPhone = countBy(sms.sent.map((s) => s.phoneNumber));
    const cardsByTask = countBy(wecom.messages.filter((m) => m.taskId).map((m) => m.taskId!));
    const droppedTasks = new Set(wecom.dropped.filter((m) => m.taskId).map((m) => m.taskId!));
    return {
      cycles,
      finishedUnkilled,
      interruptedSends: interrupted.size,
      longestLifeMs: Math.round(longestLifeMs),
      followUps: seeded,
      duringLoop,
      activated: await prisma.followUp.count({ where: { status: { not: 'SCHEDULED' } } }),
      sms: {
        rows: smsRows.length,
        sent: smsRows.filter((r) => r.status === 'SENT').length,
        delivered: smsRows.filter((r) => (textsByKey.get(r.idempotencyKey) ?? 0) >= 1).length,
        lost: smsRows.filter((r) => (textsByKey.get(r.idempotencyKey) ?? 0) === 0).length,
        customersTextedTwice: [...textsByPhone.values()].filter((n) => n > 1).length,
        extraTexts: [...textsByPhone.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0),
      },
      cards: {
        rows: cardRows.length,
        sent: cardRows.filter((r) => r.status === 'SENT').length,
        delivered: cardRows.filter((r) => (cardsByTask.get(taskIdOf(r.payload)) ?? 0) >= 1).length,
        droppedByWecom: cardRows.filter((r) => (cardsByTask.get(taskIdOf(r.payload)) ?? 0) === 0 && droppedTasks.has(taskIdOf(r.payload))).length,
        lost: cardRows.filter((r) => (cardsByTask.get(taskIdOf(r.payload)) ?? 0) === 0 && !droppedTasks.has(taskIdOf(r.payload))).length,
        shownTwice: [...cardsByTask.values()].filter((n) => n > 1).length,
      },
      uncertain,
      unsent: rows.filter((r) => r.status !== 'SENT').length,
      durationMs: Date.now() - started,
    };
  } finally {
    await sms.close();
    await wecom.close();
  }
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** The service's configuration: both simulators, no quiet hours, gap or SMS budget (they would hide a double send). */
function childEnv(url: string, sms: TencentSmsSimulator, wecom: WecomSimulator): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_OPTIONS'];
  return {
    ...Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])),
    DATABASE_URL: url,
    LOG_LEVEL: 'warn',
    TENCENT_SECRET_ID: sms.secretId,
    TENCENT_SECRET_KEY: sms.secretKey,
    TENCENT_SMS_SDK_APP_ID: sms.sdkAppId,
    TENCENT_SMS_SIGN_NAME: [...sms.signNames][0]!,
    TENCENT_SMS_ENDPOINT: sms.baseUrl,
    TENCENT_SMS_TEMPLATES: `survey_invite=${SURVEY_TEMPLATE_ID}`,
    // Callbacks configured: the pull job stays idle; the report-by-number lookup is what reconciles.
    TENCENT_SMS_CALLBACK_KEY: 'drill-callback-key-0123456789',
    // The simulator reports at once: a missing report is final straight away (a person decides).
    TENCENT_SMS_RECONCILE_WAIT_SECONDS: '0',
    WECOM_CORP_ID: wecom.corpId,
    WECOM_AGENT_ID: String(wecom.agentId),
    WECOM_SECRET: wecom.secret,
    WECOM_CALLBACK_TOKEN: wecom.callbackToken,
    WECOM_ENCODING_AES_KEY: wecom.encodingAesKey,
    WECOM_API_BASE: wecom.baseUrl,
    HUIFANG_QUIET_HOURS: 'off',
    HUIFANG_SURVEY_MIN_GAP_HOURS: '0',
    HUIFANG_SMS_DAILY_BUDGET: '0',
  };
}

/** Runs `huifang ARGS…`; with `killAfterMs`, SIGKILLs it then unless it exited first. */
async function runProcess(args: string[], env: NodeJS.ProcessEnv, killAfterMs: number | null): Promise<{ killed: boolean; code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/huifang.mjs', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  let killed = false;
  const timer = killAfterMs === null ? null : setTimeout(() => {
    killed = child.kill('SIGKILL');
  }, killAfterMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  if (timer) clearTimeout(timer);
  return { killed: killed && code === null, code, stdout, stderr };
}

interface DrillOrganisation {
  staffIds: Map<string, string>;
  wardId: string;
}

async function seedOrganisation(db: Pick<DbClient, 'prisma' | 'capabilities'>): Promise<DrillOrganisation> {
  const ids = new UlidGenerator();
  const context = { prisma: db.prisma, capabilities: db.capabilities, ids };
  const staffIds = await seedExampleOrganisation({ staff: new PrismaStaffDirectory(context), customers: new PrismaCustomerImportStore(context) }, () => ids.next());
  const ward = await (db.prisma as unknown as PrismaClient).department.findUniqueOrThrow({ where: { code: 'cardiology' } });
  return { staffIds, wardId: ward.id };
}

/**
 * `count` customers with survey consent and a phone each (numbered from `from`), one open discharge
 * case each (policy P4), and one SCHEDULED follow-up per case due now: even ones a survey invitation
 * (SMS), odd ones a staff task card (WeCom) for one of six nurses and doctors. Returns `count`.
 */
async function addDueFollowUps(db: Pick<DbClient, 'prisma' | 'capabilities'>, org: DrillOrganisation, from: number, count: number): Promise<number> {
  const prisma = db.prisma as unknown as PrismaClient;
  const ids = new UlidGenerator();
  const { staffIds } = org;
  const ward = { id: org.wardId };
  const now = new Date();
  const pad = (n: number) => String(n).padStart(6, '0');
  const customers = Array.from({ length: count }, (_, k) => from + k).map((i) => ({
    id: ids.next(),
    externalId: `DRILL-P-${pad(i)}`,
    name: `王客户${i}`,
    salutation: `王${i % 2 === 0 ? '女士' : '先生'}`,
    phoneE164: `+86137${String(i).padStart(8, '0')}`,
    phoneMasked: `137****${String(i).padStart(4, '0').slice(-4)}`,
    consentSurvey: true,
  }));
  await prisma.customer.createMany({ data: customers });
  const cases = customers.map((c, k) => ({
    id: ids.next(),
    type: 'discharge',
    externalId: `DRILL-ZY-${pad(from + k)}`,
    policyId: 'P4',
    customerId: c.id,
    departmentId: ward.id,
    responsibleStaffId: staffIds.get(ASSIGNEES[(from + k) % ASSIGNEES.length]!)!,
    attributes: JSON.stringify({ severity: 'normal', diagnosis: '冠心病' }),
    milestones: '{}',
    status: 'OPEN',
    occurredAt: new Date(now.getTime() - 10 * 86_400_000),
  }));
  await prisma.case.createMany({ data: cases });
  await prisma.followUp.createMany({
    data: cases.map((c, k) => {
      const staffTask = (from + k) % 2 === 1;
      const dueAt = new Date(now.getTime() - 60_000 - k * 1_000);
      return {
        id: ids.next(),
        caseId: c.id,
        customerId: c.customerId,
        policyId: 'P4',
        step: 'drill',
        sequence: 1,
        action: staffTask ? 'STAFF_TASK' : 'CUSTOMER_SURVEY',
        channel: staffTask ? 'wecom' : 'sms',
        status: 'SCHEDULED',
        assigneeId: staffTask ? c.responsibleStaffId : null,
        assigneeRule: staffTask ? 'responsible' : null,
        earliestAt: dueAt,
        dueAt,
        deadlineAt: new Date(now.getTime() + 7 * 86_400_000),
        maxAttempts: staffTask ? 3 : 1,
        sampling: JSON.stringify({ kept: true, reason: 'policy follows up every case (100 %)' }),
      };
    }),
  });
  return count;
}
