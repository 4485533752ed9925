import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Clock, IdGenerator, TokenGenerator } from './core/clock.js';
import type { MessageChannel } from './core/messages.js';
import type { ChannelName } from './core/model.js';
import type { CoreDeps } from './core/deps.js';
import type { CounterHit, InboundEventInput } from './core/ports/inbox.js';
import type { PolicyRegistry } from './core/ports/policies.js';
import type { PolicyDefinition } from './core/policies/types.js';
import { processInboundEvent, type ProcessResult } from './core/inbox/process-inbound.js';
import { inboundHandlers } from './inbound/handlers.js';
import { groupCommitInbox } from './inbound/inbox-group-commit.js';
import { createInboxDrain, INBOX_DRAIN_CONCURRENCY, type InboxDrain } from './inbound/inbox-drain.js';
import { loadPolicyPacks } from './loaders/load-policies.js';
import { loadMessageTemplates } from './loaders/load-messages.js';
import { createPrismaStores, type Stores } from './db/create-stores.js';
import { HuifangEvents } from './core/events.js';
import type { DeadLetterHooks } from './core/ports/outbox.js';
import { surveyInviteDeadLetter } from './core/surveys/survey-dead-letter.js';
import { customerMessageDeadLetter } from './core/outbox/customer-dead-letter.js';
import { logLifecycleEvents } from './event-log.js';
import type { ConsoleActionDeps } from './core/console/console-actions.js';
import type { WecomSignIn } from './core/ports/console-auth.js';
import { calendarOverlay } from './core/calendar/calendar-overlay.js';
import { createWecomSignIn } from './channels/wecom/wecom-sign-in.js';
import { WecomClient } from './channels/wecom/wecom-client.js';
import { EventMetrics } from './event-metrics.js';
import type { DbClient } from './db/client.js';
import { SandboxChannel } from './channels/sandbox/sandbox-channel.js';
import { createWecomChannel } from './channels/wecom/wecom-channel.js';
import { createWecomContactChannel } from './channels/wecom/wecom-contact-channel.js';
import { AppDailyQuota } from './channels/wecom/app-daily-quota.js';
import { createWechatChannel } from './channels/wechat/wechat-channel.js';
import { createTencentSmsChannel } from './channels/tencent-sms/tencent-sms-channel.js';
import { WebhookChannel } from './channels/webhook/webhook-channel.js';
import { randomTokens, systemClock, UlidGenerator } from './clocks.js';
import { loadCalendar } from './loaders/load-calendar.js';
import { nextYearSchedule } from './core/calendar/next-year-schedule.js';
import { formatYearRanges, type WorkingCalendar } from './core/calendar/working-calendar.js';
import { HmacLinkSigner } from './links.js';
import { loadSurveyDefinitions, StaticSurveyRegistry } from './loaders/load-surveys.js';
// Greetings 节日与生日问候 (campaigns loaded and validated at start).
import { createChineseDaysLunarConverter } from './loaders/chinese-days-source.js';
import { loadCampaigns } from './loaders/load-campaigns.js';
import type { GreetingDeps } from './core/greetings/run-greetings.js';

/** Repository root (templates/ lives there). */
export const ROOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface HuifangOptions {
  config: Config;
  logger: Logger;
  db: DbClient;
  clock?: Clock;
  ids?: IdGenerator;
  tokens?: TokenGenerator;
  /** Jitter source for retry backoff, in [0,1). */
  jitter?: () => number;
  /** Channel overrides (tests); otherwise chosen from the config (sandbox without credentials). */
  channels?: Partial<Record<ChannelName, MessageChannel>>;
  /** Policy packs folder [templates/policies]. */
  policiesDir?: string;
  /** Survey definitions folder [templates/surveys]. */
  surveysDir?: string;
  /** Message templates folder [templates/messages]. */
  messagesDir?: string;
  /** Working-day calendar; loaded from chinese-days and templates/calendar when absent. */
  calendar?: WorkingCalendar;
  /** Greeting campaigns folder [templates/campaigns]. */
  campaignsDir?: string;
  /**
   * Log, when the calendar overlay is (re)loaded, that next year's holiday schedule is missing: once per
   * local day from 1 November [true]. Commands set false: they print their own line on stderr.
   */
  nextYearReminder?: boolean;
  /**
   * Handle webhook events (`receive(…, { wait: false })`) in this process, a few milliseconds after their
   * answer [true]. `huifang start --role web` sets false: the jobs process's drain handles them.
   */
  inboxDrain?: boolean;
  /** WeCom sign-in for the console; without it (no WeCom configured) the console offers links and, in the sandbox, a picker. */
  wecomSignIn?: WecomSignIn | null;
}

