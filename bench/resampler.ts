/**
 * Resampler bench: speed (× real time, 60 s in 20 ms Int16 chunks, one core: the median of
 * repeated full runs, the peers taking turns so that they share the machine's load alike) and
 * quality (flatness, stopband, THD+N, latency), measured the same way for esp-live and its peers.
 */
import { fitSine, rms, sine, thdPlusNoiseDb, toDb } from '../src/audio/measure.js';
import { Resampler } from '../src/audio/resampler.js';
import { concatSamples } from '../src/audio/sampleFormat.js';
import { PEERS, type Peer } from './resamplerPeers.js';
import { cpuTimeMs, median, printTable } from './table.js';

/** Full 60 s runs per streaming peer; peers without a streaming API (whole signal at once) get fewer. */
const RUNS = 15;
const WHOLE_SIGNAL_RUNS = 5;
const SECONDS = 60;

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

/** × real time of each peer on one core: the median CPU time of full runs, one run of each peer per round. */
async function speeds(peers: Peer[], inRateHz: number, outRateHz: number): Promise<Map<Peer, number>> {
  const input = toInt16(sine(inRateHz, 997, SECONDS, 0.5));
  const chunk = inRateHz / 50;
  const once = async (peer: Peer) => {
    const t0 = cpuTimeMs();
    const r = await peer.create(inRateHz, outRateHz);
    if (!peer.streaming) r.process(input);
    else for (let at = 0; at < input.length; at += chunk) r.process(input.subarray(at, at + chunk));
    return cpuTimeMs() - t0;
  };
  const times = new Map<Peer, number[]>(peers.map((p) => [p, []]));
  for (const peer of peers) for (let i = 0; i < 2; i++) await once(peer); // warm-up
  for (let round = 0; round < RUNS; round++) {
    for (const peer of peers) if (peer.streaming || round < WHOLE_SIGNAL_RUNS) times.get(peer)!.push(await once(peer));
  }
  return new Map(peers.map((p) => [p, (SECONDS * 1000) / median(times.get(p)!)]));
}

export async function benchResampler(): Promise<void> {
  const [inRateHz, outRateHz] = [24000, 16000];
  const rows: (string | number)[][] = [];
  const speed = await speeds(PEERS, inRateHz, outRateHz);
  const q10 = speed.get(PEERS.find((p) => p.name === 'speex-wasm q10')!)!;
  const q5 = speed.get(PEERS.find((p) => p.name === 'speex-wasm q5')!)!;
  for (const peer of PEERS) {
    const q = await quality(peer, inRateHz, outRateHz);
    const x = speed.get(peer)!;
    const meets = q.flatnessDb <= 0.1 && q.stopbandDb <= -96 && q.thdnDb <= -94 && q.latencyMs <= 4;
    rows.push([peer.name + (peer.streaming ? '' : ' *'), Math.round(x), (x / q10).toFixed(2) + '×', (x / q5).toFixed(2) + '×', q.flatnessDb.toFixed(3), q.stopbandDb.toFixed(1), q.thdnDb.toFixed(1), Number.isNaN(q.latencyMs) ? 'n/a' : q.latencyMs.toFixed(2), meets ? 'yes' : 'no']);
  }
  printTable(
    `Resampler 24 → 16 kHz: speed on ${SECONDS} s of Int16 in 20 ms chunks, one core, median CPU time of ${RUNS} full runs (${WHOLE_SIGNAL_RUNS} for *), peers taking turns; quality on Int16 (THD+N floor of Int16 ≈ −96 dB; * = no streaming API, whole signal at once)`,
    ['resampler', '× real time', 'vs speex q10', 'vs speex q5', 'flatness dB p-p', 'worst alias dB', 'THD+N dB', 'latency ms', 'meets bar'],
    rows,
  );

  // Our float path across the required pairs, where the bar is beyond Int16's reach.
  const pairRows: (string | number)[][] = [];
  for (const [i, o] of [[24000, 16000], [24000, 8000], [24000, 22050], [48000, 16000], [44100, 16000], [16000, 24000], [24000, 44100], [24000, 48000]]) {
    const f = floatQuality(i, o);
    const x = (await speeds([PEERS[0]], i, o)).get(PEERS[0])!;
    pairRows.push([`${i / 1000} → ${o / 1000} kHz`, f.flatnessDb.toFixed(3), f.stopbandDb.toFixed(1), f.thdnDb.toFixed(1), f.latencyMs.toFixed(2), Math.round(x)]);
  }
  printTable(
    `esp-live resampler, float path (bar: flatness ≤ 0.1, stopband ≤ −96, THD+N ≤ −120, latency ≤ 4 ms, 8 ms for 24 → 8; up-sampling pairs: THD+N ≤ −120)`,
    ['pair', 'flatness dB p-p', 'stopband (up: images) dB', 'THD+N dB', 'latency ms', `× real time (Int16, median CPU time of ${RUNS})`],
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
  // Up-sampling: nothing lies above the input's Nyquist; what the stopband must remove are the
  // images (input rate − f) of in-band tones, so take the worst image level up to 0.9 × Nyquist.
  for (let f = 0.3 * nyquist; outRateHz > inRateHz && f <= 0.9 * nyquist * 1.001; f += 0.1 * nyquist) {
    const out = run(sine(inRateHz, f, 0.3, 0.89));
    stopbandDb = Math.max(stopbandDb, thdPlusNoiseDb(out, outRateHz, f, settle, out.length - settle));
  }
  const tone = run(sine(inRateHz, 997, 0.5, 10 ** (-1 / 20)));
  const thdnDb = thdPlusNoiseDb(tone, outRateHz, 997, settle, tone.length - settle);
  return { flatnessDb: Math.max(...gains) - Math.min(...gains), stopbandDb, thdnDb, latencyMs: new Resampler({ inRateHz, outRateHz }).latencyMs };
}
