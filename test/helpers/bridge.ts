/** An emulator, a bridge and a device listener wired together the way `esp-live` runs them. */
import { Bridge, type BridgeOptions } from '../../src/bridge/bridge.js';
import { DeviceServer } from '../../src/device/wsServer.js';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import { validateLiveConfig, type LiveConfig } from '../../src/live/config.js';
import { createLogger } from '../../src/log.js';
import { SimulatedDevice, type SimulatedDeviceOptions } from '../../src/simulator/simulatedDevice.js';
import { startEmulator, sleep } from './live.js';

export const TOKEN = 'device-token-0123456789';

export interface Rig {
  bridge: Bridge;
  server: DeviceServer;
  url: string;
  logs: string[];
  devices: SimulatedDevice[];
  emulator: Awaited<ReturnType<typeof startEmulator>>;
  device(options?: SimulatedDeviceOptions): Promise<SimulatedDevice>;
  close(): Promise<void>;
}

export async function startRig(emulatorOptions: EmulatorOptions = {}, live: Partial<LiveConfig> = {}, graceMs = 30_000, extra: Partial<BridgeOptions> = {}): Promise<Rig> {
  const emulator = await startEmulator(emulatorOptions);
  const logs: string[] = [];
  const bridge = new Bridge({
    live: validateLiveConfig({ apiKey: 'TEST_KEY', baseUrl: emulator.baseUrl, ...live }),
    log: createLogger({ json: false, debug: true, write: (l) => logs.push(l) }),
    graceMs,
    ...extra,
  });
  const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: { [TOKEN]: { name: 'test-board', maxSessions: 4 } }, mdns: false, log: (l) => logs.push(l), onLink: (link) => void bridge.addLink(link) });
  const url = await server.start();
  const devices: SimulatedDevice[] = [];
  return {
    bridge,
    server,
    url,
    logs,
    devices,
    emulator,
    async device(options = {}) {
      const d = new SimulatedDevice({ deviceId: `sim-${devices.length + 1}`, ...options });
      devices.push(d);
      const welcomed = new Promise((r) => d.once('welcome', r));
      await d.connectWebSocket(url, TOKEN);
      await welcomed;
      return d;
    },
    async close() {
      for (const d of devices) d.close();
      await bridge.close();
      await server.close();
    },
  };
}

export async function until(condition: () => boolean, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
