import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { templateVariables } from '../core/templates/render.js';
import { parseMarkup } from '../core/templates/markup.js';
import { checkSmsTemplate, containsLink } from '../core/sms/sms-template-rules.js';
import { fitKeywordValue, keywordTypeOf, keywordValueProblem } from '../core/templates/wechat-keywords.js';
import { MESSAGE_CATALOGUE, type EntrySpec, type MessageTemplates, type PartSpec } from '../core/templates/catalogue.js';
import { DataLoadError, type DataProblem } from './data-load-error.js';
import { displayPath } from './display-path.js';
import { YamlSource, type YamlPath } from './yaml-source.js';

const SUBJECT = 'message templates';

/** `taskCard` → `task_card`, `attemptField` → `attempt_field`: entry and part names as the files write them. */
export function yamlName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const WECHAT_KEYWORD = /^[a-z_]+\d+$/;

function partSchema(spec: PartSpec): z.ZodTypeAny {
  switch (spec.kind) {
    case 'text':
    case 'rich':
    case 'label':
      return z.string();
    case 'labels':
      return spec.keys === null ? z.record(z.string()) : z.object(Object.fromEntries(spec.keys.map((k) => [k, z.string()]))).strict();
    case 'texts':
      return z.object(Object.fromEntries(spec.keys.map((k) => [k, z.string()]))).strict();
    case 'sms':
      return z.object({ templateId: z.string(), params: z.array(z.string()).min(1), text: z.string().min(1), events: z.record(z.string().min(1)).optional() }).strict();
    case 'wechat':
      return z
        .object({ data: z.record(z.string().regex(WECHAT_KEYWORD, 'WeChat template keywords look like thing1, time2'), z.string().min(1)), text: z.string().min(1) })
        .strict()
        .optional();
  }
}

function entrySchema(spec: EntrySpec): z.ZodTypeAny {
  const parts = z.object(Object.fromEntries(Object.entries(spec.parts).map(([name, part]) => [yamlName(name), partSchema(part)]))).strict();
  const base = { version: z.number().int(), variables: z.array(z.string()) };
  return spec.body === null ? parts.extend(base).strict() : z.object({ ...base, [spec.body]: parts }).strict();
}

/** The variables of an entry: those of its parts, in catalogue order. */
function entryVariables(spec: EntrySpec): string[] {
  const names: string[] = [];
  for (const part of Object.values(spec.parts)) if ('vars' in part) for (const v of part.vars) if (!names.includes(v)) names.push(v);
  return names;
}

type RawEntry = Record<string, unknown> & { version: number; variables: string[] };

/**
 * Checks one entry's wording against its catalogue spec and returns it loaded: declared variables
 * exactly the entry's, each placeholder declared and one its part has, required placeholders used,
 * labels without placeholders, marks well formed, SMS parameters declared.
 */
