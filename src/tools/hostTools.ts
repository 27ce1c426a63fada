/**
 * Tools the host answers itself, with no cloud: the time and date in the host's time zone,
 * and timers/reminders that go off on the board that set them. When one goes off the host
 * tells that board's model in a text turn (clientContent), and the model says it; a board
 * that is away hears about it when it comes back. Timers survive a restart of the bridge in a
 * small state file (mode 0600). Each part can be switched off.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { realClock, type Clock, type Timer } from '../clock.js';
import type { LiveSession } from '../live/session.js';
import type { Logger } from '../log.js';
import type { DeviceRef, ToolSource } from './toolSource.js';

export interface HostToolsOptions {
  time: boolean;
  timers: boolean;
  /** Where timers are kept across restarts; none: they live only as long as the process. */
  stateFile?: string;
  log: Logger;
  clock?: Clock;
  /** Wall-clock milliseconds since the epoch (default Date.now). */
  wallNow?: () => number;
  /** IANA zone (default the host's). */
  timeZone?: string;
}

interface HostTimer {
  id: number;
  device: string;
  label: string;
  /** Wall-clock ms. */
  dueAt: number;
  /** Went off while the board was away: said when it comes back. */
  missed?: boolean;
}

export const MAX_TIMERS_PER_DEVICE = 20;
const MAX_TIMER_S = 7 * 24 * 3600;
const MAX_LABEL = 100;
const DAY_MS = 86_400_000;

export class HostTools implements ToolSource {
  private readonly timers = new Map<number, { timer: HostTimer; pending?: Timer }>();
  private readonly sessions = new Map<string, LiveSession>();
  private nextId = 1;
  private readonly clock: Clock;
  private readonly wallNow: () => number;
  private readonly timeZone: string;

