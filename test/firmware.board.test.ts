/**
 * End to end with the C firmware as the board: the application the ESP32 runs (esp_live_app +
 * esp_live_core), built for Linux with the sanitizers on (firmware/host), on one end of a socat
 * pty pair at the UART's byte rate; the real bridge, SerialWatcher and serialport on the other;
 * the Live emulator behind the bridge through the real SDK. The C board follows PROTOCOL.md as
 * written, not the way the bridge expects: where they disagree, these tests say so.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alignedSnrDb } from '../src/audio/measure.js';
import { Bridge } from '../src/bridge/bridge.js';
import { SerialWatcher } from '../src/device/serialWatcher.js';
import type { EmulatorOptions } from '../src/emulator/server.js';
import { validateLiveConfig, type LiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import { AssistantState, Codec } from '../src/protocol/messages.js';
import { until } from './helpers/bridge.js';
import { buildCBoard, CBoard, type CBoardOptions } from './helpers/cBoard.js';
import { cleanup, sleep, spokenTurn, startEmulator } from './helpers/live.js';
import { PtyPair } from './helpers/pty.js';

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
  await cleanup();
});

beforeAll(() => buildCBoard(), 60_000);

async function rig(emulatorOptions: EmulatorOptions, board: Partial<CBoardOptions> = {}, live: Partial<LiveConfig> = {}) {
  const baudRate = board.baud ?? 921600;
  const emulator = await startEmulator(emulatorOptions);
  const logs: string[] = [];
  const log = createLogger({ json: false, write: (l) => logs.push(l) });
  const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl, ...live }), log, graceMs: 30_000 });
  const pty = new PtyPair();
  await pty.plug();
  const c = new CBoard({ serialPath: pty.device, baud: baudRate, ...board });
  const watcher = new SerialWatcher({ path: pty.host, baudRate, log, pollMs: 100, onLink: (link) => void bridge.addLink(link) });
  open.push({ close: () => c.close() }, { close: () => bridge.close() }, { close: () => watcher.stop() }, { close: () => pty.unplug() });
  await c.next(/^link up$/, 5000, true);
  watcher.start();
  await c.next(/^welcome /, 10_000);
  return { emulator, bridge, pty, board: c, logs, watcher };
}

const agentOf = (bridge: Bridge) => [...bridge.agents.values()][0];
const stateIs = (board: CBoard, state: number) => board.events.filter((l) => l.startsWith('state ')).at(-1) === `state ${state}`;

describe('the C firmware as a board (Linux build of esp_live_app, serial pty)', () => {
  it('carries a full spoken turn: the echo comes back at ≥ 30 dB SNR with no underruns', async () => {
    const { board, bridge } = await rig({ persona: 'echo' });
    const turn = await spokenTurn();
    const words = turn.subarray(0, turn.length - 16000);
    await board.speak(turn);
    await until(() => board.played().length > words.length && stateIs(board, AssistantState.LISTENING), 20_000, 'the whole echo');
    const { snrDb } = alignedSnrDb(words, board.played(), 16000);
    expect(snrDb).toBeGreaterThanOrEqual(30);
    const stats = await board.stats();
    expect(stats.underruns).toBe(0);
    expect(stats.overflows).toBe(0);
    const info = agentOf(bridge).info!;
    expect([info.micCodec, info.speakerCodec]).toEqual([Codec.PCM, Codec.PCM]);
  });

  it('two turns in a row with a pause between them: the second reply is heard too', async () => {
    const { board, emulator } = await rig({ persona: 'scenario', scenario: { turns: [{ say: 'first', durationMs: 700 }, { say: 'second', durationMs: 700 }] } });
    const turn = await spokenTurn();
    await board.speak(turn);
    await until(() => board.played().length >= 0.6 * 16000, 15_000, 'the first reply');
    const afterFirst = board.played().length;
    await sleep(1500);
    await board.speak(turn);
    await until(() => board.played().length >= afterFirst + 0.6 * 16000, 15_000, 'the second reply');
    expect(board.count(/^flush /)).toBe(0); // nothing was taken for a barge-in
    expect(emulator.conversations[0].turns).toBe(2);
  });
});
