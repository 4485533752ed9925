// Signing in to the console and keeping a session (docs: README "Console"): single-use links, the
// sandbox picker, the session cookie and its expiries, sign-out, CSRF and Origin checks, and the rate
// limit on sign-in attempts. Real service, real database, real HTTP; the clock is a FakeClock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import type { Huifang } from '../../../bot/huifang.js';
import { createSignInLink } from '../../../bot/console/sign-in.js';
import { describeEachDatabase } from '../../support/db.js';
import { createTestService, listen, seedOrganisation, sharedDbClient } from '../../support/service.js';
import { ConsoleClient, pageText, signedInAsAdmin, signedInAsStaff } from '../../support/console-client.js';

const START = '2026-11-10T09:00:00+08:00';

describeEachDatabase('console sign-in and sessions', (db) => {
  const clock = new FakeClock(START);
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;
  let staff: Map<string, string>;

  beforeAll(async () => {
    staff = await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock, { env: { HUIFANG_CONSOLE_IDLE_MINUTES: '30', HUIFANG_CONSOLE_SESSION_HOURS: '2', HUIFANG_CONSOLE_SIGNIN_ATTEMPTS: '1000' } });
    http = await listen(app);
  });

  afterAll(async () => {
    await http?.close();
  });

  async function auditActions(entityId?: string): Promise<string[]> {
    const rows = await db().prisma.auditLog.findMany({ where: { action: { startsWith: 'console.' }, ...(entityId ? { entityId } : {}) }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
    return rows.map((r) => r.action);
  }

  /** Marks a staff member as having left (or back), as a staff import or the WeCom contact sync does. */
  async function setActive(wecomUserId: string, active: boolean): Promise<void> {
    await db().prisma.staff.update({ where: { id: staff.get(wecomUserId)! }, data: { active } });
    app.deps.org.invalidateOrgCache();
  }

  async function staffAccount(wecomUserId: string) {
    const staffId = staff.get(wecomUserId)!;
    return app.console.auth.ensureStaffConsoleUser({ id: app.deps.ids.next(), staffId, name: wecomUserId, at: clock.now() });
  }

  describe('without a session', () => {
    it('sends every page to the sign-in page and refuses every change', async () => {
      const client = new ConsoleClient(http.baseUrl);
      for (const path of ['/console', '/console/follow-ups', '/console/customers', '/console/settings', '/console/audit']) {
        const res = await client.get(path);
        expect(res.status, path).toBe(302);
        expect(res.location).toBe('/console/login');
      }
      const post = await client.post('/console/follow-ups/reassign', { id: 'x', toStaffId: staff.get('hushi.zhou')! }, { csrf: false });
      expect(post.status).toBe(401);
      expect(pageText(post.body)).toContain('登录已过期');
      const login = await client.get('/console/login');
      expect(login.status).toBe(200);
      expect(pageText(login.body)).toContain('体验模式');
    });
  });

  describe('single-use links', () => {
    it('signs in once: the GET only shows a confirmation (link previews do not spend it), the POST signs in, a second use is refused', async () => {
      const account = await staffAccount('kezhuren.wang');
      const { url, expiresAt } = await createSignInLink(app, account.id);
      expect(expiresAt.getTime() - clock.now().getTime()).toBe(10 * 60_000);
      const token = new URL(url).searchParams.get('t')!;

      const preview = new ConsoleClient(http.baseUrl);
      expect((await preview.get(`/console/login/link?t=${token}`)).status).toBe(200);
      expect((await preview.get(`/console/login/link?t=${token}`)).status).toBe(200);
      expect(preview.sessionCookie).toBeUndefined();

      const person = new ConsoleClient(http.baseUrl);
      const signedIn = await person.post('/console/login/link', { t: token }, { csrf: false });
      expect(signedIn.status).toBe(302);
      expect(signedIn.location).toBe('/console');
      const home = await person.get('/console');
      expect(home.status).toBe(200);
      expect(pageText(home.body)).toContain('负责人');

      const again = new ConsoleClient(http.baseUrl);
      const refused = await again.post('/console/login/link', { t: token }, { csrf: false });
      expect(refused.status).toBe(410);
      expect(pageText(refused.body)).toContain('登录链接已使用或已过期');
      expect(again.sessionCookie).toBeUndefined();
      expect(await auditActions(account.id)).toContain('console.signed_in');
    });

    it('refuses a link after its 10 minutes, and a malformed or unknown token', async () => {
      const account = await staffAccount('hushi.li');
      const { url } = await createSignInLink(app, account.id);
      const token = new URL(url).searchParams.get('t')!;
      clock.advance(10 * 60_000 + 1);
      try {
        const client = new ConsoleClient(http.baseUrl);
        expect((await client.post('/console/login/link', { t: token }, { csrf: false })).status).toBe(410);
        expect((await client.post('/console/login/link', { t: 'A'.repeat(43) }, { csrf: false })).status).toBe(410);
        expect((await client.get('/console/login/link?t=<script>')).status).toBe(400);
        expect(client.sessionCookie).toBeUndefined();
      } finally {
        clock.set(START);
      }
      const refusals = await db().prisma.auditLog.findMany({ where: { action: 'console.sign_in_refused' } });
      expect(refusals.length).toBeGreaterThanOrEqual(2);
      expect(refusals.every((r) => !JSON.stringify(r.details).includes(token))).toBe(true);
    });

    it('refuses a link of a staff member who has left since', async () => {
      const account = await staffAccount('zhuli.zheng');
      const { url } = await createSignInLink(app, account.id);
      await setActive('zhuli.zheng', false);
      try {
        const res = await new ConsoleClient(http.baseUrl).signInWithLink(url);
        expect(res.status).toBe(403);
        expect(pageText(res.body)).toContain('已停用或不再在职');
      } finally {
        await setActive('zhuli.zheng', true);
      }
    });
  });

  describe('the session cookie', () => {
    it('is HttpOnly, SameSite=Lax, limited to /console, not Secure over plain HTTP, and holds no account data', async () => {
      const account = await staffAccount('hushi.zhou');
      const { url } = await createSignInLink(app, account.id);
      const client = new ConsoleClient(http.baseUrl);
      const res = await client.signInWithLink(url);
      const cookie = res.setCookies.find((c) => c.startsWith('huifang_console='))!;
      expect(cookie).toMatch(/; path=\/console/);
      expect(cookie).toMatch(/; httponly/i);
      expect(cookie).toMatch(/; samesite=lax/i);
      expect(cookie).not.toMatch(/; secure/i);
      expect(client.sessionCookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(client.sessionCookie).not.toContain(account.id);
      // Only its hash is stored.
      const sessions = await db().prisma.consoleSession.findMany({ where: { userId: account.id } });
      expect(sessions.some((s) => s.tokenHash === client.sessionCookie)).toBe(false);
    });

    it('is Secure when the request came over HTTPS through the reverse proxy (X-Forwarded-Proto)', async () => {
      const account = await staffAccount('hushi.zhou');
      const { url } = await createSignInLink(app, account.id);
      const client = new ConsoleClient(http.baseUrl, { 'x-forwarded-proto': 'https' });
      const res = await client.signInWithLink(url);
      expect(res.status).toBe(302);
      expect(res.setCookies.find((c) => c.startsWith('huifang_console='))).toMatch(/; secure/i);
    });
  });

  describe('session expiry and sign-out', () => {
    it('ends a session unused for the idle time (30 minutes here)', async () => {
      const client = await signedInAsStaff(app, http.baseUrl, staff.get('hushizhang.chen')!);
      clock.advance(29 * 60_000);
      expect((await client.get('/console')).status).toBe(200);
      clock.advance(31 * 60_000);
      try {
        const res = await client.get('/console');
        expect(res.status).toBe(302);
        expect(res.location).toBe('/console/login');
      } finally {
        clock.set(START);
      }
    });

    it('ends a session at its absolute limit (2 hours here) however active it is', async () => {
      const client = await signedInAsStaff(app, http.baseUrl, staff.get('hushizhang.chen')!);
      try {
        for (let minutes = 20; minutes < 120; minutes += 20) {
          clock.set(new Date(new Date(START).getTime() + minutes * 60_000));
          expect((await client.get('/console/follow-ups')).status, `${minutes} min`).toBe(200);
        }
        clock.set(new Date(new Date(START).getTime() + 120 * 60_000));
        expect((await client.get('/console/follow-ups')).status).toBe(302);
      } finally {
        clock.set(START);
      }
    });

    it('signs out with the session CSRF token; the old cookie no longer opens anything', async () => {
      const client = await signedInAsStaff(app, http.baseUrl, staff.get('hushi.li')!);
      const stolen = client.sessionCookie;
      // Without the token, sign-out is refused (a cross-site form cannot sign people out).
      expect((await client.post('/console/logout', { _csrf: 'not-the-token' })).status).toBe(403);
      expect((await client.get('/console')).status).toBe(200);
      const out = await client.post('/console/logout');
      expect(out.status).toBe(302);
      expect(out.location).toBe('/console/login');
      expect(client.sessionCookie).toBeUndefined();
      const replay = new ConsoleClient(http.baseUrl);
      replay.sessionCookie = stolen;
      expect((await replay.get('/console')).status).toBe(302);
      expect(await auditActions()).toContain('console.signed_out');
    });

    it('ends the sessions of a staff member who leaves', async () => {
      const client = await signedInAsStaff(app, http.baseUrl, staff.get('weixiu.qian')!);
      expect((await client.get('/console')).status).toBe(200);
      await setActive('weixiu.qian', false);
      try {
        expect((await client.get('/console')).status).toBe(302);
      } finally {
        await setActive('weixiu.qian', true);
      }
    });
  });

  describe('forms from elsewhere', () => {
    it('refuses a change without the CSRF token, with another session’s token, or from another Origin — and changes nothing', async () => {
      const { client: admin } = await signedInAsAdmin(app, http.baseUrl);
      const other = await signedInAsStaff(app, http.baseUrl, staff.get('kezhuren.wang')!);
      const entry = { date: '2027-08-20', kind: 'closure', name: '院庆停诊' };
      const refusals = [
        await admin.post('/console/calendar/entries', entry, { csrf: false }),
        await admin.post('/console/calendar/entries', { ...entry, _csrf: other.csrf! }),
        await admin.post('/console/calendar/entries', entry, { headers: { origin: 'https://evil.example' } }),
        await admin.post('/console/calendar/entries', entry, { headers: { origin: 'null' } }),
      ];
      for (const res of refusals) {
        expect(res.status).toBe(403);
        expect(pageText(res.body)).toContain('请求已过期或来源不符');
      }
      expect(await db().prisma.calendarEntry.count()).toBe(0);
      // The same form from our own page goes through.
      const ok = await admin.post('/console/calendar/entries', entry);
      expect(ok.status).toBe(302);
      expect(await db().prisma.calendarEntry.count()).toBe(1);
      await admin.post('/console/calendar/entries/2027-08-20/remove');
      expect(await db().prisma.calendarEntry.count()).toBe(0);
    });

    it('refuses a sign-in form posted from another site', async () => {
      const account = await staffAccount('hushi.li');
      const { url } = await createSignInLink(app, account.id);
      const client = new ConsoleClient(http.baseUrl);
      const res = await client.post('/console/login/link', { t: new URL(url).searchParams.get('t')! }, { csrf: false, headers: { origin: 'https://evil.example' } });
      expect(res.status).toBe(403);
      expect(client.sessionCookie).toBeUndefined();
      // The link was not spent by the refused attempt.
      expect((await client.signInWithLink(url)).status).toBe(302);
    });
  });

  describe('the sandbox picker', () => {
    it('signs in as an example staff member while the staff channel is the sandbox; refuses an unknown one', async () => {
      const client = new ConsoleClient(http.baseUrl);
      expect((await client.get('/console/login')).body).toContain(staff.get('zhuguan.sun')!);
      const refused = await client.post('/console/login/sandbox', { staffId: 'no-such-staff' }, { csrf: false });
      expect(refused.status).toBe(400);
      const res = await client.post('/console/login/sandbox', { staffId: staff.get('zhuguan.sun')! }, { csrf: false });
      expect(res.status).toBe(302);
      const home = await client.get('/console');
      expect(home.status).toBe(200);
      expect(pageText(home.body)).toContain('孙主管');
      const account = await app.console.auth.findConsoleUserByStaff(staff.get('zhuguan.sun')!);
      const audit = await db().prisma.auditLog.findMany({ where: { action: 'console.signed_in', entityId: account!.id } });
      expect(audit.map((a) => JSON.parse(a.details) as { method: string })).toEqual([expect.objectContaining({ method: 'sandbox' })]);
    });
  });
});

describeEachDatabase('console sign-in rate limit', (db) => {
  const clock = new FakeClock(START);
  let app: Huifang;
  let http: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), clock, { env: { HUIFANG_CONSOLE_SIGNIN_ATTEMPTS: '3' } });
    http = await listen(app);
  });

  afterAll(async () => {
    await http?.close();
  });

  it('refuses the attempts of an address beyond the limit for the rest of the 15 minutes, audited; other addresses are not affected', async () => {
    // The reverse proxy appends the client's address to X-Forwarded-For; what the client wrote before it does not count.
    const attacker = new ConsoleClient(http.baseUrl, { 'x-forwarded-for': '203.0.113.7' });
    for (let i = 0; i < 3; i++) expect((await attacker.post('/console/login/link', { t: `guess${i}`.padEnd(43, 'x') }, { csrf: false })).status).toBe(410);
    const blocked = await attacker.post('/console/login/link', { t: 'guess3'.padEnd(43, 'x') }, { csrf: false });
    expect(blocked.status).toBe(429);
    expect(pageText(blocked.body)).toContain('登录尝试过于频繁');
    const spoofing = new ConsoleClient(http.baseUrl, { 'x-forwarded-for': '198.51.100.1, 203.0.113.7' });
    expect((await spoofing.post('/console/login/link', { t: 'guess4'.padEnd(43, 'x') }, { csrf: false })).status).toBe(429);

    // A real link of someone else, from another address, still works.
    const admin = await app.console.auth.createFirstAdmin({ id: app.deps.ids.next(), name: '管理员', at: clock.now() });
    const { url } = await createSignInLink(app, admin!.id);
    const colleague = new ConsoleClient(http.baseUrl, { 'x-forwarded-for': '203.0.113.8' });
    expect((await colleague.signInWithLink(url)).status).toBe(302);

    const throttled = await db().prisma.auditLog.findMany({ where: { action: 'console.sign_in_throttled' } });
    expect(throttled).toHaveLength(2);
    expect(throttled[0]!.details).toContain('203.0.113.7');

    clock.advance(15 * 60_000);
    expect((await attacker.post('/console/login/link', { t: 'guess5'.padEnd(43, 'x') }, { csrf: false })).status).toBe(410);
  });
});
