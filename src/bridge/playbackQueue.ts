/**
 * Encoded speaker frames waiting for device credit, and the end-of-reply markers between them.
 * Bounded in milliseconds: Gemini sends a reply faster than real time, so the queue holds the
 * burst, and past its limit frames are dropped and counted rather than letting memory grow.
 * Each entry carries its reply's generation; clear() is the barge-in.
 */
import type { EncodedFrame } from '../device/deviceAudio.js';

export type QueuedEntry =
  | ({ kind: 'audio'; generation: number } & EncodedFrame)
  /** The reply of this generation has no more audio (REPLY_END goes out when this is reached). */
  | { kind: 'end'; generation: number; samples: 0 };

export class PlaybackQueue {
  private entries: QueuedEntry[] = [];
  private head = 0;
  queuedSamples = 0;
  droppedFrames = 0;
  private readonly capacitySamples: number;

  constructor(capacityMs: number, readonly sampleRateHz: number) {
    this.capacitySamples = Math.round((capacityMs / 1000) * sampleRateHz);
  }

  get length(): number {
    return this.entries.length - this.head;
  }

  /** Adds an entry; false (and counted) if it is audio and the queue is full. */
  push(entry: QueuedEntry): boolean {
    if (this.queuedSamples + entry.samples > this.capacitySamples) {
      this.droppedFrames++;
      return false;
    }
    this.entries.push(entry);
    this.queuedSamples += entry.samples;
    return true;
  }

  peek(): QueuedEntry | undefined {
    return this.entries[this.head];
  }

  shift(): QueuedEntry | undefined {
    const entry = this.entries[this.head];
    if (!entry) return undefined;
    this.entries[this.head++] = undefined as unknown as QueuedEntry;
    this.queuedSamples -= entry.samples;
    if (this.head > 256 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  /** Drops everything queued (barge-in); returns how many entries went. */
  clear(): number {
    const dropped = this.length;
    this.entries = [];
    this.head = 0;
    this.queuedSamples = 0;
    return dropped;
  }
}
