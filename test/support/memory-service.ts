// The service as bot/huifang.ts wires it — the real policy packs, surveys, message templates, working
// calendar, link signer, dead-letter hooks and inbound handlers — but over the in-memory stores
// (bot/memory) instead of a database, on a FakeClock, with the example organisation. For unit tests
// of the core use cases and of commands that run jobs: no database, no network, no process.
import { join } from 'node:path';
import { FakeClock, randomTokens, UlidGenerator } from '../../bot/clocks.js';
import { loadConfig, type Config } from '../../bot/config.js';
import { createLogger } from '../../bot/logger.js';
import type { Huifang } from '../../bot/huifang.js';
import type { CoreDeps } from '../../bot/core/deps.js';
import type { ChannelName } from '../../bot/core/model.js';
import type { MessageChannel } from '../../bot/core/messages.js';
import type { PolicyRegistry } from '../../bot/core/ports/policies.js';
import type { PolicyDefinition } from '../../bot/core/policies/types.js';
import type { DeadLetterHooks } from '../../bot/core/ports/outbox.js';
import type { TokenGenerator } from '../../bot/core/clock.js';
import type { WorkingCalendar } from '../../bot/core/calendar/working-calendar.js';
import type { SurveyDefinitionRegistry } from '../../bot/core/surveys/definitions.js';
import type { MessageTemplates } from '../../bot/core/templates/catalogue.js';
import type { GreetingCampaign } from '../../bot/core/greetings/campaign.js';
import { HuifangEvents, type HuifangEventMap, type HuifangEventName } from '../../bot/core/events.js';
import { processInboundEvent, receiveInbound } from '../../bot/core/inbox/process-inbound.js';
import { dispatchOutbox, type DispatchSummary } from '../../bot/core/outbox/dispatch-outbox.js';
import { submitCase, type SubmitCaseResult } from '../../bot/core/cases/submit-case.js';
import { surveyInviteDeadLetter } from '../../bot/core/surveys/survey-dead-letter.js';
import { customerMessageDeadLetter } from '../../bot/core/outbox/customer-dead-letter.js';
import { inboundHandlers } from '../../bot/inbound/handlers.js';
import { loadPolicyPacks } from '../../bot/loaders/load-policies.js';
import { loadMessageTemplates } from '../../bot/loaders/load-messages.js';
import { loadSurveyDefinitions, StaticSurveyRegistry } from '../../bot/loaders/load-surveys.js';
import { loadCalendar } from '../../bot/loaders/load-calendar.js';
import { loadCampaigns } from '../../bot/loaders/load-campaigns.js';
import { createChineseDaysLunarConverter } from '../../bot/loaders/chinese-days-source.js';
import { HmacLinkSigner } from '../../bot/links.js';
import { SandboxChannel } from '../../bot/channels/sandbox/sandbox-channel.js';
import { toSubmitInput, type CaseBody } from '../../bot/cases/case-body.js';
import { seedExampleOrganisation } from '../../bot/example/example-organisation.js';
import { EventMetrics } from '../../bot/event-metrics.js';
import { createMemoryStores } from '../../bot/memory/create-memory-stores.js';
import type { MemoryState, MemoryTables, TableName } from '../../bot/memory/memory-state.js';
import { CountingChannel } from './test-channels.js';

const ROOT = join(import.meta.dirname, '../..');
export const TIME_ZONE = 'Asia/Shanghai';

