/**
 * The device agent as glue, on a fake clock: a real DeviceConnection over an in-memory link, a
 * LiveSession that is never started and whose events the test fires. What it pins: the LED
 * states follow the transition table (impossible changes refused), the echo gate is closed while
 * a reply plays, and the SPEAKING state ends when the board has played the reply.
 */
import { describe, expect, it } from 'vitest';
import { ASSISTANT_TRANSITIONS, canTransition } from '../src/bridge/assistantState.js';
import { DevicePlayback } from '../src/device/devicePlayback.js';
import { AssistantState, SampleFormat, type Hello } from '../src/protocol/messages.js';
import { scriptedAgent } from './helpers/scriptedLive.js';

const { IDLE, LISTENING, THINKING, SPEAKING, ERROR, CONNECTING } = AssistantState;


const S16 = { sampleRateHz: 16000, sampleFormat: SampleFormat.S16LE, channels: 1, codecs: 1 };
const HELLO: Hello = { type: 'hello', protocolVersion: 1, features: 0, playbackBufferSamples: 3200, maxMessageBytes: 2048, mic: S16, speaker: S16, toolCount: 0, deviceId: 'b', name: 'b', firmwareVersion: '1', protocolRevision: 0 };

async function setup(pushToTalk = false) {
  const { clock, link, live, agent, attach } = await scriptedAgent(HELLO, pushToTalk);
  const states: number[] = [];
  const refused: [number, number][] = [];
  agent.on('state', (s) => states.push(s));
  agent.on('refusedTransition', (from, to) => refused.push([from, to]));
  attach();
  live.fire('state', 'open');
  // The board: plays 10 ms at a time and sends the CREDITs a 1.0 board must.
  const board = new DevicePlayback({ capacitySamples: 3200, sampleRateHz: 16000, revision: 0, noPrebuffer: true });
  board.welcome(320, 0);
  let delivered = 0;
  const play = (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      for (const m of link.sent.slice(delivered)) if (m.type === 'audioOut') board.audioOut(m.generation, new Int16Array(m.payload.buffer, m.payload.byteOffset, m.payload.length / 2), clock.now());
      delivered = link.sent.length;
      clock.advance(10);
      board.play(160, clock.now());
      const credit = board.creditDue(clock.now());
      if (credit) link.deliver(credit);
    }
  };
  const mic = (level: number) => link.deliver({ type: 'audioIn', seq: 0, captureTimeUs: 0, payload: new Uint8Array(new Int16Array(320).fill(level).buffer) });
  return { clock, link, agent, live, states, refused, play, mic };
}

describe('assistant state transitions', () => {
  it('the table allows what a conversation does', () => {
    const path = [CONNECTING, LISTENING, THINKING, SPEAKING, LISTENING, SPEAKING, THINKING, SPEAKING, CONNECTING, SPEAKING, LISTENING, ERROR, CONNECTING, LISTENING, ERROR, SPEAKING];
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1], path[i]), `${path[i - 1]} → ${path[i]}`).toBe(true);
  });

  it('refuses what cannot happen', () => {
    expect(canTransition(ERROR, THINKING)).toBe(false); // no turn without a Live connection
    expect(canTransition(ERROR, IDLE)).toBe(false);
    expect(canTransition(CONNECTING, THINKING)).toBe(false);
    expect(canTransition(SPEAKING, IDLE)).toBe(false);
    for (const to of Object.values(AssistantState)) expect(canTransition(to, to)).toBe(true);
    expect(Object.keys(ASSISTANT_TRANSITIONS).map(Number).sort()).toEqual(Object.values(AssistantState).sort());
  });

  it('the agent refuses an impossible change instead of showing it (push-to-talk released after Live failed)', async () => {
    const { agent, live, link, states, refused } = await setup(true);
    live.fire('state', 'failed');
    link.deliver({ type: 'event', event: 2, timeUs: 0 });
    expect(agent.assistantState).toBe(ERROR);
    expect(refused).toEqual([[ERROR, THINKING]]);
    expect(states).toEqual([LISTENING, ERROR]);
  });
});

describe('the agent with its reply player', () => {
  it('SPEAKING while a reply plays, LISTENING 200 ms after the board played it (a 1.0 board: by time)', async () => {
    const { live, states, play, agent } = await setup();
    live.fire('audio', new Int16Array(24000 / 2).fill(1000), 24000); // 500 ms at 24 kHz
    live.fire('generationComplete');
    live.fire('turnComplete');
    expect(agent.assistantState).toBe(SPEAKING);
    play(500);
    expect(agent.assistantState).toBe(SPEAKING); // the last partial frame is not reported yet
    play(500);
    expect(agent.assistantState).toBe(LISTENING);
    expect(states).toEqual([LISTENING, SPEAKING, LISTENING]);
  });

  it('mutes the microphone toward Gemini while the reply plays (echo gate), and not after its tail', async () => {
    const { live, play, mic, agent } = await setup();
    live.fire('audio', new Int16Array(12000).fill(1000), 24000);
    for (let i = 0; i < 5; i++) mic(300);
    expect(agent.stats.micMutedFrames).toBe(5);
    expect(live.heard.slice(-5).every((s) => s.every((v) => v === 0))).toBe(true);
    live.fire('generationComplete');
    live.fire('turnComplete');
    play(2000);
    mic(300);
    expect(agent.stats.micMutedFrames).toBe(5);
    expect(live.heard.at(-1)![0]).not.toBe(0);
  });

  it('the button cuts the reply: FLUSH with the next generation, the rest of that turn is not sent', async () => {
    const { live, link, agent } = await setup();
    live.fire('audio', new Int16Array(24000 * 2).fill(1000), 24000);
    const before = link.of('audioOut').length;
    link.deliver({ type: 'event', event: 1, timeUs: 0 });
    expect(link.sent.at(-1)).toEqual({ type: 'flush', generation: 1 });
    live.fire('audio', new Int16Array(24000).fill(1000), 24000);
    expect(link.of('audioOut').length).toBe(before);
    expect(agent.stats.bargeIns).toBe(1);
  });
});
