/** End to end over USB serial: a socat pty pair opened by the real serialport binding on both sides. */
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge } from '../src/bridge/bridge.js';
import { SerialWatcher } from '../src/device/serialWatcher.js';
import { validateLiveConfig, type LiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import { AssistantState, Codec, type Message } from '../src/protocol/messages.js';
import { encodeFrame } from '../src/protocol/serialFraming.js';
import { SimulatedDevice, type SimulatedDeviceOptions } from '../src/simulator/simulatedDevice.js';
import type { EmulatorOptions } from '../src/emulator/server.js';
import { until } from './helpers/bridge.js';
import { cleanup, sleep, spokenTurn, startEmulator } from './helpers/live.js';
import { PtyPair } from './helpers/pty.js';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
  await cleanup();
});

async function serialRig(emulatorOptions: EmulatorOptions, device: SimulatedDeviceOptions = {}, live: Partial<LiveConfig> = {}, baudRate = 921600) {
  const emulator = await startEmulator(emulatorOptions);
  const logs: string[] = [];
  const log = createLogger({ json: false, write: (l) => logs.push(l) });
  const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl, ...live }), log, graceMs: 30_000 });
  const pty = new PtyPair();
  await pty.plug();
  const sim = new SimulatedDevice({ deviceId: 'usb-board', baudRate, ...device });
  const links: Message[] = [];
  const watcher = new SerialWatcher({ path: pty.host, baudRate, log, pollMs: 100, onLink: (link) => void bridge.addLink(link) });
  open.push({ close: () => bridge.close() }, { close: () => watcher.stop() }, { close: () => pty.unplug() }, { close: () => sim.close() });
  const welcomed = new Promise((r) => sim.once('welcome', r));
  await sim.connectSerial(pty.device);
  watcher.start();
  await welcomed;
  return { emulator, bridge, pty, sim, logs, watcher, links };
}

describe('bridge over USB serial (socat pty, real serialport)', () => {
  it('carries a full spoken turn at 921600 baud with PCM and zero underruns', async () => {
    const { sim, bridge } = await serialRig({ persona: 'echo' });
    sim.speak(await spokenTurn());
    await until(() => sim.stats.framesPlayed > 50 && sim.hostState === AssistantState.LISTENING, 20_000, 'the reply');
    const info = [...bridge.agents.values()][0].info!;
    expect([info.micCodec, info.speakerCodec]).toEqual([Codec.PCM, Codec.PCM]);
    expect(sim.stats.underruns).toBe(0);
    expect(sim.stats.overflows).toBe(0);
  });

  it('chooses a compressed codec at 115200 baud, where PCM cannot fit, and still plays without underruns', async () => {
    const { sim, bridge } = await serialRig({ persona: 'echo' }, {}, {}, 115200);
    const info = [...bridge.agents.values()][0].info!;
    expect(info.micCodec).toBe(Codec.IMA_ADPCM);
    expect(info.speakerCodec).toBe(Codec.IMA_ADPCM);
    sim.speak(await spokenTurn());
    await until(() => sim.stats.framesPlayed > 50 && sim.hostState === AssistantState.LISTENING, 25_000, 'the reply');
    expect(sim.stats.underruns).toBe(0);
  });

  it('push-to-talk: the button frames the turn (Live VAD off)', async () => {
    const { sim, emulator, logs } = await serialRig({ persona: 'tone' }, {}, { vad: { automatic: false } });
    sim.press();
    sim.speak(await spokenTurn());
    await sleep(800);
    sim.release();
    await until(() => sim.stats.framesPlayed > 20, 15_000, 'the reply');
    expect(emulator.conversations[0].turns).toBe(1);
    expect(logs.some((l) => l.includes('restarted'))).toBe(false);
  });

  it('survives a corrupted byte stream: garbage and damaged frames are dropped and counted, the conversation goes on', async () => {
    const { sim, bridge } = await serialRig({ persona: 'tone' });
    const agent = [...bridge.agents.values()][0];
    const garbage = Buffer.from('ets Jun  8 2016 00:22:57\r\nrst:0x1 (POWERON_RESET),boot:0x13\r\n'); // an ESP32 boot log
    const damaged = Buffer.from(encodeFrame({ type: 'ping', nonce: 1, timeUs: 2 }));
    damaged[3] ^= 0x40;
    sim.sendRaw(Buffer.concat([garbage, Buffer.from([0]), damaged, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i % 255) + 1)), Buffer.from([0])]));
    sim.speak(await spokenTurn());
    await until(() => sim.stats.framesPlayed > 20, 15_000, 'the reply despite the noise');
    expect(agent.connection!.link.stats.rejected).toBeGreaterThanOrEqual(3);
  });

  it('unplug mid-reply: noticed at once; on replug the same board re-handshakes and the conversation continues', async () => {
    const { sim, pty, bridge, emulator, logs } = await serialRig({ persona: 'scenario', scenario: { turns: [{ say: 'first', durationMs: 3000 }, { say: 'second', durationMs: 300 }] } });
    sim.speak(await spokenTurn());
    await until(() => sim.stats.framesPlayed > 10, 15_000, 'the reply');
    await pty.unplug();
    await until(() => logs.some((l) => l.includes('link lost')), 3000, 'the unplug to be noticed');
    await pty.plug();
    const welcomed = new Promise((r) => sim.once('welcome', r));
    await sim.connectSerial(pty.device);
    await welcomed;
    expect(bridge.agents.size).toBe(1);
    sim.speak(await spokenTurn());
    await until(() => logs.some((l) => l.includes('assistant: second')), 20_000, 'the second turn');
    expect(emulator.conversations).toHaveLength(1);
  });

  it('keeps playing through a Live goAway mid-reply', async () => {
    const { sim, bridge } = await serialRig({ persona: 'scenario', scenario: { turns: [{ say: 'long reply', durationMs: 2500 }, { say: 'next' }] }, connectionLifetimeMs: 2500, goAwayLeadMs: 2000 });
    sim.speak(await spokenTurn());
    await until(() => sim.stats.framesPlayed > 100 && sim.hostState === AssistantState.LISTENING, 20_000, 'the whole reply');
    const agent = [...bridge.agents.values()][0];
    await until(() => agent.live.stats.goAwaySwitches >= 1, 5000, 'the switch-over');
    expect(sim.stats.underruns).toBe(0);
  });

  it('tells the user about a version mismatch instead of talking', async () => {
    const emulator = await startEmulator();
    const logs: string[] = [];
    const log = createLogger({ json: false, write: (l) => logs.push(l) });
    const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl }), log });
    const pty = new PtyPair();
    await pty.plug();
    const sim = new SimulatedDevice({ protocolVersion: 2 });
    const watcher = new SerialWatcher({ path: pty.host, log, onLink: (link) => void bridge.addLink(link) });
    open.push({ close: () => bridge.close() }, { close: () => watcher.stop() }, { close: () => pty.unplug() }, { close: () => sim.close() });
    await sim.connectSerial(pty.device);
    watcher.start();
    await until(() => logs.some((l) => l.includes('protocol v2')), 5000, 'the mismatch');
    expect(logs.join('\n')).toMatch(/device speaks protocol v2, this host speaks v1\. Update esp-live on the host/);
    expect(bridge.agents.size).toBe(0);
  });
});
