import type { FollowUpAction, FollowUpOutcome, FollowUpStatus, Satisfaction } from '../model.js';

/**
 * The weekly digest a manager receives for the department subtree they head (DESIGN: "weekly cron ─►
 * digest per manager scope ─► WeCom message"). Pure: `buildDigest` turns plain rows loaded by
 * `bot/db/digest-data.ts` into figures; `buildDigestDocument` (digest-document.ts) words them as a
 * staff document, which the channel renders. Neither reads the clock: the instant the figures describe
 * is the input `asOf`.
 *
 * ## Which follow-ups a week counts
 *
 * A follow-up is **due in the period** when its `deadlineAt` lies in `[from, to)` and it was not left
 * out by sampling (status `SKIPPED`). The deadline, not `dueAt`, decides, because the deadline is the
 * promise the policy makes ("出院 7–15 天内回访"): a follow-up due this week is one that must be
 * finished this week, so "done on time" and "overdue" are judged against the same week, and each
 * follow-up is counted in exactly one week however often it was retried or rescheduled.
 *
 * Every due follow-up is in exactly one of these states as of `asOf`, so the figures add up:
 *
 *     due = done + unreachable + cancelled + open        (open = SCHEDULED + ACTIVE + OVERDUE)
 *
 * - **done**: status `DONE`; **done on time** when `completedAt <= deadlineAt`, otherwise done late;
 * - **unreachable**: status `UNREACHABLE` (three failed calls, or a survey nobody answered);
 * - **closed on time**: `DONE` or `UNREACHABLE` with `completedAt <= deadlineAt` — the follow-up was
 *   carried to its end (customer reached, or the attempts the policy allows used up) within its deadline;
 * - **on-time rate** = closed on time ÷ (due − cancelled): of the follow-ups that still had to be carried
 *   out, the share finished by their deadline. A follow-up still open counts against it; `null` when
 *   nothing was required;
 * - **overdue** = open follow-ups in status `OVERDUE` + follow-ups done late (a separate figure that
 *   overlaps `done`; it does not enter the equation above);
 * - **contact rate** = done ÷ (done + unreachable): of the follow-ups that were attempted to the end,
 *   the share where the customer was reached; `null` when nothing was attempted;
 * - **satisfaction rate** = SATISFIED ÷ (SATISFIED + NEUTRAL + DISSATISFIED) over the done
 *   follow-ups' outcomes; `null` when none carries a satisfaction value;
 * - **overdue backlog**: follow-ups still `OVERDUE` whose deadline fell before `from` (earlier weeks'
 *   leftovers, not part of `due`);
 * - **becoming overdue**: open staff tasks (`SCHEDULED`/`ACTIVE`) whose deadline lies in
 *   `[asOf, asOf + 72 h)`. Customer surveys are left out: an unanswered survey expires, nobody can
 *   make it late.
 *
 * Per-staff rows cover staff tasks only (a survey has no assignee); per-department rows cover every
 * due follow-up, grouped by the case's department.
 */

/** Days ahead (as 24-hour periods from `asOf`) in which an open staff task counts as becoming overdue. */
export const BECOMING_OVERDUE_HOURS = 72;

/** One follow-up as the digest sees it. */
export interface DigestFollowUpRow {
  id: string;
  status: FollowUpStatus;
  outcome: FollowUpOutcome | null;
  action: FollowUpAction;
  /** The assignee's display name; null for customer surveys and unassigned tasks. */
  assigneeName: string | null;
  /** Name of the case's department. */
  departmentName: string;
  dueAt: Date;
  deadlineAt: Date;
  completedAt: Date | null;
  /** The policy step's title (出院电话回访 …), shown in the becoming-overdue list. */
  title?: string;
  /** Masked customer label (王女士·尾号0001); never a full phone number. */
  customer?: string;
}

/** One open escalation as the digest sees it. */
export interface DigestEscalationRow {
  id: string;
  /** Masked customer label (王女士·尾号0001). */
  customer: string;
  /** Escalation reason code (`DISSATISFIED` …). */
  reason: string;
  ownerName: string;
  /** Escalation level: 1 for the first owner, higher once it climbed past a missed deadline. */
  level?: number;
  createdAt: Date;
  deadlineAt: Date;
  /**
   * The reports gathered in it (bot/core/escalation/incident.ts), oldest first, at most
   * {@link DIGEST_EVIDENCE_LIMIT}: where each came from, when, and the words (free text: masked when shown).
   */
  evidence?: readonly { source: string; at: Date; note: string | null }[];
  /** How many reports it holds in all (the list above may be shortened). */
  evidenceCount?: number;
}

