/**
 * The bridge on a hostile home network (issue: nobody without a token can hurt the bridge, and
 * no board can hurt another): real sockets, a real listener, the real SDK and the emulator.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Bridge } from '../src/bridge/bridge.js';
import { DeviceServer, type DeviceServerOptions } from '../src/device/wsServer.js';
import type { TokenGrant } from '../src/device/link.js';
import { validateLiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import { decodeMessage, encodeMessage } from '../src/protocol/codec.js';
import { AssistantState, ErrorCode, GoodbyeReason, PROTOCOL_VERSION, type Hello, type Message } from '../src/protocol/messages.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { until } from './helpers/bridge.js';
import { cleanup, spokenTurn, startEmulator } from './helpers/live.js';

const KITCHEN = 'kitchen-token-0123456789';
const BEDROOM = 'bedroom-token-0123456789';
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await cleanup();
});

async function setUp(tokens: Record<string, TokenGrant>, options: { maxDevices?: number; server?: Partial<DeviceServerOptions> } = {}) {
  const emulator = await startEmulator({ persona: 'echo' });
  const logs: string[] = [];
  const log = createLogger({ json: false, write: (l) => logs.push(l) });
  const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl }), log, maxDevices: options.maxDevices, grants: Object.values(tokens) });
  const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens, mdns: false, log: (l) => log.log('warn', l), onLink: (link) => void bridge.addLink(link), ...options.server });
  const url = await server.start();
  closers.push(() => server.close(), () => bridge.close());
  return { emulator, bridge, server, url, logs };
}

async function board(url: string, token: string, deviceId: string): Promise<SimulatedDevice> {
  const device = new SimulatedDevice({ deviceId, name: deviceId, tools: false });
  closers.push(() => device.close());
  const welcomed = new Promise((r) => device.once('welcome', r));
  await device.connectWebSocket(url, token);
  await welcomed;
  return device;
}

const PCM16K = { sampleRateHz: 16000, sampleFormat: 1, channels: 1, codecs: 1 };
function hello(deviceId: string, overrides: Partial<Hello> = {}): Message {
  return { type: 'hello', protocolVersion: PROTOCOL_VERSION, features: 0, playbackBufferSamples: 3200, maxMessageBytes: 2048, mic: PCM16K, speaker: PCM16K, toolCount: 0, deviceId, name: deviceId, firmwareVersion: 'raw', ...overrides };
}

/** A client written by hand: sends what it likes, keeps what it gets. */
async function rawClient(url: string, token: string) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  closers.push(() => ws.terminate());
  const received: Message[] = [];
  ws.on('message', (data) => {
    const r = decodeMessage(data as Buffer);
    if (r.ok) received.push(r.message);
  });
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, received, send: (m: Message) => ws.send(encodeMessage(m)) };
}

function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('error', () => resolve(text));
    socket.on('close', () => resolve(text));
    socket.write(request);
  });
}

const portOf = (url: string) => Number(new URL(url).port);
const upgrade = (path: string, token?: string) =>
  `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n${token ? `authorization: Bearer ${token}\r\n` : ''}\r\n`;

describe('a peer without a token', () => {
  it('cannot crash the bridge by resetting the connection after a rejected upgrade, however often', async () => {
    const rig = await setUp({ [KITCHEN]: { name: 'kitchen', maxSessions: 1 } }, { server: { failedUpgrades: { maxFailures: 1000 } } });
    const port = portOf(rig.url);
    for (let i = 0; i < 60; i++) {
      const request = [upgrade('/device'), upgrade('/device', 'wrong-token-0123456789'), upgrade('/elsewhere', KITCHEN)][i % 3];
      await new Promise<void>((resolve) => {
        const socket: Socket = connect(port, '127.0.0.1', () => {
          socket.write(request);
          setImmediate(() => socket.resetAndDestroy()); // RST while the server answers
        });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
      });
    }
    expect(rig.server.refused.unauthorised).toBeGreaterThan(0);
    const device = await board(rig.url, KITCHEN, 'k1'); // and the bridge still serves boards
    expect(device.hostState).not.toBe(AssistantState.ERROR);
  });

  it('is blocked after repeated failures, and the log says so in one line instead of one per attempt', async () => {
    const rig = await setUp({ [KITCHEN]: { name: 'kitchen', maxSessions: 1 } });
    const port = portOf(rig.url);
    const answers: string[] = [];
    for (let i = 0; i < 40; i++) answers.push(await rawHttp(port, upgrade('/device', `guess-${i}-0123456789abcdef`)));
    expect(answers.slice(0, 10).every((a) => a.startsWith('HTTP/1.1 401'))).toBe(true);
    expect(answers.slice(10).every((a) => a === '')).toBe(true); // dropped before anything is parsed
    const lines = rig.logs.filter((l) => l.includes('127.0.0.1'));
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines.at(-1)).toMatch(/rejected 10 times: blocked/);
    expect(rig.server.refused.blocked).toBe(30);
  });
});

