/**
 * One conversation with Gemini Live through the real @google/genai SDK, kept going across
 * everything the service does to a connection (docs/live-api-notes.md):
 * - goAway: switch to a new connection at a pause in the user's speech, after any reply, or at
 *   the deadline with the in-flight utterance replayed from its start (pipecat#4403);
 * - closes: reconnect, resuming with the newest handle, or in a new session re-seeded with the
 *   conversation's text when the handle is missing or refused (pipecat#4355); 1007/1008 only end
 *   the session when they answer the setup, or come too often (failures.ts);
 * - a BLOCKING tool call: the mic is held until the response is sent (adk-python#4679);
 * - a frozen socket (ping unanswered) or a model that never answers: replaced.
 * Microphone audio that cannot be sent is held (bounded) and sent in order; what is dropped is
 * counted in micDroppedMs.
 */
import { GoogleGenAI, type FunctionResponse, type FunctionResponseScheduling, type LiveServerMessage, type Session } from '@google/genai';
import { WebSocket } from 'ws';
import { realClock, type Clock, type Timer } from '../clock.js';
import { EspLiveError } from '../errors.js';
import { TypedEmitter } from '../typedEmitter.js';
import { toConnectConfig, type LiveConfig } from './config.js';
import { classifyFailure, CloseCap, type Failure } from './failures.js';
import { MIC_RATE_HZ, type Held } from './micBuffer.js';
import { MicInput, REPLAY_PRE_ROLL_SAMPLES } from './micInput.js';
import { isBlockingCall } from './models.js';
import { GuardedSocketFactory, installSocketFactory } from './socket.js';
import { SpeechDetector } from './speechDetector.js';
import { ToolRegistry, type ToolCall, type ToolOutcome } from './tools.js';
import { ConversationHistory, UserTurnText, type HistoryTurn } from './transcripts.js';

export { classifyFailure } from './failures.js';
export { MIC_RATE_HZ } from './micBuffer.js';

const MIC_MIME = `audio/pcm;rate=${MIC_RATE_HZ}`;
/** The mic stream counts as stopped (audioStreamEnd) after this long without audio. */
const MIC_IDLE_MS = 1000;
/** Failed connection attempts in a row before the user is told Gemini is unreachable. */
const UNREACHABLE_AFTER_ATTEMPTS = 2;

/** `asleep`: the connection is closed to save cost while nobody talks; the conversation is kept (sleep()). */
export type LiveState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'asleep' | 'closed' | 'failed';

export interface LiveSessionEvents extends Record<string, unknown[]> {
  /** Model audio (s16 mono) at `rateHz` (24 kHz). */
  audio: [samples: Int16Array, rateHz: number];
  /** The user's words for one turn, once (see transcripts.ts). */
  userTranscript: [text: string];
  /** Words of the user's last turn that arrived after it was given out. */
  userTranscriptLate: [more: string, whole: string];
  /** The user stopped speaking (the host's own detector, push-to-talk release, or `finished`): a reply is due. */
  userTurnEnded: [];
  outputTranscript: [text: string, finished: boolean];
  generationComplete: [];
  turnComplete: [];
  interrupted: [];
  toolCall: [calls: ToolCall[]];
  toolCallCancellation: [ids: string[]];
  usage: [usage: NonNullable<LiveServerMessage['usageMetadata']>];
  /** What the model searched for and found (Google Search grounding). */
  grounding: [metadata: NonNullable<NonNullable<LiveServerMessage['serverContent']>['groundingMetadata']>];
  state: [state: LiveState];
  /** The server will end this connection in `timeLeftMs`; the session switches over by itself. */
  goAway: [timeLeftMs: number];
  /** Connection attempts keep failing: the session keeps trying, the user should know. */
  unreachable: [error: EspLiveError];
  /** Something worth a log line that is not an error (e.g. "reached again"). */
  notice: [message: string];
  /** Something went wrong; `error.retryable` says whether the session carries on by itself. */
  error: [error: EspLiveError];
}

