/**
 * The message templates are checked against the catalogue at load: a wording that could not be
 * rendered with the variables Huifang gives it stops the start, naming the file, line, field and reason.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataLoadError } from '../../../bot/loaders/data-load-error.js';
import { loadMessageTemplates, yamlName } from '../../../bot/loaders/load-messages.js';
import { MESSAGE_CATALOGUE } from '../../../bot/core/templates/catalogue.js';
import { checkSmsTemplate, smsReviewRisks } from '../../../bot/core/sms/sms-template-rules.js';
import { parseSurveyReply } from '../../../bot/core/surveys/parse-reply.js';

const SHIPPED = join(import.meta.dirname, '../../../templates/messages');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of the shipped templates with `edit` applied to one file's text. */
function edited(file: string, edit: (text: string) => string): { dir: string; path: string; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'huifang-messages-'));
  dirs.push(dir);
  cpSync(SHIPPED, dir, { recursive: true });
  const path = join(dir, file);
  const text = edit(readFileSync(path, 'utf8'));
  writeFileSync(path, text);
  return { dir, path, text };
}

function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`"${needle}" not found`);
  return text.slice(0, at).split('\n').length;
}

function problems(dir: string): string[] {
  try {
    loadMessageTemplates(dir);
  } catch (err) {
    if (err instanceof DataLoadError) return err.problems;
    throw err;
  }
  throw new Error('expected a DataLoadError');
}

