// Shared helpers for the policy-pack tests (test/unit/policies/packs/p1 … p7): loads ONE real pack
// file with parsePolicyPack (so a broken pack of another author cannot break these tests), the real
// working-day calendar, the example case bodies of templates/policies/examples validated with the
// real POST /api/v1/cases schema, and an in-memory organisation with the roles each trade needs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCalendar } from '../../../../bot/loaders/load-calendar.js';
import type { CaseFacts, DepartmentNode, OrgSnapshot, StaffMember } from '../../../../bot/core/model.js';
import { planFollowUps, type PlanContext, type PlannedFollowUp, type PlanResult } from '../../../../bot/core/policies/plan-follow-ups.js';
import type { PolicyDefinition } from '../../../../bot/core/policies/types.js';
import { caseBody, type CaseBody, translateCaseBody } from '../../../../bot/cases/case-body.js';
import { parsePolicyPack } from '../../../../bot/loaders/load-policies.js';
import { loadRoles } from '../../../../bot/loaders/load-roles.js';

export const TZ = 'Asia/Shanghai';
export const POLICIES_DIR = fileURLToPath(new URL('../../../../templates/policies', import.meta.url));
export const EXAMPLES_DIR = join(POLICIES_DIR, 'examples');

/** The real mainland-China calendar (chinese-days + templates/calendar), loaded once per test file. */
export const { calendar } = loadCalendar();

/** One shipped pack, parsed on its own against roles.yaml. */
export function loadPack(id: string): PolicyDefinition {
  const file = join(POLICIES_DIR, `${id}.yaml`);
  return parsePolicyPack(readFileSync(file, 'utf8'), file, loadRoles(POLICIES_DIR));
}

/** Planning context with the real calendar (what submitCase passes). */
export function context(extra: Partial<PlanContext> = {}): PlanContext {
  return { timeZone: TZ, calendar, ...extra };
}

export function plan(policy: PolicyDefinition, facts: CaseFacts, org: OrgSnapshot = defaultOrg(), extra: Partial<PlanContext> = {}): PlanResult {
  return planFollowUps(policy, facts, org, context(extra));
}

let cachedOrg: OrgSnapshot | undefined;
/** `tradeOrg()` with everyone active, built once (planning never mutates it). */
function defaultOrg(): OrgSnapshot {
  return (cachedOrg ??= tradeOrg());
}

/** The planned follow-up with this step key (occurrences: `<key>_<n>`); fails listing what was planned. */
export function step(planned: readonly PlannedFollowUp[], key: string): PlannedFollowUp {
  const found = planned.find((p) => p.step === key);
  if (!found) throw new Error(`no planned step ${key}; got ${planned.map((p) => p.step).join(', ') || 'nothing'}`);
  return found;
}

/** Changes applied to an example body before it is validated (attributes and milestones are merged). */
export interface BodyPatch extends Partial<Omit<CaseBody, 'attributes' | 'milestones'>> {
  attributes?: Record<string, unknown>;
  milestones?: Record<string, string>;
  /** Attribute / milestone names to drop from the example. */
  dropAttributes?: string[];
  dropMilestones?: string[];
}

/** The raw JSON of templates/policies/examples/<name>.json. */
export function exampleJson(name: string): unknown {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, `${name}.json`), 'utf8')) as unknown;
}

