import { randomBytes } from 'node:crypto';
import type { Clock, IdGenerator, TokenGenerator } from './core/clock.js';

/** The production clock. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock that only moves when told to: used by the demo, the benchmarks and every scheduling test.
 */
export class FakeClock implements Clock {
  #now: number;
  constructor(start: Date | string) {
    this.#now = new Date(start).getTime();
    if (Number.isNaN(this.#now)) throw new Error(`FakeClock: invalid start ${String(start)}`);
  }
  now(): Date {
    return new Date(this.#now);
  }
  set(at: Date | string): void {
    this.#now = new Date(at).getTime();
  }
  advance(ms: number): Date {
    this.#now += ms;
    return this.now();
  }
  advanceMinutes(minutes: number): Date {
    return this.advance(minutes * 60_000);
  }
  advanceHours(hours: number): Date {
    return this.advance(hours * 3_600_000);
  }
  advanceDays(days: number): Date {
    return this.advance(days * 86_400_000);
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * ULID generator: 48-bit timestamp from the given clock + 80 random bits, monotonic within a millisecond,
 * so ids sort by creation time even on a fake clock.
 */
export class UlidGenerator implements IdGenerator {
  #lastTime = -1;
  #lastRandom: Uint8Array = new Uint8Array(10);
  #timeText = '';
  /** `random` supplies the 80 random bits (the OS CSPRNG by default; the demo passes a seeded one). */
  constructor(
    private readonly clock: Clock = systemClock,
    private readonly random: (bytes: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n)),
  ) {}
  next(): string {
    const time = this.clock.now().getTime();
    if (time === this.#lastTime) {
      // Increment the random part so ids minted in the same millisecond stay ordered.
      for (let i = 9; i >= 0; i--) {
        const byte = this.#lastRandom[i]!;
        if (byte < 255) {
          this.#lastRandom[i] = byte + 1;
          break;
        }
        this.#lastRandom[i] = 0;
      }
    } else {
      this.#lastTime = time;
      this.#lastRandom = this.random(10);
      // The time's ten characters, written once per millisecond: a batch mints many ids in the same one.
      let text = '';
      let t = time;
      for (let i = 0; i < 10; i++) {
        text = CROCKFORD[t % 32] + text;
        t = Math.floor(t / 32);
      }
      this.#timeText = text;
    }
    let out = this.#timeText;
    let bits = 0;
    let value = 0;
    for (const byte of this.#lastRandom) {
      value = ((value << 8) | byte) & 0xffff;
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out += CROCKFORD[(value >> bits) & 31];
      }
    }
    return out;
  }
}

/** Random bytes drawn from the OS CSPRNG this many at a time, then handed out (each byte once). */
const RANDOM_POOL_BYTES = 4_096;

let randomPool = Buffer.alloc(0);
let randomPoolUsed = 0;

/**
 * `bytes` fresh bytes of the OS CSPRNG. They come from a pool filled 4 KiB at a time: one system call per few
 * hundred tokens rather than one each (activating a batch of surveys takes a token and several reply-code
 * candidates per survey). Each byte is handed out once.
 */
function poolBytes(bytes: number): Buffer {
  if (bytes > RANDOM_POOL_BYTES) return randomBytes(bytes);
  if (randomPoolUsed + bytes > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomPoolUsed = 0;
  }
  const out = randomPool.subarray(randomPoolUsed, randomPoolUsed + bytes);
  randomPoolUsed += bytes;
  return out;
}

/** URL-safe random tokens from the OS CSPRNG. */
export const randomTokens: TokenGenerator = {
  token: (bytes = 18) => poolBytes(bytes).toString('base64url'),
};
