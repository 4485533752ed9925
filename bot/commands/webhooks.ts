import { parseArgs } from 'node:util';
import { DomainError } from '../core/errors.js';
import { WEBHOOK_EVENT_TYPES } from '../core/webhooks/events.js';
import { addWebhookSubscription, checkWebhookUrl, parseWebhookEvents, removeWebhookSubscription, type SubscriptionActor } from '../core/webhooks/subscriptions.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';

export const WEBHOOKS_USAGE = `Usage:
  huifang webhooks add URL --events EVENT[,EVENT…] [--json]
  huifang webhooks list [--json]
  huifang webhooks remove ID [--json]

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
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { events: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
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
        const { subscription, secret } = await withApp((app) => addWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, { url: rest[0]!, events: parsed.values.events! }, CLI_ACTOR));
        if (json) output.out(JSON.stringify({ ...subscription, secret }, null, 2));
        else {
          output.out(`已添加订阅 ${subscription.id}: ${subscription.url}\n事件: ${subscription.events.join(', ')}`);
          output.out(`签名密钥 (secret, shown once — store it now): ${secret}`);
        }
        return 0;
      }
      case 'list': {
        if (rest.length !== 0) return usageError('webhooks list takes no arguments.');
        const subscriptions = await withApp((app) => app.webhooks.listWebhookSubscriptions());
        if (json) output.out(JSON.stringify(subscriptions, null, 2));
        else if (subscriptions.length === 0) output.out('没有订阅 (no webhook subscriptions).');
        else for (const s of subscriptions) output.out(`${s.id}  ${s.url}  ${s.events.join(',')}  added ${s.createdAt.toISOString()}`);
        return 0;
      }
      case 'remove': {
        if (rest.length !== 1) return usageError('webhooks remove takes one subscription ID.');
        await withApp((app) => removeWebhookSubscription({ ...app.deps, webhooks: app.webhooks }, rest[0]!, CLI_ACTOR));
        if (json) output.out(JSON.stringify({ removed: rest[0] }));
        else output.out(`已删除订阅 ${rest[0]} (deliveries still queued for it will not be sent).`);
        return 0;
      }
      default:
        return usageError(sub === undefined ? 'webhooks needs add, list or remove.' : `Unknown webhooks command "${sub}".`);
    }
  } catch (err) {
    if (err instanceof DomainError) {
      output.err(err.message);
      return 1;
    }
    throw err;
  }
}
