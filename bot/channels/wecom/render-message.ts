import { ChannelError } from '../../core/errors.js';
import type { StaffAddress, StaffDocument, TaskCard } from '../../core/messages.js';
import { formatWecomMarkdown, MARKDOWN_BYTES } from './format-markdown.js';
import { truncateChars, truncateUtf8, utf8Length } from './text-limits.js';
import type { WecomButtonInteractionCard, WecomSendBody, WecomUpdateTemplateCardBody } from './wecom-client.js';

/**
 * Limits of the fields Huifang fills (docs/protocols/wecom.md §4.3, §4.4). Character limits on template
 * cards are WeCom's display guidance ("建议不超过"): longer texts are cut by the client, so we cut them
 * ourselves, with an ellipsis, where we choose. Byte limits (keys, task_id, text) are hard limits.
 */
export const WECOM_LIMITS = Object.freeze({
  sourceDescChars: 20,
  titleChars: 36,
  titleDescChars: 44,
  subtitleChars: 160,
  contentItems: 6,
  contentKeynameChars: 5,
  contentValueChars: 30,
  buttons: 6,
  buttonTextChars: 10,
  buttonKeyBytes: 1024,
  taskIdBytes: 128,
  textBytes: 2048,
  markdownBytes: MARKDOWN_BYTES,
  urlBytes: 2048,
  /**
   * `button.replace_name` has no documented limit (§5.1); a button text is ≲ 10 characters, so a longer
   * label may be cut on display, but "已回访·不满意·李护士" should stay whole.
   */
  replaceNameChars: 20,
});

/** `task_id`: digits, letters and `_ - @` only, ≤ 128 bytes, unique per application for ever (§4.4, §4.5). */
export const TASK_ID_PATTERN = /^[0-9A-Za-z_\-@]{1,128}$/;

/** WeCom drops an identical request within this many seconds instead of delivering it twice (§4.1). */
export const DUPLICATE_CHECK_INTERVAL_SECONDS = 1800;

const PROVIDER = 'wecom';

function invalid(code: string, message: string): ChannelError {
  // A message we cannot render will not render on a retry either: DEAD, with the reason.
  return new ChannelError(PROVIDER, 'permanent', code, message);
}

function checkUserId(to: StaffAddress): string {
  const userId = to.wecomUserId.trim();
  if (userId === '' || userId.includes('|')) throw invalid('INVALID_USERID', 'The staff member has no usable WeCom UserID');
  return userId;
}

/**
 * A staff task card as a `button_interaction` template card (§4.4). `task_id` is the card's own id
 * (`fu_<followUpId>_<attempt>`), which callbacks quote back as `TaskId`; duplicate check is on, so an
 * identical request repeated within 30 min (a retry after a lost answer) is not delivered twice.
 *
 * @throws ChannelError `permanent` (`INVALID_TASK_ID`, `INVALID_CARD`, `INVALID_USERID`) when the card
 *   cannot be sent as it is.
 */
