/** The host's own tools on an injected clock: time in the host's zone, timers that go off on the right board and survive a restart. */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolRegistry } from '../src/live/tools.js';
import type { LiveSession } from '../src/live/session.js';
import { createLogger } from '../src/log.js';
import { HostTools, type HostToolsOptions } from '../src/tools/hostTools.js';
import { FakeClock } from './helpers/fakeClock.js';

/** 2026-11-30 06:05:00 UTC, a Monday: 07:05 in Berlin. */
const START = Date.UTC(2026, 10, 30, 6, 5, 0);

function session() {
  const said: string[] = [];
  const live = { tools: new ToolRegistry(), config: { model: 'gemini-3.8-live' }, state: 'open', sendText: (t: string) => said.push(t) } as unknown as LiveSession;
  return { live, said };
}

function host(more: Partial<HostToolsOptions> = {}, clock = new FakeClock(0)) {
  const logs: string[] = [];
  const tools = new HostTools({ time: true, timers: true, timeZone: 'Europe/Berlin', clock, wallNow: () => START + clock.now(), log: createLogger({ json: false, write: (l) => logs.push(l) }), ...more });
  return { tools, clock, logs };
}

const run = async (live: LiveSession, name: string, args: Record<string, unknown> = {}) => (await live.tools.dispatch({ id: 'x', name, args }, 1000, new AbortController().signal)).response;

describe('host tools', () => {
  it('tells the time and date in the host time zone', async () => {
    const { tools } = host();
    const { live } = session();
    tools.attach({ id: 'kitchen', name: '' }, live, createLogger({ json: false, write: () => undefined }));
    expect(await run(live, 'get_time')).toEqual({ result: { now: 'Monday 30 November 2026, 07:05', timeZone: 'Europe/Berlin' } });
  });

  it('a timer goes off on the board that set it, at its time, and the model is told', async () => {
    const { tools, clock } = host();
    const kitchen = session();
    const hall = session();
    const quiet = createLogger({ json: false, write: () => undefined });
    tools.attach({ id: 'kitchen', name: '' }, kitchen.live, quiet);
    tools.attach({ id: 'hall', name: '' }, hall.live, quiet);
    expect(await run(kitchen.live, 'set_timer', { seconds: 600, label: 'pasta' })).toEqual({ result: { id: 1, label: 'pasta', goesOffAt: '07:15' } });
    expect(await run(hall.live, 'set_timer', { at: '08:00', label: 'call mum' })).toMatchObject({ result: { label: 'call mum', goesOffAt: '08:00' } });
    expect(await run(kitchen.live, 'list_timers')).toEqual({ result: { timers: [{ id: 1, label: 'pasta', goesOffAt: 'Monday 30 November 2026, 07:15', secondsLeft: 600 }] } });
    clock.advance(599_999);
    expect(kitchen.said).toEqual([]);
    clock.advance(1);
    expect(kitchen.said).toEqual(['[Host notice, not the user speaking] The timer or reminder "pasta" has just gone off. Tell the user now, briefly.']);
    expect(hall.said).toEqual([]);
    clock.advance(45 * 60_000 - 1); // 08:00 is 55 minutes after 07:05
    expect(hall.said).toEqual([]);
    clock.advance(1);
    expect(hall.said).toHaveLength(1);
    expect(hall.said[0]).toContain('"call mum"');
    expect(await run(kitchen.live, 'list_timers')).toEqual({ result: { timers: [] } });
  });

  it('cancels by label and refuses bad arguments with a clear error', async () => {
    const { tools, clock } = host();
    const { live, said } = session();
    tools.attach({ id: 'kitchen', name: '' }, live, createLogger({ json: false, write: () => undefined }));
    await run(live, 'set_timer', { seconds: 60, label: 'Eggs' });
    expect(await run(live, 'cancel_timer', { label: 'eggs' })).toEqual({ result: { cancelled: ['Eggs'] } });
    clock.advance(120_000);
    expect(said).toEqual([]);
    expect(await run(live, 'set_timer', { seconds: 60, at: '10:00', label: 'x' })).toEqual({ error: 'give either seconds or at (HH:MM), not both' });
    expect(await run(live, 'set_timer', { at: '25:00', label: 'x' })).toEqual({ error: 'at must be a local time HH:MM (24-hour)' });
  });

  it('timers survive a restart in a 0600 state file; one that went off meanwhile is told when the board is back', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'esp-live-timers-')), 'state', 'timers.json');
    const first = host({ stateFile: file });
    const a = session();
    first.tools.attach({ id: 'kitchen', name: '' }, a.live, createLogger({ json: false, write: () => undefined }));
    await run(a.live, 'set_timer', { seconds: 60, label: 'tea' });
    await run(a.live, 'set_timer', { seconds: 3600, label: 'bread' });
    await first.tools.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // The bridge comes back 10 minutes later: tea went off while it was down, bread is still due.
    const clock = new FakeClock(0);
    const second = host({ stateFile: file, wallNow: () => START + 600_000 + clock.now() }, clock);
    const b = session();
    second.tools.attach({ id: 'kitchen', name: '' }, b.live, createLogger({ json: false, write: () => undefined }));
    expect(b.said).toHaveLength(1);
    expect(b.said[0]).toContain('"tea" has just gone off (it went off at Monday 30 November 2026, 07:06, while the device was away)');
    clock.advance(3000_000);
    expect(b.said).toHaveLength(2);
    expect(b.said[1]).toContain('"bread"');
  });

  it('each part can be switched off', () => {
    const { tools } = host({ time: false });
    const { live } = session();
    tools.attach({ id: 'k', name: '' }, live, createLogger({ json: false, write: () => undefined }));
    expect(live.tools.declarations().map((d) => d.name)).toEqual(['set_timer', 'list_timers', 'cancel_timer']);
    const off = host({ timers: false });
    const other = session();
    off.tools.attach({ id: 'k', name: '' }, other.live, createLogger({ json: false, write: () => undefined }));
    expect(other.live.tools.declarations().map((d) => d.name)).toEqual(['get_time']);
  });
});
