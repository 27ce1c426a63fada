/**
 * The emulator's logical sessions: what survives a connection when the client resumes with a
 * handle (turn count, scenario position, the audio it received), and the handles themselves.
 */
import { randomBytes } from 'node:crypto';
import { concatSamples } from '../audio/sampleFormat.js';

/** Received audio kept per conversation, for tests: the last 60 s at 16 kHz (1.9 MB). */
const MAX_AUDIO_LOG_SAMPLES = 16000 * 60;

export class Conversation {
  readonly id: string;
  turns = 0;
  /** Scenario turns used so far. */
  scenarioPosition = 0;
  systemInstruction = '';
  /** The connection currently serving this conversation, if any. */
  connected = false;
  /** The mic audio received (the last 60 s), 16 kHz, in order, across connections. */
  private audio: Int16Array[] = [];
  private audioSamples = 0;
  /** Samples that fell out of the log (it keeps the newest). */
  audioDropped = 0;

  constructor() {
    this.id = randomBytes(6).toString('hex');
  }

  logAudio(samples: Int16Array): void {
    this.audio.push(samples);
    this.audioSamples += samples.length;
    while (this.audioSamples > MAX_AUDIO_LOG_SAMPLES) {
      const oldest = this.audio.shift()!;
      this.audioSamples -= oldest.length;
      this.audioDropped += oldest.length;
    }
  }

  receivedAudio(): Int16Array {
    return concatSamples(this.audio, this.audioSamples);
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
