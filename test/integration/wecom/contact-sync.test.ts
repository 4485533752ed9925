// `huifang staff sync-wecom` against the WeCom simulator on real databases: departments and members
// created with source 'wecom', renamed and moved members updated, members WeCom no longer lists
// deactivated (never imported ones), locally set roles kept, and WeCom's refusals turned into
// errors that say which setting to change.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { FakeClock } from '../../../bot/clocks.js';
import { WecomClient } from '../../../bot/channels/wecom/wecom-client.js';
import { syncWecomContacts, WecomContactAccessError } from '../../../bot/staff/sync-wecom-contacts.js';
import { runStaffCommand } from '../../../bot/commands/staff.js';
import { createHuifang } from '../../../bot/huifang.js';
import { loadConfig } from '../../../bot/config.js';
import { createLogger } from '../../../bot/logger.js';
import { UlidGenerator } from '../../../bot/clocks.js';
import { sharedDbClient, storeContext } from '../../support/service.js';
import { PrismaStaffDirectory } from '../../../bot/db/staff-directory-store.js';
import { WecomSimulator, type SimDepartment, type SimMember } from '../../simulators/wecom/wecom-simulator.js';

const DEPARTMENTS: SimDepartment[] = [
  { id: 1, name: '安康医院', parentid: 0 },
  { id: 20, name: '内科', parentid: 1 },
  { id: 21, name: '心内科二病区', parentid: 20, department_leader: ['sync.dr.wu'] },
  { id: 30, name: '外科', parentid: 1 },
];
const MEMBERS: SimMember[] = [
  { userid: 'sync.dr.wu', name: '吴主任', department: [21], main_department: 21 },
  { userid: 'sync.nurse.qin', name: '秦护士', department: [21], main_department: 21, direct_leader: ['sync.dr.wu'] },
  { userid: 'sync.nurse.shen', name: '沈护士', department: [21, 30], main_department: 21, direct_leader: ['sync.dr.wu'] },
  { userid: 'sync.surgeon.han', name: '韩医生', department: [30], main_department: 30 },
  { userid: 'sync.left', name: '已禁用', department: [30], status: 2 },
];