function readEntry(source: YamlSource, key: string, spec: EntrySpec, raw: RawEntry, problems: DataProblem[]): Record<string, unknown> {
  const all = entryVariables(spec);
  raw.variables.forEach((v, i) => {
    if (!all.includes(v)) problems.push(source.problemAt([key, 'variables', i], `"${v}" is not a variable of this message (it has: ${all.join(', ') || 'none'})`));
  });
  const undeclared = all.filter((v) => !raw.variables.includes(v));
  if (undeclared.length > 0) problems.push(source.problemAt([key, 'variables'], `missing ${undeclared.map((v) => `"${v}"`).join(', ')}: list every variable of this message (${all.join(', ')})`));
  const body = (spec.body === null ? raw : raw[spec.body]) as Record<string, unknown>;
  const prefix: YamlPath = spec.body === null ? [key] : [key, spec.body];

  const checkText = (path: YamlPath, text: string, vars: readonly string[], required: readonly string[] = []) => {
    const used = templateVariables(text);
    for (const v of used) {
      if (!raw.variables.includes(v)) problems.push(source.problemAt(path, `placeholder {${v}} is not a declared variable`));
      else if (!vars.includes(v)) problems.push(source.problemAt(path, `placeholder {${v}} cannot be used here (this text has: ${vars.join(', ') || 'no variables'})`));
    }
    for (const v of required) if (!used.includes(v)) problems.push(source.problemAt(path, `must use {${v}}`));
    return { text, variables: vars };
  };
  const checkLabel = (path: YamlPath, text: string) => {
    if (templateVariables(text).length > 0) problems.push(source.problemAt(path, 'a label takes no placeholders'));
    return text;
  };

  const loaded: Record<string, unknown> = {};
  for (const [name, part] of Object.entries(spec.parts)) {
    const path = [...prefix, yamlName(name)];
    const value = body[yamlName(name)];
    switch (part.kind) {
      case 'text':
        loaded[name] = checkText(path, value as string, part.vars, part.required);
        break;
      case 'rich': {
        const template = checkText(path, value as string, part.vars);
        const parsed = parseMarkup(template.text);
        if ('problem' in parsed) problems.push(source.problemAt(path, parsed.problem));
        loaded[name] = { ...template, segments: 'segments' in parsed ? parsed.segments : [] };
        break;
      }
      case 'label':
        loaded[name] = checkLabel(path, value as string);
        break;
      case 'labels':
        loaded[name] = Object.fromEntries(Object.entries(value as Record<string, string>).map(([k, text]) => [k, checkLabel([...path, k], text)]));
        break;
      case 'texts':
        loaded[name] = Object.fromEntries(Object.entries(value as Record<string, string>).map(([k, text]) => [k, checkText([...path, k], text, part.vars)]));
        break;
      case 'sms': {
        const sms = value as { templateId: string; params: string[]; text: string; events?: Record<string, string> };
        sms.params.forEach((p, i) => {
          if (!raw.variables.includes(p)) problems.push(source.problemAt([...path, 'params', i], `"${p}" is not a declared variable`));
          else if (!(part.vars as readonly string[]).includes(p)) problems.push(source.problemAt([...path, 'params', i], `"${p}" cannot be an SMS parameter (the SMS has: ${part.vars.join(', ')})`));
        });
        // Tencent's template rules (docs/protocols/tencent-sms.md §4.4): the text is what gets registered,
        // with {1}, {2} … for the parameters, so every placeholder must be a parameter and vice versa.
        const used = templateVariables(sms.text);
        for (const v of used) if (raw.variables.includes(v) && !sms.params.includes(v)) problems.push(source.problemAt([...path, 'text'], `{${v}} is not in params: every placeholder of an SMS text is a Tencent parameter ({1}, {2} …)`));
        sms.params.forEach((p, i) => {
          if (!used.includes(p)) problems.push(source.problemAt([...path, 'params', i], `"${p}" is not used in the text`));
        });
        for (const p of checkSmsTemplate({ text: sms.text, linkVariables: part.links ?? [], longest: longestValues(body) })) problems.push(source.problemAt([...path, 'text'], p));
        if (used.includes('event')) for (const l of linkLabels(body)) problems.push(source.problemAt([key, 'events'], `"${l}" fills an SMS parameter and looks like a link: Tencent refuses links in parameters`));
        for (const [k, v] of Object.entries(sms.events ?? {})) {
          if (templateVariables(v).length > 0) problems.push(source.problemAt([...path, 'events', k], 'a label takes no placeholders'));
          if (containsLink(v)) problems.push(source.problemAt([...path, 'events', k], `"${v}" fills an SMS parameter and looks like a link: Tencent refuses links in parameters`));
        }
        loaded[name] = { templateId: sms.templateId, params: sms.params, text: checkText([...path, 'text'], sms.text, part.vars), events: sms.events ?? {} };
        break;
      }
      case 'wechat': {
        const wechat = value as { data: Record<string, string>; text: string } | undefined;
        for (const [k, text] of Object.entries(wechat?.data ?? {})) for (const p of wechatKeywordProblems(k, text, body)) problems.push(source.problemAt([...path, 'data', k], p));
        loaded[name] = wechat && {
          data: Object.fromEntries(Object.entries(wechat.data).map(([k, text]) => [k, checkText([...path, 'data', k], text, part.vars)])),
          text: checkText([...path, 'text'], wechat.text, part.vars),
        };
        break;
      }
    }
  }
  return loaded;
}

/**
 * Longest known values of SMS variables from the entry's labels (`events` and `event_default` fill
 * `{event}`), each checked to carry no link: a link as a parameter is refused by Tencent.
 */
function longestValues(body: Record<string, unknown>): Record<string, string> {
  const smsEvents = Object.values((((body.sms ?? {}) as Record<string, unknown>).events ?? {}) as Record<string, string>);
  const events = [...Object.values((body.events ?? {}) as Record<string, string>), ...smsEvents, ...(typeof body.event_default === 'string' ? [body.event_default] : [])];
  const out: Record<string, string> = { date: '12月31日', dateTime: '12月31日 23:59' };
  if (events.length > 0) out.event = events.reduce((a, b) => ([...b].length > [...a].length ? b : a));
  return out;
}