describe('loadMessageTemplates', () => {
  it('loads the shipped templates: every catalogue entry, once', () => {
    const templates = loadMessageTemplates(SHIPPED);
    expect(Object.keys(templates).sort()).toEqual(Object.keys(MESSAGE_CATALOGUE).sort());
  });

  it('ships an SMS invitation Tencent’s review accepts: a service notification, no 【】, no survey, review or medical wording', () => {
    const t = loadMessageTemplates(SHIPPED).surveyInvite;
    expect(t.sms.text.text).not.toMatch(/[【】]/);
    expect(checkSmsTemplate({ text: t.sms.text.text, linkVariables: ['link'] })).toEqual([]);
    expect(smsReviewRisks(t.sms.text.text)).toEqual([]);
    // {event} fills the SMS too: none of its values may carry banned wording.
    const smsEvents = Object.keys(t.events).map((type) => t.sms.events[type] ?? t.events[type]!);
    for (const value of [...smsEvents, t.eventDefault]) expect(smsReviewRisks(value), value).toEqual([]);
    // A reply code still works: the text asks for a digit the reply parser reads as a score.
    expect(t.sms.text.text).toMatch(/回复5至1/);
    expect(parseSurveyReply('5')).toMatchObject({ kind: 'score', score: 5 });
  });

  it('checks every SMS template against Tencent’s rules at load: 【】, adjacent variables, links, parameters', () => {
    const sms = (replacement: string, params = '[salutation, date, event]') =>
      edited('customers.yaml', (t) => t.replace('    params: [salutation, date, event]', `    params: ${params}`).replace(/\n    text: "\{salutation\}.*"/, `\n    text: "${replacement}"`));
    const brackets = sms('【{org}】{salutation}您好，您{date}的{event}已办结。拒收请回复R');
    expect(problems(brackets.dir).join('\n')).toMatch(/survey_invite\.sms\.text: no 【】 in the text/);
    const adjacent = sms('{salutation}您好，{date}{event}已办结。拒收请回复R');
    expect(problems(adjacent.dir).join('\n')).toMatch(/two variables are adjacent/);
    const link = sms('{salutation}您好，您{date}的{event}已办结，详见{link}。拒收请回复R', '[salutation, date, event, link]');
    expect(problems(link.dir).join('\n')).toMatch(/\{link\} is a link: Tencent refuses links in variables/);
    const inLink = sms('{salutation}您好，您{date}的{event}已办结，详见 https://hf.example.cn/s/{date} 拒收请回复R');
    expect(problems(inLink.dir).join('\n')).toMatch(/a variable inside the link/);
    const long = sms(`{salutation}您好，您{date}的{event}已办结。${'请'.repeat(480)}拒收请回复R`);
    expect(problems(long.dir).join('\n')).toMatch(/Tencent accepts at most 500/);
    const unlisted = sms('{salutation}您好，您{date}的{event}已办结。拒收请回复R', '[salutation, date]');
    expect(problems(unlisted.dir).join('\n')).toMatch(/\{event\} is not in params/);
  });

  it('checks WeChat keyword wordings against their types at load: phrase, time, const, unknown types', () => {
    const { dir } = edited('customers.yaml', (t) =>
      t.replace('      time3: "{dateTime}"', '      time3: "{event}"\n      phrase4: "{dateTime}"\n      const5: "{org}"\n      colour6: "红色"\n      phrase7: "已办结"\n      name8: "{salutation}"'),
    );
    const found = problems(dir).join('\n');
    expect(found).toMatch(/survey_invite\.wechat\.data\.time3: time3: time takes a 24-hour time.*\(with \{event\} = 投诉处理\)/);
    expect(found).toMatch(/survey_invite\.wechat\.data\.phrase4: phrase4: phrase takes 1 to 5 Chinese characters only/);
    expect(found).toMatch(/survey_invite\.wechat\.data\.const5: const5: a const value is fixed text/);
    expect(found).toMatch(/survey_invite\.wechat\.data\.colour6: "colour6" is not a WeChat keyword type/);
    expect(found).not.toMatch(/phrase7|name8/);
  });

  it('refuses a placeholder that is not a declared variable, with its file and line', () => {
    const { dir, path, text } = edited('staff.yaml', (t) => t.replace('尚未记录结果，截止 {deadline}', '尚未记录结果，截止 {deadline}（{ward}）'));
    expect(problems(dir)).toEqual([`${path}:${lineOf(text, '（{ward}）')}: reminder.wecom.text: placeholder {ward} is not a declared variable`]);
  });

  it('refuses a declared variable that its part does not have', () => {
    const { dir, path, text } = edited('staff.yaml', (t) => t.replace('note_line: "说明：{note}"', 'note_line: "说明：{note}（{deadline}）"'));
    expect(problems(dir)).toEqual([
      `${path}:${lineOf(text, 'note_line:')}: escalation_notice.wecom.note_line: placeholder {deadline} cannot be used here (this text has: note)`,
    ]);
  });

  it('wants the declared variables to be exactly those of the message', () => {
    const { dir, path, text } = edited('staff.yaml', (t) =>
      t.replace('variables: [step, customer, phone, deadline]\n  wecom:\n    text: "【回访提醒】', 'variables: [step, customer, deadline, ward]\n  wecom:\n    text: "【回访提醒】'),
    );
    const line = lineOf(text, 'variables: [step, customer, deadline, ward]');
    expect(problems(dir)).toEqual([
      `${path}:${line}: reminder.variables.3: "ward" is not a variable of this message (it has: step, customer, phone, deadline)`,
      `${path}:${line}: reminder.variables: missing "phone": list every variable of this message (step, customer, phone, deadline)`,
      `${path}:${lineOf(text, '【回访提醒】')}: reminder.wecom.text: placeholder {phone} is not a declared variable`,
    ]);
  });

  it('refuses a wording without the count a shortened list needs', () => {
    const { dir, path, text } = edited('digests.yaml', (t) => t.replace('more: "…另有{count}项"', 'more: "…还有更多"'));
    expect(problems(dir)).toEqual([`${path}:${lineOf(text, 'more: "…还有更多"')}: weekly_digest.wecom.more: must use {count}`]);
  });

  it('refuses unbalanced marks and channel markup in marked wordings', () => {
    const { dir, path, text } = edited('digests.yaml', (t) =>
      t.replace('backlog: "<warning>此前逾期未办 {count} 项</warning>"', 'backlog: "<warning>此前逾期未办 {count} 项"').replace('overdue: "<warning>逾期 {count}</warning>"', 'overdue: "<font color=\\"warning\\">逾期 {count}</font>"'),
    );
    expect(problems(dir)).toEqual([
      expect.stringMatching(new RegExp(`^${path}:${lineOf(text, 'overdue: "<font')}: weekly_digest\\.wecom\\.overdue: channel markup`)),
      expect.stringMatching(new RegExp(`^${path}:${lineOf(text, 'backlog:')}: weekly_digest\\.wecom\\.backlog: unbalanced mark`)),
    ]);
  });

  it('refuses placeholders in labels, unknown parts and missing label keys', () => {
    const { dir, path, text } = edited('staff.yaml', (t) => t.replace('no_phone: 无电话', 'no_phone: "{phone}无"\n  no_email: 无邮箱').replace('    high: 较重\n', ''));
    expect(problems(dir)).toEqual([
      `${path}:${lineOf(text, 'severities:') + 1}: labels.severities.high: Required`,
      `${path}:${lineOf(text, 'labels:') + 1}: labels: Unrecognized key(s) in object: 'no_email'`,
    ]);
    const second = edited('staff.yaml', (t) => t.replace('no_phone: 无电话', 'no_phone: "{phone}无"'));
    expect(problems(second.dir)).toEqual([`${second.path}:${lineOf(second.text, 'no_phone:')}: labels.no_phone: a label takes no placeholders`]);
  });

  it('wants every entry defined exactly once across the files', () => {
    const { dir, path, text } = edited('customers.yaml', (t) => `${t}\nreminder:\n  version: 1\n  variables: [step, customer, phone, deadline]\n  wecom:\n    text: x\n\nreminders:\n  version: 1\n`);
    const staff = join(dir, 'staff.yaml');
    expect(problems(dir)).toEqual([
      `${path}:${lineOf(text, '\nreminders:') + 2}: reminders: unknown message entry (known: ${Object.keys(MESSAGE_CATALOGUE).map(yamlName).join(', ')})`,
      `${staff}:${lineOf(readFileSync(staff, 'utf8'), '\nreminder:') + 2}: reminder: also defined in ${path}`,
    ]);
    rmSync(staff);
    expect(problems(dir)).toContain(`${dir}: task_card: missing: no file in this folder defines it`);
  });
});
