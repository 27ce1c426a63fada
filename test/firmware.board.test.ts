/**
 * End to end with the C firmware as the board: the application the ESP32 runs (esp_live_app +
 * esp_live_core), built for Linux with the sanitizers on (firmware/host), on one end of a socat
 * pty pair at the UART's byte rate; the real bridge, SerialWatcher and serialport on the other;
 * the Live emulator behind the bridge through the real SDK. The C board follows PROTOCOL.md as
 * written, not the way the bridge expects: where they disagree, these tests say so.
 */
import { beforeAll, describe, it } from 'vitest';
import { alignedSnrDb } from '../src/audio/measure.js';
import { synthesizeSpeech } from '../src/audio/speech.js';
import { Bridge } from '../src/bridge/bridge.js';
import { SerialWatcher } from '../src/device/serialWatcher.js';
import { LiveEmulator, type EmulatorOptions } from '../src/emulator/server.js';
import { validateLiveConfig, type LiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import { AssistantState, Codec } from '../src/protocol/messages.js';
import { startRig, TOKEN, until } from './helpers/bridge.js';
import { buildCBoard, CBoard, type CBoardOptions } from './helpers/cBoard.js';
import { cleanup, sleep, spokenTurn } from './helpers/live.js';
import { NoisyCable } from './helpers/noisyCable.js';
import { PtyPair } from './helpers/pty.js';

type Closer = { close(): Promise<void> | void };
/** What a test opened, closed in reverse order when it finishes: each test has its own, so
 * that tests can run at once (each has its own emulator, bridge, ptys and board). */
function closeAtEnd(onTestFinished: (fn: () => Promise<void>) => void): (c: Closer) => void {
  const list: Closer[] = [];
  onTestFinished(async () => {
    for (const c of list.splice(0).reverse()) await c.close();
  });
  return (c) => void list.push(c);
}

beforeAll(() => buildCBoard(), 60_000);

async function rig(own: (c: Closer) => void, emulatorOptions: EmulatorOptions, board: Partial<CBoardOptions> = {}, live: Partial<LiveConfig> = {}, pty: PtyPair | NoisyCable = new PtyPair()) {
  const baudRate = board.baud ?? 921600;
  const emulator = new LiveEmulator(emulatorOptions);
  await emulator.start();
  own(emulator);
  const logs: string[] = [];
  const log = createLogger({ json: false, write: (l) => logs.push(l) });
  const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl, ...live }), log, graceMs: 30_000 });
  await pty.plug();
  const c = new CBoard({ serialPath: pty.device, baud: baudRate, ...board });
  const watcher = new SerialWatcher({ path: pty.host, baudRate, log, pollMs: 100, onLink: (link) => void bridge.addLink(link) });
  for (const closer of [{ close: () => pty.unplug() }, { close: () => watcher.stop() }, { close: () => bridge.close() }, c]) own(closer);
  await c.next(/^link up$/, 5000, true);
  watcher.start();
  await c.next(/^welcome /, 10_000);
  return { emulator, bridge, pty, board: c, logs, watcher };
}

let short: Promise<Int16Array> | undefined;
/** "Hello." and 0.7 s of silence (the emulator's VAD ends a turn after 0.5 s): a quick user turn
 * where the words do not matter (spokenTurn is 2.9 s). */
async function shortTurn(): Promise<Int16Array> {
  const words = await (short ??= synthesizeSpeech('Hello.', 16000));
  const out = new Int16Array(words.length + 11200);
  out.set(words);
  return out;
}

const agentOf = (bridge: Bridge) => [...bridge.agents.values()][0];
const stateIs = (board: CBoard, state: number) => board.events.filter((l) => l.startsWith('state ')).at(-1) === `state ${state}`;

