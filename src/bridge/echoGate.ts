/**
 * Half-duplex echo gate for boards whose speaker the microphone hears and that have no echo
 * cancellation: while the board plays (and for a short tail after), the microphone is muted
 * toward Gemini, so the assistant does not hear itself and interrupt itself. A deliberate
 * barge-in still gets through: speech clearly louder than the echo the gate has been hearing
 * (by `bargeInMarginDb`, above `minBargeInDbfs`, for `bargeInFrames` frames in a row) opens it.
 * Boards that declare on-device AEC get full duplex.
 */
import { rmsDbfs } from '../audio/level.js';

export interface EchoGateOptions {
  fullDuplex: boolean;
  tailMs?: number;
  bargeInMarginDb?: number;
  minBargeInDbfs?: number;
  bargeInFrames?: number;
}

export type GateVerdict = 'pass' | 'mute' | 'bargeIn';

/** Frames (of 20 ms) at the start of playback that only measure the echo. */
const LEARN_FRAMES = 10;

export class EchoGate {
  private playing = false;
  private quietSince = -Infinity;
  /** Running level of what the microphone hears during playback (the echo), dBFS. */
  private echoDbfs = -90;
  private loudRun = 0;
  /** Frames heard since playback started; the first ones only teach the gate the echo level. */
  private heard = 0;
  mutedFrames = 0;
  private readonly tailMs: number;
  private readonly marginDb: number;
  private readonly minDbfs: number;
  private readonly framesNeeded: number;

  constructor(private readonly options: EchoGateOptions) {
    this.tailMs = options.tailMs ?? 300;
    this.marginDb = options.bargeInMarginDb ?? 15;
    this.minDbfs = options.minBargeInDbfs ?? -35;
    this.framesNeeded = options.bargeInFrames ?? 3;
  }

  /** The board started or stopped playing (its buffer and the host queue are empty). */
  setPlaying(playing: boolean, nowMs: number): void {
    if (this.playing && !playing) this.quietSince = nowMs;
    if (!this.playing && playing) {
      this.loudRun = 0;
      this.heard = 0;
      this.echoDbfs = -90;
    }
    this.playing = playing;
  }

  /** What to do with one microphone frame. */
  check(frame: Int16Array, nowMs: number): GateVerdict {
    if (this.options.fullDuplex) return 'pass';
    if (!this.playing && nowMs - this.quietSince >= this.tailMs) return 'pass';
    const level = rmsDbfs(frame);
    if (this.heard++ < LEARN_FRAMES) {
      this.echoDbfs = Math.max(this.echoDbfs, level);
    } else if (level >= this.minDbfs && level >= this.echoDbfs + this.marginDb) {
      if (++this.loudRun >= this.framesNeeded) {
        this.loudRun = 0;
        return 'bargeIn';
      }
    } else {
      this.loudRun = 0;
      this.echoDbfs = this.echoDbfs * 0.9 + level * 0.1;
    }
    this.mutedFrames++;
    return 'mute';
  }

  /** After a barge-in the user is talking: let everything through until playback starts again. */
  open(nowMs: number): void {
    this.playing = false;
    this.quietSince = nowMs - this.tailMs;
  }
}
