/**
 * A clock that runs `speed` times faster than real time: give the same one to the emulator and
 * to the sessions talking to it, and a whole conversation (connection lifetimes, goAway
 * deadlines, reply pacing, watchdogs) plays out faster, consistently on both sides. The network
 * in between still runs in real time, so keep `speed` modest (≤ 10).
 */
import type { Clock, Timer } from '../clock.js';

export function scaledClock(speed: number): Clock {
  if (!(speed > 0)) throw new RangeError('scaledClock needs a positive speed');
  const origin = performance.now();
  const wrap = (t: NodeJS.Timeout): Timer => {
    t.unref();
    return { cancel: () => clearTimeout(t) };
  };
  return {
    now: () => origin + (performance.now() - origin) * speed,
    after: (ms, fn) => wrap(setTimeout(fn, ms / speed)),
    every: (ms, fn) => wrap(setInterval(fn, ms / speed)),
  };
}
