import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicyPacks } from '../../../bot/loaders/load-policies.js';
import { simulateCase, formatInstant } from '../../../bot/policies/simulate.js';
import { exampleOrgSnapshot } from '../../../bot/example/example-organisation.js';
import { loadCalendar } from '../../../bot/loaders/load-calendar.js';
import type { CaseBody } from '../../../bot/cases/case-body.js';
import { runSimulateCommand } from '../../../bot/commands/simulate.js';
import { collectOutput } from '../../support/command-output.js';

const ROOT = join(import.meta.dirname, '../../..');
const packs = loadPolicyPacks(join(ROOT, 'templates/policies'));
const policy = (id: string) => packs.find((p) => p.id === id)!;
const { calendar } = loadCalendar();

const discharge: CaseBody = {
  type: 'discharge',
  externalId: 'ZY-SIM-1',
  occurredAt: '2026-11-03T15:30:00+08:00',
  department: 'cardiology',
  responsibleStaff: 'hushi.li',
  attributes: { severity: 'normal' },
  customer: { name: '王秀英', phone: '13800000001' },
};

describe('simulateCase', () => {
  it('lists a discharge timeline in due order with assignees and sampling (000 第四篇 3「出院7-15天内…电话回访」)', () => {
    const result = simulateCase({ policy: policy('P4'), body: discharge, org: exampleOrgSnapshot(), calendar, timeZone: 'Asia/Shanghai' });
    expect(result.followUps.map((f) => [f.step, f.dueAt, f.deadlineAt])).toEqual([
      ['survey', '2026-11-06T10:00:00+08:00', '2026-11-16T20:00:00+08:00'],
      ['phone', '2026-11-10T09:00:00+08:00', '2026-11-18T23:59:00+08:00'],
    ]);
    expect(result.followUps[1]!.assignee).toEqual({ rule: 'responsible', staff: { wecomUserId: 'hushi.li', name: '李护士' } });
    expect(result.followUps[0]!.assignee).toBeNull();
    expect(result.followUps.every((f) => f.sampling.kept)).toBe(true);
    expect(result.notices).toEqual([]);
  });

  it('stops at --until and reports what waits for a milestone', () => {
    const complaint: CaseBody = {
      type: 'property_complaint',
      externalId: 'TS-SIM-1',
      occurredAt: '2026-11-02T09:10:00+08:00',
      department: 'service-centre',
      responsibleStaff: 'zhuli.wu',
      attributes: { severity: 'general' },
      customer: { name: '陈静' },
    };
    const waiting = simulateCase({ policy: policy('P7'), body: complaint, org: exampleOrgSnapshot(), calendar, timeZone: 'Asia/Shanghai' });
    expect(waiting.followUps).toEqual([]);
    expect(waiting.waiting).toEqual([{ step: 'complaint_followup', anchor: 'milestone:handled' }]);
    const early = simulateCase({
      policy: policy('P4'),
      body: discharge,
      org: exampleOrgSnapshot(),
      calendar,
      timeZone: 'Asia/Shanghai',
      until: new Date('2026-11-08T00:00:00+08:00'),
    });
    expect(early.followUps.map((f) => f.step)).toEqual(['survey']);
  });

  it('simulates staff the organisation does not have as placeholders, and says so', () => {
    const result = simulateCase({ policy: policy('P4'), body: { ...discharge, responsibleStaff: 'nurse.unknown' }, org: exampleOrgSnapshot(), calendar, timeZone: 'Asia/Shanghai' });
    expect(result.followUps.find((f) => f.step === 'phone')!.assignee?.staff).toEqual({ wecomUserId: 'nurse.unknown', name: 'nurse.unknown' });
    expect(result.notices).toEqual(['responsibleStaff "nurse.unknown" is not in the organisation: simulated as a member without roles or supervisor']);
  });

  it('formats instants in the organisation’s timezone whatever the process TZ', () => {
    expect(formatInstant(new Date('2026-11-03T15:59:00Z'), 'Asia/Shanghai')).toBe('2026-11-03T23:59:00+08:00');
    expect(formatInstant(new Date('2026-11-03T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-04T00:00:00+08:00');
  });
});

describe('huifang simulate', () => {
  // In-process, as the CLI calls it; the binary's exit codes, and its times under another process
  // timezone (TZ=America/New_York), end to end: test/integration/cli.
  const dir = mkdtempSync(join(tmpdir(), 'huifang-sim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'case.json');
  writeFileSync(file, JSON.stringify(discharge));
  async function run(...args: string[]) {
    const output = collectOutput();
    // No database: the days kept in one are passed in (none).
    const code = await runSimulateCommand(args, output, { readEntries: async () => [] });
    return { code, stdout: output.stdout, stderr: output.stderr };
  }

  it('prints the documented JSON shape', async () => {
    const out = await run('--policy', 'P4', '--case', file, '--json');
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(Object.keys(json).sort()).toEqual(['calendarAssumptions', 'case', 'followUps', 'noStepApplies', 'notices', 'policy', 'timeZone', 'waiting']);
    expect(json.followUps[1]).toMatchObject({ step: 'phone', action: 'STAFF_TASK', channel: 'wecom', earliestAt: '2026-11-10T09:00:00+08:00' });
  });

  it('prints a readable timeline without --json', async () => {
    const out = await run('--policy', 'P4', '--case', file);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('phone');
    expect(out.stdout).toContain('李护士');
  });

  it('rejects an unknown policy, an invalid case and missing arguments with a clear message', async () => {
    const unknown = await run('--policy', 'P99', '--case', file);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No policy pack with id "P99"');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...discharge, occurredAt: '2026-11-03 15:30' }));
    const invalid = await run('--policy', 'P4', '--case', bad);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('occurredAt');
    const missing = await run('--policy', 'P4');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Usage: huifang simulate');
    const wrongType = await run('--policy', 'P7', '--case', file);
    expect(wrongType.code).toBe(2);
    expect(wrongType.stderr).toContain('not "discharge"');
  });
});
