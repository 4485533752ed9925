import { Worker } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';

/** Peak memory of one phase, in bytes, and how long the main thread's event loop was blocked. */
export interface MemoryPeak {
  /** Largest resident set size (whole process), sampled every 100 ms by a worker thread. */
  rssMax: number;
  /** Largest V8 heap in use on the main thread (timer samples plus samples at store/channel calls). */
  heapUsedMax: number;
  /** Main-thread heap samples taken (see `eventLoopMaxStallMs`). */
  heapSamples: number;
  /**
   * Longest time the main event loop could not run a timer. better-sqlite3 is synchronous, so on
   * SQLite a whole job can run as one chain of microtasks: no timer, I/O callback or HTTP request
   * in the same process runs meanwhile.
   */
  eventLoopMaxStallMs: number;
}

// The RSS sampler runs in a worker so that it keeps sampling while the main thread is busy
// (process.memoryUsage.rss() is process-wide). CommonJS because eval'd workers are scripts.
const RSS_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
let max = 0;
const sample = () => { const rss = process.memoryUsage.rss(); if (rss > max) max = rss; };
sample();
const timer = setInterval(sample, workerData.intervalMs);
parentPort.on('message', () => { sample(); clearInterval(timer); parentPort.postMessage(max); });
`;

let active: MemorySampler | null = null;

/** Samples the main-thread heap into the running phase, if any (called at store and channel calls). */
export function sampleHeapNow(): void {
  active?.sampleHeap();
}

/**
 * Samples memory every `intervalMs` while a phase runs and keeps the maxima: RSS from a worker
 * thread, heapUsed from a main-thread timer (which cannot fire while the loop is blocked, hence
 * also `sampleHeapNow()`), and the event loop's longest stall.
 */
export class MemorySampler {
  #timer: NodeJS.Timeout | null = null;
  #worker: Worker | null = null;
  #lastTick = 0;
  #maxGap = 0;
  #heapMax = 0;
  #heapSamples = 0;

  constructor(private readonly intervalMs = 100) {}

  start(): void {
    this.#heapMax = 0;
    this.#heapSamples = 0;
    this.#worker = new Worker(RSS_WORKER, { eval: true, workerData: { intervalMs: this.intervalMs } });
    this.#maxGap = 0;
    this.#lastTick = performance.now();
    this.sampleHeap();
    this.#timer = setInterval(() => {
      this.#tick();
      this.sampleHeap();
    }, this.intervalMs);
    active = this;
  }

  /** Records the gap since the timer last ran: the loop was blocked for (gap − interval). */
  #tick(): void {
    const now = performance.now();
    this.#maxGap = Math.max(this.#maxGap, now - this.#lastTick);
    this.#lastTick = now;
  }

  sampleHeap(): void {
    // heapUsed without the rest of process.memoryUsage(), which also reads the RSS from the kernel: this
    // runs at every store and channel call, and that read was a few percent of a dispatch's time.
    const used = getHeapStatistics().used_heap_size;
    if (used > this.#heapMax) this.#heapMax = used;
    this.#heapSamples++;
  }

  async stop(): Promise<MemoryPeak> {
    if (active === this) active = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.sampleHeap();
    this.#tick();
    const stallMs = Math.max(0, this.#maxGap - this.intervalMs);
    const worker = this.#worker;
    this.#worker = null;
    let rssMax = process.memoryUsage.rss();
    if (worker) {
      rssMax = Math.max(rssMax, await new Promise<number>((resolve) => {
        worker.once('message', (max: number) => resolve(max));
        worker.postMessage('stop');
      }));
      await worker.terminate();
    }
    return { rssMax, heapUsedMax: this.#heapMax, heapSamples: this.#heapSamples, eventLoopMaxStallMs: stallMs };
  }
}

/** Runs `fn` under a sampler and returns its result with the phase's peak memory. */
export async function withMemory<T>(fn: () => Promise<T>): Promise<{ result: T; memory: MemoryPeak }> {
  const sampler = new MemorySampler();
  sampler.start();
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await sampler.stop();
    throw err;
  }
  return { result, memory: await sampler.stop() };
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
