/**
 * The shipped message templates, every entry and part rendered with sample variables (`‹name›` for
 * each variable the part has): the snapshot is the wording staff and customers read, so a change to it
 * shows in review. Explicit expectations pin a few messages with real values, and the pure rendering
 * and mark parsing they rely on.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TextRun } from '../../../../bot/core/messages.js';
import { MESSAGE_CATALOGUE, type EntrySpec } from '../../../../bot/core/templates/catalogue.js';
import { parseMarkup } from '../../../../bot/core/templates/markup.js';
import { renderRuns, renderTemplate, renderText, textAroundCount, type RichTemplate, type TextTemplate } from '../../../../bot/core/templates/render.js';
import { loadMessageTemplates, yamlName } from '../../../../bot/loaders/load-messages.js';

const templates = loadMessageTemplates(join(import.meta.dirname, '../../../../templates/messages'));

/** Runs written back in the templates' neutral marks, so the snapshot reads like the files. */
function marked(runs: readonly TextRun[]): string {
  return runs.map((r) => ('href' in r ? `[${r.text}](${r.href})` : r.mark === 'plain' ? r.text : r.mark === 'strong' ? `**${r.text}**` : `<${r.mark}>${r.text}</${r.mark}>`)).join('');
}

const sample = (variables: readonly string[]) => Object.fromEntries(variables.map((v) => [v, `‹${v}›`]));

/** Every wording of the loaded templates, rendered with sample variables, by `entry.part[.key]` as the files name them. */
function renderEverything(): Record<string, string> {
  const out: Record<string, string> = {};
  const catalogue = MESSAGE_CATALOGUE as Readonly<Record<string, EntrySpec>>;
  const loaded = templates as unknown as Record<string, Record<string, unknown>>;
  for (const [entry, spec] of Object.entries(catalogue)) {
    for (const [part, partSpec] of Object.entries(spec.parts)) {
      const name = `${yamlName(entry)}.${yamlName(part)}`;
      const value = loaded[entry]![part];
      switch (partSpec.kind) {
        case 'text': {
          const t = value as TextTemplate;
          out[name] = renderText(t, sample(t.variables));
          break;
        }
        case 'rich': {
          const t = value as RichTemplate;
          out[name] = marked(renderRuns(t, sample(t.variables)));
          break;
        }
        case 'label':
          out[name] = value as string;
          break;
        case 'labels':
          for (const [key, text] of Object.entries(value as Record<string, string>)) out[`${name}.${key}`] = text;
          break;
        case 'texts':
          for (const [key, t] of Object.entries(value as Record<string, TextTemplate>)) out[`${name}.${key}`] = renderText(t, sample(t.variables));
          break;
        case 'sms': {
          const sms = value as { templateId: string; params: string[]; text: TextTemplate };
          out[`${name}.params`] = sms.params.join(', ');
          out[`${name}.text`] = renderText(sms.text, sample(sms.text.variables));
          break;
        }
        case 'wechat': {
          const wechat = value as { data: Record<string, TextTemplate>; text: TextTemplate } | undefined;
          if (!wechat) break;
          for (const [key, t] of Object.entries(wechat.data)) out[`${name}.data.${key}`] = renderText(t, sample(t.variables));
          out[`${name}.text`] = renderText(wechat.text, sample(wechat.text.variables));
          break;
        }
      }
    }
  }
  return out;
}

