import { parseArgs } from 'node:util';
import { DomainError } from '../core/errors.js';
import { WEBHOOK_EVENT_TYPES } from '../core/webhooks/events.js';
import {
  addWebhookSubscription,
  checkWebhookUrl,
  parseRotationOverlap,
  parseWebhookAttempts,
  parseWebhookEvents,
  parseWebhookTimeout,
  queueWebhookPing,
  removeWebhookSubscription,
  rotateWebhookSecret,
  WEBHOOK_ATTEMPTS,
  WEBHOOK_TIMEOUT,
  type SubscriptionActor,
} from '../core/webhooks/subscriptions.js';
import { dispatchOutbox } from '../core/outbox/dispatch-outbox.js';
import type { WebhookDeliveryOutcome } from '../core/ports/webhooks.js';
import type { Huifang } from '../huifang.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';

export const WEBHOOKS_USAGE = `Usage:
  huifang webhooks add URL --events EVENT[,EVENT…] [--timeout SECONDS] [--attempts N] [--json]
  huifang webhooks list [--json]
  huifang webhooks rotate ID [--overlap HOURS] [--json]
  huifang webhooks test ID [--json]
  huifang webhooks remove ID [--json]

--timeout   seconds to wait for the receiver's answer (${WEBHOOK_TIMEOUT.minMs / 1000}–${WEBHOOK_TIMEOUT.maxMs / 1000}, default ${WEBHOOK_TIMEOUT.defaultMs / 1000})
--attempts  attempts per delivery before giving up (${WEBHOOK_ATTEMPTS.min}–${WEBHOOK_ATTEMPTS.max}, default ${WEBHOOK_ATTEMPTS.default})
--overlap   hours the old secret still signs after rotate (0–168, default 24)

Events: ${WEBHOOK_EVENT_TYPES.join(', ')}
Deliveries are signed (Huifang-Signature header); see docs/webhooks.md for how to verify them.`;

/** Changes made from the command line are audited as the service's own (no staff member signed in). */
const CLI_ACTOR: SubscriptionActor = { actorType: 'SYSTEM', actorId: 'cli' };

/**
 * `huifang webhooks add|list|remove`: subscriptions of other systems to Huifang's events
 * (docs/webhooks.md). The secret is printed once, by `add`. Returns the exit code: 0 done, 1 refused
 * (the message says why), 2 usage error.
 */
