/**
 * The emulator's logical sessions: what survives a connection when the client resumes with a
 * handle (turn count, scenario position, the audio it received), and the handles themselves.
 */
import { randomBytes } from 'node:crypto';
import { concatSamples } from '../audio/sampleFormat.js';

/** Received audio kept per conversation, for tests: the last 60 s at 16 kHz (1.9 MB). */
const MAX_AUDIO_LOG_SAMPLES = 16000 * 60;
const MAX_HISTORY_TURNS = 200;
/**
 * Tokens per second of audio: Google's audio-understanding docs bill 32 tokens a second, and the
 * Live API bills input audio by duration, silence included (discuss thread 92653: 25–32). Output
 * audio at the same rate is a guess.
 */
export const AUDIO_TOKENS_PER_S = 32;

export interface UsageMetadata {
  promptTokenCount: number;
  responseTokenCount: number;
  totalTokenCount: number;
  promptTokensDetails: { modality: string; tokenCount: number }[];
  responseTokensDetails: { modality: string; tokenCount: number }[];
}

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
  /** What the model knows: user and model turns as text (clientContent, transcripts), the newest 200. */
  readonly history: { role: 'user' | 'model'; text: string }[] = [];
  /** The last connection serving it was ended by the connection lifetime (its resume may be refused). */
  endedByLifetime = false;
  /** Tokens already in the context, by modality (each turn bills them again). */
  private contextAudio = 0;
  private contextText = 0;
  private newAudioSamples = 0;
  private newTextChars = 0;

  constructor() {
    this.id = randomBytes(6).toString('hex');
  }

  /** Tool responses received (for tests), the newest 100. */
  readonly toolResponses: { name?: string; response?: unknown; willContinue?: boolean; scheduling?: string }[] = [];

  rememberToolResponse(r: Conversation['toolResponses'][number]): void {
    this.toolResponses.push(r);
    if (this.toolResponses.length > 100) this.toolResponses.shift();
  }

  remember(role: 'user' | 'model', text: string): void {
    if (!text) return;
    this.newTextChars += role === 'user' ? text.length : 0;
    this.history.push({ role, text });
    if (this.history.length > MAX_HISTORY_TURNS) this.history.shift();
  }

  /**
   * usageMetadata for a turn that produced `responseSamples` of 24 kHz audio: every second of
   * input audio since the last turn (silence too) plus the whole context so far is billed.
   */
  usage(responseSamples: number): UsageMetadata {
    const audio = Math.round((this.newAudioSamples / 16000) * AUDIO_TOKENS_PER_S);
    const text = Math.ceil(this.newTextChars / 4);
    const response = Math.round((responseSamples / 24000) * AUDIO_TOKENS_PER_S);
    const promptAudio = this.contextAudio + audio;
    const promptText = this.contextText + text;
    this.contextAudio = promptAudio + response;
    this.contextText = promptText;
    this.newAudioSamples = 0;
    this.newTextChars = 0;
    return {
      promptTokenCount: promptAudio + promptText,
      responseTokenCount: response,
      totalTokenCount: promptAudio + promptText + response,
      promptTokensDetails: [
        { modality: 'AUDIO', tokenCount: promptAudio },
        { modality: 'TEXT', tokenCount: promptText },
      ],
      responseTokensDetails: [{ modality: 'AUDIO', tokenCount: response }],
    };
  }

  logAudio(samples: Int16Array): void {
    this.newAudioSamples += samples.length;
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