describeEachDatabase('WeCom contact sync', (db) => {
  let sim: WecomSimulator;
  const clock = new FakeClock('2026-11-20T03:23:00+08:00');
  const ids = new UlidGenerator();
  let client: WecomClient;

  beforeAll(async () => {
    sim = await WecomSimulator.start();
    sim.setContacts({ departments: DEPARTMENTS, members: MEMBERS });
    client = new WecomClient({ corpId: sim.corpId, agentId: sim.agentId, secret: sim.secret, apiBase: sim.baseUrl, clock });
  });
  afterAll(async () => {
    await sim?.close();
  });

  const sync = (options = {}) => syncWecomContacts({ directory: new PrismaStaffDirectory(storeContext(db())), wecom: client, clock, ids }, options);
  const staff = (wecomUserId: string) => db().prisma.staff.findUniqueOrThrow({ where: { wecomUserId } });

  it('a dry run reports what it would create and writes nothing', async () => {
    const summary = await sync({ dryRun: true });
    expect(summary).toMatchObject({ dryRun: true, departmentsSeen: 4, departmentsCreated: 4, membersSeen: 5, created: 5, deactivated: 0 });
    expect(await db().prisma.staff.count()).toBe(0);
  });

  it('creates the departments and members of the visible range, with supervisors and heads from WeCom', async () => {
    const summary = await sync();
    expect(summary).toMatchObject({ departmentsCreated: 4, created: 5, updated: 0, deactivated: 0, listing: 'user/list', notices: [] });
    const ward = await db().prisma.department.findUniqueOrThrow({ where: { code: 'wecom:21' } });
    const internal = await db().prisma.department.findUniqueOrThrow({ where: { code: 'wecom:20' } });
    const top = await db().prisma.department.findUniqueOrThrow({ where: { code: 'wecom:1' } });
    expect(ward).toMatchObject({ name: '心内科二病区', parentId: internal.id, path: `/${top.id}/${internal.id}/${ward.id}/` });
    const wu = await staff('sync.dr.wu');
    expect(ward.headId).toBe(wu.id);
    expect(await staff('sync.nurse.qin')).toMatchObject({ name: '秦护士', departmentId: ward.id, supervisorId: wu.id, source: 'wecom', roles: '', active: true, syncedAt: clock.now() });
    expect(await staff('sync.left')).toMatchObject({ active: false, source: 'wecom' });
  });

  it('keeps roles set locally, updates renamed and moved members, and deactivates members WeCom no longer lists', async () => {
    // Roles are Huifang's own: an import (or anyone) sets them; the sync must not touch them.
    await db().prisma.staff.update({ where: { wecomUserId: 'sync.nurse.qin' }, data: { roles: 'nurse' } });
    // An imported member with the same kind of name is never the sync's to change.
    const ward = await db().prisma.department.findUniqueOrThrow({ where: { code: 'wecom:21' } });
    await db().prisma.staff.create({ data: { id: ids.next(), wecomUserId: 'csv.only', name: '导入成员', departmentId: ward.id, roles: 'nurse', source: 'import' } });

    clock.advance(86_400_000);
    sim.upsertMember({ userid: 'sync.nurse.qin', name: '秦护士（新）', department: [30], main_department: 30, direct_leader: ['sync.dr.wu'] });
    sim.removeMember('sync.surgeon.han');
    sim.upsertDepartment({ id: 21, name: '心内科二病区（东院）', parentid: 20, department_leader: ['sync.dr.wu'] });

    const summary = await sync();
    expect(summary).toMatchObject({ created: 0, updated: 1, deactivated: 1, departmentsUpdated: 1, departmentsCreated: 0 });
    const surgery = await db().prisma.department.findUniqueOrThrow({ where: { code: 'wecom:30' } });
    expect(await staff('sync.nurse.qin')).toMatchObject({ name: '秦护士（新）', departmentId: surgery.id, roles: 'nurse', active: true, syncedAt: clock.now() });
    expect(await staff('sync.surgeon.han')).toMatchObject({ active: false });
    expect(await staff('csv.only')).toMatchObject({ active: true, source: 'import', name: '导入成员' });
    expect((await db().prisma.department.findUniqueOrThrow({ where: { code: 'wecom:21' } })).name).toBe('心内科二病区（东院）');

    const again = await sync();
    expect(again).toMatchObject({ created: 0, updated: 0, deactivated: 0, departmentsUpdated: 0, unchanged: 4 });
  });

  it('reads members through user/list_id and user/get when the app may not call user/list', async () => {
    sim.forbiddenContactApis.clear();
    sim.forbiddenContactApis.add('user/list');
    sim.listIdPageSize = 2;
    try {
      const summary = await sync({ dryRun: true });
      expect(summary).toMatchObject({ listing: 'user/list_id', membersSeen: 4, created: 0, deactivated: 0 });
      expect(sim.callsTo('user/list_id').length).toBeGreaterThan(1);
    } finally {
      sim.forbiddenContactApis.clear();
      sim.forbiddenContactApis.add('user/list_id');
      sim.listIdPageSize = 10_000;
    }
  });

  it('turns a missing visibility (60011) into an operator error naming 可见范围, changing nothing', async () => {
    sim.contactVisibility = [];
    const before = await db().prisma.staff.findMany({ orderBy: { id: 'asc' } });
    try {
      const error = await sync().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WecomContactAccessError);
      expect((error as Error).message).toMatch(/errcode 60011.*grant the app visibility.*可见范围/);
      expect(await db().prisma.staff.findMany({ orderBy: { id: 'asc' } })).toEqual(before);

      // Through the command: exit code 1 and the same sentence, for the operator.
      const config = loadConfig({
        DATABASE_URL: db().url,
        WECOM_CORP_ID: sim.corpId,
        WECOM_AGENT_ID: String(sim.agentId),
        WECOM_SECRET: sim.secret,
        WECOM_CALLBACK_TOKEN: sim.callbackToken,
        WECOM_ENCODING_AES_KEY: sim.encodingAesKey,
        WECOM_API_BASE: sim.baseUrl,
      });
      const app = createHuifang({ config, logger: createLogger({ level: 'silent' }), db: sharedDbClient(db()), clock });
      const err: string[] = [];
      const code = await runStaffCommand(['sync-wecom'], (fn) => fn(app), { out: () => undefined, err: (l) => err.push(l) });
      expect(code).toBe(1);
      expect(err.join('\n')).toContain('可见范围');
      expect(err.join('\n')).not.toContain(sim.secret);
    } finally {
      sim.contactVisibility = 'all';
    }
  });

  it('syncs only what the visible range holds: members outside it are deactivated, not deleted', async () => {
    sim.contactVisibility = [20];
    try {
      const summary = await sync();
      expect(summary.departmentsSeen).toBe(2);
      // sync.nurse.qin moved to 外科 (30), outside the range now; 吴主任 and 沈护士 stay.
      expect(await staff('sync.nurse.qin')).toMatchObject({ active: false, roles: 'nurse' });
      expect(await staff('sync.nurse.shen')).toMatchObject({ active: true });
    } finally {
      sim.contactVisibility = 'all';
    }
  });
});