export async function runWebhooksCommand(argv: string[], withApp: WithApp = defaultWithApp, output: CommandOutput = consoleOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { events: { type: 'string' }, timeout: { type: 'string' }, attempts: { type: 'string' }, overlap: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (err) {
    output.err(`${(err as Error).message}\n${WEBHOOKS_USAGE}`);
    return 2;
  }
  const [sub, ...rest] = parsed.positionals;
  const json = parsed.values.json ?? false;
  if (parsed.values.help) {
    output.out(WEBHOOKS_USAGE);
    return 0;
  }
  const usageError = (text: string) => {
    output.err(`${text}\n${WEBHOOKS_USAGE}`);
    return 2;
  };
  try {
    switch (sub) {
      case 'add': {
        if (rest.length !== 1) return usageError('webhooks add takes one URL.');
        if (parsed.values.events === undefined) return usageError('webhooks add needs --events.');
        // Checked before the database is opened: a mistyped URL or event fails at once.
        checkWebhookUrl(rest[0]!);
        parseWebhookEvents(parsed.values.events);
        const timeoutMs = parseWebhookTimeout(parsed.values.timeout);
        const maxAttempts = parseWebhookAttempts(parsed.values.attempts);
        const { subscription, secret } = await withApp((app) => addWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, { url: rest[0]!, events: parsed.values.events!, timeoutMs, maxAttempts }, CLI_ACTOR));
        if (json) output.out(JSON.stringify({ ...subscription, secret }, null, 2));
        else {
          output.out(`已添加订阅 ${subscription.id}: ${subscription.url}\n事件: ${subscription.events.join(', ')}\n超时 ${subscription.timeoutMs / 1000} s, 最多尝试 ${subscription.maxAttempts} 次`);
          output.out(`签名密钥 (secret, shown once — store it now): ${secret}`);
        }
        return 0;
      }
      case 'list': {
        if (rest.length !== 0) return usageError('webhooks list takes no arguments.');
        const subscriptions = await withApp((app) => app.webhooks.listWebhookSubscriptions());
        if (json) output.out(JSON.stringify(subscriptions, null, 2));
        else if (subscriptions.length === 0) output.out('没有订阅 (no webhook subscriptions).');
        else
          for (const s of subscriptions) {
            const overlap = s.previousSecretUntil ? `  rotated: old secret signs until ${s.previousSecretUntil.toISOString()}` : '';
            output.out(`${s.id}  ${s.url}  ${s.events.join(',')}  timeout ${s.timeoutMs / 1000}s  attempts ${s.maxAttempts}  added ${s.createdAt.toISOString()}${overlap}`);
          }
        return 0;
      }
      case 'rotate': {
        if (rest.length !== 1) return usageError('webhooks rotate takes one subscription ID.');
        const overlapMs = parseRotationOverlap(parsed.values.overlap);
        const { secret, previousUntil } = await withApp((app) => rotateWebhookSecret({ ...app.deps, webhooks: app.webhooks }, rest[0]!, overlapMs, CLI_ACTOR));
        if (json) output.out(JSON.stringify({ id: rest[0], secret, previousSecretUntil: previousUntil.toISOString() }, null, 2));
        else {
          output.out(`已更换订阅 ${rest[0]} 的签名密钥 (new secret, shown once — store it now): ${secret}`);
          output.out(overlapMs > 0 ? `旧密钥签名至 ${previousUntil.toISOString()}: until then each delivery carries two v1= signatures (new, then old).` : 'The old secret no longer signs.');
        }
        return 0;
      }
      case 'test': {
        if (rest.length !== 1) return usageError('webhooks test takes one subscription ID.');
        const outcome = await withApp((app) => sendPing(app, rest[0]!));
        if (json) output.out(JSON.stringify(outcome, null, 2));
        else output.out(describePing(outcome));
        return outcome.status === 'SENT' ? 0 : 1;
      }
      case 'remove': {
        if (rest.length !== 1) return usageError('webhooks remove takes one subscription ID.');
        await withApp((app) => removeWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, rest[0]!, CLI_ACTOR));
        if (json) output.out(JSON.stringify({ removed: rest[0] }));
        else output.out(`已删除订阅 ${rest[0]} (deliveries still queued for it will not be sent).`);
        return 0;
      }
      default:
        return usageError(sub === undefined ? 'webhooks needs add, list, rotate, test or remove.' : `Unknown webhooks command "${sub}".`);
    }
  } catch (err) {
    if (err instanceof DomainError) {
      output.err(err.message);
      return 1;
    }
    throw err;
  }
}

/** How long `test` waits for a dispatcher that claimed the ping first (another replica) to record its answer. */
const PING_WAIT_MS = 20_000;

/**
 * Queues a signed `ping` for the subscription through the outbox, sends what is due (this process is
 * one more dispatcher, like `huifang jobs run dispatch-outbox`), and returns the ping's outcome: the
 * receiver's answer, or why it was not delivered. A ping is tried once.
 */
async function sendPing(app: Huifang, id: string): Promise<WebhookDeliveryOutcome & { eventId: string }> {
  const { idempotencyKey, eventId } = await queueWebhookPing({ ...app.deps, webhooks: app.webhooks }, id, CLI_ACTOR);
  await dispatchOutbox(app.deps, { channels: app.channels, jitter: app.jitter, deadLetter: app.deadLetter, contact: app.config.customerContact });
  const started = Date.now();
  for (;;) {
    const outcome = await app.webhooks.webhookDeliveryOutcome(idempotencyKey);
    if (outcome && outcome.status !== 'PENDING' && outcome.status !== 'SENDING') return { ...outcome, eventId };
    if (Date.now() - started > PING_WAIT_MS) return { ...(outcome ?? { status: 'PENDING', attempts: 0, answer: null, errorCode: null, error: null }), eventId };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function describePing(o: WebhookDeliveryOutcome & { eventId: string }): string {
  if (o.status === 'SENT') return `ping ${o.eventId}: 接收方回答 ${o.answer ?? '2xx'} (delivered, signature accepted).`;
  if (o.status === 'PENDING' || o.status === 'SENDING') return `ping ${o.eventId}: not answered yet (${o.errorCode ?? 'queued'}); see the outbox (channel webhook).`;
  return `ping ${o.eventId}: 未送达 ${o.errorCode ?? o.status}${o.error ? ` — ${o.error}` : ''}`;
}
