/**
 * What the running bridge says while no device is connected: what to do next. Said once
 * `firstAfterMs` after the bridge became idle (at start, or after the last device left), then
 * again every `everyMs` while it stays idle, so a service's journal is not filled with it.
 */
import type { Clock, Timer } from '../clock.js';

export interface IdleHintOptions {
  clock: Clock;
  /** True while at least one device is connected. */
  connected(): boolean;
  say(message: string): void;
  /** Where boards on Wi-Fi connect, and the console, when they are on. */
  wsUrl?: string;
  consoleUrl?: string;
  firstAfterMs?: number;
  everyMs?: number;
}

export const IDLE_HINT_FIRST_MS = 15_000;
export const IDLE_HINT_EVERY_MS = 15 * 60_000;
/** How often the connection state is looked at: a hint may come up to this much late. */
const CHECK_MS = 1000;

export function idleHintText(o: Pick<IdleHintOptions, 'wsUrl' | 'consoleUrl'>): string {
  return [
    'no device connected yet. Plug a board in over USB (a data cable, not a charge-only one)',
    o.wsUrl ? `, or point a board on Wi-Fi at ${o.wsUrl}` : '',
    '. `esp-live devices` lists the serial ports, `esp-live doctor` checks this computer, `esp-live demo` tries esp-live without a board',
    o.consoleUrl ? `; the console is at ${o.consoleUrl}` : '',
    '.',
  ].join('');
}

export function startIdleHint(o: IdleHintOptions): Timer {
  const firstAfterMs = o.firstAfterMs ?? IDLE_HINT_FIRST_MS;
  const everyMs = o.everyMs ?? IDLE_HINT_EVERY_MS;
  let idleSince: number | undefined = o.clock.now();
  let saidAt: number | undefined;
  return o.clock.every(CHECK_MS, () => {
    const now = o.clock.now();
    if (o.connected()) {
      idleSince = undefined;
      saidAt = undefined;
      return;
    }
    idleSince ??= now;
    if (now - idleSince < firstAfterMs || (saidAt !== undefined && now - saidAt < everyMs)) return;
    saidAt = now;
    o.say(idleHintText(o));
  });
}
