/**
 * The firmware's application compiled for Linux (firmware/host, sanitizers on) as a board on
 * one end of a pty pair: a test speaks into it from a WAV file, presses its button, reads the
 * events it prints and the WAV file its speaker wrote. Built once per test run by make, which
 * rebuilds only when a C source changed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWav, wavS16Samples, writeWavS16 } from '../../src/audio/wav.js';

const hostDir = fileURLToPath(new URL('../../firmware/host', import.meta.url));
export const C_BOARD_BINARY = fileURLToPath(new URL('../../firmware/build/host/esp-live-board', import.meta.url));

export function buildCBoard(): void {
  try {
    execFileSync('make', ['-s', '-C', hostDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`building the C board failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

export interface CBoardOptions {
  /** One end of a pty pair; or none, for a board on Wi-Fi only. */
  serialPath?: string;
  /** The bridge's WebSocket URL and this board's token. */
  webSocket?: { url: string; token: string };
  baud?: number;
  bufferSamples?: number;
  maxMessageBytes?: number;
  micCodecs?: number;
  speakerCodecs?: number;
  deviceId?: string;
}

/** link_state: el_link_state_t (0 link down, 1 awaiting WELCOME, 2 session, 3 refused). */
export type CBoardStats = Record<'link_state' | 'played' | 'released' | 'underruns' | 'overflows' | 'stale' | 'buffered' | 'messages' | 'bad_crc' | 'malformed' | 'oversize' | 'unknown' | 'tx_dropped', number>;

export class CBoard {
  /** Every event line the board printed, in order. */
  readonly events: string[] = [];
  readonly stderr: string[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'esp-live-cboard-'));
  private readonly speakerPath = join(this.dir, 'speaker.wav');
  private readonly child: ChildProcess;
  private readonly waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  private exited: Promise<void>;
  private utterances = 0;

  constructor(options: CBoardOptions) {
    const args = ['--speaker-wav', this.speakerPath, '--device-id', options.deviceId ?? 'c-board'];
    if (options.serialPath) args.push('--serial', options.serialPath);
    if (options.webSocket) args.push('--ws', options.webSocket.url, '--token', options.webSocket.token);
    if (options.baud !== undefined) args.push('--baud', String(options.baud));
    if (options.bufferSamples !== undefined) args.push('--buffer-samples', String(options.bufferSamples));
    if (options.maxMessageBytes !== undefined) args.push('--max-message-bytes', String(options.maxMessageBytes));
    if (options.micCodecs !== undefined) args.push('--mic-codecs', String(options.micCodecs));
    if (options.speakerCodecs !== undefined) args.push('--speaker-codecs', String(options.speakerCodecs));
    this.child = spawn(C_BOARD_BINARY, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('error', (error) => this.stderr.push(String(error)));
    this.child.stdin!.on('error', () => undefined); // the board may be gone before its stdin is closed
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        this.events.push(line);
        for (const w of this.waiters.splice(0)) {
          if (w.match(line)) w.resolve(line);
          else this.waiters.push(w);
        }
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
  }

  /** The next event line that matches (or one already printed, if `past`). */
  next(pattern: RegExp, timeoutMs = 15_000, past = false): Promise<string> {
    const seen = past ? this.events.find((l) => pattern.test(l)) : undefined;
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`C board: no event ${pattern} within ${timeoutMs} ms; it said:\n${this.events.slice(-30).join('\n')}\n${this.stderr.join('')}`)), timeoutMs);
      this.waiters.push({ match: (l) => pattern.test(l), resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }

  private command(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Plays `samples` (16 kHz s16 mono) into the microphone from now on; resolves when it has been heard. */
  speak(samples: Int16Array, sampleRateHz = 16000): Promise<string> {
    const path = join(this.dir, `mic-${this.utterances++}.wav`);
    writeFileSync(path, writeWavS16(samples, sampleRateHz));
    const done = this.next(/^spoke$/, 60_000);
    this.command(`speak ${path}`);
    return done;
  }

  press(): void {
    this.command('press');
  }

  release(): void {
    this.command('release');
  }

  /** A boot log, a damaged frame and 3000 bytes without a delimiter, on the board's link. */
  noise(): void {
    this.command('noise');
  }

  gpio(pin: number, level: 0 | 1): void {
    this.command(`gpio ${pin} ${level}`);
  }

  async stats(): Promise<CBoardStats> {
    const line = this.next(/^stats /);
    this.command('stats');
    const entries = (await line).slice(6).split(' ').map((kv) => kv.split('=') as [string, string]);
    return Object.fromEntries(entries.map(([k, v]) => [k, Number(v)])) as CBoardStats;
  }

  /** Every sample the speaker took from the playback buffer so far (s16 at the speaker rate). */
  played(): Int16Array {
    return wavS16Samples(parseWav(readFileSync(this.speakerPath)));
  }

  /** Counts the event lines that match. */
  count(pattern: RegExp): number {
    return this.events.filter((l) => pattern.test(l)).length;
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.command('quit');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.exited;
      clearTimeout(timer);
    }
    // AddressSanitizer and UBSan report on stderr and exit non-zero: a C bug fails the test.
    if (this.child.exitCode !== 0) throw new Error(`C board exited with ${this.child.exitCode ?? this.child.signalCode}:\n${this.stderr.join('')}`);
  }
}
