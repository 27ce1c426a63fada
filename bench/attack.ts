/**
 * `npm run bench -- attack` (or `node dist/bench/attack.js`): the hostile-network campaign
 * against a real `esp-live` process bound to 127.0.0.1, while a legitimate board holds a
 * conversation through it. Every attack is bounded in count and time and sends traffic to
 * loopback only. For each: did the process survive, did the legitimate board suffer (its
 * underruns, its replies), and the process's RSS before and after.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { encodeMessage } from '../src/protocol/codec.js';
import { PROTOCOL_VERSION, type Hello, type Message } from '../src/protocol/messages.js';
import { printTable } from './table.js';

const BOARD = 'campaign-board-token-0001';
/** Each attack that needs a session has its own token, so one attack's refusals do not hide the next. */
const ATTACKER = ['campaign-attacker-token-01', 'campaign-attacker-token-02', 'campaign-attacker-token-03', 'campaign-attacker-token-04', 'campaign-attacker-token-05'];
const PCM16K = { sampleRateHz: 16000, sampleFormat: 1, channels: 1, codecs: 1 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function hello(deviceId: string, overrides: Partial<Hello> = {}): Message {
  return { type: 'hello', protocolVersion: PROTOCOL_VERSION, features: 0, playbackBufferSamples: 3200, maxMessageBytes: 2048, mic: PCM16K, speaker: PCM16K, toolCount: 0, deviceId, name: deviceId, firmwareVersion: 'x', ...overrides };
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Each attack comes from its own loopback address (127.0.0.2, .3, …), as each attacker would
 * be its own host: a block earned by one does not stand in for the next.
 */
let source = '127.0.0.2';

/** Opens a raw TCP connection to the listener; resolves once connected (or failed). */
function tcp(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: source }, () => resolve(s));
    s.on('error', () => resolve(s));
  });
}

async function ws(url: string, token: string): Promise<WebSocket | undefined> {
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, localAddress: source });
  socket.on('error', () => undefined);
  const ok = await new Promise<boolean>((r) => socket.once('open', () => r(true)).once('error', () => r(false)).once('unexpected-response', () => r(false)));
  return ok ? socket : undefined;
}

const upgrade = (path: string, token?: string) =>
  `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n${token ? `authorization: Bearer ${token}\r\n` : ''}\r\n`;

interface Attack {
  name: string;
  tried: number | string;
  /** What the bridge's log says when it deals with this attack. */
  evidence: RegExp;
  run(url: string, port: number): Promise<void>;
}

