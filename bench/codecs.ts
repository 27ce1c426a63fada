/**
 * Device-format bench: the 8-bit DAC path (truncation, rounding, TPDF dither), G.711 and IMA
 * ADPCM quality on speech and a sweep (with sox's IMA encoder beside ours), and throughput.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '../src/audio/g711.js';
import { decodeImaBlock, ImaAdpcmEncoder, imaBlockSamples } from '../src/audio/imaAdpcm.js';
import { fitSine, snrDb } from '../src/audio/measure.js';
import { s16ToU8, U8Ditherer, u8ToS16 } from '../src/audio/sampleFormat.js';
import { synthesizeSpeech } from '../src/audio/speech.js';
import { parseWav, wavS16Samples, writeWavS16 } from '../src/audio/wav.js';
import { medianTimeMs, printTable } from './table.js';

const RUNS = 21;

const RATE = 16000;

function sweep(): Int16Array {
  const out = new Int16Array(RATE * 4);
  for (let i = 0, phase = 0; i < out.length; i++) {
    phase += (2 * Math.PI * (50 * (7600 / 50) ** (i / out.length))) / RATE;
    out[i] = Math.round(16000 * Math.sin(phase));
  }
  return out;
}

function quietTone(): Int16Array {
  return Int16Array.from({ length: RATE }, (_, i) => Math.round(327.68 * Math.sin((2 * Math.PI * 997 * i) / RATE)));
}

/** Harmonics 2–5 of a 997 Hz tone in the error signal, relative to the tone (dB). */
function harmonicsDb(reference: Int16Array, decoded: Int16Array): number {
  const error = Int16Array.from(decoded, (v, i) => v - reference[i]);
  let power = 0;
  for (let h = 2; h <= 5; h++) power += fitSine(error, RATE, 997 * h).amplitude ** 2;
  return 10 * Math.log10(power / fitSine(reference, RATE, 997).amplitude ** 2);
}

const truncateU8 = (x: Int16Array) => Uint8Array.from(x, (v) => (v >> 8) + 128);

function imaRoundTrip(x: Int16Array, perBlock: number): Int16Array {
  const encoder = new ImaAdpcmEncoder();
  const out = new Int16Array(Math.floor(x.length / perBlock) * perBlock);
  for (let at = 0; at + perBlock <= x.length; at += perBlock) decodeImaBlock(encoder.encodeBlock(x.subarray(at, at + perBlock)), out.subarray(at));
  return out;
}

function soxImaRoundTrip(x: Int16Array): Int16Array {
  const dir = mkdtempSync(join(tmpdir(), 'esp-live-bench-'));
  writeFileSync(join(dir, 'in.wav'), writeWavS16(x, RATE));
  execFileSync('sox', ['-D', join(dir, 'in.wav'), '-e', 'ima-adpcm', join(dir, 'ima.wav')]);
  execFileSync('sox', ['-D', join(dir, 'ima.wav'), '-e', 'signed-integer', '-b', '16', join(dir, 'out.wav')]);
  return wavS16Samples(parseWav(readFileSync(join(dir, 'out.wav'))));
}

export async function benchCodecs(): Promise<void> {
  const voice = await synthesizeSpeech('Hello! Please turn on the kitchen light, and tell me tomorrow’s weather in Lisbon.', RATE);
  const sw = sweep();
  const quiet = quietTone();

  const dac = [
    ['truncation', (x: Int16Array) => u8ToS16(truncateU8(x))],
    ['rounding', (x: Int16Array) => u8ToS16(s16ToU8(x))],
    ['TPDF dither', (x: Int16Array) => u8ToS16(new U8Ditherer().convert(x))],
  ] as const;
  printTable(
    '8-bit DAC path (s16 → u8 → s16): SNR, and the distortion a −40 dBFS 997 Hz tone picks up (harmonics 2–5 of the error)',
    ['conversion', 'SNR speech dB', 'SNR sweep dB', '−40 dBFS tone: harmonics dB'],
    dac.map(([name, f]) => [name, snrDb(voice, f(voice)).toFixed(1), snrDb(sw, f(sw)).toFixed(1), harmonicsDb(quiet, f(quiet)).toFixed(1)]),
  );

  const perBlock = imaBlockSamples(164); // 321 samples: one 20 ms protocol frame at 16 kHz
  const codecs = [
    ['G.711 µ-law', (x: Int16Array) => decodeMulaw(encodeMulaw(x)), 8],
    ['G.711 A-law', (x: Int16Array) => decodeAlaw(encodeAlaw(x)), 8],
    ['IMA ADPCM (esp-live, 321-sample blocks)', (x: Int16Array) => imaRoundTrip(x, perBlock), (164 * 8) / perBlock],
    ['IMA ADPCM (sox encoder, 505-sample blocks)', soxImaRoundTrip, (256 * 8) / 505],
  ] as const;
  const rows: (string | number)[][] = [];
  for (const [name, roundTrip, bits] of codecs) {
    const v = roundTrip(voice);
    const s = roundTrip(sw);
    rows.push([name, bits.toFixed(2), ((bits * RATE) / 1000).toFixed(0), snrDb(voice.subarray(0, v.length), v).toFixed(1), snrDb(sw.subarray(0, s.length), s).toFixed(1)]);
  }
  printTable('Codecs at 16 kHz: quality on espeak-ng speech and a 50 Hz–7.6 kHz sweep', ['codec', 'bits/sample', 'kbit/s', 'SNR speech dB', 'SNR sweep dB'], rows);

  const minute = new Int16Array(RATE * 60);
  for (let i = 0; i < minute.length; i++) minute[i] = voice[i % voice.length];
  const mu = encodeMulaw(minute);
  const al = encodeAlaw(minute);
  const imaBlocks: Uint8Array[] = [];
  const enc = new ImaAdpcmEncoder();
  for (let at = 0; at + perBlock <= minute.length; at += perBlock) imaBlocks.push(enc.encodeBlock(minute.subarray(at, at + perBlock)));
  const scratch = new Int16Array(perBlock);
  const work = [
    ['µ-law encode', () => encodeMulaw(minute, mu)],
    ['µ-law decode', () => decodeMulaw(mu, minute)],
    ['A-law encode', () => encodeAlaw(minute, al)],
    ['A-law decode', () => decodeAlaw(al, minute)],
    ['IMA ADPCM encode', () => {
      const e = new ImaAdpcmEncoder();
      for (let at = 0; at + perBlock <= minute.length; at += perBlock) e.encodeBlock(minute.subarray(at, at + perBlock));
    }],
    ['IMA ADPCM decode', () => {
      for (const b of imaBlocks) decodeImaBlock(b, scratch);
    }],
  ] as const;
  const speedRows: (string | number)[][] = [];
  for (const [name, f] of work) {
    const ms = await medianTimeMs(f, RUNS);
    speedRows.push([name, Math.round(60000 / ms), ((minute.length * 2) / 1e6 / (ms / 1000)).toFixed(0)]);
  }
  printTable(`Codec throughput: 60 s of 16 kHz speech, one core; median CPU time of ${RUNS} full runs`, ['operation', '× real time', 'MB/s of s16'], speedRows);
}
