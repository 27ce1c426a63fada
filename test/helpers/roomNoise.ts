/**
 * Room backgrounds made on the spot from a seeded PRNG (nothing recorded, nothing committed):
 * white, pink, a fan, music-like chords. Each returns `length` samples at about unit RMS.
 * (A TV-like second voice is espeak-ng speech: see speechGateEval.ts.)
 */

import { seededRandom } from '../../src/emulator/behaviour.js';

export { seededRandom };

/** Standard normal samples (Box–Muller). */
export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function normalize(x: Float32Array): Float32Array {
  let sum = 0;
  for (const v of x) sum += v * v;
  const scale = 1 / Math.sqrt(sum / x.length || 1);
  for (let i = 0; i < x.length; i++) x[i] *= scale;
  return x;
}

export function whiteNoise(length: number, seed: number): Float32Array {
  const g = gaussian(seededRandom(seed));
  return normalize(Float32Array.from({ length }, g));
}

/** Pink (−3 dB/octave) noise: Paul Kellet's filter on white noise. */
export function pinkNoise(length: number, seed: number): Float32Array {
  const g = gaussian(seededRandom(seed));
  const out = new Float32Array(length);
  let b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0;
  for (let i = 0; i < length; i++) {
    const w = g();
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
    b6 = w * 0.115926;
  }
  return normalize(out);
}

/**
 * A fan: brown (−6 dB/octave) noise, low-passed at about 500 Hz, with a slow wobble of its
 * amplitude (±3 dB at 0.3 Hz, as blades beat against the room) and a little broadband hiss.
 */
export function fanNoise(length: number, seed: number, sampleRateHz: number): Float32Array {
  const g = gaussian(seededRandom(seed));
  const out = new Float32Array(length);
  const lowPass = Math.exp((-2 * Math.PI * 500) / sampleRateHz);
  let brown = 0;
  let low = 0;
  for (let i = 0; i < length; i++) {
    const w = g();
    brown = 0.998 * brown + 0.05 * w;
    low = lowPass * low + (1 - lowPass) * brown;
    const wobble = 10 ** ((3 * Math.sin((2 * Math.PI * 0.3 * i) / sampleRateHz)) / 20);
    out[i] = wobble * (low + 0.004 * w);
  }
  return normalize(out);
}

/**
 * Music-like tones: chords of three or four notes (each with six decaying harmonics and a soft
 * attack) over a bass note, changing every 0.5–1.2 s to random chords of a major scale.
 */
export function musicTones(length: number, seed: number, sampleRateHz: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(length);
  // One period of a note: six harmonics falling as 1/h (the highest note's stay below 8 kHz).
  const table = Float32Array.from({ length: 4096 }, (_, i) => {
    let v = 0;
    for (let h = 1; h <= 6; h++) v += Math.sin((2 * Math.PI * h * i) / 4096) / h;
    return v;
  });
  const scale = [0, 2, 4, 5, 7, 9, 11];
  const noteHz = (degree: number) => 220 * 2 ** ((Math.floor(degree / 7) * 12 + scale[((degree % 7) + 7) % 7]) / 12);
  for (let start = 0; start < length; ) {
    const span = Math.round((0.5 + 0.7 * random()) * sampleRateHz);
    const root = Math.floor(random() * 7);
    const chord = [root, root + 2, root + 4, ...(random() < 0.5 ? [root + 6] : [])].map(noteHz);
    chord.push(noteHz(root - 7) / 2); // the bass, two octaves below the root
    const end = Math.min(length, start + span);
    for (const hz of chord) {
      const step = (hz * table.length) / sampleRateHz;
      let phase = random() * table.length;
      for (let i = start; i < end; i++) {
        const t = (i - start) / sampleRateHz;
        const envelope = Math.min(1, t / 0.02) * (0.6 + 0.4 * Math.exp(-t / 0.15)) * Math.min(1, (end - i) / (0.01 * sampleRateHz));
        out[i] += envelope * table[Math.floor(phase) % table.length];
        phase += step;
      }
    }
    start = end;
  }
  return normalize(out);
}
