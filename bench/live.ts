/**
 * Live session bench: how long a goAway switch-over holds mic audio back, and how many
 * real-time sessions one emulator process sustains, with its CPU and memory per session.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { synthesizeSpeech } from '../src/audio/speech.js';
import { validateLiveConfig } from '../src/live/config.js';
import { LiveSession } from '../src/live/session.js';
import { LiveEmulator } from '../src/emulator/server.js';
import { printTable } from './table.js';
import { timestampWebSocketWrites } from './wireClock.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function goAwaySwitchOver(): Promise<void> {
  const emulator = new LiveEmulator({ persona: 'tone', connectionLifetimeMs: 1500, goAwayLeadMs: 1000 });
  await emulator.start();
  const session = new LiveSession({ config: validateLiveConfig({ apiKey: 'bench', baseUrl: emulator.baseUrl }) });
  await session.start();
  session.sendText('hello'); // a turn, so the switch-overs resume
  await new Promise<void>((r) => session.once('turnComplete', () => r()));
  const switchMs: number[] = [];
  let goAwayAt = 0;
  let newConnection = false;
  let heldBefore = 0;
  let lastHeldWrittenAt = 0;
  let burst = false;
  let skipped = 0;
  // The switch-over ends when the mic audio held back during it has been written to the new
  // connection: the frames the session sends from its hold (stats.micHeldMs grows as it does).
  const restore = timestampWebSocketWrites((data) => {
    if (!goAwayAt || typeof data !== 'string') return undefined;
    if (data.startsWith('{"setup"')) newConnection = true;
    if (!newConnection || !data.startsWith('{"realtimeInput":{"audio"')) return undefined;
    if (session.stats.micHeldMs === heldBefore) {
      // A live frame on the new connection with nothing held before it: no audio waited.
      if (!burst) {
        skipped++;
        goAwayAt = 0;
      }
      return undefined;
    }
    heldBefore = session.stats.micHeldMs;
    if (!burst) {
      burst = true;
      const at = goAwayAt;
      // The held frames go out in one task; count the switch-over once their writes are reported.
      setTimeout(() => {
        switchMs.push(lastHeldWrittenAt - at);
        burst = false;
        goAwayAt = 0;
      }, 5);
    }
    return (t) => (lastHeldWrittenAt = t);
  });
  session.on('goAway', () => {
    goAwayAt = performance.now();
    newConnection = false;
    heldBefore = session.stats.micHeldMs;
  });
  const chunk = new Int16Array(160);
  const deadline = performance.now() + 60_000;
  while (switchMs.length < 20 && performance.now() < deadline) {
    session.sendAudio(chunk);
    await sleep(10);
  }
  restore();
  session.close();
  await emulator.close();
  printTable(
    `goAway switch-over: goAway received → the mic audio held back meanwhile written to the new connection (mic in 10 ms chunks; ${switchMs.length} switch-overs, ${skipped} more that held nothing back; emulator on loopback)`,
    ['p50 ms', 'p99 ms', 'max ms', 'mic audio held and sent ms', 'mic audio lost ms'],
    [[percentile(switchMs, 50).toFixed(1), percentile(switchMs, 99).toFixed(1), Math.max(...switchMs).toFixed(1), session.stats.micHeldMs, session.stats.micDroppedMs]],
  );
}

function ask(child: ChildProcess, cmd: string): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Record<string, number>));
    child.send({ cmd });
  });
}

async function concurrentSessions(): Promise<void> {
  const child = fork(fileURLToPath(new URL('./emulatorProcess.js', import.meta.url)), { stdio: 'inherit' });
  const { url } = (await new Promise((r) => child.once('message', r))) as { url: string };
  const words = await synthesizeSpeech('Turn on the light in the kitchen please.', 16000);
  const loop = new Int16Array(words.length + 16000); // speech, then a second of silence
  loop.set(words);
  const rows: (string | number)[][] = [];
  const sessions: LiveSession[] = [];
  const replies = new Map<LiveSession, number>();
  let running = true;
  const pump = async (s: LiveSession, offset: number) => {
    // 40 ms chunks in real time, each session at its own point in the loop.
    let at = (offset * 640) % loop.length;
    let next = performance.now();
    while (running) {
      s.sendAudio(loop.subarray(at, at + 640));
      at = at + 640 >= loop.length ? 0 : at + 640;
      next += 40;
      await sleep(Math.max(0, next - performance.now()));
    }
  };
  for (const target of [25, 50, 100, 150]) {
    while (sessions.length < target) {
      const s = new LiveSession({ config: validateLiveConfig({ apiKey: 'bench', baseUrl: url }) });
      s.on('turnComplete', () => replies.set(s, (replies.get(s) ?? 0) + 1));
      await s.start();
      sessions.push(s);
      void pump(s, sessions.length * 7);
    }
    await sleep(3000);
    await ask(child, 'stats'); // start a clean window
    replies.clear();
    const seconds = 12;
    await sleep(seconds * 1000);
    const stats = await ask(child, 'stats');
    const answered = sessions.filter((s) => (replies.get(s) ?? 0) > 0).length;
    const sustained = answered === target && stats.loopDelayP99Ms < 50;
    rows.push([target, stats.cpuPercent.toFixed(0), (stats.cpuPercent / target).toFixed(2), stats.rssMb.toFixed(0), ((stats.rssMb - 60) / target).toFixed(2), stats.loopDelayP99Ms.toFixed(1), `${answered}/${target}`, sustained ? 'yes' : 'no']);
  }
  running = false;
  for (const s of sessions) s.close();
  const exited = new Promise((r) => child.once('exit', r));
  child.send({ cmd: 'exit' });
  await exited;
  printTable(
    'Concurrent real-time sessions on one emulator process (echo persona; each client streams speech in 40 ms chunks and gets its reply back at 24 kHz; 12 s window)',
    ['sessions', 'emulator CPU %', 'CPU % / session', 'RSS MB', '≈ MB / session', 'event-loop p99 ms', 'sessions answered', 'sustained'],
    rows,
  );
}

export async function benchLive(): Promise<void> {
  await goAwaySwitchOver();
  await concurrentSessions();
}
