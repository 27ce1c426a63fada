/** Provisioning over USB: settings go to the board (simulated, on a socat pty) and come back without secrets. */
import { afterEach, describe, expect, it } from 'vitest';
import { provisionCommand } from '../src/commands/provision.js';
import { checkSettings } from '../src/device/provision.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { PtyPair } from './helpers/pty.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('esp-live provision', () => {
  it('writes Wi-Fi, host, token and name; reads them back with the secrets withheld', async () => {
    const pty = new PtyPair();
    await pty.plug();
    const board = new SimulatedDevice();
    await board.connectSerial(pty.device);
    cleanups.push(() => pty.unplug(), () => board.close());
    const lines: string[] = [];
    const code = await provisionCommand(['--port', pty.host, '--ssid', 'home', '--password', 'hunter2-hunter2', '--host-url', 'ws://192.168.1.20:8765/device', '--new-token', '--name', 'kitchen'], (l) => lines.push(l));
    expect(code).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('wifiSsid: "home"');
    expect(text).toContain('wifiPassword: (set)');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('deviceToken: (set)');
    expect(text).toContain('hostUrl: "ws://192.168.1.20:8765/device"');
    const token = /"([\w-]{20,})": "kitchen"/.exec(text)?.[1];
    expect(board.settings.get(4)).toBe(token); // the board has the token the host was told to add
    expect(board.settings.get(2)).toBe('hunter2-hunter2');
  });

  it('refuses settings the board could not keep, naming them', () => {
    expect(() => checkSettings({ wifiSsid: 'x'.repeat(33) })).toThrow(/wifiSsid is 33 bytes; the board keeps at most 32/);
    expect(() => checkSettings({ hostUrl: '192.168.1.20' })).toThrow(/hostUrl must look like ws:\/\//);
    expect(() => checkSettings({ deviceToken: 'short' })).toThrow(/deviceToken must be at least 16/);
  });
});