  constructor(private readonly options: HostToolsOptions) {
    this.clock = options.clock ?? realClock;
    this.wallNow = options.wallNow ?? Date.now;
    this.timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (options.timers) for (const timer of this.load()) this.schedule(timer);
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  /** The wall-clock fields at `ms` in the host's zone (built here, not by an ICU pattern that differs between Node versions). */
  private parts(ms: number): Record<string, string> {
    const format = new Intl.DateTimeFormat('en-GB', { timeZone: this.timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    return Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
  }

  /** "Monday 30 November 2026, 07:05" (or "07:05") in the host's zone. */
  private local(ms: number, withDate = true): string {
    const p = this.parts(ms);
    return `${withDate ? `${p.weekday} ${p.day} ${p.month} ${p.year}, ` : ''}${p.hour}:${p.minute}`;
  }

  attach(device: DeviceRef, live: LiveSession, log: Logger): () => void {
    const removers: (() => void)[] = [];
    const add = (...args: Parameters<LiveSession['tools']['register']>) => {
      try {
        removers.push(live.tools.register(...args));
      } catch (error) {
        log.log('warn', `host tool ${args[0].name} not offered: ${(error as Error).message}`);
      }
    };
    if (this.options.time) {
      add({ name: 'get_time', description: 'The current local date, time and time zone where the assistant is.' }, async () => ({ now: this.local(this.wallNow()), timeZone: this.timeZone }));
    }
    if (this.options.timers) {
      add(
        {
          name: 'set_timer',
          description: 'Set a timer or reminder on this device: give either seconds from now or a local time "HH:MM" (24-hour), and a short label. When it goes off you will be told, and should tell the user.',
          parametersJsonSchema: {
            type: 'object',
            properties: { seconds: { type: 'integer', minimum: 1, maximum: MAX_TIMER_S }, at: { type: 'string', description: 'local time HH:MM' }, label: { type: 'string' } },
            required: ['label'],
          },
        },
        async (args) => this.setTimer(device.id, args),
      );
      add({ name: 'list_timers', description: "This device's timers and reminders that have not gone off yet." }, async () => ({ timers: this.list(device.id) }));
      add(
        { name: 'cancel_timer', description: 'Cancel a timer or reminder of this device by its label (or id).', parametersJsonSchema: { type: 'object', properties: { label: { type: 'string' }, id: { type: 'integer' } } } },
        async (args) => this.cancel(device.id, args),
      );
      this.sessions.set(device.id, live);
      for (const { timer } of [...this.timers.values()].filter((t) => t.timer.device === device.id && t.timer.missed)) this.fire(timer);
    }
    return () => {
      for (const remove of removers) remove();
      if (this.sessions.get(device.id) === live) this.sessions.delete(device.id);
    };
  }

  private setTimer(device: string, args: Record<string, unknown>): unknown {
    const label = String(args.label ?? 'timer').slice(0, MAX_LABEL);
    if (this.list(device).length >= MAX_TIMERS_PER_DEVICE) throw new Error(`this device already has ${MAX_TIMERS_PER_DEVICE} timers; cancel one first`);
    const now = this.wallNow();
    let dueAt: number;
    if (typeof args.seconds === 'number' && args.at === undefined) {
      if (!Number.isInteger(args.seconds) || args.seconds < 1 || args.seconds > MAX_TIMER_S) throw new Error(`seconds must be a whole number from 1 to ${MAX_TIMER_S}`);
      dueAt = now + args.seconds * 1000;
    } else if (typeof args.at === 'string' && args.seconds === undefined) {
      dueAt = now + this.untilLocal(args.at, now);
    } else throw new Error('give either seconds or at (HH:MM), not both');
    const timer: HostTimer = { id: this.nextId++, device, label, dueAt };
    this.schedule(timer);
    this.save();
    return { id: timer.id, label, goesOffAt: this.local(dueAt, dueAt - now >= DAY_MS / 2) };
  }

  /** Milliseconds from `now` to the next local HH:MM (a DST change in between shifts it by the change; a guess we accept). */
  private untilLocal(at: string, now: number): number {
    const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(at.trim());
    if (!m) throw new Error('at must be a local time HH:MM (24-hour)');
    const parts = this.parts(now);
    const sinceMidnight = ((Number(parts.hour) * 60 + Number(parts.minute)) * 60 + Number(parts.second)) * 1000 + (now % 1000);
    const target = (Number(m[1]) * 60 + Number(m[2])) * 60_000;
    return (target - sinceMidnight + DAY_MS) % DAY_MS || DAY_MS;
  }

  private list(device: string) {
    const now = this.wallNow();
    return [...this.timers.values()]
      .map((t) => t.timer)
      .filter((t) => t.device === device && !t.missed)
      .sort((a, b) => a.dueAt - b.dueAt)
      .map((t) => ({ id: t.id, label: t.label, goesOffAt: this.local(t.dueAt), secondsLeft: Math.max(0, Math.round((t.dueAt - now) / 1000)) }));
  }

  private cancel(device: string, args: Record<string, unknown>): unknown {
    const gone = [...this.timers.values()].filter(({ timer }) => timer.device === device && (timer.id === args.id || (typeof args.label === 'string' && timer.label.toLowerCase() === args.label.toLowerCase())));
    if (!gone.length) throw new Error('no timer of this device has that label or id');
    for (const entry of gone) {
      entry.pending?.cancel();
      this.timers.delete(entry.timer.id);
    }
    this.save();
    return { cancelled: gone.map((e) => e.timer.label) };
  }

  private schedule(timer: HostTimer): void {
    this.nextId = Math.max(this.nextId, timer.id + 1);
    const entry: { timer: HostTimer; pending?: Timer } = { timer };
    this.timers.set(timer.id, entry);
    if (!timer.missed) entry.pending = this.clock.after(Math.max(0, timer.dueAt - this.wallNow()), () => this.fire(timer));
  }

  /** The timer went off: its board's model is told (now, or when the board is back). */
  private fire(timer: HostTimer): void {
    const live = this.sessions.get(timer.device);
    if (!live || live.state === 'closed' || live.state === 'failed') {
      timer.missed = true;
      this.save();
      this.options.log.log('info', `timer "${timer.label}" went off while device ${timer.device} was away; it hears about it when it is back`);
      return;
    }
    this.timers.delete(timer.id);
    this.save();
    const late = this.wallNow() - timer.dueAt > 60_000 ? ` (it went off at ${this.local(timer.dueAt)}, while the device was away)` : '';
    this.options.log.log('info', `timer "${timer.label}" went off`, { device: timer.device });
    // A text turn from the host, not the user: the model speaks it (clientContent, docs/live-api-notes.md §4).
    live.sendText(`[Host notice, not the user speaking] The timer or reminder "${timer.label}" has just gone off${late}. Tell the user now, briefly.`);
  }

  private load(): HostTimer[] {
    const file = this.options.stateFile;
    if (!file) return [];
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.options.log.log('warn', `timers file ${file} could not be read (${(error as Error).message}); starting without timers`);
      return [];
    }
    const list = (data as { timers?: unknown }).timers;
    if (!Array.isArray(list)) return [];
    const now = this.wallNow();
    return list
      .filter((t): t is HostTimer => typeof t?.id === 'number' && typeof t.device === 'string' && typeof t.label === 'string' && typeof t.dueAt === 'number')
      .slice(0, 1000)
      .map((t) => ({ id: t.id, device: t.device.slice(0, 200), label: t.label.slice(0, MAX_LABEL), dueAt: t.dueAt, missed: t.missed === true || t.dueAt < now }));
  }

  private save(): void {
    const file = this.options.stateFile;
    if (!file) return;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, JSON.stringify({ timers: [...this.timers.values()].map((t) => t.timer) }), { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, file);
    } catch (error) {
      this.options.log.log('warn', `timers file ${file} could not be written (${(error as Error).message}); timers will not survive a restart`);
    }
  }

  async close(): Promise<void> {
    for (const entry of this.timers.values()) entry.pending?.cancel();
    this.sessions.clear();
  }
}
