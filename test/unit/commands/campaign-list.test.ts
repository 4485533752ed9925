import { describe, expect, it } from 'vitest';
import { runCampaignCommand } from '../../../bot/commands/campaign.js';
import { parseCampaign } from '../../../bot/loaders/load-campaigns.js';
import { DataLoadError } from '../../../bot/loaders/data-load-error.js';
import { createMemoryService } from '../../support/memory-service.js';

async function list(args: string[] = []): Promise<string> {
  const app = await createMemoryService({ seed: false });
  const lines: string[] = [];
  const io = { out: (t: string) => lines.push(t), err: (t: string) => lines.push(`ERR ${t}`) };
  expect(await runCampaignCommand(['list', '--year', '2026', ...args], async (fn) => fn(app), io)).toBe(0);
  return lines.join('\n');
}

/** The lines of one campaign's block in the text listing. */
function block(text: string, key: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${key} — `));
  const end = lines.findIndex((l, i) => i > start && /^[a-z]/.test(l));
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

describe('huifang campaign list: sectors Tencent SMS does not serve', () => {
  it('flags the shipped campaigns whose sector cannot send them by SMS, and says what to use instead', async () => {
    const text = await list();
    expect(block(text, 'clinic_birthdays')).toMatch(/⚠ 行业 medical（医疗）不能用短信发送本活动：腾讯云审核标准禁止医疗内容的短信.*改用：企业微信客户联系/);
    expect(block(text, 'estate_holidays')).toMatch(/⚠ 行业 real_estate（房地产）不能用短信发送本活动：腾讯云目前只允许房地产行业发送验证码短信/);
    expect(block(text, 'piano_holidays')).toMatch(/⚠ 行业 education（教育培训）不能用短信发送本活动/);
    expect(block(text, 'property_festivals')).not.toMatch(/⚠/);
  });

  it('gives the sector and the warnings in --json, and flags wording of banned categories', async () => {
    const data = JSON.parse(await list(['--json'])) as { campaigns: { key: string; sector: string; smsAllowed: boolean; warnings: string[] }[] };
    expect(data.campaigns.map((c) => [c.key, c.sector, c.smsAllowed])).toEqual(
      expect.arrayContaining([
        ['clinic_birthdays', 'medical', false],
        ['estate_holidays', 'real_estate', false],
        ['piano_holidays', 'education', false],
        ['property_festivals', 'property', true],
      ]),
    );
    // The clinic's signature line names the hospital: medical wording, flagged as such.
    expect(data.campaigns.find((c) => c.key === 'clinic_birthdays')!.warnings.join('\n')).toMatch(/clinic_birthdays_patients.*医疗：医院/);
  });

  it('refuses an unknown sector with the line and the known ones', () => {
    let error: unknown;
    try {
      parseCampaign('key: x\ntitle: 问候\nsector: hospital\noccasions: [春节]\nsegments:\n  - key: all\n    text: "{salutation}您好！{occasion}快乐！"\n', 'x.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataLoadError);
    expect((error as DataLoadError).details).toEqual([expect.objectContaining({ line: 3, reason: expect.stringContaining('general, property') })]);
  });
});
