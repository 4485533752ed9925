/**
 * What every loader shares: a YAML problem becomes file, line, field and reason, and one error type
 * (`DataLoadError`) carries them, whichever data was being loaded.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DataLoadError, describeDataProblem } from '../../../bot/loaders/data-load-error.js';
import { YamlSource } from '../../../bot/loaders/yaml-source.js';
import { loadMessageTemplates } from '../../../bot/loaders/load-messages.js';
import { loadRoleCatalogue, loadRoles } from '../../../bot/loaders/load-roles.js';
import { loadPolicyPacks } from '../../../bot/loaders/load-policies.js';
import { loadCalendar } from '../../../bot/loaders/load-calendar.js';
import { loadCampaigns } from '../../../bot/loaders/load-campaigns.js';
import { loadSurveyDefinitions } from '../../../bot/loaders/load-surveys.js';

const ROOT = join(import.meta.dirname, '../../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function folder(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'huifang-loaders-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
function thrown(fn: () => unknown): DataLoadError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DataLoadError) return err;
    throw err;
  }
  throw new Error('expected a DataLoadError');
}

describe('YamlSource', () => {
  const text = 'name: 测试\nsteps:\n  - key: a\n    deadline: 3 days\n  - key: b\n';
  const schema = z.object({ name: z.string(), steps: z.array(z.object({ key: z.string(), deadline: z.number() }).strict()) }).strict();

  it('locates a schema issue at its node, and a missing key at the mapping that should hold it', () => {
    const error = thrown(() => new YamlSource(text, 'x.yaml').validate(schema, 'things'));
    expect(error.problems).toEqual(['x.yaml:4: steps.0.deadline: Expected number, received string', 'x.yaml:5: steps.1.deadline: Required']);
    expect(error.details[0]).toEqual({ file: 'x.yaml', line: 4, path: 'steps.0.deadline', reason: 'Expected number, received string' });
    expect({ file: error.file, line: error.line, path: error.path, reason: error.reason }).toEqual(error.details[0]);
    expect(error.message).toBe('Invalid things:\n  x.yaml:4: steps.0.deadline: Expected number, received string\n  x.yaml:5: steps.1.deadline: Required');
  });

  it('writes indices in brackets when asked, and names the whole document', () => {
    const source = new YamlSource(text, 'x.yaml', { index: 'bracket', root: '(file)' });
    expect(source.problemAt(['steps', 1, 'key'], 'r')).toEqual({ file: 'x.yaml', line: 5, path: 'steps[1].key', reason: 'r' });
    expect(source.problemAt([], 'r')).toEqual({ file: 'x.yaml', line: 1, path: '(file)', reason: 'r' });
  });

  it('reports syntax errors with their line before any schema issue', () => {
    const error = thrown(() => new YamlSource('a: 1\nb: [unclosed\n', 'x.yaml').validate(schema, 'things'));
    expect(error.problems).toEqual([expect.stringMatching(/^x\.yaml:\d+: /)]);
    expect(error.details[0]!.path).toBeNull();
  });

  it('describes problems without a line or a file', () => {
    expect(describeDataProblem({ file: 'a.yaml', line: null, path: 'key', reason: 'r' })).toBe('a.yaml: key: r');
    expect(describeDataProblem({ file: null, line: null, path: null, reason: 'r' })).toBe('r');
  });
});

describe('every loader throws DataLoadError', () => {
  it('policy packs: a policy id used twice names both files', () => {
    const dir = folder();
    cpSync(join(ROOT, 'templates/policies'), dir, { recursive: true });
    writeFileSync(join(dir, 'P4-copy.yaml'), readFileSync(join(dir, 'P4.yaml'), 'utf8').replace('caseTypes: [discharge, outpatient]', 'caseTypes: [discharge_copy, outpatient_copy]'));
    const text = readFileSync(join(dir, 'P4.yaml'), 'utf8');
    const line = text.slice(0, text.indexOf('id: P4')).split('\n').length;
    const error = thrown(() => loadPolicyPacks(dir));
    expect(error.problems).toEqual([`${join(dir, 'P4.yaml')}:${line}: id: policy id "P4" is also used by ${join(dir, 'P4-copy.yaml')}`]);
  });

  it('message templates: an undeclared placeholder names its file, line and field', () => {
    const dir = folder();
    cpSync(join(ROOT, 'templates/messages'), dir, { recursive: true });
    const text = readFileSync(join(dir, 'customers.yaml'), 'utf8').replace('反馈办理情况请回复', '反馈{shop}办理情况请回复');
    writeFileSync(join(dir, 'customers.yaml'), text);
    const line = text.slice(0, text.indexOf('{shop}')).split('\n').length;
    const error = thrown(() => loadMessageTemplates(dir));
    expect(error.problems).toEqual([`${join(dir, 'customers.yaml')}:${line}: survey_invite.sms.text: placeholder {shop} is not a declared variable`]);
  });

  it('message templates: a schema problem names its line', () => {
    const dir = folder();
    cpSync(join(ROOT, 'templates/messages'), dir, { recursive: true });
    const text = readFileSync(join(dir, 'staff.yaml'), 'utf8').replace(/(task_card:\n {2}version: )1/, '$1one');
    writeFileSync(join(dir, 'staff.yaml'), text);
    const line = text.slice(0, text.indexOf('version: one')).split('\n').length;
    expect(thrown(() => loadMessageTemplates(dir)).problems).toEqual([`${join(dir, 'staff.yaml')}:${line}: task_card.version: Expected number, received string`]);
  });

  it('roles: the shipped list resolves names and labels; a malformed file names its line', () => {
    const catalogue = loadRoleCatalogue(join(ROOT, 'templates/policies'));
    expect(catalogue.resolve('护士')).toBe('nurse');
    expect(catalogue.resolve('院长')).toBe('manager');
    expect(loadRoles(folder())).toBeNull();
    const dir = folder({ 'roles.yaml': 'roles:\n  nurse: 护士\n  Head-Nurse: 护士长\n' });
    const error = thrown(() => loadRoles(dir));
    expect(error.problems).toEqual([expect.stringMatching(/roles\.yaml:3: roles\.Head-Nurse: a role name is lower-case letters and "_"/)]);
    expect(thrown(() => loadRoleCatalogue(folder({ 'roles.yaml': 'nurse: 护士\n' }))).problems).toEqual([
      expect.stringMatching(/roles\.yaml:1: roles: expected a "roles:" map/),
      expect.stringMatching(/roles\.yaml:1: \(root\): Unrecognized key/),
    ]);
  });

  it('surveys, campaigns and calendar files too', () => {
    expect(thrown(() => loadSurveyDefinitions(folder({ 'x.yaml': 'key: x\n' })))).toBeInstanceOf(DataLoadError);
    expect(thrown(() => loadCampaigns(folder({ 'c.yaml': 'key: c\n' })))).toBeInstanceOf(DataLoadError);
    expect(thrown(() => loadCalendar({ dir: folder({ 'c.yaml': 'closures: 3\n' }) })).problems).toEqual([expect.stringMatching(/c\.yaml:1: closures: Expected array/)]);
  });
});
