/**
 * Measurements on audio signals: least-squares sine fits (amplitude, phase, THD+N), RMS and
 * SNR. Used by the tests, the benchmarks and the demo's round-trip report.
 */

export type Signal = ArrayLike<number>;

export interface SineFit {
  /** Peak amplitude of the fitted sine, in the signal's units. */
  amplitude: number;
  /** Phase in radians of the fitted `amplitude · sin(2π f t + phase)`. */
  phase: number;
  /** RMS of what is left after removing the sine and DC: harmonics, noise, aliases. */
  residualRms: number;
}

/**
 * Fits `a·sin + b·cos + dc` at `frequencyHz` to `signal[start, end)` by least squares: exact
 * for any window length, unlike a windowed FFT bin.
 */
export function fitSine(signal: Signal, sampleRateHz: number, frequencyHz: number, start = 0, end = signal.length): SineFit {
  const w = (2 * Math.PI * frequencyHz) / sampleRateHz;
  // Normal equations for [sin, cos, 1].
  let ss = 0, sc = 0, s1 = 0, cc = 0, c1 = 0, n = 0, ys = 0, yc = 0, y1 = 0;
  for (let i = start; i < end; i++) {
    const s = Math.sin(w * i);
    const c = Math.cos(w * i);
    const y = signal[i];
    ss += s * s; sc += s * c; s1 += s; cc += c * c; c1 += c; n += 1;
    ys += y * s; yc += y * c; y1 += y;
  }
  const [a, b, dc] = solve3([[ss, sc, s1], [sc, cc, c1], [s1, c1, n]], [ys, yc, y1]);
  let residual = 0;
  for (let i = start; i < end; i++) {
    const e = signal[i] - (a * Math.sin(w * i) + b * Math.cos(w * i) + dc);
    residual += e * e;
  }
  return { amplitude: Math.hypot(a, b), phase: Math.atan2(b, a), residualRms: Math.sqrt(residual / (end - start)) };
}

function solve3(m: number[][], v: number[]): number[] {
  const det = (a: number[][]) =>
    a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  const d = det(m);
  return [0, 1, 2].map((col) => det(m.map((row, r) => row.map((x, c) => (c === col ? v[r] : x)))) / d);
}

/** THD+N of a sine in dB: everything but the fitted sine, relative to the sine. */
export function thdPlusNoiseDb(signal: Signal, sampleRateHz: number, frequencyHz: number, start = 0, end = signal.length): number {
  const fit = fitSine(signal, sampleRateHz, frequencyHz, start, end);
  return 20 * Math.log10(fit.residualRms / (fit.amplitude / Math.SQRT2));
}

export function rms(signal: Signal, start = 0, end = signal.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += signal[i] * signal[i];
  return Math.sqrt(sum / Math.max(1, end - start));
}

export const toDb = (ratio: number) => 20 * Math.log10(ratio);

/** SNR in dB of `actual` against `reference` (same length and alignment). */
export function snrDb(reference: Signal, actual: Signal, start = 0, end = Math.min(reference.length, actual.length)): number {
  let signal = 0;
  let noise = 0;
  for (let i = start; i < end; i++) {
    signal += reference[i] * reference[i];
    noise += (actual[i] - reference[i]) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/** A sine of `frequencyHz` at `amplitude` (peak), `seconds` long. */
export function sine(sampleRateHz: number, frequencyHz: number, seconds: number, amplitude: number): Float32Array {
  const out = new Float32Array(Math.round(sampleRateHz * seconds));
  const w = (2 * Math.PI * frequencyHz) / sampleRateHz;
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin(w * i);
  return out;
}

function correlation(reference: Signal, actual: Signal, lag: number, step = 1): number {
  let sum = 0;
  for (let i = 0; i < reference.length; i += step) {
    const j = i + lag;
    if (j >= 0 && j < actual.length) sum += reference[i] * actual[j];
  }
  return sum;
}

/**
 * How many samples later `actual` carries `reference` (fractional: the cross-correlation peak,
 * refined by a parabola through its neighbours). Searches lags 0 … maxLag.
 */
export function estimateDelay(reference: Signal, actual: Signal, maxLag: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let lag = 0; lag <= maxLag; lag += 2) {
    const score = correlation(reference, actual, lag, 4);
    if (score > bestScore) [best, bestScore] = [lag, score];
  }
  for (let lag = Math.max(0, best - 3); lag <= best + 3; lag++) {
    const score = correlation(reference, actual, lag);
    if (lag === Math.max(0, best - 3) || score > bestScore) [best, bestScore] = [lag, score];
  }
  const [a, b, c] = [best - 1, best, best + 1].map((lag) => correlation(reference, actual, lag));
  const curvature = a - 2 * b + c;
  return best + (curvature < 0 ? (0.5 * (a - c)) / curvature : 0);
}

/** `signal` delayed by `delay` samples (any fraction), by a Kaiser-windowed sinc of 64 taps. */
export function fractionalDelay(signal: Signal, delay: number, length = signal.length + Math.ceil(delay)): Float64Array {
  const out = new Float64Array(length);
  const half = 32;
  for (let n = 0; n < length; n++) {
    const center = n - delay;
    let sum = 0;
    for (let m = Math.ceil(center - half); m <= Math.floor(center + half); m++) {
      if (m < 0 || m >= signal.length) continue;
      const t = center - m;
      const r = t / half;
      const window = 0.5 + 0.5 * Math.cos(Math.PI * r);
      sum += signal[m] * (t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t)) * window;
    }
    out[n] = sum;
  }
  return out;
}

/** SNR of `actual` against `reference` after finding and removing the delay between them. */
export function alignedSnrDb(reference: Signal, actual: Signal, maxLag: number): { snrDb: number; delaySamples: number } {
  const delay = estimateDelay(reference, actual, maxLag);
  const shifted = fractionalDelay(reference, delay);
  const start = Math.ceil(delay) + 32;
  const end = Math.min(actual.length, Math.floor(delay) + reference.length - 32);
  return { snrDb: snrDb(shifted, actual, start, end), delaySamples: delay };
}
