import type { Satisfaction } from '../model.js';

/** What a customer's free-text SMS reply means. */
export type ParsedReply =
  | { kind: 'score'; score: number; scale: 5; normalized: number; satisfaction: Satisfaction; comment: string | null }
  | { kind: 'opt_out' }
  | { kind: 'text'; text: string };

/**
 * Opt-out words, compared after width folding, upper-casing and dropping trailing punctuation. `R` is
 * Tencent's current wording (`拒收请回复R`); `TD`, `T` and `N` are older carriers' and still sent by
 * customers (docs/protocols/tencent-sms.md §4.5), and customers often echo the instruction itself.
 */
const OPT_OUT = new Set([
  'R',
  'TD',
  'T',
  'N',
  '退订',
  '退定',
  '退',
  '拒收',
  '取消',
  '取消订阅',
  '退订回T',
  '回T退订',
  '退订回TD',
  '回TD退订',
  '回复TD退订',
  '拒收请回复R',
  '回复R',
  '回R',
  'UNSUBSCRIBE',
  'STOP',
]);

/** Satisfaction words, longest first within each meaning, so that "非常不满意" is not read as "不满意". */
const WORDS: readonly [RegExp, number][] = [
  // The invitation's own labels (5很好 … 1很差) mean its digits.
  [/^(很不满意|非常不满意|极不满意|特别不满意|十分不满意|很差)/, 1],
  [/^(不满意|不太满意|较差|差)/, 2],
  [/^(一般|基本满意|还行|还可以|凑合)/, 3],
  [/^(非常满意|很满意|十分满意|特别满意|满分|非常好|很好)/, 5],
  [/^(比较满意|满意|挺满意|挺好|较好|好|不错)/, 4],
];

/** A label customers copy after the digit from the invitation's "（5很好，1很差）" (or older "（5=非常满意）"). */
const LABEL = /^[=＝:：]?\s*[（(]?\s*(?:非常满意|很满意|满意|比较满意|基本满意|一般|不太满意|不满意|很不满意|非常不满意|好评|差评|很好|较好|较差|很差)\s*[)）]?/;

const SEPARATOR = '[\\s,，。.!！;；:：、~～]';

const CHINESE_DIGITS: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5 };
const CIRCLED_DIGITS: Record<string, string> = { '①': '1', '②': '2', '③': '3', '④': '4', '⑤': '5' };

/**
 * Parses an SMS reply on the 1–5 scale (5 = 非常满意). Understands, in half- or full-width: `5`, `5分`,
 * `5星`, `5颗星`, `五分`, `五星`, `⑤`, `打5分` / `给5分`, a copied label (`5=非常满意`, `5（非常满意）`,
 * `5分满意`), satisfaction words (`满意`, `非常满意`, `不满意` …) and a trailing comment after a separator
 * (`不满意，护士态度差`). Opt-out words (R, TD, T, N, 退订, 拒收, 取消, 退订回T …) are recognised
 * whatever their case or width. Anything else — questions, complaints, scores outside 1–5 — is kept
 * as text for a person to read.
 */
export function parseSurveyReply(raw: string): ParsedReply {
  const text = toHalfWidth(raw)
    .replace(/[①②③④⑤]/g, (c) => CIRCLED_DIGITS[c]!)
    .trim();
  if (!text) return { kind: 'text', text: raw };
  const bare = text.replace(new RegExp(`${SEPARATOR}+$`), '').toUpperCase();
  if (OPT_OUT.has(bare)) return { kind: 'opt_out' };

  // "我给你们打5分" → "5分": the verb before the score carries nothing.
  const body = text.replace(/^(?:我)?(?:给(?:你们|您们|你|您)?)?(?:打|评)?\s*(?=[1-5一二两三四五])/, '');
  // A separator may follow the score, but not a decimal point followed by a digit ("5.5" is no answer).
  const numeric = new RegExp(`^([1-5])(?![\\d.]\\d)\\s*(分|颗星|星)?(.*)$`, 's').exec(body);
  const parsed = numeric
    ? withRest(Number(numeric[1]), numeric[3]!)
    : (() => {
        const chinese = /^([一二两三四五])\s*(分|颗星|星)(.*)$/s.exec(body);
        return chinese ? withRest(CHINESE_DIGITS[chinese[1]!]!, chinese[3]!) : byWords(text);
      })();
  if (!parsed) return { kind: 'text', text: raw };
  // The comment is a suffix of the folded text; quote it as the customer typed it (full-width
  // punctuation included). Folding keeps every character's position, so the suffix lines up.
  const original = raw.trim();
  const comment = parsed.comment === undefined ? undefined : original.slice(original.length - parsed.comment.length);
  return score(parsed.value, comment);
}

interface ScoreAndRest {
  value: number;
  /** The comment as a suffix of the folded text. */
  comment: string | undefined;
}

function byWords(text: string): ScoreAndRest | null {
  for (const [pattern, value] of WORDS) {
    const m = pattern.exec(text);
    if (m) {
      const after = text.slice(m[0].length);
      // "满意度很低" or "好的，你们是谁" are not answers: only accept a word followed by nothing or a separator.
      if (after === '' || new RegExp(`^${SEPARATOR}`).test(after)) return { value, comment: stripSeparators(after) };
    }
  }
  return null;
}

/** After a score: nothing, a copied label, or a separator and a comment; anything else is no answer ("55", "5个"). */
function withRest(value: number, rest: string): ScoreAndRest | null {
  let remainder = rest;
  const label = LABEL.exec(remainder.trimStart());
  if (label) {
    const after = remainder.trimStart().slice(label[0].length);
    // A bracketed label closes itself ("5（非常满意）谢谢"); a bare one must end there ("3分 一般般" is a comment).
    if (/[)）]$/.test(label[0])) return { value, comment: stripSeparators(after) };
    if (after === '' || new RegExp(`^${SEPARATOR}`).test(after)) remainder = after;
  }
  if (remainder.trim() === '') return { value, comment: undefined };
  if (!new RegExp(`^${SEPARATOR}`).test(remainder)) return null;
  return { value, comment: stripSeparators(remainder) };
}

function stripSeparators(s: string): string | undefined {
  const stripped = s.replace(new RegExp(`^${SEPARATOR}+`), '').trim();
  return stripped === '' ? undefined : stripped;
}

function score(value: number, comment: string | undefined): ParsedReply {
  return {
    kind: 'score',
    score: value,
    scale: 5,
    normalized: (value - 1) / 4,
    satisfaction: value >= 4 ? 'SATISFIED' : value === 3 ? 'NEUTRAL' : 'DISSATISFIED',
    comment: comment?.trim() ? comment.trim() : null,
  };
}

/** Converts full-width ASCII (１２３ＡＢＣ, full-width punctuation) to half-width. */
export function toHalfWidth(s: string): string {
  return s.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');
}