// These count underruns (three to zero, as the simulator's tests do): they run one at a time.
describe('the C firmware as a board (Linux build of esp_live_app): whole replies', () => {
  it('carries a full spoken turn: the echo comes back at ≥ 30 dB SNR with no underruns', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const { board, bridge } = await rig(own, { persona: 'echo' });
    const turn = await spokenTurn();
    const words = turn.subarray(0, turn.length - 16000);
    await board.speak(turn);
    await until(() => board.played().length > words.length && stateIs(board, AssistantState.LISTENING), 20_000, 'the whole echo');
    const { snrDb } = alignedSnrDb(words, board.played(), 16000);
    expect(snrDb).toBeGreaterThanOrEqual(30);
    const stats = await board.stats();
    expect(stats.underruns, board.events.filter((l) => /^(underrun|reply-end)/.test(l)).join(', ')).toBe(0);
    expect(stats.overflows).toBe(0);
    const info = agentOf(bridge).info!;
    expect([info.micCodec, info.speakerCodec]).toEqual([Codec.PCM, Codec.PCM]);
  });

  it('at 115200 baud the host chooses IMA ADPCM both ways, and the reply plays without underruns', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const { board, bridge } = await rig(own, { persona: 'echo' }, { baud: 115200 });
    const info = agentOf(bridge).info!;
    expect([info.micCodec, info.speakerCodec]).toEqual([Codec.IMA_ADPCM, Codec.IMA_ADPCM]);
    await board.speak(await spokenTurn());
    await until(() => board.played().length > 50 * 320 && stateIs(board, AssistantState.LISTENING), 25_000, 'the reply');
    const stats = await board.stats();
    expect(stats.underruns).toBe(0);
    expect(stats.tx_dropped).toBe(0); // ADPCM fits the UART: the board never had to drop its own bytes
  });

  it('on Wi-Fi: a WebSocket with its token carries a full turn, the echo at ≥ 30 dB SNR', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const wifi = await startRig({ persona: 'echo' });
    const board = new CBoard({ webSocket: { url: wifi.url, token: TOKEN } });
    for (const closer of [{ close: cleanup }, wifi, board]) own(closer); // startRig's emulator is closed by cleanup()
    await board.next(/^welcome /, 10_000);
    const turn = await spokenTurn();
    const words = turn.subarray(0, turn.length - 16000);
    await board.speak(turn);
    await until(() => board.played().length > words.length && stateIs(board, AssistantState.LISTENING), 20_000, 'the whole echo');
    expect(alignedSnrDb(words, board.played(), 16000).snrDb).toBeGreaterThanOrEqual(30);
    expect((await board.stats()).underruns, board.events.filter((l) => /^(underrun|reply-end)/.test(l)).join(', ')).toBe(0);
    expect(wifi.logs.join('\n')).toMatch(/connected on ws/);
  });

  it('the smallest buffer the spec allows (2 frames, 40 ms) plays the whole reply', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const { board } = await rig(own, { persona: 'scenario', scenario: { turns: [{ say: 'one second', durationMs: 1000 }] } }, { bufferSamples: 640 });
    await board.speak(await shortTurn());
    await until(() => board.played().length >= 16000 && stateIs(board, AssistantState.LISTENING), 15_000, 'the whole reply');
    const stats = await board.stats();
    expect(stats.overflows).toBe(0);
    // 40 ms is the floor, not a recommendation (120 ms is): one CREDIT round trip through a busy
    // host can outlast it, so gaps come and go with the machine's load (0 to 2 idle, 13 of 50
    // frames seen at load 15). What the floor guarantees is that the reply plays, all of it; a
    // one-frame buffer, the 1.0 case, underran on 130 of 132 frames and played nothing at 200.
    expect(stats.underruns).toBeLessThan(stats.played / 320 / 2);
  });
});

