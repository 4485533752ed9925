import type { StaffDocument } from '../../core/messages.js';
import { fitWecomDocument } from '../wecom/format-markdown.js';
import { parseWecomMarkdown } from '../wecom/parse-markdown.js';
import { formatDocumentHtml } from './format-document-html.js';

/**
 * The HTML the sandbox page shows for a delivered formatted staff message, as the member would see it
 * in WeCom: a `staff_document` fitted to WeCom's markdown limit (lists shortened the same way), or a
 * `staff_markdown` payload of an earlier version read back from its markdown. Null for other kinds or
 * content that is not such a message.
 */
export function formatStaffMessageHtml(kind: string, content: unknown): string | null {
  if (!content || typeof content !== 'object') return null;
  if (kind === 'staff_document' && 'document' in content) return formatDocumentHtml(fitWecomDocument(content.document as StaffDocument));
  if (kind === 'staff_markdown' && 'markdown' in content && typeof content.markdown === 'string') return formatDocumentHtml(parseWecomMarkdown(content.markdown));
  return null;
}