export function renderTaskCard(agentId: number, to: StaffAddress, card: TaskCard): WecomSendBody {
  const touser = checkUserId(to);
  if (!TASK_ID_PATTERN.test(card.taskId)) {
    throw invalid('INVALID_TASK_ID', `Task card id must be 1-${WECOM_LIMITS.taskIdBytes} characters of 0-9 A-Z a-z _ - @ (docs/protocols/wecom.md §4.5)`);
  }
  const callbackButtons = card.buttons.map((b) => {
    if (b.key === '' || utf8Length(b.key) > WECOM_LIMITS.buttonKeyBytes) {
      throw invalid('INVALID_CARD', `A button key must be 1-${WECOM_LIMITS.buttonKeyBytes} bytes (docs/protocols/wecom.md §4.4)`);
    }
    return { type: 0 as const, text: truncateChars(b.text, WECOM_LIMITS.buttonTextChars), style: b.style, key: b.key };
  });
  if (callbackButtons.length === 0 || callbackButtons.length > WECOM_LIMITS.buttons) {
    throw invalid('INVALID_CARD', `A task card needs 1-${WECOM_LIMITS.buttons} buttons, got ${callbackButtons.length}`);
  }
  if (new Set(callbackButtons.map((b) => b.key)).size !== callbackButtons.length) {
    throw invalid('INVALID_CARD', 'Button keys of a card must be unique (docs/protocols/wecom.md §4.4)');
  }
  const buttons: WecomButtonInteractionCard['button_list'] = [...callbackButtons];
  if (card.detailUrl !== null) {
    if (!/^https?:\/\//.test(card.detailUrl) || utf8Length(card.detailUrl) > WECOM_LIMITS.urlBytes) {
      throw invalid('INVALID_CARD', 'The detail link must be an http(s) URL of at most 2048 bytes');
    }
    // The link button comes last and only if there is room: the action buttons matter more.
    if (buttons.length < WECOM_LIMITS.buttons) buttons.push({ type: 1, text: '详情', style: 1, url: card.detailUrl });
  }
  const content = card.fields
    .filter((f) => f.label.trim() !== '')
    .slice(0, WECOM_LIMITS.contentItems)
    .map((f) => ({
      keyname: truncateChars(f.label, WECOM_LIMITS.contentKeynameChars),
      value: truncateChars(f.value.trim() === '' ? '—' : f.value, WECOM_LIMITS.contentValueChars),
    }));
  const templateCard: WecomButtonInteractionCard = {
    card_type: 'button_interaction',
    source: { desc: truncateChars(card.source, WECOM_LIMITS.sourceDescChars), desc_color: 0 },
    main_title: {
      title: truncateChars(card.title, WECOM_LIMITS.titleChars),
      ...(card.description === '' ? {} : { desc: truncateChars(card.description, WECOM_LIMITS.titleDescChars) }),
    },
    ...(card.subtitle === '' ? {} : { sub_title_text: truncateChars(card.subtitle, WECOM_LIMITS.subtitleChars) }),
    ...(content.length === 0 ? {} : { horizontal_content_list: content }),
    task_id: card.taskId,
    button_list: buttons,
  };
  return {
    touser,
    msgtype: 'template_card',
    agentid: agentId,
    template_card: templateCard,
    enable_duplicate_check: 1,
    duplicate_check_interval: DUPLICATE_CHECK_INTERVAL_SECONDS,
  };
}

/**
 * A `text` app message (§4.3): at most 2048 UTF-8 bytes, cut with an ellipsis beyond (WeCom would
 * cut it too, or refuse it with 45002). Duplicate check is on, like the cards.
 */
export function renderStaffText(agentId: number, to: StaffAddress, text: string): WecomSendBody {
  const touser = checkUserId(to);
  if (text.trim() === '') throw invalid('EMPTY_TEXT', 'A text message must not be empty (WeCom errcode 44004)');
  return {
    touser,
    msgtype: 'text',
    agentid: agentId,
    text: { content: truncateUtf8(text, WECOM_LIMITS.textBytes) },
    enable_duplicate_check: 1,
    duplicate_check_interval: DUPLICATE_CHECK_INTERVAL_SECONDS,
  };
}

/**
 * A staff document (digest, report) as a markdown message: WeCom's subset (headings, bold, links,
 * quotes, coloured font) within its 2048-byte limit, lists shortened to fit and the links kept whole
 * (`formatWecomMarkdown`).
 */
export function renderStaffDocument(agentId: number, to: StaffAddress, document: StaffDocument): WecomSendBody {
  return renderStaffMarkdown(agentId, to, formatWecomMarkdown(document, { maxBytes: WECOM_LIMITS.markdownBytes }));
}

/**
 * A markdown message as earlier versions stored it (outbox rows of kind `staff_markdown`); at most
 * 2048 bytes, cut with an ellipsis beyond.
 */
export function renderStaffMarkdown(agentId: number, to: StaffAddress, markdown: string): WecomSendBody {
  const touser = checkUserId(to);
  if (markdown.trim() === '') throw invalid('EMPTY_TEXT', 'A markdown message must not be empty (WeCom errcode 44004)');
  return {
    touser,
    msgtype: 'markdown',
    agentid: agentId,
    markdown: { content: truncateUtf8(markdown, WECOM_LIMITS.markdownBytes) },
    enable_duplicate_check: 1,
    duplicate_check_interval: DUPLICATE_CHECK_INTERVAL_SECONDS,
  };
}

/** Turns the tapper's copy of a card into one disabled button labelled `replaceName` (§5.1, form 1). */
export function renderCardUpdate(agentId: number, to: StaffAddress, responseCode: string, replaceName: string): WecomUpdateTemplateCardBody {
  const userId = checkUserId(to);
  return {
    userids: [userId],
    agentid: agentId,
    response_code: responseCode,
    button: { replace_name: truncateChars(replaceName, WECOM_LIMITS.replaceNameChars) },
  };
}

/** The text sent instead of a card update when there is no `response_code` to update the card with. */
export function recordedNoticeText(replaceName: string): string {
  return `已记录：${replaceName}`;
}
