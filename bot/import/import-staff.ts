/**
 * `huifang import staff FILE.csv`: members, their departments, roles, supervisors and department
 * heads from a spreadsheet (templates/import/README.md documents the columns).
 *
 * Guarantees:
 * - Idempotent: members are keyed by `wecomUserId`, departments by code (or by their name path
 *   under existing departments); importing the same file again changes nothing and says so.
 * - All or nothing per file: every row is validated first — unknown roles, unknown supervisors,
 *   supervisor cycles, two heads for one department — and any problem rejects the whole file,
 *   with line numbers, unless `skipInvalid` (then the bad rows alone are left out, and a row whose
 *   supervisor is left out is left out too).
 * - Writes run in one transaction, parents before children, members before the supervisor links
 *   that point at them: a failure part-way changes nothing.
 * - Members missing from the file are kept unless `deactivateMissing`, which deactivates only
 *   members that came from an import (`source = 'import'`), never those synchronised from WeCom.
 * - A blank cell leaves the member's current value alone; `-` clears a supervisor or the roles.
 */
import type { StaffDirectory } from '../core/ports/staff-directory.js';
import type { RoleCatalogue } from '../loaders/load-roles.js';
import { parseYesNo, type ColumnSpec, type CsvRow, type ImportProblem } from './read-csv.js';

/** Columns of a staff file; Chinese and English headers are both accepted. */
export const STAFF_COLUMNS: readonly ColumnSpec[] = [
  { name: 'wecom_user_id', aliases: ['企业微信账号', '企业微信ID', '企业微信UserID', '账号', 'userid', 'wecomUserId'], required: true },
  { name: 'name', aliases: ['姓名', '名字'] },
  { name: 'department', aliases: ['部门', '科室', '部门路径'] },
  { name: 'department_code', aliases: ['部门编码', '科室编码', '部门代码'] },
  { name: 'roles', aliases: ['角色'] },
  { name: 'supervisor', aliases: ['上级', '直属上级', '上级账号'] },
  { name: 'head_of', aliases: ['部门负责人', '负责人', 'head'] },
  { name: 'active', aliases: ['在职', '状态', '启用'] },
];

export interface ImportStaffOptions {
  roles: RoleCatalogue;
  newId: () => string;
  /** Validate and report, write nothing. */
  dryRun?: boolean;
  /** Import the valid rows and report the others instead of rejecting the file. */
  skipInvalid?: boolean;
  /** Deactivate imported members (source `import`) that the file does not list. */
  deactivateMissing?: boolean;
}

export interface ImportStaffSummary {
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  departmentsCreated: number;
  /** Rows left out because they were invalid (only with `skipInvalid`). */
  skipped: number;
  /** Nothing was written: a dry run, or the file was rejected. */
  dryRun: boolean;
  /** The file was rejected because of `problems` (and nothing was written). */
  rejected: boolean;
  problems: ImportProblem[];
}

interface ExistingStaff {
  id: string;
  wecomUserId: string;
  name: string;
  departmentId: string;
  roles: string;
  supervisorId: string | null;
  active: boolean;
  source: string;
}

interface DeptRecord {
  id: string;
  code: string;
  name: string;
  parentId: string | null;
  path: string;
  headId: string | null;
  /** Created by this import. */
  planned?: boolean;
}

interface StaffPlan {
  line: number;
  wecomUserId: string;
  name: string | undefined;
  departmentId: string | undefined;
  roles: string | undefined;
  /** wecomUserId of the supervisor, null to clear, undefined to keep. */
  supervisor: string | null | undefined;
  headOf: boolean | undefined;
  active: boolean | undefined;
}

const ROLE_SEPARATORS = /[,，、;；|\s]+/;
const PATH_SEPARATORS = /\s*[/／>＞]\s*/;
const CLEAR = '-';

