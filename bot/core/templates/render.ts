import { DomainError } from '../errors.js';

/**
 * Fills `{name}` placeholders. Pure; throws `TEMPLATE_VARIABLE_MISSING` when a placeholder has no value,
 * so a message is never sent with a hole in it.
 */
export function renderTemplate(text: string, vars: Readonly<Record<string, string | number>>): string {
  return text.replace(/\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new DomainError('TEMPLATE_VARIABLE_MISSING', `Template variable "${name}" has no value`, { name });
    return String(value);
  });
}

/** Placeholder names used in a template text, in order of first appearance. */
export function templateVariables(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g)) if (!names.includes(m[1]!)) names.push(m[1]!);
  return names;
}

/** The message templates loaded from templates/messages (see bot/loaders/load-messages.ts). */
export interface MessageTemplates {
  surveyInvite: {
    smsTemplateId: string;
    smsParams: readonly string[];
    smsText: string;
    /** WeChat template message: keyword → value template, and the text shown for it (sandbox, logs). */
    wechat?: { data: Readonly<Record<string, string>>; text: string };
  };
  taskCard: { source: string; title: string; description: string; subtitle: string };
  escalationNotice: { text: string };
}