/** The assembled service: use-case dependencies, channels and inbound entry point. */
export interface Huifang {
  config: Config;
  logger: Logger;
  clock: Clock;
  deps: CoreDeps & Pick<Stores, 'digests' | 'reports'>;
  /** Read models for the HTTP API, the sandbox page and the health and metrics routes. */
  views: Stores['views'];
  /** Where staff, departments and customers are written from files, WeCom and the example organisation. */
  directory: Stores['directory'];
  channels: Readonly<Record<ChannelName, MessageChannel>>;
  /** What follows a message that died, by kind (the dispatcher's hooks). */
  deadLetter: DeadLetterHooks;
  /** Lifecycle events (outbox, inbox, escalations): logs and metrics subscribe, and so may tests. */
  events: HuifangEvents;
  /** Counters of the lifecycle events since this process started (`/metrics`). */
  metrics: EventMetrics;
  jitter: () => number;
  /** Greeting campaigns and the lunar tables their dates come from. */
  greetings: GreetingDeps;
  /** Webhook subscriptions and the source of their events (docs/webhooks.md). */
  webhooks: Stores['webhooks'];
  /** The console (管理台): its stores, read models, the action use cases' dependencies, and WeCom sign-in. */
  console: Stores['console'] & { actions: ConsoleActionDeps; wecomSignIn: WecomSignIn | null };
  /**
   * Reads the calendar days entered in the console and lays them over the shipped calendar data
   * (at start, after a change, and every few minutes so every replica follows). Then, from 1 November
   * while next year's schedule is missing, logs one warning per local day saying how to add it.
   */
  reloadCalendarOverlay(): Promise<void>;
  /**
   * Records an inbound event (deduplicated on source + dedupeKey; concurrent calls share one insert, and
   * each resolves once its own event is committed) and processes it. With `wait: false` (webhooks) the
   * event is left to the inbox drain ({@link inboxDrain}), which handles it a few milliseconds after the
   * caller has answered the provider, batched with the events that arrived meanwhile; `processing` is then
   * null. Otherwise it is processed at once and `processing` gives the outcome. `counterHit` is a
   * `RateCounter` hit committed with the event, new or duplicate (the WeCom callback's nonce memory).
   */
  receive(event: InboundEventInput, options?: { wait?: boolean; counterHit?: CounterHit }): Promise<{ id: string; duplicate: boolean; processing: Promise<ProcessResult> | null }>;
  /** This process's inbox drain (null with `inboxDrain: false`): poked by `receive`, and by `huifang start` every second for events other processes recorded. */
  inboxDrain: InboxDrain | null;
}

/**
 * Loads the working-day calendar. A question beyond the data is answered by weekends only with a warning
 * once per year, or refused (HUIFANG_CALENDAR_BEYOND_DATA=error). Whether next year is missing is said
 * after the database's days are laid over it ({@link Huifang.reloadCalendarOverlay}).
 */
function loadServiceCalendar(config: Config, logger: Logger): WorkingCalendar {
  const loaded = loadCalendar({
    beyondCoverage: config.calendarBeyondData === 'error' ? 'throw' : 'assume_weekends',
    onAssumption: (year) => {
      logger.warn({ year }, 'working-day calendar has no holiday data for this year: assumed weekends only; install its State Council schedule (docs/calendar.md)');
    },
  });
  for (const notice of loaded.notices) logger.info({ notice }, 'calendar notice');
  return loaded.calendar;
}

/** Credentials are configured for a provider whose delivery adapter this build does not include. */
export class ChannelUnavailableError extends Error {
  override readonly name = 'ChannelUnavailableError';
  constructor(readonly channel: ChannelName, readonly provider: string) {
    super(
      `Credentials for ${provider} are configured, but this version of Huifang cannot deliver ${channel} messages through ${provider} yet. ` +
        `Unset the ${provider === 'wecom' ? 'WECOM_*' : provider === 'tencent' ? 'TENCENT_*' : 'WECHAT_MP_*'} variables (or set HUIFANG_SANDBOX=1) to run with the sandbox channel.`,
    );
  }
}

class StaticPolicyRegistry implements PolicyRegistry {
  readonly #byType = new Map<string, PolicyDefinition>();
  readonly #byId = new Map<string, PolicyDefinition>();
  constructor(private readonly packs: readonly PolicyDefinition[]) {
    for (const p of packs) {
      this.#byId.set(p.id, p);
      for (const t of p.caseTypes) this.#byType.set(t, p);
    }
  }
  forCaseType(type: string) {
    return this.#byType.get(type);
  }
  byId(id: string) {
    return this.#byId.get(id);
  }
  all() {
    return this.packs;
  }
}

/**
 * Wires the service. Loading the policy packs and templates validates them: an invalid pack stops
 * the start with its file, line and reason.
 */
