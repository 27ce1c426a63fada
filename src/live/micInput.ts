/**
 * Microphone audio on its way to the Live service. Each chunk is kept (MicHistory), then sent
 * or, while it cannot be, held in order with the control messages around it (HeldInput). Held
 * input goes out in a first burst, then at 1.5 × real time, so that utterances held through an
 * outage reach the service with gaps between them (sent all at once, each would cut into the
 * reply to the one before). When a connection is lost, replay() puts what it heard without
 * answering back in front of the held audio, to go to the next one.
 */
import type { Clock, Timer } from '../clock.js';
import { HeldInput, MicHistory, MIC_RATE_HZ, samplesToMs, type Held } from './micBuffer.js';

/** A replay starts this long before the detector heard speech begin (or before the end of the audio sent). */
export const REPLAY_PRE_ROLL_SAMPLES = (500 / 1000) * MIC_RATE_HZ;
/** Spoken audio kept for replays. */
const HISTORY_MS = 20_000;
/** Held audio: sent at once up to this much, the rest at DRAIN_SPEED × real time. */
const BURST_MS = 1500;
const DRAIN_SPEED = 1.5;
const DRAIN_TICK_MS = 20;

interface MicInputOptions {
  /** Audio held beyond this is dropped, oldest first, and counted. */
  maxHeldSamples: number;
  clock: Clock;
  stats: { micDroppedMs: number; micHeldMs: number; micReplayedMs: number };
  /** A connection is open and nothing else holds input back. */
  canSend: () => boolean;
  /** Puts audio on the open connection. */
  transmit: (samples: Int16Array) => void;
  /** A drain() sent everything that was held. */
  drained: () => void;
  /** Audio was dropped for the first time since the hold was last empty. */
  dropped: () => void;
}

export class MicInput {
  private readonly history = new MicHistory((HISTORY_MS / 1000) * MIC_RATE_HZ);
  private readonly held: HeldInput;
  /** The mic stream is live (not ended, by audioStreamEnd or sleep, since its last chunk). */
  private streaming = false;
  /** Where the stream began after it last ended (sample index): replays never reach before it. */
  private streamFrom = 0;
  /** Audio went to a connection since the last replay (a failed attempt sent none). */
  private sentSinceReplay = false;
  private drainTimer: Timer | undefined;
  /** When the current drain of held input began, and how much audio it has sent. */
  private drainStart: number | undefined;
  private drainedSamples = 0;
  private dropReported = false;

  constructor(private readonly options: MicInputOptions) {
    this.held = new HeldInput(options.maxHeldSamples);
  }

  /** Index of the end of the audio sent so far (what is held was not). */
  get sentEnd(): number {
    return this.history.end - this.held.heldSamples;
  }

  /** Nothing waits to be sent. */
  get nothingHeld(): boolean {
    return this.held.length === 0;
  }

  /** Keeps a new chunk (the caller then sends or holds it). */
  push(samples: Int16Array): void {
    if (!this.streaming) this.streamFrom = this.history.end;
    this.streaming = true;
    this.history.push(samples);
  }

  /** The stream stopped; false if it had already. */
  endStream(): boolean {
    const was = this.streaming;
    this.streaming = false;
    return was;
  }

  send(samples: Int16Array): void {
    this.sentSinceReplay = true;
    this.options.transmit(samples);
  }

  hold(item: Held): void {
    this.held.push(item);
    this.countDropped();
  }

  /**
   * Sends what is held, in order and at its pace, while `canSend()`; goes on by itself, and
   * calls `drained` when nothing is left.
   */
  drain(): void {
    const { canSend } = this.options;
    this.drainTimer?.cancel();
    this.drainTimer = undefined;
    if (!canSend()) {
      this.drainStart = undefined;
      return;
    }
    const now = this.options.clock.now();
    this.drainStart ??= now;
    const budget = ((BURST_MS + DRAIN_SPEED * (now - this.drainStart)) / 1000) * MIC_RATE_HZ;
    while (this.held.length && canSend()) {
      const next = this.held.peek()!;
      if (next.audio && this.drainedSamples >= budget) break;
      this.held.shift();
      if (next.send) next.send();
      else {
        this.drainedSamples += next.audio.length;
        this.options.stats.micHeldMs += samplesToMs(next.audio.length);
        this.send(next.audio);
      }
    }
    if (this.held.length) {
      this.drainTimer = this.options.clock.after(DRAIN_TICK_MS, () => this.drain());
      return;
    }
    this.drainStart = undefined;
    this.drainedSamples = 0;
    this.dropReported = false;
    this.options.drained();
  }

  /**
   * The connection is gone: what it heard of `unanswered` (a sample index, or none) goes again,
   * whole, and so do the last 500 ms it was sent of a live mic stream, sound or not. An
   * utterance may have begun there, too softly for the speech detector so far (the soak found
   * switch-overs 50 ms into a word, whose start the new connection never heard), and a new
   * connection whose first audio is already speech has no background to tell it from.
   */
  replay(unanswered: number | undefined): void {
    const end = this.history.end;
    const sent = this.sentEnd;
    let from = unanswered ?? Infinity;
    if (this.streaming && this.sentSinceReplay) {
      // Only from this stream, and only what fits beside the held audio (it is context, not words to lose).
      from = Math.min(from, Math.max(sent - REPLAY_PRE_ROLL_SAMPLES, this.streamFrom, end - this.held.maxSamples));
    }
    this.sentSinceReplay = false;
    if (from === Infinity) return;
    // Held audio is the newest, contiguous: replay from there if it is older.
    const audio = this.history.since(Math.max(0, Math.min(from, sent)));
    this.options.stats.micReplayedMs += samplesToMs(Math.max(0, audio.length - this.held.heldSamples));
    this.held.replaceAudio(audio);
    this.countDropped();
  }

  close(): void {
    this.drainTimer?.cancel();
  }

  /** Counts what the hold dropped; tells once per hold (until the held audio has all been sent). */
  private countDropped(): void {
    const dropped = this.held.takeDropped();
    if (!dropped) return;
    this.options.stats.micDroppedMs += samplesToMs(dropped);
    if (this.dropReported) return;
    this.dropReported = true;
    this.options.dropped();
  }
}
