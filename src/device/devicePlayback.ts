/**
 * The device's side of PROTOCOL.md §4.5, as a board follows it: a playback buffer of fixed
 * capacity, the current generation, cumulative released/played counts, stale and overflow
 * drops, REPLY_END, prebuffering (§4.5 guidance) and exactly the CREDITs the spec requires
 * (rules 1–4; rule 4 is the 1.1 one). The simulator and local audio play through it; time comes
 * from the caller (`play(n, nowMs)`, `creditDue(nowMs)`), so it runs as well on a fake clock.
 */
import { AssistantState, Limit, type Credit } from '../protocol/messages.js';

export interface DevicePlaybackOptions {
  capacitySamples: number;
  sampleRateHz: number;
  /** The device's own revision: 0 behaves as a 1.0 board (no CREDIT when the buffer runs empty). */
  revision: number;
  /** Also send a CREDIT whenever anything was released (more than the spec requires). */
  extraCredits?: boolean;
  /** Start a reply without prebuffering (§4.5 makes prebuffering a recommendation). */
  noPrebuffer?: boolean;
}

export interface PlaybackCounters {
  underruns: number;
  overflows: number;
  staleFrames: number;
  /** AUDIO_OUT frames accepted into the buffer. */
  framesAccepted: number;
  maxBufferedSamples: number;
}

export class DevicePlayback {
  readonly counters: PlaybackCounters = { underruns: 0, overflows: 0, staleFrames: 0, framesAccepted: 0, maxBufferedSamples: 0 };
  private chunks: Int16Array[] = [];
  private buffered = 0;
  private generation = 0;
  private released = 0;
  private played = 0;
  private frameSamples = 320;
  /** The revision of the session (WELCOME), which decides what ends a reply. */
  private sessionRevision = 0;
  private creditAt = -Infinity;
  private creditReleased = 0;
  private creditNow = false;
  /** A reply of the current generation is playing: first frame seen, no REPLY_END/FLUSH yet. */
  private replyActive = false;
  private replyEnded = false;
  /** Playing (prebuffer done) rather than waiting to fill. */
  private started = false;
  /** When the buffer began to fill while not playing (the prebuffer's 100 ms start there). */
  private fillingSince: number | undefined;
  /** 1.0 session: the buffer ran dry mid-reply; an underrun if the same reply goes on. */
  private dryInReply = false;

  constructor(private readonly options: DevicePlaybackOptions) {}

  get bufferedSamples(): number {
    return this.buffered;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  /** WELCOME (also one in a session): counters zero, generation 0, buffer empty, a CREDIT. */
  welcome(frameSamples: number, sessionRevision: number): void {
    this.chunks = [];
    this.buffered = 0;
    this.generation = 0;
    this.released = 0;
    this.played = 0;
    this.frameSamples = frameSamples;
    this.sessionRevision = sessionRevision;
    this.creditReleased = 0;
    this.replyActive = this.replyEnded = this.started = this.dryInReply = false;
    this.fillingSince = undefined;
    this.creditNow = true;
  }

  /** One AUDIO_OUT, decoded to s16 (one channel's worth per sample count). */
  audioOut(generation: number, samples: Int16Array, nowMs: number): void {
    const n = samples.length;
    if (generation !== this.generation) {
      this.counters.staleFrames++;
      this.released = (this.released + n) >>> 0;
      return;
    }
    if (this.buffered + n > this.options.capacitySamples) {
      this.counters.overflows++;
      this.released = (this.released + n) >>> 0;
      return;
    }
    if (!this.replyActive) {
      this.replyActive = true;
      this.replyEnded = false;
    }
    if (!this.started) this.fillingSince ??= nowMs;
    if (this.dryInReply) this.counters.underruns++;
    this.dryInReply = false;
    this.chunks.push(samples);
    this.buffered += n;
    this.counters.framesAccepted++;
    this.counters.maxBufferedSamples = Math.max(this.counters.maxBufferedSamples, this.buffered);
  }

  replyEnd(generation: number): void {
    if (generation !== this.generation || !this.replyActive) return;
    this.replyActive = false;
    this.replyEnded = true;
  }

  /** FLUSH: everything buffered is released, the generation taken as it comes, a CREDIT at once. */
  flush(generation: number): void {
    this.released = (this.released + this.buffered) >>> 0;
    this.chunks = [];
    this.buffered = 0;
    this.generation = generation;
    this.replyActive = this.replyEnded = this.started = this.dryInReply = false;
    this.fillingSince = undefined;
    this.creditNow = true;
  }

  /** STATE from the host: in a 1.0 session, anything but speaking ends the reply (§4.5). */
  hostState(state: number): void {
    if (this.sessionRevision === 0 && state !== AssistantState.SPEAKING) {
      this.replyActive = false;
      this.dryInReply = false;
    }
  }

  /** The DAC wants `n` samples: returns what it plays (fewer, or none, while prebuffering or dry). */
  play(n: number, nowMs: number): Int16Array[] {
    if (!this.started && this.buffered > 0 && this.mayStart(nowMs)) this.started = true;
    if (!this.started) return [];
    const out: Int16Array[] = [];
    while (n > 0 && this.chunks.length) {
      const head = this.chunks[0];
      const take = Math.min(n, head.length);
      out.push(head.subarray(0, take));
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
      this.buffered -= take;
      this.released = (this.released + take) >>> 0;
      this.played = (this.played + take) >>> 0;
      n -= take;
    }
    if (this.buffered === 0 && out.length) this.ranDry();
    return out;
  }

  private mayStart(nowMs: number): boolean {
    if (this.options.noPrebuffer || this.replyEnded || !this.replyActive) return true;
    const prebuffer = Math.min((this.options.sampleRateHz * Limit.PREBUFFER_MS) / 1000, this.options.capacitySamples / 2);
    return this.buffered >= prebuffer || nowMs - (this.fillingSince ?? nowMs) >= Limit.CREDIT_INTERVAL_MS;
  }

  private ranDry(): void {
    this.started = false; // after an underrun, prebuffer again (for at most 100 ms)
    this.fillingSince = undefined;
    if (this.replyActive) {
      if (this.sessionRevision >= 1) this.counters.underruns++;
      else this.dryInReply = true;
    }
    if (this.options.revision >= 1 && this.released !== this.creditReleased) this.creditNow = true; // rule 4
  }

  /** The CREDIT the spec requires now (rules 1–4 of §4.5), or undefined. */
  creditDue(nowMs: number): Credit | undefined {
    const releasedSince = (this.released - this.creditReleased) >>> 0;
    const due =
      this.creditNow ||
      releasedSince >= this.frameSamples ||
      (this.buffered > 0 && nowMs - this.creditAt >= Limit.CREDIT_INTERVAL_MS) ||
      (this.options.extraCredits === true && releasedSince > 0);
    if (!due) return undefined;
    this.creditNow = false;
    this.creditAt = nowMs;
    this.creditReleased = this.released;
    return {
      type: 'credit',
      generation: this.generation,
      releasedSamples: this.released,
      playedSamples: this.played,
      bufferedSamples: this.buffered,
      underruns: this.counters.underruns & 0xffff,
      overflows: this.counters.overflows & 0xffff,
      staleFrames: this.counters.staleFrames & 0xffff,
    };
  }
}
