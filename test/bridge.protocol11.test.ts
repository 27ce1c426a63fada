/**
 * PROTOCOL.md v1.1 end to end (issue 11): the simulator follows the spec literally (exactly the
 * CREDITs it requires), as a 1.1 board and as a 1.0 one, against the real bridge, the emulator
 * and the real SDK over a WebSocket (and a serial pty where the transport matters).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge } from '../src/bridge/bridge.js';
import { SerialWatcher } from '../src/device/serialWatcher.js';
import { validateLiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import { AssistantState, Codec, ErrorCode, GoodbyeReason, SampleFormat } from '../src/protocol/messages.js';
import { SimulatedDevice, type SimulatedDeviceOptions } from '../src/simulator/simulatedDevice.js';
import { startRig, TOKEN, until, type Rig } from './helpers/bridge.js';
import { cleanup, sleep, spokenTurn, startEmulator } from './helpers/live.js';
import { PtyPair } from './helpers/pty.js';

let rig: Rig | undefined;
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await rig?.close();
  rig = undefined;
  await cleanup();
});

const TWO_TURNS = { persona: 'scenario' as const, scenario: { turns: [{ say: 'first', durationMs: 700 }, { say: 'second', durationMs: 700 }] } };

/** A board the host will refuse: connects, and resolves with what the host said before closing. */
async function refusedBoard(r: Rig, options: SimulatedDeviceOptions) {
  const d = new SimulatedDevice(options);
  closers.push(() => d.close());
  const closed = new Promise((resolve) => d.once('closed', resolve));
  await d.connectWebSocket(r.url, TOKEN);
  await closed;
  return d;
}

describe('the next reply is not lost (issue 11)', () => {
  for (const revision of [0, 1]) {
    it(`a minimal ${revision ? '1.1' : '1.0'} board: after the first reply the host leaves SPEAKING, and the second utterance gets its reply, not a FLUSH`, async () => {
      rig = await startRig(TWO_TURNS);
      const device = await rig.device({ protocolRevision: revision });
      const turn = await spokenTurn();
      device.speak(turn);
      await until(() => rig!.logs.some((l) => l.includes('assistant: first')), 15_000, 'the first reply');
      // A 1.0 board never reports the last partial frame: on the old host this state never came.
      await until(() => device.hostState === AssistantState.LISTENING && !device.speaking, 10_000, 'LISTENING after the first reply');
      const afterFirst = device.stats.framesPlayed;
      await sleep(1000);
      device.speak(turn);
      await until(() => rig!.logs.some((l) => l.includes('assistant: second')), 15_000, 'the second reply');
      await until(() => device.hostState === AssistantState.LISTENING, 10_000, 'LISTENING after the second reply');
      expect(device.stats.framesPlayed).toBeGreaterThan(afterFirst + 20);
      expect(device.stats.flushes).toBe(0); // nothing was taken for a barge-in
      expect(device.stats.underruns).toBe(0);
      expect(device.received.some((m) => m.type === 'replyEnd')).toBe(revision === 1);
    });
  }

  it('a 1.1 board gets REPLY_END right after the reply\'s last AUDIO_OUT, with that reply\'s generation', async () => {
    rig = await startRig(TWO_TURNS);
    const device = await rig.device();
    device.speak(await spokenTurn());
    await until(() => device.received.some((m) => m.type === 'replyEnd'), 15_000, 'REPLY_END');
    const i = device.received.findIndex((m) => m.type === 'replyEnd');
    const lastAudio = device.received.slice(0, i).filter((m) => m.type === 'audioOut').at(-1);
    expect(lastAudio).toBeDefined();
    expect(device.received[i]).toEqual({ type: 'replyEnd', generation: (lastAudio as { generation: number }).generation });
    expect(device.received.slice(i + 1).some((m) => m.type === 'audioOut')).toBe(false);
  });
});

