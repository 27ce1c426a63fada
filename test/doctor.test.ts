/** `esp-live doctor`: every check's failure path, with an injected environment (no real network here). */
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { doctorCommand, realDoctorEnv } from '../src/commands/doctor.js';
import { loadConfig, type AppConfig } from '../src/config.js';
import { serialOpenError } from '../src/device/serialLink.js';
import { EspLiveError } from '../src/errors.js';
import type { CheckResult } from '../src/ops/check.js';
import { runChecks, type DoctorEnv } from '../src/ops/doctorChecks.js';
import { probeHello } from '../src/ops/helloProbe.js';
import { satisfies } from '../src/ops/nodeVersion.js';
import { SerialFrameDecoder } from '../src/protocol/serialFraming.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { cleanup, sleep, startEmulator } from './helpers/live.js';
import { PtyPair } from './helpers/pty.js';

const dir = mkdtempSync(join(tmpdir(), 'esp-live-doctor-'));
const toClose: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
  await cleanup();
});

const NOW = Date.parse('2026-06-01T12:00:00Z');
const TOKENS = { websocket: { tokens: { 'a-long-device-token-1': 'kitchen' } } };

function config(file: unknown = {}, env: NodeJS.ProcessEnv = {}, live: Partial<AppConfig['live']> = {}): AppConfig {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(file));
  const loaded = loadConfig(['--config', path], env).config;
  return { ...loaded, live: { ...loaded.live, ...live } };
}

/** A computer where everything is right; each test breaks one thing. */
function env(overrides: Partial<DoctorEnv> = {}): DoctorEnv {
  return {
    nodeVersion: '22.23.3',
    engines: { espLive: '^22.12.0 || ^24.0.0', genai: '>=22.0.0' },
    loadConfig: () => config(),
    uid: 1000,
    groups: [1000, 20],
    userName: 'pi',
    groupFile: () => 'root:x:0:\ndialout:x:20:pi\npi:x:1000:\n',
    udevRule: () => undefined,
    listPorts: async () => [],
    probeHello: async () => expect.unreachable('no board to probe'),
    probeAlsa: async () => undefined,
    fetch: async () => expect.unreachable('no key, no request'),
    wallClockMs: () => NOW,
    tryListen: async () => undefined,
    tryMdns: async () => undefined,
    ...overrides,
  };
}

/** Reads and drops what waits in a pty: waits up to a second for the first bytes, then until 100 ms pass without more. */
async function drain(path: string): Promise<number> {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  let total = 0;
  let quietSince = -1;
  try {
    for (let tries = 0; tries < 100; tries++) {
      try {
        for (const buffer = Buffer.alloc(4096); ; ) {
          const n = readSync(fd, buffer);
          if (n <= 0) break;
          total += n;
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
      if (total > 0 && total === quietSince) return total;
      quietSince = total;
      await sleep(total > 0 ? 100 : 10);
    }
    return total;
  } finally {
    closeSync(fd);
  }
}

const byName = (results: CheckResult[], name: string) => results.find((r) => r.name.startsWith(name)) ?? expect.unreachable(`no "${name}" check`);

async function doctor(e: DoctorEnv): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await doctorCommand([], (l) => lines.push(l), {}, e);
  return { code, lines };
}

describe('doctor: Node', () => {
  it('reads ^, >= and || ranges, and says when it cannot tell', () => {
    expect(satisfies('22.23.3', '^22.12.0 || ^24.0.0')).toBe(true);
    expect(satisfies('24.0.0', '^22.12.0 || ^24.0.0')).toBe(true);
    expect(satisfies('22.11.9', '^22.12.0 || ^24.0.0')).toBe(false);
    expect(satisfies('23.1.0', '^22.12.0 || ^24.0.0')).toBe(false);
    expect(satisfies('20.20.2', '>=22.0.0')).toBe(false);
    expect(satisfies('22.0.0', '>=22.0.0')).toBe(true);
    expect(satisfies('22.1.0', '22.x')).toBeUndefined();
  });

  it('fails on a Node older than esp-live and @google/genai need, and exits 1', async () => {
    const { code, lines } = await doctor(env({ nodeVersion: '20.20.2' }));
    expect(code).toBe(1);
    expect(lines).toContain('FAIL  Node for esp-live: Node 20.20.2 does not fit "^22.12.0 || ^24.0.0"');
    expect(lines).toContain('FAIL  Node for @google/genai: Node 20.20.2 does not fit ">=22.0.0"');
    expect(lines.at(-1)).toMatch(/^2 problems to fix/);
  });

  it('reads the real engines of esp-live and @google/genai', () => {
    const real = realDoctorEnv([], {});
    expect(real.engines.espLive).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node);
    expect(real.engines.genai).toMatch(/\d/);
  });

  it('exits 0 when only warnings remain (no key, no board)', async () => {
    const { code, lines } = await doctor(env());
    expect(code).toBe(0);
    expect(lines.at(-1)).toMatch(/^ready to run \(2 warnings\)/);
  });
});

