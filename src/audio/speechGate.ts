/**
 * The speech gate: lets a microphone stream through only while someone speaks, so that silence
 * is not sent (nor billed) upstream.
 *
 * The gate cuts its input into frames (20 ms) and scores each one (bandSnr.ts: how far it stands
 * above the background in the speech bands; a held tone, whose spectrum does not change, is not
 * speech whatever its level). While closed it sends nothing and keeps the last
 * `preRollMs` in a ring. After `minSpeechMs` of frames scoring at least `openDb` it opens: it
 * sends the pre-roll from before the first of those frames (so no first syllable is lost), then
 * passes the input through. Once no frame has scored `stayDb` for `hangoverMs` it closes, which
 * the owner turns into the end of the audio stream (Live's `audioStreamEnd`). In `bypass`
 * (push-to-talk) everything passes and the gate neither opens nor closes.
 *
 * Sent audio starts and ends on frame boundaries counted from the first sample pushed, so what is
 * sent does not depend on how the input was chunked. Audio passed through is a view of the pushed
 * chunk (no copy: valid as long as the chunk is); the pre-roll is a copy out of the ring. Memory is
 * the ring, fixed at construction.
 */
import { BandSnrMeter } from './bandSnr.js';
import { rmsDbfs } from './level.js';

export const GateOpenReason = {
  /** `minSpeechMs` of frames scored at least `openDb` above the noise floor. */
  SPEECH: 'speech',
} as const;
export type GateOpenReason = (typeof GateOpenReason)[keyof typeof GateOpenReason];

export const GateCloseReason = {
  /** No frame scored `stayDb` for `hangoverMs`. */
  HANGOVER: 'hangover',
  /** `flush()`: the stream ended (the device left) while the gate was open. */
  FLUSH: 'flush',
  /** `setBypass(true)` while open: push-to-talk took over. */
  BYPASS: 'bypass',
} as const;
export type GateCloseReason = (typeof GateCloseReason)[keyof typeof GateCloseReason];

export type SpeechGateEvent =
  /** The gate opened; the pre-roll follows as the next 'audio' event. `detail` is for logs. */
  | { type: 'open'; reason: GateOpenReason; atSample: number; detail: string }
  /** Samples to send upstream; `atSample` is the index of the first one in the input stream. */
  | { type: 'audio'; samples: Int16Array; atSample: number }
  /** The gate closed: end the audio stream upstream (once per open). `detail` is for logs. */
  | { type: 'close'; reason: GateCloseReason; atSample: number; detail: string };

export interface SpeechGateOptions {
  /** Default 16000. */
  sampleRateHz?: number;
  /** Default 20. */
  frameMs?: number;
  /** Speech evidence (dB above the noise floor, mean of the four loudest bands) that opens. Default 8. */
  openDb?: number;
  /** Speech evidence that keeps the gate open (restarts the hangover). Default 6. */
  stayDb?: number;
  /**
   * Frames whose spectrum correlates at least this much with the one 40 ms before are held
   * tones (music, beeps), not speech (bandSnr.ts). Default 0.92; above 1 turns the test off.
   */
  maxSteadiness?: number;
  /** Frames quieter than this (dBFS) are never speech. Default −65. */
  minLevelDbfs?: number;
  /** Audio sent from before the first speech frame. Default 400 ms; below 300 first syllables get clipped. */
  preRollMs?: number;
  /** How long the gate stays open after the last speech frame. Default 800 ms. */
  hangoverMs?: number;
  /** Speech frames in a row needed to open: shorter sounds (clicks, knocks) are ignored. Default 60 ms. */
  minSpeechMs?: number;
  /** Noise-floor memory (bandSnr.ts). Default 2000 ms. */
  floorWindowMs?: number;
  /** Pass everything (push-to-talk). Default false. */
  bypass?: boolean;
}

export interface SpeechGateStats {
  framesIn: number;
  framesSent: number;
  opens: number;
}

const NOTHING: readonly SpeechGateEvent[] = Object.freeze([]);

