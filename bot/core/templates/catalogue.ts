import type { RichTemplate, TextTemplate } from './render.js';
import type { EscalationReason, Severity } from '../escalation/rules.js';

/**
 * Every message purpose whose wording lives in templates/messages/*.yaml, with its parts and the
 * variables each part may use (STYLE A9). The loader (bot/loaders/load-messages.ts) checks the files
 * against this catalogue — every entry and part present, nothing unknown, each entry's `variables`
 * exactly the variables its parts have, each placeholder one its part has — so that the typed
 * {@link MessageTemplates} it returns can always be rendered.
 *
 * Entry and part names are written snake_case in the files (`task_card.wecom.attempt_field`); label
 * keys are written as given here (`DISSATISFIED`, `unreachable_retry`).
 */

/** One wording; `required` variables must appear in it. */
interface TextSpec<V extends string = string> {
  kind: 'text';
  vars: readonly V[];
  required?: readonly V[];
}
/** One wording with marks (`**…**`, `<warning>…</warning>`, links); see markup.ts. */
interface RichSpec<V extends string = string> {
  kind: 'rich';
  vars: readonly V[];
}
/** One short text without placeholders. */
interface LabelSpec {
  kind: 'label';
}
/** Short texts without placeholders, by key: exactly `keys`, or any keys (`null`). */
interface LabelsSpec<K extends string = string> {
  kind: 'labels';
  keys: readonly K[] | null;
}
/** Wordings by key, exactly `keys`, each with the variables `vars`. */
interface TextsSpec<K extends string = string, V extends string = string> {
  kind: 'texts';
  keys: readonly K[];
  vars: readonly V[];
}
/** A Tencent SMS body: the approved template id, its ordered parameters (variables) and its text. */
interface SmsSpec<V extends string = string> {
  kind: 'sms';
  vars: readonly V[];
  /** Variables whose value is a link: Tencent refuses them as parameters (docs/protocols/tencent-sms.md §4.4). */
  links?: readonly V[];
}
/** An optional WeChat template message body: keyword → wording, and the text shown for it. */
interface WechatSpec<V extends string = string> {
  kind: 'wechat';
  vars: readonly V[];
}

export type PartSpec = TextSpec | RichSpec | LabelSpec | LabelsSpec | TextsSpec | SmsSpec | WechatSpec;

/** An entry: its parts, under `body` (the channel its wording is for) or directly under the entry. */
export interface EntrySpec {
  body: 'wecom' | null;
  parts: Readonly<Record<string, PartSpec>>;
}

const text = <const V extends string>(vars: readonly V[], required?: readonly V[]): TextSpec<V> => ({ kind: 'text', vars, ...(required ? { required } : {}) });
const rich = <const V extends string>(vars: readonly V[]): RichSpec<V> => ({ kind: 'rich', vars });
const label = (): LabelSpec => ({ kind: 'label' });
function labels<const K extends string>(keys: readonly K[]): LabelsSpec<K> & { keys: readonly K[] };
function labels(keys: null): LabelsSpec & { keys: null };
function labels(keys: readonly string[] | null): LabelsSpec {
  return { kind: 'labels', keys };
}
const texts = <const K extends string, const V extends string>(keys: readonly K[], vars: readonly V[]): TextsSpec<K, V> => ({ kind: 'texts', keys, vars });
const entry = <const P extends Record<string, PartSpec>>(body: 'wecom' | null, parts: P) => ({ body, parts });

const INVITE = ['org', 'salutation', 'date', 'dateTime', 'event', 'link'] as const;
const TASK_CARD = ['title', 'customer', 'phone', 'deadline', 'instructions', 'caseType', 'attempt', 'maxAttempts'] as const;
const ESCALATION_CARD = ['reason', 'customer', 'phone', 'level', 'severity', 'deadline'] as const;
const STAFF_TASK = ['step', 'customer', 'phone', 'deadline'] as const;
const REPORT_LINKS = ['xlsx', 'staffCsv', 'departmentsCsv', 'chart'] as const;
const ESCALATION_REASONS = ['DISSATISFIED', 'COMPLAINT', 'UNREACHABLE', 'OVERDUE', 'REPEATED_COMPLAINT', 'MEDICAL_CONCERN'] as const satisfies readonly EscalationReason[];
const SEVERITIES = ['normal', 'high', 'critical'] as const satisfies readonly Severity[];

