import { describe, expect, it } from 'vitest';
import { ChannelError } from '../../../bot/core/errors.js';
import type { StaffAddress, StaffDocument, TaskCard, TextRun } from '../../../bot/core/messages.js';
import {
  recordedNoticeText,
  renderCardUpdate,
  renderStaffDocument,
  renderStaffMarkdown,
  renderStaffText,
  renderTaskCard,
  WECOM_LIMITS,
} from '../../../bot/channels/wecom/render-message.js';
import { charLength, ELLIPSIS, truncateChars, truncateUtf8, utf8Length } from '../../../bot/channels/wecom/text-limits.js';
import { fitWecomDocument, formatWecomMarkdown } from '../../../bot/channels/wecom/format-markdown.js';
import { parseWecomMarkdown } from '../../../bot/channels/wecom/parse-markdown.js';
import type { WecomButtonInteractionCard } from '../../../bot/channels/wecom/wecom-client.js';

const to: StaffAddress = { staffId: 'S1', wecomUserId: 'hushi.li' };

function card(overrides: Partial<TaskCard> = {}): TaskCard {
  return {
    taskId: 'fu_01HV4Q9Z_1',
    source: '回访提醒',
    title: '出院电话回访：王女士',
    description: '截止 2026-11-10 23:59',
    subtitle: '询问目前情况、服药、锻炼、生活情况',
    fields: [
      { label: '客户', value: '王秀英' },
      { label: '电话', value: '138****0001' },
    ],
    buttons: [
      { key: 'satisfied:01HV4Q9Z:1', text: '已回访·满意', style: 1 },
      { key: 'unreachable:01HV4Q9Z:1', text: '未接通', style: 2 },
    ],
    detailUrl: null,
    ...overrides,
  };
}

function templateCard(c: TaskCard): WecomButtonInteractionCard {
  const body = renderTaskCard(1000002, to, c);
  if (body.msgtype !== 'template_card') throw new Error('expected a template card');
  return body.template_card;
}

function permanentError(fn: () => unknown): ChannelError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ChannelError);
    expect((error as ChannelError).kind).toBe('permanent');
    return error as ChannelError;
  }
  throw new Error('expected a ChannelError');
}

describe('text limits', () => {
  it('cuts by characters, never inside a surrogate pair or an emoji sequence', () => {
    expect(truncateChars('短文本', 5)).toBe('短文本');
    expect(truncateChars('一二三四五六', 5)).toBe(`一二三四${ELLIPSIS}`);
    const family = '👨‍👩‍👧';
    const cut = truncateChars(`ab${family}${family}c`, 4);
    expect(cut).toBe(`ab${family}${ELLIPSIS}`);
    expect(charLength(cut)).toBe(4);
  });

  it('cuts by UTF-8 bytes with an ellipsis counted in', () => {
    const text = '回'.repeat(1000); // 3000 bytes
    const cut = truncateUtf8(text, 2048);
    expect(utf8Length(cut)).toBeLessThanOrEqual(2048);
    expect(cut.endsWith(ELLIPSIS)).toBe(true);
    expect(cut).toBe(`${'回'.repeat(681)}${ELLIPSIS}`);
    expect(truncateUtf8('ok', 2048)).toBe('ok');
    expect(truncateUtf8('😀😀', 5)).toBe(ELLIPSIS);
  });
});

