import { describe, expect, it } from 'vitest';
import type { StaffDocument } from '../../../bot/core/messages.js';
import { formatDocumentHtml } from '../../../bot/channels/sandbox/format-document-html.js';
import { formatDocumentText } from '../../../bot/channels/sandbox/format-document-text.js';
import { formatStaffMessageHtml } from '../../../bot/channels/sandbox/format-staff-message-html.js';

const document: StaffDocument = {
  title: '回访周报｜<心内科>',
  body: [
    { kind: 'quote', runs: [{ text: '王主任：11月2日', mark: 'plain' }] },
    { kind: 'blank' },
    { kind: 'text', runs: [{ text: '应回访 2 项', mark: 'strong' }, { text: '｜', mark: 'plain' }, { text: '逾期 1', mark: 'warning' }, { text: '<script>', mark: 'comment' }] },
    { kind: 'heading', text: '按人员' },
    { kind: 'list', layout: 'lines', items: [[{ text: '李护士', mark: 'plain' }], [{ text: '周护士', mark: 'info' }]], more: { before: '…另有', after: '项', count: 'left_out' } },
    { kind: 'list', layout: 'inline', lead: [{ text: '低于70%：', mark: 'plain' }], items: [[{ text: '甲', mark: 'plain' }], [{ text: '乙', mark: 'plain' }]], separator: '、', more: { before: '…等', after: '人', count: 'all' } },
  ],
  footer: [{ kind: 'text', runs: [{ text: '查看', href: 'https://h.example.cn/d/x' }, { text: '｜', mark: 'plain' }, { text: '别点', href: 'javascript:alert(1)' }] }],
};

describe('the sandbox’s rendering of staff documents', () => {
  it('writes HTML with marks as elements, every text escaped, and only web links as links', () => {
    expect(formatDocumentHtml(document)).toBe(
      '<div class="doc"><h4>回访周报｜&lt;心内科&gt;</h4><blockquote>王主任：11月2日</blockquote>' +
        '<p><strong>应回访 2 项</strong>｜<span class="warning">逾期 1</span><span class="comment">&lt;script&gt;</span></p>' +
        '<h5>按人员</h5><p>李护士</p><p><span class="info">周护士</span></p><p>低于70%：甲、乙</p>' +
        '<p><a href="https://h.example.cn/d/x" target="_blank" rel="noopener">查看</a>｜别点</p></div>',
    );
  });

  it('writes plain text for a terminal', () => {
    expect(formatDocumentText(document)).toBe(
      ['回访周报｜<心内科>', '  王主任：11月2日', '', '应回访 2 项｜逾期 1<script>', '按人员', '李护士', '周护士', '低于70%：甲、乙', '查看 <https://h.example.cn/d/x>｜别点 <javascript:alert(1)>'].join('\n'),
    );
  });

  it('shows old markdown payloads read back, and nothing for other kinds', () => {
    expect(formatStaffMessageHtml('staff_markdown', { markdown: '### 回访周报\n**应回访 2 项**｜<font color="warning">逾期 1</font>' })).toBe(
      '<div class="doc"><h4>回访周报</h4><p><strong>应回访 2 项</strong>｜<span class="warning">逾期 1</span></p></div>',
    );
    expect(formatStaffMessageHtml('staff_document', { document })).toContain('<h4>回访周报｜&lt;心内科&gt;</h4>');
    expect(formatStaffMessageHtml('staff_text', { text: 'x' })).toBeNull();
  });
});
