import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../bot/config.js';
import { loadCommandCalendar } from '../../../bot/commands/load-command-calendar.js';

describe('loadCommandCalendar', () => {
  // 2100 is beyond any holiday data there will ever be in the package.
  const now = new Date('2099-06-01T00:00:00+08:00');

  it('warns once per process that next year has no holiday schedule, however often it is asked about', () => {
    const err: string[] = [];
    const output = { out: () => undefined, err: (t: string) => void err.push(t) };
    const config = loadConfig({});
    const calendar = loadCommandCalendar(config, output, { now });
    for (const date of ['2100-01-04', '2100-03-01', '2100-10-01']) expect(calendar.dayInfo(date)).toMatchObject({ assumed: true });
    loadCommandCalendar(config, output, { now }).isWorkingDay('2100-05-05');
    expect(err).toEqual([
      "警告: 节假日日历尚未包含 2100 年（2100 年暂按周末休息计算）— once the State Council publishes the 2100 schedule, run huifang calendar import 2100 FILE.yaml or enter it in the console's 日历 page (docs/calendar.md)",
    ]);
  });

  it('says so when working-day questions beyond the data are refused', () => {
    const err: string[] = [];
    loadCommandCalendar(loadConfig({ HUIFANG_CALENDAR_BEYOND_DATA: 'error' }), { out: () => undefined, err: (t) => void err.push(t) }, { now: new Date('2101-06-01T00:00:00+08:00') });
    expect(err).toEqual([expect.stringMatching(/^警告: 节假日日历尚未包含 2102 年（涉及 2102 年工作日的计算将失败）— .* run huifang calendar import 2102 FILE\.yaml/)]);
  });

  it('counts the days kept in the database: no warning once next year was entered there, and its days apply', () => {
    const err: string[] = [];
    const output = { out: () => undefined, err: (t: string) => void err.push(t) };
    const entries = [
      { date: '2097-01-01', kind: 'holiday' as const, name: '元旦', createdAt: new Date(0), createdBy: null },
      { date: '2097-01-05', kind: 'workday' as const, name: '元旦', createdAt: new Date(0), createdBy: null },
    ];
    const calendar = loadCommandCalendar(loadConfig({}), output, { now: new Date('2096-06-01T00:00:00+08:00'), entries });
    expect(err).toEqual([]);
    expect(calendar.isCovered(2097)).toBe(true);
    // 2097-01-05 is a Saturday, worked.
    expect(calendar.dayInfo('2097-01-05')).toMatchObject({ kind: 'makeup_workday', isWorkingDay: true, assumed: false });
  });
});
