/**
 * Speech evidence per frame: how far the frame stands above the background in the bands where
 * speech lives, in dB.
 *
 * Each frame is windowed (Hann) and transformed (a radix-2 FFT); its power is summed in bands
 * from 200 Hz to 8 kHz. Each band has its own noise floor, the minimum of its smoothed power over
 * the last `floorWindowMs` (minimum statistics, as in level.ts, but per band): a fan or hum that
 * fills the low bands does not hide a voice in the bands above it, and white noise that fills
 * the high bands does not hide the voiced low ones. Each band's excess (dB) is corrected for the
 * minimum's bias (the minimum of a steady noise lies below its typical frame). A background whose
 * level drifts (a fan's wobble) lifts all bands alike, so the rise of the quieter bands, up to a
 * few dB, is taken as drift and subtracted. The evidence is then the mean excess of the four
 * loudest bands: a voice fills a few formant bands, while the flicker of a steady noise rarely
 * lifts four at once.
 *
 * Music lifts bands too. What a held note or chord does not do is change: the meter also reports
 * the frame's `steadiness`, the correlation of its log spectrum (200–4000 Hz) with that of the
 * frame STEADY_LAG_FRAMES before. A held tone scores about 1; a voice, whose pitch and formants
 * move all the time, rarely above 0.9.
 */

/** Band edges in Hz: roughly equal on a Bark-like scale, from above mains hum to 8 kHz. */
const BAND_EDGES_HZ = [200, 400, 600, 800, 1000, 1300, 1700, 2200, 2800, 3500, 4500, 6000, 8000];
/** Smoothing of each band's power before its minimum is taken (per frame). */
const SMOOTHING = 0.7;
/** The minimum is kept over this many sub-windows of the floor window. */
const SUB_WINDOWS = 8;
/** Digital silence: frames below this power (−100 dBFS) neither count nor move the floor. */
const MIN_POWER = 1e-10;
const MAX_EXCESS_DB = 30;
/**
 * How far below a steady noise's typical frame the minimum of its smoothed power lies, per band
 * (measured on white noise: bands of few FFT bins flicker more).
 */
const MINIMUM_BIAS_DB = [2.1, 2.1, 2.1, 2.1, 1.8, 1.7, 1.6, 1.5, 1.2, 1.2, 1.0, 0.8];
/** The evidence is the mean excess of the loudest bands: a voice fills a few formant bands. */
const TOP_BANDS = 4;
/** The rise of the fourth-quietest band is taken as drift. */
const DRIFT_RANK = 3;
/** A room's background drifts by a few dB; a voice lifts all bands by more. */
const MAX_DRIFT_DB = 8;
/** Steadiness compares a frame's spectrum with the one this many frames before (40 ms). */
const STEADY_LAG_FRAMES = 2;
const STEADY_LOW_HZ = 200;
const STEADY_HIGH_HZ = 4000;

export interface BandSnrOptions {
  sampleRateHz: number;
  frameSamples: number;
  /** How long the minimum of each band is kept: longer than the pauses between words. Default 2000 ms. */
  floorWindowMs?: number;
}

export class BandSnrMeter {
  private readonly fftSize: number;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly window: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly bitReverse: Uint32Array;
  /** Band `b` covers FFT bins [bandStart[b], bandStart[b + 1]). */
  private readonly bandStart: Uint32Array;
  private readonly bands: number;
  private readonly smoothed: Float64Array;
  /** Per band: the minimum of each sub-window (ring), and of the current one. */
  private readonly subMinima: Float64Array;
  private readonly currentMin: Float64Array;
  private readonly floor: Float64Array;
  private readonly subWindowFrames: number;
  /** Log power spectra (STEADY bins) of the last frames, a ring: the newest and the one to compare with. */
  private readonly spectra: Float64Array[];
  private readonly steadyBins: [number, number];
  private spectrumAt = 0;
  /** The last frame's steadiness: 1 = the same spectrum as 40 ms before (a held tone). */
  steadiness = 0;
  private framesInSubWindow = 0;
  private subWindowAt = 0;
  private frames = 0;

