/**
 * Plays the assistant's replies on one device session (PROTOCOL.md §4.5): encodes the model's
 * audio into frames for the DAC, queues them with their reply's generation, sends them as the
 * device's credit allows (and the link's 'drain'), marks each reply's end (REPLY_END in a 1.1
 * session), and cuts a reply at once on interrupt(): queue dropped, generation advanced, FLUSH.
 * It knows when a reply has finished playing from the device's CREDIT, or, for a board that
 * never reports the last part (a 1.0 board), by time.
 */
import type { Clock, Timer } from '../clock.js';
import { SpeakerEncoder, type EncodedFrame } from '../device/deviceAudio.js';
import { Limit, type AudioFormat, type Credit, type Message } from '../protocol/messages.js';
import { TypedEmitter } from '../typedEmitter.js';
import { PlaybackQueue } from './playbackQueue.js';

/** Why a reply is cut. */
export const InterruptReason = {
  /** Live reported the interruption: Gemini already stopped the reply. */
  MODEL: 'model',
  /** The button was pressed: Gemini has not heard of it, so the rest of this reply is not played. */
  BUTTON: 'button',
  /** The echo gate heard the user speak over the reply: as for the button. */
  VOICE: 'voice',
} as const;
export type InterruptReason = (typeof InterruptReason)[keyof typeof InterruptReason];

/** Where the frames go: a DeviceConnection. */
export interface ReplySink {
  /** false: the link is backed up; call onDrain() when it drains. */
  audioOut(generation: number, payload: Uint8Array): boolean;
  send(message: Message): boolean;
}

export interface ReplyStats {
  framesSent: number;
  framesDroppedOverflow: number;
  bargeIns: number;
  staleFramesAtDevice: number;
  underrunsAtDevice: number;
  /** ms from interrupt() to the FLUSH handed to the link. */
  lastFlushMs: number;
  /** Samples sent that the device never received (frames lost on a noisy link), written off. */
  samplesLostOnLink: number;
}

export const newReplyStats = (): ReplyStats => ({ framesSent: 0, framesDroppedOverflow: 0, bargeIns: 0, staleFramesAtDevice: 0, underrunsAtDevice: 0, lastFlushMs: 0, samplesLostOnLink: 0 });

/**
 * A device that reports an empty buffer, and then nothing for this long while nothing new was
 * sent, has received everything it ever will of what was sent before: the rest was lost on the
 * link (a frame with a bad CRC on serial is dropped, so its samples are never released). Without
 * writing them off, each lost frame would shrink the credit window for the rest of the session
 * until the board fell silent. Long enough for a full buffer to cross the slowest link.
 */
export const LOST_AFTER_MS = 1500;

export interface ReplyPlayerOptions {
  sink: ReplySink;
  speaker: AudioFormat;
  speakerCodec: number;
  frameMs: number;
  /** The device's playbackBufferSamples. */
  capacitySamples: number;
  /** The session's revision (§0.1): REPLY_END only from 1. */
  protocolRevision: number;
  /** Longest reply audio held on the host (ms); beyond it frames are dropped and counted. */
  queueMs: number;
  clock: Clock;
  /** Counters that outlive one device session (the agent's). */
  stats?: ReplyStats;
}

export interface ReplyPlayerEvents extends Record<string, unknown[]> {
  /** A reply started or finished playing on the device (or was cut). */
  playing: [playing: boolean];
  log: [line: string];
}

export class ReplyPlayer extends TypedEmitter<ReplyPlayerEvents> {
  readonly stats: ReplyStats;
  private readonly encoder: SpeakerEncoder;
  private readonly queue: PlaybackQueue;
  private generation = 0;
  /** Samples sent to the device and released by it in this session (mod 2³²). */
  private sent = 0;
  private released = 0;
  /** Samples written off as lost on the link (mod 2³²): never released by the device. */
  private lost = 0;
  private lostTimer: Timer | undefined;
  private lastCreditAt: number;
  private lastSentAt: number;
  private waitingForDrain = false;
  /** After a local interruption the rest of the current reply is not played. */
  private muted = false;
  /** Audio of the current generation was pushed since the reply's last end. */
  private replyOpen = false;
  /** The current reply's end went out (or it was cut): the play-out estimate may end it. */
  private replyEnded = true;
  /** Everything sent is taken as played (by time, or because it was flushed). */
  private playedOut = true;
  private playoutTimer: Timer | undefined;
  private playing = false;
  private closed = false;

  constructor(private readonly options: ReplyPlayerOptions) {
    super();
    this.stats = options.stats ?? newReplyStats();
    this.encoder = new SpeakerEncoder(options.speaker, options.speakerCodec, options.frameMs);
    this.queue = new PlaybackQueue(options.queueMs, options.speaker.sampleRateHz);
    this.lastCreditAt = this.lastSentAt = options.clock.now();
  }

