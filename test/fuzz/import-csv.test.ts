// Malformed CSV rows through `huifang import` on every database: text no database stores (a NUL byte)
// and dates outside 1900–2999 are refused naming line and column, nothing is imported, and SQLite and
// PostgreSQL answer alike. Each case is a file's lines; add one by adding an entry.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../support/db.js';
import { FakeClock } from '../../bot/clocks.js';
import { runImportCommand } from '../../bot/commands/import.js';
import { ROOT_DIR, type Huifang } from '../../bot/huifang.js';
import { createTestService, seedOrganisation, sharedDbClient } from '../support/service.js';

interface CsvCase {
  name: string;
  kind: 'cases' | 'customers' | 'staff';
  lines: string[];
  /** Must appear in the command's error output. */
  expected: RegExp;
}

const CASES = 'type,external_id,occurred_at,responsible_staff,customer_name,customer_phone';
const corpus: CsvCase[] = [
  { name: 'a NUL byte in a case customer name', kind: 'cases', lines: [CASES, 'discharge,FZ-1,2026-11-18 15:30,hushi.li,王\u0000,13800334460'], expected: /line 2 \[customer_name\]: contains the NUL character/ },
  { name: 'a NUL byte in a case external id', kind: 'cases', lines: [CASES, 'discharge,FZ\u00002,2026-11-18 15:30,hushi.li,王,13800334460'], expected: /line 2 \[external_id\]: contains the NUL character/ },
  { name: 'a NUL byte in an unnamed column', kind: 'cases', lines: [CASES, 'discharge,FZ-3,2026-11-18 15:30,hushi.li,王,13800334460,\u0000'], expected: /line 2: contains the NUL character/ },
  { name: 'a case in year 9999 (local time)', kind: 'cases', lines: [CASES, 'discharge,FZ-4,9999-12-31 15:30,hushi.li,王,13800334460'], expected: /line 2 \[occurred_at\]: .*between 1900-01-01 and 2999-12-31/ },
  { name: 'a case in year 0000 (local time)', kind: 'cases', lines: [CASES, 'discharge,FZ-5,0000-01-01 00:00,hushi.li,王,13800334460'], expected: /line 2 \[occurred_at\]/ },
  { name: 'a case in year 0099 (local time, not 1999)', kind: 'cases', lines: [CASES, 'discharge,FZ-6,0099-01-01 00:00,hushi.li,王,13800334460'], expected: /line 2 \[occurred_at\]/ },
  { name: 'a case in year 9999 (with offset)', kind: 'cases', lines: [CASES, 'discharge,FZ-7,9999-12-31T15:30:00+08:00,hushi.li,王,13800334460'], expected: /line 2 \[occurred_at\]/ },
  { name: 'a NUL byte in a customer row', kind: 'customers', lines: ['external_id,name,phone', 'C-1,李\u0000,13800334470'], expected: /line 2 \[name\]: contains the NUL character/ },
  { name: 'a NUL byte in a staff row', kind: 'staff', lines: ['wecom_user_id,name,department', 'fz.a\u0000,张,NEI'], expected: /line 2 \[wecom_user_id\]: contains the NUL character/ },
];

const outcomes = new Map<string, Map<string, number>>();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'huifang-fuzz-csv-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEachDatabase('malformed CSV imports', (db) => {
  let app: Huifang;
  beforeAll(async () => {
    await seedOrganisation(db());
    app = createTestService(db().url, sharedDbClient(db()), new FakeClock('2026-11-20T10:00:00+08:00'));
  });

  it.each(corpus.map((c) => [c.name, c] as const))('%s: refused by line and column, nothing imported, same on every database', async (name, csv) => {
    const path = join(dir, `${db().provider}-${corpus.indexOf(csv)}.csv`);
    writeFileSync(path, `${csv.lines.join('\n')}\n`);
    const before = { cases: await db().prisma.case.count(), customers: await db().prisma.customer.count(), staff: await db().prisma.staff.count() };
    const err: string[] = [];
    const code = await runImportCommand([csv.kind, path], (fn) => fn(app), ROOT_DIR, { out: () => {}, err: (l) => err.push(l) });
    expect(err.join('\n')).toMatch(csv.expected);
    expect(code).toBe(1);
    expect({ cases: await db().prisma.case.count(), customers: await db().prisma.customer.count(), staff: await db().prisma.staff.count() }).toEqual(before);
    const byDb = outcomes.get(name) ?? new Map<string, number>();
    byDb.set(db().provider, code);
    outcomes.set(name, byDb);
    expect(new Set(byDb.values()).size).toBe(1);
  });
});
