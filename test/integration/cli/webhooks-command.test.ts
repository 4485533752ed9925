/** `huifang webhooks add|list|remove` against both databases, through the command's own entry point. */
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { runWebhooksCommand } from '../../../bot/commands/webhooks.js';
import type { WithApp } from '../../../bot/commands/with-app.js';
import { describeEachDatabase } from '../../support/db.js';
import { collectOutput } from '../../support/command-output.js';
import { createTestService, sharedDbClient } from '../../support/service.js';

describeEachDatabase('huifang webhooks', (db) => {
  const clock = new FakeClock('2026-11-10T09:00:00+08:00');
  let app: Huifang;
  const withApp: WithApp = (fn) => fn(app);
  const webhooks = async (...args: string[]) => {
    const output = collectOutput();
    const code = await runWebhooksCommand(args, withApp, output);
    return { code, ...output };
  };

  beforeAll(() => {
    app = createTestService(db().url, sharedDbClient(db()), clock);
  });

  it('adds a subscription, showing its secret once, lists it without the secret, and removes it, audited', async () => {
    const added = await webhooks('add', 'https://crm.example.com/hooks/huifang', '--events', 'escalation.opened,case.created', '--json');
    expect(added.code).toBe(0);
    const subscription = JSON.parse(added.stdout) as { id: string; url: string; events: string[]; secret: string };
    expect(subscription).toMatchObject({ url: 'https://crm.example.com/hooks/huifang', events: ['case.created', 'escalation.opened'] });
    expect(subscription.secret).toMatch(/^whsec_.{40,}/);

    const listed = await webhooks('list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(subscription.id);
    expect(listed.stdout).toContain('case.created,escalation.opened');
    expect(listed.stdout).not.toContain(subscription.secret);
    expect((await webhooks('list', '--json')).stdout).not.toContain('whsec_');

    const removed = await webhooks('remove', subscription.id);
    expect(removed.code).toBe(0);
    expect((await webhooks('list')).stdout).toContain('没有订阅');
    const again = await webhooks('remove', subscription.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(subscription.id);
    const audit = await db().prisma.auditLog.findMany({ where: { entityType: 'WebhookSubscription' }, orderBy: { at: 'asc' } });
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([
      ['webhook.subscription_added', 'cli'],
      ['webhook.subscription_removed', 'cli'],
    ]);
  });

  it('refuses a URL that is not http(s), unknown events and missing arguments with clear errors', async () => {
    const ftp = await webhooks('add', 'ftp://files.example.com/in', '--events', 'case.created');
    expect([ftp.code, ftp.stderr]).toEqual([1, expect.stringContaining('http')]);
    const unknown = await webhooks('add', 'https://crm.example.com/h', '--events', 'case.deleted');
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('case.deleted')]);
    const noEvents = await webhooks('add', 'https://crm.example.com/h');
    expect([noEvents.code, noEvents.stderr]).toEqual([2, expect.stringContaining('--events')]);
    expect((await webhooks('frobnicate')).code).toBe(2);
    const help = await webhooks('--help');
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('followup.completed')]);
    expect(await db().prisma.webhookSubscription.count({ where: { active: true } })).toBe(0);
  });
});