/** Imports staff rows into the database (see the module comment). */
export async function importStaff(directory: StaffDirectory, source: AsyncIterable<CsvRow> | Iterable<CsvRow>, options: ImportStaffOptions): Promise<ImportStaffSummary> {
  const rows: CsvRow[] = [];
  for await (const row of source) rows.push(row);

  const current = await directory.readDirectory();
  const existing = new Map<string, ExistingStaff>();
  for (const s of current.staff) existing.set(s.wecomUserId.toLowerCase(), s);
  const staffById = new Map([...existing.values()].map((s) => [s.id, s]));
  const departments = new Map<string, DeptRecord>();
  for (const d of current.departments) departments.set(d.id, d);
  const deptByCode = new Map([...departments.values()].map((d) => [d.code, d]));

  const problems: ImportProblem[] = [];
  const badLines = new Set<number>();
  const problem = (line: number, column: string | undefined, message: string) => {
    problems.push({ line, ...(column ? { column } : {}), message });
    badLines.add(line);
  };

  // ---- pass 1: each row on its own
  const plans: StaffPlan[] = [];
  const seenIds = new Map<string, number>();
  const newDepartments: DeptRecord[] = [];
  for (const { line, cells } of rows) {
    const wecomUserId = cells.wecom_user_id;
    if (!wecomUserId) {
      problem(line, 'wecom_user_id', 'the WeCom account (企业微信账号) is empty');
      continue;
    }
    if (!/^[0-9A-Za-z][0-9A-Za-z_\-@.]{0,63}$/.test(wecomUserId)) {
      problem(line, 'wecom_user_id', `"${wecomUserId}" is not a WeCom UserID (1–64 letters, digits and _-@., starting with a letter or digit)`);
      continue;
    }
    const key = wecomUserId.toLowerCase();
    if (seenIds.has(key)) {
      problem(line, 'wecom_user_id', `"${wecomUserId}" is already on line ${seenIds.get(key)}`);
      continue;
    }
    seenIds.set(key, line);
    const current = existing.get(key);

    let departmentId: string | undefined;
    if (cells.department || cells.department_code) {
      const resolved = resolveDepartment(cells.department, cells.department_code, departments, deptByCode, newDepartments, options.newId);
      if ('error' in resolved) problem(line, 'department', resolved.error);
      else departmentId = resolved.id;
    }
    if (!current && !cells.name) problem(line, 'name', 'a new member needs a name (姓名)');
    if (!current && !departmentId && !badLines.has(line)) problem(line, 'department', 'a new member needs a department (部门)');

    let roles: string | undefined;
    if (cells.roles === CLEAR) roles = '';
    else if (cells.roles) {
      const names: string[] = [];
      for (const text of cells.roles.split(ROLE_SEPARATORS).filter(Boolean)) {
        const role = options.roles.resolve(text);
        if (!role) problem(line, 'roles', `unknown role "${text}"; the roles are listed in templates/policies/roles.yaml (${[...options.roles.names].join(', ')})`);
        else if (!names.includes(role)) names.push(role);
      }
      roles = names.join(',');
    }

    let supervisor: string | null | undefined;
    if (cells.supervisor === CLEAR) supervisor = null;
    else if (cells.supervisor) supervisor = cells.supervisor.toLowerCase();

    const yesNo = (column: 'head_of' | 'active'): boolean | undefined => {
      const text = cells[column];
      if (text === undefined) return undefined;
      const value = parseYesNo(text);
      if (value === null) problem(line, column, `"${text}" is not yes or no (是/否, yes/no, 1/0)`);
      return value ?? undefined;
    };
    plans.push({ line, wecomUserId, name: cells.name, departmentId, roles, supervisor, headOf: yesNo('head_of'), active: yesNo('active') });
  }

  // ---- pass 2: across rows — supervisors exist, no cycles, one head per department
  const planByKey = new Map(plans.map((p) => [p.wecomUserId.toLowerCase(), p]));
  for (const plan of plans) {
    if (typeof plan.supervisor === 'string' && !planByKey.has(plan.supervisor) && !existing.has(plan.supervisor)) {
      problem(plan.line, 'supervisor', `supervisor "${plan.supervisor}" is neither in this file nor a known member`);
    }
  }
  const supervisorOf = (key: string): string | null => {
    const plan = planByKey.get(key);
    if (plan && plan.supervisor !== undefined) return plan.supervisor;
    const current = existing.get(key);
    return current?.supervisorId ? (staffById.get(current.supervisorId)?.wecomUserId.toLowerCase() ?? null) : null;
  };
  const reportedCycles = new Set<string>();
  for (const plan of plans) {
    const chain = [plan.wecomUserId.toLowerCase()];
    for (let next = supervisorOf(chain[0]!); next !== null; next = supervisorOf(next)) {
      const at = chain.indexOf(next);
      if (at >= 0) {
        const cycle = chain.slice(at);
        const id = [...cycle].sort().join('>');
        if (!reportedCycles.has(id)) {
          reportedCycles.add(id);
          const lines = cycle.map((k) => planByKey.get(k)?.line).filter((l): l is number => l !== undefined);
          const text = [...cycle, next].join(' → ');
          for (const l of lines.length > 0 ? lines : [plan.line]) problem(l, 'supervisor', `the supervisor chain loops: ${text}`);
        }
        break;
      }
      chain.push(next);
      if (chain.length > 10_000) break;
    }
  }
  const headLines = new Map<string, number>();
  for (const plan of plans) {
    if (plan.headOf !== true) continue;
    const deptId = plan.departmentId ?? existing.get(plan.wecomUserId.toLowerCase())?.departmentId;
    if (!deptId) continue;
    const other = headLines.get(deptId);
    if (other !== undefined) problem(plan.line, 'head_of', `line ${other} already makes someone head of ${departments.get(deptId)?.name ?? 'this department'}`);
    else headLines.set(deptId, plan.line);
  }

  problems.sort((a, b) => a.line - b.line);
  const summary: ImportStaffSummary = {
    rows: rows.length,
    created: 0,
    updated: 0,
    unchanged: 0,
    deactivated: 0,
    departmentsCreated: 0,
    skipped: 0,
    dryRun: options.dryRun ?? false,
    rejected: false,
    problems,
  };
  if (problems.length > 0 && !options.skipInvalid) return { ...summary, rejected: true, dryRun: true };

  // With skipInvalid, a row whose supervisor is left out cannot be linked: leave it out as well.
  let valid = plans.filter((p) => !badLines.has(p.line));
  for (let changed = true; changed; ) {
    changed = false;
    const keys = new Set(valid.map((p) => p.wecomUserId.toLowerCase()));
    const kept = valid.filter((p) => typeof p.supervisor !== 'string' || keys.has(p.supervisor) || existing.has(p.supervisor));
    if (kept.length !== valid.length) {
      for (const p of valid) if (!kept.includes(p)) problems.push({ line: p.line, column: 'supervisor', message: `left out: its supervisor "${String(p.supervisor)}" is on an invalid row` });
      valid = kept;
      changed = true;
    }
  }
  summary.skipped = plans.length - valid.length + (rows.length - plans.length);
  const usedDepartments = new Set(valid.map((p) => p.departmentId).filter(Boolean));
  // Departments created only for rows that were left out are not created.
  const createDepartments = newDepartments.filter((d) => [...usedDepartments].some((id) => departments.get(id!)?.path.startsWith(d.path)));
  summary.departmentsCreated = createDepartments.length;

  // ---- classify and build the writes
  type Write = { plan: StaffPlan; id: string; create: boolean; data: { name: string; departmentId: string; roles: string; active: boolean } };
  const writes: Write[] = [];
  const idOf = new Map<string, string>();
  for (const s of existing.values()) idOf.set(s.wecomUserId.toLowerCase(), s.id);
  const changedKeys = new Set<string>();
  for (const plan of valid) {
    const key = plan.wecomUserId.toLowerCase();
    const current = existing.get(key);
    const data = {
      name: plan.name ?? current!.name,
      departmentId: plan.departmentId ?? current!.departmentId,
      roles: plan.roles ?? current?.roles ?? '',
      active: plan.active ?? current?.active ?? true,
    };
    const id = current?.id ?? options.newId();
    idOf.set(key, id);
    const differs = !current || current.name !== data.name || current.departmentId !== data.departmentId || current.roles !== data.roles || current.active !== data.active;
    if (differs) writes.push({ plan, id, create: !current, data });
    if (!current) summary.created += 1;
    else if (differs) changedKeys.add(key);
  }
  const supervisorWrites: { id: string; supervisorId: string | null }[] = [];
  for (const plan of valid) {
    if (plan.supervisor === undefined) continue;
    const key = plan.wecomUserId.toLowerCase();
    const supervisorId = plan.supervisor === null ? null : idOf.get(plan.supervisor)!;
    const current = existing.get(key);
    if ((current?.supervisorId ?? null) !== supervisorId) {
      supervisorWrites.push({ id: idOf.get(key)!, supervisorId });
      if (current) changedKeys.add(key);
    }
  }
  const headWrites: { departmentId: string; headId: string | null }[] = [];
  for (const plan of valid) {
    if (plan.headOf === undefined) continue;
    const key = plan.wecomUserId.toLowerCase();
    const id = idOf.get(key)!;
    const deptId = plan.departmentId ?? existing.get(key)!.departmentId;
    const dept = departments.get(deptId)!;
    if (plan.headOf && dept.headId !== id) headWrites.push({ departmentId: deptId, headId: id });
    if (!plan.headOf && dept.headId === id) headWrites.push({ departmentId: deptId, headId: null });
    if ((plan.headOf ? dept.headId !== id : dept.headId === id) && existing.has(key)) changedKeys.add(key);
  }
  summary.updated = changedKeys.size;
  summary.unchanged = valid.length - summary.created - summary.updated;
  const listed = new Set(valid.map((p) => p.wecomUserId.toLowerCase()));
  const toDeactivate = options.deactivateMissing
    ? [...existing.values()].filter((s) => s.source === 'import' && s.active && !listed.has(s.wecomUserId.toLowerCase()) && !seenIds.has(s.wecomUserId.toLowerCase()))
    : [];
  summary.deactivated = toDeactivate.length;
  if (options.dryRun) return summary;

  // ---- write: departments (parents first), members, supervisors, heads, deactivations — in one
  // transaction, so a failure part-way (or a crash) leaves the organisation as it was.
  await directory.applyDirectoryChanges({
    createDepartments: [...createDepartments].sort((a, b) => a.path.length - b.path.length),
    writeStaff: writes.map((w) => (w.create ? { create: true as const, id: w.id, wecomUserId: w.plan.wecomUserId, source: 'import', ...w.data } : { create: false as const, id: w.id, ...w.data })),
    supervisors: supervisorWrites.map((w) => ({ staffId: w.id, supervisorId: w.supervisorId })),
    heads: headWrites,
    deactivate: { ids: toDeactivate.map((s) => s.id), source: 'import' },
  });
  return summary;
}