export const MESSAGE_CATALOGUE = {
  /** The customer's survey invitation (SMS, and the WeChat template message). */
  surveyInvite: entry(null, {
    salutationFallback: text(['surname']),
    /** `{event}` by case type; other types get `eventDefault`. */
    events: labels(null),
    eventDefault: label(),
    sms: { kind: 'sms', vars: INVITE, links: ['link'] } as SmsSpec<(typeof INVITE)[number]>,
    wechat: { kind: 'wechat', vars: INVITE } as WechatSpec<(typeof INVITE)[number]>,
  }),
  /** Labels shared by several staff messages. */
  labels: entry(null, {
    noPhone: label(),
    escalationReasons: labels(ESCALATION_REASONS),
    severities: labels(SEVERITIES),
  }),
  /** A staff member's follow-up task card, and what it shows once an outcome is recorded. */
  taskCard: entry('wecom', {
    source: label(),
    title: text(TASK_CARD),
    description: text(TASK_CARD),
    subtitle: text(TASK_CARD),
    fields: labels(['customer', 'phone', 'case', 'attempt']),
    attemptField: text(TASK_CARD),
    buttons: labels(['satisfied', 'dissatisfied', 'unreachable', 'reschedule', 'concern']),
    outcomes: texts(['satisfied', 'dissatisfied', 'concern', 'unreachable_retry', 'unreachable_final', 'rescheduled'], ['attempt']),
    recorded: text(['outcome', 'staff']),
  }),
  /** The escalation's summary, kept with it and shown on its card and page. */
  escalationNotice: entry('wecom', {
    text: text(['reason', 'customer', 'phone', 'step', 'staff', 'deadline', 'note']),
    noteLine: text(['note']),
    surveyStaff: label(),
    unreachableNote: text(['attempts']),
    medicalConcernNote: label(),
    repeatedRepairNote: text(['count', 'subject']),
    repeatedComplaintNote: text(['count', 'subject']),
  }),
  /** The escalation owner's card. */
  escalationCard: entry('wecom', {
    source: label(),
    title: text(ESCALATION_CARD),
    description: text(ESCALATION_CARD),
    climbedDescription: text([...ESCALATION_CARD, 'previous']),
    previousUnknown: label(),
    fields: labels(['customer', 'phone', 'level']),
    levelField: text(['level']),
    acknowledge: label(),
    acknowledged: text(['owner']),
    resolved: text(['owner']),
    evidenceAdded: text(['count']),
  }),
  /** To the previous owner of an escalation that climbed a level. */
  escalationClimbed: entry('wecom', { text: text(['reason', 'customer', 'deadline', 'level', 'owner']) }),
  /** To the previous owner of an escalation a graver report of its incident raised to a higher level. */
  escalationRaised: entry('wecom', { text: text(['reason', 'customer', 'level', 'owner']) }),
  /** To the owner of an escalation past its last deadline, with nobody above. */
  escalationBreached: entry('wecom', { text: text(['reason', 'customer', 'deadline', 'link']) }),
  /** To the new owner of an escalation handed over in the console. */
  escalationHandover: entry('wecom', { text: text(['customer', 'phone', 'deadline', 'link']) }),
  /** To the assignee of a task card still unanswered before its deadline. */
  reminder: entry('wecom', { text: text(STAFF_TASK) }),
  /** To the assignee of a task past its deadline. */
  overdueNotice: entry('wecom', { text: text(STAFF_TASK) }),
  /** To the staff member of a survey whose SMS reply was not understood as a score. */
  smsReplyForward: entry('wecom', { text: text(['customer', 'phone', 'reply', 'caseId']) }),
  /** The answer to a staff member's 我的任务 / 今日回访 (or anything else). */
  taskListReply: entry('wecom', {
    titleAll: label(),
    titleToday: label(),
    empty: text(['title']),
    header: text(['title', 'count']),
    item: text(['n', 'state', 'step', 'customer', 'phone', 'deadline']),
    itemStates: labels(['ACTIVE', 'OVERDUE', 'SCHEDULED']),
    escalationsHeader: text(['count']),
    escalationItem: text(['n', 'state', 'reason', 'customer', 'phone', 'level', 'deadline']),
    escalationStates: labels(['OPEN', 'ACKNOWLEDGED']),
    help: label(),
  }),
  /** A manager's weekly digest. */
  weeklyDigest: entry('wecom', {
    title: text(['departments']),
    period: rich(['manager', 'from', 'to', 'asOf']),
    day: text(['date', 'weekday']),
    totals: rich(['due', 'staffTasks', 'surveys', 'done', 'unreachable', 'cancelled', 'open']),
    timeliness: rich(['doneOnTime', 'overdue', 'overdueOpen', 'doneLate', 'onTimeRate']),
    overdue: rich(['count']),
    noOverdue: rich(['count']),
    rates: rich(['contactRate', 'satisfactionRate', 'change']),
    changeUp: rich(['points']),
    changeDown: rich(['points']),
    noPrevious: rich([]),
    noRating: rich([]),
    backlog: rich(['count']),
    escalations: text(['count']),
    escalation: rich(['owner', 'customer', 'reason', 'level', 'date']),
    escalationPastDeadline: rich(['owner', 'customer', 'reason', 'level', 'date']),
    escalationLevel: rich(['level']),
    escalationEvidence: rich(['count', 'items']),
    evidenceItem: rich(['source', 'time', 'note']),
    evidenceItemBare: rich(['source', 'time']),
    evidenceSources: labels(['staff', 'sms', 'web', 'system']),
    byStaff: label(),
    staffRow: rich(['name', 'figures']),
    unassigned: label(),
    becomingOverdue: text(['count']),
    byDepartment: label(),
    departmentRow: rich(['name', 'figures', 'satisfactionRate']),
    rowDue: rich(['due']),
    rowDone: rich(['done', 'doneOnTime']),
    rowUnreachable: rich(['count']),
    rowOverdue: rich(['count']),
    rowOpen: rich(['count']),
    more: text(['count'], ['count']),
    detailLink: rich(['url']),
    calendarMissing: rich(['year']),
  }),
  /** A manager's monthly report summary. */
  monthlyReport: entry('wecom', {
    title: text(['scope', 'year', 'month']),
    deadline: rich(['deadline']),
    totals: rich(['due', 'done', 'unreachable', 'cancelled', 'open']),
    rates: rich(['onTimeRate', 'contactRate', 'satisfactionRate']),
    bandsHeading: label(),
    bands: labels(['ABOVE_90', 'MIDDLE', 'BELOW_70', 'BELOW_50']),
    band: rich(['band']),
    noNames: label(),
    moreNames: text(['count'], ['count']),
    downloads: rich(REPORT_LINKS),
    files: rich(REPORT_LINKS),
  }),
} as const satisfies Readonly<Record<string, EntrySpec>>;