export interface LiveSessionStats {
  connections: number;
  reconnects: number;
  /** Reconnects by cause: goAway, the close code, stall, frozen, timeout. */
  reconnectsByCause: Record<string, number>;
  goAwaySwitches: number;
  /** Switch-overs that found no pause and replayed an utterance. */
  forcedSwitches: number;
  resumed: number;
  handlesRefused: number;
  reseeds: number;
  malformedFrames: number;
  stalls: number;
  /** Turns the model ended without saying anything (gemini-3.8 chose to stay silent). */
  silentTurns: number;
  micDroppedMs: number;
  /** Mic audio held while it could not be sent, then sent. */
  micHeldMs: number;
  /** Mic audio sent again: an utterance a lost connection did not answer, and the last 500 ms sent before any reconnect or switch-over. */
  micReplayedMs: number;
  /** Times the connection was closed for quiet (sleep()) and opened again by new input. */
  sleeps: number;
  wakes: number;
}

export interface LiveSessionOptions {
  config: LiveConfig;
  tools?: ToolRegistry;
  /** Builds the SDK client (tests and the emulator point it elsewhere through config.baseUrl). */
  createClient?: (config: LiveConfig) => GoogleGenAI;
  /** Time for every timer of the session (tests drive it). */
  clock?: Clock;
}

export class LiveSession extends TypedEmitter<LiveSessionEvents> {
  readonly config: LiveConfig;
  readonly tools: ToolRegistry;
  readonly stats: LiveSessionStats = {
    connections: 0,
    reconnects: 0,
    reconnectsByCause: {},
    goAwaySwitches: 0,
    forcedSwitches: 0,
    resumed: 0,
    handlesRefused: 0,
    reseeds: 0,
    malformedFrames: 0,
    stalls: 0,
    silentTurns: 0,
    micDroppedMs: 0,
    micHeldMs: 0,
    micReplayedMs: 0,
    sleeps: 0,
    wakes: 0,
  };
  state: LiveState = 'idle';
  /** The newest handle the server marked resumable. */
  resumptionHandle: string | undefined;

  private readonly createClient: (config: LiveConfig) => GoogleGenAI;
  private readonly clock: Clock;
  private session: Session | undefined;
  private socket: WebSocket | undefined;
  /** Increments per connection attempt; events of older connections are ignored. */
  private attempt = 0;
  private retries = 0;
  private connecting = false;
  /** A routine switch-over is under way: the board is not told (no CONNECTING). */
  private switching = false;
  private reconnectTimer: Timer | undefined;
  private stallTimer: Timer | undefined;
  private switchTimer: Timer | undefined;
  private keepaliveTimer: Timer | undefined;
  private micIdleTimer: Timer | undefined;
  private switchPending = false;
  /** The newest handle covers the conversation so far (nothing happened since it came). */
  private handleCurrent = false;
  /** The next connection starts a new session: send the conversation's text first (and say why). */
  private reseed: 'refused' | 'missing' | undefined;
  private heardSincePing = true;

  // The conversation, turn by turn
  private readonly detector: SpeechDetector;
  private readonly mic: MicInput;
  /** Where the newest utterance the model has not answered yet begins (mic sample index). */
  private unanswered: number | undefined;
  /** The newest utterance our detector heard, pre-roll included (mic sample indices; `to` is Infinity while it lasts). */
  private lastUtterance: { from: number; to: number } | undefined;
  /** The user's turn ended and no reply has begun. */
  private awaitingReply = false;
  /** Model output of the current turn has begun and turnComplete has not come. */
  private replying = false;
  private replyHadAudio = false;
  /** gemini-3.8 said IN_PROGRESS: more output may follow. */
  private interactionOpen = false;
  private readonly blockingCalls = new Set<string>();
  private readonly runningTools = new Map<string, AbortController>();
  private readonly history: ConversationHistory;
  private readonly userText: UserTurnText;
  private lastUserTurn: HistoryTurn | undefined;
  private modelText = '';

