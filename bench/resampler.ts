/**
 * Resampler bench: speed (× real time, 60 s in 20 ms Int16 chunks, one core) and quality
 * (flatness, stopband, THD+N, latency), measured the same way for esp-live and its peers.
 */
import { fitSine, rms, sine, thdPlusNoiseDb, toDb } from '../src/audio/measure.js';
import { Resampler } from '../src/audio/resampler.js';
import { concatSamples } from '../src/audio/sampleFormat.js';
import { PEERS, type Peer } from './resamplerPeers.js';
import { bestTimeMs, printTable } from './table.js';

const toInt16 = (x: Float32Array) => Int16Array.from(x, (v) => Math.round(v * 32767));

async function runAll(peer: Peer, inRateHz: number, outRateHz: number, input: Int16Array): Promise<Int16Array> {
  const r = await peer.create(inRateHz, outRateHz);
  if (!peer.streaming) return Int16Array.from(r.process(input));
  const chunk = inRateHz / 50;
  const parts: Int16Array[] = [];
  for (let at = 0; at < input.length; at += chunk) parts.push(Int16Array.from(r.process(input.subarray(at, at + chunk))));
  return concatSamples(parts);
}

interface Quality {
  flatnessDb: number;
  stopbandDb: number;
  thdnDb: number;
  latencyMs: number;
}

async function quality(peer: Peer, inRateHz: number, outRateHz: number): Promise<Quality> {
  const nyquist = Math.min(inRateHz, outRateHz) / 2;
  const settle = Math.ceil(0.03 * outRateHz);
  const gains: number[] = [];
  for (let f = 100; f <= 0.9 * nyquist * 1.001; f = f * 1.25 > 0.9 * nyquist && f < 0.9 * nyquist ? 0.9 * nyquist : f * 1.25) {
    const out = await runAll(peer, inRateHz, outRateHz, toInt16(sine(inRateHz, f, 0.3, 0.5)));
    gains.push(toDb(fitSine(out, outRateHz, f, settle, out.length - settle).amplitude / (0.5 * 32767)));
  }
  // The level of the alias a tone above Nyquist leaves, fitted at the alias frequency so that
  // the Int16 rounding noise (−101 dBFS) does not mask it.
  let stopbandDb = -Infinity;
  for (let f = nyquist; f < inRateHz / 2 - 50; f += f < 1.1 * nyquist ? nyquist / 100 : (inRateHz / 2 - nyquist) / 20) {
    const out = await runAll(peer, inRateHz, outRateHz, toInt16(sine(inRateHz, f, 0.3, 0.89)));
    const folded = f % outRateHz;
    const alias = folded > outRateHz / 2 ? outRateHz - folded : folded;
    if (alias < 20 || alias > outRateHz / 2 - 20) continue; // a sine fit needs a real frequency
    stopbandDb = Math.max(stopbandDb, toDb(fitSine(out, outRateHz, alias, settle, out.length - settle).amplitude / (0.89 * 32767)));
  }
  const tone = await runAll(peer, inRateHz, outRateHz, toInt16(sine(inRateHz, 997, 0.5, 10 ** (-1 / 20))));
  const thdnDb = thdPlusNoiseDb(tone, outRateHz, 997, settle, tone.length - settle);
  // Latency = the phase lag of a 50 Hz tone plus the input still held back at the end.
  const input = toInt16(sine(inRateHz, 50, 0.5, 0.5));
  const low = await runAll(peer, inRateHz, outRateHz, input);
  const lag = -fitSine(low, outRateHz, 50, settle, low.length).phase / (2 * Math.PI * 50);
  const heldBackMs = (input.length / inRateHz - low.length / outRateHz) * 1000;
  const lagMs = ((((lag * 50) % 1) + 1) % 1) * 20;
  const latencyMs = peer.streaming ? (lagMs > 19 ? lagMs - 20 : lagMs) + heldBackMs : NaN;
  return { flatnessDb: Math.max(...gains) - Math.min(...gains), stopbandDb, thdnDb, latencyMs };
}

async function speed(peer: Peer, inRateHz: number, outRateHz: number): Promise<number> {
  const seconds = 60;
  const input = toInt16(sine(inRateHz, 997, seconds, 0.5));
  const chunk = inRateHz / 50;
  const ms = await bestTimeMs(async () => {
    const r = await peer.create(inRateHz, outRateHz);
    if (!peer.streaming) {
      r.process(input);
      return;
    }
    for (let at = 0; at < input.length; at += chunk) r.process(input.subarray(at, at + chunk));
  }, peer.streaming ? 2000 : 1);
  return (seconds * 1000) / ms;
}

