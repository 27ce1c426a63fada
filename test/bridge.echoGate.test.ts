/** The echo gate and the volume tool, as a board without echo cancellation would meet them. */
import { afterEach, describe, expect, it } from 'vitest';
import { floatToS16 } from '../src/audio/sampleFormat.js';
import { sine } from '../src/audio/measure.js';
import { EchoGate } from '../src/bridge/echoGate.js';
import { Feature } from '../src/protocol/messages.js';
import { startRig, until, type Rig } from './helpers/bridge.js';
import { cleanup } from './helpers/live.js';

const frame = (level: number) => floatToS16(sine(16000, 300, 0.02, level));

describe('echo gate', () => {
  it('mutes the microphone while the board plays and for the tail after, then lets it through', () => {
    const gate = new EchoGate({ fullDuplex: false, tailMs: 300 });
    let t = 0;
    expect(gate.check(frame(0.05), t)).toBe('pass');
    gate.setPlaying(true, t);
    for (let i = 0; i < 50; i++) expect(gate.check(frame(0.05), (t += 20))).toBe('mute'); // the echo of the reply
    gate.setPlaying(false, t);
    expect(gate.check(frame(0.05), (t += 100))).toBe('mute'); // still within the 300 ms tail
    expect(gate.check(frame(0.05), (t += 250))).toBe('pass');
  });

  it('lets a deliberate barge-in through: speech well above the echo it has learned', () => {
    const gate = new EchoGate({ fullDuplex: false });
    let t = 0;
    gate.setPlaying(true, t);
    for (let i = 0; i < 20; i++) gate.check(frame(0.01), (t += 20)); // echo at about −43 dBFS
    const verdicts = [0, 1, 2].map(() => gate.check(frame(0.3), (t += 20))); // the user, at about −13 dBFS
    expect(verdicts).toEqual(['mute', 'mute', 'bargeIn']);
  });

  it('is out of the way for boards with on-device echo cancellation', () => {
    const gate = new EchoGate({ fullDuplex: true });
    gate.setPlaying(true, 0);
    expect(gate.check(frame(0.05), 20)).toBe('pass');
  });
});

describe('built-in volume tool', () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
    await cleanup();
  });

  it('is offered to boards with a volume control and sets it on the board', async () => {
    rig = await startRig({ persona: 'scenario', scenario: { turns: [{ toolCall: { name: 'set_volume', args: { percent: 35 } }, say: 'ok' }] } });
    const device = await rig.device({ features: Feature.BUTTON | Feature.VOLUME });
    const agent = [...rig.bridge.agents.values()][0];
    expect(agent.live.tools.has('set_volume')).toBe(true);
    agent.live.sendText('quieter please');
    await until(() => device.volumePercent === 35, 10_000, 'the volume');
  });
});
