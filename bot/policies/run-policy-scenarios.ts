/**
 * Runs a pack's scenarios (templates/policies/scenarios/<ID>.yaml) through the planning of
 * `huifang simulate` and lists, per scenario, what differs from what the scenario expects — in
 * Chinese first, then English. Pure apart from reading the example case files a scenario names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DepartmentNode, OrgSnapshot, StaffMember } from '../core/model.js';
import type { PolicyDefinition } from '../core/policies/types.js';
import type { WorkingCalendar } from '../core/calendar/working-calendar.js';
import { fromLocal } from '../core/time.js';
import { caseBody, listCaseBodyIssues } from '../cases/case-body.js';
import type { ExpectedFollowUp, PolicyScenario, PolicyScenarioFile, ScenarioOrganisation, TimeExpectation } from '../loaders/load-policy-scenarios.js';
import { formatInstant, simulateCase, type SimulatedFollowUp, type SimulationResult } from './simulate.js';

/** The outcome of one scenario: passed when `differences` is empty. */
export interface ScenarioResult {
  name: string;
  clause: string | null;
  /** Line of the scenario in its file. */
  line: number | null;
  passed: boolean;
  /** What differs, one readable line each (expected vs got). */
  differences: string[];
}

/** The outcome of one scenario file. */
export interface PolicyScenarioReport {
  policy: string;
  file: string;
  scenarios: ScenarioResult[];
}

export interface ScenarioRunContext {
  org: OrgSnapshot;
  calendar: WorkingCalendar;
  timeZone: string;
  /** templates/policies/examples, for scenarios that start from an example. */
  examplesDir: string;
}

/** Runs every scenario of a file against its pack (`policy` null: the file names a pack that does not exist). */
export function runPolicyScenarios(file: PolicyScenarioFile, policy: PolicyDefinition | null, ctx: ScenarioRunContext): PolicyScenarioReport {
  const scenarios = file.scenarios.map((s): ScenarioResult => {
    const differences = policy ? runScenario(s, policy, ctx) : [`没有策略包 ${file.policy} — no policy pack with id "${file.policy}"`];
    return { name: s.name, clause: s.clause ?? null, line: s.line, passed: differences.length === 0, differences };
  });
  return { policy: file.policy, file: file.file, scenarios };
}

function runScenario(scenario: PolicyScenario, policy: PolicyDefinition, ctx: ScenarioRunContext): string[] {
  let raw: Record<string, unknown>;
  try {
    raw = buildCase(scenario, ctx.examplesDir);
  } catch (err) {
    return [`案例无法读取 — cannot read the case: ${(err as Error).message}`];
  }
  const parsed = caseBody.safeParse(raw);
  if (!parsed.success) {
    return listCaseBodyIssues(parsed.error.issues).map((i) => `案例无效 — invalid case (same body as POST /api/v1/cases): ${i.field}: ${i.message}`);
  }
  if (!policy.caseTypes.includes(parsed.data.type)) {
    return [`案例类型 "${parsed.data.type}" 不由 ${policy.id} 处理 — ${policy.id} handles ${policy.caseTypes.join(', ')}`];
  }
  const until = scenario.until ? localInstant(`${scenario.until} 23:59:59`, ctx.timeZone) : undefined;
  const result = simulateCase({
    policy,
    body: parsed.data,
    org: ctx.org,
    calendar: ctx.calendar,
    timeZone: ctx.timeZone,
    until,
    ...(scenario.population !== undefined ? { previousMonthPopulation: scenario.population, currentMonthPopulation: scenario.population } : {}),
  });
  return compare(scenario, result, ctx.timeZone);
}

/** The scenario's case: its example (if any) with the scenario's fields over it, attributes and milestones merged. */
function buildCase(scenario: PolicyScenario, examplesDir: string): Record<string, unknown> {
  const own = scenario.case ?? {};
  if (!scenario.example) return own;
  const base = JSON.parse(readFileSync(join(examplesDir, `${scenario.example}.json`), 'utf8')) as Record<string, unknown>;
  const merge = (key: string) => ({ ...((base[key] as object | undefined) ?? {}), ...((own[key] as object | undefined) ?? {}) });
  return { ...base, ...own, attributes: merge('attributes'), milestones: merge('milestones') };
}

function compare(scenario: PolicyScenario, result: SimulationResult, timeZone: string): string[] {
  const diffs: string[] = [];
  const got = new Map(result.followUps.map((f) => [f.step, f]));
  const gotList = result.followUps.map((f) => f.step).join(', ') || '无 none';
  const expected = scenario.expect.followUps ?? [];
  for (const e of expected) {
    const f = got.get(e.step);
    if (!f) {
      diffs.push(`缺少回访 ${e.step} — missing follow-up ${e.step} (实际 got: ${gotList})`);
      continue;
    }
    diffs.push(...compareFollowUp(e, f, timeZone));
  }
  if (scenario.expect.exact !== false && scenario.expect.followUps !== undefined) {
    const named = new Set(expected.map((e) => e.step));
    for (const f of result.followUps) {
      if (!named.has(f.step)) diffs.push(`多出回访 ${f.step} — unexpected follow-up ${f.step} (到期 due ${short(f.dueAt)}；场景未列出 not listed in the scenario)`);
    }
  }
  if (scenario.expect.waiting !== undefined) {
    const gotWaiting = result.waiting.map((w) => w.step).sort();
    const want = [...scenario.expect.waiting].sort();
    if (gotWaiting.join(',') !== want.join(',')) {
      diffs.push(`等待里程碑的步骤 — steps waiting for a milestone: 期望 expected [${want.join(', ')}]，实际 got [${gotWaiting.join(', ')}]`);
    }
  }
  if (scenario.expect.noStepApplies !== undefined) {
    const none = result.noStepApplies.length > 0;
    if (none !== scenario.expect.noStepApplies) {
      diffs.push(
        scenario.expect.noStepApplies
          ? `期望没有步骤适用，实际排出 ${result.followUps.length} 项回访 — expected no step to apply, got ${gotList}`
          : `期望有步骤适用，实际没有 — expected a step to apply, got none: ${result.noStepApplies.join('; ')}`,
      );
    }
  }
  return diffs;
}

