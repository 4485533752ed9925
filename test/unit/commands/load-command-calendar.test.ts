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
      '警告: 节假日日历尚未包含 2100 年（2100 年暂按周末休息计算）— add templates/calendar/2100.yaml once the State Council publishes the 2100 schedule (format: templates/calendar/README.md)',
    ]);
  });

  it('says so when working-day questions beyond the data are refused', () => {
    const err: string[] = [];
    loadCommandCalendar(loadConfig({ HUIFANG_CALENDAR_BEYOND_DATA: 'error' }), { out: () => undefined, err: (t) => void err.push(t) }, { now: new Date('2101-06-01T00:00:00+08:00') });
    expect(err).toEqual([expect.stringMatching(/^警告: 节假日日历尚未包含 2102 年（涉及 2102 年工作日的计算将失败）— add templates\/calendar\/2102\.yaml/)]);
  });
});
