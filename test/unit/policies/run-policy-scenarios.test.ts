// Pack scenarios: the runner compares what `huifang simulate` plans with what a scenario expects and
// says what differs; the loader names file, line and reason; `huifang policy test` runs the shipped ones.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCalendar } from '../../../bot/loaders/load-calendar.js';
import { loadPolicyPacks } from '../../../bot/loaders/load-policies.js';
import { loadPolicyScenarios, type PolicyScenarioFile } from '../../../bot/loaders/load-policy-scenarios.js';
import { DataLoadError } from '../../../bot/loaders/data-load-error.js';
import { renderScenarioReports, runPolicyScenarios, scenarioOrgSnapshot } from '../../../bot/policies/run-policy-scenarios.js';
import { runPolicyTestCommand } from '../../../bot/commands/policy-test.js';
import { runPolicyCommand } from '../../../bot/commands/policy.js';
import { POLICIES_DIR } from '../../support/org-snapshot.js';

const packs = loadPolicyPacks(POLICIES_DIR);
const P4 = packs.find((p) => p.id === 'P4')!;
const { calendar } = loadCalendar();
const { organisation } = loadPolicyScenarios(join(POLICIES_DIR, 'scenarios'));
const ctx = { org: scenarioOrgSnapshot(organisation!), calendar, timeZone: 'Asia/Shanghai', examplesDir: join(POLICIES_DIR, 'examples') };

function file(scenarios: PolicyScenarioFile['scenarios']): PolicyScenarioFile {
  return { file: 'scenarios/P4.yaml', policy: 'P4', scenarios };
}

describe('runPolicyScenarios', () => {
  it('passes a scenario whose follow-ups are planned as expected (times exact or in a range, assignee by rule or person)', () => {
    // 000 第四篇 3「一般出院病人，出院7-15天内由其责任护士或主管医生进行电话回访」
    const report = runPolicyScenarios(
      file([
        {
          name: '一般出院病人 7–15 天内电话回访',
          example: 'P4-discharge',
          line: 3,
          expect: {
            followUps: [
              { step: 'phone', due: { from: '2026-11-10 00:00', to: '2026-11-18 23:59' }, deadline: '2026-11-18 23:59', assignee: 'responsible' },
              { step: 'survey', due: '2026-11-06T10:00:00+08:00', action: 'CUSTOMER_SURVEY' },
            ],
          },
        },
      ]),
      P4,
      ctx,
    );
    expect(report.scenarios).toEqual([{ name: '一般出院病人 7–15 天内电话回访', clause: null, line: 3, passed: true, differences: [] }]);
  });

  it('fails a scenario with a clear expected-vs-got line per difference: a time, an assignee, a missing and an extra follow-up', () => {
    const report = runPolicyScenarios(
      file([
        {
          name: '人流术后',
          clause: '002 制度21 16、人流术后',
          example: 'P4-gynaecology-abortion',
          line: 9,
          expect: {
            followUps: [
              { step: 'gyn16_call1', due: '2026-09-28 14:30' },
              { step: 'gyn16_call2', due: '2026-10-05 14:00', assignee: 'hushi.li' },
              { step: 'gyn16_call4' },
            ],
          },
        },
      ]),
      P4,
      ctx,
    );
    const [s] = report.scenarios;
    expect(s!.passed).toBe(false);
    expect(s!.differences).toEqual([
      'gyn16_call2 到期 due: 期望 expected 2026-10-05 14:00，实际 got 2026-10-08 14:00',
      'gyn16_call2 执行人 assignee: 期望 expected hushi.li，实际 got kefu.lin (规则 rule role:customer_service)',
      '缺少回访 gyn16_call4 — missing follow-up gyn16_call4 (实际 got: gyn16_call1, gyn16_call2, gyn16_call3)',
      '多出回访 gyn16_call3 — unexpected follow-up gyn16_call3 (到期 due 2026-11-07 14:00；场景未列出 not listed in the scenario)',
    ]);
    const text = renderScenarioReports([report]);
    expect(text).toContain('✗ 人流术后  〔002 制度21 16、人流术后〕  (scenarios/P4.yaml:9)');
    expect(text).toContain('1 个场景不符，0 个通过 — 1 scenario(s) differ, 0 pass');
  });

  it('checks waiting steps and cases no step applies to', () => {
    const report = runPolicyScenarios(
      file([
        { name: 'unknown diagnosis', example: 'P4-gynaecology-abortion', case: { attributes: { diagnosis: '子宫内膜炎' } }, line: 1, expect: { followUps: [], noStepApplies: true } },
        { name: 'waits for 停药', example: 'P4-gynaecology-abortion', case: { attributes: { diagnosis: '阴道炎' } }, line: 2, expect: { followUps: [{ step: 'gyn01_call1' }, { step: 'gyn01_call2' }], waiting: [] } },
      ]),
      P4,
      ctx,
    );
    expect(report.scenarios[0]!.differences).toEqual([]);
    expect(report.scenarios[1]!.differences).toEqual(['等待里程碑的步骤 — steps waiting for a milestone: 期望 expected []，实际 got [gyn01_call3]']);
  });
});

