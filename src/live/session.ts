/**
 * One conversation with Gemini Live through the real @google/genai SDK, kept alive across the
 * service's connection limits: resumption handles, a switch-over before goAway's deadline, a
 * reconnect with backoff after an unexpected close, and microphone audio buffered (bounded)
 * and replayed in order whenever no connection is ready. Errors that retrying cannot fix (a
 * rejected key, an unknown model, a bad setup) end the session with one clear error.
 */
import { GoogleGenAI, type LiveServerMessage, type Session } from '@google/genai';
import type { WebSocket } from 'ws';
import { EspLiveError } from '../errors.js';
import { TypedEmitter } from '../typedEmitter.js';
import { toConnectConfig, type LiveConfig } from './config.js';
import { GuardedSocketFactory } from './socket.js';
import { ToolRegistry, type ToolCall } from './tools.js';

export const MIC_RATE_HZ = 16000;
const MIC_MIME = `audio/pcm;rate=${MIC_RATE_HZ}`;
/** Switch over this long before goAway's deadline (at most a quarter of the time left) even if a reply is still going. */
const SWITCH_MARGIN_MS = 1500;
const MAX_PENDING_CONTROL = 16;

export type LiveState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' | 'failed';

export interface LiveSessionEvents extends Record<string, unknown[]> {
  /** Model audio (s16 mono) at `rateHz` (24 kHz). */
  audio: [samples: Int16Array, rateHz: number];
  inputTranscript: [text: string, finished: boolean];
  outputTranscript: [text: string, finished: boolean];
  generationComplete: [];
  turnComplete: [];
  interrupted: [];
  toolCall: [calls: ToolCall[]];
  toolCallCancellation: [ids: string[]];
  usage: [usage: NonNullable<LiveServerMessage['usageMetadata']>];
  state: [state: LiveState];
  /** The server will end this connection in `timeLeftMs`; the session switches over by itself. */
  goAway: [timeLeftMs: number];
  /** Something went wrong; `error.retryable` says whether the session carries on by itself. */
  error: [error: EspLiveError];
}

export interface LiveSessionStats {
  connections: number;
  reconnects: number;
  goAwaySwitches: number;
  resumed: number;
  malformedFrames: number;
  stalls: number;
  micDroppedMs: number;
  micReplayedMs: number;
}

export interface LiveSessionOptions {
  config: LiveConfig;
  tools?: ToolRegistry;
  /** Builds the SDK client (tests and the emulator point it elsewhere through config.baseUrl). */
  createClient?: (config: LiveConfig) => GoogleGenAI;
}

/** Mic audio or a control message waiting for a connection. */
type Pending = { audio: Buffer; send?: undefined } | { send: () => void; audio?: undefined };

type Failure = { kind: 'fatal' | 'quota' | 'transient' | 'handle'; error: EspLiveError };

/** Sorts a close code or failed upgrade into what to do about it (docs/live-api-notes.md §5). */
export function classifyFailure(code: number | undefined, reason: string, model: string): Failure {
  const status = /Unexpected server response: (\d+)/.exec(reason)?.[1];
  const fatal = (errorCode: string, message: string): Failure => ({ kind: 'fatal', error: new EspLiveError(errorCode, message) });
  if (status === '401' || status === '403' || /API key not valid|unregistered callers/i.test(reason)) {
    return fatal('LIVE_AUTH', 'GEMINI_API_KEY was rejected by the Live API. Check the key (or the ephemeral token) and try again.');
  }
  if (status === '429' || /quota/i.test(reason)) {
    return { kind: 'quota', error: new EspLiveError('LIVE_QUOTA', `Live API quota exceeded (${reason || 'HTTP 429'}); retrying slowly. Check your plan, or close other Live sessions.`, { retryable: true }) };
  }
  if (status === '404') return fatal('LIVE_ENDPOINT', `no Live API at this address (HTTP 404). Check the base URL.`);
  if (status === '400') return fatal('LIVE_REJECTED', `the Live API refused the connection (HTTP 400): ${reason}`);
  if (/resumption handle/i.test(reason)) {
    return { kind: 'handle', error: new EspLiveError('LIVE_CONTEXT_LOST', `the Live API no longer has this conversation (${reason}); starting a new one.`, { retryable: true }) };
  }
  if (code === 1008 && /not found|not supported/i.test(reason)) {
    return fatal('LIVE_MODEL', `model ${model} is not available for Live (${reason}). Pick another model.`);
  }
  if (code === 1007 || code === 1008) return fatal('LIVE_REJECTED', `the Live API rejected the session setup (${code}: ${reason || 'no reason given'}). Check the Live settings.`);
  return { kind: 'transient', error: new EspLiveError('LIVE_DISCONNECTED', `the Live connection closed (${code ?? 'no code'}${reason ? `: ${reason}` : ''}); reconnecting.`, { retryable: true }) };
}