const LABELS = { earliest: '最早 earliest', due: '到期 due', deadline: '截止 deadline' } as const;

function compareFollowUp(e: ExpectedFollowUp, f: SimulatedFollowUp, timeZone: string): string[] {
  const diffs: string[] = [];
  const times = { earliest: f.earliestAt, due: f.dueAt, deadline: f.deadlineAt };
  for (const field of ['earliest', 'due', 'deadline'] as const) {
    const want = e[field];
    if (want === undefined) continue;
    const at = new Date(times[field]);
    if (!timeMatches(want, at, timeZone)) diffs.push(`${e.step} ${LABELS[field]}: 期望 expected ${describeTime(want)}，实际 got ${short(formatInstant(at, timeZone))}`);
  }
  if (e.action !== undefined && e.action !== f.action) diffs.push(`${e.step} 类型 action: 期望 expected ${e.action}，实际 got ${f.action}`);
  if (e.sampled !== undefined && e.sampled !== f.sampling.kept) {
    diffs.push(`${e.step} 抽样 sampling: 期望 expected ${e.sampled ? '抽中 kept' : '未抽中 skipped'}，实际 got ${f.sampling.kept ? '抽中 kept' : '未抽中 skipped'} (${f.sampling.reason})`);
  }
  if (e.assignee !== undefined) {
    const rule = f.assignee?.rule ?? null;
    const staff = f.assignee?.staff?.wecomUserId ?? null;
    const ok = e.assignee === 'none' ? staff === null : e.assignee === rule || e.assignee === staff;
    if (!ok) diffs.push(`${e.step} 执行人 assignee: 期望 expected ${e.assignee}，实际 got ${staff ?? '无 none'} (规则 rule ${rule ?? '—'})`);
  }
  return diffs;
}

function timeMatches(want: TimeExpectation, at: Date, timeZone: string): boolean {
  if (typeof want === 'string') return localInstant(want, timeZone).getTime() === at.getTime();
  return localInstant(want.from, timeZone).getTime() <= at.getTime() && at.getTime() <= localInstant(want.to, timeZone).getTime();
}

function describeTime(want: TimeExpectation): string {
  return typeof want === 'string' ? want : `${want.from} … ${want.to}`;
}

/** `2026-10-08T14:00:00+08:00` → `2026-10-08 14:00`. */
function short(formatted: string): string {
  return formatted.replace('T', ' ').replace(/:00([+-]\d{2}:\d{2})$/, '').replace(/([+-]\d{2}:\d{2})$/, '');
}

/** A scenario time: `YYYY-MM-DD HH:MM[:SS]` in the organisation's timezone, or ISO 8601 with its offset. */
export function localInstant(text: string, timeZone: string): Date {
  if (/(Z|[+-]\d{2}:\d{2})$/.test(text)) return new Date(text);
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text)!;
  return fromLocal({ year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!, second: +(m[6] ?? 0) }, timeZone);
}

/** The organisation of templates/policies/scenarios/organisation.yaml as an OrgSnapshot (ids are WeCom ids and codes). */
export function scenarioOrgSnapshot(org: ScenarioOrganisation): OrgSnapshot {
  const departments = new Map<string, DepartmentNode>(org.departments.map((d) => [d.code, { id: d.code, code: d.code, name: d.name, parentId: d.parent ?? null, headId: d.head ?? null }]));
  const staff = new Map<string, StaffMember>(
    org.staff.map((s) => [s.wecomUserId, { id: s.wecomUserId, wecomUserId: s.wecomUserId, name: s.name, departmentId: s.department, roles: [...s.roles], supervisorId: s.supervisor ?? null, active: s.active ?? true }]),
  );
  return { staff, departments };
}

/** The text `huifang policy test` prints: per file, ✓ or ✗ per scenario with its differences, then the totals. */
export function renderScenarioReports(reports: readonly PolicyScenarioReport[]): string {
  const lines: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const r of reports) {
    lines.push(`${r.policy} — ${r.file}`);
    for (const s of r.scenarios) {
      if (s.passed) passed += 1;
      else failed += 1;
      lines.push(`  ${s.passed ? '✓' : '✗'} ${s.name}${s.clause ? `  〔${s.clause}〕` : ''}${s.passed || s.line === null ? '' : `  (${r.file}:${s.line})`}`);
      for (const d of s.differences) lines.push(`      ${d}`);
    }
  }
  if (reports.length === 0) lines.push('没有场景 — no scenarios (templates/policies/scenarios/<ID>.yaml)');
  lines.push('', failed === 0 ? `全部通过：${passed} 个场景 — all ${passed} scenarios pass` : `${failed} 个场景不符，${passed} 个通过 — ${failed} scenario(s) differ, ${passed} pass`);
  return lines.join('\n');
}
