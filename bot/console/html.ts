/**
 * HTML for the console's server-rendered pages: a tagged template that escapes every interpolated
 * value unless it is already `Html` (another template's result, or `raw` for trusted constant markup).
 * Arrays are joined; null, undefined and false render nothing.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = Html | string | number | null | undefined | false | readonly Value[];

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map((v) => render(v as Value)).join('');
  return escapeHtml(String(value));
}

export function html(parts: TemplateStringsArray, ...values: Value[]): Html {
  let text = parts[0]!;
  values.forEach((value, i) => {
    text += render(value) + parts[i + 1]!;
  });
  return new Html(text);
}

/** Trusted markup (constants written in this code base only, never input). */
export function raw(text: string): Html {
  return new Html(text);
}