  private readonly cap: CloseCap;
  /** Connection attempts failing in a row, and the error codes already reported for them. */
  private outage: { since: number; attempts: number; reported: Set<string> } | undefined;
  private started: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(options: LiveSessionOptions) {
    super();
    this.config = options.config;
    this.tools = options.tools ?? new ToolRegistry();
    this.clock = options.clock ?? realClock;
    this.createClient =
      options.createClient ??
      ((c) => new GoogleGenAI({ apiKey: c.apiKey, httpOptions: { apiVersion: c.apiVersion, ...(c.baseUrl ? { baseUrl: c.baseUrl } : {}) } }));
    this.detector = new SpeechDetector(this.config.vad.silenceDurationMs ?? 500);
    this.mic = new MicInput({
      maxHeldSamples: (this.config.micBufferMs / 1000) * MIC_RATE_HZ,
      clock: this.clock,
      stats: this.stats,
      canSend: () => this.canSend(),
      transmit: (samples) => {
        const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
        this.session!.sendRealtimeInput({ audio: { data: bytes.toString('base64'), mimeType: MIC_MIME } });
      },
      drained: () => this.heldSent(),
      dropped: () =>
        this.report(new EspLiveError('LIVE_MIC_DROPPED', `dropped microphone audio that could not be sent (more than live.micBufferMs = ${this.config.micBufferMs} ms held); ${Math.round(this.stats.micDroppedMs)} ms lost so far.`, { retryable: true })),
    });
    this.history = new ConversationHistory(this.config.historyTurns);
    this.cap = new CloseCap(this.config.rejectedCloseLimit, this.config.rejectedCloseWindowMs);
    this.userText = new UserTurnText({
      turn: (text) => {
        this.lastUserTurn = this.history.add('user', text);
        this.emit('userTranscript', text);
      },
      late: (more, whole) => {
        if (this.lastUserTurn) this.history.extend(this.lastUserTurn, more);
        this.emit('userTranscriptLate', more, whole);
      },
    });
  }

