/**
 * `huifang campaign list|preview|report` — greeting campaigns for administrators:
 * - `list [--year YYYY] [--json]`: each campaign, its occasions' dates and send days, and the SMS templates
 *   to register with Tencent (key, text with {1}, {2} …, parameters in order);
 * - `preview NAME --date YYYY-MM-DD [--json]`: the greetings that go out on that day — customers per
 *   channel, skipped per reason, billed SMS segments, estimated cost, a few rendered samples (masked);
 * - `report NAME --occasion KEY [--all] [--json]`: who received what, who was skipped and why.
 *
 * Exit codes: 0 printed; 1 nothing found; 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { isLocalDate } from '../core/calendar/local-date.js';
import { formatMinuteOfDay, type GreetingCampaign } from '../core/greetings/campaign.js';
import { SKIP_REASON_LABELS, segmentOf } from '../core/greetings/eligibility.js';
import { occasionsInYear, sendDateFor } from '../core/greetings/occasions.js';
import { registrationText } from '../core/greetings/render-greeting.js';
import { formatLocalDate, formatLocalDateTime } from '../core/time.js';
import { campaignTexts } from '../loaders/load-campaigns.js';
import { SECTOR_RULES, sectorMaySendSms } from '../core/sms/sms-sectors.js';
import { SMS_RISK_LABELS, smsReviewRisks } from '../core/sms/sms-template-rules.js';
import { occasionKeyName, previewCampaign, type GreetingDeps } from '../core/greetings/run-greetings.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';

const USAGE = `Usage:
  huifang campaign list [--year YYYY] [--json]
  huifang campaign preview NAME --date YYYY-MM-DD [--json]
  huifang campaign report NAME --occasion KEY [--all] [--json]     (KEY: spring_festival:2026, or spring_festival with --year)`;

const CHANNEL_LABELS: Record<string, string> = { sms: '短信 SMS', wechat: '微信 WeChat' };

export async function runCampaignCommand(
  args: string[],
  withApp: WithApp = defaultWithApp,
  io: CommandOutput = consoleOutput,
): Promise<number> {
  let parsed: { values: { year?: string; date?: string; occasion?: string; json?: boolean; all?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { year: { type: 'string' }, date: { type: 'string' }, occasion: { type: 'string' }, json: { type: 'boolean', default: false }, all: { type: 'boolean', default: false } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [sub, name] = positionals;
  if (sub !== 'list' && sub !== 'preview' && sub !== 'report') {
    io.err(USAGE);
    return 2;
  }
  return withApp(async (app) => {
    const ctx = app.greetings;
    const now = app.clock.now();
    if (sub === 'list') {
      const year = values.year ? Number(values.year) : Number(formatLocalDate(now, ctx.timeZone).slice(0, 4));
      if (!Number.isInteger(year)) {
        io.err(`--year must be a year.\n${USAGE}`);
        return 2;
      }
      return listCampaigns(ctx, year, values.json ?? false, io);
    }
    const campaign = ctx.campaigns.find((c) => c.key === name);
    if (!campaign) {
      io.err(`No campaign "${name ?? ''}". Known: ${ctx.campaigns.map((c) => c.key).join(', ') || '(none: add templates/campaigns/*.yaml)'}\n${USAGE}`);
      return 2;
    }
    if (sub === 'preview') {
      if (!values.date || !isLocalDate(values.date)) {
        io.err(`--date must be a date YYYY-MM-DD (the day the greetings go out).\n${USAGE}`);
        return 2;
      }
      return preview(ctx, campaign, values.date, now, values.json ?? false, io);
    }
    if (!values.occasion) {
      io.err(`--occasion is required.\n${USAGE}`);
      return 2;
    }
    const key = values.occasion.includes(':') ? values.occasion : `${values.occasion}:${values.year ?? formatLocalDate(now, ctx.timeZone).slice(0, 4)}`;
    return report(ctx, campaign, key, values.all ?? false, values.json ?? false, io);
  });
}

function listCampaigns(ctx: GreetingDeps, year: number, json: boolean, io: CommandOutput): number {
  const data = ctx.campaigns.map((c) => ({
    key: c.key,
    title: c.title,
    enabled: c.enabled,
    file: c.file,
    sector: c.sector,
    smsAllowed: sectorMaySendSms(c.sector),
    warnings: campaignSmsWarnings(c),
    channels: c.channels,
    sendDay: c.sendDay,
    window: `${formatMinuteOfDay(c.window.start)}-${formatMinuteOfDay(c.window.end)}`,
    quietHours: `${formatMinuteOfDay(c.quietHours.start)}-${formatMinuteOfDay(c.quietHours.end)}`,
    segments: c.segments.map((s) => ({ key: s.key, title: s.title, tags: s.tags })),
    birthdays: c.occasions.some((o) => o.kind === 'birthday'),
    occasions: occasionsInYear(c, year, ctx.lunar).map((o) => ({ occasionKey: o.occasionKey, name: o.occasion.name, date: o.date, sendDate: sendDateFor(o.date, c.sendDay) })),
    templates: campaignTexts(c).map(({ segment, variant, text }) => ({
      templateKey: text.templateKey,
      segment: segment.key,
      variant,
      params: text.params,
      text: registrationText(text),
    })),
  }));
  if (json) {
    io.out(JSON.stringify({ year, campaigns: data }, null, 2));
    return 0;
  }
  if (data.length === 0) {
    io.out('No greeting campaigns (templates/campaigns/*.yaml).');
    return 0;
  }
  for (const c of data) {
    io.out(`${c.key} — ${c.title}${c.enabled ? '' : '  [disabled 未启用]'}  (${c.file})`);
    for (const w of c.warnings) io.out(`  ⚠ ${w}`);
    io.out(`  channels ${c.channels.join(' → ')}; sent ${c.sendDay === 'day_before' ? 'the day before 前一天' : 'on the day 当天'} ${c.window}; quiet hours ${c.quietHours}`);
    io.out(`  segments: ${c.segments.map((s) => `${s.key} (${[...s.tags.anyOf, ...s.tags.allOf.map((t) => `+${t}`), ...s.tags.noneOf.map((t) => `-${t}`)].join(' ') || 'everyone'})`).join(', ')}`);
    io.out(`  ${year}: ${c.occasions.map((o) => `${o.name} ${o.date}${o.sendDate !== o.date ? ` (sent ${o.sendDate})` : ''}`).join(', ') || '—'}${c.birthdays ? ', and each customer’s birthday' : ''}`);
    io.out('  Tencent SMS templates to register (营销短信; TENCENT_SMS_TEMPLATES key=TemplateId):');
    for (const t of c.templates) io.out(`    ${t.templateKey}  params: ${t.params.map((p, i) => `{${i + 1}} ${p}`).join(', ') || 'none'}\n      ${t.text}`);
  }
  return 0;
}

/**
 * Why a campaign's SMS would be refused by Tencent: its sector may not send such SMS at all
 * (bot/core/sms/sms-sectors.ts), or a text uses wording of a banned category (questionnaires, good
 * reviews, medical, decoration).
 */
