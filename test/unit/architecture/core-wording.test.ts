import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// STYLE A9: what staff and customers read is data in templates/messages, not code. Chinese left in
// bot/core code (comments aside) is vocabulary the core parses or data it computes with, in these files.
const CORE = join(import.meta.dirname, '../../../bot/core');
const ALLOWED: Readonly<Record<string, string>> = {
  'surveys/parse-reply.ts': 'the words customers reply with (满意, 不满意, 退订, R …), parsed',
  'escalation/rules.ts': 'complaint words looked for in free-text answers (投诉, 12345 …), parsed',
  'follow-ups/answer-staff-message.ts': 'the commands staff send (我的任务, 今日回访), parsed',
  'calendar/traditional-festivals.ts': 'festival data',
  'greetings/occasions.ts': 'festival data',
  'calendar/local-date.ts': 'date formatting helper (周六)',
  'time.ts': 'date formatting helpers (M月D日)',
  'surveys/definitions.ts': 'default labels of the survey scales, which templates/surveys may replace',
  'policies/find-step.ts': 'the built-in policy step of second follow-ups (二次回访), policy data like the packs’ steps',
  'policies/plan-follow-ups.ts': 'the title of a recurring step’s occurrence, shown by `huifang policy simulate`',
  'greetings/eligibility.ts': 'why a customer was not greeted, printed by `huifang campaign` for the operator',
  'sms/sms-template-rules.ts': 'words of the content categories Tencent bans, looked for in SMS texts',
  'templates/wechat-keywords.ts': 'the date formats WeChat keyword values take (年月日), parsed',
  'sms/sms-sectors.ts': 'what Tencent lets each sector send, printed by `huifang campaign list` for the operator',
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The source without comments (kept line for line). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

describe('wording outside bot/core', () => {
  for (const file of files(CORE)) {
    const name = relative(CORE, file).split('\\').join('/');
    if (ALLOWED[name]) continue;
    it(`${name} has no Chinese outside comments (messages are in templates/messages)`, () => {
      const lines = code(readFileSync(file, 'utf8'))
        .split('\n')
        .flatMap((line, i) => (/[\u3400-\u9fff]/.test(line) ? [`${i + 1}: ${line.trim()}`] : []));
      expect(lines).toEqual([]);
    });
  }

  it('allows only files that exist', () => {
    for (const name of Object.keys(ALLOWED)) expect(statSync(join(CORE, name)).isFile(), name).toBe(true);
  });
});
