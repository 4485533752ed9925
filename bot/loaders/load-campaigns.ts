/**
 * Loads and validates greeting campaigns, `templates/campaigns/*.yaml` (format: templates/campaigns/README.md),
 * at start. Every problem of every file is reported at once with file, line and reason; an invalid
 * campaign stops the start, like an invalid policy pack.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isLocalDate } from '../core/calendar/local-date.js';
import { templateVariables } from '../core/templates/render.js';
import {
  channelCarriesGreetings,
  GREETING_VARIABLES,
  MARKETING_HOURS,
  windowOverlapsQuietHours,
  type DailyPeriod,
  type GreetingCampaign,
  type GreetingSegment,
  type GreetingText,
  type GreetingVariable,
  type OccasionDefinition,
  type TagFilter,
} from '../core/greetings/campaign.js';
import { findFestival, GREETING_FESTIVALS } from '../core/greetings/occasions.js';
import { checkSmsTemplate } from '../core/sms/sms-template-rules.js';
import { SECTORS, type Sector } from '../core/sms/sms-sectors.js';
import { DataLoadError, type DataProblem } from './data-load-error.js';
import { displayPath, ROOT_DIR } from './display-path.js';
import { YamlSource } from './yaml-source.js';

const SUBJECT = 'greeting campaign(s)';
/** Default folder of campaign files. */
export const DEFAULT_CAMPAIGNS_DIR = join(ROOT_DIR, 'templates/campaigns');

const DEFAULT_QUIET_HOURS = '21:00-08:00';
const DEFAULT_OPT_OUT = '拒收请回复R';
const DEFAULT_FALLBACK_SALUTATION = '尊敬的贵宾';
/** Longest occasion name and salutation, for the worst-case length check. */
const LONGEST_SALUTATION = '尊敬的贵宾客户';

