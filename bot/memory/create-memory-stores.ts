import type { Clock, IdGenerator } from '../core/clock.js';
import type { PolicyRegistry } from '../core/ports/policies.js';
import type { Stores } from '../db/create-stores.js';
import { systemClock } from '../clocks.js';
import { MemoryState } from './memory-state.js';
import { MemoryCaseStore } from './case-store.js';
import { MemoryCustomerStore } from './customer-store.js';
import { MemoryOrgStore } from './org-store.js';
import { MemoryFollowUpStore } from './follow-up-store.js';
import { MemoryStaffTaskStore } from './staff-task-store.js';
import { MemoryEscalationStore } from './escalation-store.js';
import { MemorySurveyStore } from './survey-store.js';
import { MemorySurveyFallbackStore } from './survey-fallback-store.js';
import { MemoryOutboxStore } from './outbox-store.js';
import { MemorySharedWindows } from './shared-window-store.js';
import { MemoryInboxStore } from './inbox-store.js';
import { MemoryAuditLog } from './audit-store.js';
import { MemoryDigestStore } from './digest-store.js';
import { MemoryReportStore } from './report-store.js';
import { MemoryGreetingStore } from './greeting-store.js';
import { MemorySettingStore } from './setting-store.js';
import { MemoryStaffDirectory } from './staff-directory-store.js';
import { MemoryWecomContactStore } from './wecom-contact-store.js';
import { MemoryCustomerImportStore } from './customer-import-store.js';
import { MemorySandboxStore } from './sandbox-store.js';
import { MemoryServiceHealth } from './service-health.js';
import { MemoryWebhookStore } from './webhook-store.js';
import { UnsupportedActivityViews, UnsupportedCaseViews, unsupportedPort } from './unsupported-views.js';

export interface MemoryStoreOptions {
  policies: PolicyRegistry;
  timeZone: string;
  /**
   * Where the instants come from that the Prisma stores take from the database or the wall clock
   * rather than from the caller (an escalation changed without an audit entry) [the system clock].
   */
  clock?: Clock;
  /** The state to share with other store sets (replicas over one in-memory database) [a new one]. */
  state?: MemoryState;
}

/**
 * Builds the in-memory implementation of every store port over one shared {@link MemoryState}, the
 * same shape as `createPrismaStores` (bot/db/create-stores.ts): a use case's writes through one port
 * are seen through the others, with the Prisma stores' guarantees (all-or-nothing changes,
 * compare-and-set on versions, leases and claim tokens measured against the caller's `now`, unique keys).
 *
 * Read models: `views.health` and `views.sandbox` are implemented; `views.cases` (the HTTP API's case
 * views) and `views.activity` (the demo's figures) are SQL reporting and throw
 * `MemoryStoreUnsupportedError` naming the method, as does every method of the console's stores
 * (accounts, sessions, its read models: SQL only).
 */
export function createMemoryStores(ids: IdGenerator, options: MemoryStoreOptions): Stores & { state: MemoryState } {
  const state = options.state ?? new MemoryState();
  const clock = options.clock ?? systemClock;
  const sandbox = new MemorySandboxStore(state);
  return {
    state,
    cases: new MemoryCaseStore(state, ids),
    customers: new MemoryCustomerStore(state, ids),
    org: new MemoryOrgStore(state),
    followUps: new MemoryFollowUpStore(state, ids),
    staffTasks: new MemoryStaffTaskStore(state, ids),
    escalations: new MemoryEscalationStore(state, ids, clock),
    surveys: new MemorySurveyStore(state, ids),
    surveyFallbacks: new MemorySurveyFallbackStore(state, ids),
    outbox: new MemoryOutboxStore(state, ids),
    windows: new MemorySharedWindows(state),
    inbox: new MemoryInboxStore(state),
    audit: new MemoryAuditLog(state, ids),
    digests: new MemoryDigestStore(state, ids, options.policies),
    reports: new MemoryReportStore(state, ids, options.policies, options.timeZone),
    greetings: new MemoryGreetingStore(state, ids),
    settings: new MemorySettingStore(state),
    webhooks: new MemoryWebhookStore(state, ids),
    directory: { staff: new MemoryStaffDirectory(state), customers: new MemoryCustomerImportStore(state), wecomContacts: new MemoryWecomContactStore(state) },
    console: { auth: unsupportedPort('ConsoleAuthStore'), views: unsupportedPort('ConsoleViews'), rateCounters: unsupportedPort('RateCounters'), admin: unsupportedPort('ConsoleAdminStore') },
    views: { cases: new UnsupportedCaseViews(), sandbox, health: new MemoryServiceHealth(state), activity: new UnsupportedActivityViews() },
  };
}
