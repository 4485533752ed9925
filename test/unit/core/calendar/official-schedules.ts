/**
 * The 2025 and 2026 State Council schedules, typed in from docs/protocols/holiday-calendar.md §2
 * (国办发明电〔2024〕12号 for 2025; the 2025-11 notice for 2026) — independently of the chinese-days package,
 * so the package data can be checked against it (test/unit/loaders/load-calendar.test.ts).
 */
import { dateRange } from '../../../../bot/core/calendar/local-date.js';
import type { PublicHoliday, YearSchedule } from '../../../../bot/core/calendar/working-calendar.js';

function block(name: string, from: string, to: string): PublicHoliday[] {
  return dateRange(from, to).map((date) => ({ date, name }));
}

export const OFFICIAL_2025: YearSchedule = {
  year: 2025,
  source: 'docs/protocols/holiday-calendar.md §2 (国办发明电〔2024〕12号)',
  holidays: [
    ...block('元旦', '2025-01-01', '2025-01-01'),
    ...block('春节', '2025-01-28', '2025-02-04'),
    ...block('清明节', '2025-04-04', '2025-04-06'),
    ...block('劳动节', '2025-05-01', '2025-05-05'),
    ...block('端午节', '2025-05-31', '2025-06-02'),
    // 国庆节 and 中秋节 merged: Oct 1–8, 中秋 on Oct 6.
    ...block('国庆节', '2025-10-01', '2025-10-05'),
    ...block('中秋节', '2025-10-06', '2025-10-06'),
    ...block('国庆节', '2025-10-07', '2025-10-08'),
  ],
  makeupWorkdays: [
    { date: '2025-01-26', holiday: '春节' },
    { date: '2025-02-08', holiday: '春节' },
    { date: '2025-04-27', holiday: '劳动节' },
    { date: '2025-09-28', holiday: '国庆节' },
    { date: '2025-10-11', holiday: '国庆节' },
  ],
};

export const OFFICIAL_2026: YearSchedule = {
  year: 2026,
  source: 'docs/protocols/holiday-calendar.md §2 (2026 notice, published 2025-11)',
  holidays: [
    ...block('元旦', '2026-01-01', '2026-01-03'),
    ...block('春节', '2026-02-15', '2026-02-23'),
    ...block('清明节', '2026-04-04', '2026-04-06'),
    ...block('劳动节', '2026-05-01', '2026-05-05'),
    ...block('端午节', '2026-06-19', '2026-06-21'),
    ...block('中秋节', '2026-09-25', '2026-09-27'),
    ...block('国庆节', '2026-10-01', '2026-10-07'),
  ],
  makeupWorkdays: [
    { date: '2026-01-04', holiday: '元旦' },
    { date: '2026-02-14', holiday: '春节' },
    { date: '2026-02-28', holiday: '春节' },
    { date: '2026-05-09', holiday: '劳动节' },
    { date: '2026-09-20', holiday: '国庆节' },
    { date: '2026-10-10', holiday: '国庆节' },
  ],
};
