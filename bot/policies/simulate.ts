import type { CaseFacts, OrgSnapshot, StaffMember, DepartmentNode } from '../core/model.js';
import type { PolicyDefinition } from '../core/policies/types.js';
import type { WorkingCalendar } from '../core/calendar/working-calendar.js';
import { planFollowUps } from '../core/policies/plan-follow-ups.js';
import { findUnmatchedAttributes } from '../core/policies/unmatched-attributes.js';
import { toLocal, zoneOffsetMs } from '../core/time.js';
import { translateCaseBody, type CaseBody } from '../cases/case-body.js';

/** One follow-up in a simulation, times in the organisation's timezone with their offset. */
export interface SimulatedFollowUp {
  step: string;
  title: string;
  action: 'STAFF_TASK' | 'CUSTOMER_SURVEY';
  channel: string;
  earliestAt: string;
  dueAt: string;
  deadlineAt: string;
  assignee: { rule: string | null; staff: { wecomUserId: string; name: string } | null } | null;
  sampling: { kept: boolean; reason: string };
  maxAttempts: number;
  instructions: string;
}

/** The documented JSON shape of `huifang simulate --json`. */
export interface SimulationResult {
  policy: { id: string; name: string; source: string };
  case: { type: string; externalId: string; occurredAt: string };
  timeZone: string;
  followUps: SimulatedFollowUp[];
  /** Steps waiting for a milestone the case does not have yet. */
  waiting: { step: string; anchor: string }[];
  /** Years answered by weekends only because the holiday data does not cover them. */
  calendarAssumptions: number[];
  /** Staff or departments the case names that the organisation does not have (simulated as placeholders). */
  notices: string[];
  /**
   * When no step of the policy applies to the case (nothing planned, nothing waiting): why, e.g. an
   * attribute value no step names (`diagnosis "子宫内膜炎"`); empty otherwise.
   */
  noStepApplies: string[];
}

/**
 * What a case would get under a policy, without touching the database. The organisation is the one
 * given; staff or departments the case names but the organisation lacks become placeholders (listed
 * in `notices`), so any example can be simulated.
 */
export function simulateCase(options: {
  policy: PolicyDefinition;
  body: CaseBody;
  org: OrgSnapshot;
  calendar: WorkingCalendar;
  timeZone: string;
  until?: Date;
  previousMonthPopulation?: number | null;
  /** The case's place among its month's cases, for `population: current month` tiers (unknown: the highest rate). */
  currentMonthPopulation?: number | null;
  calendarAssumptions?: () => number[];
}): SimulationResult {
  const { policy, body, timeZone } = options;
  const notices: string[] = [];
  const staff = new Map<string, StaffMember>(options.org.staff);
  const departments = new Map<string, DepartmentNode>(options.org.departments);
  const byWecom = new Map([...staff.values()].map((s) => [s.wecomUserId, s]));
  const byCode = new Map([...departments.values()].map((d) => [d.code, d]));
  let departmentId: string | null = null;
  if (body.department) {
    let dep = byCode.get(body.department);
    if (!dep) {
      dep = { id: `sim-dept:${body.department}`, code: body.department, name: body.department, parentId: null, headId: null };
      departments.set(dep.id, dep);
      notices.push(`department "${body.department}" is not in the organisation: simulated without a head`);
    }
    departmentId = dep.id;
  }
  const member = (wecomUserId: string | undefined, field: string): void => {
    if (!wecomUserId) return;
    let s = byWecom.get(wecomUserId);
    if (!s) {
      s = { id: `sim-staff:${wecomUserId}`, wecomUserId, name: wecomUserId, departmentId: departmentId ?? 'sim-dept:none', roles: [], supervisorId: null, active: true };
      staff.set(s.id, s);
      byWecom.set(wecomUserId, s);
      notices.push(`${field} "${wecomUserId}" is not in the organisation: simulated as a member without roles or supervisor`);
    }
  };
  member(body.responsibleStaff, 'responsibleStaff');
  member(body.subjectStaff, 'subjectStaff');
  // The same translation as POST /api/v1/cases, against the organisation plus its placeholders.
  const facts: CaseFacts = { id: `sim:${body.type}:${body.externalId}`, ...translateCaseBody(body, { staff, departments }).case };
  const plan = planFollowUps(policy, facts, { staff, departments }, {
    timeZone,
    calendar: options.calendar,
    previousMonthPopulation: options.previousMonthPopulation ?? null,
    currentMonthPopulation: options.currentMonthPopulation ?? null,
  });
  const noStepApplies = plan.planned.length === 0 && plan.waiting.length === 0 ? explainNoStep(policy, { ...facts.attributes, caseType: facts.type }) : [];
  const followUps = [...plan.planned]
    .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.sequence - b.sequence)
    .filter((p) => !options.until || p.dueAt <= options.until)
    .map((p): SimulatedFollowUp => {
      const s = p.assigneeId ? staff.get(p.assigneeId) : undefined;
      return {
        step: p.step,
        title: p.title,
        action: p.action,
        channel: p.channel,
        earliestAt: formatInstant(p.earliestAt, timeZone),
        dueAt: formatInstant(p.dueAt, timeZone),
        deadlineAt: formatInstant(p.deadlineAt, timeZone),
        assignee: p.action === 'STAFF_TASK' ? { rule: p.assigneeRule, staff: s ? { wecomUserId: s.wecomUserId, name: s.name } : null } : null,
        sampling: { kept: p.sampling.kept, reason: p.sampling.reason },
        maxAttempts: p.maxAttempts,
        instructions: p.instructions,
      };
    });
  return {
    policy: { id: policy.id, name: policy.name, source: policy.source },
    case: { type: body.type, externalId: body.externalId, occurredAt: formatInstant(facts.occurredAt, timeZone) },
    timeZone,
    followUps,
    waiting: plan.waiting,
    calendarAssumptions: options.calendarAssumptions?.() ?? [],
    notices,
    noStepApplies,
  };
}