// The rest run at once (each test owns its emulator, bridge, ptys and board): they wait on real
// time, not on the CPU, and none of them counts underruns.
describe.concurrent('the C firmware as a board (Linux build of esp_live_app): behaviours', () => {
  it('two turns in a row with a pause between them: the second reply is heard too', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    // 700 ms replies do not end on a frame boundary: their last part is what a 1.0 board never
    // reported (this test fails with CREDIT rule 4 taken out of el_device_play).
    const { board, emulator } = await rig(own, { persona: 'scenario', scenario: { turns: [{ say: 'first', durationMs: 700 }, { say: 'second', durationMs: 700 }] } });
    const turn = await shortTurn();
    await board.speak(turn);
    await until(() => board.played().length >= 0.45 * 16000, 15_000, 'the first reply');
    const afterFirst = board.played().length;
    await sleep(1000); // the user pauses: in 1.0 the host still thought the board was speaking
    await board.speak(turn);
    await until(() => board.played().length >= afterFirst + 0.45 * 16000, 15_000, 'the second reply');
    expect(board.count(/^flush /)).toBe(0); // nothing was taken for a barge-in
    expect(emulator.conversations[0].turns).toBe(2);
  });

  it('barge-in by the button: FLUSH at once, and nothing of the old reply plays after it', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const { board, bridge } = await rig(own, { persona: 'scenario', scenario: { turns: [{ say: 'a long story', durationMs: 6000 }] }, realtimeFactor: 4 });
    await board.speak(await shortTurn());
    await until(() => board.played().length > 20 * 320, 15_000, 'the reply to start');
    const flushed = board.next(/^flush /, 2000);
    board.press();
    await sleep(100); // a finger, not a glitch: the board debounces for 20 ms
    board.release();
    const flush = await flushed;
    const playedAtFlush = Number(/played=(\d+)/.exec(flush)![1]);
    await sleep(1500);
    const stats = await board.stats();
    expect(stats.played - playedAtFlush).toBe(0); // the rest of the 6 s reply never plays
    expect(agentOf(bridge).stats.bargeIns).toBe(1);
  });

  it('push-to-talk: the button frames the turn (Live VAD off)', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const { board, emulator, logs } = await rig(own, { persona: 'tone' }, {}, { vad: { automatic: false } });
    board.press();
    await board.speak(await spokenTurn());
    board.release();
    await until(() => board.played().length > 20 * 320, 15_000, 'the reply');
    expect(emulator.conversations[0].turns).toBe(1);
    expect(logs.some((l) => l.includes('restarted'))).toBe(false);
  });

  it('unplug mid-reply: the board waits for its port; on replug it says HELLO again and the conversation goes on', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const { board, pty, bridge, emulator, logs } = await rig(own, { persona: 'scenario', scenario: { turns: [{ say: 'first', durationMs: 3000 }, { say: 'second', durationMs: 300 }] } });
    const turn = await shortTurn();
    await board.speak(turn);
    await until(() => board.played().length > 10 * 320, 15_000, 'the reply');
    await pty.unplug();
    await board.next(/^link down$/, 3000, true);
    await until(() => logs.some((l) => l.includes('link lost')), 3000, 'the bridge to notice');
    const back = board.next(/^link up$/, 5000);
    const welcomed = board.next(/^welcome /, 10_000);
    await pty.plug();
    await back;
    await welcomed;
    // The rest of the first reply plays now; the user waits for it (the host's echo gate holds
    // the microphone while the board plays).
    await until(() => stateIs(board, AssistantState.LISTENING), 10_000, 'the first reply to finish');
    await board.speak(turn);
    await until(() => logs.some((l) => l.includes('assistant: second')), 20_000, 'the second turn');
    expect(bridge.agents.size).toBe(1);
    expect(emulator.conversations).toHaveLength(1);
  });

  it('drops a corrupted byte stream from the board (counted), then runs a tool the model calls and the model hears its result', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const { board, bridge, logs } = await rig(own, { persona: 'scenario', scenario: { turns: [{ toolCall: { name: 'set_led', args: { on: true } }, say: 'LED says {result}' }] } });
    board.noise();
    await board.speak(await shortTurn());
    await board.next(/^tool set_led$/, 15_000, true);
    await until(() => logs.some((l) => l.includes('assistant: LED says')), 15_000, 'the reply');
    expect(logs.join('\n')).toContain('LED says {"result":{"led":"on"}}');
    expect(agentOf(bridge).connection!.link.stats.rejected).toBeGreaterThanOrEqual(3); // the damaged frame, the oversize run, the boot log
  });

  it('bits flipped on the way to the board: the damaged frames are dropped and counted, and the next reply still plays', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const cable = new NoisyCable();
    const { board, logs } = await rig(own, { persona: 'scenario', scenario: { turns: [{ say: 'first', durationMs: 1500 }, { say: 'second', durationMs: 800 }] } }, {}, {}, cable);
    // Three damaged AUDIO_OUT frames. Each one's samples stay "in flight" for the host for good
    // (nothing in the spec releases a lost frame: findings.md), so more would starve the board.
    cable.everyBytes = 2003;
    cable.maxFlips = 3;
    cable.corrupt = true;
    const turn = await shortTurn();
    await board.speak(turn);
    await until(() => stateIs(board, AssistantState.LISTENING) && board.played().length > 0.8 * 16000, 20_000, 'the end of the first reply');
    const first = await board.stats();
    expect(cable.flipped).toBe(3);
    expect(first.bad_crc + first.malformed).toBe(3);
    await board.speak(turn);
    await until(() => logs.some((l) => l.includes('assistant: second')), 15_000, 'the second turn');
    await until(() => board.played().length >= first.played + 0.75 * 16000, 15_000, 'the whole second reply');
  });

  it('a board that takes messages of at most 256 bytes gets frames that fit, and hears the reply', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const { board } = await rig(own, { persona: 'tone' }, { maxMessageBytes: 256 });
    // §3.1: PCM fits the link; 20 and 10 ms messages (649, 329 bytes) do not fit 256, 5 ms (169) does.
    expect(board.events.find((l) => l.startsWith('welcome '))).toMatch(/^welcome \d+ 0 0 5 1$/);
    await board.speak(await shortTurn());
    await until(() => board.played().length > 16000, 15_000, 'a second of the reply');
    const stats = await board.stats();
    expect(stats.oversize).toBe(0); // nothing larger than it said it takes
  });

  it('a buffer below the minimum (200 samples) is refused with ERROR UNSUPPORTED_FORMAT naming the field and GOODBYE, no session starts and the board stops asking', async ({ expect, onTestFinished }) => {
    const own = closeAtEnd(onTestFinished);
    const emulator = new LiveEmulator({ persona: 'tone' });
    await emulator.start();
    own(emulator);
    const logs: string[] = [];
    const log = createLogger({ json: false, write: (l) => logs.push(l) });
    const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl }), log });
    const pty = new PtyPair();
    await pty.plug();
    const board = new CBoard({ serialPath: pty.device, bufferSamples: 200 });
    const watcher = new SerialWatcher({ path: pty.host, log, pollMs: 100, onLink: (link) => void bridge.addLink(link) });
    for (const closer of [{ close: () => pty.unplug() }, { close: () => watcher.stop() }, { close: () => bridge.close() }, board]) own(closer);
    watcher.start();
    const error = await board.next(/^error /, 10_000);
    expect(error).toMatch(/^error 3 .*playbackBufferSamples 200/);
    await board.next(/^goodbye 2$/, 2000, true);
    // REFUSED: the board says HELLO again only when asked, and the host does not ask (§5): for
    // longer than the 2 s HELLO resend interval no further refusal comes. (A HELLO the board
    // resent before the host had opened its port may be refused once more, just before.)
    await sleep(300);
    const refusals = board.count(/^error /);
    await sleep(2500);
    expect(board.count(/^error /)).toBe(refusals);
    expect((await board.stats()).link_state).toBe(3);
    expect(bridge.agents.size).toBe(0);
    expect(board.count(/^welcome /)).toBe(0);
  });
});
