// A CommandOutput (bot/commands/command-output.ts) that keeps what a command wrote, for in-process
// command tests: `stdout`/`stderr` as the process would have printed them (one line per call).
import type { CommandOutput } from '../../bot/commands/command-output.js';

export interface CollectedOutput extends CommandOutput {
  readonly outLines: string[];
  readonly errLines: string[];
  readonly stdout: string;
  readonly stderr: string;
}

export function collectOutput(): CollectedOutput {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return {
    outLines,
    errLines,
    out: (text) => void outLines.push(text),
    err: (text) => void errLines.push(text),
    get stdout() {
      return outLines.map((l) => `${l}\n`).join('');
    },
    get stderr() {
      return errLines.map((l) => `${l}\n`).join('');
    },
  };
}