describe('scenario files', () => {
  it('are refused with file, line and reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenarios-'));
    writeFileSync(join(dir, 'P4.yaml'), 'policy: P4\nscenarios:\n  - name: no case\n    expect:\n      followUps:\n        - { step: phone, due: "next week" }\n');
    let err: unknown;
    try {
      loadPolicyScenarios(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataLoadError);
    expect((err as DataLoadError).problems).toEqual([
      expect.stringMatching(/P4\.yaml:6: scenarios\.0\.expect\.followUps\.0\.due: /),
      expect.stringMatching(/P4\.yaml:3: scenarios\.0: give the case \(`case:`\) or an example/),
    ]);
  });
});

describe('huifang policy test', () => {
  function io() {
    const lines: string[] = [];
    return { lines, output: { out: (t: string) => lines.push(t), err: (t: string) => lines.push(`ERR ${t}`) } };
  }

  it('passes every shipped scenario of the fourteen packs', async () => {
    const { lines, output } = io();
    expect(await runPolicyTestCommand({ json: true }, output)).toBe(0);
    const data = JSON.parse(lines.filter((l) => !l.startsWith('ERR')).join('\n')) as { failed: number; policies: { policy: string; scenarios: unknown[] }[] };
    expect(data.failed).toBe(0);
    expect(data.policies.map((p) => p.policy).sort()).toEqual(['P1', 'P10', 'P11', 'P12', 'P13', 'P14', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8', 'P9']);
  });

  it('is reached as `huifang policy test --policy P4`, without a database', async () => {
    const { lines, output } = io();
    const noDatabase = async () => {
      throw new Error('policy test must not open the database');
    };
    expect(await runPolicyCommand(['test', '--policy', 'P4'], noDatabase, output)).toBe(0);
    expect(lines.join('\n')).toMatch(/^P4 — templates\/policies\/scenarios\/P4\.yaml$/m);
    expect(lines.join('\n')).toContain('全部通过');
  });

  it('exits 1 and prints the difference when a scenario does not hold; 2 for a policy without scenarios', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-test-'));
    cpSync(join(POLICIES_DIR, 'scenarios', 'organisation.yaml'), join(dir, 'organisation.yaml'));
    writeFileSync(
      join(dir, 'P4.yaml'),
      'policy: P4\nscenarios:\n  - name: 病情严重者5天内\n    example: P4-discharge-serious\n    expect:\n      followUps:\n        - { step: phone_serious, deadline: "2026-10-10 23:59" }\n      exact: false\n',
    );
    const dirs = { policies: POLICIES_DIR, scenarios: dir, examples: join(POLICIES_DIR, 'examples') };
    const { lines, output } = io();
    expect(await runPolicyTestCommand({ policy: 'P4', json: false }, output, dirs)).toBe(1);
    const text = lines.join('\n');
    expect(text).toContain('✗ 病情严重者5天内');
    expect(text).toContain('phone_serious 截止 deadline: 期望 expected 2026-10-10 23:59，实际 got 2026-10-05 23:59');

    const other = io();
    expect(await runPolicyTestCommand({ policy: 'P9', json: false }, other.output, dirs)).toBe(2);
    expect(other.lines.join('\n')).toContain('no scenarios for policy "P9"');
  });
});
