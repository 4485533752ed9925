import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyPacks, parsePolicyPack } from '../../../bot/loaders/load-policies.js';
import { DataLoadError } from '../../../bot/loaders/data-load-error.js';

const ROOT = join(import.meta.dirname, '../../..');
const P4 = readFileSync(join(ROOT, 'templates/policies/P4.yaml'), 'utf8');
const roles = new Set(['nurse', 'head_nurse', 'manager', 'customer_service']);

function problemsOf(text: string): string[] {
  try {
    parsePolicyPack(text, 'P4.yaml', roles);
  } catch (err) {
    if (err instanceof DataLoadError) return err.problems;
    throw err;
  }
  return [];
}

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

describe('policy pack validation: file, line and reason', () => {
  it('loads every shipped pack (P1–P14) with unique ids and case types', () => {
    const packs = loadPolicyPacks(join(ROOT, 'templates/policies'));
    expect(packs.map((p) => p.id).sort()).toEqual(['P1', 'P10', 'P11', 'P12', 'P13', 'P14', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8', 'P9']);
  });

  it('names an unknown role with its line', () => {
    const text = P4.replace('assignee: [responsible, supervisor, department_head]', 'assignee: [responsible, role:night_porter]');
    const line = lineOf(text, 'role:night_porter');
    expect(problemsOf(text)).toEqual([expect.stringMatching(new RegExp(`^P4\\.yaml:${line}: steps\\.0\\.assignee\\.1: unknown role "night_porter"`))]);
  });

  it('takes nearest:<role> for a known role and names an unknown one, or an unknown kind of rule', () => {
    expect(problemsOf(P4.replace('assignee: [responsible, supervisor, department_head]', 'assignee: [responsible, nearest:nurse]'))).toEqual([]);
    const text = P4.replace('assignee: [responsible, supervisor, department_head]', 'assignee: [nearest:night_porter, closest:nurse]');
    const line = lineOf(text, 'nearest:night_porter');
    expect(problemsOf(text)).toEqual([
      expect.stringMatching(new RegExp(`^P4\\.yaml:${line}: steps\\.0\\.assignee\\.0: unknown role "night_porter"`)),
      expect.stringMatching(/steps\.0\.assignee\.1: unknown assignee rule "closest:nurse" \(.*nearest:<name>\)/),
    ]);
  });

  it('names an offset that cannot be parsed', () => {
    const text = P4.replace('    deadline: 15 days\n', '    deadline: fifteen days\n');
    const line = lineOf(text, 'fifteen days');
    expect(problemsOf(text)).toEqual([
      `P4.yaml:${line}: steps.0.deadline: cannot parse offset "fifteen days": use "<n> hours|working hours|days|working days|months|years", "-<n> days" (before the anchor), "end of month" or parts joined by " + "`,
    ]);
  });

  it('refuses a sampling rate of 1.5', () => {
    const text = P4.replace('steps:\n', 'sampling:\n  rate: 1.5\nsteps:\n');
    const line = lineOf(text, 'rate: 1.5');
    expect(problemsOf(text)).toEqual([`P4.yaml:${line}: sampling.rate: a rate must be between 0 and 1 (10 % is 0.1)`]);
  });

  it('reserves the step key esc2, the second follow-up after an escalation', () => {
    const text = P4.replace('  - key: phone\n', '  - key: esc2\n');
    expect(text).not.toBe(P4);
    const line = lineOf(text, 'key: esc2');
    expect(problemsOf(text)).toEqual([expect.stringMatching(new RegExp(`^P4\\.yaml:${line}: steps\\.0\\.key: the key "esc2" and keys starting with "esc2_" are reserved`))]);
  });

  it('reports a YAML syntax error with its line', () => {
    const text = P4.replace('caseTypes: [discharge, outpatient]', 'caseTypes: [discharge, outpatient');
    expect(problemsOf(text)[0]).toMatch(/^P4\.yaml:\d+: /);
  });

  it('stops the whole load with every problem across files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'huifang-packs-'));
    cpSync(join(ROOT, 'templates/policies'), dir, { recursive: true });
    writeFileSync(join(dir, 'P4.yaml'), P4.replace('maxAttempts: 3        #', 'maxAttempts: 0        #'));
    writeFileSync(join(dir, 'P7.yaml'), readFileSync(join(dir, 'P7.yaml'), 'utf8').replace('anchor: milestone:handled', 'anchor: handled'));
    let problems: string[] = [];
    try {
      loadPolicyPacks(dir);
    } catch (err) {
      problems = (err as DataLoadError).problems;
    }
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/P4\.yaml:\d+: steps\.0\.maxAttempts: /);
    expect(problems[1]).toMatch(/P7\.yaml:\d+: steps\.0\.anchor: must be "event", "milestone:<name>", "step:<key>", "completed:<key>" or \{ latestOf/);
  });
});

describe('conditions in a pack: numeric comparisons and anyOf', () => {
  const withCondition = (yaml: string) => P4.replace('    when: { severity: [serious] }\n', `    when: ${yaml}\n`);

  it('accepts comparisons and alternatives', () => {
    const text = withCondition('{ anyOf: [{ severity: [serious] }, { ageYears: { gte: 80 } }], lengthOfStayDays: { gt: 3, lte: 90 } }');
    expect(problemsOf(text)).toEqual([]);
    const pack = parsePolicyPack(text, 'P4.yaml', roles);
    expect(pack.steps.find((s) => s.key === 'phone_serious')?.when).toEqual({
      anyOf: [{ severity: ['serious'] }, { ageYears: { gte: 80 } }],
      lengthOfStayDays: { gt: 3, lte: 90 },
    });
  });

  it.each([
    ['{ ageYears: { under: 10 } }', 'steps.1.when.ageYears.under: a comparison uses lt (<), lte (≤), gt (>) or gte (≥), e.g. { gte: 35 } — not "under"'],
    ['{ ageYears: { lt: ten } }', 'steps.1.when.ageYears.lt: must be a number'],
    ['{ ageYears: { gte: 10, lt: 10 } }', 'steps.1.when.ageYears: no number satisfies this comparison'],
    ['{ ageYears: { lt: 10, lte: 12 } }', 'steps.1.when.ageYears: give lt or lte, not both'],
    ['{ ageYears: 10 }', 'steps.1.when.ageYears: must be a list of values such as [serious] or a comparison such as { gte: 35 }'],
    ['{ anyOf: [{ severity: [serious] }] }', 'steps.1.when.anyOf: anyOf lists two or more conditions, e.g. anyOf: [{ newWorker: [true] }, { complainedWorker: [true] }]'],
    ['{ anyOf: [{ severity: [serious] }, { ageYears: { over: 80 } }] }', 'steps.1.when.anyOf.1.ageYears.over: a comparison uses lt (<), lte (≤), gt (>) or gte (≥), e.g. { gte: 35 } — not "over"'],
  ])('refuses %s with file, line and reason', (yaml, reason) => {
    const text = withCondition(yaml);
    const line = lineOf(text, `when: ${yaml}`);
    expect(problemsOf(text)).toEqual([`P4.yaml:${line}: ${reason}`]);
  });
});

describe('offsets and anchors of steps: before the anchor, compound, latest of several, actual completion', () => {
  it('reads "-2 days", "1 months + 7 days", { latestOf: [...] } and completed:<key>', () => {
    const text = P4.replace('    earliest: 7 days\n', '    earliest: -2 days\n')
      .replace('    deadline: 15 days\n', '    deadline: 1 months + 7 days\n')
      .replace('    anchor: event\n', '    anchor: { latestOf: [event, milestone:discharged] }\n');
    const pack = parsePolicyPack(text, 'P4.yaml', roles);
    expect(pack.steps[0]).toMatchObject({
      earliest: { amount: -2, unit: 'days' },
      deadline: { amount: 1, unit: 'months', plus: [{ amount: 7, unit: 'days' }] },
      anchor: { kind: 'latest', of: [{ kind: 'event' }, { kind: 'milestone', name: 'discharged' }] },
    });
    const completed = parsePolicyPack(P4.replace(/(- key: survey[\s\S]*?anchor: )event/, '$1completed:phone'), 'P4.yaml', roles);
    expect(completed.steps.find((s) => s.key === 'survey')?.anchor).toEqual({ kind: 'completed', key: 'phone' });
  });

  it.each([
    ['    deadline: 15 days\n', '    deadline: -3 working days\n', 'steps.0.deadline: "-3 working days": working days and working hours cannot count backwards; use days or hours before the anchor'],
    ['    anchor: event\n', '    anchor: { latestOf: [milestone:discharged] }\n', 'steps.0.anchor.latestOf: latestOf lists two or more anchors'],
    ['    anchor: event\n', '    anchor: { latestOf: [event, step:phone] }\n', 'steps.0.anchor.latestOf.1: latestOf lists "event" and "milestone:<name>" anchors'],
  ])('refuses %s → %s with file, line and reason', (from, to, reason) => {
    const text = P4.replace(from, to);
    const line = lineOf(text, to.trim());
    expect(problemsOf(text)).toEqual([`P4.yaml:${line}: ${reason}`]);
  });

  it('reads "end of month" and contact.daysOfMonth, and refuses days in the wrong order', () => {
    const text = P4.replace('    deadline: 15 days\n', '    deadline: end of month\n').replace('steps:\n', 'contact:\n  daysOfMonth: { from: 1, to: 25 }\nsteps:\n');
    const pack = parsePolicyPack(text, 'P4.yaml', roles);
    expect(pack.steps[0]!.deadline).toEqual({ amount: 0, unit: 'months', endOfMonth: true });
    expect(pack.contact).toEqual({ daysOfMonth: { from: 1, to: 25 } });
    const wrong = P4.replace('steps:\n', 'contact:\n  daysOfMonth: { from: 26, to: 25 }\nsteps:\n');
    expect(problemsOf(wrong)).toEqual([`P4.yaml:${lineOf(wrong, 'daysOfMonth')}: contact.daysOfMonth: from must be on or before to (days of the month, e.g. { from: 1, to: 25 })`]);
  });

  it('refuses an anchor on the completion of a later step', () => {
    const text = P4.replace('    anchor: event\n', '    anchor: completed:survey\n');
    expect(problemsOf(text)).toEqual([expect.stringMatching(/steps\.0\.anchor: anchors on step "survey", which must come earlier in the pack$/)]);
  });
});

describe('step-level contact rules', () => {
  it('reads a step\'s own contact block (002 制度21 in P4) and refuses a mandatory flag that is not true or false', () => {
    const pack = parsePolicyPack(P4, 'P4.yaml', roles);
    expect(pack.steps.find((s) => s.key === 'gyn16_call2')?.contact).toMatchObject({ avoidPublicHolidays: true, mandatory: true, daysOfMonth: { from: 1, to: 25 } });
    expect(pack.steps.find((s) => s.key === 'phone')?.contact).toBeUndefined();

    const text = P4.replace('      mandatory: true\n', '      mandatory: always\n');
    const problems = problemsOf(text);
    expect(problems[0]).toMatch(new RegExp(`^P4\\.yaml:${lineOf(text, 'mandatory: always')}: steps\\.\\d+\\.contact\\.mandatory: `));
  });
});

describe('recurrences that end at a milestone or take their length from the case', () => {
  const withRepeat = (repeat: string) => P4.replace('    anchor: event\n', `    anchor: event\n    repeat:\n${repeat}`);

  it('reads until: milestone:<name> and a phase whose length is a case attribute', () => {
    const text = withRepeat('      phases:\n        - { every: 6 months, until: { attribute: warrantyMonths, unit: months, otherwise: 12 months, atMost: 10 years } }\n      until: milestone:visited\n');
    expect(parsePolicyPack(text, 'P4.yaml', roles).steps[0]!.repeat).toEqual({
      phases: [{ every: { amount: 6, unit: 'months' }, until: { attribute: 'warrantyMonths', unit: 'months', otherwise: { amount: 12, unit: 'months' }, atMost: { amount: 10, unit: 'years' } } }],
      until: { kind: 'milestone', name: 'visited' },
    });
  });

  it.each([
    ['      phases:\n        - { every: 7 days, until: 84 days }\n      until: step:phone\n', 'until: step:phone', 'steps.0.repeat.until: a recurrence ends at a milestone: until: milestone:<name> (e.g. milestone:visited)'],
    ['      phases:\n        - { every: 7 days, until: { attribute: weeks, unit: months } }\n', 'unit: months', 'steps.0.repeat.phases.0.until.unit: `every` and `until` must use the same kind of unit'],
    ['      phases:\n        - { every: 7 days, until: { attribute: weeks, unit: working days } }\n', 'unit: working days', 'steps.0.repeat.phases.0.until.unit: unit "working days": use hours, days, months or years'],
    ['      phases:\n        - { every: 7 days, until: { attribute: weeks, unit: days, also: 1 } }\n', 'also: 1', 'steps.0.repeat.phases.0.until: Unrecognized key(s) in object: \'also\''],
    [
      '      phases:\n        - { every: 3 months, until: { attribute: warrantyMonths, unit: months } }\n        - { every: 6 months, until: 2 years }\n',
      '- { every: 3 months',
      'steps.0.repeat.phases: only the last phase may take its length from the case',
    ],
  ])('refuses %s with file, line and reason', (repeat, needle, reason) => {
    const text = withRepeat(repeat);
    expect(problemsOf(text)).toEqual([`P4.yaml:${lineOf(text, needle)}: ${reason}`]);
  });
});

describe('sampling by quota and tiers on the current month', () => {
  const withSampling = (sampling: string) => P4.replace('steps:\n', `sampling:\n${sampling}steps:\n`);

  it('reads a quota (by all unless given) and population: current month', () => {
    expect(parsePolicyPack(withSampling('  rate: 0.02\n  quota: { max: 3, per: week }\n'), 'P4.yaml', roles).sampling).toEqual({ rate: 0.02, quota: { max: 3, per: 'week', by: 'all' } });
    expect(parsePolicyPack(withSampling('  tiers: [{ above: -1, rate: 0.3 }]\n  population: current month\n'), 'P4.yaml', roles).sampling).toMatchObject({ population: 'current month' });
    expect(parsePolicyPack(withSampling('  rate: 0.02\n  quota: { min: 2, max: 3, per: week, topUpDaysBefore: 2 }\n'), 'P4.yaml', roles).sampling?.quota).toEqual({ min: 2, max: 3, per: 'week', by: 'all', topUpDaysBefore: 2 });
  });

  it.each([
    ['  quota: { max: 3, per: day }\n', 'per: day', 'sampling.quota.per: a quota is per week or per month'],
    ['  quota: { max: 0, per: week }\n', 'max: 0', 'sampling.quota.max: at least 1'],
    ['  quota: { min: 4, max: 3, per: week }\n', 'min: 4', 'sampling.quota.min: min is at most max'],
    ['  quota: { max: 3, per: week, topUpDaysBefore: 2 }\n', 'topUpDaysBefore', 'sampling.quota.topUpDaysBefore: topUpDaysBefore is for a quota with a min'],
    ['  quota: { min: 1, max: 3, per: week, topUpDaysBefore: 7 }\n', 'topUpDaysBefore', 'sampling.quota.topUpDaysBefore: a week has 7 days: at most 6'],
    ['  quota: { max: 3, per: week, by: team }\n', 'by: team', 'sampling.quota.by: a quota counts all follow-ups of the step, or per department or per assignee'],
    ['  tiers: [{ above: -1, rate: 0.3 }]\n  quota: { max: 3, per: week }\n', 'quota:', 'sampling.quota: a quota goes with a rate (or alone), not with tiers or strata'],
    ['  rate: 0.1\n  population: current month\n', 'population:', 'sampling.population: population is for tiers'],
    ['  tiers: [{ above: -1, rate: 0.3 }]\n  population: this month\n', 'population:', 'sampling.population: the tiers count the "previous month" or the "current month"'],
  ])('refuses %s with file, line and reason', (sampling, needle, reason) => {
    const text = withSampling(sampling);
    expect(problemsOf(text)).toEqual([`P4.yaml:${lineOf(text, needle)}: ${reason}`]);
  });
});
