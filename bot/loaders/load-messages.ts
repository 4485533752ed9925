import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { templateVariables, type MessageTemplates } from '../core/templates/render.js';
import { DataLoadError, type DataProblem } from './data-load-error.js';
import { displayPath } from './display-path.js';
import { YamlSource, type YamlPath } from './yaml-source.js';

const SUBJECT = 'message templates';

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

/**
 * Loads and validates the message templates at boot: every placeholder must be a declared variable
 * and every SMS parameter must be declared, so rendering can never meet an unknown name. Problems
 * name the file, line, template field and reason (a `DataLoadError`).
 */
export function loadMessageTemplates(file: string): MessageTemplates {
  const source = new YamlSource(readFileSync(file, 'utf8'), displayPath(file));
  const t = source.validate(schema, SUBJECT);
  const problems: DataProblem[] = [];
  const check = (declared: string[], texts: [YamlPath, string | undefined][]) => {
    for (const [path, text] of texts) {
      for (const v of templateVariables(text ?? '')) if (!declared.includes(v)) problems.push(source.problemAt(path, `placeholder {${v}} is not a declared variable`));
    }
  };
  const wechat = t.survey_invite.wechat;
  check(t.survey_invite.variables, [
    [['survey_invite', 'sms', 'text'], t.survey_invite.sms.text],
    ...Object.entries(wechat?.data ?? {}).map(([key, text]): [YamlPath, string] => [['survey_invite', 'wechat', 'data', key], text]),
    [['survey_invite', 'wechat', 'text'], wechat?.text],
  ]);
  t.survey_invite.sms.params.forEach((p, i) => {
    if (!t.survey_invite.variables.includes(p)) problems.push(source.problemAt(['survey_invite', 'sms', 'params', i], `"${p}" is not a declared variable`));
  });
  check(
    t.task_card.variables,
    Object.entries(t.task_card.wecom).map(([key, text]): [YamlPath, string] => [['task_card', 'wecom', key], text]),
  );
  check(t.escalation_notice.variables, [[['escalation_notice', 'wecom', 'text'], t.escalation_notice.wecom.text]]);
  if (problems.length > 0) throw new DataLoadError(SUBJECT, problems);
  return {
    surveyInvite: {
      smsTemplateId: t.survey_invite.sms.templateId,
      smsParams: t.survey_invite.sms.params,
      smsText: t.survey_invite.sms.text,
      ...(wechat ? { wechat } : {}),
    },
    taskCard: t.task_card.wecom,
    escalationNotice: { text: t.escalation_notice.wecom.text },
  };
}