export async function benchResampler(): Promise<void> {
  const [inRateHz, outRateHz] = [24000, 16000];
  const rows: (string | number)[][] = [];
  const speeds = new Map<string, number>();
  for (const peer of PEERS) {
    const q = await quality(peer, inRateHz, outRateHz);
    const x = await speed(peer, inRateHz, outRateHz);
    speeds.set(peer.name, x);
    const meets = q.flatnessDb <= 0.1 && q.stopbandDb <= -96 && q.thdnDb <= -94 && q.latencyMs <= 4;
    rows.push([peer.name + (peer.streaming ? '' : ' *'), Math.round(x), q.flatnessDb.toFixed(3), q.stopbandDb.toFixed(1), q.thdnDb.toFixed(1), Number.isNaN(q.latencyMs) ? 'n/a' : q.latencyMs.toFixed(2), meets ? 'yes' : 'no']);
  }
  const base = speeds.get('speex-wasm q10')!;
  for (const row of rows) row.splice(2, 0, (speeds.get(String(row[0]).replace(' *', ''))! / base).toFixed(2) + '×');
  printTable(
    'Resampler 24 → 16 kHz: speed on 60 s of Int16 in 20 ms chunks, one core; quality on Int16 (THD+N floor of Int16 ≈ −96 dB; * = no streaming API, whole signal at once)',
    ['resampler', '× real time', 'vs speex q10', 'flatness dB p-p', 'worst alias dB', 'THD+N dB', 'latency ms', 'meets bar'],
    rows,
  );

  // Our float path across the required pairs, where the bar is beyond Int16's reach.
  const pairRows: (string | number)[][] = [];
  for (const [i, o] of [[24000, 16000], [24000, 8000], [24000, 22050], [48000, 16000], [44100, 16000]]) {
    const f = floatQuality(i, o);
    pairRows.push([`${i / 1000} → ${o / 1000} kHz`, f.flatnessDb.toFixed(3), f.stopbandDb.toFixed(1), f.thdnDb.toFixed(1), f.latencyMs.toFixed(2), Math.round(await speed(PEERS[0], i, o))]);
  }
  printTable(
    'esp-live resampler, float path (bar: flatness ≤ 0.1, stopband ≤ −96, THD+N ≤ −120, latency ≤ 4 ms, 8 ms for 24 → 8)',
    ['pair', 'flatness dB p-p', 'stopband dB', 'THD+N dB', 'latency ms', '× real time (Int16)'],
    pairRows,
  );
}

function floatQuality(inRateHz: number, outRateHz: number): { flatnessDb: number; stopbandDb: number; thdnDb: number; latencyMs: number } {
  const run = (x: Float32Array) => new Resampler({ inRateHz, outRateHz }).process(x);
  const nyquist = Math.min(inRateHz, outRateHz) / 2;
  const settle = Math.ceil(0.03 * outRateHz);
  const gains: number[] = [];
  for (let f = 100; f < 0.9 * nyquist; f *= 1.1) {
    const out = run(sine(inRateHz, f, 0.3, 0.5));
    gains.push(toDb(fitSine(out, outRateHz, f, settle, out.length - settle).amplitude / 0.5));
  }
  const edge = run(sine(inRateHz, 0.9 * nyquist, 0.3, 0.5));
  gains.push(toDb(fitSine(edge, outRateHz, 0.9 * nyquist, settle, edge.length - settle).amplitude / 0.5));
  let stopbandDb = -Infinity;
  for (let f = nyquist; f < inRateHz / 2; f += f < 1.1 * nyquist ? nyquist / 200 : (inRateHz / 2 - nyquist) / 40) {
    const input = sine(inRateHz, f, 0.3, 0.89);
    const out = run(input);
    stopbandDb = Math.max(stopbandDb, toDb(rms(out, settle, out.length - settle) / rms(input)));
  }
  const tone = run(sine(inRateHz, 997, 0.5, 10 ** (-1 / 20)));
  const thdnDb = thdPlusNoiseDb(tone, outRateHz, 997, settle, tone.length - settle);
  return { flatnessDb: Math.max(...gains) - Math.min(...gains), stopbandDb, thdnDb, latencyMs: new Resampler({ inRateHz, outRateHz }).latencyMs };
}
