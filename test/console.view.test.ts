/**
 * What the console shows, on a fake clock: a real DeviceAgent over a real DeviceConnection on an
 * in-memory link, a Live session whose events the test fires, the bridge's real usage meter.
 */
import { describe, expect, it } from 'vitest';
import { UsageMeter } from '../src/bridge/usageMeter.js';
import { BridgeView } from '../src/console/bridgeView.js';
import { SampleFormat, type Hello } from '../src/protocol/messages.js';
import { scriptedAgent } from './helpers/scriptedLive.js';


const S16 = { sampleRateHz: 16000, sampleFormat: SampleFormat.S16LE, channels: 1, codecs: 1 };
const ID = 'desk\u001b[2J';
const HELLO: Hello = { type: 'hello', protocolVersion: 1, features: 0, playbackBufferSamples: 3200, maxMessageBytes: 2048, mic: S16, speaker: S16, toolCount: 0, deviceId: ID, name: 'desk\u202e', firmwareVersion: '0.2\u0007', protocolRevision: 1 };

async function setup() {
  const { clock, link, live, agent, attach } = await scriptedAgent(HELLO);
  attach();
  const agents = new Map([[ID, agent]]);
  const view = new BridgeView({ agents, usage: new UsageMeter() }, clock);
  return { clock, link, live, agent, agents, view };
}

describe('console view of the bridge', () => {
  it('escapes what the board says about itself; shows its link, codecs and buffer', async () => {
    const { view } = await setup();
    const [d] = view.snapshot();
    expect(d).toMatchObject({ id: 'desk\\x1b[2J', name: 'desk\\u202e', firmware: '0.2\\x07', link: { kind: 'websocket', name: 'fake' }, protocolRevision: 1, mic: { rateHz: 16000, codec: 'PCM' }, frameMs: 20 });
    expect(d.health.capacityMs).toBe(200);
  });

  it('levels are the loudest since the last snapshot; the buffer comes from the last CREDIT; RTT from the PONG', async () => {
    const { view, link, clock, live } = await setup();
    view.snapshot(); // starts following the connection
    live.fire('state', 'open');
    link.deliver({ type: 'audioIn', seq: 0, captureTimeUs: 0, payload: new Uint8Array(new Int16Array(320).fill(8192).buffer) });
    live.fire('audio', new Int16Array(480).fill(-16384), 24000);
    link.deliver({ type: 'credit', generation: 0, releasedSamples: 0, playedSamples: 0, bufferedSamples: 1600, underruns: 2, overflows: 0, staleFrames: 1 });
    clock.advance(5000); // the agent pings every 5 s
    const ping = link.of('ping').at(-1)!;
    clock.advance(37);
    link.deliver({ type: 'pong', nonce: ping.nonce, pingTimeUs: ping.timeUs, timeUs: 0 });
    const [d] = view.snapshot();
    expect(d.levels).toEqual({ inDbfs: -12, outDbfs: -6 });
    expect(d.health).toMatchObject({ bufferedMs: 100, underruns: 2, staleFrames: 1, rttMs: 37 });
    expect(view.snapshot()[0].levels).toEqual({ inDbfs: -120, outDbfs: -120 });
  });

  it('connection age counts from the last open; reconnecting shows none', async () => {
    const { view, clock, live } = await setup();
    view.snapshot();
    live.fire('state', 'open');
    clock.advance(5000);
    expect(view.snapshot()[0].live).toMatchObject({ state: 'open', connectionAgeMs: 5000 });
    live.fire('state', 'reconnecting');
    clock.advance(1000);
    expect(view.snapshot()[0].live.connectionAgeMs).toBeUndefined();
    live.fire('state', 'open');
    clock.advance(250);
    expect(view.snapshot()[0].live.connectionAgeMs).toBe(250);
  });

  it('resumption handle age counts from the newest handle, which never reaches the page', async () => {
    const { view, clock, live } = await setup();
    expect(view.snapshot()[0].live.handleAgeMs).toBeUndefined();
    live.resumptionHandle = 'handle-1';
    view.snapshot();
    clock.advance(3000);
    expect(view.snapshot()[0].live.handleAgeMs).toBe(3000);
    live.resumptionHandle = 'handle-2';
    view.snapshot();
    clock.advance(100);
    const [d] = view.snapshot();
    expect(d.live.handleAgeMs).toBe(100);
    expect(JSON.stringify(d)).not.toContain('handle-2');
  });

  it('transcripts arrive escaped, as events and in the backlog; a device the bridge dropped is let go of', async () => {
    const { view, live, agents } = await setup();
    const lines: string[] = [];
    view.on('transcript', (line) => lines.push(`${line.who}: ${line.text}`));
    view.snapshot();
    live.fire('userTranscript', 'lights\u202e on');
    expect(lines).toEqual(['user: lights\\u202e on']);
    expect(view.transcript()[0]).toMatchObject({ device: 'desk\\x1b[2J', who: 'user' });
    const listening = live.listenerCount('audio');
    agents.clear();
    expect(view.snapshot()).toEqual([]);
    expect(live.listenerCount('audio')).toBe(listening - 1);
  });
});
