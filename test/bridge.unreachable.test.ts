/** While Gemini cannot be reached the board says so on its LED, and shows listening again once it can. */
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge } from '../src/bridge/bridge.js';
import { DeviceServer } from '../src/device/wsServer.js';
import { validateLiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import { AssistantState } from '../src/protocol/messages.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { until } from './helpers/bridge.js';
import { cleanup, startEmulator } from './helpers/live.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await cleanup();
});

describe('Gemini out of reach', () => {
  it('shows ERROR on the board through the retries, logs the cause once, and listens again once Gemini is back', async () => {
    const closed = createServer().listen(0, '127.0.0.1'); // a port that refuses: take one, then free it
    await new Promise((r) => closed.once('listening', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const logs: string[] = [];
    const bridge = new Bridge({
      live: validateLiveConfig({ apiKey: 'K', baseUrl: `http://127.0.0.1:${port}`, reconnectInitialDelayMs: 50, reconnectMaxDelayMs: 200 }),
      log: createLogger({ json: false, write: (l) => logs.push(l) }),
    });
    const token = 'unreachable-token-0123456789';
    const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: { [token]: 'kitchen' }, mdns: false, onLink: (link) => void bridge.addLink(link) });
    const url = await server.start();
    closers.push(() => server.close(), () => bridge.close());
    const device = new SimulatedDevice({ deviceId: 'offline', tools: false });
    closers.push(() => device.close());
    const states: number[] = [];
    device.on('state', (s) => states.push(s));
    await device.connectWebSocket(url, token);
    await until(() => device.hostState === AssistantState.ERROR, 10_000, 'the ERROR LED');
    const errorAt = states.lastIndexOf(AssistantState.ERROR);
    await new Promise((r) => setTimeout(r, 1000)); // several more failed attempts
    expect(device.hostState).toBe(AssistantState.ERROR); // it stays on ERROR through the retries
    expect(states.slice(errorAt)).toEqual([AssistantState.ERROR]);
    const causes = logs.filter((l) => /LIVE_UNREACHABLE|cannot reach the Live API/.test(l));
    expect(causes.length).toBeGreaterThanOrEqual(1);
    expect(causes.length).toBeLessThanOrEqual(2); // said once, not once per attempt
    expect(states).toContain(AssistantState.CONNECTING);
    await startEmulator({ persona: 'echo', host: '127.0.0.1', port }); // Gemini is back
    await until(() => device.hostState === AssistantState.LISTENING, 10_000, 'LISTENING once it is reached');
    expect(logs.join('\n')).toMatch(/reached the Live API again/);
  });
});
