/**
 * What of a device's microphone goes to Gemini, and when its connection may sleep (issue:
 * always on, without the bill). Gemini bills input audio by duration, silence included
 * (docs/live-api-notes.md, "Cost"), so a speech gate (src/audio/speechGate.ts) passes only
 * speech, from a pre-roll before its onset to a hangover after it, then ends the stream
 * (audioStreamEnd). After `idleCloseMs` without speech or a reply the Live connection sleeps
 * (LiveSession.sleep(): the conversation is kept); the next speech wakes it, pre-roll included.
 * Push-to-talk bypasses the gate: the button frames the turn.
 */
import type { Clock, Timer } from '../clock.js';
import { SpeechGate, type SpeechGateEvent, type SpeechGateOptions } from '../audio/speechGate.js';
import type { LiveSession } from '../live/session.js';

export interface MicUpstreamOptions {
  live: Pick<LiveSession, 'sendAudio' | 'audioStreamEnd' | 'sleep' | 'state'>;
  clock: Clock;
  /** Undefined: no gate, every sample goes up (and the connection never sleeps). */
  gate: SpeechGateOptions | undefined;
  /** Close the connection after this long without speech or a reply (0: never). */
  idleCloseMs: number;
  pushToTalk: boolean;
  /** Audio as sent to Gemini (for --record and the usage meter); `atSample` counts the mic stream from its first sample. */
  onSent: (samples: Int16Array, atSample: number) => void;
  log: (line: string, debug?: boolean) => void;
}

export class MicUpstream {
  private readonly gate: SpeechGate | undefined;
  private lastActivityAt: number;
  private readonly idleCheck: Timer | undefined;
  /** Samples pushed so far (where the next push starts in the mic stream). */
  private samplesIn = 0;

  constructor(private readonly options: MicUpstreamOptions) {
    this.gate = options.gate && new SpeechGate({ ...options.gate, bypass: options.pushToTalk });
    this.lastActivityAt = options.clock.now();
    if (this.gate && options.idleCloseMs > 0) this.idleCheck = options.clock.every(Math.min(options.idleCloseMs, 10_000), () => this.maybeSleep());
  }

  /** 16 kHz mic audio after the echo gate. */
  push(samples: Int16Array): void {
    const at = this.samplesIn;
    this.samplesIn += samples.length;
    if (!this.gate) return this.send(samples, at);
    this.handle(this.gate.push(samples));
  }

  /** Something is going on (a reply plays, a turn is under way): not a time to sleep. */
  busy(): void {
    this.lastActivityAt = this.options.clock.now();
  }

  /** The device left: whatever the gate held open ends, and so does the stream. */
  end(): void {
    if (this.gate) this.handle(this.gate.flush()); // ends the stream if the gate was open (a closed gate already did)
    else this.options.live.audioStreamEnd();
  }

  get gateOpen(): boolean {
    return this.gate?.open ?? true;
  }

  close(): void {
    this.idleCheck?.cancel();
  }

  private handle(events: readonly SpeechGateEvent[]): void {
    for (const event of events) {
      if (event.type === 'audio') this.send(event.samples, event.atSample);
      else if (event.type === 'open') this.options.log(`speech gate open: ${event.detail}`, true);
      else {
        this.options.log(`speech gate closed: ${event.detail}`, true);
        this.options.live.audioStreamEnd();
      }
    }
  }

  private send(samples: Int16Array, atSample: number): void {
    this.lastActivityAt = this.options.clock.now();
    this.options.onSent(samples, atSample);
    this.options.live.sendAudio(samples);
  }

  private maybeSleep(): void {
    const idleMs = this.options.clock.now() - this.lastActivityAt;
    if (idleMs < this.options.idleCloseMs || this.gate?.open || this.options.live.state !== 'open') return;
    if (this.options.live.sleep()) this.options.log(`no speech for ${Math.round(idleMs / 1000)} s: the Live connection sleeps until someone speaks (the conversation is kept)`);
  }
}
