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
import { AssistantState } from '../src/protocol/messages.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { printTable } from './table.js';

const TOKEN = 'bench-device-token-0123456789';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

async function utterance(): Promise<Int16Array> {
  const words = await synthesizeSpeech('Tell me a story about a lighthouse keeper.', 16000);
  const out = new Int16Array(words.length + 24000);
  out.set(words);
  return out;
}

/** Latency inside the host per frame, and barge-in, with one board, in one process. */
async function latencyAndBargeIn(turn: Int16Array): Promise<void> {
  const emulator = new LiveEmulator({ persona: 'scenario', scenario: { turns: Array.from({ length: 40 }, () => ({ say: 'a reply that goes on for a while', durationMs: 3000 })) }, realtimeFactor: 4 });
  const baseUrl = await emulator.start();
  const micMs: number[] = [];
  const speakerMs: number[] = [];
  let audioAt = 0;
  const bridge = new Bridge({
    live: validateLiveConfig({ apiKey: 'bench', baseUrl }),
    log: createLogger({ json: false, write: () => undefined }),
    createLive: (config) => {
      const live = new LiveSession({ config });
      live.on('audio', () => (audioAt = performance.now())); // before the agent's listener
      const send = live.sendAudio.bind(live);
      live.sendAudio = (samples) => {
        if (micAt) micMs.push(performance.now() - micAt);
        micAt = 0;
        send(samples);
      };
      return live;
    },
  });
  let micAt = 0;
  const server = new DeviceServer({
    host: '127.0.0.1',
    port: 0,
    tokens: { [TOKEN]: 'bench' },
    mdns: false,
    onLink: (link) => {
      link.on('message', (m) => m.type === 'audioIn' && (micAt = performance.now())); // before the connection's listener
      void bridge.addLink(link).then((agent) => agent?.live.on('audio', () => speakerMs.push(performance.now() - audioAt)));
    },
  });
  const url = await server.start();
  const device = new SimulatedDevice({ deviceId: 'latency' });
  const welcomed = new Promise((r) => device.once('welcome', r));
  await device.connectWebSocket(url, TOKEN);
  await welcomed;
  const flushMs: number[] = [];
  const silentAfterMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    device.speak(turn);
    while (device.hostState !== AssistantState.SPEAKING) await sleep(10);
    await sleep(400);
    // Barge in with the button; measure the host's flush time and how long the board kept playing.
    let flushedAt = 0;
    let lastPlayedAfter = 0;
    const onFlush = () => (flushedAt = performance.now());
    const onPlayed = () => flushedAt && (lastPlayedAfter = performance.now() - flushedAt);
    device.on('flush', onFlush);
    device.on('played', onPlayed);
    device.press();
    device.release();
    while (!flushedAt) await sleep(1);
    await sleep(300);
    device.off('flush', onFlush);
    device.off('played', onPlayed);
    flushMs.push([...bridge.agents.values()][0].stats.lastFlushMs);
    silentAfterMs.push(lastPlayedAfter);
    while ((device.hostState as number) !== AssistantState.LISTENING) await sleep(10);
  }
  printTable(
    'Host-added latency per 20 ms frame (one board on a local WebSocket; time inside the bridge process)',
    ['path', 'frames', 'p50 ms', 'p99 ms', 'max ms'],
    [
      ['mic → Live (AUDIO_IN received → sendRealtimeInput)', micMs.length, pct(micMs, 50).toFixed(3), pct(micMs, 99).toFixed(3), Math.max(...micMs).toFixed(3)],
      ['Live → board (model audio → AUDIO_OUT written)', speakerMs.length, pct(speakerMs, 50).toFixed(3), pct(speakerMs, 99).toFixed(3), Math.max(...speakerMs).toFixed(3)],
    ],
  );
  printTable(
    'Barge-in (10 button presses mid-reply)',
    ['interruption → FLUSH written p50 ms', 'p99 ms', 'board played after FLUSH arrived (max ms)', 'old-reply frames the board dropped'],
    [[pct(flushMs, 50).toFixed(3), pct(flushMs, 99).toFixed(3), Math.max(...silentAfterMs).toFixed(1), device.stats.staleFrames]],
  );
  device.close();
  await bridge.close();
  await server.close();
  await emulator.close();
}

