/**
 * The emulator's logical sessions: what survives a connection when the client resumes with a
 * handle (turn count, scenario position, the audio it received), and the handles themselves.
 */
import { randomBytes } from 'node:crypto';

/** Received audio kept per conversation, for tests (bounded: 10 minutes at 16 kHz). */
const MAX_AUDIO_LOG_SAMPLES = 16000 * 600;

export class Conversation {
  readonly id: string;
  turns = 0;
  /** Scenario turns used so far. */
  scenarioPosition = 0;
  systemInstruction = '';
  /** The connection currently serving this conversation, if any. */
  connected = false;
  /** All mic audio received, 16 kHz, in order, across connections. */
  private audio: Int16Array[] = [];
  private audioSamples = 0;
  audioDropped = 0;

  constructor() {
    this.id = randomBytes(6).toString('hex');
  }

  logAudio(samples: Int16Array): void {
    if (this.audioSamples + samples.length > MAX_AUDIO_LOG_SAMPLES) {
      this.audioDropped += samples.length;
      return;
    }
    this.audio.push(samples);
    this.audioSamples += samples.length;
  }

  receivedAudio(): Int16Array {
    const out = new Int16Array(this.audioSamples);
    let at = 0;
    for (const part of this.audio) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

export class ConversationStore {
  private readonly handles = new Map<string, { conversation: Conversation; expiresAt: number }>();
  readonly all: Conversation[] = [];

  constructor(
    private readonly handleTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(): Conversation {
    const c = new Conversation();
    this.all.push(c);
    if (this.all.length > 1000) this.all.shift();
    return c;
  }

  issueHandle(conversation: Conversation): string {
    const handle = `emu-${conversation.id}-${conversation.turns}-${randomBytes(8).toString('base64url')}`;
    this.handles.set(handle, { conversation, expiresAt: this.now() + this.handleTtlMs });
    for (const [h, entry] of this.handles) if (entry.expiresAt < this.now()) this.handles.delete(h);
    return handle;
  }

  resume(handle: string): Conversation | undefined {
    const entry = this.handles.get(handle);
    if (!entry || entry.expiresAt < this.now()) return undefined;
    return entry.conversation;
  }
}
