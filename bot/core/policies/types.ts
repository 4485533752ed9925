import type { ChannelName, FollowUpAction } from '../model.js';

/**
 * A policy (回访制度) as data. Policy packs in templates/policies/*.yaml are validated into these
 * objects; `planFollowUps` interprets them. Every time is relative to an anchor on the case.
 */
export interface PolicyDefinition {
  /** Stable pack id, e.g. `P4`. */
  id: string;
  name: string;
  /** The seed clause(s) the policy implements, for audit and documentation. */
  source: string;
  /** Case types this policy schedules (`POST /api/v1/cases` `type`). */
  caseTypes: readonly string[];
  steps: readonly PolicyStep[];
  /** Which cases are followed up at all (default: every case, 100 %). */
  sampling?: SamplingRule;
  /** When customers may be contacted. */
  contact?: ContactRules;
  /**
   * At most one open (pushed, not yet answered) follow-up per case: a due follow-up waits while an
   * earlier one of the same case is still open (P1: customers were called repeatedly).
   */
  oneOpenPerCase?: boolean;
  /** At most `max` contacts of the same customer within `per`, across this policy's follow-ups. */
  customerContactCap?: { max: number; per: Offset };
  /**
   * Reminder to the assignee of a task card still unanswered before its deadline: `before` the
   * deadline (hours or days), by default a quarter of the time the card has (at least 2 hours);
   * `enabled: false` turns reminders off.
   */
  reminder?: { before?: Offset; enabled?: boolean };
  /** Who escalations go to and how they climb; defaults in bot/core/escalation/rules.ts. */
  escalation: PolicyEscalation;
}

/**
 * A pack's `escalation:` block. Only `dissatisfiedTo` and `deadline` are required; everything else
 * has a default (bot/core/escalation/rules.ts `escalationRules`).
 */
export interface PolicyEscalation {
  /** Who receives a dissatisfied outcome first, in order of preference (the start of the default chain). */
  dissatisfiedTo: readonly AssigneeRule[];
  /** Time the first owner has to act. */
  deadline: Offset;
  /** The ladder levels climb (default: dissatisfiedTo, then department_head, manager). */
  chain?: readonly AssigneeRule[];
  /** Time each further level has (default: `deadline`). */
  climbAfter?: Offset;
  /** A normalised score (0..1) at or below this escalates (default 0.25: 1–2 of 5 stars). */
  dissatisfiedAtOrBelow?: number;
  /** Words that make a free-text answer a complaint. */
  complaintWords?: readonly string[];
  /** Triggers switched on or off (DISSATISFIED, COMPLAINT, UNREACHABLE, OVERDUE, REPEATED_COMPLAINT, MEDICAL_CONCERN). */
  triggers?: Readonly<Partial<Record<'DISSATISFIED' | 'COMPLAINT' | 'UNREACHABLE' | 'OVERDUE' | 'REPEATED_COMPLAINT' | 'MEDICAL_CONCERN', boolean>>>;
  severity?: Readonly<Partial<Record<'DISSATISFIED' | 'COMPLAINT' | 'UNREACHABLE' | 'OVERDUE' | 'REPEATED_COMPLAINT' | 'MEDICAL_CONCERN', 'normal' | 'high' | 'critical'>>>;
  startLevel?: Readonly<Partial<Record<'normal' | 'high' | 'critical', number>>>;
  repeated?: {
    within?: Offset;
    sameSubject?: number;
    sameRepair?: number;
    subjectAttribute?: string;
    repairCaseTypes?: readonly string[];
    complaintCaseTypes?: readonly string[];
  };
  secondFollowUp?: { after?: Offset; deadline?: Offset; assignee?: readonly AssigneeRule[] };
}

/**
 * Units of an offset: `hours` (exact), `working_hours` (office hours of working days, 08:30–17:30 by
 * default), `days` (calendar days in the business timezone, wall-clock
 * time kept), `working_days` (mainland-China working days with 调休), `months` and `years` (calendar
 * months/years; the 31st becomes the last day of a shorter month, 29 Feb the 28th).
 */
export type OffsetUnit = 'hours' | 'working_hours' | 'days' | 'working_days' | 'months' | 'years';

export interface Offset {
  /** Negative counts backwards from the anchor (a reminder before an event); not for working units. */
  amount: number;
  unit: OffsetUnit;
  /** A compound offset's further parts, applied in order after this one: "1 months + 7 days". */
  plus?: readonly Offset[];
  /**
   * Then moves to the last day of that month, at 23:59 local unless a time of day is given: `end of
   * month` is `{ amount: 0, unit: 'months', endOfMonth: true }` — by the end of the anchor's month (当月).
   */
  endOfMonth?: boolean;
}

/**
 * Where a step's times are counted from: the case event (`occurredAt`), a named milestone on the
 * case (mid-payment, completion, repair archived …), another step's planned earliest time, the
 * moment an earlier step was actually completed (`completed`), or the latest of several event /
 * milestone anchors (`latest`: the step waits until every one of them is known).
 */
