import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoCommand } from '../src/commands/demo.js';
import { runCommand, type Running } from '../src/commands/run.js';
import { loadConfig } from '../src/config.js';
import { parseWav } from '../src/audio/wav.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { AssistantState } from '../src/protocol/messages.js';
import { until } from './helpers/bridge.js';
import { spokenTurn } from './helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'esp-live-cli-'));
let running: Running | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

function configFile(content: unknown): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('configuration', () => {
  it('layers file, environment and flags, and keeps the API key out of files', () => {
    const path = configFile({ live: { voice: 'Kore', temperature: 0.5 }, websocket: { port: 9000, tokens: { 'a-long-device-token-1': 'kitchen' } } });
    const { config } = loadConfig(['--config', path, '--voice', 'Puck', '--push-to-talk'], { GEMINI_API_KEY: 'secret', ESP_LIVE_WS_PORT: '9100' });
    expect(config.apiKey).toBe('secret');
    expect(config.live).toMatchObject({ voice: 'Puck', temperature: 0.5, vad: { automatic: false } });
    expect(config.websocket.port).toBe(9100);
    expect(() => loadConfig(['--config', configFile({ live: { apiKey: 'x' } })], {})).toThrow(/live\.apiKey must not be in a file: set GEMINI_API_KEY/);
  });

  it('names the bad field', () => {
    expect(() => loadConfig(['--config', configFile({ live: { temperature: 9 } })], {})).toThrow(/live\.temperature must be a number from 0 to 2/);
    expect(() => loadConfig(['--config', configFile({ websocket: { tokens: { short: 'x' } } })], {})).toThrow(/websocket\.tokens\["shor…"\] must be at least 16 characters/);
    expect(() => loadConfig(['--config', configFile({ serail: {} })], {})).toThrow(/serail is not a setting/);
    expect(() => loadConfig(['--baud', 'fast'], {})).toThrow(/serial\.baudRate must be an integer/);
    expect(() => loadConfig(['--config', join(dir, 'missing.json')], {})).toThrow(/no such file/);
  });

  it('checks the whole file against one schema: unknown keys, wrong types and bad values anywhere', () => {
    const bad = (content: unknown) => () => loadConfig(['--config', configFile(content)], {});
    expect(bad({ websocket: { prot: 8765 } })).toThrow(/websocket\.prot is not a setting/);
    expect(bad({ websocket: { host: 12345 } })).toThrow(/websocket\.host must be a string, got 12345/);
    expect(bad({ websocket: { path: 'device' } })).toThrow(/websocket\.path must start with \//);
    expect(bad({ serial: { port: 5 } })).toThrow(/serial\.port must be a string, got 5/);
    expect(bad({ recordDir: 5 })).toThrow(/recordDir must be a string/);
    expect(bad({ profiles: { kitchen: { voice: 7 } } })).toThrow(/profiles\.kitchen\.voice must be a string, got 7/);
    expect(bad({ maxDevices: 0 })).toThrow(/maxDevices must be an integer from 1 to 1000/);
    expect(bad({ websocket: { tokens: { 'a-long-device-token-1': { name: 'k', maxSession: 2 } } } })).toThrow(/websocket\.tokens\["a-lo…"\]\.maxSession is not a setting/);
    expect(bad({ websocket: { tokens: { 'a-long-device-token-1': 7 } } })).toThrow(/websocket\.tokens\["a-lo…"\] must be the device name/);
    expect(bad({ websocket: { tokens: { 'a-long-device-token-1': 'k', 'another-long-token-22': 'k' } } })).toThrow(/names the device "k" like another token/);
    expect(bad([1])).toThrow(/must be a JSON object/);
  });

  it('binds a token to its devices: a name alone is one device, or an object lists ids and a limit', () => {
    const path = configFile({ maxDevices: 3, websocket: { tokens: { 'a-long-device-token-1': 'kitchen', 'a-long-device-token-2': { name: 'hall', deviceIds: ['aa:bb'], maxSessions: 2 } } } });
    const { config } = loadConfig(['--config', path], {});
    expect(config.maxDevices).toBe(3);
    expect(config.websocket.tokens).toEqual({ 'a-long-device-token-1': { name: 'kitchen', maxSessions: 1 }, 'a-long-device-token-2': { name: 'hall', deviceIds: ['aa:bb'], maxSessions: 2 } });
  });
});

describe('esp-live (the bridge command)', () => {
  it('without GEMINI_API_KEY runs against the built-in emulator, says so loudly, and serves a board on Wi-Fi', async () => {
    const token = 'cli-test-device-token';
    const path = configFile({ websocket: { host: '127.0.0.1', port: 0, mdns: false, tokens: { [token]: 'den' } } });
    const lines: string[] = [];
    running = await runCommand(['--config', path, '--no-serial'], (l) => lines.push(l), {});
    expect(lines.join('\n')).toMatch(/No GEMINI_API_KEY: talking to the built-in Live API EMULATOR/);
    const device = new SimulatedDevice({ deviceId: 'den-board' });
    const welcomed = new Promise((r) => device.once('welcome', r));
    await device.connectWebSocket(running!.wsUrl!, token);
    await welcomed;
    device.speak(await spokenTurn());
    await until(() => device.stats.framesPlayed > 20 && device.hostState === AssistantState.LISTENING, 20_000, 'the echo');
    device.close();
    expect(lines.some((l) => l.includes('assistant: You said something'))).toBe(true);
  });

  it('demo runs offline end to end and writes the reply WAV', async () => {
    const out = join(dir, 'reply.wav');
    const lines: string[] = [];
    expect(await demoCommand(['--out', out, '--text', 'Hello, this is a short demo.'], (l) => lines.push(l))).toBe(0); // the default sentence takes 4 s to say
    const wav = parseWav(readFileSync(out));
    expect(wav.sampleRateHz).toBe(16000);
    expect(wav.data.length).toBeGreaterThan(16000 * 2);
    const snr = Number(/fidelity .*: ([\d.]+) dB SNR/.exec(lines.join('\n'))?.[1]);
    expect(snr).toBeGreaterThanOrEqual(30);
    expect(lines.join('\n')).toMatch(/0 underruns/);
  });
});