/**
 * Why no step of a policy applies to a case, one readable line per attribute (bot/core/policies/
 * unmatched-attributes.ts); at least one line.
 */
export function explainNoStep(policy: PolicyDefinition, attributes: Readonly<Record<string, unknown>>): string[] {
  const reasons = findUnmatchedAttributes(policy, attributes).map(({ attribute, value, known }) => {
    const list = known.map(String).join('、');
    return value === undefined
      ? `attributes.${attribute} 缺失 (missing)；步骤所列的取值 values the steps name: ${list}`
      : `attributes.${attribute} = ${JSON.stringify(value)} 不在任何步骤的条件中 (named by no step)；步骤所列的取值 values the steps name: ${list}`;
  });
  if (reasons.length === 0) reasons.push("每个步骤的 when/unless 条件都排除了此案例 (every step's when/unless conditions exclude this case)");
  return reasons;
}

/** `2026-11-10T09:00:00+08:00`: the local wall-clock time with its offset. */
export function formatInstant(instant: Date, timeZone: string): string {
  const l = toLocal(instant, timeZone);
  const offsetMin = Math.round(zoneOffsetMs(instant, timeZone) / 60_000);
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${l.year}-${p(l.month)}-${p(l.day)}T${p(l.hour)}:${p(l.minute)}:${p(l.second)}${sign}${p(Math.floor(abs / 60))}:${p(abs % 60)}`;
}

/** The human-readable timeline printed by `huifang simulate`. */
export function renderSimulation(result: SimulationResult): string {
  const lines = [
    `${result.policy.id} ${result.policy.name} — case ${result.case.type} ${result.case.externalId}, event ${result.case.occurredAt} (${result.timeZone})`,
    `source: ${result.policy.source}`,
    '',
  ];
  if (result.followUps.length === 0) lines.push('no follow-ups planned');
  if (result.noStepApplies.length > 0) {
    lines.push(`没有步骤适用于此案例 — no step of ${result.policy.id} applies to this case:`);
    for (const r of result.noStepApplies) lines.push(`  - ${r}`);
  }
  result.followUps.forEach((f, i) => {
    const who =
      f.action === 'STAFF_TASK'
        ? `staff task → ${f.assignee?.staff ? `${f.assignee.staff.name} (${f.assignee.staff.wecomUserId})` : 'UNASSIGNED'} by rule ${f.assignee?.rule ?? '—'}`
        : `customer survey via ${f.channel}`;
    lines.push(`${i + 1}. ${f.step}: ${f.title}`);
    lines.push(`   earliest ${f.earliestAt}   due ${f.dueAt}   deadline ${f.deadlineAt}`);
    lines.push(`   ${who}; at most ${f.maxAttempts} attempt(s)`);
    lines.push(`   sampling: ${f.sampling.kept ? 'kept' : 'SKIPPED'} — ${f.sampling.reason}`);
  });
  for (const w of result.waiting) lines.push(`… ${w.step}: waits for ${w.anchor}`);
  for (const y of result.calendarAssumptions) lines.push(`! calendar: no holiday data for ${y}; weekends only were assumed`);
  for (const n of result.notices) lines.push(`! ${n}`);
  return lines.join('\n');
}