describe('doctor: configuration', () => {
  it('fails with the named field and skips the checks that need a configuration', async () => {
    const results = await runChecks(env({ loadConfig: () => config({ live: { temperature: 9 } }) }));
    expect(byName(results, 'configuration')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/live\.temperature must be a number from 0 to 2/) });
    expect(results.map((r) => r.name)).toEqual(['Node for esp-live', 'Node for @google/genai', 'configuration']);
  });
});

describe('doctor: serial port access', () => {
  it('a user outside dialout is told the usermod command', async () => {
    const results = await runChecks(env({ groups: [1000], groupFile: () => 'dialout:x:20:\n' }));
    expect(byName(results, 'serial port access')).toMatchObject({ status: 'fail', fix: 'sudo usermod -aG dialout pi, then log out and back in' });
  });

  it('a user added to dialout whose login predates it is told to log in again', async () => {
    const results = await runChecks(env({ groups: [1000], groupFile: () => 'dialout:x:20:bob,pi\n' }));
    expect(byName(results, 'serial port access')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/^log out and back in/) });
  });

  it('passes in dialout or as root, and mentions the udev rule', async () => {
    expect(byName(await runChecks(env()), 'serial port access').status).toBe('ok');
    const root = byName(await runChecks(env({ uid: 0, groups: [0], udevRule: () => '/etc/udev/rules.d/99-esp-live.rules' })), 'serial port access');
    expect(root).toMatchObject({ status: 'ok', detail: 'running as root; udev rule /etc/udev/rules.d/99-esp-live.rules installed' });
  });
});

describe('doctor: boards on USB', () => {
  const board = { path: '/dev/ttyACM0', vendorId: '303a', productId: '1001', board: { vendorId: '303a', productId: '1001', chip: 'Espressif USB-Serial/JTAG', nativeUsb: true } };

  it('fails when the ports cannot be listed (no udev)', async () => {
    const results = await runChecks(env({ listPorts: async () => Promise.reject(new Error('spawn udevadm ENOENT')) }));
    expect(byName(results, 'boards on USB')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/apt-get install udev/) });
  });

  it('warns, with what to do, when no board is plugged in', async () => {
    const results = await runChecks(env({ listPorts: async () => [{ path: '/dev/ttyS0' }] }));
    expect(byName(results, 'boards on USB')).toMatchObject({ status: 'warn', detail: 'no board with a known USB id is plugged in (1 serial port in all)' });
  });

  it('a port that may not be opened fails; a busy one (the service has it) warns', async () => {
    const denied = await runChecks(env({ listPorts: async () => [board], probeHello: async () => ({ error: serialOpenError('/dev/ttyACM0', new Error('Error: Permission denied, cannot open /dev/ttyACM0')) }) }));
    expect(byName(denied, 'board at /dev/ttyACM0')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/usermod -aG dialout/) });
    const busy = await runChecks(env({ listPorts: async () => [board], probeHello: async () => ({ error: serialOpenError('/dev/ttyACM0', new Error('Error Resource temporarily unavailable Cannot lock port')) }) }));
    expect(byName(busy, 'board at /dev/ttyACM0')).toMatchObject({ status: 'warn', fix: expect.stringMatching(/esp-live service status/) });
  });

  it('asks a real board (simulator over a pty) for its HELLO without welcoming it, and shows its firmware and protocol', async () => {
    const pty = new PtyPair();
    await pty.plug();
    toClose.push(() => pty.unplug());
    const fromHost: string[] = [];
    const decoder = new SerialFrameDecoder((m) => fromHost.push(m.type));
    let sent!: () => void;
    const firstHello = new Promise<void>((resolve) => (sent = resolve));
    const sim = new SimulatedDevice({ deviceId: 'usb-board', protocolRevision: 1, tap: (direction, bytes) => (direction === 'fromHost' ? decoder.push(bytes) : sent()) });
    toClose.push(() => sim.close());
    await sim.connectSerial(pty.device);
    await firstHello;
    expect(await drain(pty.host)).toBeGreaterThan(0); // the HELLO the board sent on its own: the probe must ask for one (the next comes 2 s later)
    const results = await runChecks(env({ listPorts: async () => [{ ...board, path: pty.host }], probeHello: (o) => probeHello({ ...o, timeoutMs: 1500 }) }));
    expect(byName(results, 'board at')).toMatchObject({ status: 'ok', detail: 'firmware sim-1, protocol v1.1, device "usb-board" (USB 303a:1001, Espressif USB-Serial/JTAG)' });
    expect(fromHost).toEqual(['helloRequest']); // asked once, answered, and never welcomed: no session
  });

  it('a board on another protocol version fails with what to update', async () => {
    const pty = new PtyPair();
    await pty.plug();
    toClose.push(() => pty.unplug());
    const sim = new SimulatedDevice({ deviceId: 'old-board', protocolVersion: 2, protocolRevision: 0 });
    toClose.push(() => sim.close());
    await sim.connectSerial(pty.device);
    const results = await runChecks(env({ loadConfig: () => config({ serial: { port: pty.host } }), listPorts: async () => [{ path: pty.host }], probeHello }));
    expect(byName(results, 'board at')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/protocol v2\.0.*this host speaks v1\.1/), fix: expect.stringMatching(/update esp-live/) });
  });

  it('a port where nothing answers is a warning, after the wait', async () => {
    const pty = new PtyPair();
    await pty.plug();
    toClose.push(() => pty.unplug());
    const result = await probeHello({ path: pty.host, timeoutMs: 300 });
    expect(result).toEqual({ silent: true });
    const results = await runChecks(env({ listPorts: async () => [{ ...board, path: pty.host }], probeHello: async () => result }));
    expect(byName(results, 'board at')).toMatchObject({ status: 'warn', fix: expect.stringMatching(/flash the esp-live firmware/) });
  });
});

