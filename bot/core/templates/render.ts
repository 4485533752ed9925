import { DomainError } from '../errors.js';
import type { TextMark, TextRun } from '../messages.js';
import type { MarkupSegment } from './markup.js';

const PLACEHOLDER = /\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g;

function missing(name: string): DomainError {
  return new DomainError('TEMPLATE_VARIABLE_MISSING', `Template variable "${name}" has no value`, { name });
}

/** `text` split at its placeholders: literal, name, literal, …, literal (`String.split` with the name captured). */
const SPLIT_AT_PLACEHOLDERS = new RegExp(PLACEHOLDER.source);

/** Template texts split once ({@link SPLIT_AT_PLACEHOLDERS}): the same few wordings are rendered for every message. */
const SPLIT_TEXTS = new Map<string, readonly string[]>();
/** Texts kept split at most; the map starts again when full (wordings are few, but a text may come from anywhere). */
const SPLIT_TEXTS_MAX = 1_000;

/**
 * Fills `{name}` placeholders. Pure; throws `TEMPLATE_VARIABLE_MISSING` when a placeholder has no value,
 * so a message is never sent with a hole in it. Each text is split at its placeholders once and kept; a
 * rendering then joins the pieces (several times faster than a regular-expression replace per message).
 */
export function renderTemplate(text: string, vars: Readonly<Record<string, string | number>>): string {
  let parts = SPLIT_TEXTS.get(text);
  if (parts === undefined) {
    parts = text.split(SPLIT_AT_PLACEHOLDERS);
    if (SPLIT_TEXTS.size >= SPLIT_TEXTS_MAX) SPLIT_TEXTS.clear();
    SPLIT_TEXTS.set(text, parts);
  }
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i]!;
    const value = vars[name];
    if (value === undefined) throw missing(name);
    out += String(value) + parts[i + 1]!;
  }
  return out;
}

/** Placeholder names used in a template text, in order of first appearance. */
export function templateVariables(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) if (!names.includes(m[1]!)) names.push(m[1]!);
  return names;
}

/**
 * A wording from templates/messages: `{name}` placeholders for the variables `V`. The loader has checked
 * that the text uses no other placeholder, so rendering with every variable of `V` cannot fail.
 */
export interface TextTemplate<V extends string = string> {
  readonly text: string;
  /** The variables the text may use. */
  readonly variables: readonly V[];
}

/**
 * A wording with neutral marks (`**strong**`, `<warning>…</warning>`, links; see markup.ts), parsed
 * and checked at load. Rendering gives text runs; a channel turns them into its own markup.
 */
export interface RichTemplate<V extends string = string> extends TextTemplate<V> {
  readonly segments: readonly MarkupSegment[];
}

/** The value of a variable in a marked wording: text (takes the mark around it) or runs (keep their own marks). */
export type RunValue = string | number | readonly TextRun[];

/** Renders a wording. Pure. */
export function renderText<V extends string>(template: TextTemplate<V>, vars: Readonly<Record<V, string | number>>): string {
  return renderTemplate(template.text, vars);
}

/**
 * Renders a marked wording into runs. A variable given as runs keeps their marks (a plain run takes the
 * mark around the placeholder); adjacent runs with the same mark are merged and empty ones dropped.
 * Pure; throws `TEMPLATE_VARIABLE_MISSING` like {@link renderTemplate}.
 */
export function renderRuns<V extends string>(template: RichTemplate<V>, vars: Readonly<Record<V, RunValue>>): TextRun[] {
  const values = vars as Readonly<Record<string, RunValue>>;
  const asText = (text: string) =>
    text.replace(PLACEHOLDER, (_, name: string) => {
      const value = values[name];
      if (value === undefined) throw missing(name);
      return typeof value === 'object' ? value.map((r) => r.text).join('') : String(value);
    });
  const runs: TextRun[] = [];
  for (const segment of template.segments) {
    if ('href' in segment) {
      runs.push({ text: asText(segment.text), href: asText(segment.href) });
      continue;
    }
    let at = 0;
    for (const m of segment.text.matchAll(PLACEHOLDER)) {
      runs.push({ text: segment.text.slice(at, m.index), mark: segment.mark });
      at = m.index + m[0].length;
      const value = values[m[1]!];
      if (value === undefined) throw missing(m[1]!);
      if (typeof value !== 'object') runs.push({ text: String(value), mark: segment.mark });
      else for (const r of value) runs.push('href' in r ? r : { text: r.text, mark: r.mark === 'plain' ? segment.mark : r.mark });
    }
    runs.push({ text: segment.text.slice(at), mark: segment.mark });
  }
  return mergeRuns(runs);
}

/** `text` as one run with `mark` [plain]. */
export function textRuns(text: string, mark: TextMark = 'plain'): TextRun[] {
  return text ? [{ text, mark }] : [];
}

/** Run lists joined by a plain separator. */
export function joinRuns(parts: readonly (readonly TextRun[])[], separator: string): TextRun[] {
  return mergeRuns(parts.flatMap((p, i) => (i === 0 ? [...p] : [{ text: separator, mark: 'plain' as const }, ...p])));
}

function mergeRuns(runs: readonly TextRun[]): TextRun[] {
  const out: TextRun[] = [];
  for (const r of runs) {
    if (r.text === '') continue;
    const last = out[out.length - 1];
    if (last && !('href' in last) && !('href' in r) && last.mark === r.mark) out[out.length - 1] = { text: last.text + r.text, mark: r.mark };
    else out.push(r);
  }
  return out;
}

/**
 * The text around `{count}` in a wording such as "…另有{count}项", for a channel to put its own count
 * between (a shortened list says how many items it left out). The loader has checked `{count}` is used.
 */
export function textAroundCount(template: TextTemplate<'count'>): { before: string; after: string } {
  const [before = '', after = ''] = renderText(template, { count: '\u0000' }).split('\u0000');
  return { before, after };
}