export type Anchor =
  | { kind: 'event' }
  | { kind: 'milestone'; name: string }
  | { kind: 'step'; key: string }
  | { kind: 'completed'; key: string }
  | { kind: 'latest'; of: readonly ({ kind: 'event' } | { kind: 'milestone'; name: string })[] };

/**
 * Who performs a staff task, tried in order until one resolves to an active staff member who is not
 * excluded (the person complained about is never assigned):
 * - `responsible`: the case's responsible staff member;
 * - `supervisor`: the responsible person's supervisor;
 * - `department_head`: head of the case's department (walking up the tree if vacant);
 * - `manager`: head of the parent of the case's department;
 * - `role:<name>`: an active member of the case's department (or its ancestors) with that role.
 */
/**
 * Who a follow-up goes to. `role:<name>` looks in the case's department, then each department above it;
 * `nearest:<name>` also looks across: at each level up, in every department under it (a sibling department
 * such as the customer-service department beside the repair team), nearest first.
 */
export type AssigneeRule = 'responsible' | 'supervisor' | 'department_head' | 'manager' | `role:${string}` | `nearest:${string}`;

/**
 * A numeric comparison of a case attribute: every bound given must hold (`{ gte: 24, lt: 36 }` is
 * 24 ≤ value < 36). An attribute that is missing or not a number never matches.
 */
export interface NumericTest {
  lt?: number;
  lte?: number;
  gt?: number;
  gte?: number;
}

/** What one attribute of a condition must be: one of the listed values, or within numeric bounds. */
export type AttributeTest = readonly (string | number | boolean)[] | NumericTest;

/**
 * Condition on case attributes: every listed attribute must pass its test (equal one of its values,
 * or satisfy its numeric comparison), and when the key `anyOf` is present at least one of its
 * conditions must hold as well: `{ anyOf: [{ newContract: [true] }, { newWorker: [true] }] }`.
 * `anyOf` is therefore not an attribute name.
 */
export type StepCondition = Readonly<Record<string, AttributeTest | readonly StepCondition[]>>;

/**
 * How long a phase of a recurrence lasts when the case says it: a numeric case attribute read in
 * `unit` (002 制度13「保修期内至少半年回访一次」: `warrantyMonths` months). A missing or non-numeric
 * value (or one not above zero) falls back to `otherwise`; without `otherwise` the phase has no occurrence.
 * `atMost` caps the length whatever the case says.
 */
export interface AttributeLength {
  attribute: string;
  unit: OffsetUnit;
  otherwise?: Offset;
  atMost?: Offset;
}

/** A phase's end: a fixed offset from the anchor, or a length read from the case. */
export type RecurrenceEnd = Offset | AttributeLength;

/**
 * A recurring step: occurrences every `every` until `until` after the anchor, phase by phase, and —
 * with `until` on the recurrence itself — only until a milestone is recorded on the case (002 制度10
 * 「每周定期电话邀约，直到其来访」: `until: { kind: 'milestone', name: 'visited' }`). Once the case has
 * that milestone, no occurrence whose earliest time is after it is planned, and the scheduled ones after
 * it are cancelled by the case update that records it.
 */
export interface Recurrence {
  /** Consecutive phases, e.g. quarterly until 1 year, half-yearly until 2 years, yearly until 5 years. */
  phases: readonly { every: Offset; until: RecurrenceEnd }[];
  /** The milestone that ends the recurrence early. */
  until?: { kind: 'milestone'; name: string };
}

export interface PolicyStep {
  /** Unique within the policy; part of the follow-up's identity (one follow-up per case and step). */
  key: string;
  title: string;
  action: FollowUpAction;
  channel: ChannelName;
  anchor: Anchor;
  /** Earliest time the contact may happen (the task is pushed then). For a recurrence: after each occurrence. */
  earliest: Offset;
  /** Deadline; past it the follow-up is overdue. For a recurrence: after each occurrence. */
  deadline: Offset;
  /** Optional local time of day (HH:MM) for `earliest` when counted in days. */
  earliestAtLocalTime?: string;
  /** Optional local time of day (HH:MM) for `deadline` when counted in days (e.g. `23:59`). */
  deadlineAtLocalTime?: string;
  /** Only for cases whose attributes match. */
  when?: StepCondition;
  /** Not for cases whose attributes match (e.g. every discharge except serious ones). */
  unless?: StepCondition;
  /** Staff task assignee rules (ignored for customer surveys). */
  assignee?: readonly (AssigneeRule | { when: StepCondition; rules: readonly AssigneeRule[] })[];
  /** Never assign the case's responsible person (a dedicated officer checks their work, P1). */
  excludeResponsible?: boolean;
  /** Contact attempts before the follow-up counts as unreachable (e.g. three failed calls). */
  maxAttempts: number;
  /** Delay before the next attempt after a failed call. */
  retryAfter?: Offset;
  /** What the staff member should ask / check (shown on the task card). */
  instructions: string;
  /** For customer surveys: the survey definition key. */
  surveyKey?: string;
  /**
   * For customer surveys: channels to try in order; the invitation goes out on the first one the
   * customer can receive [`channel`, then the other customer channel].
   */
  channels?: readonly ('wechat' | 'sms' | 'wecom_contact')[];
  /** For customer surveys: how long a WeChat invitation may stay unopened before the next channel of `channels` takes over [24 hours]. */
  fallbackAfter?: Offset;
  /** For customer surveys: invite on every receivable channel at once instead of one with fallback [false]. */
  bothChannels?: boolean;
  /** Repeats the step (warranty visits); occurrence n gets the key `<key>_<n>`. */
  repeat?: Recurrence;
  /** Step-level sampling, overriding the policy's. */
  sampling?: SamplingRule;
  /**
   * Step-level contact rules, replacing the policy's for this step (its planning, retries and
   * deferrals): 002 制度21's gynaecology clinic calls keep their seasonal hours while P4's discharge
   * calls have none.
   */
  contact?: ContactRules;
}