/** A Tencent SMS body as loaded. */
export interface SmsBody<V extends string> {
  /** The approved template id (empty until approved; TENCENT_SMS_TEMPLATE_<KEY> may give it). */
  templateId: string;
  /** The variables passed, in this order, as TemplateParamSet. */
  params: readonly V[];
  /** The approved wording, without the signature Tencent adds in front (`【TENCENT_SMS_SIGN_NAME】`). */
  text: TextTemplate<V>;
  /**
   * `{event}` in the SMS by case type, where it must differ from the other channels' (`events`): Tencent
   * bans medical words in SMS that WeChat templates may carry (docs/protocols/tencent-sms.md §4.4).
   */
  events: Readonly<Record<string, string>>;
}

/** A WeChat template message body as loaded: keyword (thing1, time2 …) → wording, and its text. */
export interface WechatBody<V extends string> {
  data: Readonly<Record<string, TextTemplate<V>>>;
  text: TextTemplate<V>;
}

type Vars<P> = P extends { vars: readonly (infer V extends string)[] } ? V : never;

/** What the loader makes of each kind of part. */
type LoadedPart<P> = P extends { kind: 'text' }
  ? TextTemplate<Vars<P>>
  : P extends { kind: 'rich' }
    ? RichTemplate<Vars<P>>
    : P extends { kind: 'label' }
      ? string
      : P extends { kind: 'labels'; keys: readonly (infer K extends string)[] }
        ? Readonly<Record<K, string>>
        : P extends { kind: 'labels' }
          ? Readonly<Record<string, string>>
          : P extends { kind: 'texts'; keys: readonly (infer K extends string)[] }
            ? Readonly<Record<K, TextTemplate<Vars<P>>>>
            : P extends { kind: 'sms' }
              ? SmsBody<Vars<P>>
              : P extends { kind: 'wechat' }
                ? WechatBody<Vars<P>> | undefined
                : never;

type Catalogue = typeof MESSAGE_CATALOGUE;

/**
 * The message templates loaded from templates/messages (bot/loaders/load-messages.ts), by entry and
 * part as {@link MESSAGE_CATALOGUE} lists them; each wording typed with the variables it may use.
 */
export type MessageTemplates = {
  readonly [E in keyof Catalogue]: { readonly [P in keyof Catalogue[E]['parts']]: LoadedPart<Catalogue[E]['parts'][P]> };
};