/** A long conversation with bursty replies: the board must never run dry or play stale audio. */
async function longConversation(turn: Int16Array, minutes: number): Promise<void> {
  const emulator = new LiveEmulator({ persona: 'scenario', scenario: { turns: Array.from({ length: 500 }, (_, i) => ({ say: `reply ${i}`, durationMs: 2000 + (i % 5) * 1500 })) }, realtimeFactor: 8, burstMs: 600 });
  const baseUrl = await emulator.start();
  const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'bench', baseUrl }), log: createLogger({ json: false, write: () => undefined }) });
  const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: { [TOKEN]: 'bench' }, mdns: false, onLink: (link) => void bridge.addLink(link) });
  const url = await server.start();
  const device = new SimulatedDevice({ deviceId: 'long', keepPlayed: false });
  const welcomed = new Promise((r) => device.once('welcome', r));
  await device.connectWebSocket(url, TOKEN);
  await welcomed;
  const end = performance.now() + minutes * 60_000;
  let turns = 0;
  while (performance.now() < end) {
    device.speak(turn);
    while (device.hostState !== AssistantState.SPEAKING && performance.now() < end) await sleep(20);
    while ((device.hostState as number) !== AssistantState.LISTENING && performance.now() < end) await sleep(20);
    turns++;
  }
  printTable(
    `A ${minutes}-minute conversation with bursty replies (emulator sends at 8× real time in 600 ms bursts)`,
    ['turns', 'frames played', 'underruns', 'stale frames', 'overflows'],
    [[turns, device.stats.framesPlayed, device.stats.underruns, device.stats.staleFrames, device.stats.overflows]],
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
  const bridgeChild = fork(fileURLToPath(new URL('./bridgeProcess.js', import.meta.url)), [baseUrl, TOKEN], { stdio: 'inherit' });
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
  for (const target of [1, 25, 50, 75]) {
    while (devices.length < target) {
      const d = new SimulatedDevice({ deviceId: `board-${devices.length}`, keepPlayed: false });
      const welcomed = new Promise((r) => d.once('welcome', r));
      await d.connectWebSocket(url, TOKEN);
      await welcomed;
      devices.push(d);
      void converse(d, (devices.length * 137) % 3000);
    }
    await sleep(4000);
    const before = devices.map((d) => d.stats.underruns);
    const playedBefore = devices.reduce((n, d) => n + d.stats.framesPlayed, 0);
    await ask(bridgeChild, 'stats');
    await sleep(15_000);
    const stats = await ask(bridgeChild, 'stats');
    if (target === 1) rssOneMb = stats.rssMb;
    const underruns = devices.reduce((n, d, i) => n + d.stats.underruns - (before[i] ?? 0), 0);
    const played = devices.reduce((n, d) => n + d.stats.framesPlayed, 0) - playedBefore;
    rows.push([target, stats.cpuPercent.toFixed(0), (stats.cpuPercent / target).toFixed(2), stats.rssMb.toFixed(0), target > 1 ? ((stats.rssMb - rssOneMb) / (target - 1)).toFixed(2) : '—', stats.loopDelayP99Ms.toFixed(1), played, underruns, underruns === 0 ? 'yes' : 'no']);
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
    ['boards', 'bridge CPU %', 'CPU % / board', 'RSS MB', 'MB / extra board', 'event-loop p99 ms', 'frames played', 'underruns', 'zero underruns'],
    rows,
  );
}

export async function benchBridge(): Promise<void> {
  const turn = await utterance();
  await latencyAndBargeIn(turn);
  await manyDevices(turn);
  await longConversation(turn, 5);
}