/**
 * Which cases are followed up. Deterministic: the draw is a hash of the policy, salt, case type and
 * external id, so the same case always gets the same decision, and the decision records why.
 */
export interface SamplingRule {
  /** Cases matching any of these are always followed up (complaints, deputies, media …). */
  mandatory?: readonly StepCondition[];
  /** A fixed rate in [0,1]. */
  rate?: number;
  /**
   * Rate by the number of cases of this policy in the previous calendar month (the latest complete
   * month), highest `above` first: `[{above: 300, rate: .1}, {above: 99, rate: .2}, {above: -1, rate: .3}]`.
   */
  tiers?: readonly { above: number; rate: number }[];
  /**
   * Which month's population `tiers` count [`previous month`]. `current month` (002 制度18「以当月提供过
   * 家政服务的户数为计算依据」): the cases of the case's own month that arrived up to and including it —
   * the month is not over when a case arrives, and as the rates fall with the population, the rate a case
   * gets is never below the one for the month's final count (「不低于」).
   */
  population?: 'previous month' | 'current month';
  /**
   * At most `max` follow-ups kept per `per` (a week from Monday, or a calendar month, counted by the
   * follow-up's earliest time), per scope: `all` (the pack), `department` (the case's department) or
   * `assignee` (the follow-up's assignee). With `rate`, only the cases the draw keeps compete for the
   * quota, so the selection stays random; without it the first cases of the period fill it. Counted in
   * the database (002 制度12「每周将安排2~3次对客户的电话回访…随机抽查」: `{ max: 3, per: week }`).
   */
  quota?: SamplingQuota;
  /** Rate by a case attribute (stratified), e.g. customerType residential 1 %, non_residential 10 %. */
  strata?: { attribute: string; rates: Readonly<Record<string, number>>; otherwise: number };
  /** Changes the draw (e.g. per campaign); default the policy id. */
  salt?: string;
}

/** A sampling quota: at most `max` kept follow-ups per week or month, per scope. */
export interface SamplingQuota {
  /**
   * At least this many kept follow-ups per period (≤ `max`): from `topUpDaysBefore` days before the period
   * ends, the `top-up-quotas` job turns follow-ups the draw passed over into scheduled ones until it is met
   * (bot/core/policies/quota-top-up.ts).
   */
  min?: number;
  /** How many days before the end of the period the top-up starts [2: from Saturday 00:00 for a week]. */
  topUpDaysBefore?: number;
  max: number;
  per: 'week' | 'month';
  by: 'all' | 'department' | 'assignee';
}

/** Contact windows per season, and holidays. */
export interface ContactRules {
  /** Local times when customers may be called, by season (months 1–12); first matching season wins. */
  windows?: readonly { name: string; months: readonly number[]; times: readonly { from: string; to: string }[] }[];
  /** No contact on public holidays (the calendar's holidays, not weekends). */
  avoidPublicHolidays?: boolean;
  /** No contact on any non-working day (weekends and holidays, with 调休 make-up days working). */
  workingDaysOnly?: boolean;
  /**
   * Contact only from day `from` to day `to` of each month, both included (P3: the 1st to the 30th;
   * 002 制度21: the 1st to the 25th); a month shorter than `to` is open to its end.
   */
  daysOfMonth?: { from: number; to: number };
  /**
   * Days of the month for further attempts after an unanswered call, instead of `daysOfMonth`
   * (002 制度21: calls on the 1st–25th, unanswered numbers again on the 25th–27th).
   */
  retryDaysOfMonth?: { from: number; to: number };
  /**
   * The rules are mandatory, not a preference: when no allowed moment is left before a planned
   * follow-up's deadline, the follow-up moves to the next allowed moment and its deadline moves to
   * the same local time of day on that day (002 制度21「節假日不進行回訪」: a call on day 7 falling
   * on National Day is made after the holiday) [false: the deadline wins, the call is due at its
   * earliest time].
   */
  mandatory?: boolean;
}
