/**
 * Cuts a stream of sample chunks of any size into fixed-size frames: the one place that does it
 * (speaker frames for the device, the simulator's and local audio's microphone; the emulator can
 * use it too). Frames are handed out in a reused buffer; a caller that keeps one copies it.
 */
export class FrameChunker {
  private readonly frame: Int16Array;
  private fill = 0;

  constructor(readonly frameSamples: number) {
    if (!(Number.isInteger(frameSamples) && frameSamples > 0)) throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    this.frame = new Int16Array(frameSamples);
  }

  /** Samples waiting for the rest of their frame. */
  get pending(): number {
    return this.fill;
  }

  /** Adds samples; calls `onFrame` for every frame they complete. */
  push(samples: Int16Array, onFrame: (frame: Int16Array) => void): void {
    for (let at = 0; at < samples.length; ) {
      const take = Math.min(samples.length - at, this.frameSamples - this.fill);
      this.frame.set(samples.subarray(at, at + take), this.fill);
      this.fill += take;
      at += take;
      if (this.fill === this.frameSamples) {
        this.fill = 0;
        onFrame(this.frame);
      }
    }
  }

  /** Ends the stream: a partial frame is padded with silence and handed out; nothing if none. */
  flush(onFrame: (frame: Int16Array) => void): void {
    if (this.fill === 0) return;
    this.frame.fill(0, this.fill);
    this.fill = 0;
    onFrame(this.frame);
  }

  /** Forgets a partial frame (barge-in). */
  reset(): void {
    this.fill = 0;
  }
}