export class SpeechGate {
  readonly frameSamples: number;
  readonly openDb: number;
  readonly stayDb: number;
  readonly maxSteadiness: number;
  readonly minLevelDbfs: number;
  readonly preRollFrames: number;
  readonly hangoverFrames: number;
  readonly minSpeechFrames: number;
  readonly stats: SpeechGateStats = { framesIn: 0, framesSent: 0, opens: 0 };
  private readonly frameMs: number;
  private readonly meter: BandSnrMeter;
  /** The last frames: the pre-roll and the speech run that opens (the newest may be partial). */
  private readonly ring: Int16Array;
  private readonly ringFrames: number;
  /** Samples pushed so far; frame k is samples [k·frameSamples, (k+1)·frameSamples). */
  private samplesIn = 0;
  private isOpen = false;
  private bypassed: boolean;
  /** First frame not yet sent (the pre-roll never reaches back before it). */
  private sentUpToFrame = 0;
  private speechRun = 0;
  private quietRun = 0;
  private openedAtFrame = 0;

  constructor(options: SpeechGateOptions = {}) {
    const sampleRateHz = options.sampleRateHz ?? 16000;
    this.frameMs = options.frameMs ?? 20;
    const checked = (name: keyof SpeechGateOptions, value: number, min: number): number => {
      if (!(Number.isFinite(value) && value >= min)) throw new RangeError(`speech gate: ${name} must be a number ≥ ${min}, got ${value}`);
      return value;
    };
    this.frameSamples = Math.round((checked('sampleRateHz', sampleRateHz, 8000) * checked('frameMs', this.frameMs, 5)) / 1000);
    this.openDb = checked('openDb', options.openDb ?? 8, 0);
    this.stayDb = checked('stayDb', options.stayDb ?? 6, 0);
    this.maxSteadiness = checked('maxSteadiness', options.maxSteadiness ?? 0.92, 0);
    this.minLevelDbfs = checked('minLevelDbfs', options.minLevelDbfs ?? -65, -Infinity);
    this.preRollFrames = Math.ceil(checked('preRollMs', options.preRollMs ?? 400, 0) / this.frameMs);
    this.hangoverFrames = Math.max(1, Math.ceil(checked('hangoverMs', options.hangoverMs ?? 800, 0) / this.frameMs));
    this.minSpeechFrames = Math.max(1, Math.ceil(checked('minSpeechMs', options.minSpeechMs ?? 60, 0) / this.frameMs));
    this.bypassed = options.bypass ?? false;
    this.meter = new BandSnrMeter({ sampleRateHz, frameSamples: this.frameSamples, floorWindowMs: options.floorWindowMs });
    this.ringFrames = this.preRollFrames + this.minSpeechFrames;
    this.ring = new Int16Array(this.ringFrames * this.frameSamples);
  }

  get open(): boolean {
    return this.isOpen;
  }

  get bypass(): boolean {
    return this.bypassed;
  }

  /** The background level the gate measures against (dBFS, for logs). */
  get noiseFloorDbfs(): number {
    return this.meter.floorDbfs;
  }

  /**
   * Feeds microphone samples (any number); returns what to do, in order: 'open', 'audio' (send
   * these samples), 'close' (end the stream). Returns a shared empty array when there is nothing.
   */
  push(samples: Int16Array): readonly SpeechGateEvent[] {
    let events: SpeechGateEvent[] | undefined;
    const emit = (event: SpeechGateEvent) => (events ??= []).push(event);
    const n = this.frameSamples;
    let at = 0;
    let passFrom = this.isOpen || this.bypassed ? 0 : -1; // where the input being passed through starts
    const passThrough = () => {
      if (passFrom < at) emit({ type: 'audio', samples: samples.subarray(passFrom, at), atSample: this.samplesIn - (at - passFrom) });
    };
    while (at < samples.length) {
      const inFrame = this.samplesIn % n;
      const take = Math.min(samples.length - at, n - inFrame);
      const slot = Math.floor(this.samplesIn / n) % this.ringFrames;
      this.ring.set(samples.subarray(at, at + take), slot * n + inFrame);
      this.samplesIn += take;
      at += take;
      if (inFrame + take < n) break; // the frame is not complete: nothing to decide yet
      const change = this.decide(this.samplesIn / n - 1, this.ring.subarray(slot * n, slot * n + n));
      if (Array.isArray(change)) {
        for (const event of change) emit(event); // open, then the pre-roll
        passFrom = at;
      } else if (change) {
        passThrough(); // close follows the audio it ends
        passFrom = -1;
        emit(change);
      }
    }
    if (passFrom >= 0) passThrough();
    return events ?? NOTHING;
  }

