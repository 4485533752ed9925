import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyErrcode, ERRCODE_INVALID_CODE, ERRCODE_TASK_ID_USED, UNKNOWN_ERRCODE_RULE, WECOM_ERRCODES } from '../../../bot/channels/wecom/errcodes.js';

// Every row cites a numbered section of the protocol notes in the repository; the sections are read
// from the notes' own headings (`## 3. Limits`, `### 4.5 …`), so a renumbered or deleted section fails here.
const PROTOCOL_FILE = join(import.meta.dirname, '../../../docs/protocols/wecom.md');
const SECTIONS = new Set([...readFileSync(PROTOCOL_FILE, 'utf8').matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]));

describe('WeCom errcode table', () => {
  it('finds the numbered sections of docs/protocols/wecom.md', () => {
    expect([...SECTIONS]).toEqual(expect.arrayContaining(['1', '2', '3', '4.1', '4.4', '4.5', '5.1', '5.2', '9', '11.3', '11.4']));
  });

  it('links every row to an existing section of docs/protocols/wecom.md', () => {
    for (const [errcode, rule] of [...Object.entries(WECOM_ERRCODES), ['unknown', UNKNOWN_ERRCODE_RULE] as const]) {
      const section = /^docs\/protocols\/wecom\.md §(\d+(?:\.\d+)?)$/.exec(rule.ref)?.[1];
      expect(section, `errcode ${errcode}`).toBeDefined();
      expect(SECTIONS.has(section!), `errcode ${errcode} → §${section}`).toBe(true);
      expect(rule.name).toMatch(/^[A-Z][A-Z0-9_]*$/);
    }
  });

  it.each([
    [-1, 'retryable'],
    [45033, 'retryable'],
    [45009, 'rate_limited'],
    [40001, 'auth'],
    [40013, 'auth'],
    [40091, 'auth'],
    [60020, 'auth'],
    [48002, 'auth'],
    [40003, 'permanent'],
    [60111, 'permanent'],
    [81013, 'permanent'],
    [42014, 'permanent'],
    [40029, 'permanent'],
    [50001, 'auth'],
  ] as const)('classifies %i as %s', (errcode, kind) => {
    expect(classifyErrcode(errcode).kind).toBe(kind);
  });

  it('refreshes the token once for 40014, 42001 and 40001 only', () => {
    const refreshing = Object.entries(WECOM_ERRCODES)
      .filter(([, rule]) => rule.refreshToken)
      .map(([code]) => Number(code))
      .sort((a, b) => a - b);
    expect(refreshing).toEqual([40001, 40014, 42001]);
  });

  it('asks for a wait of about a minute on 45009', () => {
    expect(classifyErrcode(45009).retryAfterMs).toBe(60_000);
  });

  it("names WeCom's 企业可信IP setting for 60020", () => {
    expect(classifyErrcode(60020).meaning).toContain('企业可信IP');
  });

  it('gives 42014 its own name, for the "probably delivered" rule of §4.5', () => {
    expect(ERRCODE_TASK_ID_USED).toBe(42014);
    expect(classifyErrcode(42014)).toMatchObject({ name: 'TASK_ID_USED', ref: 'docs/protocols/wecom.md §4.5' });
  });

  it('treats a spent sign-in code (40029) as final and names the trusted-domain settings for 50001 (§11)', () => {
    expect(ERRCODE_INVALID_CODE).toBe(40029);
    expect(classifyErrcode(40029)).toMatchObject({ kind: 'permanent', name: 'INVALID_CODE', ref: 'docs/protocols/wecom.md §11.4' });
    expect(classifyErrcode(40029).refreshToken).toBeUndefined();
    expect(classifyErrcode(50001).meaning).toContain('可信域名');
    expect(classifyErrcode(50001).meaning).toContain('授权回调域');
  });

  it('does not map 45047, which is a WeChat Official Account code (§2)', () => {
    expect(classifyErrcode(45047)).toBe(UNKNOWN_ERRCODE_RULE);
  });

  it('treats unclassified errcodes as permanent and says where to add them', () => {
    expect(classifyErrcode(42033)).toMatchObject({ kind: 'permanent', name: 'UNCLASSIFIED' });
    expect(UNKNOWN_ERRCODE_RULE.meaning).toContain('errcodes.ts');
  });
});