const hhmm = /^([01]\d|2[0-3]):([0-5]\d)$/;
const periodSchema = z.string({ invalid_type_error: 'must be a period such as "09:00-11:00"' }).transform((s, ctx): DailyPeriod => {
  const parts = s.split(/\s*[-–~至]\s*/);
  const [a, b] = parts.map((p) => hhmm.exec(p.trim()));
  if (parts.length !== 2 || !a || !b) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a period such as "09:00-11:00" (24-hour HH:MM-HH:MM)` });
    return z.NEVER;
  }
  return { start: Number(a[1]) * 60 + Number(a[2]), end: Number(b[1]) * 60 + Number(b[2]) };
});

const tag = z.string().trim().min(1).max(32, 'a tag is at most 32 characters');
const tagFilterSchema = z
  .object({ anyOf: z.array(tag).default([]), allOf: z.array(tag).default([]), noneOf: z.array(tag).default([]) })
  .strict();
/** `tags: [grade:A, grade:B]` is short for `tags: {anyOf: [grade:A, grade:B]}`. */
const tagsSchema = z.union([z.array(tag).transform((anyOf): TagFilter => ({ anyOf, allOf: [], noneOf: [] })), tagFilterSchema]).optional();

const textSchema = z.string({ invalid_type_error: 'must be a text' }).trim().min(1, 'must not be empty');
const keySchema = (what: string) => z.string().regex(/^[a-z][a-z0-9_]{0,23}$/, `${what} must be 1–24 lower-case letters, digits or "_", starting with a letter`);

const segmentSchema = z
  .object({
    key: keySchema('a segment key'),
    title: z.string().trim().min(1).optional(),
    tags: tagsSchema,
    text: textSchema,
    birthdayText: textSchema.optional(),
    occasionTexts: z.record(textSchema).optional(),
  })
  .strict();

const customOccasionSchema = z
  .object({
    key: keySchema('an occasion key'),
    name: z.string().trim().min(1).max(10, 'an occasion name is at most 10 characters (it is a template variable)'),
    date: z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be MM-DD (every year), e.g. "06-18"').optional(),
    dates: z.array(z.string().refine(isLocalDate, 'must be a date YYYY-MM-DD')).min(1).optional(),
  })
  .strict()
  .refine((o) => (o.date === undefined) !== (o.dates === undefined), { message: 'give either "date" (MM-DD, every year) or "dates" (YYYY-MM-DD list)' });

const campaignSchema = z
  .object({
    key: keySchema('the campaign key'),
    title: z.string().trim().min(1),
    enabled: z.boolean().default(true),
    sector: z.enum(SECTORS as [Sector, ...Sector[]], { errorMap: () => ({ message: `a sector is one of ${SECTORS.join(', ')}` }) }).default('general'),
    occasions: z.array(z.string().trim().min(1)).default([]),
    customOccasions: z.array(customOccasionSchema).default([]),
    audience: z
      .object({
        tags: tagsSchema,
        activeCases: z.union([z.boolean(), z.array(z.string().trim().min(1)).min(1)]).default(false),
      })
      .strict()
      .default({}),
    channels: z.array(z.enum(['wechat', 'wecom_contact', 'sms'], { errorMap: () => ({ message: 'a channel is wecom_contact, sms (or wechat, which greetings may not use)' }) })).min(1).default(['sms']),
    send: z
      .object({
        day: z.enum(['same_day', 'day_before'], { errorMap: () => ({ message: 'must be same_day (the morning of) or day_before' }) }).default('same_day'),
        window: periodSchema.default('09:00-11:00'),
      })
      .strict()
      .default({}),
    quietHours: periodSchema.default(DEFAULT_QUIET_HOURS),
    signature: z.string().trim().max(40, 'keep the signature line short (≤ 40 characters): every character is billed').default(''),
    fallbackSalutation: z.string().trim().min(1).max(8).default(DEFAULT_FALLBACK_SALUTATION),
    optOutText: z.string().trim().min(1).default(DEFAULT_OPT_OUT),
    pricePerSegment: z.number().positive().max(10, 'a price per SMS is in yuan, e.g. 0.045').optional(),
    segments: z.array(segmentSchema).min(1, 'a campaign needs at least one segment with its text'),
  })
  .strict();

type RawCampaign = z.infer<typeof campaignSchema>;

/** Options for validation against the rest of the configuration. */
export interface LoadCampaignsOptions {
  /** Case types the policy packs know; `audience.activeCases` may only name these. */
  caseTypes?: ReadonlySet<string>;
}

/** Parses and validates one campaign file; problems name the file, line and field. */
export function parseCampaign(text: string, file: string, options: LoadCampaignsOptions = {}): GreetingCampaign {
  const source = new YamlSource(text, file);
  const raw = source.validate(campaignSchema, SUBJECT);
  const problems: DataProblem[] = [];
  const campaign = buildCampaign(raw, file, options, (path, message) => problems.push(source.problemAt(path, message)));
  if (problems.length > 0) throw new DataLoadError(SUBJECT, problems);
  return campaign;
}

/** Loads every `*.yaml` campaign of a folder (a missing folder means none); all problems reported together. */
export function loadCampaigns(dir: string = DEFAULT_CAMPAIGNS_DIR, options: LoadCampaignsOptions = {}): GreetingCampaign[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const problems: DataProblem[] = [];
  const campaigns: GreetingCampaign[] = [];
  for (const f of files) {
    const path = join(dir, f);
    const shown = displayPath(path);
    try {
      campaigns.push(parseCampaign(readFileSync(path, 'utf8'), shown, options));
    } catch (err) {
      if (err instanceof DataLoadError) problems.push(...err.details);
      else throw err;
    }
  }
  const byKey = new Map<string, string>();
  const templateKeys = new Map<string, string>();
  for (const c of campaigns) {
    const other = byKey.get(c.key);
    if (other) problems.push({ file: c.file, line: null, path: 'key', reason: `campaign key "${c.key}" is also used by ${other}` });
    byKey.set(c.key, c.file);
    for (const { text: t } of campaignTexts(c)) {
      const o = templateKeys.get(t.templateKey);
      if (o && o !== c.file) problems.push({ file: c.file, line: null, path: null, reason: `template key "${t.templateKey}" is also produced by ${o}` });
      templateKeys.set(t.templateKey, c.file);
    }
  }
  if (problems.length > 0) throw new DataLoadError(SUBJECT, problems);
  return campaigns;
}

/** Every distinct text of a campaign (one Tencent template each), in file order. */
export function campaignTexts(campaign: GreetingCampaign): { segment: GreetingSegment; variant: string; text: GreetingText }[] {
  const out: { segment: GreetingSegment; variant: string; text: GreetingText }[] = [];
  for (const s of campaign.segments) {
    out.push({ segment: s, variant: 'festival', text: s.text });
    if (s.birthday) out.push({ segment: s, variant: 'birthday', text: s.birthday });
    for (const [key, t] of Object.entries(s.byOccasion)) out.push({ segment: s, variant: key, text: t });
  }
  return out;
}

function buildCampaign(raw: RawCampaign, file: string, options: LoadCampaignsOptions, problem: (path: (string | number)[], message: string) => void): GreetingCampaign {
  const occasions: OccasionDefinition[] = [];
  const seen = new Set<string>();
  raw.occasions.forEach((name, i) => {
    let occasion: OccasionDefinition | undefined;
    if (name === 'birthday' || name === '生日') occasion = { key: 'birthday', name: '生日', kind: 'birthday' };
    else {
      const festival = findFestival(name);
      if (festival) occasion = { key: festival.key, name: festival.name, kind: 'festival', festival };
    }
    if (!occasion) {
      problem(['occasions', i], `unknown occasion "${name}": use birthday (生日), a festival (${GREETING_FESTIVALS.map((f) => `${f.key} ${f.name}`).join(', ')}) or add it under customOccasions`);
    } else if (seen.has(occasion.key)) problem(['occasions', i], `"${name}" is listed twice`);
    else {
      seen.add(occasion.key);
      occasions.push(occasion);
    }
  });
  raw.customOccasions.forEach((c, i) => {
    if (seen.has(c.key) || findFestival(c.key) || c.key === 'birthday') problem(['customOccasions', i, 'key'], `"${c.key}" is already an occasion key`);
    seen.add(c.key);
    occasions.push({ key: c.key, name: c.name, kind: 'custom', custom: c.date ? { monthDay: c.date } : { dates: c.dates ?? [] } });
  });
  if (occasions.length === 0) problem(['occasions'], 'a campaign greets at least one occasion (occasions or customOccasions)');

  const window = raw.send.window;
  if (window.end <= window.start) problem(['send', 'window'], 'the send window must end after it starts, on the same day');
  else {
    if (window.start < MARKETING_HOURS.start || window.end > MARKETING_HOURS.end) {
      problem(['send', 'window'], 'greetings are marketing SMS, which Tencent sends only 08:00–22:00: keep the window inside those hours');
    }
    if (windowOverlapsQuietHours(window, raw.quietHours)) problem(['send', 'window'], 'the send window overlaps the quiet hours');
  }
  if (new Set(raw.channels).size !== raw.channels.length) problem(['channels'], 'a channel is listed twice');
  raw.channels.forEach((c, i) => {
    if (!channelCarriesGreetings(c)) {
      problem(['channels', i], 'WeChat template messages may not carry greetings (marketing, docs/protocols/wechat.md §2.3): greetings go by SMS or WeCom customer contact — write channels: [sms] or [wecom_contact, sms]');
    }
  });

  let activeCases: GreetingCampaign['audience']['activeCases'] = null;
  if (raw.audience.activeCases === true) activeCases = { caseTypes: [] };
  else if (Array.isArray(raw.audience.activeCases)) {
    activeCases = { caseTypes: raw.audience.activeCases };
    raw.audience.activeCases.forEach((t, i) => {
      if (options.caseTypes && !options.caseTypes.has(t)) problem(['audience', 'activeCases', i], `no policy pack handles case type "${t}" (known: ${[...options.caseTypes].sort().join(', ')})`);
    });
  }

  const hasBirthday = occasions.some((o) => o.kind === 'birthday');
  const segmentKeys = new Set<string>();
  const segments: GreetingSegment[] = raw.segments.map((s, i) => {
    if (segmentKeys.has(s.key)) problem(['segments', i, 'key'], `segment "${s.key}" is defined twice`);
    segmentKeys.add(s.key);
    const build = (body: string, variant: string | null, path: (string | number)[]) =>
      buildText(body, `${raw.key}_${s.key}${variant ? `_${variant}` : ''}`, raw, occasions, path, problem);
    if (hasBirthday && !s.birthdayText) problem(['segments', i], 'the campaign greets birthdays: give this segment a birthdayText');
    const byOccasion: Record<string, GreetingText> = {};
    for (const [key, body] of Object.entries(s.occasionTexts ?? {})) {
      if (!occasions.some((o) => o.key === key && o.kind !== 'birthday')) problem(['segments', i, 'occasionTexts', key], `"${key}" is not a festival or custom occasion of this campaign`);
      byOccasion[key] = build(body, key, ['segments', i, 'occasionTexts', key]);
    }
    return {
      key: s.key,
      title: s.title ?? s.key,
      tags: s.tags ?? { anyOf: [], allOf: [], noneOf: [] },
      text: build(s.text, null, ['segments', i, 'text']),
      birthday: s.birthdayText ? build(s.birthdayText, 'birthday', ['segments', i, 'birthdayText']) : null,
      byOccasion,
    };
  });

  return {
    key: raw.key,
    title: raw.title,
    enabled: raw.enabled,
    file,
    sector: raw.sector,
    occasions,
    audience: { tags: raw.audience.tags ?? { anyOf: [], allOf: [], noneOf: [] }, activeCases },
    channels: raw.channels,
    sendDay: raw.send.day,
    window,
    quietHours: raw.quietHours,
    signature: raw.signature,
    fallbackSalutation: raw.fallbackSalutation,
    optOutText: raw.optOutText,
    pricePerSegment: raw.pricePerSegment ?? null,
    segments,
  };
}

/**
 * Builds one registered text: the signature line goes where `{signature}` stands (else at the end), and
 * the opt-out wording ends it. Checks Tencent's template rules (docs/protocols/tencent-sms.md §4.3–§4.4): only
 * the declared variables, never two adjacent, no `【】` (the signature's brackets), no links, and a length
 * Tencent accepts even with the longest salutation and occasion name.
 */
function buildText(
  raw: string,
  templateKey: string,
  campaign: RawCampaign,
  occasions: readonly OccasionDefinition[],
  path: (string | number)[],
  problem: (path: (string | number)[], message: string) => void,
): GreetingText {
  const signed = raw.includes('{signature}') ? raw.replace('{signature}', campaign.signature) : `${raw}${campaign.signature}`;
  let body = signed;
  if (!body.endsWith(campaign.optOutText)) body = `${body}${/[。！!.，,；;]$/.test(body) ? '' : '。'}${campaign.optOutText}`;
  // A member's own WeChat message (客户联系) carries no SMS opt-out wording, even one the text wrote itself.
  const chatBody = signed.endsWith(campaign.optOutText) ? signed.slice(0, -campaign.optOutText.length).trimEnd() : signed;
  const names = templateVariables(body);
  for (const n of names) {
    if (!(GREETING_VARIABLES as readonly string[]).includes(n)) problem(path, `{${n}} is not a greeting variable (use {salutation}, {occasion}, {signature})`);
  }
  if (/https?:|www\.|\.(com|cn|net)\b/i.test(body)) problem(path, 'no links in greetings (Tencent reviews links and never accepts one in a variable)');
  if (templateKey.length > 64) problem(path, `the template key "${templateKey}" is longer than 64 characters: shorten the campaign or segment key`);
  const longestOccasion = occasions.reduce((a, o) => ([...o.name].length > [...a].length ? o.name : a), '');
  for (const p of checkSmsTemplate({ text: body, longest: { salutation: LONGEST_SALUTATION, occasion: longestOccasion } })) problem(path, p);
  const params = names.filter((n): n is GreetingVariable => (GREETING_VARIABLES as readonly string[]).includes(n));
  return { templateKey, body, params, chatBody };
}