/** Sample values of the invitation's variables, for checking WeChat keyword wordings at load. */
const WECHAT_SAMPLES: Readonly<Record<string, string>> = {
  org: '回访中心',
  salutation: '王女士',
  surname: '王',
  date: '11月3日',
  dateTime: '2026年11月3日 09:30',
  link: 'https://huifang.example.cn/s/AbCdEf',
};

/**
 * Why a keyword's wording cannot fit its WeChat type (docs/protocols/wechat.md §2.2), rendered with
 * sample values and with every `{event}` label: a phrase longer than five Chinese characters, a time
 * that is not one, a `const` built from variables. Values that only need a cut (`thing`, `name`) pass.
 */
function wechatKeywordProblems(key: string, text: string, body: Record<string, unknown>): string[] {
  const type = keywordTypeOf(key);
  if (!type) return [keywordValueProblem(key, text)!];
  if (type === 'const' && templateVariables(text).length > 0) return [`${key}: a const value is fixed text approved by WeChat; it takes no placeholders`];
  const events = [...Object.values((body.events ?? {}) as Record<string, string>), ...(typeof body.event_default === 'string' ? [body.event_default] : [])];
  const out: string[] = [];
  for (const event of text.includes('{event}') ? events : ['']) {
    const value = text.replace(/\{([a-zA-Z_]+)\}/g, (_, name: string) => (name === 'event' ? event : (WECHAT_SAMPLES[name] ?? '')));
    if (fitKeywordValue(key, value) === null) out.push(`${keywordValueProblem(key, value)}${event ? ` (with {event} = ${event})` : ''}`);
  }
  return out;
}

/** Labels that fill an SMS parameter and would carry a link. */
function linkLabels(body: Record<string, unknown>): string[] {
  return [...Object.values((body.events ?? {}) as Record<string, string>), ...(typeof body.event_default === 'string' ? [body.event_default] : [])].filter(containsLink);
}

/**
 * Loads and validates the message templates at boot: every `*.yaml` file in `dir` (templates/messages),
 * each holding some of the entries of {@link MESSAGE_CATALOGUE}. Every entry must be defined once;
 * every placeholder must be a declared variable its part has, so rendering can never meet an unknown
 * name. Problems of every file are reported together, each naming the file, line, field and reason
 * (a `DataLoadError`).
 */
export function loadMessageTemplates(dir: string): MessageTemplates {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  const catalogue = MESSAGE_CATALOGUE as Readonly<Record<string, EntrySpec>>;
  const byYamlName = new Map(Object.keys(catalogue).map((name) => [yamlName(name), name]));
  const problems: DataProblem[] = [];
  const definedIn = new Map<string, string>();
  const loaded: Record<string, unknown> = {};
  for (const f of files) {
    const source = new YamlSource(readFileSync(join(dir, f), 'utf8'), displayPath(join(dir, f)), { root: '(file)' });
    if (source.syntaxProblems.length > 0) {
      problems.push(...source.syntaxProblems);
      continue;
    }
    const data = source.toData();
    if (data === null || data === undefined) continue;
    if (typeof data !== 'object' || Array.isArray(data)) {
      problems.push(source.problemAt([], 'expected message entries (survey_invite: …, task_card: …)'));
      continue;
    }
    for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
      const name = byYamlName.get(key);
      if (!name) {
        problems.push(source.problemAt([key], `unknown message entry (known: ${[...byYamlName.keys()].join(', ')})`));
        continue;
      }
      const other = definedIn.get(key);
      if (other) {
        problems.push(source.problemAt([key], `also defined in ${other}`));
        continue;
      }
      definedIn.set(key, source.file);
      const parsed = entrySchema(catalogue[name]!).safeParse(value);
      if (!parsed.success) {
        problems.push(...source.schemaProblems(parsed.error.issues.map((issue) => ({ ...issue, path: [key, ...issue.path] }))));
        continue;
      }
      loaded[name] = readEntry(source, key, catalogue[name]!, parsed.data as RawEntry, problems);
    }
  }
  for (const key of byYamlName.keys()) {
    if (!definedIn.has(key)) problems.push({ file: displayPath(dir), line: null, path: key, reason: 'missing: no file in this folder defines it' });
  }
  if (problems.length > 0) throw new DataLoadError(SUBJECT, problems);
  return loaded as MessageTemplates;
}
