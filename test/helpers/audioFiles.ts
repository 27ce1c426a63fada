/** Test audio made on the spot (espeak-ng, sox) in a temporary folder, never committed. */
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

/** Speech by espeak-ng, resampled by sox to `sampleRateHz` mono s16. */
export function speech(text: string, sampleRateHz: number): Int16Array {
  const raw = join(tmp, `speech-${Math.random().toString(36).slice(2)}.wav`);
  const out = raw.replace('.wav', `-${sampleRateHz}.wav`);
  execFileSync('espeak-ng', ['-w', raw, text], { stdio: 'ignore' });
  sox('-D', raw, '-r', String(sampleRateHz), '-c', '1', '-b', '16', '-e', 'signed-integer', out);
  return wavS16Samples(parseWav(readFileSync(out)));
}

export function writeTmp(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}
