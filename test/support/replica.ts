// Drives test/support/replica-process.ts: a service replica in a child process on the same database.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ReplicaCommand } from './replica-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ReplicaResult {
  ok: boolean;
  error?: string;
  result?: unknown;
  /** What the replica's channel was asked to send. */
  sent?: { id: string; attempt: number }[];
}

export interface ReplicaProcess {
  /** Resolves once the replica is connected and waiting for `go()`. */
  ready: Promise<void>;
  /** Starts the command; resolves with the replica's report. */
  go(): Promise<ReplicaResult>;
}

export function startReplicaProcess(url: string, now: Date, command: ReplicaCommand): ReplicaProcess {
  const child = spawn(process.execPath, ['bin/run-ts.mjs', 'test/support/replica-process.ts', url, now.toISOString(), JSON.stringify(command)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let markReady!: () => void;
  let fail!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    fail = reject;
  });
  let resolveResult!: (r: ReplicaResult) => void;
  const result = new Promise<ReplicaResult>((resolve) => (resolveResult = resolve));
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    if (line === 'READY') markReady();
    else if (line.startsWith('RESULT ')) resolveResult(JSON.parse(line.slice('RESULT '.length)) as ReplicaResult);
  });
  void exited.then((code) => {
    const error = `replica exited with ${code}: ${stderr.slice(-2000)}`;
    fail(new Error(error));
    resolveResult({ ok: false, error });
  });
  return {
    ready,
    go: async () => {
      child.stdin.write('GO\n');
      const report = await result;
      await exited;
      return report;
    },
  };
}