export class LiveSession extends TypedEmitter<LiveSessionEvents> {
  readonly config: LiveConfig;
  readonly tools: ToolRegistry;
  readonly stats: LiveSessionStats = { connections: 0, reconnects: 0, goAwaySwitches: 0, resumed: 0, malformedFrames: 0, stalls: 0, micDroppedMs: 0, micReplayedMs: 0 };
  state: LiveState = 'idle';
  /** The newest handle the server marked resumable. */
  resumptionHandle: string | undefined;

  private readonly createClient: (config: LiveConfig) => GoogleGenAI;
  private session: Session | undefined;
  /** Increments per connection attempt; events of older connections are ignored. */
  private attempt = 0;
  private retries = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private switchTimer: NodeJS.Timeout | undefined;
  private switchPending = false;
  /** True from the end of a user turn (or a reply's first message) until turnComplete, and while tools run. */
  private turnActive = false;
  /** What waits for the next connection, in order. */
  private readonly pending: Pending[] = [];
  private pendingMicBytes = 0;
  private pendingControl = 0;
  private readonly runningTools = new Map<string, AbortController>();
  private started: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(options: LiveSessionOptions) {
    super();
    this.config = options.config;
    this.tools = options.tools ?? new ToolRegistry();
    this.createClient =
      options.createClient ??
      ((c) => new GoogleGenAI({ apiKey: c.apiKey, httpOptions: { apiVersion: c.apiVersion, ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}) } }));
  }

  /** Connects; resolves once the first connection is ready, rejects on an error retrying cannot fix. */
  start(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new Error('LiveSession.start() called twice'));
    return new Promise((resolve, reject) => {
      this.started = { resolve, reject };
      void this.connect();
    });
  }

  get isOpen(): boolean {
    return this.state === 'open' && !this.switchPending;
  }

  // ------------------------------------------------------------------------------------------
  // Sending

  /** Microphone audio, 16 kHz s16 mono. Kept (bounded) while no connection is ready. */
  sendAudio(samples: Int16Array): void {
    if (this.state === 'closed' || this.state === 'failed') return;
    const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    if (this.isOpen && this.pending.length === 0) {
      this.session!.sendRealtimeInput({ audio: { data: bytes.toString('base64'), mimeType: MIC_MIME } });
      return;
    }
    this.keep({ audio: Buffer.from(bytes) });
  }

  /** Push-to-talk (automatic VAD off): the user started or stopped talking. */
  activityStart(): void {
    this.sendOrKeep(() => this.session!.sendRealtimeInput({ activityStart: {} }));
  }

  activityEnd(): void {
    this.sendOrKeep(() => {
      this.session!.sendRealtimeInput({ activityEnd: {} });
      this.armStallWatchdog();
    });
  }

  /** The microphone paused for a while (automatic VAD): lets the server flush cached audio. */
  audioStreamEnd(): void {
    this.sendOrKeep(() => {
      this.session!.sendRealtimeInput({ audioStreamEnd: true });
      this.armStallWatchdog();
    });
  }

  sendText(text: string): void {
    this.sendOrKeep(() => {
      this.session!.sendClientContent({ turns: text, turnComplete: true });
      this.armStallWatchdog();
    });
  }

  sendToolResponse(responses: { id: string; name: string; response: Record<string, unknown> }[]): void {
    this.sendOrKeep(() => this.session!.sendToolResponse({ functionResponses: responses }));
  }

  /** Sends now, or keeps it, in order with the mic audio, for the next connection. */
  private sendOrKeep(send: () => void): void {
    if (this.isOpen && this.session && this.pending.length === 0) return send();
    if (this.state === 'closed' || this.state === 'failed') return;
    this.keep({ send });
  }

  /** Keeps audio (bounded in ms, oldest dropped first) and control messages (at most 16) in order. */
  private keep(item: Pending): void {
    this.pending.push(item);
    if (item.audio) this.pendingMicBytes += item.audio.length;
    else if (++this.pendingControl > MAX_PENDING_CONTROL) this.dropOldest((p) => p.send !== undefined);
    const limit = (this.config.micBufferMs / 1000) * MIC_RATE_HZ * 2;
    while (this.pendingMicBytes > limit) this.dropOldest((p) => p.audio !== undefined);
  }

  private dropOldest(which: (p: Pending) => boolean): void {
    const i = this.pending.findIndex(which);
    if (i < 0) return;
    const [dropped] = this.pending.splice(i, 1);
    if (dropped.audio) {
      this.pendingMicBytes -= dropped.audio.length;
      this.stats.micDroppedMs += (dropped.audio.length / 2 / MIC_RATE_HZ) * 1000;
    } else this.pendingControl--;
  }

  updateInstructions(systemInstruction: string): void {
    this.config.systemInstruction = systemInstruction; // also used by the next reconnect
    this.sendOrKeep(() => this.session!.sendContextUpdate({ systemInstruction }));
  }

  close(): void {
    if (this.state === 'closed') return;
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.stallTimer);
    clearTimeout(this.switchTimer);
    for (const c of this.runningTools.values()) c.abort();
    this.runningTools.clear();
    this.attempt++;
    this.session?.close();
    this.session = undefined;
    this.started?.reject(new EspLiveError('LIVE_CLOSED', 'the Live session was closed before it connected'));
    this.started = undefined;
  }

  // ------------------------------------------------------------------------------------------
  // Connecting

  private setState(state: LiveState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  private async connect(): Promise<void> {
    const attempt = ++this.attempt;
    this.setState(this.stats.connections === 0 ? 'connecting' : 'reconnecting');
    const ai = this.createClient(this.config);
    let socket: WebSocket | undefined;
    let closeInfo: { code: number; reason: string } | undefined;
    // The SDK's own extension point; see socket.ts for why it is replaced.
    (ai.live as unknown as { webSocketFactory: GuardedSocketFactory }).webSocketFactory = new GuardedSocketFactory({
      onSocket: (s) => (socket = s),
      onMalformed: (sample) => this.onMalformed(attempt, sample),
    });
    const handle = this.config.resumption ? this.resumptionHandle : undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const connecting = ai.live.connect({
        model: this.config.model,
        config: toConnectConfig(this.config, handle, this.tools.declarations()),
        callbacks: {
          onmessage: (m) => this.onMessage(attempt, m),
          onerror: () => undefined, // the close that follows carries the detail
          onclose: (e: { code: number; reason: string }) => {
            closeInfo = e;
            if (attempt === this.attempt && this.session) this.onClose(attempt, e.code, e.reason);
          },
        },
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), this.config.connectTimeoutMs);
      });
      const session = await Promise.race([connecting, timeout]);
      clearTimeout(timer);
      if (attempt !== this.attempt) {
        session.close();
        return;
      }
      this.session = session;
      this.stats.connections++;
      if (handle) this.stats.resumed++;
      this.retries = 0;
      this.switchPending = false;
      this.setState('open');
      this.replayMic();
      this.started?.resolve();
      this.started = undefined;
    } catch (error) {
      clearTimeout(timer);
      if (attempt !== this.attempt) return;
      const message = (error as Error).message;
      if (message === 'timeout') {
        socket?.terminate();
        this.fail(attempt, { kind: 'transient', error: new EspLiveError('LIVE_CONNECT_TIMEOUT', `the Live API did not finish setup within ${this.config.connectTimeoutMs} ms; retrying.`, { retryable: true }) });
        return;
      }
      const code = closeInfo?.code ?? Number(/code (\d+)/.exec(message)?.[1] ?? NaN);
      this.fail(attempt, classifyFailure(Number.isNaN(code) ? undefined : code, closeInfo?.reason || message, this.config.model));
    }
  }

  private onClose(attempt: number, code: number, reason: string): void {
    if (attempt !== this.attempt || this.state === 'closed') return;
    this.session = undefined;
    this.fail(attempt, classifyFailure(code, reason, this.config.model));
  }

  /** Handles a failed or closed connection: give up, or reconnect after a delay. */
  private fail(attempt: number, failure: Failure): void {
    if (attempt !== this.attempt || this.state === 'closed') return;
    this.turnActive = false;
    clearTimeout(this.stallTimer);
    for (const c of this.runningTools.values()) c.abort();
    this.runningTools.clear();
    if (failure.kind === 'fatal') {
      this.setState('failed');
      this.attempt++;
      this.report(failure.error);
      this.started?.reject(failure.error);
      this.started = undefined;
      return;
    }
    if (failure.kind === 'handle') this.resumptionHandle = undefined;
    this.report(failure.error);
    this.setState('reconnecting');
    const base = Math.min(this.config.reconnectMaxDelayMs, this.config.reconnectInitialDelayMs * 2 ** this.retries++);
    const delay = failure.kind === 'quota' ? this.config.quotaRetryDelayMs * (1 + Math.random() * 0.25) : base * (0.5 + Math.random() * 0.5);
    this.stats.reconnects++;
    this.reconnectTimer = setTimeout(() => void this.connect(), failure.kind === 'handle' ? 0 : delay);
  }

  /**
   * goAway: move to a new connection before the deadline; if a reply is under way, after it
   * and the resumption handle that covers it, when there is time for that.
   */
  private onGoAway(attempt: number, timeLeft: string | undefined): void {
    const leftMs = parseDurationMs(timeLeft) ?? 10_000;
    this.emit('goAway', leftMs);
    if (!this.config.resumption) return; // without resumption a new connection is a new conversation
    this.switchPending = true; // from now on mic audio is kept for the next connection
    clearTimeout(this.switchTimer);
    this.switchTimer = setTimeout(() => this.switchOver(attempt), leftMs - Math.min(SWITCH_MARGIN_MS, leftMs / 4));
    if (!this.turnActive && this.resumptionHandle) this.switchOver(attempt);
  }

  private switchOver(attempt: number): void {
    if (attempt !== this.attempt || !this.switchPending || this.state !== 'open') return;
    clearTimeout(this.switchTimer);
    this.stats.goAwaySwitches++;
    if (this.turnActive) {
      // Out of time mid-reply: the rest of it will not come, so the turn ends here.
      this.turnActive = false;
      this.emit('turnComplete');
    }
    // The service refuses to resume while the old socket is still open, so close it first.
    this.attempt++;
    this.session?.close();
    this.session = undefined;
    void this.connect();
  }

  /** Sends what was kept, in order, on the new connection. */
  private replayMic(): void {
    while (this.pending.length && this.isOpen) {
      const item = this.pending.shift()!;
      if (item.send) {
        this.pendingControl--;
        item.send();
        continue;
      }
      this.pendingMicBytes -= item.audio.length;
      this.stats.micReplayedMs += (item.audio.length / 2 / MIC_RATE_HZ) * 1000;
      this.session!.sendRealtimeInput({ audio: { data: item.audio.toString('base64'), mimeType: MIC_MIME } });
    }
  }

  private onMalformed(attempt: number, sample: string): void {
    if (attempt !== this.attempt) return;
    this.stats.malformedFrames++;
    this.report(new EspLiveError('LIVE_MALFORMED', `ignored a Live API frame that is not JSON: ${JSON.stringify(sample)}`, { retryable: true }));
  }

  /** Emits 'error' if anyone listens (an unheard 'error' event would throw); the state tells the rest. */
  private report(error: EspLiveError): void {
    if (this.listenerCount('error')) this.emit('error', error);
  }

  // ------------------------------------------------------------------------------------------
  // Receiving

  /** The user's turn has ended: a reply is due. */
  private armStallWatchdog(): void {
    this.turnActive = true;
    clearTimeout(this.stallTimer);
    const attempt = this.attempt;
    this.stallTimer = setTimeout(() => {
      if (attempt !== this.attempt || this.state !== 'open' || this.runningTools.size) return;
      this.stats.stalls++;
      // The socket is open but the model is silent: a fresh connection (resuming) usually helps.
      this.attempt++;
      this.session?.close();
      this.session = undefined;
      this.fail(this.attempt, {
        kind: 'transient',
        error: new EspLiveError('LIVE_STALLED', `the model did not answer within ${this.config.stallTimeoutMs} ms; reconnecting. Please say it again.`, { retryable: true }),
      });
    }, this.config.stallTimeoutMs);
  }

  private onMessage(attempt: number, message: LiveServerMessage): void {
    if (attempt !== this.attempt) return;
    try {
      this.handleMessage(attempt, message);
    } catch (error) {
      // A bug in a listener must not become an unhandled rejection inside the SDK.
      this.report(new EspLiveError('LIVE_HANDLER', `a Live message handler failed: ${(error as Error).message}`, { cause: error, retryable: true }));
    }
  }

  private handleMessage(attempt: number, m: LiveServerMessage): void {
    const content = m.serverContent;
    if (content) {
      if (content.modelTurn) {
        this.turnActive = true;
        clearTimeout(this.stallTimer);
        for (const part of content.modelTurn.parts ?? []) {
          const inline = part.inlineData;
          if (!inline?.data || !inline.mimeType?.startsWith('audio/pcm')) continue;
          const rateHz = Number(/rate=(\d+)/.exec(inline.mimeType)?.[1] ?? 24000);
          this.emit('audio', decodePcm(inline.data), rateHz);
        }
      }
      if (content.inputTranscription?.text !== undefined) {
        this.emit('inputTranscript', content.inputTranscription.text, content.inputTranscription.finished ?? false);
        if (content.inputTranscription.finished && !this.turnActive) this.armStallWatchdog();
      }
      if (content.outputTranscription?.text) this.emit('outputTranscript', content.outputTranscription.text, content.outputTranscription.finished ?? false);
      if (content.interrupted) {
        this.emit('interrupted');
      }
      if (content.generationComplete) this.emit('generationComplete');
      if (content.turnComplete) {
        this.turnActive = this.runningTools.size > 0;
        clearTimeout(this.stallTimer);
        this.emit('turnComplete');
      }
    }
    if (m.toolCall?.functionCalls?.length) {
      clearTimeout(this.stallTimer);
      this.turnActive = true;
      const calls = m.toolCall.functionCalls.map((c) => ({ id: c.id ?? '', name: c.name ?? '', args: (c.args ?? {}) as Record<string, unknown> }));
      this.emit('toolCall', calls);
      for (const call of calls) void this.runTool(attempt, call);
    }
    if (m.toolCallCancellation?.ids) {
      for (const id of m.toolCallCancellation.ids) this.runningTools.get(id)?.abort();
      this.emit('toolCallCancellation', m.toolCallCancellation.ids);
    }
    if (m.usageMetadata) this.emit('usage', m.usageMetadata);
    const update = m.sessionResumptionUpdate;
    if (update?.resumable && update.newHandle) this.resumptionHandle = update.newHandle;
    if (m.goAway) this.onGoAway(attempt, m.goAway.timeLeft);
    // Switch once the reply is over and the handle that includes it has arrived.
    if (this.switchPending && !this.turnActive && update?.resumable && update.newHandle) this.switchOver(attempt);
  }

  private async runTool(attempt: number, call: ToolCall): Promise<void> {
    const controller = new AbortController();
    this.runningTools.set(call.id, controller);
    const outcome = await this.tools.dispatch(call, this.config.toolTimeoutMs, controller.signal);
    this.runningTools.delete(call.id);
    if (controller.signal.aborted || attempt !== this.attempt) return; // cancelled: the model no longer wants it
    this.sendToolResponse([{ id: outcome.id, name: outcome.name, response: outcome.response as Record<string, unknown> }]);
  }
}

/** Base64 s16le → Int16Array, copying only when the bytes are not 2-byte aligned. */
export function decodePcm(base64: string): Int16Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
  const out = new Int16Array(bytes.length >> 1);
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 2));
  return out;
}

/** "10s", "1.5s" or "500ms" (protobuf Duration JSON) → milliseconds. */
export function parseDurationMs(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text ?? '');
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}