describe('the shipped message templates', () => {
  it('render every entry and part with its variables', () => {
    const all = renderEverything();
    // Every part of every entry is there: nothing the catalogue lists was left unrendered.
    for (const [entry, spec] of Object.entries(MESSAGE_CATALOGUE as Readonly<Record<string, EntrySpec>>)) {
      for (const part of Object.keys(spec.parts)) {
        const name = `${yamlName(entry)}.${yamlName(part)}`;
        expect(Object.keys(all).some((k) => k === name || k.startsWith(`${name}.`)), name).toBe(true);
      }
    }
    expect(all).toMatchSnapshot();
  });

  it('word the staff notices as they always were', () => {
    expect(renderText(templates.reminder.text, { step: '出院电话回访', customer: '王女士', phone: '138****0001', deadline: '2026-11-10 23:59' })).toBe(
      '【回访提醒】「出院电话回访」王女士（138****0001）尚未记录结果，截止 2026-11-10 23:59。请完成回访后在任务卡片上点选结果。',
    );
    expect(renderText(templates.overdueNotice.text, { step: '出院电话回访', customer: '王女士', phone: templates.labels.noPhone, deadline: '2026-11-10 23:59' })).toBe(
      '【回访逾期】「出院电话回访」王女士（无电话）已超过截止时间 2026-11-10 23:59，已上报。请尽快完成并在任务卡片上记录结果。',
    );
    expect(renderText(templates.escalationClimbed.text, { reason: templates.labels.escalationReasons.DISSATISFIED, customer: '王秀英', deadline: '2026-11-12 09:00', level: 2, owner: '王主任' })).toBe(
      '【回访升级】客户不满意（王秀英）已超过处理时限 2026-11-12 09:00，已升级至第2级：王主任。',
    );
    expect(renderText(templates.taskCard.outcomes.unreachable_retry, { attempt: 2 })).toBe('未接通（第2次，稍后再拨）');
    expect(renderText(templates.taskCard.recorded, { outcome: templates.taskCard.outcomes.satisfied.text, staff: '李护士' })).toBe('已回访·满意·李护士');
    expect(templates.taskListReply.help).toBe('可发送：我的任务（查看待办回访）、今日回访（今天到期的回访）。回访结果请在任务卡片上点击记录。');
  });

  it('word the digest lines with their marks', () => {
    const d = templates.weeklyDigest;
    const overdue = renderRuns(d.overdue, { count: 2 });
    expect(renderRuns(d.timeliness, { doneOnTime: 3, overdue, overdueOpen: 1, doneLate: 1, onTimeRate: '62.5%' })).toEqual([
      { text: '按时完成 3｜', mark: 'plain' },
      { text: '逾期 2', mark: 'warning' },
      { text: '（未办 1，迟办 1）｜按时率 ', mark: 'plain' },
      { text: '62.5%', mark: 'strong' },
    ]);
    expect(textAroundCount(d.more)).toEqual({ before: '…另有', after: '项' });
    expect(textAroundCount(templates.monthlyReport.moreNames)).toEqual({ before: '…等', after: '人' });
    expect(renderRuns(templates.monthlyReport.downloads, { xlsx: 'https://h.example.cn/r/x', staffCsv: '', departmentsCsv: '', chart: '' })).toEqual([
      { text: '下载 Excel 报表', href: 'https://h.example.cn/r/x' },
    ]);
  });
});

describe('marked wordings', () => {
  it('split into runs: strong, tags, links and plain text between', () => {
    expect(parseMarkup('**应回访 {due} 项**（员工 {n}）<warning>逾期</warning>，[下载]({url})')).toEqual({
      segments: [
        { text: '应回访 {due} 项', mark: 'strong' },
        { text: '（员工 {n}）', mark: 'plain' },
        { text: '逾期', mark: 'warning' },
        { text: '，', mark: 'plain' },
        { text: '下载', href: '{url}' },
      ],
    });
  });

  it('refuse unbalanced or nested marks and channel markup', () => {
    for (const text of ['**应回访', '<info>好', '好</comment>', '<warning>**逾期**</warning>', '[下载]()', '<font color="warning">逾期</font>', '### 周报']) {
      expect(parseMarkup(text), text).toHaveProperty('problem');
    }
    expect(parseMarkup('（无标记）[1]')).toEqual({ segments: [{ text: '（无标记）[1]', mark: 'plain' }] });
  });

  it('take runs as variables, keeping their marks and giving plain ones the mark around them', () => {
    const template = { text: '**合计 {n}**｜{figures}', variables: ['n', 'figures'], segments: [{ text: '合计 {n}', mark: 'strong' as const }, { text: '｜{figures}', mark: 'plain' as const }] };
    expect(renderRuns(template, { n: 3, figures: [{ text: '逾期 1', mark: 'warning' }, { text: '，未结 2', mark: 'plain' }] })).toEqual([
      { text: '合计 3', mark: 'strong' },
      { text: '｜', mark: 'plain' },
      { text: '逾期 1', mark: 'warning' },
      { text: '，未结 2', mark: 'plain' },
    ]);
    expect(() => renderRuns(template, { n: 3 } as never)).toThrow(/figures/);
  });
});

describe('renderTemplate', () => {
  it('fills each placeholder, as often as it appears, and leaves everything else as written', () => {
    expect(renderTemplate('{a}{b}-{a}', { a: '甲', b: 2 })).toBe('甲2-甲');
    expect(renderTemplate('没有变量', {})).toBe('没有变量');
    // Not placeholders: a name must start with a letter or "_", and braces must close around it alone.
    expect(renderTemplate('{1x} { a } {a', { a: 'x' })).toBe('{1x} { a } {a');
    // A value is inserted as it is: no replacement patterns.
    expect(renderTemplate('【{org}】', { org: "$& $1 $' {org}" })).toBe("【$& $1 $' {org}】");
  });

  it('renders the same text again with other values', () => {
    const text = '{customer}（{phone}）';
    expect(renderTemplate(text, { customer: '王女士', phone: '138****0001' })).toBe('王女士（138****0001）');
    expect(renderTemplate(text, { customer: '张先生', phone: '139****0002' })).toBe('张先生（139****0002）');
  });

  it('refuses a placeholder without a value, every time', () => {
    for (let round = 0; round < 2; round++) {
      expect(() => renderTemplate('{a}，{missing}', { a: 'x' })).toThrow(expect.objectContaining({ code: 'TEMPLATE_VARIABLE_MISSING', details: { name: 'missing' } }));
    }
  });
});
