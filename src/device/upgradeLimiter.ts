/**
 * Failed WebSocket upgrades per source address: after `maxFailures` in `windowMs` the address is
 * blocked for `blockMs` (its connections are dropped before anything is parsed), and the log
 * says so once per window instead of once per attempt. The table is bounded: the oldest
 * address is forgotten first.
 */
import type { Clock } from '../clock.js';

export interface UpgradeLimiterOptions {
  clock: Clock;
  maxFailures?: number;
  windowMs?: number;
  blockMs?: number;
  maxAddresses?: number;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

export class UpgradeLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly blockMs: number;
  private readonly maxAddresses: number;

  constructor(private readonly options: UpgradeLimiterOptions) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.blockMs = options.blockMs ?? 60_000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** True while this address may not connect at all. */
  isBlocked(address: string): boolean {
    const entry = this.entries.get(address);
    return entry !== undefined && this.options.clock.now() < entry.blockedUntil;
  }

  /**
   * Counts a failed attempt. Returns what to log: the attempt itself (the first few of a
   * window), a one-line summary when the address gets blocked, or nothing.
   */
  fail(address: string): { log: 'attempt' | 'blocked' | 'quiet'; failures: number } {
    const now = this.options.clock.now();
    let entry = this.entries.get(address);
    if (!entry || now - entry.windowStart >= this.windowMs) {
      entry = { windowStart: now, failures: 0, blockedUntil: entry?.blockedUntil ?? 0 };
    }
    this.entries.delete(address); // re-inserted last: the map's order is the age order
    this.entries.set(address, entry);
    if (this.entries.size > this.maxAddresses) this.entries.delete(this.entries.keys().next().value!);
    entry.failures++;
    if (entry.failures === this.maxFailures) {
      entry.blockedUntil = now + this.blockMs;
      return { log: 'blocked', failures: entry.failures };
    }
    return { log: entry.failures <= 3 ? 'attempt' : 'quiet', failures: entry.failures };
  }

  /** Addresses tracked now (bounded by maxAddresses). */
  get size(): number {
    return this.entries.size;
  }
}
