import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyPacks, parsePolicyPack } from '../../../bot/loaders/load-policies.js';
import { DataLoadError } from '../../../bot/loaders/data-load-error.js';

const ROOT = join(import.meta.dirname, '../../..');
const P4 = readFileSync(join(ROOT, 'templates/policies/P4.yaml'), 'utf8');
const roles = new Set(['nurse', 'head_nurse', 'manager']);

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

  it('names an offset that cannot be parsed', () => {
    const text = P4.replace('    deadline: 15 days\n', '    deadline: fifteen days\n');
    const line = lineOf(text, 'fifteen days');
    expect(problemsOf(text)).toEqual([`P4.yaml:${line}: steps.0.deadline: cannot parse offset "fifteen days": use "<n> hours|working hours|days|working days|months|years"`]);
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
    const text = P4.replace('caseTypes: [discharge]', 'caseTypes: [discharge');
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
    expect(problems[1]).toMatch(/P7\.yaml:\d+: steps\.0\.anchor: must be "event", "milestone:<name>" or "step:<key>"/);
  });
});