describe('doctor: local audio', () => {
  it('is skipped when off and fails with ALSA\'s problem when on', async () => {
    expect(byName(await runChecks(env()), 'local audio').status).toBe('skip');
    const results = await runChecks(env({ loadConfig: () => config({ localAudio: { enabled: true } }), probeAlsa: async () => new EspLiveError('AUDIO_TOOLS_MISSING', 'aplay is not installed: sudo apt-get install alsa-utils') }));
    expect(byName(results, 'local audio')).toMatchObject({ status: 'fail', detail: 'aplay is not installed: sudo apt-get install alsa-utils' });
  });
});

describe('doctor: the API key (against the emulator)', () => {
  async function withKey(key: string, over: Partial<DoctorEnv> = {}, live: Partial<AppConfig['live']> = {}) {
    const emulator = await startEmulator({ apiKeys: ['the-good-key'] });
    return runChecks(env({ loadConfig: () => config({}, { GEMINI_API_KEY: key }, { baseUrl: emulator.baseUrl, ...live }), fetch: globalThis.fetch, wallClockMs: () => Date.now(), ...over }));
  }

  it('a key the API accepts passes, and the clock is compared with the server\'s Date header', async () => {
    const results = await withKey('the-good-key');
    expect(byName(results, 'Gemini API key')).toMatchObject({ status: 'ok', detail: 'accepted; the API serves gemini-3.8-live' });
    expect(byName(results, 'clock')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^within \d s of the API server's clock$/) });
  });

  it('an invalid key fails with where to get a good one', async () => {
    const results = await withKey('a-wrong-key');
    expect(byName(results, 'Gemini API key')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/refused the key \(HTTP 400 INVALID_ARGUMENT: API key not valid/), fix: expect.stringMatching(/aistudio\.google\.com\/apikey/) });
  });

  it('a model the API does not serve is a warning', async () => {
    const results = await withKey('the-good-key', {}, { model: 'gemini-0-nonexistent' });
    expect(byName(results, 'Gemini API key')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/does not know gemini-0-nonexistent \(HTTP 404 NOT_FOUND/) });
  });

  it('no network (a closed port) fails and says so', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise((r) => server.close(r));
    const results = await runChecks(env({ loadConfig: () => config({}, { GEMINI_API_KEY: 'k' }, { baseUrl: `http://127.0.0.1:${port}` }), fetch: globalThis.fetch }));
    expect(byName(results, 'Gemini API key')).toMatchObject({ status: 'fail', detail: `cannot reach http://127.0.0.1:${port} (ECONNREFUSED): no network, DNS or a firewall` });
    expect(byName(results, 'clock')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/no server time/) });
  });

  // The emulator has no REST quota; these answers are the service's documented error shapes.
  const answer = (status: number, error: unknown) => async () => new Response(JSON.stringify({ error }), { status, headers: { 'content-type': 'application/json' } });

  it('quota exhausted (429 RESOURCE_EXHAUSTED) fails with what to do', async () => {
    const results = await runChecks(env({ loadConfig: () => config({}, { GEMINI_API_KEY: 'k' }), fetch: answer(429, { code: 429, message: 'You exceeded your current quota.', status: 'RESOURCE_EXHAUSTED' }) }));
    expect(byName(results, 'Gemini API key')).toMatchObject({ status: 'fail', detail: 'quota exhausted (HTTP 429 RESOURCE_EXHAUSTED: You exceeded your current quota.)' });
  });

  it('a key not allowed to use the API (403 PERMISSION_DENIED) fails', async () => {
    const results = await runChecks(env({ loadConfig: () => config({}, { GEMINI_API_KEY: 'k' }), fetch: answer(403, { code: 403, message: 'Method doesn\'t allow unregistered callers.', status: 'PERMISSION_DENIED' }) }));
    expect(byName(results, 'Gemini API key')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/enable the Generative Language API/) });
  });

  it('a TLS failure from a wrong clock points at the clock', async () => {
    const tls = async () => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('certificate is not yet valid'), { code: 'CERT_NOT_YET_VALID' }) }));
    const results = await runChecks(env({ loadConfig: () => config({}, { GEMINI_API_KEY: 'k' }), fetch: tls }));
    expect(byName(results, 'Gemini API key')).toMatchObject({ status: 'fail', fix: 'set the clock: sudo timedatectl set-ntp true' });
  });

  it('never sends the key in the URL', async () => {
    let seen: { url: string; key: string | null } | undefined;
    const spy = async (url: string | URL | Request, init?: RequestInit) => {
      seen = { url: String(url), key: new Headers(init?.headers).get('x-goog-api-key') };
      return new Response('{}', { status: 200 });
    };
    await runChecks(env({ loadConfig: () => config({}, { GEMINI_API_KEY: 'secret-key' }), fetch: spy as typeof fetch }));
    expect(seen).toEqual({ url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-3.8-live', key: 'secret-key' });
  });

  it('an ephemeral token is not checked (only a Live connection can)', async () => {
    const results = await runChecks(env({ loadConfig: () => config({}, { GEMINI_API_KEY: 'auth_tokens/abc' }) }));
    expect(byName(results, 'Gemini API key').status).toBe('skip');
  });
});

