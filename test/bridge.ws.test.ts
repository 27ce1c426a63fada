/** End to end over a real WebSocket: simulator ↔ bridge ↔ emulator ↔ the real @google/genai SDK. */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { alignedSnrDb } from '../src/audio/measure.js';
import { AssistantState } from '../src/protocol/messages.js';
import { cleanup, spokenTurn } from './helpers/live.js';
import { startRig, TOKEN, until, type Rig } from './helpers/bridge.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await cleanup();
});

describe('bridge over WebSocket', () => {
  it('carries a spoken turn: the echo persona returns the utterance, time-aligned, at ≥ 30 dB SNR', async () => {
    rig = await startRig({ persona: 'echo' });
    const device = await rig.device();
    const turn = await spokenTurn();
    const words = turn.subarray(0, turn.length - 16000);
    device.speak(turn);
    await until(() => device.stats.framesPlayed > 0, 15_000, 'reply audio');
    await until(() => device.hostState === AssistantState.LISTENING && device.playedSamples().length > words.length, 15_000, 'end of reply');
    const { snrDb, delaySamples } = alignedSnrDb(words, device.playedSamples(), 16000);
    expect(snrDb).toBeGreaterThanOrEqual(30);
    expect(delaySamples).toBeGreaterThan(0); // the reply starts with the ~200 ms the emulator heard before speech began
    expect(device.stats.underruns).toBe(0);
    expect(device.stats.overflows).toBe(0);
    expect(rig.logs.join('\n')).toMatch(/assistant: You said something/);
  });

  it('sends the assistant state for the LED: listening, thinking, speaking, listening', async () => {
    rig = await startRig({ persona: 'tone' });
    const device = await rig.device();
    const states: number[] = [];
    device.on('state', (s) => states.push(s));
    device.speak(await spokenTurn());
    await until(() => states.includes(AssistantState.SPEAKING) && states.at(-1) === AssistantState.LISTENING, 15_000, 'a full turn of states');
    const thinking = states.indexOf(AssistantState.THINKING);
    const speaking = states.indexOf(AssistantState.SPEAKING);
    expect(states[0]).toBe(AssistantState.LISTENING);
    expect(thinking).toBeGreaterThan(0);
    expect(speaking).toBeGreaterThan(thinking);
    expect(states.lastIndexOf(AssistantState.LISTENING)).toBeGreaterThan(speaking);
  });

  it('barge-in: the button flushes playback at once and no audio of the old reply plays after it', async () => {
    rig = await startRig({ persona: 'scenario', scenario: { turns: [{ say: 'a long story', durationMs: 6000 }] }, realtimeFactor: 4 });
    const device = await rig.device();
    let flushedAt = -1;
    let playedAfterFlush = 0;
    device.on('flush', () => (flushedAt = performance.now()));
    device.on('played', (s) => {
      if (flushedAt >= 0) playedAfterFlush += s.filter((x) => x !== 0).length; // ordered by events, not by time
    });
    device.speak(await spokenTurn());
    await until(() => device.stats.framesPlayed > 20, 15_000, 'the reply to start');
    device.press();
    device.release();
    await until(() => flushedAt >= 0, 2000, 'the flush');
    await new Promise((r) => setTimeout(r, 1500));
    expect(playedAfterFlush).toBe(0); // the rest of the 6 s reply never plays
    const agent = [...rig.bridge.agents.values()][0];
    expect(agent.stats.bargeIns).toBe(1);
  });

  it('calls a tool the device declared and gives the model its result', async () => {
    rig = await startRig({ persona: 'scenario', scenario: { turns: [{ toolCall: { name: 'set_led', args: { on: true } }, say: 'LED says {result}' }] } });
    const device = await rig.device();
    device.speak(await spokenTurn());
    await until(() => device.ledOn, 15_000, 'the LED');
    await until(() => rig!.logs.some((l) => l.includes('assistant: LED says')), 15_000, 'the reply');
    expect(rig.logs.join('\n')).toContain('LED says {"result":{"led":"on"}}');
  });

  it('refuses a device without the right token, without detail, and logs it', async () => {
    rig = await startRig();
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }]) {
      const ws = new WebSocket(rig.url, { headers });
      const status = await new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
      });
      expect(status).toBe(401);
    }
    expect(rig.logs.filter((l) => /rejected: (no token|unknown token)/.test(l))).toHaveLength(2);
    expect(rig.bridge.agents.size).toBe(0);
    const ok = new WebSocket(rig.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    await new Promise((r) => ok.once('open', r));
    ok.close();
  });

  it('serves two devices at once, each with its own conversation', async () => {
    rig = await startRig({ persona: 'echo' });
    const a = await rig.device({ deviceId: 'kitchen' });
    const b = await rig.device({ deviceId: 'office' });
    const turn = await spokenTurn();
    a.speak(turn);
    b.speak(turn);
    await until(() => a.stats.framesPlayed > 50 && b.stats.framesPlayed > 50, 20_000, 'both replies');
    expect(rig.bridge.agents.size).toBe(2);
    expect(rig.emulator.conversations).toHaveLength(2);
    a.unplug();
    await until(() => b.hostState === AssistantState.LISTENING, 10_000, 'b to finish');
    expect(b.stats.underruns).toBe(0);
  });

  it('keeps the conversation when the device drops off Wi-Fi and comes back', async () => {
    rig = await startRig({ persona: 'tone' });
    const device = await rig.device({ deviceId: 'roamer' });
    device.speak(await spokenTurn());
    await until(() => device.hostState === AssistantState.SPEAKING, 15_000, 'speaking');
    device.unplug();
    await until(() => rig!.logs.some((l) => l.includes('link lost')), 5000, 'the bridge to notice');
    const welcomed = new Promise((r) => device.once('welcome', r));
    await device.connectWebSocket(rig.url, TOKEN);
    await welcomed;
    expect(rig.bridge.agents.size).toBe(1);
    expect(rig.emulator.conversations).toHaveLength(1);
    expect(rig.logs.some((l) => l.includes('back on ws'))).toBe(true);
  });
});