describe('a board with a token', () => {
  it('cannot take over another board\'s conversation by claiming its deviceId', async () => {
    const rig = await setUp({ [KITCHEN]: { name: 'kitchen', maxSessions: 1 }, [BEDROOM]: { name: 'bedroom', maxSessions: 1 } });
    const kitchen = await board(rig.url, KITCHEN, 'board-kitchen');
    const intruder = await rawClient(rig.url, BEDROOM);
    intruder.send(hello('board-kitchen'));
    await until(() => intruder.received.some((m) => m.type === 'goodbye'), 5000, 'the refusal');
    expect(intruder.received.find((m) => m.type === 'error')).toMatchObject({ code: ErrorCode.NOT_ALLOWED, message: expect.stringMatching(/belongs to another token/) });
    expect(intruder.received.find((m) => m.type === 'goodbye')).toMatchObject({ reason: GoodbyeReason.UNAUTHORISED });
    expect(intruder.received.some((m) => m.type === 'welcome')).toBe(false);
    expect(rig.logs.join('\n')).toMatch(/ws bedroom .*device id "board-kitchen" belongs to another token/);
    const agent = rig.bridge.agents.get('board-kitchen')!;
    expect(rig.bridge.agents.size).toBe(1);
    kitchen.speak(await spokenTurn()); // the kitchen board still has its conversation, and hears its reply
    await until(() => kitchen.stats.framesPlayed > 20, 15_000, 'the kitchen reply');
    expect(agent.connection).toBeDefined();
  });

  it('may only be the device ids its grant lists', async () => {
    const rig = await setUp({ [KITCHEN]: { name: 'kitchen', maxSessions: 1, deviceIds: ['aa:bb'] }, [BEDROOM]: { name: 'bedroom', maxSessions: 1 } });
    const wrong = await rawClient(rig.url, KITCHEN);
    wrong.send(hello('cc:dd'));
    await until(() => wrong.received.some((m) => m.type === 'goodbye'), 5000, 'the refusal');
    expect(wrong.received.find((m) => m.type === 'error')).toMatchObject({ message: expect.stringMatching(/may not be device id "cc:dd"/) });
    const squatter = await rawClient(rig.url, BEDROOM); // even before the kitchen board ever came
    squatter.send(hello('aa:bb'));
    await until(() => squatter.received.some((m) => m.type === 'goodbye'), 5000, 'the refusal');
    await board(rig.url, KITCHEN, 'aa:bb');
  });

  it('holds at most maxSessions devices per token, and maxDevices in all, with a clear refusal', async () => {
    const third = 'third-token-0123456789ab';
    const rig = await setUp({ [KITCHEN]: { name: 'kitchen', maxSessions: 1 }, [BEDROOM]: { name: 'bedroom', maxSessions: 1 }, [third]: { name: 'third', maxSessions: 1 } }, { maxDevices: 2 });
    await board(rig.url, KITCHEN, 'k1');
    const second = await rawClient(rig.url, KITCHEN);
    second.send(hello('k2'));
    await until(() => second.received.some((m) => m.type === 'goodbye'), 5000, 'the refusal');
    expect(second.received.find((m) => m.type === 'error')).toMatchObject({ message: expect.stringMatching(/already has 1 device \(its limit, maxSessions, is 1\)/) });
    const again = await board(rig.url, KITCHEN, 'k1'); // the same board coming back is no new session
    expect(again.hostState).toBeDefined();
    await board(rig.url, BEDROOM, 'b1');
    const over = await rawClient(rig.url, third);
    over.send(hello('t1'));
    await until(() => over.received.some((m) => m.type === 'goodbye'), 5000, 'the refusal');
    expect(over.received.find((m) => m.type === 'error')).toMatchObject({ message: expect.stringMatching(/already serves 2 devices \(maxDevices is 2\)/) });
    expect(rig.emulator.openConnections).toBe(2); // no Live session for a refused device
  });

  it('cannot flood the bridge: its link is throttled, its mic is held to real time, and another board plays on', async () => {
    const rig = await setUp({ [KITCHEN]: { name: 'kitchen', maxSessions: 1 }, [BEDROOM]: { name: 'bedroom', maxSessions: 1 } });
    const victim = await board(rig.url, KITCHEN, 'victim');
    const flooder = await rawClient(rig.url, BEDROOM);
    flooder.send(hello('flooder'));
    await until(() => flooder.received.some((m) => m.type === 'welcome'), 5000, 'the flooder welcome');
    const frame = new Uint8Array(640); // 20 ms of 16 kHz PCM
    for (let i = 0; i < frame.length; i += 2) frame[i + 1] = (i * 7) & 0x7f;
    const started = performance.now();
    let sent = 0;
    victim.speak(await spokenTurn());
    await new Promise<void>((resolve) => {
      const flood = () => {
        if (performance.now() - started > 3000) return resolve();
        while (flooder.ws.bufferedAmount < 1 << 20) flooder.send({ type: 'audioIn', seq: sent++, captureTimeUs: 0, payload: frame });
        setImmediate(flood);
      };
      flood();
    });
    const seconds = (performance.now() - started) / 1000;
    const agent = rig.bridge.agents.get('flooder')!;
    const link = agent.connection!.link;
    expect(sent / 50).toBeGreaterThan(20 * seconds); // it really tried: over 20× real time
    expect(link.stats.messagesIn * 640).toBeLessThanOrEqual(400_000 * (seconds + 1.5)); // the link let through ≤ 400 kB/s + 1 s burst
    expect(agent.stats.micOverRate).toBeGreaterThan(0);
    const upstream = rig.emulator.conversations.map((c) => c.audioDropped + c.receivedAudio().length);
    expect(Math.max(...upstream)).toBeLessThanOrEqual(16000 * (1.5 * (seconds + 0.5) + 1)); // Gemini got ≤ 1.5× real time + 1 s
    await until(() => victim.hostState === AssistantState.LISTENING && victim.stats.framesPlayed > 50, 15_000, 'the victim\'s reply');
    expect(victim.stats.underruns).toBe(0);
  });

  it('cannot forge log lines: control characters from a board are escaped', async () => {
    const rig = await setUp({ [BEDROOM]: { name: 'bedroom', maxSessions: 1 } });
    const forger = await rawClient(rig.url, BEDROOM);
    forger.send(hello('evil\x1b[2J', { name: 'bed\nroom' }));
    await until(() => forger.received.some((m) => m.type === 'welcome'), 5000, 'the welcome');
    forger.send({ type: 'log', level: 1, text: 'ok\nERROR: [bedroom] GEMINI_API_KEY was rejected\x1b[31m\u202e' });
    await until(() => rig.logs.some((l) => l.includes('GEMINI_API_KEY')), 5000, 'the log line');
    const line = rig.logs.find((l) => l.includes('GEMINI_API_KEY'))!;
    expect(line).toBe('[bed\\x0aroom] device log [info]: ok\\x0aERROR: [bedroom] GEMINI_API_KEY was rejected\\x1b[31m\\u202e');
    expect(rig.logs.every((l) => !/[\n\x1b\u202e]/.test(l))).toBe(true);
  });

  it('ends the Live session of a device that could not be started, and does not pile up listeners on restarts', async () => {
    const rig = await setUp({ [BEDROOM]: { name: 'bedroom', maxSessions: 1 } });
    const bad = await rawClient(rig.url, BEDROOM);
    bad.send(hello('impossible', { mic: { ...PCM16K, sampleRateHz: 0 }, speaker: { ...PCM16K, sampleRateHz: 4294967295 } }));
    await new Promise((r) => setTimeout(r, 1500));
    expect(rig.bridge.agents.size).toBe(0);
    expect(rig.emulator.openConnections).toBe(0);
    const restarter = await rawClient(rig.url, BEDROOM);
    restarter.send(hello('restarter'));
    await until(() => rig.bridge.agents.get('restarter')?.connection !== undefined, 5000, 'the first session');
    const link = rig.bridge.agents.get('restarter')!.connection!.link;
    const before = link.listenerCount('close') + link.listenerCount('message');
    restarter.ws.on('message', (data) => {
      const r = decodeMessage(data as Buffer);
      if (r.ok && r.message.type === 'helloRequest') restarter.send(hello('restarter')); // as a board does
    });
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 2600)); // a HELLO this late is a restart, not a crossed one
      const welcomes = restarter.received.filter((m) => m.type === 'welcome').length;
      restarter.send(hello('restarter'));
      await until(() => restarter.received.filter((m) => m.type === 'welcome').length > welcomes, 5000, 'the new welcome');
    }
    expect(link.listenerCount('close') + link.listenerCount('message')).toBe(before);
    expect(rig.emulator.openConnections).toBe(1);
  }, 30_000);
});
