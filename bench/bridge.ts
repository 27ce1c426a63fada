/**
 * Bridge bench: host-added latency per frame in each direction, barge-in time, underruns and
 * stale frames over a long bursty conversation, and how many simulated boards over WebSocket
 * one bridge process serves with zero underruns (CPU and memory per board).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { synthesizeSpeech } from '../src/audio/speech.js';
import { Bridge } from '../src/bridge/bridge.js';
import { DeviceServer } from '../src/device/wsServer.js';
import { LiveEmulator } from '../src/emulator/server.js';
import { validateLiveConfig } from '../src/live/config.js';
import { LiveSession } from '../src/live/session.js';
import { createLogger } from '../src/log.js';
import { decodeMessage } from '../src/protocol/codec.js';
import { AssistantState, DeviceEvent } from '../src/protocol/messages.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { printTable } from './table.js';
import { timestampWebSocketWrites } from './wireClock.js';

const TOKEN = 'bench-device-token-0123456789';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

async function utterance(): Promise<Int16Array> {
  const words = await synthesizeSpeech('Tell me a story about a lighthouse keeper.', 16000);
  const out = new Int16Array(words.length + 24000);
  out.set(words);
  return out;
}

/**
 * Host-added latency and barge-in with one board, in one process. Every figure ends when `ws`
 * reports the frame written to its socket (wireClock.ts); the Live frames include base64
 * encoding and the SDK's send.
 */
async function latencyAndBargeIn(turn: Int16Array): Promise<void> {
  const emulator = new LiveEmulator({ persona: 'scenario', scenario: { turns: Array.from({ length: 40 }, () => ({ say: 'a reply that goes on for a while', durationMs: 3000 })) }, realtimeFactor: 4 });
  const baseUrl = await emulator.start();
  const micMs: number[] = [];
  const replyStartMs: number[] = [];
  const flushMs: number[] = [];
  const flushTransitMs: number[] = [];
  let micAt = 0; // AUDIO_IN received, until the synchronous path that follows sends it on
  let replyAudioAt = 0; // the reply's first model audio, until its first AUDIO_OUT is written
  let awaitingReply = true;
  let buttonAt = 0;
  let flushWrittenAt = 0;
  const restore = timestampWebSocketWrites((data) => {
    if (typeof data === 'string') {
      if (!micAt || !data.startsWith('{"realtimeInput":{"audio"')) return undefined;
      const t0 = micAt;
      micAt = 0;
      return (t) => micMs.push(t - t0);
    }
    const decoded = decodeMessage(data as Uint8Array);
    if (!decoded.ok) return undefined;
    if (decoded.message.type === 'audioOut' && replyAudioAt) {
      const t0 = replyAudioAt;
      replyAudioAt = 0;
      return (t) => replyStartMs.push(t - t0);
    }
    if (decoded.message.type === 'flush' && buttonAt) {
      const t0 = buttonAt;
      buttonAt = 0;
      return (t) => {
        flushWrittenAt = t;
        flushMs.push(t - t0);
      };
    }
    return undefined;
  });
  const bridge = new Bridge({
    live: validateLiveConfig({ apiKey: 'bench', baseUrl }),
    log: createLogger({ json: false, write: () => undefined }),
    createLive: (config) => {
      const live = new LiveSession({ config });
      // Registered before the agent's listeners, so these see the events first.
      live.on('audio', () => {
        if (awaitingReply) replyAudioAt = performance.now();
        awaitingReply = false;
      });
      live.on('turnComplete', () => (awaitingReply = true));
      return live;
    },
  });
  const server = new DeviceServer({
    host: '127.0.0.1',
    port: 0,
    tokens: { [TOKEN]: 'bench' },
    mdns: false,
    onLink: (link) => {
      link.on('message', (m) => {
        // Before the connection's listener; the microtask runs after it and the sends it made.
        if (m.type === 'audioIn') {
          micAt = performance.now();
          queueMicrotask(() => (micAt = 0));
        }
        if (m.type === 'event' && m.event === DeviceEvent.BUTTON_DOWN) buttonAt = performance.now();
      });
      void bridge.addLink(link);
    },
  });
  const url = await server.start();
  const device = new SimulatedDevice({ deviceId: 'latency' });
  const welcomed = new Promise((r) => device.once('welcome', r));
  await device.connectWebSocket(url, TOKEN);
  await welcomed;
  const playedAfterFlushMs: number[] = [];
  const presses = 10;
  for (let i = 0; i < presses; i++) {
    device.speak(turn);
    while (device.hostState !== AssistantState.SPEAKING) await sleep(10);
    await sleep(400);
    // Barge in with the button: how long until FLUSH is written, how long it travels, and how
    // long the board still played the old reply after it arrived.
    let flushArrivedAt = 0;
    let lastPlayedAfter = 0;
    const onFlush = () => (flushArrivedAt = performance.now());
    const onPlayed = () => flushArrivedAt && (lastPlayedAfter = performance.now() - flushArrivedAt);
    device.on('flush', onFlush);
    device.on('played', onPlayed);
    const pressedAt = performance.now();
    device.press();
    device.release();
    while (!flushArrivedAt) await sleep(1);
    await sleep(300);
    if (flushWrittenAt > pressedAt) flushTransitMs.push(flushArrivedAt - flushWrittenAt);
    device.off('flush', onFlush);
    device.off('played', onPlayed);
    playedAfterFlushMs.push(lastPlayedAfter);
    while ((device.hostState as number) !== AssistantState.LISTENING) await sleep(10);
  }
  restore();
  const row = (path: string, xs: number[]) => [path, xs.length, pct(xs, 50).toFixed(3), pct(xs, 99).toFixed(3), Math.max(...xs).toFixed(3)];
  printTable(
    'Host-added latency, ending when the frame is written to the socket (one board on a local WebSocket, emulator in the same process)',
    ['path', 'samples', 'p50 ms', 'p99 ms', 'max ms'],
    [
      row('mic → Live: AUDIO_IN received → its realtimeInput frame written (base64, SDK send)', micMs),
      row("Live → board: a reply's first model audio → its first AUDIO_OUT written", replyStartMs),
    ],
  );
  printTable(
    `Barge-in (${presses} button presses mid-reply)`,
    ['samples', 'BUTTON_DOWN received → FLUSH written p50 ms', 'p99 ms', 'FLUSH written → on the board p50 ms', 'p99 ms', 'board played old reply after FLUSH (max ms)', 'old-reply frames the board dropped'],
    [[flushMs.length, pct(flushMs, 50).toFixed(3), pct(flushMs, 99).toFixed(3), pct(flushTransitMs, 50).toFixed(3), pct(flushTransitMs, 99).toFixed(3), Math.max(...playedAfterFlushMs).toFixed(1), device.stats.staleFrames]],
  );
  device.close();
  await bridge.close();
  await server.close();
  await emulator.close();
}