  /** Push-to-talk: while on, everything passes; turning it on while open closes the gate. */
  setBypass(on: boolean): readonly SpeechGateEvent[] {
    if (on === this.bypassed) return NOTHING;
    this.bypassed = on;
    this.sentUpToFrame = Math.ceil(this.samplesIn / this.frameSamples);
    this.speechRun = 0;
    if (on && this.isOpen) return [this.close(GateCloseReason.BYPASS, 'push-to-talk took over')];
    return NOTHING;
  }

  /** The stream ends: closes an open gate (the owner ends the stream upstream). */
  flush(): readonly SpeechGateEvent[] {
    this.speechRun = 0;
    if (!this.isOpen) return NOTHING;
    return [this.close(GateCloseReason.FLUSH, 'the input ended')];
  }

  /** Scores frame number `frame`; returns the events if the gate opens or closes on it. */
  private decide(frame: number, samples: Int16Array): SpeechGateEvent | SpeechGateEvent[] | undefined {
    this.stats.framesIn++;
    const evidenceDb = this.meter.measure(samples);
    const voiceLike = rmsDbfs(samples) >= this.minLevelDbfs && this.meter.steadiness < this.maxSteadiness;
    if (this.bypassed) {
      this.stats.framesSent++;
      return undefined;
    }
    if (this.isOpen) {
      this.stats.framesSent++;
      if (voiceLike && evidenceDb >= this.stayDb) this.quietRun = 0;
      else if (++this.quietRun >= this.hangoverFrames) {
        this.sentUpToFrame = frame + 1;
        return this.close(GateCloseReason.HANGOVER, `no speech for ${this.quietRun * this.frameMs} ms`);
      }
      return undefined;
    }
    this.speechRun = voiceLike && evidenceDb >= this.openDb ? this.speechRun + 1 : 0;
    if (this.speechRun < this.minSpeechFrames) return undefined;
    // Open: the pre-roll runs from `preRollFrames` before the first speech frame to this one.
    const firstSpeech = frame - this.speechRun + 1;
    const from = Math.max(firstSpeech - this.preRollFrames, this.sentUpToFrame, frame - this.ringFrames + 1, 0);
    this.isOpen = true;
    this.quietRun = 0;
    this.openedAtFrame = frame + 1;
    this.stats.opens++;
    this.stats.framesSent += frame + 1 - from;
    const atSample = from * this.frameSamples;
    const detail = `speech ${evidenceDb.toFixed(1)} dB over the floor (${this.meter.floorDbfs.toFixed(1)} dBFS) for ${this.speechRun * this.frameMs} ms; pre-roll ${(firstSpeech - from) * this.frameMs} ms`;
    return [
      { type: 'open', reason: GateOpenReason.SPEECH, atSample, detail },
      { type: 'audio', samples: this.copyFrames(from, frame + 1), atSample },
    ];
  }

  private close(reason: GateCloseReason, why: string): SpeechGateEvent {
    this.isOpen = false;
    this.speechRun = 0;
    const openMs = (Math.ceil(this.samplesIn / this.frameSamples) - this.openedAtFrame) * this.frameMs;
    return { type: 'close', reason, atSample: this.samplesIn, detail: `${why}; open ${openMs} ms` };
  }

  /** Frames [from, to) out of the ring, in one new array. */
  private copyFrames(from: number, to: number): Int16Array {
    const n = this.frameSamples;
    const out = new Int16Array((to - from) * n);
    for (let f = from; f < to; f++) {
      const slot = f % this.ringFrames;
      out.set(this.ring.subarray(slot * n, slot * n + n), (f - from) * n);
    }
    return out;
  }
}