/** Reports listed per escalation in a digest line. */
export const DIGEST_EVIDENCE_LIMIT = 5;

/**
 * Follow-ups due in the period that count alike in every table of the digest (same department, assignee,
 * action, status, outcome and on-time flag), and how many there are: stores count them in the database.
 */
export interface DigestFollowUpTally extends FollowUpTally {
  /** The assignee's display name; null for customer surveys and unassigned tasks. */
  assigneeName: string | null;
  /** Name of the case's department. */
  departmentName: string;
}

/** Everything `buildDigest` needs; rows outside every rule above are ignored. */
export interface DigestInput {
  manager: { name: string };
  /** The reporting period `[from, to)`; `timeZone` is used for labels only. */
  period: { from: Date; to: Date; timeZone: string };
  /** The instant the rows' statuses describe (when the digest is built, usually just after `to`). */
  asOf: Date;
  /** Names of the departments in the manager's subtree, root first. */
  departments: readonly string[];
  /** The follow-ups due in the period (deadline in `[from, to)`, not SKIPPED), tallied. */
  due: readonly DigestFollowUpTally[];
  /** How many follow-ups are still `OVERDUE` with a deadline before `from`. */
  overdueBacklog: number;
  /** Open staff tasks (`SCHEDULED`/`ACTIVE`) whose deadline lies in `[asOf, asOf + 72 h)`, one by one: the digest lists them. */
  upcoming: readonly DigestFollowUpRow[];
  /** Escalations open as of `asOf` (status OPEN or ACKNOWLEDGED). */
  openEscalations: readonly DigestEscalationRow[];
  /** The previous period's satisfaction rate (same definition), or null if it had none. */
  previousSatisfactionRate: number | null;
}

/**
 * The follow-up part of a `DigestInput` from single rows, each id counted once: the due ones tallied, the
 * overdue backlog counted, the open staff tasks near their deadline kept. Rows that fit none are ignored.
 */
export function digestFollowUps(rows: readonly DigestFollowUpRow[], period: { from: Date; to: Date }, asOf: Date): Pick<DigestInput, 'due' | 'overdueBacklog' | 'upcoming'> {
  const once = [...new Map(rows.map((r) => [r.id, r])).values()];
  const tallies = new Map<string, DigestFollowUpTally>();
  for (const r of once) {
    if (!isDueInPeriod(r, period.from, period.to)) continue;
    const t = tallyOf(r);
    const key = [r.departmentName, r.assigneeName, t.action, t.status, t.outcome, t.closedOnTime].join('\u0000');
    const known = tallies.get(key);
    if (known) known.count++;
    else tallies.set(key, { ...t, assigneeName: r.assigneeName, departmentName: r.departmentName });
  }
  return {
    due: [...tallies.values()],
    overdueBacklog: once.filter((r) => r.status === 'OVERDUE' && r.deadlineAt.getTime() < period.from.getTime()).length,
    upcoming: once.filter((r) => isBecomingOverdue(r, asOf)),
  };
}

/** An open staff task whose deadline lies in `[asOf, asOf + 72 h)`. */
function isBecomingOverdue(r: DigestFollowUpRow, asOf: Date): boolean {
  const t = r.deadlineAt.getTime();
  return r.action === 'STAFF_TASK' && (r.status === 'SCHEDULED' || r.status === 'ACTIVE') && t >= asOf.getTime() && t < asOf.getTime() + BECOMING_OVERDUE_HOURS * 3_600_000;
}