export function campaignSmsWarnings(c: GreetingCampaign): string[] {
  const out: string[] = [];
  const rule = SECTOR_RULES[c.sector];
  if (!sectorMaySendSms(c.sector)) {
    out.push(`行业 ${c.sector}（${rule.label}）不能用短信发送本活动：${rule.why}。改用：${rule.instead} / the sector may not send these SMS (README, Connecting Tencent Cloud SMS)`);
  }
  for (const { text } of campaignTexts(c)) {
    const risks = smsReviewRisks(text.body);
    if (risks.length > 0) {
      out.push(`${text.templateKey}: 含腾讯云审核禁止的内容（${[...new Set(risks.map((r) => SMS_RISK_LABELS[r.category]))].join('、')}：${risks.map((r) => r.word).join('、')}），模板可能被驳回 / wording Tencent's review refuses`);
    }
  }
  return out;
}

async function preview(ctx: GreetingDeps, campaign: GreetingCampaign, date: string, now: Date, json: boolean, io: CommandOutput): Promise<number> {
  const { occasions, plan } = await previewCampaign(ctx, campaign, date, now);
  if (json) {
    io.out(JSON.stringify({ campaign: campaign.key, sendDate: date, windowPassed: plan.windowPassed, occasions }, null, 2));
    return occasions.length === 0 ? 1 : 0;
  }
  if (occasions.length === 0) {
    const year = Number(date.slice(0, 4));
    const next = occasionsInYear(campaign, year, ctx.lunar).find((o) => sendDateFor(o.date, campaign.sendDay) >= date);
    io.out(`${campaign.key}: no greetings go out on ${date}.${next ? ` Next: ${next.occasion.name} ${next.date}, sent ${sendDateFor(next.date, campaign.sendDay)}.` : ''}`);
    return 1;
  }
  const price = campaign.pricePerSegment ?? ctx.pricePerSegment;
  for (const o of occasions) {
    const total = o.byChannel.sms + o.byChannel.wechat;
    io.out(`${campaign.key} — ${o.name} ${o.date} (${o.occasionKey}), sent ${o.sendDate} ${formatLocalDateTime(o.window.start, ctx.timeZone).slice(11)}–${formatLocalDateTime(o.window.end, ctx.timeZone).slice(11)}${campaign.enabled ? '' : '  [campaign disabled: nothing is sent until enabled]'}`);
    io.out(`  greetings: ${total}  (${CHANNEL_LABELS.wechat} ${o.byChannel.wechat}, ${CHANNEL_LABELS.sms} ${o.byChannel.sms}); about ${o.perMinute} per minute`);
    io.out(`  by segment: ${Object.entries(o.bySegment).map(([k, n]) => `${k} ${n}`).join(', ') || '—'}`);
    const skipped = Object.entries(o.skipped);
    io.out(`  not greeted: ${skipped.reduce((a, [, n]) => a + (n ?? 0), 0)}${skipped.length ? ` (${skipped.map(([r, n]) => `${r} ${SKIP_REASON_LABELS[r] ?? ''} ${n}`).join(', ')})` : ''}`);
    io.out(
      `  SMS billed segments: ${o.smsSegments}; estimated cost: ${o.estimatedCost === null ? 'unknown — set pricePerSegment in the campaign or HUIFANG_SMS_PRICE_PER_SEGMENT' : `¥${o.estimatedCost.toFixed(2)} at ¥${price} per segment`}`,
    );
    for (const s of o.samples) io.out(`  sample → ${s.customer} ${s.address} [${s.channel}, ${s.segment}${s.channel === 'sms' ? `, ${s.smsSegments} segment(s)` : ''}]\n    ${s.text}`);
  }
  return 0;
}

