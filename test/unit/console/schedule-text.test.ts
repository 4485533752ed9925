import { expect, it } from 'vitest';
import { scheduleText } from '../../../bot/console/pages/settings.js';
import { jobs } from '../../../jobs/index.js';

it('says every job schedule in words on the settings page', () => {
  expect(scheduleText('7 * * * * *')).toBe('每分钟');
  expect(scheduleText('37 23 * * * *')).toBe('每小时第 23 分');
  expect(scheduleText('0 23 3 * * *')).toBe('每天 03:23');
  expect(scheduleText(jobs['top-up-quotas']!.schedule)).toBe('每小时第 23 分');
  expect(scheduleText('0 0 9 * * 1')).toBe('0 0 9 * * 1');
});