/** Figures over a set of due follow-ups; see the module comment for each definition. */
export interface DigestFigures {
  due: number;
  /** Of `due`: staff tasks and customer surveys. */
  staffTasks: number;
  surveys: number;
  done: number;
  doneOnTime: number;
  doneLate: number;
  unreachable: number;
  cancelled: number;
  /** DONE or UNREACHABLE with completedAt ≤ deadlineAt. */
  closedOnTime: number;
  /** closedOnTime ÷ (due − cancelled), or null. */
  onTimeRate: number | null;
  /** SCHEDULED + ACTIVE + OVERDUE. */
  open: number;
  /** Open and in status OVERDUE. */
  overdueOpen: number;
  /** overdueOpen + doneLate. */
  overdue: number;
  /** done ÷ (done + unreachable), or null. */
  contactRate: number | null;
  satisfied: number;
  neutral: number;
  dissatisfied: number;
  /** satisfied ÷ (satisfied + neutral + dissatisfied), or null. */
  satisfactionRate: number | null;
}

export interface DigestRow extends DigestFigures {
  name: string;
}

/** Figures of one assignee's staff tasks; `name` null for tasks nobody is assigned to. */
export interface DigestStaffRow extends DigestFigures {
  name: string | null;
}

export interface DigestEscalation extends DigestEscalationRow {
  /** The owner's deadline has passed as of `asOf`. */
  isPastDeadline: boolean;
}

export interface DigestUpcoming {
  id: string;
  title: string | null;
  assigneeName: string | null;
  customer: string | null;
  deadlineAt: Date;
}

/** The structured weekly digest of one manager. */
export interface WeeklyDigest {
  manager: string;
  departments: string[];
  period: { from: Date; to: Date; timeZone: string };
  asOf: Date;
  figures: DigestFigures;
  previousSatisfactionRate: number | null;
  /** satisfactionRate − previousSatisfactionRate (a fraction; ×100 = percentage points), or null. */
  satisfactionChange: number | null;
  /** Follow-ups still OVERDUE from before the period. */
  overdueBacklog: number;
  /** Staff task figures per assignee (null name: unassigned), most due first, unassigned last among equals. */
  byStaff: DigestStaffRow[];
  /** Figures per case department, most due first. */
  byDepartment: DigestRow[];
  /** Oldest first. */
  openEscalations: DigestEscalation[];
  /** Soonest deadline first. */
  becomingOverdue: DigestUpcoming[];
}

const OPEN: ReadonlySet<FollowUpStatus> = new Set(['SCHEDULED', 'ACTIVE', 'OVERDUE']);
const SATISFACTION: ReadonlySet<string> = new Set<Satisfaction>(['SATISFIED', 'NEUTRAL', 'DISSATISFIED']);

/** True when the follow-up counts as due in `[from, to)`: deadline inside the period, not SKIPPED. */
export function isDueInPeriod(row: Pick<DigestFollowUpRow, 'status' | 'deadlineAt'>, from: Date, to: Date): boolean {
  const t = row.deadlineAt.getTime();
  return row.status !== 'SKIPPED' && t >= from.getTime() && t < to.getTime();
}

/** Figures over follow-ups already known to be due in one period. */
export function summariseFollowUps(rows: readonly Pick<DigestFollowUpRow, 'status' | 'outcome' | 'action' | 'deadlineAt' | 'completedAt'>[]): DigestFigures {
  return summariseTallies(rows.map(tallyOf));
}

/**
 * Follow-ups that count alike, counted together: what the figures need of a follow-up (its status, outcome,
 * action and whether it was closed by its deadline) and how many follow-ups share it. A database can hand
 * these over already grouped (`GROUP BY`), so that a month of a million follow-ups is a few hundred rows.
 */
export interface FollowUpTally {
  status: FollowUpStatus;
  outcome: FollowUpOutcome | null;
  action: FollowUpAction;
  /** `completedAt` set and ≤ `deadlineAt`. */
  closedOnTime: boolean;
  count: number;
}

/** One follow-up as a tally of one. */
export function tallyOf(r: Pick<DigestFollowUpRow, 'status' | 'outcome' | 'action' | 'deadlineAt' | 'completedAt'>): FollowUpTally {
  return { status: r.status, outcome: r.outcome, action: r.action, closedOnTime: isClosedOnTime(r), count: 1 };
}