/** An example body (optionally patched), validated with the real `caseBody` schema of POST /api/v1/cases. */
export function exampleBody(name: string, patch: BodyPatch = {}): CaseBody {
  const raw = exampleJson(name) as Record<string, unknown>;
  const { attributes, milestones, dropAttributes = [], dropMilestones = [], ...rest } = patch;
  const mergedAttributes = { ...((raw.attributes as Record<string, unknown> | undefined) ?? {}), ...(attributes ?? {}) };
  const mergedMilestones = { ...((raw.milestones as Record<string, string> | undefined) ?? {}), ...(milestones ?? {}) };
  for (const k of dropAttributes) delete mergedAttributes[k];
  for (const k of dropMilestones) delete mergedMilestones[k];
  const parsed = caseBody.safeParse({ ...raw, ...rest, attributes: mergedAttributes, milestones: mergedMilestones });
  if (!parsed.success) throw new Error(`examples/${name}.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * The case facts the API would build from a body (bot/cases/case-body.ts toSubmitInput): staff by
 * WeCom id, department by code (in `tradeOrg` ids are the WeCom ids and the codes), subjectStaff as
 * `attributes.subjectStaffId`, milestones as instants.
 */
export function factsFromBody(body: CaseBody, org: OrgSnapshot = defaultOrg()): CaseFacts {
  return { id: `case-${body.externalId}`, ...translateCaseBody(body, org).case };
}

/** Case facts of an example, optionally patched. */
export function exampleCase(name: string, patch: BodyPatch = {}, org: OrgSnapshot = defaultOrg()): CaseFacts {
  return factsFromBody(exampleBody(name, patch), org);
}

const DEPARTMENTS: readonly { code: string; name: string; parent: string | null; head: string }[] = [
  // P1 engineering commissioning company (工程部 with its dedicated follow-up officer)
  { code: 'eng-co', name: '电力工程调试公司', parent: null, head: 'zong.he' },
  { code: 'eng-dept', name: '工程部', parent: 'eng-co', head: 'jingli.gao' },
  // P2 power supply company
  { code: 'power-co', name: '滨海供电公司', parent: null, head: 'gs.wang' },
  { code: 'kefu-center', name: '客户服务中心', parent: 'power-co', head: 'kefu.zhuren' },
  { code: 'marketing', name: '营销部', parent: 'power-co', head: 'yingxiao.zhuren' },
  // P3 piano school
  { code: 'piano-group', name: '琴行总店', parent: null, head: 'laoban.yu' },
  { code: 'piano-school', name: '琴行分店', parent: 'piano-group', head: 'dianzhang.chu' },
  // P5 decoration company (customer service sits in the company, above the project teams)
  { code: 'deco-co', name: '装饰公司', parent: null, head: 'deco.zong' },
  { code: 'deco-eng', name: '工程部', parent: 'deco-co', head: 'gongcheng.jingli' },
  // P6 repair shop and its service station
  { code: 'auto-shop', name: '修理厂', parent: null, head: 'changzhang.zhao' },
  { code: 'auto-station', name: '服务站', parent: 'auto-shop', head: 'zhanzhang.qin' },
];

const STAFF: readonly { id: string; name: string; department: string; roles: string; supervisor: string | null }[] = [
  { id: 'zong.he', name: '何总', department: 'eng-co', roles: 'manager', supervisor: null },
  { id: 'jingli.gao', name: '高经理', department: 'eng-dept', roles: 'department_head', supervisor: 'zong.he' },
  { id: 'huifang.ma', name: '马专员', department: 'eng-dept', roles: 'followup_officer', supervisor: 'jingli.gao' },
  { id: 'xiangmu.tian', name: '田工', department: 'eng-dept', roles: 'project_lead,engineer', supervisor: 'jingli.gao' },
  // A project lead who also makes follow-up calls for other regions: never for his own projects.
  { id: 'xiangmu.lu', name: '陆工', department: 'eng-dept', roles: 'project_lead,engineer,followup_officer', supervisor: 'jingli.gao' },

  { id: 'gs.wang', name: '王总经理', department: 'power-co', roles: 'manager', supervisor: null },
  { id: 'kefu.zhuren', name: '客服中心主任', department: 'kefu-center', roles: 'department_head', supervisor: 'gs.wang' },
  { id: 'kefu.sun', name: '孙客服', department: 'kefu-center', roles: 'customer_service', supervisor: 'kefu.zhuren' },
  { id: 'qiangxiu.qian', name: '钱班长', department: 'kefu-center', roles: 'repair', supervisor: 'kefu.zhuren' },
  { id: 'yingxiao.zhuren', name: '营销部主任', department: 'marketing', roles: 'department_head', supervisor: 'gs.wang' },
  { id: 'yingxiao.wu', name: '吴专责', department: 'marketing', roles: 'customer_service', supervisor: 'yingxiao.zhuren' },
  { id: 'yingxiao.zhou', name: '周客户经理', department: 'marketing', roles: 'account_manager', supervisor: 'yingxiao.zhuren' },

  { id: 'laoban.yu', name: '余老板', department: 'piano-group', roles: 'manager', supervisor: null },
  { id: 'dianzhang.chu', name: '楚店长', department: 'piano-school', roles: 'department_head', supervisor: 'laoban.yu' },
  { id: 'qiantai.tang', name: '汤前台', department: 'piano-school', roles: 'customer_service', supervisor: 'dianzhang.chu' },
  { id: 'laoshi.lin', name: '林老师', department: 'piano-school', roles: 'teacher', supervisor: 'dianzhang.chu' },

  { id: 'deco.zong', name: '装饰公司总经理', department: 'deco-co', roles: 'manager', supervisor: null },
  { id: 'kefu.fang', name: '方客服', department: 'deco-co', roles: 'customer_service', supervisor: 'deco.zong' },
  { id: 'gongcheng.jingli', name: '工程部经理', department: 'deco-eng', roles: 'department_head', supervisor: 'deco.zong' },
  { id: 'xiangmujingli.he', name: '何项目经理', department: 'deco-eng', roles: 'project_lead', supervisor: 'gongcheng.jingli' },

  { id: 'changzhang.zhao', name: '赵厂长', department: 'auto-shop', roles: 'manager', supervisor: null },
  { id: 'zhanzhang.qin', name: '秦站长', department: 'auto-station', roles: 'department_head', supervisor: 'changzhang.zhao' },
  { id: 'huifangyuan.bai', name: '白回访员', department: 'auto-station', roles: 'followup_officer', supervisor: 'zhanzhang.qin' },
  { id: 'guwen.shi', name: '石顾问', department: 'auto-station', roles: 'repair', supervisor: 'zhanzhang.qin' },
];

/**
 * The organisations of the P1, P2, P3, P5 and P6 trades in one snapshot (separate department trees);
 * ids are WeCom ids and department codes. `inactive` lists staff who have left.
 */
export function tradeOrg(options: { inactive?: string[] } = {}): OrgSnapshot {
  const inactive = new Set(options.inactive ?? []);
  const staff = new Map<string, StaffMember>(
    STAFF.map((s) => [
      s.id,
      { id: s.id, wecomUserId: s.id, name: s.name, departmentId: s.department, roles: s.roles.split(','), supervisorId: s.supervisor, active: !inactive.has(s.id) },
    ]),
  );
  const departments = new Map<string, DepartmentNode>(DEPARTMENTS.map((d) => [d.code, { id: d.code, code: d.code, name: d.name, parentId: d.parent, headId: d.head }]));
  return { staff, departments };
}

/** `2026-03-19T09:00:00+08:00`-style local rendering, for readable failure messages. */
export function local(instant: Date): string {
  const shifted = new Date(instant.getTime() + 8 * 3_600_000);
  return `${shifted.toISOString().slice(0, 19)}+08:00`;
}