describe('HELLO limits over a real link', () => {
  it('maxMessageBytes 256 with a PCM-only board: 5 ms frames, and the reply plays', async () => {
    rig = await startRig({ persona: 'tone' });
    const pcm = { sampleRateHz: 16000, sampleFormat: SampleFormat.S16LE, channels: 1, codecs: 1 << Codec.PCM };
    const device = await rig.device({ maxMessageBytes: 256, mic: pcm, speaker: pcm });
    expect(device.welcomeMessage).toMatchObject({ micCodec: Codec.PCM, speakerCodec: Codec.PCM, frameMs: 5 });
    device.speak(await spokenTurn());
    await until(() => device.stats.framesPlayed > 100 && device.hostState === AssistantState.LISTENING, 15_000, 'the reply');
    expect(device.stats.overflows).toBe(0);
    expect(device.stats.underruns).toBe(0);
  });

  const refusals: [string, SimulatedDeviceOptions, RegExp][] = [
    ['a 96 kHz speaker', { speaker: { sampleRateHz: 96000, sampleFormat: 1, channels: 1, codecs: 1 } }, /^speaker\.sampleRateHz 96000 is outside/],
    ['a speaker codec mask of 0', { speaker: { sampleRateHz: 16000, sampleFormat: 1, channels: 1, codecs: 0 } }, /^speaker\.codecs 0x0 offers no codec/],
    ['mic 0 Hz', { mic: { sampleRateHz: 0, sampleFormat: 1, channels: 1, codecs: 1 } }, /^mic\.sampleRateHz 0 is outside/],
    ['speaker 4294967295 Hz', { speaker: { sampleRateHz: 4294967295, sampleFormat: 1, channels: 1, codecs: 1 } }, /^speaker\.sampleRateHz 4294967295 is outside/],
    ['maxMessageBytes 100', { maxMessageBytes: 100 }, /^maxMessageBytes 100 is below the minimum 256$/],
    ['a buffer of one frame', { playbackBufferSamples: 320 }, /^playbackBufferSamples 320 is less than 2 frames/],
  ];
  for (const [what, options, message] of refusals) {
    it(`refuses ${what}: UNSUPPORTED_FORMAT naming the field, GOODBYE, link closed, no Live session`, async () => {
      rig = await startRig();
      const device = await refusedBoard(rig, options);
      expect(device.hostErrors).toEqual([{ code: ErrorCode.UNSUPPORTED_FORMAT, message: expect.stringMatching(message) }]);
      expect(device.received.filter((m) => m.type === 'goodbye')).toEqual([{ type: 'goodbye', reason: GoodbyeReason.ERROR }]);
      expect(device.sessionId).toBeUndefined();
      expect(rig.bridge.agents.size).toBe(0);
      expect(rig.emulator.conversations).toHaveLength(0);
      expect(rig.logs.join('\n')).not.toMatch(/RangeError|unexpected error/);
      expect(rig.logs.join('\n')).toMatch(/cannot be served: .*sampleRateHz|cannot be served: .*codecs|cannot be served: .*maxMessageBytes|cannot be served: .*playbackBufferSamples/);
    });
  }

  it('invalid TOOLs: ERROR TOOL_INVALID naming each, the session goes on with the valid one', async () => {
    rig = await startRig();
    const device = await rig.device({
      tools: [
        { index: 0, name: 'set-led', description: 'x', parametersSchema: '' },
        { index: 1, name: 'beep', description: 'Beep.', parametersSchema: 'not json' },
        { index: 5, name: 'late', description: 'x', parametersSchema: '' },
        { index: 2, name: 'blink', description: 'Blink.', parametersSchema: '{"type":"object"}' },
      ],
    });
    await until(() => device.hostErrors.length === 3, 2000, 'the errors');
    expect(device.hostErrors.map((e) => e.code)).toEqual([ErrorCode.TOOL_INVALID, ErrorCode.TOOL_INVALID, ErrorCode.TOOL_INVALID]);
    expect(device.hostErrors.map((e) => e.message)).toEqual([expect.stringContaining('tool 0 "set-led"'), expect.stringContaining('tool 1 "beep"'), expect.stringContaining('tool 5 "late"')]);
    const agent = [...rig.bridge.agents.values()][0];
    expect(agent.info!.tools.map((t) => t.name)).toEqual(['blink']);
  });
});

