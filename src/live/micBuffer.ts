/**
 * The two microphone stores of a Live session. `MicHistory` keeps the last seconds that were
 * spoken, by sample index, so an utterance a lost connection heard only in part can be sent
 * again whole. `HeldInput` keeps, in order, what cannot be sent right now (no connection, a
 * switch-over, a BLOCKING tool call pending): audio bounded in milliseconds, oldest dropped
 * first and counted, and at most 16 control messages.
 */
import { concatSamples } from '../audio/sampleFormat.js';

export const MIC_RATE_HZ = 16000;
const MAX_CONTROL = 16;

export const samplesToMs = (samples: number) => (samples / MIC_RATE_HZ) * 1000;

export class MicHistory {
  private readonly chunks: { at: number; samples: Int16Array }[] = [];
  private kept = 0;
  /** Index of the next sample pushed. */
  end = 0;

  constructor(private readonly maxSamples: number) {}

  push(samples: Int16Array): void {
    this.chunks.push({ at: this.end, samples });
    this.end += samples.length;
    this.kept += samples.length;
    while (this.kept - this.chunks[0].samples.length >= this.maxSamples) this.kept -= this.chunks.shift()!.samples.length;
  }

  /** The audio from sample `from` (or the oldest kept) to now. */
  since(from: number): Int16Array {
    const parts: Int16Array[] = [];
    for (const c of this.chunks) {
      if (c.at + c.samples.length <= from) continue;
      parts.push(c.at >= from ? c.samples : c.samples.subarray(from - c.at));
    }
    return concatSamples(parts);
  }
}

export type Held = { audio: Int16Array; send?: undefined } | { send: () => void; audio?: undefined };

export class HeldInput {
  private items: Held[] = [];
  private audioSamples = 0;
  private controls = 0;
  /** Audio dropped since the last `takeDropped()`. */
  private droppedSamples = 0;

  constructor(readonly maxSamples: number) {}

  get length(): number {
    return this.items.length;
  }

  get heldSamples(): number {
    return this.audioSamples;
  }

  push(item: Held): void {
    this.items.push(item);
    if (item.audio) this.audioSamples += item.audio.length;
    else if (++this.controls > MAX_CONTROL) this.dropOldest((h) => h.send !== undefined);
    while (this.audioSamples > this.maxSamples) this.dropOldest((h) => h.audio !== undefined);
  }

  /** Replaces every held audio chunk by `audio`, placed first (controls keep their order). */
  replaceAudio(audio: Int16Array): void {
    const excess = Math.max(0, audio.length - this.maxSamples);
    this.droppedSamples += excess;
    this.items = [{ audio: audio.subarray(excess) }, ...this.items.filter((h) => h.send)];
    this.audioSamples = audio.length - excess;
  }

  peek(): Held | undefined {
    return this.items[0];
  }

  shift(): Held | undefined {
    const item = this.items.shift();
    if (item?.audio) this.audioSamples -= item.audio.length;
    else if (item) this.controls--;
    return item;
  }

  /** Audio dropped since the last call, in samples. */
  takeDropped(): number {
    const n = this.droppedSamples;
    this.droppedSamples = 0;
    return n;
  }

  clear(): void {
    for (const item of this.items) if (item.audio) this.droppedSamples += item.audio.length;
    this.items = [];
    this.audioSamples = 0;
    this.controls = 0;
  }

  private dropOldest(which: (h: Held) => boolean): void {
    const i = this.items.findIndex(which);
    if (i < 0) return;
    const [dropped] = this.items.splice(i, 1);
    if (dropped.audio) {
      this.audioSamples -= dropped.audio.length;
      this.droppedSamples += dropped.audio.length;
    } else this.controls--;
  }
}
