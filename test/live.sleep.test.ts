/** Sleeping through the quiet (issue: always on, without the bill) and the SDK adapter, through the real SDK. */
import { GoogleGenAI } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { GuardedSocketFactory, installSocketFactory } from '../src/live/socket.js';
import { cleanup, collect, nextEvent, sessionFor, spokenTurn, startEmulator, talk, until } from './helpers/live.js';

afterEach(cleanup);

const heardBy = (emu: Awaited<ReturnType<typeof startEmulator>>) => emu.conversations.reduce((n, c) => n + c.audioDropped + c.receivedAudio().length, 0);

describe('LiveSession.sleep()', () => {
  it('closes the connection while nobody talks, and the next utterance wakes it, resumed, heard whole and answered', async () => {
    const emu = await startEmulator({ persona: 'echo' });
    const session = sessionFor(emu);
    const seen = collect(session);
    await session.start();
    const turn = await spokenTurn();
    const warmStart = performance.now();
    await talk((c) => session.sendAudio(c), turn, 8);
    await until(() => seen.turns === 1, 15_000, 'the warm reply');
    const warmMs = performance.now() - warmStart;
    await until(() => session.resumptionHandle !== undefined, 5000, 'a handle');
    session.audioStreamEnd();
    expect(session.sleep()).toBe(true);
    expect(session.state).toBe('asleep');
    await until(() => emu.openConnections === 0, 5000, 'the connection to close');
    const before = heardBy(emu);

    const states: string[] = [];
    session.on('state', (s) => states.push(s));
    const wakeStart = performance.now();
    const firstAudio = nextEvent(session, 'audio', 15_000);
    for (let at = 0; at < turn.length; at += 320) session.sendAudio(turn.subarray(at, at + 320)); // all of it before the connection is back
    await firstAudio;
    await until(() => seen.turns === 2, 15_000, 'the reply after waking');
    const wakeMs = performance.now() - wakeStart;
    expect(session.stats).toMatchObject({ sleeps: 1, wakes: 1, resumed: 1, micDroppedMs: 0 });
    expect(states).toEqual(['open']); // asleep → open: never 'reconnecting' (the board shows no CONNECTING)
    expect(heardBy(emu) - before).toBe(turn.length); // every sample of the utterance, none twice
    expect(wakeMs - warmMs).toBeLessThan(600); // waking adds less than the goal (against the local emulator)
  });

  it('refuses to sleep while the user speaks or a reply is under way', async () => {
    const emu = await startEmulator({ persona: 'echo' });
    const session = sessionFor(emu);
    const seen = collect(session);
    await session.start();
    const turn = await spokenTurn();
    await talk((c) => session.sendAudio(c), turn.subarray(0, 16000), 8); // mid-sentence
    expect(session.sleep()).toBe(false);
    await talk((c) => session.sendAudio(c), turn.subarray(16000), 8);
    await nextEvent(session, 'audio', 15_000);
    expect(session.sleep()).toBe(false); // replying
    await until(() => seen.turns === 1, 15_000, 'the end of the reply');
    expect(session.sleep()).toBe(true);
  });
});

describe('the SDK adapter', () => {
  it('installs our socket factory where @google/genai 3.1.0 keeps its own, and fails loudly if that moved', () => {
    const factory = new GuardedSocketFactory({ onSocket: () => undefined, onMalformed: () => undefined });
    const live = new GoogleGenAI({ apiKey: 'k' }).live;
    installSocketFactory(live, factory);
    expect((live as unknown as { webSocketFactory: unknown }).webSocketFactory).toBe(factory);
    expect(() => installSocketFactory({ socketFactory: {} }, factory)).toThrow(/LIVE_SDK_CHANGED|keeps its WebSocket factory elsewhere/);
  });

  it('ends a session with LIVE_SDK_CHANGED instead of running on the SDK\'s unguarded socket', async () => {
    const emu = await startEmulator({ persona: 'echo' });
    const session = sessionFor(emu);
    const original = (session as unknown as { createClient: (c: unknown) => GoogleGenAI }).createClient;
    (session as unknown as { createClient: (c: unknown) => unknown }).createClient = (c) => {
      const ai = original(c);
      delete (ai.live as unknown as { webSocketFactory?: unknown }).webSocketFactory;
      return ai;
    };
    await expect(session.start()).rejects.toMatchObject({ code: 'LIVE_SDK_CHANGED' });
    expect(session.state).toBe('failed');
  });
});
