// From 1 November, while next year's holiday schedule is missing, operators are told how to add it: one
// log line per local day (not per reload tick) and a line in the weekly digest of administrators. Made-up
// year 2098: next year (2099) has no schedule in the shipped data.
import { beforeAll, expect, it } from 'vitest';
import { FakeClock } from '../../../bot/clocks.js';
import { loadConfig } from '../../../bot/config.js';
import { createHuifang, type Huifang } from '../../../bot/huifang.js';
import { createLogger } from '../../../bot/logger.js';
import { jobs } from '../../../jobs/index.js';
import type { StaffDocument } from '../../../bot/core/messages.js';
import { formatWecomMarkdown } from '../../../bot/channels/wecom/format-markdown.js';
import { describeEachDatabase } from '../../support/db.js';
import { seedOrganisation, sharedDbClient, TIME_ZONE } from '../../support/service.js';

const NOTICE = '尚无 2099 年节假日安排';
const LOG_MESSAGE = "next year's holiday schedule is missing";

describeEachDatabase('next year missing from the calendar', (db) => {
  const clock = new FakeClock('2098-10-31T10:00:00+08:00');
  const logLines: string[] = [];
  let app: Huifang;
  const warnings = () => logLines.map((l) => JSON.parse(l) as { level: number; msg: string; missingYear?: number }).filter((l) => l.msg.startsWith(LOG_MESSAGE));
  /** The digests of an ISO week as WeCom shows them, by recipient. */
  const digests = async (week: string) => {
    const rows = await db().prisma.outboxMessage.findMany({ where: { idempotencyKey: { startsWith: 'digest:', endsWith: `:${week}` } } });
    return new Map(
      rows.map((r) => {
        const payload = JSON.parse(r.payload) as { document: StaffDocument; to: { wecomUserId: string } };
        return [payload.to.wecomUserId, formatWecomMarkdown(payload.document)];
      }),
    );
  };

  beforeAll(async () => {
    const staff = await seedOrganisation(db());
    // 王主任 heads the ward and is also an administrator of the console; 刘院长 is not.
    await db().prisma.consoleUser.create({ data: { id: 'admin-wang', staffId: staff.get('kezhuren.wang')!, name: '王主任', role: 'admin' } });
    app = createHuifang({
      config: loadConfig({ DATABASE_URL: db().url, HUIFANG_TIMEZONE: TIME_ZONE }),
      logger: createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void logLines.push(line) } }),
      db: sharedDbClient(db()),
      clock,
    });
  });

  it('logs one warning per local day from 1 November, however often the calendar is reloaded, and none once next year is entered', async () => {
    await app.reloadCalendarOverlay();
    expect(warnings()).toEqual([]);
    // Before November: one info line per process saying reminders start on 1 November.
    expect(logLines.filter((l) => l.includes('reminders start on 1 November'))).toHaveLength(1);

    clock.set(new Date('2098-11-01T00:05:00+08:00'));
    await app.reloadCalendarOverlay();
    for (let i = 0; i < 3; i++) {
      clock.advance(5 * 60_000);
      await jobs['reload-calendar']!.run(app);
    }
    expect(warnings()).toEqual([expect.objectContaining({ level: 40, missingYear: 2099, msg: expect.stringContaining('huifang calendar import YEAR FILE.yaml') })]);
    clock.set(new Date('2098-11-02T00:01:00+08:00'));
    await jobs['reload-calendar']!.run(app);
    await jobs['reload-calendar']!.run(app);
    expect(warnings()).toHaveLength(2);
  });

  it("puts the missing year in the administrators' weekly digest only", async () => {
    clock.set(new Date('2098-11-03T09:30:00+08:00'));
    await jobs['send-weekly-digests']!.run(app);
    const sent = await digests('2098-W44');
    expect(sent.get('kezhuren.wang')).toContain(NOTICE);
    expect(sent.get('kezhuren.wang')).toContain('huifang calendar import 2099');
    expect(sent.get('yuanzhang.liu')).toBeDefined();
    expect(sent.get('yuanzhang.liu')).not.toContain(NOTICE);
  });

  it('stops both once next year is in the database', async () => {
    await app.console.admin.changeCalendarEntries(
      { put: [{ date: '2099-01-01', kind: 'holiday', name: '元旦', createdAt: clock.now(), createdBy: null }], remove: [] },
      { at: clock.now(), actorType: 'SYSTEM', actorId: null, action: 'calendar.year_imported', entityType: 'CalendarEntry', entityId: '2099' },
    );
    await jobs['reload-calendar']!.run(app);
    clock.set(new Date('2098-11-10T09:30:00+08:00'));
    await jobs['reload-calendar']!.run(app);
    expect(warnings()).toHaveLength(2);
    await jobs['send-weekly-digests']!.run(app);
    expect((await digests('2098-W45')).get('kezhuren.wang')).not.toContain(NOTICE);
  });
});
