/** Test audio made on the spot (sox) in a temporary folder, never committed. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav, wavS16Samples } from '../../src/audio/wav.js';

export const tmp = mkdtempSync(join(tmpdir(), 'esp-live-test-'));

export function sox(...args: string[]): void {
  execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Reads any WAV through sox as 16-bit mono PCM at its own rate. */
export function soxDecodeToS16(path: string): Int16Array {
  const out = join(tmp, `decoded-${Math.random().toString(36).slice(2)}.wav`);
  sox(path, '-e', 'signed-integer', '-b', '16', out);
  return wavS16Samples(parseWav(readFileSync(out)));
}

export function writeTmp(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}