describe('renderTaskCard', () => {
  it('renders a button_interaction card with duplicate check on', () => {
    const body = renderTaskCard(1000002, to, card());
    expect(body).toMatchObject({ touser: 'hushi.li', msgtype: 'template_card', agentid: 1000002, enable_duplicate_check: 1, duplicate_check_interval: 1800 });
    const t = templateCard(card());
    expect(t).toEqual({
      card_type: 'button_interaction',
      source: { desc: '回访提醒', desc_color: 0 },
      main_title: { title: '出院电话回访：王女士', desc: '截止 2026-11-10 23:59' },
      sub_title_text: '询问目前情况、服药、锻炼、生活情况',
      horizontal_content_list: [
        { keyname: '客户', value: '王秀英' },
        { keyname: '电话', value: '138****0001' },
      ],
      task_id: 'fu_01HV4Q9Z_1',
      button_list: [
        { type: 0, text: '已回访·满意', style: 1, key: 'satisfied:01HV4Q9Z:1' },
        { type: 0, text: '未接通', style: 2, key: 'unreachable:01HV4Q9Z:1' },
      ],
    });
  });

  it('keeps every text within the documented display limits', () => {
    const long = (n: number) => '长'.repeat(n);
    const t = templateCard(
      card({
        source: long(30),
        title: long(50),
        description: long(60),
        subtitle: long(200),
        fields: Array.from({ length: 8 }, (_, i) => ({ label: `字段名称很长${i}`, value: long(40) })),
        buttons: [{ key: 'k1', text: long(12), style: 1 }],
      }),
    );
    expect(charLength(t.source!.desc!)).toBe(WECOM_LIMITS.sourceDescChars);
    expect(charLength(t.main_title.title!)).toBe(36);
    expect(charLength(t.main_title.desc!)).toBe(44);
    expect(charLength(t.sub_title_text!)).toBe(160);
    expect(t.horizontal_content_list).toHaveLength(6);
    for (const item of t.horizontal_content_list!) {
      expect(charLength(item.keyname)).toBeLessThanOrEqual(5);
      expect(charLength(item.value)).toBeLessThanOrEqual(30);
    }
    expect(charLength(t.button_list[0]!.text)).toBe(10);
    expect(t.main_title.title!.endsWith(ELLIPSIS)).toBe(true);
  });

  it('adds a 详情 link button only when the card has a detail URL, and only if there is room', () => {
    expect(templateCard(card()).button_list.some((b) => b.type === 1)).toBe(false);
    const withLink = templateCard(card({ detailUrl: 'https://huifang.example/f/01HV4Q9Z' }));
    expect(withLink.button_list.at(-1)).toEqual({ type: 1, text: '详情', style: 1, url: 'https://huifang.example/f/01HV4Q9Z' });
    const six = Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, text: `b${i}`, style: 1 as const }));
    const full = templateCard(card({ buttons: six, detailUrl: 'https://huifang.example/f/x' }));
    expect(full.button_list).toHaveLength(6);
    expect(full.button_list.every((b) => b.type === 0)).toBe(true);
  });

  it('uses task_id exactly as given and refuses one WeCom would refuse', () => {
    expect(templateCard(card({ taskId: 'fu_A-b@c_1' })).task_id).toBe('fu_A-b@c_1');
    expect(templateCard(card({ taskId: 'x'.repeat(128) })).task_id).toHaveLength(128);
    for (const taskId of ['', 'fu 1', 'fu:1', 'fu_回访', 'x'.repeat(129)]) {
      expect(permanentError(() => renderTaskCard(1, to, card({ taskId }))).providerCode).toBe('INVALID_TASK_ID');
    }
  });

  it('refuses button keys over 1024 bytes, duplicated keys and more than 6 buttons', () => {
    const ok = templateCard(card({ buttons: [{ key: 'k'.repeat(1024), text: 'x', style: 1 }] }));
    expect(ok.button_list[0]).toMatchObject({ key: 'k'.repeat(1024) });
    expect(permanentError(() => renderTaskCard(1, to, card({ buttons: [{ key: '键'.repeat(342), text: 'x', style: 1 }] }))).providerCode).toBe('INVALID_CARD');
    expect(
      permanentError(() =>
        renderTaskCard(1, to, card({ buttons: [{ key: 'a', text: 'x', style: 1 }, { key: 'a', text: 'y', style: 2 }] })),
      ).providerCode,
    ).toBe('INVALID_CARD');
    const seven = Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, text: `b${i}`, style: 1 as const }));
    expect(permanentError(() => renderTaskCard(1, to, card({ buttons: seven }))).providerCode).toBe('INVALID_CARD');
  });

  it('refuses a recipient without a usable UserID', () => {
    expect(permanentError(() => renderTaskCard(1, { staffId: 'S', wecomUserId: ' ' }, card())).providerCode).toBe('INVALID_USERID');
    expect(permanentError(() => renderTaskCard(1, { staffId: 'S', wecomUserId: 'a|b' }, card())).providerCode).toBe('INVALID_USERID');
  });
});

describe('renderStaffText and renderCardUpdate', () => {
  it('cuts a text message to 2048 UTF-8 bytes', () => {
    const body = renderStaffText(7, to, '请'.repeat(5000));
    if (body.msgtype !== 'text') throw new Error('expected text');
    expect(utf8Length(body.text.content)).toBeLessThanOrEqual(2048);
    expect(body.text.content.endsWith(ELLIPSIS)).toBe(true);
    expect(permanentError(() => renderStaffText(7, to, '  ')).providerCode).toBe('EMPTY_TEXT');
  });

  it('updates the tapper’s card with the response_code and a replace_name', () => {
    expect(renderCardUpdate(7, to, 'RC1', '已回访·满意·李护士')).toEqual({
      userids: ['hushi.li'],
      agentid: 7,
      response_code: 'RC1',
      button: { replace_name: '已回访·满意·李护士' },
    });
    expect(recordedNoticeText('已回访·满意·李护士')).toBe('已记录：已回访·满意·李护士');
  });
});

const plain = (text: string): TextRun[] => [{ text, mark: 'plain' }];

