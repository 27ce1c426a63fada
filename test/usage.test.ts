/** Metering what Gemini bills, and the daily budgets that stop a runaway. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Bridge } from '../src/bridge/bridge.js';
import { UsageMeter, type BudgetLevel } from '../src/bridge/usageMeter.js';
import { DeviceServer } from '../src/device/wsServer.js';
import { validateLiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import { AssistantState } from '../src/protocol/messages.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { until } from './helpers/bridge.js';
import { cleanup, spokenTurn, startEmulator } from './helpers/live.js';

const PRICES = { inputText: 1, inputAudio: 10, outputText: 100, outputAudio: 1000, cached: 0.5 };

describe('UsageMeter', () => {
  it('adds up every turn by modality, counts uncovered prompt tokens as text and thoughts as output text, and prices them', () => {
    const meter = new UsageMeter({ prices: PRICES });
    const turn = meter.record('kitchen', {
      promptTokenCount: 522,
      responseTokenCount: 42,
      thoughtsTokenCount: 136,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 332 }, { modality: 'AUDIO', tokenCount: 165 }],
      responseTokensDetails: [{ modality: 'AUDIO', tokenCount: 42 }],
    });
    expect(turn).toMatchObject({ inputText: 357, inputAudio: 165, outputText: 136, outputAudio: 42 });
    expect(turn.usd).toBeCloseTo((357 * 1 + 165 * 10 + 136 * 100 + 42 * 1000) / 1e6, 12);
    meter.record('kitchen', { promptTokenCount: 1000, cachedContentTokenCount: 400, promptTokensDetails: [{ modality: 'AUDIO', tokenCount: 1000 }] });
    const today = meter.today('kitchen');
    expect(today.turns).toBe(2);
    expect(today.inputAudio).toBe(1165);
    expect(today.cached).toBe(400);
    expect(today.usd).toBeCloseTo(turn.usd + (600 * 10 + 400 * 0.5) / 1e6, 12); // cached audio at the cached rate
    expect(meter.today().inputAudio).toBe(1165);
    expect(meter.today('hall').turns).toBe(0);
  });

  it('warns at 80 %, stops at 100 % (per device and in all), and starts afresh the next day', () => {
    let now = new Date(2026, 10, 30, 12);
    const meter = new UsageMeter({ prices: PRICES, perDevice: { tokensPerDay: 1000 }, total: { usdPerDay: 1 }, now: () => now });
    const events: [BudgetLevel, string | undefined][] = [];
    meter.on('budget', (level, device) => events.push([level, device]));
    meter.record('kitchen', { promptTokenCount: 700 });
    expect(events).toEqual([]);
    meter.record('kitchen', { promptTokenCount: 100 });
    expect(events).toEqual([['warning', 'kitchen']]);
    expect(meter.allowed('kitchen')).toBe(true);
    meter.record('kitchen', { promptTokenCount: 200 });
    expect(events.at(-1)).toEqual(['exhausted', 'kitchen']);
    expect(meter.allowed('kitchen')).toBe(false);
    expect(meter.allowed('hall')).toBe(true);
    meter.record('hall', { responseTokenCount: 900, responseTokensDetails: [{ modality: 'AUDIO', tokenCount: 900 }] }); // $0.90: 80 % of all
    expect(events.at(-1)).toEqual(['warning', undefined]);
    meter.record('hall', { responseTokenCount: 100, responseTokensDetails: [{ modality: 'AUDIO', tokenCount: 100 }] });
    expect(events.slice(-2)).toEqual([['exhausted', 'hall'], ['exhausted', undefined]]); // hall's own 1000 tokens, and $1.00 in all
    expect(meter.allowed('garage')).toBe(false); // the host's budget is spent
    now = new Date(2026, 11, 1, 0, 0, 1);
    expect(meter.allowed('kitchen')).toBe(true);
    expect(meter.today().turns).toBe(0);
  });
});

describe('the bridge meters its devices', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await cleanup();
  });

  it('logs each turn\'s usage as JSON, counts mic seconds sent, and stops sending a device\'s audio once its budget is spent', async () => {
    const emulator = await startEmulator({ persona: 'echo' });
    const dir = mkdtempSync(join(tmpdir(), 'esp-live-usage-'));
    const conversationLog = join(dir, 'log.jsonl');
    const logs: string[] = [];
    const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl }), log: createLogger({ json: false, debug: true, write: (l) => logs.push(l) }), conversationLog, budget: { perDevice: { tokensPerDay: 10 } } });
    const token = 'usage-test-token-0123456789';
    const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: { [token]: 'kitchen' }, mdns: false, onLink: (link) => void bridge.addLink(link) });
    const url = await server.start();
    closers.push(() => server.close(), () => bridge.close());
    const device = new SimulatedDevice({ deviceId: 'metered', tools: false });
    closers.push(() => device.close());
    const welcomed = new Promise((r) => device.once('welcome', r));
    await device.connectWebSocket(url, token);
    await welcomed;
    const turn = await spokenTurn(); // the words, then 1 s of silence
    device.speak(turn);
    await until(() => logs.some((l) => l.includes("today's budget")), 20_000, 'the budget to run out');
    const usage = readFileSync(conversationLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.who === 'usage');
    expect(usage).toHaveLength(1);
    expect(usage[0].tokens.inputText + usage[0].tokens.inputAudio).toBeGreaterThan(10);
    expect(logs.join('\n')).toMatch(/device metered used all of today's budget .*: no more audio goes to Gemini/);
    const agent = bridge.agents.get('metered')!;
    expect(bridge.usage.today('metered').audioSecondsUp).toBeGreaterThanOrEqual((turn.length - 16000) / 16000); // the words went up (the speech gate keeps the silence back)
    await until(() => agent.stats.micOverBudget > 10, 5000, 'mic frames held back');
    expect(device.hostState).toBe(AssistantState.ERROR);
    const heard = emulator.conversations[0].audioDropped + emulator.conversations[0].receivedAudio().length;
    await new Promise((r) => setTimeout(r, 500));
    expect(emulator.conversations[0].audioDropped + emulator.conversations[0].receivedAudio().length).toBe(heard); // nothing more went upstream
  });
});
