import { describe, expect, it } from 'vitest';
import { FakeClock } from './helpers/fakeClock.js';

describe('FakeClock', () => {
  it('runs timers at their due time, in order, and not before', () => {
    const clock = new FakeClock(0);
    const seen: string[] = [];
    clock.after(30, () => seen.push(`b@${clock.now()}`));
    clock.after(10, () => seen.push(`a@${clock.now()}`));
    const tick = clock.every(25, () => seen.push(`t@${clock.now()}`));
    clock.advance(9);
    expect(seen).toEqual([]);
    clock.advance(41);
    expect(seen).toEqual(['a@10', 't@25', 'b@30', 't@50']);
    tick.cancel();
    clock.advance(100);
    expect(seen).toHaveLength(4);
    expect(clock.now()).toBe(150);
  });

  it('runs a timer set by another timer within the same advance', () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    clock.after(5, () => clock.after(5, () => seen.push(clock.now())));
    clock.advance(10);
    expect(seen).toEqual([10]);
  });
});
