/** A `Clock` that only moves when the test says so: `advance(ms)` runs every timer due, in order. */
import type { Clock, Timer } from '../../src/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  everyMs?: number;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(startMs = 1000) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): Timer {
    return this.add(ms, fn);
  }

  every(ms: number, fn: () => void): Timer {
    if (!(ms > 0)) throw new RangeError('every() needs a positive period');
    return this.add(ms, fn, ms);
  }

  /** Moves time forward by `ms`, running each timer at its own due time (earliest first). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.pending.filter((p) => !p.cancelled && p.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      if (next.everyMs === undefined) next.cancelled = true;
      else next.at += next.everyMs;
      next.fn();
    }
    this.pending = this.pending.filter((p) => !p.cancelled);
    this.t = end;
  }

  /** Timers still waiting. */
  get timers(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }

  private add(ms: number, fn: () => void, everyMs?: number): Timer {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, everyMs, cancelled: false };
    this.pending.push(p);
    return { cancel: () => (p.cancelled = true) };
  }
}
