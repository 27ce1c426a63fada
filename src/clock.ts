/**
 * Time as a dependency. Real-time code takes a `Clock` in its constructor instead of calling
 * `performance.now()` and `setTimeout` itself, so tests can drive it with `FakeClock`
 * (test/helpers/fakeClock.ts): exact, fast, no sleeps.
 */
export interface Timer {
  /** Cancels the timer; calling it again does nothing. */
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (an arbitrary origin). */
  now(): number;
  /** Runs `fn` once after `ms`; the timer never keeps the process alive on its own. */
  after(ms: number, fn: () => void): Timer;
  /** Runs `fn` every `ms` until cancelled; never keeps the process alive on its own. */
  every(ms: number, fn: () => void): Timer;
}

export const realClock: Clock = {
  now: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
};
