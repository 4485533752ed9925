// The settings page's 事件推送 card: administrators list, add (the secret shown once) and remove webhook
// subscriptions, audited as themselves; other roles cannot.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { ConsoleClient, pageText, signedInAsAdmin, signedInAsStaff } from '../../support/console-client.js';

describeEachDatabase('console webhook subscriptions', (db) => {
  const clock = new FakeClock('2026-11-10T09:00:00+08:00');
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  let admin: ConsoleClient;
  let adminId: string;
  let manager: ConsoleClient;

  beforeAll(async () => {
    const staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    http = await listen(app);
    ({ client: admin, userId: adminId } = await signedInAsAdmin(app, http.baseUrl));
    manager = await signedInAsStaff(app, http.baseUrl, staff.get('kezhuren.wang')!);
  });
  afterAll(async () => {
    await http?.close();
  });

  it('adds a subscription showing its secret once, lists it without the secret, and removes it', async () => {
    expect(pageText((await admin.get('/console/settings')).body)).toContain('尚无订阅');
    const added = await admin.post('/console/settings/webhooks', { url: 'https://crm.example.com/hooks/huifang', events: ['case.created', 'escalation.opened'] });
    expect(added.status).toBe(200);
    const secret = /whsec_[A-Za-z0-9_-]+/.exec(added.body)?.[0];
    expect(secret).toBeDefined();
    const page = await admin.get('/console/settings');
    expect(page.body).toContain('https://crm.example.com/hooks/huifang');
    expect(pageText(page.body)).toContain('案例登记、升级');
    expect(page.body).not.toContain(secret!);
    const [subscription] = await app.webhooks.listWebhookSubscriptions();

    expect((await admin.post(`/console/settings/webhooks/${subscription!.id}/remove`)).status).toBe(302);
    expect(await app.webhooks.listWebhookSubscriptions()).toEqual([]);
    const audit = await db().prisma.auditLog.findMany({ where: { entityId: subscription!.id }, orderBy: { at: 'asc' } });
    expect(audit.map((a) => [a.action, a.actorType, a.actorId])).toEqual([
      ['webhook.subscription_added', 'CONSOLE', adminId],
      ['webhook.subscription_removed', 'CONSOLE', adminId],
    ]);
  });

  it('adds one with its own timeout and attempts, and rotates its secret, showing the new one once', async () => {
    await admin.get('/console/settings');
    const added = await admin.post('/console/settings/webhooks', { url: 'https://ticket.example.com/in', events: 'escalation.opened', timeout: '5', attempts: '4' });
    expect(added.status).toBe(200);
    const first = /whsec_[A-Za-z0-9_-]+/.exec(added.body)![0];
    const [subscription] = await app.webhooks.listWebhookSubscriptions();
    expect(subscription).toMatchObject({ timeoutMs: 5000, maxAttempts: 4, previousSecretUntil: null });
    expect(pageText((await admin.get('/console/settings')).body)).toContain('5 秒／4 次');

    const rotated = await admin.post(`/console/settings/webhooks/${subscription!.id}/rotate`);
    expect(rotated.status).toBe(200);
    const second = /whsec_[A-Za-z0-9_-]+/.exec(rotated.body)![0];
    expect(second).not.toBe(first);
    expect(await app.webhooks.webhookSigning(subscription!.id, clock.now())).toEqual({ secrets: [second, first], timeoutMs: 5000 });
    const page = await admin.get('/console/settings');
    expect(pageText(page.body)).toContain('旧密钥签名至');
    expect(page.body).not.toContain(second);
    const refused = await admin.post('/console/settings/webhooks', { url: 'https://ticket.example.com/in', events: 'escalation.opened', attempts: '50' });
    expect(refused.status).toBe(400);
    await admin.get('/console/settings');
    await manager.get('/console');
    expect((await manager.post(`/console/settings/webhooks/${subscription!.id}/rotate`)).status).toBe(403);
    await admin.post(`/console/settings/webhooks/${subscription!.id}/remove`);
  });

  it('refuses a non-http URL or no events with a page saying why, and other roles altogether', async () => {
    await admin.get('/console/settings');
    const ftp = await admin.post('/console/settings/webhooks', { url: 'ftp://files.example.com/in', events: 'case.created' });
    expect([ftp.status, pageText(ftp.body)]).toEqual([400, expect.stringContaining('http://')]);
    const none = await admin.post('/console/settings/webhooks', { url: 'https://crm.example.com/h' });
    expect([none.status, pageText(none.body)]).toEqual([400, expect.stringContaining('至少选择一个')]);
    await manager.get('/console');
    expect((await manager.post('/console/settings/webhooks', { url: 'https://crm.example.com/h', events: 'case.created' })).status).toBe(403);
    expect(await app.webhooks.listWebhookSubscriptions()).toEqual([]);
  });
});
