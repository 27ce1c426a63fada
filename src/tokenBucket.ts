/**
 * A token bucket: `ratePerSecond` tokens flow in, up to `burst`. Used to hold what a board may
 * send to real time (bytes on its link, samples of its microphone) whatever it tries.
 */
import type { Clock } from './clock.js';

export class TokenBucket {
  private level: number;
  private at: number;

  constructor(
    private readonly clock: Clock,
    readonly ratePerSecond: number,
    readonly burst: number,
  ) {
    this.level = burst;
    this.at = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.level = Math.min(this.burst, this.level + ((now - this.at) * this.ratePerSecond) / 1000);
    this.at = now;
  }

  /** Takes `n` tokens if there are that many (true); otherwise takes none (false). */
  take(n: number): boolean {
    this.refill();
    if (this.level < n) return false;
    this.level -= n;
    return true;
  }

  /** Takes `n` tokens even into debt; returns the ms until the debt is paid (0: none). */
  charge(n: number): number {
    this.refill();
    this.level -= n;
    return this.level >= 0 ? 0 : (-this.level * 1000) / this.ratePerSecond;
  }
}