/** A document with every kind of line: marks, a quote, a shortenable list of lines, an inline list, a link footer. */
function documentWith(items: number, names: number): StaffDocument {
  return {
    title: '回访周报｜心内科病区',
    body: [
      { kind: 'quote', runs: plain('王主任：11月23日（周一） 至 11月29日（周日）') },
      { kind: 'blank' },
      { kind: 'text', runs: [{ text: '应回访 9 项', mark: 'strong' }, { text: '｜', mark: 'plain' }, { text: '逾期 2', mark: 'warning' }, { text: '｜', mark: 'plain' }, { text: '+2.5', mark: 'info' }, { text: '（备注）', mark: 'comment' }] },
      { kind: 'blank' },
      { kind: 'heading', text: '按人员' },
      { kind: 'list', layout: 'lines', items: Array.from({ length: items }, (_, i) => plain(`护士${String(i).padStart(3, '0')}　应 1｜完成 1（按时 1）`)), more: { before: '…另有', after: '项', count: 'left_out' } },
      { kind: 'list', layout: 'inline', lead: plain('低于50%：'), items: Array.from({ length: names }, (_, i) => plain(`员工${String(i).padStart(3, '0')}`)), separator: '、', more: { before: '…等', after: '人', count: 'all' } },
    ],
    footer: [{ kind: 'blank' }, { kind: 'text', runs: [{ text: '查看完整周报', href: 'https://h.example.cn/d/x.sig' }] }],
  };
}

describe('staff documents as WeCom markdown', () => {
  it('writes marks, quotes, headings, lists and links in WeCom’s markdown subset', () => {
    expect(formatWecomMarkdown(documentWith(2, 2))).toBe(
      [
        '### 回访周报｜心内科病区',
        '> 王主任：11月23日（周一） 至 11月29日（周日）',
        '',
        '**应回访 9 项**｜<font color="warning">逾期 2</font>｜<font color="info">+2.5</font><font color="comment">（备注）</font>',
        '',
        '#### 按人员',
        '护士000　应 1｜完成 1（按时 1）',
        '护士001　应 1｜完成 1（按时 1）',
        '低于50%：员工000、员工001',
        '',
        '[查看完整周报](https://h.example.cn/d/x.sig)',
      ].join('\n'),
    );
  });

  it('shortens the longest list first to fit 2048 bytes, says what it left out and keeps the footer whole', () => {
    const text = formatWecomMarkdown(documentWith(100, 100));
    expect(utf8Length(text)).toBeLessThanOrEqual(WECOM_LIMITS.markdownBytes);
    expect(text.endsWith('\n\n[查看完整周报](https://h.example.cn/d/x.sig)')).toBe(true);
    const lines = text.split('\n');
    const shownStaff = lines.filter((l) => l.startsWith('护士')).length;
    expect(lines).toContain(`…另有${100 - shownStaff}项`);
    expect(text).toMatch(/低于50%：员工000、.*…等100人\n/);
    // Both lists gave way: neither keeps much more than the other.
    const shownNames = /低于50%：(.*)…等/.exec(text)![1]!.split('、').length;
    expect(Math.abs(shownStaff - shownNames)).toBeLessThanOrEqual(1);
  });

  it('fits the same document for display, with the lists written out', () => {
    const fitted = fitWecomDocument(documentWith(100, 100));
    expect(fitted.body.some((l) => l.kind === 'list')).toBe(false);
    expect(formatWecomMarkdown(fitted)).toBe(formatWecomMarkdown(documentWith(100, 100)));
  });

  it('sends a document as a markdown message, and an old markdown payload as it was stored', () => {
    const body = renderStaffDocument(7, to, documentWith(2, 2));
    expect(body).toMatchObject({ touser: 'hushi.li', msgtype: 'markdown', agentid: 7, enable_duplicate_check: 1 });
    if (body.msgtype !== 'markdown') throw new Error('expected markdown');
    expect(body.markdown.content).toBe(formatWecomMarkdown(documentWith(2, 2)));
    const old = '### 回访周报｜心内科病区\n**应回访 9 项**\n[查看完整周报](https://h.example.cn/d/x.sig)';
    expect(renderStaffMarkdown(7, to, old)).toMatchObject({ msgtype: 'markdown', markdown: { content: old } });
  });

  it('reads an old markdown payload back into the same document', () => {
    const markdown = formatWecomMarkdown(documentWith(2, 2));
    const read = parseWecomMarkdown(markdown);
    expect(read.title).toBe('回访周报｜心内科病区');
    expect(read.body).toContainEqual({ kind: 'heading', text: '按人员' });
    expect(read.body).toContainEqual({ kind: 'text', runs: [{ text: '查看完整周报', href: 'https://h.example.cn/d/x.sig' }] });
    expect(formatWecomMarkdown(read)).toBe(markdown);
  });
});
