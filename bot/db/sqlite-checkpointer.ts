import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite's WAL checkpoints during bulk writes, on a thread of their own. A checkpoint copies the pages the WAL
 * holds into the database file and syncs it; run by the writing connection (SQLite's automatic checkpoint), it
 * blocks the process's thread, where better-sqlite3 runs every statement, for tens of milliseconds to over a
 * hundred at a time. While bulk writes run (`withBulkWalCheckpoints`, bot/db/writes.ts) a worker thread with a
 * connection of its own runs a `PASSIVE` checkpoint every {@link CHECKPOINT_INTERVAL_MS}: it copies what no
 * reader still needs and never waits for a lock, and the writes go on meanwhile. The writing connection's own
 * automatic checkpoint stays as a backstop (at a raised threshold) should the thread fall behind.
 *
 * Durability does not change: every commit is synced in the WAL before it returns (`synchronous = FULL`), and a
 * checkpoint interrupted half-way (the process killed) is completed by the next one, as SQLite guarantees.
 */

/** How often the thread checkpoints while bulk writes run. */
export const CHECKPOINT_INTERVAL_MS = 100;

/** How long the thread stays after the last bulk write ended: a job's next batch usually starts within it. */
export const CHECKPOINTER_LINGER_MS = 2_000;

const requireHere = createRequire(import.meta.url);

// CommonJS, evaluated in the worker: its own better-sqlite3 connection to the same file.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
let frames = 0;
let timer = null;
const checkpoint = () => {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    if (row && row.checkpointed > 0) frames = Math.max(frames, row.checkpointed);
  } catch {
    // Busy (another checkpoint runs) or the file is going away: the next turn, or the writer's own checkpoint.
  }
};
const tick = () => {
  checkpoint();
  timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (message) => {
  if (message === 'stop') {
    clearTimeout(timer);
    db.close();
    parentPort.postMessage({ stopped: true, frames });
    parentPort.close();
  } else if (message === 'report') parentPort.postMessage({ frames });
});
tick();
`;

/** A checkpointing thread for one database file, started and stopped with the bulk writes that need it. */
export class SqliteCheckpointer {
  private worker: Worker | null = null;
  private users = 0;
  private linger: NodeJS.Timeout | null = null;
  /** Frames the thread has found checkpointed at most, over its runs (tests read it). */
  private framesSeen = 0;

  constructor(
    private readonly file: string,
    private readonly options: { intervalMs?: number; lingerMs?: number } = {},
  ) {}

  /** A bulk write starts: the thread runs (started, or kept) until {@link release}. */
  acquire(): void {
    this.users++;
    if (this.linger) {
      clearTimeout(this.linger);
      this.linger = null;
    }
    if (this.worker) return;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: requireHere.resolve('better-sqlite3'), file: this.file, intervalMs: this.options.intervalMs ?? CHECKPOINT_INTERVAL_MS },
    });
    // Never what keeps the process alive; a thread that fails leaves the writer's own checkpoint to do the work.
    worker.unref();
    worker.on('message', (message: { frames?: number }) => {
      if (typeof message.frames === 'number') this.framesSeen = Math.max(this.framesSeen, message.frames);
    });
    worker.on('error', () => {
      if (this.worker === worker) this.worker = null;
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
    });
    this.worker = worker;
  }

  /** A bulk write ended: the thread stops {@link CHECKPOINTER_LINGER_MS} after the last one, unless another starts. */
  release(): void {
    if (--this.users > 0 || !this.worker) return;
    this.linger = setTimeout(() => void this.stop(), this.options.lingerMs ?? CHECKPOINTER_LINGER_MS);
    this.linger.unref();
  }

  /** Stops the thread now (its connection closed); resolves once it has exited. */
  async stop(): Promise<void> {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Waited for, the thread now keeps the process alive until it has exited: unreferenced, a process with nothing
    // else to do would end while its caller still waits (Node ends such a top-level await with exit code 13).
    worker.ref();
    worker.postMessage('stop');
    await exited;
  }

  /** Whether the thread is running. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** The most WAL frames one of the thread's checkpoints found copied into the database file, so far. */
  async checkpointedFrames(): Promise<number> {
    const worker = this.worker;
    if (worker) {
      await new Promise<void>((resolve) => {
        const onMessage = (message: { frames?: number }) => {
          if (typeof message.frames !== 'number') return;
          worker.off('message', onMessage);
          resolve();
        };
        worker.on('message', onMessage);
        worker.postMessage('report');
      });
    }
    return this.framesSeen;
  }
}

/** The checkpointing thread of each client's bulk writes (SQLite files only). */
const byClient = new WeakMap<object, SqliteCheckpointer>();

/** `client`'s checkpointing thread for `file`, made on first use. */
export function checkpointerFor(client: object, file: string): SqliteCheckpointer {
  let checkpointer = byClient.get(client);
  if (!checkpointer) byClient.set(client, (checkpointer = new SqliteCheckpointer(file)));
  return checkpointer;
}

/** `client`'s checkpointing thread, if its bulk writes have made one (none on PostgreSQL, for a database in memory, or before a bulk write). */
export function checkpointerOf(client: object): SqliteCheckpointer | null {
  return byClient.get(client) ?? null;
}

/**
 * Stops `client`'s checkpointing thread, if any, and waits for its connection to close: the client closes after
 * it, as the file's last connection (bot/db/client.ts), so nothing touches the file once the client is closed.
 */
export async function stopCheckpointerOf(client: object): Promise<void> {
  await byClient.get(client)?.stop();
}