const ATTACKS: Attack[] = [
  {
    name: 'TCP reset after a rejected upgrade (401/404)',
    tried: 300,
    evidence: /rejected/,
    async run(_url, port) {
      for (let i = 0; i < 300; i++) {
        const s = await tcp(port);
        s.write(i % 2 ? upgrade('/device', `wrong-${i}-0123456789abcdef`) : upgrade('/nope'));
        setImmediate(() => s.resetAndDestroy());
      }
    },
  },
  {
    name: 'token brute force (wrong tokens as fast as possible)',
    tried: 5000,
    evidence: /rejected/,
    async run(_url, port) {
      const batch = async (from: number) => {
        for (let i = from; i < from + 500; i++) {
          const s = await tcp(port);
          s.end(upgrade('/device', `guess-${i}-0123456789abcdef`));
        }
      };
      await Promise.all(Array.from({ length: 10 }, (_, k) => batch(k * 500)));
    },
  },
  {
    name: 'connection flood (1000 idle TCP connections)',
    tried: 1000,
    evidence: /(?!)/,
    async run(_url, port) {
      const sockets = await Promise.all(Array.from({ length: 1000 }, () => tcp(port)));
      await sleep(1000);
      for (const s of sockets) s.destroy();
    },
  },
  {
    name: 'slowloris (200 requests that never end)',
    tried: 200,
    evidence: /(?!)/,
    async run(_url, port) {
      const sockets = await Promise.all(Array.from({ length: 200 }, () => tcp(port)));
      for (const s of sockets) s.write('GET /device HTTP/1.1\r\nhost: x\r\n');
      await sleep(2000);
      for (const s of sockets) s.destroy();
    },
  },
  {
    name: "hijack: another token claims the board's deviceId",
    tried: 20,
    evidence: /belongs to another token/,
    async run(url) {
      for (let i = 0; i < 20; i++) {
        const s = await ws(url, ATTACKER[0]);
        s?.send(encodeMessage(hello('legit-board')));
        await sleep(50);
        s?.terminate();
      }
    },
  },
  {
    name: 'session exhaustion: one token, 150 deviceIds',
    tried: 150,
    evidence: /maxSessions|more connections than it may hold/,
    async run(url) {
      const sockets = await Promise.all(Array.from({ length: 150 }, () => ws(url, ATTACKER[1])));
      sockets.forEach((s, i) => s?.send(encodeMessage(hello(`fake-${i}`))));
      await sleep(1500);
      for (const s of sockets) s?.terminate();
    },
  },
  {
    name: 'impossible HELLO (mic 0 Hz, speaker 4294967295 Hz)',
    tried: 40,
    evidence: /could not start|unsupported|UNSUPPORTED|refus/i,
    async run(url) {
      for (let i = 0; i < 40; i++) {
        const s = await ws(url, ATTACKER[2]);
        s?.send(encodeMessage(hello(`odd-${i}`, { mic: { ...PCM16K, sampleRateHz: 0 }, speaker: { ...PCM16K, sampleRateHz: 4294967295 } })));
        await sleep(20);
        s?.terminate();
      }
    },
  },
  {
    name: 'garbage: text frames, undecodable and oversize binary frames',
    tried: 3000,
    evidence: /Max payload|went away/,
    async run(url) {
      const s = await ws(url, ATTACKER[3]);
      for (let i = 0; i < 1000 && s; i++) {
        s.send('{"not":"binary"}');
        s.send(Buffer.from([0x99, 1, 2, 3]));
        if (i % 100 === 0) s.send(Buffer.alloc(4096, 0x11)); // over the 2 KiB limit: the socket is closed
      }
      await sleep(300);
      s?.terminate();
    },
  },
  {
    name: 'log injection (newlines, ANSI escapes, bidi overrides)',
    tried: 50,
    evidence: /GEMINI_API_KEY/,
    async run(url) {
      const s = await ws(url, ATTACKER[4]);
      s?.send(encodeMessage(hello('inject', { name: 'x\nERROR: [kitchen] GEMINI_API_KEY was rejected' })));
      await sleep(300);
      for (let i = 0; i < 50; i++) s?.send(encodeMessage({ type: 'log', level: 3, text: `\nERROR: [kitchen] GEMINI_API_KEY was rejected\x1b[2J\u202e${i}` }));
      await sleep(300);
      s?.terminate();
    },
  },
  {
    name: 'mic flood (unpaced AUDIO_IN for 10 s)',
    tried: '10 s',
    evidence: /faster than real time/,
    async run(url) {
      const s = await ws(url, ATTACKER[0]);
      if (!s) return;
      s.send(encodeMessage(hello('flooder')));
      await sleep(500);
      const frame = Buffer.alloc(640, 0x21);
      const end = performance.now() + 10_000;
      let seq = 0;
      while (performance.now() < end) {
        while (s.bufferedAmount < 4 << 20) s.send(encodeMessage({ type: 'audioIn', seq: seq++, captureTimeUs: 0, payload: frame }));
        await new Promise((r) => setImmediate(r));
      }
      s.terminate();
    },
  },
];

