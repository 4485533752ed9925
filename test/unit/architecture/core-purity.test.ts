import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// STYLE A3: bot/core is pure — no I/O, no wall clock, no randomness, no environment, no frameworks.
const CORE = join(import.meta.dirname, '../../../bot/core');
const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\.now\(/, 'Date.now()'],
  [/new Date\(\s*\)/, 'argument-less new Date()'],
  [/\bMath\.random\(/, 'Math.random()'],
  [/\bprocess\.env\b/, 'process.env'],
  [/from ['"](koa|@koa\/router|node-cron|pino|pg|better-sqlite3|tencentcloud-sdk-nodejs-sms|@wecom\/crypto)['"]/, 'a framework, driver or provider SDK'],
  [/from ['"]@prisma\/|prisma\/generated/, 'Prisma'],
  [/from ['"]node:(fs|http|https|net|child_process)['"]/, 'node I/O modules'],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('bot/core purity', () => {
  const sources = files(CORE);
  it('finds the core sources', () => {
    expect(sources.length).toBeGreaterThan(10);
  });
  for (const file of sources) {
    it(`${relative(CORE, file)} uses no clock, randomness, environment or I/O`, () => {
      const text = readFileSync(file, 'utf8');
      const violations = FORBIDDEN.filter(([pattern]) => pattern.test(text)).map(([, what]) => what);
      expect(violations).toEqual([]);
    });
  }
});