async function report(ctx: GreetingDeps, campaign: GreetingCampaign, occasionKey: string, all: boolean, json: boolean, io: CommandOutput): Promise<number> {
  const rows = await ctx.store.listForReport(occasionKey, null);
  const own = rows.filter((r) => r.campaign === campaign.key);
  const others = rows.filter((r) => r.campaign !== campaign.key);
  const customers = await ctx.store.findCustomers([...new Set(rows.map((r) => r.customerId))]);
  // Customers of this campaign's audience greeted by another campaign for the same occasion.
  const audienceCustomers = others.length > 0 ? new Map((await ctx.store.listCustomers()).map((c) => [c.id, c])) : new Map();
  const alreadyGreeted = others.filter((r) => {
    const c = audienceCustomers.get(r.customerId);
    return c !== undefined && segmentOf(campaign, c) !== null;
  });
  const entries = [
    ...own.map((r) => {
      const c = customers.get(r.customerId);
      const status = r.status === 'PLANNED' ? (r.outbox ? 'QUEUED' : 'PLANNED') : r.status;
      return {
        customer: c ? displayName(c.salutation, c.name) : r.customerId,
        phone: c?.phoneMasked ?? null,
        channel: r.channel,
        segment: r.segment,
        status,
        reason: r.skipReason,
        at: r.outbox?.sentAt ?? (r.status === 'PLANNED' ? r.scheduledAt : null),
      };
    }),
    ...alreadyGreeted.map((r) => {
      const c = customers.get(r.customerId);
      return {
        customer: c ? displayName(c.salutation, c.name) : r.customerId,
        phone: c?.phoneMasked ?? null,
        channel: r.channel,
        segment: null,
        // Greeted by the other campaign, or skipped by it (its reason holds here too).
        status: r.status === 'FAILED' ? 'FAILED' : 'SKIPPED',
        reason: r.status === 'SKIPPED' || r.status === 'FAILED' ? r.skipReason : 'ALREADY_GREETED',
        at: null,
        by: r.campaign,
      };
    }),
  ];
  const count = (status: string) => entries.filter((e) => e.status === status).length;
  const totals = {
    sent: count('SENT'),
    sentByChannel: { wechat: entries.filter((e) => e.status === 'SENT' && e.channel === 'wechat').length, sms: entries.filter((e) => e.status === 'SENT' && e.channel === 'sms').length },
    waiting: count('PLANNED') + count('QUEUED'),
    skipped: count('SKIPPED'),
    failed: count('FAILED'),
    reasons: entries.reduce<Record<string, number>>((acc, e) => (e.reason ? ((acc[e.reason] = (acc[e.reason] ?? 0) + 1), acc) : acc), {}),
  };
  if (json) {
    io.out(JSON.stringify({ campaign: campaign.key, occasionKey, totals, entries }, null, 2));
    return entries.length === 0 ? 1 : 0;
  }
  const occasion = campaign.occasions.find((o) => o.key === occasionKeyName(occasionKey));
  io.out(`${campaign.key} — ${occasion?.name ?? occasionKey} (${occasionKey})`);
  if (entries.length === 0) {
    io.out('  nothing planned for this occasion (see `huifang campaign preview`).');
    return 1;
  }
  io.out(`  received 已发送: ${totals.sent} (微信 ${totals.sentByChannel.wechat}, 短信 ${totals.sentByChannel.sms}); waiting 待发送: ${totals.waiting}; skipped 未发送: ${totals.skipped}; failed 失败: ${totals.failed}`);
  for (const [reason, n] of Object.entries(totals.reasons)) io.out(`    ${reason} ${SKIP_REASON_LABELS[reason] ?? ''}: ${n}`);
  const shown = all ? entries : entries.slice(0, 50);
  for (const e of shown) {
    const when = e.at ? formatLocalDateTime(e.at, ctx.timeZone) : '';
    const why = e.reason ? ` ${e.reason}${SKIP_REASON_LABELS[e.reason] ? ` ${SKIP_REASON_LABELS[e.reason]}` : ''}${'by' in e && e.by ? ` (${e.by})` : ''}` : '';
    io.out(`  ${e.customer.padEnd(6)} ${(e.phone ?? '—').padEnd(13)} ${(e.channel ?? '—').padEnd(6)} ${e.status}${why} ${when}`.trimEnd());
  }
  if (shown.length < entries.length) io.out(`  … and ${entries.length - shown.length} more (--all, or --json)`);
  return 0;
}

/** The salutation, else the name with all but its first character masked (王**). */
function displayName(salutation: string | null, name: string): string {
  if (salutation) return salutation;
  const chars = [...name];
  return chars.length <= 1 ? name : `${chars[0]}${'*'.repeat(Math.min(chars.length - 1, 3))}`;
}
