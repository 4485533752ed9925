/**
 * Tencent's rules for an SMS template text (正文模板), as Huifang checks them when templates load
 * (docs/protocols/tencent-sms.md §4.4). Pure.
 *
 * Two levels:
 * - {@link checkSmsTemplate}: what Tencent's review or `SendSms` refuses for certain — `【】` in the text,
 *   two adjacent variables, a template of variables only, a link inside or as a variable, more than 500
 *   characters — reported as load problems (the start stops);
 * - {@link smsReviewRisks}: wording of categories the review standard bans (questionnaires, requests for
 *   good reviews, medical content, decoration and building materials). Words alone do not prove the
 *   category, so these are warnings that `campaign list` and the start-up log show.
 */
import { measureSms, SMS_MAX_CHARACTERS } from './sms-length.js';

const PLACEHOLDER = /\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g;

/** The longest signature Tencent approves (2–12 characters; docs/protocols/tencent-sms.md §4.3). */
export const LONGEST_SIGN_NAME = 'XXXXXXXXXXXX';
/** Longest value assumed for a variable without a known bound: individually verified accounts' limit (§4.4). */
export const DEFAULT_VARIABLE_CHARS = 12;

export interface SmsTemplateInput {
  /** The text with `{name}` placeholders, without the signature. */
  text: string;
  /** Longest value of each variable; others count {@link DEFAULT_VARIABLE_CHARS} characters. */
  longest?: Readonly<Record<string, string>>;
  /** Variables whose value is a link (a survey link): none may be a template variable. */
  linkVariables?: readonly string[];
}

const URL_START = /(https?:\/\/|www\.)/i;

/** Problems Tencent would refuse the template for, each a sentence for the operator; empty when it passes. */
export function checkSmsTemplate(input: SmsTemplateInput): string[] {
  const { text } = input;
  const problems: string[] = [];
  if (/\}\s*\{/.test(text)) problems.push('two variables are adjacent ("}{"): Tencent refuses such templates; put text between them');
  if (/[【】]/.test(text)) problems.push('no 【】 in the text: Tencent adds the signature 【…】 itself (register the text without it)');
  const names = [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  const fixed = text.replace(PLACEHOLDER, '').replace(/[\s\p{P}]/gu, '');
  if (names.length > 0 && [...fixed].length < 2) problems.push('the text is made of variables only: Tencent requires fixed wording that shows what the message is for');
  for (const name of names) {
    if (input.linkVariables?.includes(name)) problems.push(`{${name}} is a link: Tencent refuses links in variables; a link can only be fixed text of the template`);
  }
  // A placeholder inside a URL (https://x.cn/{1}, www.{1}.com) makes the variable part of a link.
  for (const m of text.matchAll(/(https?:\/\/|www\.)[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*/gi)) {
    if (/\{[a-zA-Z_]/.test(m[0])) problems.push(`a variable inside the link "${m[0]}": Tencent refuses links built from variables`);
  }
  const worst = text.replace(PLACEHOLDER, (_, name: string) => input.longest?.[name] ?? 'X'.repeat(DEFAULT_VARIABLE_CHARS));
  const measured = measureSms(worst, { signName: LONGEST_SIGN_NAME });
  if (!measured.withinLimit) problems.push(`the message can reach ${measured.characters} characters with the signature; Tencent accepts at most ${SMS_MAX_CHARACTERS}`);
  return problems;
}

/** Whether a text contains the start of a link (for values that become SMS parameters). */
export function containsLink(value: string): boolean {
  return URL_START.test(value) || /\.(com|cn|net|org)\b/i.test(value);
}

/** A category of content Tencent's review standard bans, as Huifang recognises it by wording. */
export type SmsRiskCategory = 'survey' | 'good_review' | 'medical' | 'decoration';

/** Words that mark a banned category (a template with one of them is likely refused). */
export const SMS_RISK_WORDS: Readonly<Record<SmsRiskCategory, readonly string[]>> = Object.freeze({
  survey: ['问卷', '调查', '调研', '打分', '评分', '满意度'],
  good_review: ['好评', '五星', '点赞'],
  medical: ['医院', '医疗', '门诊', '住院', '出院', '就诊', '诊疗', '诊所', '病情', '手术', '患者', '病人', '体检', '护士', '医生'],
  decoration: ['装修', '建材', '家私', '家装'],
});

/** Chinese names of the categories, for messages. */
export const SMS_RISK_LABELS: Readonly<Record<SmsRiskCategory, string>> = Object.freeze({
  survey: '问卷调查',
  good_review: '邀请好评',
  medical: '医疗',
  decoration: '装修（含建材和家私）',
});

export interface SmsReviewRisk {
  category: SmsRiskCategory;
  word: string;
}

/** The banned-category words a text contains, in category order; empty when none. */
export function smsReviewRisks(text: string): SmsReviewRisk[] {
  const out: SmsReviewRisk[] = [];
  for (const [category, words] of Object.entries(SMS_RISK_WORDS) as [SmsRiskCategory, readonly string[]][]) {
    for (const word of words) if (text.includes(word)) out.push({ category, word });
  }
  return out;
}
