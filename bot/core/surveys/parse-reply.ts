import type { Satisfaction } from '../model.js';

/** What a customer's free-text SMS reply means. */
export type ParsedReply =
  | { kind: 'score'; score: number; scale: 5; normalized: number; satisfaction: Satisfaction; comment: string | null }
  | { kind: 'opt_out' }
  | { kind: 'text'; text: string };

const OPT_OUT = new Set(['R', 'TD', 'T', 'N', '退订', '退定', '拒收', '取消', '取消订阅', '退', 'UNSUBSCRIBE', 'STOP']);

const WORDS: readonly [RegExp, number][] = [
  [/^(非常满意|很满意|十分满意|特别满意)/, 5],
  [/^(很不满意|非常不满意|极不满意|特别不满意)/, 1],
  [/^(不满意|不太满意|差|很差)/, 2],
  [/^(一般|基本满意|还行|还可以|凑合)/, 3],
  [/^(比较满意|满意|挺好|好|不错)/, 4],
];

const CHINESE_DIGITS: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5 };

/**
 * Parses an SMS reply on the 1–5 scale (5 = 非常满意). Accepts half- and full-width digits, "5分",
 * "五分", satisfaction words, and a trailing comment ("不满意，护士态度差"). Opt-out words (R, TD,
 * 退订 …) are recognised exactly. Anything else is kept as text for a person to read.
 */
export function parseSurveyReply(raw: string): ParsedReply {
  const text = toHalfWidth(raw).trim();
  if (!text) return { kind: 'text', text: raw };
  if (OPT_OUT.has(text.toUpperCase())) return { kind: 'opt_out' };

  // A separator may follow the score, but not a decimal point followed by a digit ("5.5" is no answer).
  const numeric = /^([1-5])\s*(分|星)?(?:(?:[\s,，。!！;；:：、]|\.(?!\d))+(.*))?$/s.exec(text);
  if (numeric) return score(Number(numeric[1]), numeric[3]);
  const chinese = /^([一二两三四五])\s*(分|星)(?:[\s,，。.!！;；:：、]+(.*))?$/s.exec(text);
  if (chinese) return score(CHINESE_DIGITS[chinese[1]!]!, chinese[3]);
  for (const [pattern, value] of WORDS) {
    const m = pattern.exec(text);
    if (m) {
      const rest = text.slice(m[0].length).replace(/^[\s,，。.!！;；:：、]+/, '');
      // "满意度很低" or "好的，你们是谁" are not answers: only accept a word followed by nothing or a separator.
      if (rest === '' || /^[\s,，。.!！;；:：、]/.test(text.slice(m[0].length))) return score(value, rest || undefined);
    }
  }
  return { kind: 'text', text: raw };
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