/**
 * The department a row names: an existing department code, or a name path (`内科/心内科一病区`)
 * walked from the top-level departments, planning the missing ones (code = `code` for the last
 * one when given, else the path itself).
 */
function resolveDepartment(
  pathText: string | undefined,
  code: string | undefined,
  departments: Map<string, DeptRecord>,
  byCode: Map<string, DeptRecord>,
  planned: DeptRecord[],
  newId: () => string,
): { id: string } | { error: string } {
  if (code && byCode.has(code)) return { id: byCode.get(code)!.id };
  if (pathText && byCode.has(pathText)) return { id: byCode.get(pathText)!.id };
  if (!pathText) return { error: `no department has the code "${code}"; give its path in the department column (部门) to create it` };
  const parts = pathText.split(PATH_SEPARATORS).filter(Boolean);
  if (parts.length === 0) return { error: `"${pathText}" is not a department path such as 内科/心内科一病区` };
  let parent = null as DeptRecord | null;
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]!;
    const matches = [...departments.values()].filter((d) => d.name === name && d.parentId === (parent?.id ?? null));
    if (matches.length > 1) return { error: `"${parts.slice(0, i + 1).join('/')}" is ambiguous: departments ${matches.map((d) => d.code).join(', ')} share that name; use the code` };
    let dept: DeptRecord | undefined = matches[0];
    if (!dept) {
      const last = i === parts.length - 1;
      const newCode = last && code ? code : parts.slice(0, i + 1).join('/');
      if (byCode.has(newCode)) return { error: `cannot create department "${parts.slice(0, i + 1).join('/')}": the code "${newCode}" belongs to ${byCode.get(newCode)!.name}` };
      const id = newId();
      dept = { id, code: newCode, name, parentId: parent?.id ?? null, path: `${parent?.path ?? '/'}${id}/`, headId: null, planned: true };
      departments.set(id, dept);
      byCode.set(newCode, dept);
      planned.push(dept);
    }
    parent = dept;
  }
  return { id: parent!.id };
}
