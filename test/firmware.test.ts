/**
 * The firmware's portable C core: its own tests on the host (ASan + UBSan) and on a 32-bit
 * RISC-V core under QEMU, a bounded libFuzzer run of its frame decoder, and a cross-check that
 * the C core and the TypeScript code encode the same session's frames byte for byte.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Bridge } from '../src/bridge/bridge.js';
import { SerialWatcher } from '../src/device/serialWatcher.js';
import { validateLiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import { AssistantState } from '../src/protocol/messages.js';
import { SerialFrameDecoder } from '../src/protocol/serialFraming.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { until } from './helpers/bridge.js';
import { cleanup, spokenTurn, startEmulator } from './helpers/live.js';
import { PtyPair } from './helpers/pty.js';

const testDir = fileURLToPath(new URL('../firmware/test', import.meta.url));

function make(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('make', ['-s', '-C', testDir, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`make ${args.join(' ')} failed:\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('firmware core (C)', () => {
  // The three builds run side by side (each is one compiler or QEMU process at a time): the
  // file runs alone, so both cores are free. A failure still belongs to its own test.
  const settled = <T>(p: Promise<T>) => (p.catch(() => undefined), p);
  let host: Promise<string>, qemu: Promise<string>, fuzz: Promise<string>;
  beforeAll(() => {
    [host, qemu, fuzz] = [settled(make('host')), settled(make('qemu')), settled(make('fuzz', 'FUZZ_SECONDS=4'))];
  });

  it('passes its tests on the host with AddressSanitizer and UBSan, against PROTOCOL.md', async () => {
    expect(await host).toMatch(/^(\d+) passed, 0 failed$/m);
  }, 120_000); // compiling with the sanitizers is most of it: slow on a loaded machine

  it('passes the same tests cross-compiled for rv32imac (ESP32-C6 ISA) under QEMU', async () => {
    const [, passed] = /(\d+) passed, 0 failed/.exec(await qemu) ?? [];
    expect(Number(passed)).toBeGreaterThan(100);
  }, 120_000);

  it('survives bounded libFuzzer runs of the frame decoder and of the whole board application', async () => {
    const out = await fuzz;
    expect(out).toMatch(/Executed regress\/welcome-bad-frame-ms/); // an input that once crashed it
    expect(out).toMatch(/stat::number_of_executed_units:\s+\d+/);
    expect(out).not.toMatch(/ERROR: AddressSanitizer|SUMMARY: UndefinedBehaviorSanitizer|deadly signal/);
  }, 120_000);
});

describe('cross-implementation check', () => {
  it('the C core re-encodes a recorded TypeScript session byte for byte, and TypeScript reads what C wrote', async () => {
    const replayBuilt = make('replay'); // compiles while the session is recorded
    // Record a real session: a simulated board and the bridge over a pty, tool call and all.
    const emulator = await startEmulator({ persona: 'scenario', scenario: { turns: [{ toolCall: { name: 'set_led', args: { on: true } }, say: 'done', durationMs: 600 }] } });
    const log = createLogger({ json: false, write: () => undefined });
    const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'K', baseUrl: emulator.baseUrl }), log });
    const pty = new PtyPair();
    await pty.plug();
    const recorded = { toHost: [] as Buffer[], fromHost: [] as Buffer[] };
    const board = new SimulatedDevice({ tap: (direction, bytes) => recorded[direction].push(Buffer.from(bytes)) });
    const watcher = new SerialWatcher({ path: pty.host, log, onLink: (link) => void bridge.addLink(link) });
    try {
      await board.connectSerial(pty.device);
      watcher.start();
      board.speak(await spokenTurn());
      await until(() => board.ledOn && board.stats.framesPlayed > 10 && board.hostState === AssistantState.LISTENING, 20_000, 'a full turn');
    } finally {
      board.close();
      watcher.stop();
      await bridge.close();
      await pty.unplug();
      await cleanup();
    }
    await replayBuilt;
    const dir = mkdtempSync(join(tmpdir(), 'esp-live-xcheck-'));
    for (const direction of ['toHost', 'fromHost'] as const) {
      const stream = Buffer.concat(recorded[direction]);
      const input = join(dir, `${direction}.bin`);
      const output = join(dir, `${direction}.c.bin`);
      writeFileSync(input, stream);
      const report = execFileSync(join(testDir, '../build/test/replay'), [input, output], { encoding: 'utf8' });
      const fromC = readFileSync(output);
      // TypeScript's frames, without the delimiters that only separate: what C wrote must match them.
      const tsFrames: Buffer[] = [];
      let start = 0;
      for (let i = 0; i < stream.length; i++) {
        if (stream[i] !== 0) continue;
        if (i > start) tsFrames.push(stream.subarray(start, i + 1));
        start = i + 1;
      }
      expect(report).toMatch(new RegExp(`^${tsFrames.length} messages, 0 bad CRC, 0 malformed, 0 oversize, 0 unknown`));
      expect(fromC.equals(Buffer.concat(tsFrames))).toBe(true);
      // And back: TypeScript decodes C's bytes into the same messages as its own.
      const decode = (bytes: Buffer) => {
        const out: unknown[] = [];
        new SerialFrameDecoder((m) => out.push(m)).push(bytes);
        return out;
      };
      expect(decode(fromC)).toEqual(decode(stream));
      expect(tsFrames.length).toBeGreaterThan(direction === 'toHost' ? 100 : 20);
    }
  });
});