/** Policies by case type and id, as bot/huifang.ts registers them. */
class PolicyPacks implements PolicyRegistry {
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

interface ShippedData {
  surveyDefinitions: SurveyDefinitionRegistry;
  policies: PolicyRegistry;
  templates: MessageTemplates;
  calendar: WorkingCalendar;
  campaigns: GreetingCampaign[];
}

let shipped: ShippedData | undefined;

/** The shipped templates/ data, loaded and validated once per test file (as at the service's start). */
export function shippedData(): ShippedData {
  if (!shipped) {
    // Surveys first: every policy step's surveyKey must name one of them.
    const surveyDefinitions = new StaticSurveyRegistry(loadSurveyDefinitions(join(ROOT, 'templates/surveys')));
    const policies = new PolicyPacks(loadPolicyPacks(join(ROOT, 'templates/policies'), { surveys: surveyDefinitions }));
    const caseTypes = new Set(policies.all().flatMap((p) => p.caseTypes));
    shipped = {
      surveyDefinitions,
      policies,
      templates: loadMessageTemplates(join(ROOT, 'templates/messages')),
      calendar: loadCalendar().calendar,
      campaigns: loadCampaigns(join(ROOT, 'templates/campaigns'), { caseTypes }),
    };
  }
  return shipped;
}

export interface MemoryServiceOptions {
  /** Where the clock starts [2026-11-10 09:00 Shanghai]. */
  start?: string;
  /** Channels by name; each defaults to a {@link CountingChannel} that accepts everything. */
  channels?: Partial<Record<ChannelName, MessageChannel>>;
  /** Deliver to the sandbox delivery log (in memory) instead of counting channels. */
  sandbox?: boolean;
  /** Environment for `loadConfig` (HUIFANG_OPTOUT_SCOPE …); the database URL is never opened. */
  env?: Record<string, string>;
  tokens?: TokenGenerator;
  /** Seed the example organisation (staff, departments, customers) [true]. */
  seed?: boolean;
  /** Packs that replace the shipped pack with the same id (a variant of P4 …) [none]. */
  policies?: readonly PolicyDefinition[];
}

/** The service over memory stores, with what tests drive and inspect. */
export interface MemoryService extends Huifang {
  clock: FakeClock;
  state: MemoryState;
  /** Staff ids by WeCom user id (the example organisation). */
  staff: Map<string, string>;
  /** Submits a case body as the HTTP API does (translated against the organisation, then `submitCase`). */
  submit(body: CaseBody): Promise<SubmitCaseResult>;
  /** One dispatcher run with the service's channels, jitter and dead-letter hooks. */
  dispatch(): Promise<DispatchSummary>;
  /** Committed rows of a table (frozen copies). */
  rows<T extends TableName>(table: T): Readonly<MemoryTables[T]>[];
  /** Errors thrown by event listeners (the emitter reports them instead of breaking the use case). */
  listenerErrors: unknown[];
  /** Records every emitted event of the given names, in order. */
  recordEvents<E extends HuifangEventName>(...names: E[]): { name: E; payload: HuifangEventMap[E] }[];
}

/** Builds the service over fresh memory stores (and seeds the example organisation unless told not to). */
export async function createMemoryService(options: MemoryServiceOptions = {}): Promise<MemoryService> {
  const shippedPacks = shippedData();
  const replaced = new Set((options.policies ?? []).map((p) => p.id));
  const data = options.policies
    ? { ...shippedPacks, policies: new PolicyPacks([...shippedPacks.policies.all().filter((p) => !replaced.has(p.id)), ...options.policies]) }
    : shippedPacks;
  const config: Config = loadConfig({ HUIFANG_TIMEZONE: TIME_ZONE, LOG_LEVEL: 'silent', ...options.env });
  const logger = createLogger({ level: 'silent' });
  const clock = new FakeClock(options.start ?? '2026-11-10T09:00:00+08:00');
  const ids = new UlidGenerator(clock);
  const listenerErrors: unknown[] = [];
  // What bot/huifang.ts logs, kept for the test to look at.
  const events = new HuifangEvents((err) => listenerErrors.push(err));
  const { views, directory, settings, greetings: greetingStore, console: consoleStores, webhooks, state, ...stores } = createMemoryStores(ids, { policies: data.policies, timeZone: TIME_ZONE, clock });
  const deps: CoreDeps & Pick<Huifang['deps'], 'digests' | 'reports'> = {
    events,
    clock,
    ids,
    tokens: options.tokens ?? randomTokens,
    timeZone: TIME_ZONE,
    publicBaseUrl: config.publicBaseUrl,
    organisationName: config.organisationName,
    links: new HmacLinkSigner({ secret: 'memory-service-link-secret-0123456789', settings }),
    policies: data.policies,
    surveyDefinitions: data.surveyDefinitions,
    templates: data.templates,
    calendar: data.calendar,
    customerChannels: { sms: true, wechat: true },
    optOutScope: config.optOutScope,
    smsDailyBudget: config.smsDailyBudget,
    ...stores,
  };
  const channel = (name: ChannelName): MessageChannel => options.channels?.[name] ?? (options.sandbox ? new SandboxChannel(name, ids, clock) : new CountingChannel());
  const channels: Record<ChannelName, MessageChannel> = { wecom: channel('wecom'), sms: channel('sms'), wechat: channel('wechat'), wecom_contact: channel('wecom_contact'), webhook: channel('webhook') };
  const deadLetter: DeadLetterHooks = { survey_invite: surveyInviteDeadLetter(deps), customer_notice: customerMessageDeadLetter };
  const jitter = () => 0.5;
  const receive: Huifang['receive'] = async (event, opts = {}) => {
    const recorded = await receiveInbound(deps, event);
    if (recorded.duplicate) return { ...recorded, processing: null };
    const processing = processInboundEvent(deps, recorded.id, inboundHandlers);
    if (opts.wait !== false) await processing;
    return { ...recorded, processing };
  };
  const staff = options.seed === false ? new Map<string, string>() : await seedExampleOrganisation(directory, () => ids.next());
  const app: MemoryService = {
    config,
    logger,
    clock,
    events,
    metrics: new EventMetrics(events),
    // The console's stores are SQL only: each method throws MemoryStoreUnsupportedError naming itself.
    console: {
      ...consoleStores,
      actions: { ...deps, consoleViews: consoleStores.views, rateCounters: consoleStores.rateCounters, revealsPerDay: config.console.revealsPerDay },
      wecomSignIn: null,
    },
    // Calendar days entered in the console live in SQL; over memory the shipped calendar stands alone.
    reloadCalendarOverlay: async () => {},
    deps,
    views,
    directory,
    channels,
    deadLetter,
    jitter,
    greetings: {
      campaigns: data.campaigns,
      lunar: createChineseDaysLunarConverter(),
      pricePerSegment: config.smsPricePerSegment ?? null,
      store: greetingStore,
      timeZone: TIME_ZONE,
      org: config.organisationName,
      usable: deps.customerChannels!,
    },
    webhooks,
    receive,
    inboxDrain: null,
    state,
    staff,
    submit: async (body) => submitCase(deps, await toSubmitInput({ deps }, body, 'test')),
    dispatch: () => dispatchOutbox(deps, { channels, jitter, deadLetter, contact: config.customerContact }),
    rows: (table) => state.rows(table),
    listenerErrors,
    recordEvents: (...names) => {
      const seen: { name: (typeof names)[number]; payload: HuifangEventMap[(typeof names)[number]] }[] = [];
      for (const name of names) events.on(name, (payload) => seen.push({ name, payload }));
      return seen;
    },
  };
  return app;
}
