// `huifang import staff` on real databases: encodings (GBK, UTF-8 with BOM), the department tree
// built from name paths, roles by name or Chinese label, supervisors that appear later in the
// file, line-numbered rejections, supervisor loops, re-imports that change nothing, and
// --deactivate-missing leaving WeCom-synced members alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { storeContext } from '../../support/service.js';
import { PrismaStaffDirectory } from '../../../bot/db/staff-directory-store.js';
import { UlidGenerator } from '../../../bot/clocks.js';
import { openCsv } from '../../../bot/import/read-csv.js';
import { importStaff, STAFF_COLUMNS } from '../../../bot/import/import-staff.js';
import { loadRoleCatalogue } from '../../../bot/loaders/load-roles.js';
import { ROOT_DIR } from '../../../bot/huifang.js';

const roles = loadRoleCatalogue(join(ROOT_DIR, 'templates/policies'));
const ids = new UlidGenerator();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'huifang-import-staff-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string, encoding: 'gbk' | 'utf-8-bom' | 'utf-8' = 'utf-8'): string {
  const path = join(dir, name);
  const bytes = encoding === 'gbk' ? iconv.encode(text, 'gbk') : Buffer.concat([encoding === 'utf-8-bom' ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
  writeFileSync(path, bytes);
  return path;
}

const WARD = [
  '企业微信账号,姓名,部门,部门编码,角色,上级,部门负责人,在职',
  'hushi.a,安护士,东方医院/内科/心内科一病区,xnk-east,护士,hushizhang.b,,是',
  'hushizhang.b,白护士长,东方医院/内科/心内科一病区,xnk-east,"护士长,supervisor",kezhuren.c,,是',
  'kezhuren.c,陈主任,东方医院/内科/心内科一病区,xnk-east,"department_head,doctor",,是,是',
].join('\r\n');

describeEachDatabase('import staff', (testDb) => {
  const run = async (path: string, options: Partial<Parameters<typeof importStaff>[2]> = {}) => {
    const csv = await openCsv(path, { columns: STAFF_COLUMNS });
    return { csv, summary: await importStaff(new PrismaStaffDirectory(storeContext(testDb())), csv.rows(), { roles, newId: () => ids.next(), ...options }) };
  };

  it('reads a GBK file exported by Excel, builds the department tree and links supervisors named later in the file', async () => {
    const { csv, summary } = await run(file('ward-gbk.csv', WARD, 'gbk'));
    expect(csv.encoding).toMatchObject({ encoding: 'gb18030', source: 'gb18030' });
    expect(summary).toMatchObject({ rows: 3, created: 3, updated: 0, unchanged: 0, departmentsCreated: 3, rejected: false, problems: [] });

    const prisma = testDb().prisma;
    const ward = await prisma.department.findUniqueOrThrow({ where: { code: 'xnk-east' } });
    const internal = await prisma.department.findUniqueOrThrow({ where: { id: ward.parentId! } });
    const hospital = await prisma.department.findUniqueOrThrow({ where: { id: internal.parentId! } });
    expect([hospital.name, internal.name, ward.name]).toEqual(['东方医院', '内科', '心内科一病区']);
    expect(hospital.code).toBe('东方医院');
    expect(internal.code).toBe('东方医院/内科');
    expect(ward.path).toBe(`/${hospital.id}/${internal.id}/${ward.id}/`);

    const staff = new Map((await prisma.staff.findMany({ where: { departmentId: ward.id } })).map((s) => [s.wecomUserId, s]));
    expect(staff.get('hushi.a')).toMatchObject({ name: '安护士', roles: 'nurse', supervisorId: staff.get('hushizhang.b')!.id, source: 'import', active: true });
    expect(staff.get('hushizhang.b')).toMatchObject({ roles: 'head_nurse,supervisor', supervisorId: staff.get('kezhuren.c')!.id });
    expect(ward.headId).toBe(staff.get('kezhuren.c')!.id);
  });

  it('reads a UTF-8 file with a BOM, and a re-import of the same members changes nothing', async () => {
    const { csv, summary } = await run(file('ward-bom.csv', WARD, 'utf-8-bom'));
    expect(csv.encoding).toMatchObject({ encoding: 'utf-8', source: 'utf-8-bom' });
    expect(summary).toMatchObject({ rows: 3, created: 0, updated: 0, unchanged: 3, departmentsCreated: 0 });
    const again = await run(file('ward-plain.csv', WARD));
    expect(again.csv.encoding.source).toBe('utf-8');
    expect(again.summary).toMatchObject({ unchanged: 3, created: 0, updated: 0 });
  });

  it('rejects the whole file with line numbers when a row is invalid, and --skip-invalid imports the rest', async () => {
    const text = [
      'wecom_user_id,name,department,roles,supervisor,active',
      'yisheng.d,丁医生,东方医院/内科/心内科一病区,doctor,kezhuren.c,yes',
      'yisheng.e,,东方医院/内科,doctor,,yes',
      'hushi.f,冯护士,东方医院/外科,janitor,,yes',
      'hushi.g,郭护士,东方医院/外科,nurse,nobody.here,maybe',
      'hushi.h,何护士,东方医院/外科,nurse,yisheng.d,yes',
    ].join('\n');
    const path = file('bad.csv', text);
    const rejected = await run(path);
    expect(rejected.summary.rejected).toBe(true);
    expect(rejected.summary.problems.map((p) => [p.line, p.column])).toEqual([
      [3, 'name'],
      [4, 'roles'],
      [5, 'active'],
      [5, 'supervisor'],
    ]);
    expect(rejected.summary.problems[1]!.message).toContain('unknown role "janitor"');
    expect(await testDb().prisma.staff.count({ where: { wecomUserId: { in: ['yisheng.d', 'hushi.h'] } } })).toBe(0);
    expect(await testDb().prisma.department.count({ where: { name: '外科' } })).toBe(0);

    const skipped = await run(path, { skipInvalid: true });
    expect(skipped.summary).toMatchObject({ rejected: false, created: 2, skipped: 3, departmentsCreated: 1 });
    const d = await testDb().prisma.staff.findUniqueOrThrow({ where: { wecomUserId: 'yisheng.d' } });
    expect(await testDb().prisma.staff.findUniqueOrThrow({ where: { wecomUserId: 'hushi.h' } })).toMatchObject({ supervisorId: d.id });
  });

  it('rejects a supervisor loop, naming the chain and every line in it, including loops through existing members', async () => {
    const loop = ['账号,姓名,部门,上级', 'x.one,甲,东方医院/内科,x.two', 'x.two,乙,东方医院/内科,x.three', 'x.three,丙,东方医院/内科,x.one', 'x.four,丁,东方医院/内科,x.four'].join('\n');
    const { summary } = await run(file('loop.csv', loop));
    expect(summary.rejected).toBe(true);
    expect(summary.problems.map((p) => p.line)).toEqual([2, 3, 4, 5]);
    expect(summary.problems[0]!.message).toMatch(/loops: x\.one → x\.two → x\.three → x\.one/);
    expect(summary.problems[3]!.message).toMatch(/x\.four → x\.four/);

    // kezhuren.c exists with no supervisor; making it report to its own report closes a loop.
    const { summary: through } = await run(file('loop-db.csv', '账号,上级\nkezhuren.c,hushi.a\n'));
    expect(through.problems).toMatchObject([{ line: 2, column: 'supervisor' }]);
    expect(through.problems[0]!.message).toContain('kezhuren.c → hushi.a → hushizhang.b → kezhuren.c');
  });

  it('sets roles of members without repeating their other columns, and --deactivate-missing spares synced members', async () => {
    const prisma = testDb().prisma;
    const dept = await prisma.department.findUniqueOrThrow({ where: { code: 'xnk-east' } });
    await prisma.staff.create({ data: { id: ids.next(), wecomUserId: 'synced.member', name: '同步成员', departmentId: dept.id, roles: '', source: 'wecom' } });

    const { summary } = await run(file('roles.csv', 'wecom_user_id,roles\nsynced.member,护士\nhushi.a,"nurse,followup_officer"\n'), { deactivateMissing: true });
    expect(summary).toMatchObject({ updated: 2, created: 0 });
    expect(await prisma.staff.findUniqueOrThrow({ where: { wecomUserId: 'synced.member' } })).toMatchObject({ roles: 'nurse', source: 'wecom', active: true, name: '同步成员' });
    expect(await prisma.staff.findUniqueOrThrow({ where: { wecomUserId: 'hushi.a' } })).toMatchObject({ roles: 'nurse,followup_officer', active: true });
    // Imported members the file does not list are deactivated; the synced one is not.
    expect(summary.deactivated).toBeGreaterThan(0);
    expect(await prisma.staff.findUniqueOrThrow({ where: { wecomUserId: 'kezhuren.c' } })).toMatchObject({ active: false });
    expect(await prisma.staff.count({ where: { source: 'wecom', active: false } })).toBe(0);
  });
});
