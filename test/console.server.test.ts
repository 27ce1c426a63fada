/** The console's HTTP side without a browser: who gets in, what a page may ask, what the config allows. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Bridge } from '../src/bridge/bridge.js';
import { ConsoleServer, type ConsoleOptions } from '../src/console/consoleServer.js';
import { LogRing } from '../src/console/logRing.js';
import { loadConfig } from '../src/config.js';
import { validateLiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import type { DeviceView } from '../src/console/bridgeView.js';
import { startRig, until, type Rig } from './helpers/bridge.js';
import { cleanup, spokenTurn } from './helpers/live.js';

const PASSWORD = 'correct horse battery';
const BROWSER = { token: 'browser-token-0123456789', port: 8765, path: '/device', tls: false };
let server: ConsoleServer | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rig?.close();
  rig = undefined;
  await cleanup();
});

async function start(options: Partial<ConsoleOptions> = {}): Promise<{ url: string; logs: string[]; ring: LogRing }> {
  const logs: string[] = [];
  const ring = new LogRing(createLogger({ json: false, write: (l) => logs.push(l) }));
  const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'TEST_KEY' }), log: ring });
  server = new ConsoleServer({ host: '127.0.0.1', port: 0, bridge, logRing: ring, browserDevice: BROWSER, log: (l) => logs.push(l), ...options });
  return { url: await server.start(), logs, ring };
}

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }
function http(url: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

type ConsoleMessage = { type: string; log?: { text: string; device: string }[]; text?: string; devices?: DeviceView[] };
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket; messages: ConsoleMessage[] }> {
  const ws = new WebSocket(new URL('/live', url).href.replace('http', 'ws'), { headers });
  const messages: ConsoleMessage[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  return new Promise((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, messages }));
    ws.on('open', () => resolve({ status: 101, ws, messages }));
    ws.on('error', () => resolve({ status: -1, messages }));
  });
}

async function login(url: string, password: string): Promise<Reply> {
  return http(url, '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ password }).toString() });
}

describe('console server', () => {
  it('on localhost without a password: serves the page to this computer, refuses other Host names and other origins', async () => {
    const { url } = await start();
    const page = await http(url, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Talk from this browser');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await http(url, '/', { headers: { host: 'evil.example:80' } })).status).toBe(421); // DNS rebinding
    const host = new URL(url).host;
    expect((await upgrade(url, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await upgrade(url, {})).status).toBe(403); // browsers always send Origin
    const ok = await upgrade(url, { origin: `http://${host}` });
    expect(ok.status).toBe(101);
    ok.ws!.close();
  });

  it('with a password: the login page until a login; a wrong password gets nothing and is never logged; the cookie opens page, API and socket', async () => {
    const { url, logs } = await start({ password: PASSWORD, host: '127.0.0.1' });
    expect((await http(url, '/')).body).toContain('Console password');
    expect((await http(url, '/api/browser-device')).status).toBe(401);
    expect((await http(url, '/static/console.js')).status).toBe(404);
    const host = new URL(url).host;
    expect((await upgrade(url, { origin: `http://${host}` })).status).toBe(401);
    const wrong = await login(url, 'correct horse battery!');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const right = await login(url, PASSWORD);
    const cookie = String(right.headers['set-cookie']).split(';')[0];
    expect(String(right.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await http(url, '/', { headers: { cookie } })).body).toContain('Talk from this browser');
    expect(JSON.parse((await http(url, '/api/browser-device', { headers: { cookie } })).body)).toEqual(BROWSER);
    const ws = await upgrade(url, { origin: `http://${host}`, cookie });
    expect(ws.status).toBe(101);
    ws.ws!.close();
    expect(logs.join('\n')).toMatch(/login from .* failed/);
    expect(logs.join('\n')).not.toContain('horse');
  });

  it('blocks an address after 10 wrong passwords, even the right one then', async () => {
    const { url } = await start({ password: PASSWORD });
    for (let i = 0; i < 10; i++) await login(url, `guess ${i}`);
    expect((await login(url, PASSWORD)).headers['set-cookie']).toBeUndefined();
  });

  it('sends the page a hello with the log, and answers a command for no such device', async () => {
    const { url, ring } = await start();
    ring.log('warn', 'board said \u001b[2Jhi', { device: 'x\u202ey' });
    const { ws, messages } = await upgrade(url, { origin: `http://${new URL(url).host}` });
    await new Promise((r) => setTimeout(r, 150));
    ws!.send(JSON.stringify({ type: 'interrupt', device: 'nobody' }));
    ws!.send('not json');
    await new Promise((r) => setTimeout(r, 150));
    ws!.close();
    const hello = messages.find((m) => m.type === 'hello')!;
    expect(hello.log).toEqual([expect.objectContaining({ text: 'board said \\x1b[2Jhi', device: 'x\\u202ey' })]); // escaped before it reaches a page
    expect(messages.filter((m) => m.type === 'error')).toEqual([{ type: 'error', text: 'no such device' }]);
    expect(messages.some((m) => m.type === 'snapshot')).toBe(true);
  });
});

describe('console commands reach the board', () => {
  it('volume sends SET_VOLUME, interrupt FLUSHes a reply as it plays; snapshots show the board, its health and the usage', async () => {
    rig = await startRig({ persona: 'scenario', scenario: { turns: [{ say: 'a story', durationMs: 2000 }] }, realtimeFactor: 4 });
    server = new ConsoleServer({ host: '127.0.0.1', port: 0, bridge: rig.bridge, log: () => undefined });
    const url = await server.start();
    const device = await rig.device({ deviceId: 'kitchen' });
    const { ws, messages } = await upgrade(url, { origin: `http://${new URL(url).host}` });
    ws!.send(JSON.stringify({ type: 'volume', device: 'kitchen', percent: 40 }));
    await until(() => device.volumePercent === 40, 2000, 'SET_VOLUME');
    let flushes = 0;
    device.on('flush', () => flushes++);
    device.speak(await spokenTurn());
    await until(() => device.stats.framesPlayed > 20, 15_000, 'the reply to play');
    ws!.send(JSON.stringify({ type: 'interrupt', device: 'kitchen' }));
    await until(() => flushes > 0, 2000, 'the FLUSH');
    await until(() => messages.filter((m) => m.type === 'snapshot').at(-1)!.devices![0].usage.tokens > 0, 10_000, "the turn's usage");
    const view = messages.filter((m) => m.type === 'snapshot').at(-1)!.devices![0];
    ws!.close();
    expect(view).toMatchObject({ id: 'kitchen', name: 'simulator', link: { kind: 'websocket' }, mic: { rateHz: 16000, codec: 'PCM' }, volumePercent: 40, live: { state: 'open' } });
    expect(view.health.capacityMs).toBe(200);
    expect(view.usage.usdEstimate).toBeGreaterThan(0);
    expect(rig.bridge.agents.get('kitchen')!.stats.bargeIns).toBe(1);
  });
});

describe('console configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esp-live-console-config-'));
  const load = (file: object, env: NodeJS.ProcessEnv = {}) => {
    const path = join(dir, `c${Math.random()}.json`);
    writeFileSync(path, JSON.stringify(file));
    return loadConfig(['--config', path], env).config.console;
  };
  const tokens = { 'browser-token-0123456789': 'phone', 'board-token-0123456789ab': 'kitchen' };

  it('is off by default, on localhost:8780', () => {
    expect(load({})).toEqual({ enabled: false, host: '127.0.0.1', port: 8780, password: undefined });
  });

  it('needs a password beyond localhost (from the file or ESP_LIVE_CONSOLE_PASSWORD)', () => {
    expect(() => load({ console: { enabled: true, host: '0.0.0.0' } })).toThrow(/console.password is required when console.host is 0.0.0.0/);
    expect(load({ console: { enabled: true, host: '0.0.0.0' } }, { ESP_LIVE_CONSOLE_PASSWORD: PASSWORD }).password).toBe(PASSWORD);
    expect(() => load({ console: { password: 'short' } })).toThrow(/console.password must be at least 8 characters/);
  });

  it('gives the browser the token browserDevice names, and only that one', () => {
    expect(load({ websocket: { tokens }, console: { browserDevice: 'phone' } }).browserToken).toBe('browser-token-0123456789');
    expect(() => load({ websocket: { tokens }, console: { browserDevice: 'nobody' } })).toThrow(/console.browserDevice names no device/);
    expect(() => load({ websocket: { tokens: { 'has space 0123456789': 'phone' } }, console: { browserDevice: 'phone' } })).toThrow(/a browser cannot send/);
  });
});