  constructor(options: BandSnrOptions) {
    const { sampleRateHz, frameSamples } = options;
    this.fftSize = 2 ** Math.ceil(Math.log2(frameSamples));
    const n = this.fftSize;
    this.re = new Float64Array(n);
    this.im = new Float64Array(n);
    this.window = Float64Array.from({ length: frameSamples }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / frameSamples));
    this.cos = Float64Array.from({ length: n / 2 }, (_, i) => Math.cos((2 * Math.PI * i) / n));
    this.sin = Float64Array.from({ length: n / 2 }, (_, i) => -Math.sin((2 * Math.PI * i) / n));
    const bits = Math.log2(n);
    this.bitReverse = Uint32Array.from({ length: n }, (_, i) => {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      return r;
    });
    const edges = BAND_EDGES_HZ.filter((hz) => hz <= sampleRateHz / 2).map((hz) => Math.round((hz * n) / sampleRateHz));
    this.bandStart = Uint32Array.from(edges);
    this.bands = edges.length - 1;
    this.steadyBins = [Math.round((STEADY_LOW_HZ * n) / sampleRateHz), Math.round((Math.min(STEADY_HIGH_HZ, sampleRateHz / 2) * n) / sampleRateHz)];
    this.spectra = Array.from({ length: STEADY_LAG_FRAMES + 1 }, () => new Float64Array(this.steadyBins[1] - this.steadyBins[0]));
    this.smoothed = new Float64Array(this.bands);
    this.subMinima = new Float64Array(this.bands * SUB_WINDOWS).fill(Infinity);
    this.currentMin = new Float64Array(this.bands).fill(Infinity);
    this.floor = new Float64Array(this.bands).fill(Infinity);
    const frameMs = (1000 * frameSamples) / sampleRateHz;
    this.subWindowFrames = Math.max(1, Math.round((options.floorWindowMs ?? 2000) / frameMs / SUB_WINDOWS));
  }

  /** The background level (dBFS) summed over the bands: for logs. */
  get floorDbfs(): number {
    let sum = 0;
    for (let b = 0; b < this.bands; b++) sum += this.floor[b];
    return Number.isFinite(sum) ? 10 * Math.log10(Math.max(sum, MIN_POWER)) : 0;
  }

  /** Feeds one frame; returns its speech evidence in dB (0 = no band above its floor). */
  measure(frame: Int16Array): number {
    const power = this.bandPowers(frame);
    const excess = this.excessDb;
    let total = 0;
    for (let b = 0; b < this.bands; b++) total += power[b];
    if (total < MIN_POWER) {
      // Digital silence (a muted microphone: the echo gate zeroes frames while a reply plays)
      // says nothing about the room: the floor keeps what it knew.
      excess.fill(0);
      return 0;
    }
    this.frames++;
    for (let b = 0; b < this.bands; b++) {
      const p = power[b];
      // Compare with the floor as it was before this frame: a frame never masks itself.
      excess[b] = this.frames > 1 ? 10 * Math.log10(Math.max(p, MIN_POWER) / Math.max(this.floor[b], MIN_POWER)) - MINIMUM_BIAS_DB[b] : 0;
      this.smoothed[b] = this.frames === 1 ? p : SMOOTHING * this.smoothed[b] + (1 - SMOOTHING) * p;
      this.currentMin[b] = Math.min(this.currentMin[b], this.smoothed[b]);
    }
    this.updateFloor();
    // A background whose level drifts lifts every band alike; a voice lifts some far more than
    // others. Take the rise of the quieter bands as drift (up to MAX_DRIFT_DB) and score the rest.
    const sorted = this.sorted;
    sorted.set(excess.subarray(0, this.bands));
    sorted.sort();
    const drift = Math.min(MAX_DRIFT_DB, Math.max(0, sorted[DRIFT_RANK]));
    let evidence = 0;
    for (let i = this.bands - TOP_BANDS; i < this.bands; i++) evidence += Math.min(MAX_EXCESS_DB, Math.max(0, sorted[i] - drift));
    return evidence / TOP_BANDS;
  }

  private updateFloor(): void {
    const bands = this.bands;
    if (++this.framesInSubWindow >= this.subWindowFrames) {
      this.subMinima.set(this.currentMin, this.subWindowAt * bands);
      this.subWindowAt = (this.subWindowAt + 1) % SUB_WINDOWS;
      this.currentMin.fill(Infinity);
      this.framesInSubWindow = 0;
    }
    for (let b = 0; b < bands; b++) {
      let min = this.currentMin[b];
      for (let w = 0; w < SUB_WINDOWS; w++) min = Math.min(min, this.subMinima[w * bands + b]);
      this.floor[b] = min;
    }
  }

  /** Power of each band (mean square per sample, full scale = 1). Reuses one buffer. */
  private bandPowers(frame: Int16Array): Float64Array {
    const { re, im, fftSize: n } = this;
    re.fill(0);
    im.fill(0);
    const count = Math.min(frame.length, this.window.length);
    for (let i = 0; i < count; i++) re[this.bitReverse[i]] = (frame[i] / 32768) * this.window[i];
    for (let size = 2; size <= n; size *= 2) {
      const half = size / 2;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < half; k++) {
          const c = this.cos[k * step];
          const s = this.sin[k * step];
          const a = start + k;
          const b = a + half;
          const tr = re[b] * c - im[b] * s;
          const ti = re[b] * s + im[b] * c;
          re[b] = re[a] - tr;
          im[b] = im[a] - ti;
          re[a] += tr;
          im[a] += ti;
        }
      }
    }
    this.steadiness = this.measureSteadiness();
    // Parseval with the Hann window's mean square of 3/8: mean square per sample of the frame.
    const scale = 2 / (n * count * 0.375);
    const out = this.scratch;
    for (let b = 0; b < this.bands; b++) {
      let sum = 0;
      for (let k = this.bandStart[b]; k < this.bandStart[b + 1]; k++) sum += re[k] * re[k] + im[k] * im[k];
      out[b] = sum * scale;
    }
    return out;
  }

  /** Correlation of this frame's log spectrum with the one STEADY_LAG_FRAMES before. */
  private measureSteadiness(): number {
    const { re, im } = this;
    const [low, high] = this.steadyBins;
    const now = this.spectra[this.spectrumAt];
    this.spectrumAt = (this.spectrumAt + 1) % this.spectra.length;
    const before = this.spectra[this.spectrumAt];
    const count = high - low;
    let meanNow = 0;
    let meanBefore = 0;
    for (let k = low; k < high; k++) {
      now[k - low] = Math.log(re[k] * re[k] + im[k] * im[k] + 1e-12);
      meanNow += now[k - low];
      meanBefore += before[k - low];
    }
    meanNow /= count;
    meanBefore /= count;
    let cross = 0;
    let powerNow = 0;
    let powerBefore = 0;
    for (let i = 0; i < count; i++) {
      const a = now[i] - meanNow;
      const b = before[i] - meanBefore;
      cross += a * b;
      powerNow += a * a;
      powerBefore += b * b;
    }
    return powerNow > 0 && powerBefore > 0 ? cross / Math.sqrt(powerNow * powerBefore) : 0;
  }

  private readonly scratch = new Float64Array(BAND_EDGES_HZ.length);
  /** Each band's excess over its floor in the last frame (dB). */
  readonly excessDb = new Float64Array(BAND_EDGES_HZ.length - 1);
  private readonly sorted = new Float64Array(BAND_EDGES_HZ.length - 1);
}
