// `huifang console link`: the first administrator of a new installation, and sign-in links for staff,
// over a real database; the printed link signs in exactly once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import type { WithApp } from '../../../bot/commands/with-app.js';
import { runConsoleCommand } from '../../../bot/commands/console.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { collectOutput } from '../../support/command-output.js';
import { ConsoleClient, pageText } from '../../support/console-client.js';

describeEachDatabase('huifang console link', (db) => {
  const clock = new FakeClock('2026-11-10T09:00:00+08:00');
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  const withApp: WithApp = (fn) => fn(app);

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock);
    http = await listen(app);
  });

  afterAll(async () => {
    await http?.close();
  });

  /** The link as printed, pointed at the test server (PUBLIC_BASE_URL is the default localhost one). */
  const local = (url: string) => url.replace(app.config.publicBaseUrl, http.baseUrl);

  it('creates the first administrator with --bootstrap-admin and prints a link that signs them in once', async () => {
    const output = collectOutput();
    expect(await runConsoleCommand(['link', '--bootstrap-admin', '--name', '信息科张工'], withApp, output)).toBe(0);
    expect(output.outLines).toHaveLength(1);
    const url = output.outLines[0]!;
    expect(url).toMatch(/^http:\/\/localhost:\d+\/console\/login\/link\?t=[A-Za-z0-9_-]{43}$/);
    expect(output.stderr).toContain('valid 10 minutes');
    const admins = await db().prisma.consoleUser.findMany({ where: { role: 'admin' } });
    expect(admins.map((a) => a.name)).toEqual(['信息科张工']);
    expect(await db().prisma.auditLog.count({ where: { action: 'console.admin_bootstrapped', entityId: admins[0]!.id } })).toBe(1);

    const client = new ConsoleClient(http.baseUrl);
    expect((await client.signInWithLink(local(url))).location).toBe('/console');
    const settings = await client.get('/console/settings');
    expect(settings.status).toBe(200);
    expect(pageText(settings.body)).toContain('信息科张工');
    expect((await new ConsoleClient(http.baseUrl).signInWithLink(local(url))).status).toBe(410);
  });

  it('refuses a second bootstrap once an administrator exists (exit 1), creating nothing', async () => {
    const output = collectOutput();
    expect(await runConsoleCommand(['link', '--bootstrap-admin'], withApp, output)).toBe(1);
    expect(output.stderr).toContain('An administrator already exists');
    expect(output.outLines).toEqual([]);
    expect(await db().prisma.consoleUser.count({ where: { role: 'admin' } })).toBe(1);
  });

  it('prints a link for a staff member with --user (JSON with --json), refuses an unknown one', async () => {
    const output = collectOutput();
    expect(await runConsoleCommand(['link', '--user', 'kezhuren.wang', '--json'], withApp, output)).toBe(0);
    const printed = JSON.parse(output.outLines[0]!) as { url: string; expiresAt: string; userId: string };
    expect(new Date(printed.expiresAt).getTime() - clock.now().getTime()).toBe(10 * 60_000);
    const client = new ConsoleClient(http.baseUrl);
    expect((await client.signInWithLink(local(printed.url))).location).toBe('/console');
    expect(pageText((await client.get('/console')).body)).toContain('王主任');

    const unknown = collectOutput();
    expect(await runConsoleCommand(['link', '--user', 'nobody.here'], withApp, unknown)).toBe(1);
    expect(unknown.stderr).toContain('No active staff member has the WeCom UserID "nobody.here"');
  });

  it('answers usage errors with exit 2 and the usage, and --help with exit 0', async () => {
    for (const args of [['link'], ['link', '--bootstrap-admin', '--user', 'x'], ['link', '--user', 'x', '--name', 'y'], ['links'], ['link', '--colour']]) {
      const output = collectOutput();
      expect(await runConsoleCommand(args, withApp, output), args.join(' ')).toBe(2);
      expect(output.stderr).toContain('huifang console link --bootstrap-admin');
    }
    const help = collectOutput();
    expect(await runConsoleCommand(['--help'], withApp, help)).toBe(0);
    expect(help.stdout).toContain('--user WECOM_USERID');
  });
});