describe('handshake', () => {
  it('a HELLO during a session is answered with WELCOME directly, and the conversation carries on', async () => {
    rig = await startRig(TWO_TURNS);
    const device = await rig.device();
    const first = device.sessionId;
    const before = device.received.length;
    const welcomed = new Promise((r) => device.once('welcome', r));
    device.restart();
    await welcomed;
    expect(device.received.slice(before).map((m) => m.type)).not.toContain('helloRequest');
    expect(device.sessionId).not.toBe(first);
    device.speak(await spokenTurn());
    await until(() => rig!.logs.some((l) => l.includes('assistant: first')), 15_000, 'a reply after the restart');
    expect(rig.emulator.conversations).toHaveLength(1);
  });

  it('serial (simulator): the old port closing after the board is on a new one does not end the new link', async () => {
    const emulator = await startEmulator({ persona: 'tone' });
    const log = createLogger({ json: false, write: () => undefined });
    const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl }), log, graceMs: 30_000 });
    const [first, second] = [new PtyPair(), new PtyPair()];
    await first.plug();
    await second.plug();
    const sim = new SimulatedDevice({ deviceId: 'usb' });
    const watcher = new SerialWatcher({ path: second.host, log, pollMs: 100, onLink: (link) => void bridge.addLink(link) });
    closers.push(() => bridge.close(), () => watcher.stop(), () => first.unplug(), () => second.unplug(), () => sim.close());
    await sim.connectSerial(first.device);
    await sim.connectSerial(second.device); // on the new port before the old one has said it closed
    await first.unplug();
    await sleep(300); // the old port reports its close about 100 ms after the unplug
    let welcomed = false;
    sim.once('welcome', () => (welcomed = true));
    watcher.start();
    await until(() => welcomed, 3000, 'the WELCOME on the new port');
  });

  // This test was flaky under load (the second WELCOME never came): the simulator's old port reported
  // its close ~100 ms after the unplug, and when that came after the replug it ended the new link.
  it('serial: after a re-open the host\'s first byte is 0x00', async () => {
    const emulator = await startEmulator({ persona: 'tone' });
    const log = createLogger({ json: false, write: () => undefined });
    const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl }), log, graceMs: 30_000 });
    const pty = new PtyPair();
    await pty.plug();
    let fromHost: number[] = [];
    const sim = new SimulatedDevice({ deviceId: 'usb', tap: (direction, bytes) => direction === 'fromHost' && fromHost.push(...bytes) });
    const watcher = new SerialWatcher({ path: pty.host, log, pollMs: 100, onLink: (link) => void bridge.addLink(link) });
    closers.push(() => bridge.close(), () => watcher.stop(), () => pty.unplug(), () => sim.close());
    let welcomed = new Promise((r) => sim.once('welcome', r));
    await sim.connectSerial(pty.device);
    watcher.start();
    await welcomed;
    expect(fromHost[0]).toBe(0);
    await pty.unplug();
    await until(() => bridge.agents.values().next().value?.connection === undefined, 3000, 'the unplug');
    await pty.plug();
    fromHost = [];
    welcomed = new Promise((r) => sim.once('welcome', r));
    await sim.connectSerial(pty.device);
    await welcomed;
    expect(fromHost[0]).toBe(0);
  });
});

describe('serial noise from the start (issue 9 item 14)', () => {
  it('the host keeps asking through 5.5 s of line noise that spoils every frame from the board, then welcomes it', async () => {
    const { SerialPort } = await import('serialport');
    const emulator = await startEmulator({ persona: 'tone' });
    const logs: string[] = [];
    const log = createLogger({ json: false, write: (l) => logs.push(l) });
    const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl }), log, graceMs: 30_000 });
    // host ⇄ [hostSide pty] ⇄ relay ⇄ [boardSide pty] ⇄ board; the relay spoils the board's bytes
    // and adds garbage at 10 kB/s while `noisy`.
    const hostSide = new PtyPair();
    const boardSide = new PtyPair();
    await hostSide.plug();
    await boardSide.plug();
    const open = (path: string) =>
      new Promise<InstanceType<typeof SerialPort>>((resolve, reject) => {
        const port = new SerialPort({ path, baudRate: 921600, autoOpen: false });
        port.on('error', () => undefined);
        port.open((e) => (e ? reject(e) : resolve(port)));
      });
    const towardHost = await open(hostSide.device);
    const towardBoard = await open(boardSide.host);
    let noisy = true;
    let asked = 0;
    towardBoard.on('data', (chunk: Buffer) => towardHost.write(noisy ? chunk.map((b) => b ^ 0x21) : chunk));
    towardHost.on('data', (chunk: Buffer) => {
      asked += chunk.includes(0x04) ? 1 : 0; // before WELCOME the host sends only 0x00 and HELLO_REQUEST (04 04 74 a1 00)
      towardBoard.write(chunk);
    });
    const garbage = setInterval(() => noisy && towardHost.write(Buffer.from(Array.from({ length: 100 }, () => Math.floor(Math.random() * 256)))), 10);
    const sim = new SimulatedDevice({ deviceId: 'noisy' });
    const links: unknown[] = [];
    const watcher = new SerialWatcher({ path: hostSide.host, log, pollMs: 100, onLink: (link) => (links.push(link), void bridge.addLink(link)) });
    closers.push(
      () => bridge.close(),
      () => watcher.stop(),
      () => clearInterval(garbage),
      () => new Promise((r) => towardHost.close(r)),
      () => new Promise((r) => towardBoard.close(r)),
      () => hostSide.unplug(),
      () => boardSide.unplug(),
      () => sim.close(),
    );
    const welcomed = new Promise((r) => sim.once('welcome', r));
    await sim.connectSerial(boardSide.device);
    watcher.start();
    await sleep(5500);
    expect(sim.sessionId).toBeUndefined(); // nothing got through
    noisy = false;
    await welcomed;
    expect(links).toHaveLength(1); // one handshake that never gave up, no reopen
    expect(asked).toBeGreaterThanOrEqual(4); // 0.3, 0.8, 1.8, 3.8 s, …
    expect(logs.join('\n')).toMatch(/no board has introduced itself yet; still asking/);
    expect(logs.join('\n')).not.toMatch(/did not introduce itself/);
  });
});
