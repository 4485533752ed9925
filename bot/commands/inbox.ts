import { parseArgs } from 'node:util';
import { DomainError } from '../core/errors.js';
import { INBOUND_MAX_ATTEMPTS } from '../core/inbox/process-inbound.js';
import { replayDeadInbound } from '../core/inbox/replay-dead-inbound.js';
import { consoleOutput, type CommandOutput } from './command-output.js';
import { withApp as defaultWithApp, type WithApp } from './with-app.js';

export const INBOX_USAGE = `Usage:
  huifang inbox dead [--json]
  huifang inbox replay ID [--json]

An inbound event (WeCom callback, SMS reply or report, survey answer) whose handling failed is retried with
backoff; after ${INBOUND_MAX_ATTEMPTS} attempts it is DEAD. Fix the cause named in its error, then replay it.`;

/**
 * `huifang inbox dead|replay`: inbound events out of attempts, and putting one back. Returns the exit
 * code: 0 done, 1 refused (the message says why), 2 usage error.
 */
export async function runInboxCommand(argv: string[], withApp: WithApp = defaultWithApp, output: CommandOutput = consoleOutput): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  } catch (err) {
    output.err(`${(err as Error).message}\n${INBOX_USAGE}`);
    return 2;
  }
  const [sub, ...rest] = parsed.positionals;
  const json = parsed.values.json ?? false;
  if (parsed.values.help) {
    output.out(INBOX_USAGE);
    return 0;
  }
  const usageError = (text: string) => {
    output.err(`${text}\n${INBOX_USAGE}`);
    return 2;
  };
  try {
    switch (sub) {
      case 'dead': {
        if (rest.length !== 0) return usageError('inbox dead takes no arguments.');
        const dead = await withApp((app) => app.deps.inbox.listDeadInbound(1000, INBOUND_MAX_ATTEMPTS));
        if (json) output.out(JSON.stringify(dead, null, 2));
        else if (dead.length === 0) output.out('没有失败的入站事件 (no dead inbound events).');
        else {
          for (const e of dead) {
            output.out(`${e.id}  ${e.source}  ${e.kind}  attempts ${e.attempts}  received ${e.receivedAt.toISOString()}  last failed ${e.failedAt?.toISOString() ?? '—'}`);
            if (e.error) output.out(`    ${e.error}`);
          }
        }
        return 0;
      }
      case 'replay': {
        if (rest.length !== 1) return usageError('inbox replay takes one event ID.');
        await withApp((app) => replayDeadInbound(app.deps, rest[0]!));
        if (json) output.out(JSON.stringify({ replayed: rest[0] }));
        else output.out(`已重新排队 ${rest[0]}: the process-inbox job handles it within a minute.`);
        return 0;
      }
      default:
        return usageError(sub === undefined ? 'inbox needs dead or replay.' : `Unknown inbox command "${sub}".`);
    }
  } catch (err) {
    if (err instanceof DomainError) {
      output.err(err.message);
      return 1;
    }
    throw err;
  }
}
