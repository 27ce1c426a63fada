/**
 * Encoded speaker frames waiting for device credit. Bounded in milliseconds: Gemini sends a
 * reply faster than real time, so the queue holds the burst, and past its limit frames are
 * dropped and counted rather than letting memory grow. Each frame carries its reply's
 * generation; clear() is the barge-in.
 */
import type { EncodedFrame } from './deviceAudio.js';

export interface QueuedFrame extends EncodedFrame {
  generation: number;
}

export class PlaybackQueue {
  private frames: QueuedFrame[] = [];
  private head = 0;
  queuedSamples = 0;
  droppedFrames = 0;
  private readonly capacitySamples: number;

  constructor(capacityMs: number, readonly sampleRateHz: number) {
    this.capacitySamples = Math.round((capacityMs / 1000) * sampleRateHz);
  }

  get length(): number {
    return this.frames.length - this.head;
  }

  /** Adds a frame; false (and counted) if the queue is full. */
  push(frame: QueuedFrame): boolean {
    if (this.queuedSamples + frame.samples > this.capacitySamples) {
      this.droppedFrames++;
      return false;
    }
    this.frames.push(frame);
    this.queuedSamples += frame.samples;
    return true;
  }

  peek(): QueuedFrame | undefined {
    return this.frames[this.head];
  }

  shift(): QueuedFrame | undefined {
    const frame = this.frames[this.head];
    if (!frame) return undefined;
    this.frames[this.head++] = undefined as unknown as QueuedFrame;
    this.queuedSamples -= frame.samples;
    if (this.head > 256 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  /** Drops everything queued (barge-in); returns how many frames went. */
  clear(): number {
    const dropped = this.length;
    this.frames = [];
    this.head = 0;
    this.queuedSamples = 0;
    return dropped;
  }
}
