// (a') The activation of (a) as the service runs it: in a process of its own, started with the Node flags of
// `npm start` (a young generation of 2 MiB among them, for the idle memory goal), on a plain client without the
// statement tracing of (a). The due follow-ups are inserted here, as for (a); bench/service-activation-child.ts
// activates them and reports its wall time, CPU, garbage collection and the machine reference.
import { spawn } from 'node:child_process';
import { ROOT_DIR } from '../bot/huifang.js';
import type { DbProvider } from '../bot/db/client.js';
import type { BenchOptions } from './options.js';
import { createBenchApp, createBenchDb, dbClientOf, insertActivationBacklog } from './setup.js';
import { startScriptNodeFlags } from './service-memory.js';

export interface ServiceActivationResult {
  /** The Node flags the process ran with (those of package.json's start script). */
  nodeFlags: string[];
  claimed: number;
  activated: number;
  ms: number;
  /** CPU time of the activating process (its threads together). */
  cpuMs: number;
  /** Time its garbage collections took, and how many there were. */
  gcMs: number;
  collections: number;
  /** Its resident set at the end, bytes. */
  rss: number;
  reference: { beforeMs: number; afterMs: number };
}

const log = (text: string) => process.stderr.write(`  … ${text}\n`);

export async function runServiceActivation(provider: DbProvider, options: BenchOptions): Promise<ServiceActivationResult> {
  const db = await createBenchDb(provider);
  try {
    const { clock, ids } = createBenchApp(dbClientOf(db), db.url);
    await insertActivationBacklog(db, ids, clock.now(), options.rows);
    // The other process starts on a database file without pending WAL, as after a quiet moment of the service.
    if (provider === 'sqlite') await db.prisma.$queryRawUnsafe('PRAGMA wal_checkpoint(TRUNCATE)');
    await db.close();
    const nodeFlags = startScriptNodeFlags();
    log(`${provider}: ${options.rows} due follow-ups inserted; activating them in a process with npm start's flags (${nodeFlags.join(' ')})`);
    const result = await runChild([...nodeFlags, 'bin/run-ts.mjs', 'bench/service-activation-child.ts', db.url, String(clock.now().getTime() + 1_000)]);
    return { nodeFlags, ...result };
  } finally {
    await db.destroy();
  }
}

function runChild(args: string[]): Promise<Omit<ServiceActivationResult, 'nodeFlags'>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`the activating process exited (${code}): ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(line) as Omit<ServiceActivationResult, 'nodeFlags'>);
    });
  });
}