export async function benchAttack(): Promise<void> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'esp-live-attack-'));
  writeFileSync(
    join(dir, 'esp-live.json'),
    JSON.stringify({ websocket: { host: '127.0.0.1', port: 0, mdns: false, tokens: { [BOARD]: 'kitchen', ...Object.fromEntries(ATTACKER.map((t, i) => [t, `attacker-${i + 1}`])) } } }),
  );
  const child = spawn(process.execPath, [join(root, 'dist/src/cli.js'), '--no-serial'], { cwd: dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  child.on('error', (e) => (log += `spawn: ${e.message}`));
  for (let i = 0; i < 150 && !/ws:\/\/127\.0\.0\.1:\d+\/device/.test(log); i++) await sleep(100);
  const url = /(ws:\/\/127\.0\.0\.1:\d+\/device)/.exec(log)?.[1];
  if (!url) throw new Error(`the bridge did not start:\n${log}`);
  const port = Number(new URL(url).port);

  // The legitimate board, in its own process, talks all through the campaign: a sentence at
  // the start of every attack, whose reply must come while the attack runs.
  const board = fork(join(root, 'dist/bench/attackBoard.js'), [url, BOARD], { stdio: 'ignore' });
  board.on('error', (e) => (log += `board: ${e.message}`));
  const replies: { latencyMs?: number; underruns: number }[] = [];
  let ready = false;
  board.on('message', (m: { ready?: boolean; latencyMs?: number; underruns: number }) => (m.ready ? (ready = true) : replies.push(m)));
  for (let i = 0; i < 100 && !ready; i++) await sleep(100);
  const converse = async () => {
    const n = replies.length;
    board.send({ cmd: 'converse' });
    while (replies.length === n) await sleep(20);
    return replies[n];
  };
  const warmMs = (await converse()).latencyMs;
  const idleRss = rssMb(child.pid!);

  const rows: (string | number)[][] = [];
  let crashed = 0;
  let degraded = 0;
  let underruns = 0;
  for (const [i, attack] of ATTACKS.entries()) {
    if (!alive(child)) break;
    source = `127.0.0.${i + 2}`;
    const before = { rss: rssMb(child.pid!), underruns, logAt: log.length };
    const [reply] = await Promise.all([converse(), attack.run(url, port)]);
    const latency = reply.latencyMs;
    underruns = reply.underruns;
    const up = alive(child);
    const hurt = underruns > before.underruns || latency === undefined || latency > 3 * (warmMs ?? 1000);
    crashed += up ? 0 : 1;
    degraded += up && hurt ? 1 : 0;
    const answered = log.slice(before.logAt).split('\n').filter((l) => attack.evidence.test(l)).length;
    rows.push([attack.name, attack.tried, answered, up ? 'yes' : 'NO', !up ? 'crashed' : hurt ? 'degraded' : 'no', underruns - before.underruns, latency === undefined ? 'none' : latency.toFixed(0), before.rss.toFixed(0), up ? rssMb(child.pid!).toFixed(0) : '-']);
  }
  const finalRss = alive(child) ? rssMb(child.pid!) : NaN;
  const forged = log.split('\n').filter((l) => l.startsWith('ERROR: [kitchen] GEMINI_API_KEY')).length;
  const attackLines = log.split('\n').filter((l) => /rejected/.test(l)).length;
  board.send({ cmd: 'exit' });
  if (alive(child)) child.kill('SIGTERM');
  await new Promise((r) => (alive(child) ? child.once('exit', r) : r(undefined)));

  if (process.env.ATTACK_LOG) process.stdout.write(log);
  printTable('Hostile-network campaign against one esp-live process on 127.0.0.1 (a legitimate board talking throughout)', ['attack', 'tried', 'log lines about it', 'survived', 'board hurt', 'board underruns', 'reply after speech ms', 'RSS before MB', 'RSS after MB'], rows);
  process.stdout.write(
    `\n${ATTACKS.length} attacks: ${rows.length - crashed} survived, ${degraded} degraded the legitimate board, ${crashed} crashed the process. ` +
      `The board's reply with no attack came ${warmMs?.toFixed(0)} ms after its speech ended. RSS idle ${idleRss.toFixed(0)} MB, after ${finalRss.toFixed(0)} MB (${(finalRss / idleRss).toFixed(2)}× idle). ` +
      `Forged log lines: ${forged}. Log lines about rejected connections: ${attackLines}.\n`,
  );
  if (crashed || degraded || !(finalRss < 2 * idleRss) || forged) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAttack();