describe('doctor: clock', () => {
  it('a clock in the past (a Pi without time sync) fails', async () => {
    const results = await runChecks(env({ wallClockMs: () => Date.parse('1970-01-01T00:01:00Z') }));
    expect(byName(results, 'clock')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/timedatectl set-ntp true/) });
  });

  it('a clock minutes off the API server\'s is a warning', async () => {
    const dated = async () => new Response('{}', { status: 200, headers: { date: new Date(NOW - 10 * 60_000).toUTCString() } });
    const results = await runChecks(env({ loadConfig: () => config({}, { GEMINI_API_KEY: 'k' }), fetch: dated }));
    expect(byName(results, 'clock')).toMatchObject({ status: 'warn', detail: "600 s ahead of the API server's clock" });
  });
});

describe('doctor: WebSocket port and mDNS', () => {
  it('a port in use fails; a free one passes', async () => {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    toClose.push(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as { port: number };
    const real = realDoctorEnv([], {});
    const busy = await runChecks(env({ loadConfig: () => config({ websocket: { ...TOKENS.websocket, host: '127.0.0.1', port } }), tryListen: real.tryListen }));
    expect(byName(busy, 'WebSocket port')).toMatchObject({ status: 'fail', detail: 'in use on 127.0.0.1' });
    const free = await runChecks(env({ loadConfig: () => config({ websocket: { ...TOKENS.websocket, host: '127.0.0.1', port: 0 } }), tryListen: real.tryListen }));
    expect(byName(free, 'WebSocket port').status).toBe('ok');
  });

  it('mDNS that cannot be used is a warning with the way around it', async () => {
    const results = await runChecks(env({ loadConfig: () => config(TOKENS), tryMdns: async () => new Error('addMembership ENODEV') }));
    expect(byName(results, 'mDNS')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/addMembership ENODEV/), fix: expect.stringMatching(/provision --host-url/) });
    expect(await realDoctorEnv([], {}).tryMdns()).toSatisfy((e) => e === undefined || e instanceof Error);
  });
});
