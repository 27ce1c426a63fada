/** What the bridge says while no device is connected: when, how often, and that a run says it. */
import { describe, expect, it } from 'vitest';
import { runCommand } from '../src/commands/run.js';
import { IDLE_HINT_EVERY_MS, IDLE_HINT_FIRST_MS, idleHintText, startIdleHint } from '../src/ops/idleHint.js';
import { FakeClock } from './helpers/fakeClock.js';

describe('idle hint', () => {
  it('comes 15 s after start while nothing is connected, then only every 15 minutes', () => {
    const clock = new FakeClock();
    const said: number[] = [];
    startIdleHint({ clock, connected: () => false, say: () => said.push(clock.now()) });
    clock.advance(IDLE_HINT_FIRST_MS - 1000);
    expect(said).toEqual([]);
    clock.advance(1000);
    expect(said).toHaveLength(1);
    clock.advance(IDLE_HINT_EVERY_MS - 1000);
    expect(said).toHaveLength(1);
    clock.advance(1000);
    expect(said).toHaveLength(2);
    expect(said[1] - said[0]).toBe(IDLE_HINT_EVERY_MS);
  });

  it('is not said while a device is connected, and comes back 15 s after the last one leaves', () => {
    const clock = new FakeClock();
    let connected = true;
    const said: number[] = [];
    const hint = startIdleHint({ clock, connected: () => connected, say: () => said.push(clock.now()) });
    clock.advance(60 * 60_000);
    expect(said).toEqual([]);
    connected = false;
    const left = clock.now();
    clock.advance(IDLE_HINT_FIRST_MS + 1000);
    expect(said).toHaveLength(1);
    expect(said[0] - left).toBeGreaterThanOrEqual(IDLE_HINT_FIRST_MS);
    expect(said[0] - left).toBeLessThanOrEqual(IDLE_HINT_FIRST_MS + 1000);
    hint.cancel();
    clock.advance(IDLE_HINT_EVERY_MS * 2);
    expect(said).toHaveLength(1);
  });

  it('says what to do next: plug in, devices, doctor, demo, and where Wi-Fi boards and the console go', () => {
    const text = idleHintText({ wsUrl: 'ws://pi.local:8765/device', consoleUrl: 'http://127.0.0.1:8080/' });
    for (const part of ['Plug a board in over USB', '`esp-live devices`', '`esp-live doctor`', '`esp-live demo`', 'ws://pi.local:8765/device', 'http://127.0.0.1:8080/']) expect(text).toContain(part);
  });

  it('a running bridge with no device says it', async () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const running = await runCommand(['--no-serial', '--no-ws'], (l) => lines.push(l), {}, clock);
    try {
      clock.advance(IDLE_HINT_FIRST_MS);
      expect(lines.filter((l) => l.startsWith('no device connected yet'))).toHaveLength(1);
    } finally {
      await running!.stop();
    }
  });
});
