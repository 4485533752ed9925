// The WeCom client's customer-contact calls (docs/protocols/wecom.md §12) against the simulator: every
// external contact of the members read in pages, a group send's refusals, and the outcome a member's
// confirmation gives it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { ChannelError } from '../../../bot/core/errors.js';
import { WecomClient } from '../../../bot/channels/wecom/wecom-client.js';
import { WecomContactGateway } from '../../../bot/channels/wecom/wecom-contact-gateway.js';
import { WecomSimulator } from '../../simulators/wecom/wecom-simulator.js';

let sim: WecomSimulator;
let client: WecomClient;

beforeEach(async () => {
  sim = await WecomSimulator.start({ users: ['guanjia.wang', 'guanjia.zhao', 'kefu.sun'] });
  client = new WecomClient({ corpId: sim.corpId, agentId: sim.agentId, secret: sim.secret, apiBase: sim.baseUrl, clock: new FakeClock('2026-11-02T01:30:00.000Z'), timeoutMs: 2_000 });
});

afterEach(async () => {
  await sim.close();
});

async function failure(promise: Promise<unknown>): Promise<ChannelError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChannelError);
  return error as ChannelError;
}

describe('WeCom customer contact through the client', () => {
  it('lists every external contact of the members with the feature, page by page, one entry per customer and member', async () => {
    const contacts = Array.from({ length: 130 }, (_, i) => ({
      external_userid: `wm${String(i).padStart(4, '0')}`,
      name: `客户${i}`,
      follow_users: [{ userid: i % 2 === 0 ? 'guanjia.wang' : 'guanjia.zhao', remark: `业主${i}`, remark_mobiles: [`1380000${String(i).padStart(4, '0')}`] }, ...(i === 7 ? [{ userid: 'kefu.sun' }] : [])],
    }));
    sim.setExternalContacts(contacts);
    const entries = await new WecomContactGateway(client).listExternalContacts();
    expect(entries).toHaveLength(131);
    expect(entries.filter((e) => e.externalUserId === 'wm0007').map((e) => e.followUserId).sort()).toEqual(['guanjia.zhao', 'kefu.sun']);
    expect(entries.find((e) => e.externalUserId === 'wm0012')).toEqual({ externalUserId: 'wm0012', followUserId: 'guanjia.wang', name: '客户12', remark: '业主12', mobiles: ['13800000012'] });
    // More than one page was read (100 at most per page).
    expect(sim.callsTo('externalcontact/batch/get_by_user').length).toBeGreaterThan(1);
  });

  it('refuses with 48002 (kind auth) when the app is not in 客户联系 → 可调用应用', async () => {
    sim.customerContactEnabled = false;
    const error = await failure(client.listFollowUsers());
    expect(error).toMatchObject({ providerCode: '48002', kind: 'auth' });
  });

  it('refuses an unknown external_userid (40096) and a sender without the feature (40003); lists a customer who is not the sender’s contact in fail_list', async () => {
    sim.setExternalContacts([{ external_userid: 'wmA', name: 'A', follow_users: [{ userid: 'guanjia.wang' }] }]);
    expect(await failure(client.addMsgTemplate({ sender: 'guanjia.wang', externalUserids: ['wmNobody'], text: '您好' }))).toMatchObject({ providerCode: '40096', kind: 'permanent' });
    expect(await failure(client.addMsgTemplate({ sender: 'kefu.sun', externalUserids: ['wmA'], text: '您好' }))).toMatchObject({ providerCode: '40003', kind: 'permanent' });
    sim.setExternalContacts([{ external_userid: 'wmB', name: 'B', follow_users: [{ userid: 'guanjia.zhao' }] }]);
    const created = await client.addMsgTemplate({ sender: 'guanjia.wang', externalUserids: ['wmA', 'wmB'], text: '您好' });
    expect(created.failList).toEqual(['wmB']);
    expect(created.msgid).toMatch(/^msg/);
  });

  it('reports a send as pending until the member confirms it, then sent; over the quota, failed; withdrawn, never sendable', async () => {
    sim.setExternalContacts([
      { external_userid: 'wmA', name: 'A', follow_users: [{ userid: 'guanjia.wang' }] },
      { external_userid: 'wmB', name: 'B', follow_users: [{ userid: 'guanjia.wang' }] },
    ]);
    sim.groupMessageRule = 'one_a_day';
    const gateway = new WecomContactGateway(client);
    const first = await client.addMsgTemplate({ sender: 'guanjia.wang', externalUserids: ['wmA'], text: '第一条' });
    const ask = (msgid: string, externalUserId = 'wmA') => gateway.outcomeOf({ providerMessageId: msgid, followUserId: 'guanjia.wang', externalUserId });
    expect(await ask(first.msgid)).toEqual({ status: 'pending' });
    expect(await client.getGroupMsgTasks(first.msgid)).toEqual([{ userid: 'guanjia.wang', status: 0, sendTime: null }]);
    sim.confirmGroupSend(first.msgid);
    expect(await ask(first.msgid)).toMatchObject({ status: 'sent' });
    expect((await client.getGroupMsgTasks(first.msgid))[0]).toMatchObject({ status: 2 });

    const second = await client.addMsgTemplate({ sender: 'guanjia.wang', externalUserids: ['wmA'], text: '第二条' });
    sim.confirmGroupSend(second.msgid);
    expect(await ask(second.msgid)).toEqual({ status: 'failed', reason: 'GROUP_MESSAGE_LIMIT' });

    const third = await client.addMsgTemplate({ sender: 'guanjia.wang', externalUserids: ['wmB'], text: '第三条' });
    await gateway.withdraw(third.msgid);
    expect(() => sim.confirmGroupSend(third.msgid)).toThrow(/cancelled/);
    expect(await ask(third.msgid, 'wmB')).toEqual({ status: 'pending' });
  });
});