/** Figures over tallies of follow-ups already known to be due in one period: `summariseFollowUps` weighted. */
export function summariseTallies(tallies: readonly FollowUpTally[]): DigestFigures {
  const f: DigestFigures = {
    due: 0,
    staffTasks: 0,
    surveys: 0,
    done: 0,
    doneOnTime: 0,
    doneLate: 0,
    unreachable: 0,
    cancelled: 0,
    closedOnTime: 0,
    onTimeRate: null,
    open: 0,
    overdueOpen: 0,
    overdue: 0,
    contactRate: null,
    satisfied: 0,
    neutral: 0,
    dissatisfied: 0,
    satisfactionRate: null,
  };
  for (const t of tallies) {
    const n = t.count;
    if (t.status === 'SKIPPED' || n <= 0) continue;
    f.due += n;
    if (t.action === 'STAFF_TASK') f.staffTasks += n;
    else f.surveys += n;
    switch (t.status) {
      case 'DONE':
        f.done += n;
        if (t.closedOnTime) {
          f.doneOnTime += n;
          f.closedOnTime += n;
        } else f.doneLate += n;
        if (t.outcome && SATISFACTION.has(t.outcome)) {
          if (t.outcome === 'SATISFIED') f.satisfied += n;
          else if (t.outcome === 'NEUTRAL') f.neutral += n;
          else f.dissatisfied += n;
        }
        break;
      case 'UNREACHABLE':
        f.unreachable += n;
        if (t.closedOnTime) f.closedOnTime += n;
        break;
      case 'CANCELLED':
        f.cancelled += n;
        break;
      default:
        f.open += n;
        if (t.status === 'OVERDUE') f.overdueOpen += n;
    }
  }
  f.overdue = f.overdueOpen + f.doneLate;
  f.onTimeRate = ratio(f.closedOnTime, f.due - f.cancelled);
  f.contactRate = ratio(f.done, f.done + f.unreachable);
  f.satisfactionRate = ratio(f.satisfied, f.satisfied + f.neutral + f.dissatisfied);
  return f;
}

/** Builds the structured digest; see the module comment for every definition. */
export function buildDigest(input: DigestInput): WeeklyDigest {
  const due = input.due.filter((t) => t.status !== 'SKIPPED');
  const figures = summariseTallies(due);

  const byStaff = groupTallies(
    due.filter((t) => t.action === 'STAFF_TASK'),
    (t) => t.assigneeName,
  );
  const byDepartment = groupTallies(due, (t) => t.departmentName);

  const becomingOverdue = [...new Map(input.upcoming.map((r) => [r.id, r])).values()]
    .filter((r) => isBecomingOverdue(r, input.asOf))
    .sort((a, b) => a.deadlineAt.getTime() - b.deadlineAt.getTime() || a.id.localeCompare(b.id))
    .map((r) => ({ id: r.id, title: r.title ?? null, assigneeName: r.assigneeName, customer: r.customer ?? null, deadlineAt: r.deadlineAt }));

  const asOf = input.asOf.getTime();
  const openEscalations = [...new Map(input.openEscalations.map((e) => [e.id, e])).values()]
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
    .map((e) => ({ ...e, isPastDeadline: e.deadlineAt.getTime() <= asOf }));

  const previous = input.previousSatisfactionRate;
  return {
    manager: input.manager.name,
    departments: [...input.departments],
    period: { ...input.period },
    asOf: input.asOf,
    figures,
    previousSatisfactionRate: previous,
    satisfactionChange: figures.satisfactionRate !== null && previous !== null ? figures.satisfactionRate - previous : null,
    overdueBacklog: input.overdueBacklog,
    byStaff,
    byDepartment,
    openEscalations,
    becomingOverdue,
  };
}

function isClosedOnTime(r: Pick<DigestFollowUpRow, 'deadlineAt' | 'completedAt'>): boolean {
  return r.completedAt !== null && r.completedAt.getTime() <= r.deadlineAt.getTime();
}

/** Items by key, each key's list in the items' order, keys in order of first appearance. */
export function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

function groupTallies<K extends string | null>(tallies: readonly DigestFollowUpTally[], key: (t: DigestFollowUpTally) => K): (DigestFigures & { name: K })[] {
  return [...groupBy(tallies, key).entries()]
    .map(([name, list]) => ({ name, ...summariseTallies(list) }))
    .sort((a, b) => b.due - a.due || (a.name === null ? 1 : b.name === null ? -1 : a.name.localeCompare(b.name, 'zh-Hans-CN')));
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : numerator / denominator;
}
