/**
 * Where the user's utterances begin and end in the 16 kHz microphone stream, measured on the
 * host. The service never says when it thinks the user stopped talking (its transcripts carry
 * no `finished`: docs/live-api-notes.md, js-genai#1429), yet the bridge needs to know: to show
 * THINKING, to arm the stall watchdog, to find a pause for a goAway switch-over, and to replay
 * an utterance a dropped connection heard only in part. An energy detector (src/audio/level.ts)
 * on 20 ms frames, tuned on espeak-ng speech and on noise (test/live.speechDetector.test.ts);
 * a 200 Hz high-pass in front keeps rumble (brown noise, fans, handling) from holding it open.
 */
import { EnergyVad } from '../audio/level.js';

export const DETECTOR_RATE_HZ = 16000;
const FRAME_SAMPLES = 320; // 20 ms
const HIGH_PASS_HZ = 200;
const MIN_LEVEL_DBFS = -50;
/** One-pole high-pass coefficient: RC / (RC + dt). */
const HP_A = 1 / (1 + (2 * Math.PI * HIGH_PASS_HZ) / DETECTOR_RATE_HZ);

export type SpeechEvent = { type: 'start' | 'end'; /** mic sample index where it happened */ atSample: number };

export class SpeechDetector {
  private readonly vad: EnergyVad;
  private readonly frame = new Int16Array(FRAME_SAMPLES);
  private fill = 0;
  private lastIn = 0;
  private lastOut = 0;
  /** Samples pushed so far. */
  samples = 0;
  /** Sample index of the first loud frame of the current utterance. */
  utteranceStart = 0;

  /** `silenceMs`: quiet this long ends an utterance (the service's default is about 500 ms). */
  constructor(silenceMs = 500) {
    this.vad = new EnergyVad({ thresholdDb: 12, minLevelDbfs: MIN_LEVEL_DBFS, attackFrames: 4, hangoverFrames: Math.max(5, Math.round(silenceMs / 20)) });
  }

  get speaking(): boolean {
    return this.vad.speaking;
  }

  /** Feeds mic audio; returns the utterance starts and ends it completed, in order. */
  push(samples: Int16Array): SpeechEvent[] {
    const events: SpeechEvent[] = [];
    for (let i = 0; i < samples.length; ) {
      const take = Math.min(samples.length - i, FRAME_SAMPLES - this.fill);
      for (let k = 0; k < take; k++) {
        const x = samples[i + k];
        this.lastOut = HP_A * (this.lastOut + x - this.lastIn);
        this.lastIn = x;
        this.frame[this.fill + k] = Math.max(-32768, Math.min(32767, this.lastOut)); // a step can overshoot full scale
      }
      this.fill += take;
      i += take;
      this.samples += take;
      if (this.fill < FRAME_SAMPLES) break;
      this.fill = 0;
      const event = this.vad.push(this.frame);
      if (event === 'speechStart') {
        this.utteranceStart = this.samples - FRAME_SAMPLES * this.vad.attackFrames;
        events.push({ type: 'start', atSample: this.utteranceStart });
      } else if (event === 'speechEnd') {
        events.push({ type: 'end', atSample: this.samples });
      }
    }
    return events;
  }

  /** The stream stopped: an utterance in progress ends here. */
  end(): SpeechEvent | undefined {
    this.fill = 0;
    if (!this.vad.speaking) return undefined;
    this.vad.reset();
    return { type: 'end', atSample: this.samples };
  }
}