/**
 * A long conversation with bursty replies: the board says its sentence, the whole reply plays,
 * the board speaks again, turn after turn, for `minutes`. It must never run dry, play stale
 * audio, or lose part of a reply (every reply's length is known, so what played is checked).
 */
async function longConversation(turn: Int16Array, minutes: number): Promise<void> {
  const replyMs = (i: number) => 2000 + (i % 5) * 1500;
  const emulator = new LiveEmulator({ persona: 'scenario', scenario: { turns: Array.from({ length: 500 }, (_, i) => ({ say: `reply ${i}`, durationMs: replyMs(i) })) }, realtimeFactor: 8, burstMs: 600 });
  const baseUrl = await emulator.start();
  const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'bench', baseUrl }), log: createLogger({ json: false, write: () => undefined }) });
  const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: { [TOKEN]: 'bench' }, mdns: false, onLink: (link) => void bridge.addLink(link) });
  const url = await server.start();
  const device = new SimulatedDevice({ deviceId: 'long', keepPlayed: false });
  let playedSamples = 0;
  device.on('played', (chunk) => (playedSamples += chunk.length));
  const welcomed = new Promise((r) => device.once('welcome', r));
  await device.connectWebSocket(url, TOKEN);
  await welcomed;
  const end = performance.now() + minutes * 60_000;
  const turnTimeoutMs = 30_000;
  let turns = 0;
  let answered = 0;
  let expectedReplyMs = 0;
  let playedInAnswered = 0;
  const until = async (done: () => boolean, deadline: number) => {
    while (!done() && performance.now() < deadline) await sleep(20);
    return done();
  };
  while (performance.now() < end) {
    device.speak(turn);
    turns++;
    const deadline = performance.now() + turnTimeoutMs;
    if (!(await until(() => device.hostState === AssistantState.SPEAKING, deadline))) continue;
    if (!(await until(() => (device.hostState as number) === AssistantState.LISTENING, deadline))) continue;
    expectedReplyMs += replyMs(answered);
    answered++;
    playedInAnswered = playedSamples;
  }
  const playedS = playedInAnswered / device.speaker.sampleRateHz;
  printTable(
    `A ${minutes}-minute conversation with bursty replies: ${(turn.length / 16000).toFixed(1)} s utterance, then the whole reply (2–8 s) plays, then the next turn (emulator sends at 8× real time in 600 ms bursts)`,
    ['turns', 'answered', 'reply audio played s', 'reply length in the scenario s', 'underruns', 'stale frames', 'overflows'],
    [[turns, answered, playedS.toFixed(1), (expectedReplyMs / 1000).toFixed(1), device.stats.underruns, device.stats.staleFrames, device.stats.overflows]],
  );
  device.close();
  await bridge.close();
  await server.close();
  await emulator.close();
}

