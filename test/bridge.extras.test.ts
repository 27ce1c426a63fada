/** The rest of what a user of the bridge meets: TLS for boards, mDNS, recordings, the conversation log, clear serial errors. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bonjour } from 'bonjour-service';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWav } from '../src/audio/wav.js';
import { Bridge } from '../src/bridge/bridge.js';
import { serialOpenError } from '../src/device/serialLink.js';
import { DeviceServer } from '../src/device/wsServer.js';
import { validateLiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import { AssistantState } from '../src/protocol/messages.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { TOKEN, until } from './helpers/bridge.js';
import { cleanup, spokenTurn, startEmulator } from './helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'esp-live-extras-'));
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await cleanup();
});

async function bridgeWith(options: { recordDir?: string; conversationLog?: string; tls?: { certFile: string; keyFile: string }; mdns?: boolean }) {
  const emulator = await startEmulator({ persona: 'echo' });
  const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl }), log: createLogger({ json: true, write: () => undefined }), ...options });
  const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: { [TOKEN]: 'board' }, mdns: options.mdns ?? false, tls: options.tls, onLink: (link) => void bridge.addLink(link) });
  const url = await server.start();
  closers.push(() => server.close(), () => bridge.close());
  return { url, bridge };
}

describe('bridge extras', () => {
  it('keeps per-turn WAVs (--record) and a JSON-lines conversation log (--log)', async () => {
    const recordDir = join(dir, 'rec');
    const conversationLog = join(dir, 'conversation.jsonl');
    const { url } = await bridgeWith({ recordDir, conversationLog });
    const device = new SimulatedDevice({ deviceId: 'recorded' });
    closers.push(() => device.close());
    const welcomed = new Promise((r) => device.once('welcome', r));
    await device.connectWebSocket(url, TOKEN);
    await welcomed;
    device.speak(await spokenTurn());
    const records = () => (existsSync(conversationLog) ? readFileSync(conversationLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { who: string }) : []);
    await until(() => records().some((r) => r.who === 'assistant') && records().some((r) => r.who === 'usage'), 20_000, 'the end of the turn');
    const files = readdirSync(recordDir).sort().filter((f) => f.includes('-0001-')); // turn 2's mic file has begun
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^recorded-\d{8}-\d{6}-0001-heard\.wav$/);
    expect(files[1]).toBe(files[0].replace('heard', 'reply'));
    const replyLength = () => parseWav(readFileSync(join(recordDir, files[1]))).data.length;
    await until(() => replyLength() / 2 / 24000 > 1.5, 2000, 'the last of the reply in its file'); // the echoed sentence
    const heard = parseWav(readFileSync(join(recordDir, files[0])));
    const reply = parseWav(readFileSync(join(recordDir, files[1])));
    expect([heard.sampleRateHz, reply.sampleRateHz]).toEqual([16000, 24000]);
    const lines = records();
    expect(lines.map((l) => l.who).filter((w) => w !== 'usage')).toEqual(['user', 'assistant']);
    expect(lines.find((l) => l.who === 'usage')).toMatchObject({ device: 'recorded', tokens: { inputText: expect.any(Number) }, usdEstimate: expect.any(Number) });
    expect(lines[1]).toMatchObject({ device: 'recorded', text: expect.stringMatching(/You said something/) });
  });

  it('serves boards over TLS (wss://) with a certificate from the config', async () => {
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const { url } = await bridgeWith({ tls: { certFile, keyFile } });
    expect(url).toMatch(/^wss:\/\//);
    const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // the test's self-signed certificate
    closers.push(() => {
      if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
    });
    const device = new SimulatedDevice({ deviceId: 'secure' });
    closers.push(() => device.close());
    const welcomed = new Promise((r) => device.once('welcome', r));
    await device.connectWebSocket(url, TOKEN);
    await welcomed;
    device.speak(await spokenTurn());
    await until(() => device.stats.framesPlayed > 20 && device.hostState === AssistantState.LISTENING, 20_000, 'the reply over wss');
  });

  it('advertises the listener over mDNS as _esp-live._tcp with its path', async () => {
    const { url } = await bridgeWith({ mdns: true });
    const port = Number(new URL(url).port);
    const bonjour = new Bonjour();
    closers.push(() => bonjour.destroy());
    const found = await new Promise<{ port: number; txt: Record<string, string> } | undefined>((resolve) => {
      const browser = bonjour.find({ type: 'esp-live' }, (service) => {
        if (service.port === port) {
          browser.stop();
          resolve({ port: service.port, txt: service.txt as Record<string, string> });
        }
      });
      setTimeout(() => resolve(undefined), 5000);
    });
    expect(found).toMatchObject({ port, txt: { path: '/device', proto: '1' } });
  });

  it('turns serial open failures into what to do', () => {
    expect(serialOpenError('/dev/ttyUSB0', new Error('Error: Permission denied, cannot open /dev/ttyUSB0')).message).toMatch(/dialout group.*usermod -aG dialout/);
    expect(serialOpenError('/dev/ttyUSB0', new Error('Error: No such file or directory')).code).toBe('SERIAL_NOT_FOUND');
    expect(serialOpenError('/dev/ttyUSB0', new Error('Error: Resource temporarily unavailable Cannot lock port')).message).toMatch(/in use by another program/);
  });
});


describe('WebSocket heartbeat', () => {
  it('keeps a quiet board that still answers pings, and drops one that went silent', async () => {
    const links: string[] = [];
    const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: { [TOKEN]: 'board' }, mdns: false, silenceLimitMs: 600, onLink: (link) => link.on('close', (reason) => links.push(reason)) });
    const url = await server.start();
    closers.push(() => server.close());
    const alive = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` } }); // answers pings by itself
    const dead = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` }, autoPong: false });
    await Promise.all([alive, dead].map((ws) => new Promise((r) => ws.once('open', r))));
    const deadClosed = new Promise((r) => dead.once('close', r));
    await new Promise((r) => setTimeout(r, 1500));
    await deadClosed;
    expect(alive.readyState).toBe(WebSocket.OPEN);
    expect(links).toEqual(['no sign of life for 0.6 s']);
    alive.close();
  });
});