  /** Host-side gain, for devices that cannot set their own volume. */
  set gain(gain: number) {
    this.encoder.gain = gain;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  /** Model audio at `rateHz`. */
  push(samples: Int16Array, rateHz: number): void {
    if (this.muted || this.closed) return;
    this.replyOpen = true;
    for (const frame of this.encoder.push(samples, rateHz)) this.enqueue(frame);
    this.pump();
  }

  /** All of the reply's audio is here: the resampler's tail, the last partial frame, then the end mark. */
  end(): void {
    if (this.muted || this.closed || !this.replyOpen) return;
    for (const frame of this.encoder.end()) this.enqueue(frame);
    this.queue.push({ kind: 'end', generation: this.generation, samples: 0 });
    this.replyOpen = false;
    this.pump();
  }

  /** The turn is over: end its reply, and play the next one even if this one was cut locally. */
  turnComplete(): void {
    this.end();
    this.muted = false;
  }

  /** Cuts the reply now: queue dropped, generation advanced, FLUSH sent at once. */
  interrupt(reason: InterruptReason): void {
    const t0 = this.options.clock.now();
    this.stats.bargeIns++;
    this.queue.clear();
    this.encoder.reset();
    this.generation = (this.generation + 1) & 0xffff;
    if (reason !== InterruptReason.MODEL) this.muted = true;
    this.replyOpen = false;
    this.replyEnded = true;
    this.playedOut = true; // the device drops what it holds of the old generation
    this.options.sink.send({ type: 'flush', generation: this.generation });
    this.stats.lastFlushMs = this.options.clock.now() - t0;
    this.emit('log', `barge-in (${reason}): playback flushed`);
    this.update();
  }

  onCredit(credit: Credit): void {
    this.released = credit.releasedSamples;
    this.lastCreditAt = this.options.clock.now();
    this.stats.staleFramesAtDevice = credit.staleFrames;
    this.stats.underrunsAtDevice = credit.underruns;
    this.lostTimer?.cancel();
    if (credit.bufferedSamples === 0 && this.inFlight() > 0) this.lostTimer = this.options.clock.after(LOST_AFTER_MS, () => this.writeOffLost());
    this.pump();
  }

  /** The device's buffer was empty and it has said nothing since: what is still in flight was lost. */
  private writeOffLost(): void {
    const { clock } = this.options;
    if (this.closed || clock.now() - this.lastSentAt < LOST_AFTER_MS || clock.now() - this.lastCreditAt < LOST_AFTER_MS) return;
    const missing = this.inFlight();
    if (missing === 0) return;
    this.lost = (this.lost + missing) >>> 0;
    this.stats.samplesLostOnLink += missing;
    this.emit('log', `${missing} samples of reply audio never reached the device (lost on the link); written off so playback goes on`);
    this.pump();
  }

  /** The link drained after audioOut() returned false. */
  onDrain(): void {
    this.waitingForDrain = false;
    this.pump();
  }

  /** Audio of the current reply is queued here or not yet played on the device. */
  isPlaying(): boolean {
    return this.queue.length > 0 || (this.inFlight() > 0 && !this.playedOut);
  }

  close(): void {
    this.closed = true;
    this.queue.clear();
    this.playoutTimer?.cancel();
    this.lostTimer?.cancel();
  }

  private inFlight(): number {
    return (this.sent - this.released - this.lost) >>> 0;
  }

  private enqueue(frame: EncodedFrame): void {
    if (!this.queue.push({ kind: 'audio', generation: this.generation, ...frame })) this.stats.framesDroppedOverflow++;
  }

  /** Sends queued frames while the device has room for them. */
  private pump(): void {
    if (this.closed || this.waitingForDrain) return this.update();
    const { sink, capacitySamples, protocolRevision, clock } = this.options;
    for (let entry = this.queue.peek(); entry; entry = this.queue.peek()) {
      if (entry.kind === 'end') {
        this.queue.shift();
        if (protocolRevision >= 1) sink.send({ type: 'replyEnd', generation: entry.generation });
        this.replyEnded = true;
        continue;
      }
      if (this.inFlight() + entry.samples > capacitySamples) break;
      this.queue.shift();
      this.sent = (this.sent + entry.samples) >>> 0;
      this.lastSentAt = clock.now();
      this.replyEnded = false;
      this.playedOut = false;
      this.stats.framesSent++;
      if (!sink.audioOut(entry.generation, entry.payload)) {
        this.waitingForDrain = true;
        break;
      }
    }
    this.update();
  }

  /** Reports a change of playing, and (re)arms the play-out estimate (§4.5). */
  private update(): void {
    this.playoutTimer?.cancel();
    this.playoutTimer = undefined;
    if (this.inFlight() === 0) this.playedOut = true;
    const playing = this.isPlaying();
    if (playing && this.replyEnded && this.queue.length === 0) {
      const { clock, speaker } = this.options;
      const due = Math.max(this.lastCreditAt, this.lastSentAt) + (this.inFlight() / speaker.sampleRateHz) * 1000 + Limit.PLAYOUT_MARGIN_MS;
      this.playoutTimer = clock.after(Math.max(0, due - clock.now()), () => {
        this.playedOut = true;
        this.update();
      });
    }
    if (playing !== this.playing) {
      this.playing = playing;
      this.emit('playing', playing);
    }
  }
}
