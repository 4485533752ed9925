import type { IdGenerator } from '../core/clock.js';
import type { CoreDeps } from '../core/deps.js';
import type { PolicyRegistry } from '../core/ports/policies.js';
import type { DigestStore } from '../core/ports/digests.js';
import type { ReportStore } from '../core/ports/reports.js';
import type { DbClient } from './client.js';
import type { StoreContext } from './store-context.js';
import { PrismaCaseStore } from './case-store.js';
import { PrismaCustomerStore } from './customer-store.js';
import { PrismaOrgStore } from './org-store.js';
import { PrismaFollowUpStore } from './follow-up-store.js';
import { PrismaStaffTaskStore } from './staff-task-store.js';
import { PrismaEscalationStore } from './escalation-store.js';
import { PrismaSurveyStore } from './survey-store.js';
import { PrismaSurveyFallbackStore } from './survey-fallback-store.js';
import { PrismaOutboxStore } from './outbox-store.js';
import { PrismaSharedWindows } from './shared-window-store.js';
import { PrismaInboxStore } from './inbox-store.js';
import { PrismaAuditLog } from './audit-store.js';
import { PrismaDigestStore } from './digest-store.js';
import { PrismaReportStore } from './report-store.js';
import { PrismaGreetingStore } from './greeting-store.js';
import { PrismaStaffDirectory } from './staff-directory-store.js';
import { PrismaCustomerImportStore } from './customer-import-store.js';
import type { StaffDirectory } from '../core/ports/staff-directory.js';
import type { CustomerImportStore } from '../core/ports/customers.js';
import type { GreetingStore } from '../core/ports/greetings.js';
import { PrismaCaseViews } from './case-views.js';
import { PrismaSandboxStore } from './sandbox-store.js';
import { PrismaServiceHealth } from './service-health.js';
import { PrismaActivityViews } from './activity-views.js';
import { PrismaSettingStore } from './setting-store.js';
import { PrismaConsoleAuthStore, PrismaRateCounters } from './console-auth-store.js';
import { PrismaConsoleViews } from './console-views.js';
import { PrismaConsoleAdminStore } from './console-admin-store.js';
import type { ConsoleAuthStore, RateCounters } from '../core/ports/console-auth.js';
import type { ConsoleViews } from '../core/ports/console-views.js';
import type { CalendarEntryStore, ComplaintKeywordStore, JobRunStore } from '../core/ports/console-admin.js';
import type { SettingStore } from '../core/ports/settings.js';
import type { ActivityViews, CaseViews, SandboxViews, ServiceHealth } from '../core/ports/read-models.js';

import type { WebhookStore } from '../core/ports/webhooks.js';
import { PrismaWebhookStore } from './webhook-store.js';
import type { WecomContactStore } from '../core/ports/wecom-contacts.js';
import { PrismaWecomContactStore } from './wecom-contact-store.js';
/** Every store port the use cases take, and the read models of the edge, over one database. */
export type Stores = Pick<
  CoreDeps,
  'cases' | 'customers' | 'org' | 'followUps' | 'staffTasks' | 'escalations' | 'surveys' | 'surveyFallbacks' | 'outbox' | 'windows' | 'inbox' | 'audit'
> & {
  digests: DigestStore;
  reports: ReportStore;
  greetings: GreetingStore;
  settings: SettingStore;
  /** Webhook subscriptions and the source of their events. */
  webhooks: WebhookStore;
  /** The console's accounts, sessions, read models and administrative data. */
  console: { auth: ConsoleAuthStore; views: ConsoleViews; rateCounters: RateCounters; admin: CalendarEntryStore & ComplaintKeywordStore & JobRunStore };
  /** Writers of staff, departments and customers (imports, contact sync, the example organisation). */
  directory: { staff: StaffDirectory; customers: CustomerImportStore; wecomContacts: WecomContactStore };
  views: { cases: CaseViews; sandbox: SandboxViews; health: ServiceHealth; activity: ActivityViews };
};

/** Builds the Prisma implementation of every store port and read model over `db`. */
export function createPrismaStores(db: DbClient, ids: IdGenerator, options: { policies: PolicyRegistry; timeZone: string }): Stores {
  const context: StoreContext = { prisma: db.prisma, capabilities: db.capabilities, ids };
  const sandbox = new PrismaSandboxStore(context);
  const org = new PrismaOrgStore(context);
  return {
    cases: new PrismaCaseStore(context),
    customers: new PrismaCustomerStore(context),
    org,
    followUps: new PrismaFollowUpStore(context),
    staffTasks: new PrismaStaffTaskStore(context),
    escalations: new PrismaEscalationStore(context),
    surveys: new PrismaSurveyStore(context),
    surveyFallbacks: new PrismaSurveyFallbackStore(context),
    outbox: new PrismaOutboxStore(context),
    windows: new PrismaSharedWindows(context),
    inbox: new PrismaInboxStore(context),
    audit: new PrismaAuditLog(context),
    digests: new PrismaDigestStore(context, options.policies),
    reports: new PrismaReportStore(context, options.policies, options.timeZone),
    greetings: new PrismaGreetingStore(context),
    settings: new PrismaSettingStore(context),
    webhooks: new PrismaWebhookStore(context),
    console: { auth: new PrismaConsoleAuthStore(context), views: new PrismaConsoleViews(context), rateCounters: new PrismaRateCounters(context), admin: new PrismaConsoleAdminStore(context) },
    directory: { staff: new PrismaStaffDirectory(context, () => org.invalidateOrgCache()), customers: new PrismaCustomerImportStore(context), wecomContacts: new PrismaWecomContactStore(context) },
    views: { cases: new PrismaCaseViews(context), sandbox, health: new PrismaServiceHealth(context), activity: new PrismaActivityViews(context) },
  };
}
