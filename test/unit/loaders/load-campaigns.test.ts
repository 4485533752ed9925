import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCampaigns, parseCampaign } from '../../../bot/loaders/load-campaigns.js';
import { DataLoadError } from '../../../bot/loaders/data-load-error.js';

function problemsOf(text: string): string[] {
  try {
    parseCampaign(text, 'bad.yaml', { caseTypes: new Set(['repair']) });
  } catch (err) {
    if (err instanceof DataLoadError) return err.problems;
    throw err;
  }
  return [];
}

describe('greeting campaign files', () => {
  it('loads the shipped campaigns (disabled until an administrator enables them)', () => {
    const campaigns = loadCampaigns();
    expect(campaigns.map((c) => c.key).sort()).toEqual(['clinic_birthdays', 'estate_holidays', 'piano_holidays', 'property_festivals']);
    expect(campaigns.every((c) => !c.enabled)).toBe(true);
    for (const c of campaigns) for (const s of c.segments) expect(s.text.body.endsWith('拒收请回复R')).toBe(true);
  });

  it('reports every problem with file, line and reason', () => {
    const problems = problemsOf(
      [
        'key: test',
        'title: 测试',
        'occasions: [春节, 愚人节, birthday]',
        'audience:',
        '  activeCases: [repair, sale]',
        'send:',
        '  window: "07:00-09:00"',
        'segments:',
        '  - key: all',
        '    text: "{salutation}{occasion}快乐【测试】"',
      ].join('\n'),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^bad\.yaml:3: occasions\.1: unknown occasion "愚人节"/),
      expect.stringMatching(/^bad\.yaml:7: send\.window: greetings are marketing SMS, which Tencent sends only 08:00–22:00/),
      expect.stringMatching(/^bad\.yaml:7: send\.window: the send window overlaps the quiet hours/),
      expect.stringMatching(/^bad\.yaml:5: audience\.activeCases\.1: no policy pack handles case type "sale"/),
      expect.stringMatching(/^bad\.yaml:9: segments\.0: the campaign greets birthdays: give this segment a birthdayText/),
      expect.stringMatching(/^bad\.yaml:10: segments\.0\.text: two variables are adjacent/),
      expect.stringMatching(/^bad\.yaml:10: segments\.0\.text: no 【】 in the text/),
    ]);
  });

  it('reports schema errors and unknown variables with their line', () => {
    expect(problemsOf('key: Test\ntitle: x\nsegments: []\n')).toEqual([
      expect.stringMatching(/^bad\.yaml:1: key: the campaign key must be/),
      expect.stringMatching(/^bad\.yaml:3: segments: a campaign needs at least one segment/),
    ]);
    expect(problemsOf('key: t\ntitle: x\noccasions: [中秋]\nsegments:\n  - key: a\n    text: "{name}您好，请访问 www.example.com"\n')).toEqual([
      expect.stringMatching(/^bad\.yaml:6: segments\.0\.text: \{name\} is not a greeting variable/),
      expect.stringMatching(/^bad\.yaml:6: segments\.0\.text: no links in greetings/),
    ]);
  });

  it('refuses two campaigns with the same key across files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'huifang-campaigns-'));
    const text = 'key: same\ntitle: x\noccasions: [中秋]\nsegments:\n  - key: a\n    text: "{salutation}您好，{occasion}快乐"\n';
    writeFileSync(join(dir, 'a.yaml'), text);
    writeFileSync(join(dir, 'b.yaml'), text);
    expect(() => loadCampaigns(dir)).toThrow(/campaign key "same" is also used by/);
  });
});
