// The standalone WeCom simulator (`npm run sim:wecom`) against a running service: the variables it
// prints configure the service, its page lists the card a member received, and tapping a button
// there sends the real signed and encrypted callback that records the outcome.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../../support/db.js';
import { loadConfig } from '../../../bot/config.js';
import { startStandaloneWecom, type StandaloneWecom, type UiMessage } from '../../simulators/wecom/standalone.js';
import { createDueFollowUp, dispatch, startWecomService, type WecomTestService } from './wecom-service.js';

describeEachDatabase('standalone WeCom simulator', (db) => {
  let standalone: StandaloneWecom;
  let service: WecomTestService;

  beforeAll(async () => {
    standalone = await startStandaloneWecom({ port: 0 });
    // The printed variables are a valid WeCom configuration pointing at the simulator.
    expect(loadConfig({ ...standalone.env }).wecom).toMatchObject({ corpId: standalone.sim.corpId, apiBase: standalone.sim.baseUrl });
    service = await startWecomService(db(), { sim: standalone.sim });
    standalone.callbackUrl = service.callbackUrl;
  });
  afterAll(async () => {
    await service?.close();
    await standalone?.close();
  });

  const cardsOf = async (userid: string): Promise<UiMessage[]> => {
    const state = (await (await fetch(`${standalone.sim.baseUrl}/ui/state`)).json()) as { members: { userid: string; messages: UiMessage[] }[] };
    return state.members.find((m) => m.userid === userid)?.messages ?? [];
  };

  it('shows the card on its page and a tap there records the outcome and greys the card out', async () => {
    const due = await createDueFollowUp(service, 'hushi.li');
    await dispatch(service);

    const page = await (await fetch(standalone.pageUrl)).text();
    expect(page).toContain('hushi.li');
    expect(page).toContain(`data-task="${due.taskId}"`);
    const [card] = (await cardsOf('hushi.li')).filter((m) => m.taskId === due.taskId);
    expect(card!.buttons.map((b) => b.key)).toContain(due.key('satisfied'));
    expect(card!.done).toBeNull();

    const tap = await fetch(`${standalone.sim.baseUrl}/ui/tap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userid: 'hushi.li', taskId: due.taskId, key: due.key('satisfied') }),
    });
    expect(tap.status).toBe(200);
    expect(await tap.json()).toEqual({ status: 200 });
    // The callback is answered first and processed after: wait for the recorded tap to be handled.
    const handled = await service.monitor.waitFor('inbox:processed', (e) => e.source === 'wecom' && e.dedupeKey.includes(due.taskId), 'the tap to be recorded');
    expect(handled.status).toBe('PROCESSED');
    expect(await db().prisma.followUp.findUniqueOrThrow({ where: { id: due.followUpId } })).toMatchObject({ status: 'DONE' });

    await dispatch(service);
    const [updated] = (await cardsOf('hushi.li')).filter((m) => m.taskId === due.taskId);
    expect(updated!.done).not.toBeNull();
    expect(await (await fetch(standalone.pageUrl)).text()).not.toContain(`data-task="${due.taskId}"`);
  });

  it('sends a member text such as 我的任务 from its page, and shows the answer', async () => {
    const before = (await cardsOf('hushi.zhou')).length;
    const sent = await fetch(`${standalone.sim.baseUrl}/ui/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userid: 'hushi.zhou', content: '我的任务' }),
    });
    expect(sent.status).toBe(200);
    await service.monitor.waitFor('inbox:processed', (e) => e.source === 'wecom' && e.kind === 'staff_message', 'the member text to be handled');
    await dispatch(service);
    const messages = await cardsOf('hushi.zhou');
    expect(messages.length).toBe(before + 1);
    const answer = messages[0]!;
    expect(answer.msgtype).not.toBe('template_card');
  });

  it('answers 502 with the reason when the service cannot be reached', async () => {
    const saved = standalone.callbackUrl;
    standalone.callbackUrl = 'http://127.0.0.1:9/wecom/callback';
    try {
      const response = await fetch(`${standalone.sim.baseUrl}/ui/text`, { method: 'POST', body: JSON.stringify({ userid: 'hushi.li', content: '我的任务' }) });
      expect(response.status).toBe(502);
    } finally {
      standalone.callbackUrl = saved;
    }
  });
});