export function createHuifang(options: HuifangOptions): Huifang {
  const { config, logger, db } = options;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? new UlidGenerator(clock);
  const tokens = options.tokens ?? randomTokens;
  // Surveys first: every policy step's surveyKey must name one of them.
  const surveyDefinitions = new StaticSurveyRegistry(loadSurveyDefinitions(options.surveysDir ?? join(ROOT_DIR, 'templates/surveys')));
  const policies = new StaticPolicyRegistry(loadPolicyPacks(options.policiesDir ?? join(ROOT_DIR, 'templates/policies'), { surveys: surveyDefinitions }));
  const templates = loadMessageTemplates(options.messagesDir ?? join(ROOT_DIR, 'templates/messages'));
  const calendar = options.calendar ?? loadServiceCalendar(config, logger);
  const caseTypes = new Set(policies.all().flatMap((p) => p.caseTypes));
  const campaigns = loadCampaigns(options.campaignsDir ?? join(ROOT_DIR, 'templates/campaigns'), { caseTypes });
  const events = new HuifangEvents((err, event) => logger.error({ err, event }, 'a lifecycle event listener failed'));
  logLifecycleEvents(events, logger);
  const metrics = new EventMetrics(events);
  const { views, directory, settings, console: consoleStores, greetings: greetingStore, webhooks, ...stores } = createPrismaStores(db, ids, { policies, timeZone: config.timezone });
  const deps: Huifang['deps'] = {
    events,
    clock,
    ids,
    tokens,
    timeZone: config.timezone,
    publicBaseUrl: config.publicBaseUrl,
    organisationName: config.organisationName,
    links: new HmacLinkSigner({ secret: config.linkSecret, settings }),
    policies,
    surveyDefinitions,
    templates,
    calendar,
    ...stores,
  };
  const sandbox = (name: ChannelName) => new SandboxChannel(name, ids, clock);
  // 客户联系 is live with WeCom live and WECOM_CUSTOMER_CONTACT on (the app must be in 客户联系 → 可调用应用).
  const contactMode = config.wecom?.customerContact.enabled && config.channels.staff === 'wecom' ? 'wecom' : 'sandbox';
  const modes: Record<Exclude<ChannelName, 'webhook'>, string> = { wecom: config.channels.staff, sms: config.channels.sms, wechat: config.channels.wechat, wecom_contact: contactMode };
  const pick = (name: Exclude<ChannelName, 'webhook'>): MessageChannel => {
    const override = options.channels?.[name];
    if (override) return override;
    if (modes[name] === 'sandbox') return sandbox(name);
    if (name === 'wecom' && config.wecom) {
      const limit = config.wecom.dailyMessageLimit;
      const dailyQuota = limit
        ? new AppDailyQuota({
            limit,
            timeZone: config.timezone,
            // message/send only: card updates are not app messages. Served by the (channel, sentAt) index.
            countSentSince: (since) => stores.outbox.countSentSince('wecom', since, ['card_update']),
          })
        : undefined;
      return createWecomChannel(config.wecom, { clock, logger, timeZone: config.timezone, windows: stores.windows, ...(dailyQuota ? { dailyQuota } : {}) });
    }
    if (name === 'wecom_contact' && config.wecom) {
      const countSentSince = (customerId: string, since: Date) => directory.wecomContacts.countContactMessagesSince(customerId, since);
      return createWecomContactChannel(config.wecom, { clock, logger, timeZone: config.timezone, countSentSince }).channel;
    }
    if (name === 'wechat' && config.wechat) return createWechatChannel(config.wechat, { clock, logger });
    if (name === 'sms' && config.tencentSms) return createTencentSmsChannel(config.tencentSms, { logger });
    // Never pretend: credentials for a provider this build cannot deliver to stop the start.
    throw new ChannelUnavailableError(name, modes[name]!);
  };
  // Webhooks always go to the subscribers' own URLs: an administrator added each one (docs/webhooks.md).
  const webhookChannel = options.channels?.webhook ?? new WebhookChannel({ signingOf: (id, now) => webhooks.webhookSigning(id, now), clock });
  const channels: Record<ChannelName, MessageChannel> = { wecom: pick('wecom'), sms: pick('sms'), wechat: pick('wechat'), wecom_contact: pick('wecom_contact'), webhook: webhookChannel };
  // A sandboxed customer channel next to a live one reaches nobody: surveys then use the live one only.
  // With every customer channel in the sandbox, both count (the sandbox page shows both).
  const live = (name: 'sms' | 'wechat') => Boolean(options.channels?.[name]) || modes[name] !== 'sandbox';
  const allSandboxed = !live('sms') && !live('wechat');
  const contactLive = Boolean(options.channels?.wecom_contact) || contactMode !== 'sandbox';
  deps.customerChannels = { sms: allSandboxed || live('sms'), wechat: allSandboxed || live('wechat'), wecomContact: contactLive };
  deps.optOutScope = config.optOutScope;
  deps.smsDailyBudget = config.smsDailyBudget;
  const greetings: GreetingDeps = {
    campaigns,
    lunar: createChineseDaysLunarConverter(),
    pricePerSegment: config.smsPricePerSegment ?? null,
    store: greetingStore,
    timeZone: config.timezone,
    org: config.organisationName,
    usable: { sms: deps.customerChannels.sms, wechat: deps.customerChannels.wechat, wecom_contact: contactLive },
  };
  const jitter = options.jitter ?? Math.random;
  const deadLetter: DeadLetterHooks = { survey_invite: surveyInviteDeadLetter(deps), customer_notice: customerMessageDeadLetter };

  const recordInbound = groupCommitInbox(stores.inbox);
  const inboxDrain = options.inboxDrain === false ? null : createInboxDrain(deps, inboundHandlers, logger, { concurrency: INBOX_DRAIN_CONCURRENCY });
  const receive: Huifang['receive'] = async (event, opts = {}) => {
    const recorded = await recordInbound({ ...event, id: ids.next(), ...(opts.counterHit ? { counterHit: opts.counterHit } : {}) });
    // The same fields as a child logger's, without making one per callback.
    const fields = { inboundEventId: recorded.id, source: event.source, kind: event.kind };
    if (recorded.duplicate) {
      logger.info(fields, 'inbound event is a duplicate; ignored');
      return { ...recorded, processing: null };
    }
    logger.info(fields, 'inbound event recorded');
    if (opts.wait === false) {
      // Off the request path: the drain handles it with whatever else arrived meanwhile.
      inboxDrain?.poke();
      return { ...recorded, processing: null };
    }
    // The outcome is logged from the `inbox:*` events (bot/event-log.ts).
    const processing = processInboundEvent(deps, recorded.id, inboundHandlers).catch(
      (err: unknown) => {
        // The event stays recorded; the process-inbox job retries it.
        logger.error({ ...fields, err }, 'inbound event processing crashed; the inbox job will retry');
        return { eventId: recorded.id, status: 'FAILED' as const };
      },
    );
    await processing;
    return { ...recorded, processing };
  };

  const consoleDeps: Huifang['console'] = {
    ...consoleStores,
    actions: { ...deps, consoleViews: consoleStores.views, rateCounters: consoleStores.rateCounters, revealsPerDay: config.console.revealsPerDay },
    wecomSignIn:
      options.wecomSignIn !== undefined
        ? options.wecomSignIn
        : config.wecom && modes.wecom !== 'sandbox'
          ? createWecomSignIn(new WecomClient({ corpId: config.wecom.corpId, agentId: config.wecom.agentId, secret: config.wecom.secret, apiBase: config.wecom.apiBase, oauthBase: config.wecom.oauthBase, ssoBase: config.wecom.ssoBase, clock, logger }), logger)
          : null,
  };
  // Next year's schedule: one line per local day from 1 November while it is missing (docs/calendar.md),
  // however often the overlay is reloaded; before November, one info line per process.
  let remindedOn: string | null = null;
  let toldEarly = false;
  const sayIfNextYearMissing = () => {
    const next = nextYearSchedule(calendar, clock.now(), config.timezone);
    if (next.remind && remindedOn !== next.today) {
      remindedOn = next.today;
      logger.warn(
        { missingYear: next.year, coveredYears: formatYearRanges(calendar.coveredYears()) },
        "next year's holiday schedule is missing: its working days count weekends only until an administrator installs it (huifang calendar import YEAR FILE.yaml, or the console's 日历 page; docs/calendar.md)",
      );
    } else if (next.missing && !next.remind && !toldEarly) {
      toldEarly = true;
      logger.info({ missingYear: next.year }, "next year's holiday schedule is not in the calendar yet (the State Council publishes it in autumn; reminders start on 1 November)");
    }
  };
  const reloadCalendarOverlay = async () => {
    const { ignoredYears } = calendar.replaceOverlay(calendarOverlay(await consoleStores.admin.listCalendarEntries()));
    if (ignoredYears.length > 0) logger.warn({ years: ignoredYears }, 'calendar days entered in the console for years the shipped calendar now covers are ignored; remove them in 日历');
    if (options.nextYearReminder !== false) sayIfNextYearMissing();
  };

  return { config, logger, clock, events, metrics, console: consoleDeps, reloadCalendarOverlay, deps, views, directory, channels, deadLetter, jitter, greetings, webhooks, receive, inboxDrain };
}
