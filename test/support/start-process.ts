// `huifang start` (bin/huifang.mjs) in a child process, as a platform runs it: JSON log lines on
// stdout collected and parsed, stderr kept, the exit awaited. Tests wait for log lines (state), never
// for time.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface StartedProcess {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the first log line with this message (rejects if the process exits first). */
  waitForLog(msg: string): Promise<LogLine>;
  logs(): LogLine[];
  stderr(): string;
  /** The exit code (or the signal's name). */
  exited: Promise<number | string>;
}

/** A TCP port free right now on 127.0.0.1 (PORT must be 1–65535, so the service cannot take port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Spawns `node bin/huifang.mjs start …args` with `env` over a copy of this process's environment. */
export function spawnStart(args: string[], env: Record<string, string>): StartedProcess {
  const merged: Record<string, string | undefined> = { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env };
  const child = spawn(process.execPath, ['bin/huifang.mjs', 'start', ...args], { cwd: ROOT, env: merged, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const waiters: { msg: string; resolve: (line: LogLine) => void; reject: (err: Error) => void }[] = [];
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    let newline: number;
    while ((newline = out.indexOf('\n')) >= 0) {
      const text = out.slice(0, newline);
      out = out.slice(newline + 1);
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as LogLine;
      lines.push(line);
      for (const w of waiters.filter((w) => w.msg === line.msg)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  void exited.then((code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`huifang start exited (${code}) before logging "${w.msg}"; stderr: ${err}`));
  });
  return {
    child,
    waitForLog(msg) {
      const seen = lines.find((l) => l.msg === msg);
      if (seen) return Promise.resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`huifang start exited before logging "${msg}"; stderr: ${err}`));
      return new Promise((resolve, reject) => waiters.push({ msg, resolve, reject }));
    },
    logs: () => [...lines],
    stderr: () => err,
    exited,
  };
}
