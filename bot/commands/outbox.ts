import { parseArgs } from 'node:util';
import { DomainError } from '../core/errors.js';
import { resolveUncertainMessage } from '../core/outbox/resolve-uncertain.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';

export const OUTBOX_USAGE = `Usage:
  huifang outbox uncertain [--json]
  huifang outbox resend ID [--note TEXT] [--json]
  huifang outbox settle ID [--note TEXT] [--json]

A message is UNCERTAIN when a crash interrupted its send and the provider could neither confirm nor rule
it out (README, Reliability). Check the provider's console (Tencent SMS: 发送记录, by number and time),
then: resend — it did not arrive, send it again; settle — it arrived, record it as sent.`;

/** Decisions made from the command line are audited as the service's own (no staff member signed in). */
const CLI_ACTOR = { actorType: 'SYSTEM' as const, actorId: 'cli' };

/**
 * `huifang outbox uncertain|resend|settle`: the messages a crash left for a person to decide, and the
 * decision. Returns the exit code: 0 done, 1 refused (the message says why), 2 usage error.
 */
export async function runOutboxCommand(argv: string[], withApp: WithApp = defaultWithApp, output: CommandOutput = consoleOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { note: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (err) {
    output.err(`${(err as Error).message}\n${OUTBOX_USAGE}`);
    return 2;
  }
  const [sub, ...rest] = parsed.positionals;
  const json = parsed.values.json ?? false;
  if (parsed.values.help) {
    output.out(OUTBOX_USAGE);
    return 0;
  }
  const usageError = (text: string) => {
    output.err(`${text}\n${OUTBOX_USAGE}`);
    return 2;
  };
  try {
    switch (sub) {
      case 'uncertain': {
        if (rest.length !== 0) return usageError('outbox uncertain takes no arguments.');
        const held = await withApp((app) => app.deps.outbox.listUncertain(1000));
        if (json) output.out(JSON.stringify(held, null, 2));
        else if (held.length === 0) output.out('没有待确认的消息 (no uncertain messages).');
        else {
          for (const m of held) {
            output.out(`${m.id}  ${m.channel}  ${m.kind}  ${m.recipientType}:${m.recipientId}  started ${m.sendStartedAt?.toISOString() ?? '—'}  key ${m.idempotencyKey}`);
            if (m.reason) output.out(`    ${m.reason}`);
          }
        }
        return 0;
      }
      case 'resend':
      case 'settle': {
        if (rest.length !== 1) return usageError(`outbox ${sub} takes one message ID.`);
        await withApp((app) => resolveUncertainMessage(app.deps, rest[0]!, sub, CLI_ACTOR, parsed.values.note ?? null));
        if (json) output.out(JSON.stringify({ id: rest[0], decision: sub }));
        else output.out(sub === 'resend' ? `已重新排队 ${rest[0]}: the dispatcher sends it within seconds.` : `已记为已发送 ${rest[0]} (recorded as sent; nothing is sent).`);
        return 0;
      }
      default:
        return usageError(sub === undefined ? 'outbox needs uncertain, resend or settle.' : `Unknown outbox command "${sub}".`);
    }
  } catch (err) {
    if (err instanceof DomainError) {
      output.err(err.message);
      return 1;
    }
    throw err;
  }
}
