import type { Clock, IdGenerator, TokenGenerator } from './clock.js';
import type { MessageTemplates } from './templates/catalogue.js';
import type { WorkingCalendar } from './calendar/working-calendar.js';
import type { SurveyDefinitionRegistry } from './surveys/definitions.js';
import type { CaseStore } from './ports/cases.js';
import type { CustomerStore, OptOutScope } from './ports/customers.js';
import type { OrgStore } from './ports/org.js';
import type { FollowUpStore } from './ports/follow-ups.js';
import type { StaffTaskStore } from './ports/staff-tasks.js';
import type { EscalationStore } from './ports/escalations.js';
import type { SurveyStore } from './ports/surveys.js';
import type { SurveyFallbackStore } from './ports/survey-fallbacks.js';
import type { OutboxStore } from './ports/outbox.js';
import type { SharedWindows } from './ports/shared-windows.js';
import type { InboxStore } from './ports/inbox.js';
import type { LinkSigner } from './ports/links.js';
import type { PolicyRegistry } from './ports/policies.js';
import type { AuditLog } from './ports/audit.js';
import type { HuifangEvents } from './events.js';

/** Whether each customer channel reaches customers (a sandboxed channel next to a real one does not). */
export interface CustomerChannelAvailability {
  wechat: boolean;
  sms: boolean;
  /** WeCom customer contact (客户联系) [false: not set up]. */
  wecomContact?: boolean;
}

/**
 * Everything use cases need, injected by the composition root (bot/huifang.ts). Use cases take the
 * slice they use (`Pick<CoreDeps, …>`), so each names the ports it depends on.
 */
export interface CoreDeps {
  clock: Clock;
  ids: IdGenerator;
  tokens: TokenGenerator;
  timeZone: string;
  publicBaseUrl: string;
  /** The organisation's display name, used in customer messages (【…】). */
  organisationName: string;
  /** Signs the ids in survey, form, digest and report links. */
  links: LinkSigner;
  policies: PolicyRegistry;
  /** Survey definitions (templates/surveys), by the `surveyKey` policy steps name. */
  surveyDefinitions: SurveyDefinitionRegistry;
  templates: MessageTemplates;
  /** Mainland-China working days (holidays, 调休 make-up days, organisation closures). */
  calendar: WorkingCalendar;
  cases: CaseStore;
  customers: CustomerStore;
  org: OrgStore;
  followUps: FollowUpStore;
  staffTasks: StaffTaskStore;
  surveys: SurveyStore;
  surveyFallbacks: SurveyFallbackStore;
  outbox: OutboxStore;
  /**
   * Limit windows every replica shares (the survey gap as a send happens, Tencent's same-content rule,
   * WeCom's 45009 block), kept across restarts.
   */
  windows: SharedWindows;
  inbox: InboxStore;
  escalations: EscalationStore;
  audit: AuditLog;
  /** Lifecycle events (outbox, inbox, escalations) for logs, metrics and tests; none emitted without. */
  events?: HuifangEvents;
  /** What an opt-out covers [all]. */
  optOutScope?: OptOutScope;
  /** Customer channels surveys may be sent on [both]. */
  customerChannels?: CustomerChannelAvailability;
  /**
   * SMS a customer may receive per local day, every kind together (survey, reminder, greeting, notice)
   * [unlimited]: Tencent's default frequency policy allows 2 per number a day (docs/protocols/tencent-sms.md
   * §4.1). An SMS over it — first send, retry or fallback alike — waits for the next day.
   */
  smsDailyBudget?: number;
}
