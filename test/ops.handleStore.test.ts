/** Conversations survive a restart of esp-live: handles saved at shutdown (0600), expiry honoured, each used once. */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommand, type Running } from '../src/commands/run.js';
import { HANDLE_SAVE_MS, HANDLE_TTL_MS, HandleStore, stateFileFor } from '../src/ops/handleStore.js';
import { AssistantState } from '../src/protocol/messages.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { until } from './helpers/bridge.js';
import { FakeClock } from './helpers/fakeClock.js';
import { cleanup, spokenTurn, startEmulator } from './helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'esp-live-handles-'));
const T0 = Date.parse('2026-06-01T12:00:00Z');
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  await cleanup();
});

describe('HandleStore', () => {
  it('writes the state file with mode 0600 and gives each handle back once, for the same model', () => {
    const path = join(dir, 'a.state.json');
    new HandleStore(path, () => T0).save([{ deviceId: 'kitchen', handle: 'H1', model: 'm1' }, { deviceId: 'hall', handle: 'H2', model: 'm1' }]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const store = new HandleStore(path, () => T0 + 60 * 60_000);
    expect(store.load()).toBeUndefined();
    expect(existsSync(path)).toBe(false); // used once: a crash after this start must not resume twice
    expect(store.take('kitchen', 'm1')).toBe('H1');
    expect(store.take('kitchen', 'm1')).toBeUndefined();
    expect(store.take('hall', 'another-model')).toBeUndefined();
  });

  it('drops handles the service no longer keeps (2 hours after the connection ended)', () => {
    const path = join(dir, 'b.state.json');
    new HandleStore(path, () => T0).save([{ deviceId: 'kitchen', handle: 'H1', model: 'm1' }]);
    const store = new HandleStore(path, () => T0 + HANDLE_TTL_MS);
    store.load();
    expect(store.take('kitchen', 'm1')).toBeUndefined();
  });

  it('a damaged state file is reported and set aside, never fatal', () => {
    const path = join(dir, 'c.state.json');
    writeFileSync(path, '{"version":1,"handles":');
    const store = new HandleStore(path);
    expect(store.load()).toMatch(/could not be read/);
    expect(existsSync(path)).toBe(false);
    expect(store.take('kitchen', 'm1')).toBeUndefined();
  });

  it('removes the file when no conversation is open, and does not write unchanged handles again', () => {
    const path = join(dir, 'd.state.json');
    const store = new HandleStore(path, () => T0);
    store.save([{ deviceId: 'kitchen', handle: 'H1', model: 'm1' }]);
    writeFileSync(path, 'marker');
    store.save([{ deviceId: 'kitchen', handle: 'H1', model: 'm1' }]);
    expect(readFileSync(path, 'utf8')).toBe('marker');
    store.save([]);
    expect(existsSync(path)).toBe(false);
  });

  it('lives next to the settings file', () => {
    expect(stateFileFor('/srv/esp-live/esp-live.json')).toBe('/srv/esp-live/esp-live.state.json');
  });
});

describe('a restart of esp-live', () => {
  it('resumes the conversation of a board that comes back', async () => {
    const emulator = await startEmulator({ apiKeys: ['the-key'] });
    const token = 'restart-test-device-token';
    const configPath = join(dir, 'esp-live.json');
    writeFileSync(configPath, JSON.stringify({ live: { baseUrl: emulator.baseUrl }, websocket: { host: '127.0.0.1', port: 0, mdns: false, tokens: { [token]: 'den' } } }));
    const env = { GEMINI_API_KEY: 'the-key' };
    const clock = new FakeClock();
    const statePath = join(dir, 'esp-live.state.json');
    const turn = async (lines: string[], beforeStop = () => {}) => {
      const r = await runCommand(['--config', configPath, '--no-serial'], (l) => lines.push(l), env, clock);
      running.push(r!);
      const device = new SimulatedDevice({ deviceId: 'den-board' });
      const welcomed = new Promise((resolve) => device.once('welcome', resolve));
      await device.connectWebSocket(r!.wsUrl!, token);
      await welcomed;
      device.speak(await spokenTurn());
      await until(() => device.stats.framesPlayed > 20 && device.hostState === AssistantState.LISTENING, 20_000, 'the reply');
      await until(() => Boolean([...r!.bridge.agents.values()][0]?.live.resumptionHandle), 5000, 'a resumable handle');
      beforeStop();
      await running.pop()!.stop(); // what SIGTERM does
      device.close();
    };
    const saved = () => Object.keys((JSON.parse(readFileSync(statePath, 'utf8')) as { handles: object }).handles);
    const first: string[] = [];
    await turn(first, () => expect(existsSync(statePath)).toBe(false)); // written at shutdown (no periodic save yet)
    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    expect(saved()).toEqual(['den-board']);
    const second: string[] = [];
    await turn(second, () => {
      expect(existsSync(statePath)).toBe(false); // read once
      clock.advance(HANDLE_SAVE_MS);
      expect(saved()).toEqual(['den-board']); // kept while running too, so a crash loses little
    });
    expect(second.some((l) => l.includes('resuming the conversation from before the restart'))).toBe(true);
    expect(emulator.conversations).toHaveLength(1);
    expect(emulator.conversations[0].turns).toBe(2);
  });
});
