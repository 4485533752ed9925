// Shared helpers for the P8–P14 pack tests: the real pack files (parsePolicyPack with the real role
// list), the real working-day calendar (loadCalendar()), small in-memory organisations per trade, and
// the example case bodies of templates/policies/examples translated to CaseFacts like the API does.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePolicyPack } from '../../../../bot/loaders/load-policies.js';
import { loadRoles } from '../../../../bot/loaders/load-roles.js';
import { loadCalendar } from '../../../../bot/loaders/load-calendar.js';
import { planFollowUps, type PlannedFollowUp, type PlanResult } from '../../../../bot/core/policies/plan-follow-ups.js';
import type { WorkingCalendar } from '../../../../bot/core/calendar/working-calendar.js';
import type { CaseFacts, DepartmentNode, OrgSnapshot, StaffMember } from '../../../../bot/core/model.js';
import type { PolicyDefinition } from '../../../../bot/core/policies/types.js';
import { caseBody, type CaseBody, translateCaseBody } from '../../../../bot/cases/case-body.js';

export const TZ = 'Asia/Shanghai';
export const POLICIES_DIR = fileURLToPath(new URL('../../../../templates/policies', import.meta.url));
export const EXAMPLES_DIR = join(POLICIES_DIR, 'examples');

/** The pack file `templates/policies/<id>.yaml`, validated with the real roles.yaml. */
export function loadPack(id: string): PolicyDefinition {
  const file = join(POLICIES_DIR, `${id}.yaml`);
  const policy = parsePolicyPack(readFileSync(file, 'utf8'), file, loadRoles(POLICIES_DIR));
  if (policy.id !== id) throw new Error(`${file} has id ${policy.id}, expected ${id}`);
  return policy;
}

let loadedCalendar: WorkingCalendar | undefined;
/** The shipped calendar (chinese-days + templates/calendar), loaded once. */
export function calendar(): WorkingCalendar {
  loadedCalendar ??= loadCalendar().calendar;
  return loadedCalendar;
}

/** An instant written with an explicit offset; refuses a bare local time so expectations stay unambiguous. */
export function at(iso: string): Date {
  if (!/[+-]\d\d:\d\d$|Z$/.test(iso)) throw new Error(`write ${iso} with an explicit offset (+08:00)`);
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`invalid instant ${iso}`);
  return d;
}

export interface OrgSpec {
  departments: { code: string; parent: string | null; head: string | null }[];
  staff: { id: string; department: string; roles: string[]; supervisor?: string | null }[];
}

/** An OrgSnapshot whose ids are WeCom ids / department codes; `inactive` lists staff who have left. */
export function buildOrg(spec: OrgSpec, inactive: readonly string[] = []): OrgSnapshot {
  const staff = new Map<string, StaffMember>(
    spec.staff.map((s) => [
      s.id,
      { id: s.id, wecomUserId: s.id, name: s.id, departmentId: s.department, roles: s.roles, supervisorId: s.supervisor ?? null, active: !inactive.includes(s.id) },
    ]),
  );
  const departments = new Map<string, DepartmentNode>(
    spec.departments.map((d) => [d.code, { id: d.code, code: d.code, name: d.code, parentId: d.parent, headId: d.head }]),
  );
  return { staff, departments };
}

/** planFollowUps with the real calendar in Asia/Shanghai. */
/** `population`: the number sampling tiers count — the previous month's, or the case's place in its own month for `population: current month`. */
export function plan(policy: PolicyDefinition, facts: CaseFacts, org: OrgSnapshot, population?: number | null): PlanResult {
  return planFollowUps(policy, facts, org, { timeZone: TZ, calendar: calendar(), previousMonthPopulation: population, currentMonthPopulation: population });
}

export function step(planned: readonly PlannedFollowUp[], key: string): PlannedFollowUp {
  const found = planned.find((p) => p.step === key);
  if (!found) throw new Error(`no planned step ${key}; got ${planned.map((p) => p.step).join(', ') || 'none'}`);
  return found;
}

export function keys(planned: readonly PlannedFollowUp[]): string[] {
  return planned.map((p) => p.step);
}

/** A case with defaults; `attributes` and `milestones` replace the defaults when given. */
export function facts(base: Omit<CaseFacts, 'closedAt' | 'milestones' | 'attributes' | 'id'> & Partial<CaseFacts>): CaseFacts {
  return { id: `case-${base.externalId}`, closedAt: null, attributes: {}, milestones: {}, ...base };
}

/** The example bodies `templates/policies/examples/<id>-*.json`. */
export function examples(id: string): { file: string; body: CaseBody }[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.startsWith(`${id}-`) && f.endsWith('.json'))
    .sort()
    .map((f) => {
      const parsed = caseBody.safeParse(JSON.parse(readFileSync(join(EXAMPLES_DIR, f), 'utf8')));
      if (!parsed.success) throw new Error(`${f}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return { file: f, body: parsed.data };
    });
}

/** The CaseFacts the API builds from an example body (staff and departments must exist in `org`). */
export function factsFromBody(body: CaseBody, org: OrgSnapshot): CaseFacts {
  return { id: `case-${body.externalId}`, ...translateCaseBody(body, org).case };
}

/** Share of `n` synthetic cases kept by the step's sampling decision. */
export function keptShare(policy: PolicyDefinition, org: OrgSnapshot, n: number, make: (i: number) => CaseFacts, stepKey: string, population?: number | null): number {
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (step(plan(policy, make(i), org, population).planned, stepKey).sampling.kept) kept++;
  }
  return kept / n;
}
