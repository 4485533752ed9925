import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { templateVariables, type MessageTemplates } from '../core/templates/render.js';

const schema = z.object({
  survey_invite: z.object({
    version: z.number().int(),
    variables: z.array(z.string()),
    sms: z.object({ templateId: z.string(), params: z.array(z.string()).min(1), text: z.string().min(1) }),
    wechat: z
      .object({ data: z.record(z.string().regex(/^[a-z_]+\d+$/, 'WeChat template keywords look like thing1, time2'), z.string().min(1)), text: z.string().min(1) })
      .optional(),
  }),
  task_card: z.object({
    version: z.number().int(),
    variables: z.array(z.string()),
    wecom: z.object({ source: z.string(), title: z.string(), description: z.string(), subtitle: z.string() }),
  }),
  escalation_notice: z.object({ version: z.number().int(), variables: z.array(z.string()), wecom: z.object({ text: z.string() }) }),
});

/** Raised when templates/messages is invalid; names the file, template and problem. */
export class TemplateLoadError extends Error {
  override readonly name = 'TemplateLoadError';
}

/**
 * Loads and validates the message templates at boot: every placeholder must be a declared variable
 * and every SMS parameter must be declared, so rendering can never meet an unknown name.
 */
export function loadMessageTemplates(file: string): MessageTemplates {
  const parsed = schema.safeParse(parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new TemplateLoadError(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const t = parsed.data;
  const problems: string[] = [];
  const check = (name: string, declared: string[], texts: string[]) => {
    for (const text of texts) for (const v of templateVariables(text)) if (!declared.includes(v)) problems.push(`${name}: placeholder {${v}} is not a declared variable`);
  };
  check('survey_invite', t.survey_invite.variables, [t.survey_invite.sms.text, ...Object.values(t.survey_invite.wechat?.data ?? {}), t.survey_invite.wechat?.text ?? '']);
  for (const p of t.survey_invite.sms.params) if (!t.survey_invite.variables.includes(p)) problems.push(`survey_invite.sms.params: "${p}" is not a declared variable`);
  check('task_card', t.task_card.variables, Object.values(t.task_card.wecom));
  check('escalation_notice', t.escalation_notice.variables, [t.escalation_notice.wecom.text]);
  if (problems.length > 0) throw new TemplateLoadError(`${file}: ${problems.join('; ')}`);
  return {
    surveyInvite: {
      smsTemplateId: t.survey_invite.sms.templateId,
      smsParams: t.survey_invite.sms.params,
      smsText: t.survey_invite.sms.text,
      ...(t.survey_invite.wechat ? { wechat: t.survey_invite.wechat } : {}),
    },
    taskCard: t.task_card.wecom,
    escalationNotice: { text: t.escalation_notice.wecom.text },
  };
}