  /** Connects; resolves once the first connection is ready, rejects on an error retrying cannot fix. */
  start(): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new Error('LiveSession.start() called twice'));
    return new Promise((resolve, reject) => {
      this.started = { resolve, reject };
      void this.connect();
    });
  }

  /** A connection is open and nothing holds input back. */
  get isOpen(): boolean {
    return this.state === 'open' && this.session !== undefined && !this.connecting && !this.switching;
  }

  private get ended(): boolean {
    return this.state === 'closed' || this.state === 'failed';
  }

  // ------------------------------------------------------------------------------------------
  // Sending

  /** Microphone audio, 16 kHz s16 mono. Held (bounded) while it cannot be sent. */
  sendAudio(samples: Int16Array): void {
    if (this.ended) return;
    const copy = samples.slice(); // the caller may reuse its buffer; history and hold keep this one
    this.mic.push(copy);
    for (const event of this.detector.push(copy)) this.onSpeech(event.type, event.atSample);
    this.micIdleTimer?.cancel();
    this.micIdleTimer = this.clock.after(MIC_IDLE_MS, () => this.onMicIdle());
    if (this.canSend() && this.mic.nothingHeld) this.mic.send(copy);
    else this.hold({ audio: copy });
    if (this.switchPending) this.maybeSwitch();
  }

  /** Push-to-talk (automatic VAD off): the user started or stopped talking. */
  activityStart(): void {
    this.userText.userSpoke();
    this.sendOrHold(() => this.session!.sendRealtimeInput({ activityStart: {} }));
  }

  activityEnd(): void {
    this.sendOrHold(() => this.session!.sendRealtimeInput({ activityEnd: {} }));
    this.userTurnEnded();
  }

  /** The microphone stopped (a board left or went quiet): lets the server flush cached audio. */
  audioStreamEnd(): void {
    if (!this.mic.endStream()) return;
    const end = this.detector.end();
    if (end) this.onSpeech('end', end.atSample);
    if (this.config.vad.automatic) this.sendOrHold(() => this.session!.sendRealtimeInput({ audioStreamEnd: true }));
  }

  sendText(text: string): void {
    this.history.add('user', text);
    this.sendOrHold(() => this.session!.sendClientContent({ turns: text, turnComplete: true }));
    this.userTurnEnded();
  }

  sendToolResponse(responses: (FunctionResponse & { id: string })[]): void {
    const send = () => this.session!.sendToolResponse({ functionResponses: responses });
    // The response goes ahead of the mic audio it held back.
    if (this.state === 'open' && this.session && !this.connecting && this.socketOpen()) send();
    else this.hold({ send });
    let released = false;
    for (const r of responses) released = this.blockingCalls.delete(r.id) || released;
    if (released && this.blockingCalls.size === 0) {
      this.userTurnEnded(); // the model goes on now
      this.mic.drain();
    }
  }

  updateInstructions(systemInstruction: string): void {
    this.config.systemInstruction = systemInstruction; // also used by the next reconnect
    this.sendOrHold(() => this.session!.sendContextUpdate({ systemInstruction }));
  }

  private canSend(): boolean {
    return this.isOpen && this.blockingCalls.size === 0 && this.socketOpen();
  }

  /** What the SDK sends into a socket that is not OPEN is silently lost (docs/live-api-notes.md §2). */
  private socketOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  private sendOrHold(send: () => void): void {
    if (this.ended) return;
    if (this.canSend() && this.mic.nothingHeld) send();
    else this.hold({ send });
  }

  private hold(item: Held): void {
    this.mic.hold(item);
    if (this.state === 'asleep' && !this.connecting && !this.switching) this.wake(); // not twice: a refused wake is retried quietly
  }

  /** Everything held has been sent. */
  private heldSent(): void {
    // An utterance that was still in the backlog when an older one was answered is all sent now: expect its reply.
    if (this.unanswered !== undefined && !this.awaitingReply && !this.replying && !this.detector.speaking) this.armStallWatchdog();
    if (this.switchPending) this.maybeSwitch();
  }

  /**
   * Closes the connection, not the conversation, while nobody talks: Gemini bills input audio by
   * its duration, silence included (docs/live-api-notes.md, "Cost"). The resumption handle and
   * the conversation's text are kept; the next audio, text or activity wakes the session, held
   * (bounded by micBufferMs) until the new connection is open, and the conversation resumes (or
   * is re-seeded from its text when the handle has expired, after about 2 h). Returns false, and
   * does nothing, while something is in flight: an utterance, a reply, a tool call, held input.
   */
  sleep(): boolean {
    if (this.state !== 'open' || this.connecting || this.switching || !this.mic.nothingHeld) return false;
    if (this.detector.speaking || this.unanswered !== undefined || this.awaitingReply || this.replying || this.interactionOpen) return false;
    if (this.blockingCalls.size || this.runningTools.size) return false;
    for (const t of [this.switchTimer, this.stallTimer, this.micIdleTimer]) t?.cancel();
    this.switchPending = false; // the goAway of a connection that is closing anyway
    this.mic.endStream();
    if (!this.resumptionHandle || !this.config.resumption) this.reseed ??= 'missing';
    this.attempt++;
    this.forgetConnection();
    this.session?.close();
    this.session = undefined;
    this.stats.sleeps++;
    this.setState('asleep');
    return true;
  }

  /** New input while asleep: connect again, quietly (the board is not shown CONNECTING). */
  private wake(): void {
    this.stats.wakes++;
    this.switching = true;
    void this.connect();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.setState('closed');
    for (const t of [this.reconnectTimer, this.stallTimer, this.switchTimer, this.keepaliveTimer, this.micIdleTimer]) t?.cancel();
    this.mic.close();
    for (const c of this.runningTools.values()) c.abort();
    this.runningTools.clear();
    this.attempt++;
    this.session?.close();
    this.session = undefined;
    this.started?.reject(new EspLiveError('LIVE_CLOSED', 'the Live session was closed before it connected'));
    this.started = undefined;
  }

  // ------------------------------------------------------------------------------------------
  // The user's turns, as the host hears them

  private onSpeech(type: 'start' | 'end', atSample: number): void {
    if (type === 'start') {
      this.userText.userSpoke();
      this.lastUtterance = { from: Math.max(0, atSample - REPLAY_PRE_ROLL_SAMPLES), to: Infinity };
      this.unanswered ??= this.lastUtterance.from;
    } else {
      if (this.lastUtterance) this.lastUtterance.to = atSample;
      if (this.config.vad.automatic) this.userTurnEnded();
    }
  }

  private onMicIdle(): void {
    if (this.state === 'open') this.audioStreamEnd();
  }

  /** The user's turn is over: show THINKING, and expect a reply within stallTimeoutMs. */
  private userTurnEnded(): void {
    this.handleCurrent = false;
    this.emit('userTurnEnded');
    this.armStallWatchdog();
  }

  /** The model answered (or chose silence): the utterance need not be replayed any more. */
  private answered(): void {
    this.awaitingReply = false;
    this.stallTimer?.cancel();
    if (this.detector.speaking) return;
    // While held audio is still going out, the answer is to an older utterance: the newest one,
    // not yet all sent, still needs its answer (and a replay if this connection is lost).
    this.unanswered = this.lastUtterance && this.lastUtterance.to > this.mic.sentEnd ? this.lastUtterance.from : undefined;
  }

  private armStallWatchdog(): void {
    this.awaitingReply = true;
    this.stallTimer?.cancel();
    const attempt = this.attempt;
    this.stallTimer = this.clock.after(this.config.stallTimeoutMs, () => {
      // A new connection re-arms it when it opens; a running tool or an open interaction is not a stall.
      if (attempt !== this.attempt || this.state !== 'open' || this.runningTools.size || this.blockingCalls.size || this.interactionOpen || !this.awaitingReply) return;
      this.stats.stalls++;
      // The socket is open but the model is silent: a fresh connection (resuming) usually helps.
      this.dropConnection({
        kind: 'transient',
        error: new EspLiveError('LIVE_STALLED', `the model did not answer within ${this.config.stallTimeoutMs} ms; reconnecting and saying it again.`, { retryable: true }),
      }, 'stall');
    });
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
    this.connecting = true;
    if (!this.switching) this.setState(this.stats.connections === 0 ? 'connecting' : 'reconnecting');
    const ai = this.createClient(this.config);
    let socket: WebSocket | undefined;
    let closeInfo: { code: number; reason: string } | undefined;
    // The SDK's own extension point; see socket.ts for why it is replaced.
    const factory = new GuardedSocketFactory({
      onSocket: (s) => {
        socket = s;
        s.on('pong', () => (this.heardSincePing = true));
      },
      onMalformed: (sample) => this.onMalformed(attempt, sample),
    });
    try {
      installSocketFactory(ai.live, factory);
    } catch (error) {
      this.connecting = false;
      this.fail(attempt, { kind: 'fatal', error: error as EspLiveError }, 'sdk', true);
      return;
    }
    const handle = this.config.resumption ? this.resumptionHandle : undefined;
    this.handleCurrent = handle !== undefined; // resuming restores what the handle covers
    let timer: Timer | undefined;
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
        timer = this.clock.after(this.config.connectTimeoutMs, () => reject(new Error('timeout')));
      });
      const session = await Promise.race([connecting, timeout]);
      timer?.cancel();
      if (attempt !== this.attempt) {
        session.close();
        return;
      }
      this.session = session;
      this.socket = socket;
      this.onOpen(Boolean(handle));
    } catch (error) {
      timer?.cancel();
      if (attempt !== this.attempt) return;
      this.connecting = false;
      const message = (error as Error).message;
      if (message === 'timeout') {
        socket?.terminate();
        this.fail(attempt, { kind: 'transient', error: new EspLiveError('LIVE_CONNECT_TIMEOUT', `the Live API did not finish setup within ${this.config.connectTimeoutMs} ms; retrying.`, { retryable: true }) }, 'timeout', true);
        return;
      }
      const code = closeInfo?.code ?? Number(/code (\d+)/.exec(message)?.[1] ?? NaN);
      const reason = closeInfo?.reason || message;
      const cause = Number.isNaN(code) || code === 1006 ? 'unreachable' : String(code); // 1006: no close frame (refused, reset, DNS)
      this.fail(attempt, classifyFailure(Number.isNaN(code) ? undefined : code, reason, this.config.model, 'setup', Boolean(handle)), cause, true);
    }
  }

  private onOpen(resumed: boolean): void {
    this.stats.connections++;
    if (resumed) this.stats.resumed++;
    if (this.outage && this.outage.attempts >= UNREACHABLE_AFTER_ATTEMPTS) {
      this.emit('notice', `reached the Live API again after ${this.outage.attempts} failed attempts in ${Math.round((this.clock.now() - this.outage.since) / 1000)} s`);
    }
    this.outage = undefined;
    this.retries = 0;
    this.connecting = false;
    this.switching = false;
    // Not switchPending nor handleCurrent: messages that came with setupComplete were handled before connect() resolved.
    this.heardSincePing = true;
    this.startKeepalive();
    this.setState('open');
    if (this.reseed && !resumed) this.sendHistory(this.reseed);
    this.reseed = undefined;
    this.mic.drain();
    if (this.awaitingReply) this.armStallWatchdog();
    this.started?.resolve();
    this.started = undefined;
  }

  /** A new session after a lost or refused handle: the conversation so far, as text, first. */
  private sendHistory(why: 'refused' | 'missing'): void {
    if (this.history.length === 0) return;
    this.stats.reseeds++;
    const because = why === 'refused' ? 'the Live API would not resume the conversation' : 'there was no resumption handle';
    this.emit('notice', `${because}: started a new session and re-sent the conversation's last ${this.history.length} turns as text`);
    this.session!.sendClientContent({ turns: this.history.toContents(), turnComplete: false });
  }

  private onClose(attempt: number, code: number, reason: string): void {
    if (attempt !== this.attempt || this.ended) return;
    this.session = undefined;
    this.fail(attempt, classifyFailure(code, reason, this.config.model, 'session'), String(code), false);
  }

  /** Ends the current connection on our side (stall, frozen) and reconnects. */
  private dropConnection(failure: Failure, cause: string): void {
    this.attempt++;
    this.socket?.terminate();
    this.session = undefined;
    this.fail(this.attempt, failure, cause, false);
  }

  /** Handles a failed or closed connection: give up, or reconnect after a delay. */
  private fail(attempt: number, failure: Failure, cause: string, duringSetup: boolean): void {
    if (attempt !== this.attempt || this.ended) return;
    this.forgetConnection();
    if (failure.kind === 'rejected' && this.cap.record(this.clock.now())) {
      failure = {
        kind: 'fatal',
        error: new EspLiveError('LIVE_REJECTED', `the Live API closed the session ${this.config.rejectedCloseLimit} times within ${Math.round(this.config.rejectedCloseWindowMs / 60_000)} min without an answer between them; giving up. The last: ${failure.error.message}`),
      };
    }
    if (failure.kind === 'fatal') {
      this.setState('failed');
      this.attempt++;
      this.report(failure.error);
      this.started?.reject(failure.error);
      this.started = undefined;
      return;
    }
    if (failure.kind === 'handle') {
      this.stats.handlesRefused++;
      this.resumptionHandle = undefined;
      this.reseed = 'refused';
    } else if (!this.resumptionHandle || !this.config.resumption) this.reseed ??= 'missing';
    if (duringSetup) this.noteOutage(failure.error);
    else this.report(failure.error);
    this.prepareReplay();
    // A refused handle during a routine switch-over (or a wake) is answered at once by a new
    // session: the board goes on seeing nothing.
    if (!(this.switching && failure.kind === 'handle')) {
      this.switching = false;
      this.setState('reconnecting');
    }
    this.connecting = false;
    const base = Math.min(this.config.reconnectMaxDelayMs, this.config.reconnectInitialDelayMs * 2 ** this.retries++);
    const delay = failure.kind === 'quota' ? this.config.quotaRetryDelayMs * (1 + Math.random() * 0.25) : base * (0.5 + Math.random() * 0.5);
    this.stats.reconnects++;
    this.stats.reconnectsByCause[cause] = (this.stats.reconnectsByCause[cause] ?? 0) + 1;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = this.clock.after(failure.kind === 'handle' ? 0 : delay, () => void this.connect());
  }

  /** What belonged to the connection that is gone: its pending calls, its reply, its keepalive. */
  private forgetConnection(): void {
    this.keepaliveTimer?.cancel();
    this.switchTimer?.cancel();
    this.switchPending = false;
    this.socket = undefined;
    this.replying = false;
    this.interactionOpen = false;
    this.blockingCalls.clear();
    for (const c of this.runningTools.values()) c.abort();
    this.runningTools.clear();
  }

  /** Attempts failing in a row: one log line per kind of failure, and `unreachable` once. */
  private noteOutage(error: EspLiveError): void {
    this.outage ??= { since: this.clock.now(), attempts: 0, reported: new Set() };
    this.outage.attempts++;
    if (!this.outage.reported.has(error.code)) {
      this.outage.reported.add(error.code);
      this.report(this.outage.attempts > 1 ? new EspLiveError(error.code, `${error.message} (still retrying; further failures like this are not logged)`, { retryable: true }) : error);
    }
    if (this.outage.attempts === UNREACHABLE_AFTER_ATTEMPTS) {
      this.emit('unreachable', new EspLiveError('LIVE_UNREACHABLE', `cannot reach the Live API (${error.message}); retrying, microphone audio held up to ${this.config.micBufferMs} ms.`, { retryable: true }));
    }
  }

  /** The connection is gone: the utterance it heard without answering goes again, whole, and the last 500 ms it was sent (MicInput.replay). */
  private prepareReplay(): void {
    if (this.config.vad.automatic) this.mic.replay(this.unanswered);
  }

  /**
   * goAway: move to a new connection before the deadline, at a moment when no utterance or
   * reply is in flight; failing that, at the deadline minus a margin, replaying the utterance.
   */
  private onGoAway(attempt: number, timeLeft: string | undefined): void {
    const leftMs = parseDurationMs(timeLeft) ?? 10_000;
    this.emit('goAway', leftMs);
    this.switchPending = true;
    this.switchTimer?.cancel();
    const marginMs = Math.min(this.config.switchMarginMs, leftMs / 10);
    this.switchTimer = this.clock.after(leftMs - marginMs, () => {
      if (attempt === this.attempt) this.switchOver(true);
    });
    this.maybeSwitch();
  }

  private maybeSwitch(): void {
    if (!this.switchPending || this.switching || this.state !== 'open' || this.connecting) return;
    const quiet = !this.detector.speaking && this.unanswered === undefined && !this.awaitingReply;
    // Held audio still being sent (after an outage or a replay) may be speech the service is hearing now.
    const idle = !this.replying && !this.interactionOpen && this.blockingCalls.size === 0 && this.runningTools.size === 0 && this.mic.nothingHeld;
    const resumable = !this.config.resumption || !this.resumptionHandle || this.handleCurrent;
    if (quiet && idle && resumable) this.switchOver(false);
  }

  private switchOver(forced: boolean): void {
    if (!this.switchPending || this.state !== 'open' || this.connecting) return;
    this.switchTimer?.cancel();
    this.stats.goAwaySwitches++;
    this.stats.reconnectsByCause.goAway = (this.stats.reconnectsByCause.goAway ?? 0) + 1;
    if (forced) {
      this.stats.forcedSwitches++;
      if (this.replying) {
        // Out of time mid-reply: the rest of it will not come, so the turn ends here.
        this.endTurn(false);
        this.emit('turnComplete');
      }
    }
    this.prepareReplay();
    if (!this.resumptionHandle || !this.config.resumption) this.reseed ??= 'missing';
    // The service refuses to resume while the old socket is still open, so close it first.
    this.switching = true;
    this.attempt++;
    this.forgetConnection();
    this.session?.close();
    this.session = undefined;
    void this.connect();
  }

  /** WebSocket ping/pong: a connection that answers nothing for a whole period is frozen. */
  private startKeepalive(): void {
    this.keepaliveTimer?.cancel();
    if (!this.config.keepaliveIntervalMs) return;
    this.keepaliveTimer = this.clock.every(this.config.keepaliveIntervalMs, () => {
      if (!this.socketOpen()) return;
      if (!this.heardSincePing) {
        this.dropConnection({
          kind: 'transient',
          error: new EspLiveError('LIVE_FROZEN', `the Live connection answered nothing for ${this.config.keepaliveIntervalMs} ms (not even a ping); reconnecting.`, { retryable: true }),
        }, 'frozen');
        return;
      }
      this.heardSincePing = false;
      this.socket!.ping();
    });
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

  private onMessage(attempt: number, message: LiveServerMessage): void {
    if (attempt !== this.attempt) return;
    this.heardSincePing = true;
    try {
      this.handleMessage(attempt, message);
    } catch (error) {
      // A bug in a listener must not become an unhandled rejection inside the SDK.
      this.report(new EspLiveError('LIVE_HANDLER', `a Live message handler failed: ${(error as Error).message}`, { cause: error, retryable: true }));
    }
  }

  /**
   * The model's turn has begun. A tool call is not yet an answer: if the connection is lost
   * before the model speaks, the utterance goes again (the resumed state predates the call).
   */
  private replyBegins(spoken: boolean): void {
    this.handleCurrent = false;
    if (!this.replying) {
      this.replying = true;
      this.replyHadAudio = false;
    }
    if (spoken) this.answered();
    else {
      this.awaitingReply = false;
      this.stallTimer?.cancel();
    }
  }

  /** Records the model's words of the turn and resets for the next. */
  private endTurn(complete: boolean): void {
    if (complete) this.userText.turnComplete();
    else this.userText.replyStarted();
    if (this.modelText.trim()) this.history.add('model', this.modelText.trim());
    this.modelText = '';
    this.replying = false;
  }

  private handleMessage(attempt: number, m: LiveServerMessage): void {
    const content = m.serverContent;
    if (content) {
      if (content.modelTurn) {
        this.replyBegins(true);
        for (const part of content.modelTurn.parts ?? []) {
          const inline = part.inlineData;
          if (!inline?.data || !inline.mimeType?.startsWith('audio/pcm')) continue;
          if (!this.replyHadAudio) this.userText.replyStarted();
          this.replyHadAudio = true;
          const rateHz = Number(/rate=(\d+)/.exec(inline.mimeType)?.[1] ?? 24000);
          this.emit('audio', decodePcm(inline.data), rateHz);
        }
      }
      const input = content.inputTranscription;
      if (input?.text !== undefined || input?.finished) {
        this.userText.chunk(input.text ?? '', input.finished ?? false);
        if (input.finished && !this.awaitingReply && !this.replying) this.userTurnEnded();
      }
      if (content.outputTranscription?.text) {
        this.modelText += content.outputTranscription.text;
        this.emit('outputTranscript', content.outputTranscription.text, content.outputTranscription.finished ?? false);
      }
      if (content.groundingMetadata) this.emit('grounding', content.groundingMetadata);
      if (content.interrupted) this.emit('interrupted');
      if (content.generationComplete) {
        this.userText.replyStarted();
        this.emit('generationComplete');
      }
      if (content.turnComplete) {
        if (!this.replyHadAudio && !content.interrupted && this.awaitingReply) this.stats.silentTurns++; // chose silence: not a stall
        if (this.replyHadAudio && !content.interrupted) this.cap.clear(); // a whole answer: the closes before it do not add up to giving up
        this.answered();
        this.replyHadAudio = false;
        this.interactionOpen = content.interactionStatus === 'IN_PROGRESS';
        this.endTurn(true);
        this.emit('turnComplete');
      }
    }
    if (m.toolCall?.functionCalls?.length) {
      this.replyBegins(false);
      const calls = m.toolCall.functionCalls.map((c) => ({ id: c.id ?? '', name: c.name ?? '', args: (c.args ?? {}) as Record<string, unknown> }));
      this.emit('toolCall', calls);
      for (const call of calls) {
        if (isBlockingCall(this.config.model, this.tools.behavior(call.name))) this.blockingCalls.add(call.id);
        void this.runTool(attempt, call);
      }
    }
    if (m.toolCallCancellation?.ids) {
      for (const id of m.toolCallCancellation.ids) {
        this.runningTools.get(id)?.abort();
        this.blockingCalls.delete(id);
      }
      this.emit('toolCallCancellation', m.toolCallCancellation.ids);
      this.mic.drain();
    }
    if (m.usageMetadata) this.emit('usage', m.usageMetadata);
    const update = m.sessionResumptionUpdate;
    if (update) {
      this.handleCurrent = Boolean(update.resumable && update.newHandle);
      if (this.handleCurrent) this.resumptionHandle = update.newHandle;
    }
    if (m.goAway) this.onGoAway(attempt, m.goAway.timeLeft);
    if (this.switchPending) this.maybeSwitch();
  }

  private async runTool(attempt: number, call: ToolCall): Promise<void> {
    const controller = new AbortController();
    this.runningTools.set(call.id, controller);
    const live = () => !controller.signal.aborted && attempt === this.attempt; // not cancelled, its connection not gone
    // A NON_BLOCKING call may answer in steps (willContinue) and with a scheduling.
    const interim = isBlockingCall(this.config.model, this.tools.behavior(call.name)) ? undefined : (o: ToolOutcome) => live() && this.sendToolResponse([toFunctionResponse(o)]);
    const outcome = await this.tools.dispatch(call, this.config.toolTimeoutMs, controller.signal, interim);
    this.runningTools.delete(call.id);
    if (!live()) return;
    this.sendToolResponse([toFunctionResponse(outcome)]);
    if (this.switchPending) this.maybeSwitch();
  }
}

/** A tool's outcome as the SDK's FunctionResponse. */
function toFunctionResponse(o: ToolOutcome): FunctionResponse & { id: string } {
  return { id: o.id, name: o.name, response: o.response as Record<string, unknown>, ...(o.willContinue ? { willContinue: true } : {}), ...(o.scheduling ? { scheduling: o.scheduling as FunctionResponseScheduling } : {}) };
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