function ask(child: ChildProcess, cmd: string): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Record<string, number>));
    child.send({ cmd });
  });
}

/** Many boards on one bridge process; the emulator and the boards run elsewhere. */
async function manyDevices(turn: Int16Array): Promise<void> {
  const emulatorChild = fork(fileURLToPath(new URL('./emulatorProcess.js', import.meta.url)), { stdio: 'inherit' });
  const { url: baseUrl } = (await new Promise((r) => emulatorChild.once('message', r))) as { url: string };
  const steps = [1, 25, 50, 75];
  const bridgeChild = fork(fileURLToPath(new URL('./bridgeProcess.js', import.meta.url)), [baseUrl, TOKEN, String(Math.max(...steps))], { stdio: 'inherit' });
  const { url } = (await new Promise((r) => bridgeChild.once('message', r))) as { url: string };
  const devices: SimulatedDevice[] = [];
  const rows: (string | number)[][] = [];
  let rssOneMb = 0;
  let running = true;
  const converse = async (d: SimulatedDevice, offsetMs: number) => {
    await sleep(offsetMs);
    while (running) {
      d.speak(turn);
      await sleep((turn.length / 16000) * 1000 + 4000);
    }
  };
  for (const target of steps) {
    while (devices.length < target) {
      const d = new SimulatedDevice({ deviceId: `board-${devices.length}`, keepPlayed: false });
      const welcomed = new Promise((r) => d.once('welcome', r));
      await d.connectWebSocket(url, `${TOKEN}-${devices.length}`);
      await Promise.race([welcomed, sleep(10_000).then(() => Promise.reject(new Error(`board-${devices.length} was not welcomed within 10 s`)))]);
      devices.push(d);
      void converse(d, (devices.length * 137) % 3000);
    }
    await sleep(4000);
    const before = devices.map((d) => d.stats.underruns);
    const playedBeforeEach = devices.map((d) => d.stats.framesPlayed);
    const playedBefore = playedBeforeEach.reduce((n, x) => n + x, 0);
    await ask(bridgeChild, 'stats');
    await sleep(15_000);
    const stats = await ask(bridgeChild, 'stats');
    if (target === 1) rssOneMb = stats.rssMb;
    const underruns = devices.reduce((n, d, i) => n + d.stats.underruns - (before[i] ?? 0), 0);
    const played = devices.reduce((n, d) => n + d.stats.framesPlayed, 0) - playedBefore;
    // "Zero underruns" only counts when every board had a reply to play in the window.
    const boardsPlayed = devices.filter((d, i) => d.stats.framesPlayed > (playedBeforeEach[i] ?? 0)).length;
    const clean = underruns === 0 && boardsPlayed === target;
    rows.push([target, stats.cpuPercent.toFixed(0), (stats.cpuPercent / target).toFixed(2), stats.rssMb.toFixed(0), target > 1 ? ((stats.rssMb - rssOneMb) / (target - 1)).toFixed(2) : '—', stats.loopDelayP99Ms.toFixed(1), `${boardsPlayed}/${target}`, played, underruns, clean ? 'yes' : 'no']);
  }
  running = false;
  for (const d of devices) d.close();
  for (const child of [bridgeChild, emulatorChild]) {
    const exited = new Promise((r) => child.once('exit', r));
    child.send({ cmd: 'exit' });
    await exited;
  }
  printTable(
    'Boards on one bridge process over WebSocket (each talks every ~7 s; 15 s window; emulator and boards in other processes)',
    ['boards', 'bridge CPU %', 'CPU % / board', 'RSS MB', 'MB / extra board', 'event-loop p99 ms', 'boards that played', 'frames played', 'underruns', 'every board played, zero underruns'],
    rows,
  );
}

export async function benchBridge(): Promise<void> {
  const turn = await utterance();
  await latencyAndBargeIn(turn);
  await manyDevices(turn);
  await longConversation(turn, 5);
}
