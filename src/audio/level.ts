/**
 * Level meters and a simple energy-based voice activity detector.
 *
 * The VAD works on frames (e.g. 20 ms). A frame is *loud* when its RMS level is at least
 * `thresholdDb` above the tracked noise floor and above `minLevelDbfs`. Speech starts after
 * `attackFrames` consecutive loud frames and ends after `hangoverFrames` consecutive quiet ones
 * (the hangover bridges the gaps between words). The noise floor is the quietest frame of the
 * last `floorWindowFrames` (3 s): the pauses between words keep it at the background level
 * while someone talks, and a steady hum or fan becomes the floor within that window, so it
 * does not count as speech.
 */

const FULL_SCALE = 32768;
const SILENCE_DBFS = -120;

export function rmsDbfs(samples: Int16Array): number {
  if (samples.length === 0) return SILENCE_DBFS;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  const rms = Math.sqrt(sum / samples.length);
  return rms === 0 ? SILENCE_DBFS : 20 * Math.log10(rms / FULL_SCALE);
}

export function peakDbfs(samples: Int16Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
  return peak === 0 ? SILENCE_DBFS : 20 * Math.log10(peak / FULL_SCALE);
}

export interface VadOptions {
  /** How far above the noise floor a frame must be to count as loud (dB). Default 12. */
  thresholdDb?: number;
  /** Absolute level below which nothing is speech (dBFS). Default −55. */
  minLevelDbfs?: number;
  /** Loud frames in a row before speech starts. Default 3 (60 ms of 20 ms frames). */
  attackFrames?: number;
  /** Quiet frames in a row before speech ends. Default 25 (500 ms). */
  hangoverFrames?: number;
  /** Frames over which the noise floor is the minimum level. Default 150 (3 s). */
  floorWindowFrames?: number;
}

export type VadEvent = 'speechStart' | 'speechEnd' | undefined;

export class EnergyVad {
  readonly thresholdDb: number;
  readonly minLevelDbfs: number;
  readonly attackFrames: number;
  readonly hangoverFrames: number;
  speaking = false;
  private loudRun = 0;
  private quietRun = 0;
  /** Recent frame levels (dBFS), a ring; the noise floor is their minimum. */
  private readonly levels: Float32Array;
  private levelAt = 0;

  constructor(options: VadOptions = {}) {
    this.thresholdDb = options.thresholdDb ?? 12;
    this.minLevelDbfs = options.minLevelDbfs ?? -55;
    this.attackFrames = options.attackFrames ?? 3;
    this.hangoverFrames = options.hangoverFrames ?? 25;
    // Until frames arrive nothing is known of the background: start at full scale, not at silence.
    this.levels = new Float32Array(options.floorWindowFrames ?? 150).fill(0);
  }

  /** The background level (dBFS): the quietest recent frame. */
  get noiseFloorDbfs(): number {
    let min = Infinity;
    for (const level of this.levels) min = Math.min(min, level);
    return min;
  }

  /** Feeds one frame; returns 'speechStart' or 'speechEnd' on the frame where that happens. */
  push(frame: Int16Array): VadEvent {
    const level = rmsDbfs(frame);
    this.levels[this.levelAt] = level;
    this.levelAt = (this.levelAt + 1) % this.levels.length;
    const loud = level >= this.minLevelDbfs && level >= this.noiseFloorDbfs + this.thresholdDb;
    if (loud) {
      this.loudRun++;
      this.quietRun = 0;
      if (!this.speaking && this.loudRun >= this.attackFrames) {
        this.speaking = true;
        return 'speechStart';
      }
    } else {
      this.quietRun++;
      this.loudRun = 0;
      if (this.speaking && this.quietRun >= this.hangoverFrames) {
        this.speaking = false;
        return 'speechEnd';
      }
    }
    return undefined;
  }

  reset(): void {
    this.speaking = false;
    this.loudRun = 0;
    this.quietRun = 0;
  }
}
