/**
 * One emulated Live API connection: the BidiGenerateContent protocol as the real service
 * speaks it (docs/live-api-notes.md), including what the service does that its documentation
 * does not say (see behaviour.ts). JSON goes out in binary frames like the service's.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket, RawData } from 'ws';
import { EnergyVad } from '../audio/level.js';
import { Resampler } from '../audio/resampler.js';
import { concatSamples } from '../audio/sampleFormat.js';
import type { Clock, Timer } from '../clock.js';
import { isBlockingCall, LIVE_MODELS, modelConfigProblem } from '../live/models.js';
import type { EmulatorBehaviour } from './behaviour.js';
import type { Conversation, ConversationStore } from './conversation.js';
import { OUTPUT_RATE_HZ, planReply, type PersonaName, type Scenario } from './personas.js';

export interface EmulatorFaults {
  /** Close the connection this long after setup, with this code and reason. */
  closeAt?: { ms: number; code: number; reason: string };
  /** Never answer `setup` (the SDK then waits forever). */
  silentSetup?: boolean;
  /** Never answer a user turn; the socket stays open. */
  stall?: boolean;
  /** Send a frame that is not JSON this long after setup. */
  malformedFrameAtMs?: number;
  /** Freeze this long after setup: the socket stays open, nothing is sent, read or answered (not even pings). */
  freezeAtMs?: number;
  /** The next this many `toolResponse`s, over all connections, are answered by close 1008 "Requested entity was not found." (the emulator counts down its own copy). */
  notFoundAfterToolResponses?: number;
}

/** A user utterance as one connection heard it, and what became of it (for tests and the soak). */
export interface HeardUtterance {
  connection: number;
  conversation: string;
  /** 16 kHz, as heard, from just before the speech began (at most 30 s). */
  samples: Int16Array;
  /** False when the connection closed while the user was still speaking (half an utterance). */
  whole: boolean;
  /** none: no reply; silent: the model chose not to answer; partial: a tool call, or a reply cut or interrupted; complete. */
  reply: 'none' | 'silent' | 'partial' | 'complete';
}

export interface ConnectionOptions {
  /** Numbers connections in the order they opened. */
  id: number;
  persona: PersonaName;
  scenario?: Scenario;
  models: readonly string[];
  connectionLifetimeMs: number;
  goAwayLeadMs: number;
  /** Audio is sent this many times faster than real time (below 1: slower than real time). */
  realtimeFactor: number;
  /** Audio sent at once before pacing starts. */
  burstMs: number;
  faults: EmulatorFaults;
  behaviour: EmulatorBehaviour;
  random: () => number;
  clock: Clock;
  onHeard: (utterance: HeardUtterance) => void;
  log: (line: string) => void;
}

type Json = Record<string, any>;

/** What an ephemeral token fixes: setup fields that override the client's, and admission. */
export interface TokenConstraints {
  setup?: Json;
  fieldMask?: string[];
  admit(resuming: boolean): boolean;
}

const CHUNK_MS = 40;
const MAX_UTTERANCE_SAMPLES = 16000 * 30;
const TOOL_TIMEOUT_MS = 30000;
const PRE_ROLL_FRAMES = 10;
const CANCELLED = Symbol('cancelled');

const OPERATION_NOT_SUPPORTED = 'Operation is not implemented, or supported, or enabled.';
/**
 * Input that left the client before it could have seen the toolCall is not held against it (a
 * guess: no public report says how the service treats audio already in flight).
 */
const TOOL_CALL_GRACE_MS = 200;

function bad(code: number, reason: string): { code: number; reason: string } {
  return { code, reason };
}

export class EmulatorConnection {
  private conversation?: Conversation;
  private setup?: Json;
  private vad?: EnergyVad;
  private manualActivity = false;
  private interruptible = true;
  private capturing = false;
  private utterance: Int16Array[] = [];
  private utteranceSamples = 0;
  private readonly preRoll: Int16Array[] = [];
  private frame = new Int16Array(320);
  private frameFill = 0;
  private inputResampler?: Resampler;
  private responding = false;
  private generation = 0;
  /** The scheduling of the last final tool response (NON_BLOCKING: INTERRUPT, WHEN_IDLE, SILENT). */
  private pendingScheduling: string | undefined;
  private pendingTool?: { id: string; blocking: boolean; sentAt: number; resolve: (result: unknown) => void };
  /** The utterance being answered, reported when its reply ends. */
  private answering?: HeardUtterance;
  /** The user's transcript pieces still to send (after the reply has started, as the service does). */
  private userChunks: string[] = [];
  private readonly timers: Timer[] = [];
  private closed = false;
  private frozen = false;
  private readonly clock: Clock;
  readonly openedAt: number;
  /** Mic samples this connection received. */
  receivedSamples = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly store: ConversationStore,
    private readonly options: ConnectionOptions,
    private readonly token?: TokenConstraints,
  ) {
    this.clock = options.clock;
    this.openedAt = this.clock.now();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('ping', (data) => {
      if (!this.frozen) ws.pong(data);
    });
    ws.on('close', () => this.dispose());
    ws.on('error', () => this.dispose());
  }

  private get model(): string {
    return String(this.setup?.model ?? '').replace(/^models\//, '');
  }

  /** Waits on the emulator's clock; after a close the generation check ends whatever waited. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.after(ms, resolve));
  }

  private send(message: Json): void {
    if (!this.closed && !this.frozen && this.ws.readyState === this.ws.OPEN) this.ws.send(Buffer.from(JSON.stringify(message)));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.options.log(`close ${code} ${reason}`);
    this.ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
    this.dispose();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.generation++;
    for (const t of this.timers) t.cancel();
    this.pendingTool?.resolve(CANCELLED);
    if (this.capturing) this.hear(concatSamples(this.utterance, this.utteranceSamples), false);
    this.finishAnswer();
    if (this.conversation) this.conversation.connected = false;
  }

  private later(ms: number, fn: () => void): void {
    this.timers.push(this.clock.after(ms, fn));
  }

  /** Reports an utterance: at once when it was cut, else when its reply ends. */
  private hear(samples: Int16Array, whole: boolean): HeardUtterance {
    const heard: HeardUtterance = { connection: this.options.id, conversation: this.conversation?.id ?? '', samples, whole, reply: 'none' };
    if (!whole) this.options.onHeard(heard);
    return heard;
  }

  private finishAnswer(reply?: HeardUtterance['reply']): void {
    const heard = this.answering;
    if (!heard) return;
    this.answering = undefined;
    if (reply) heard.reply = reply;
    this.options.onHeard(heard);
  }

  private onMessage(data: RawData, _isBinary: boolean): void {
    if (this.closed || this.frozen) return; // a closing (or frozen) server reads nothing more: what is sent now is lost
    let message: Json;
    try {
      message = JSON.parse(data.toString());
      if (typeof message !== 'object' || message === null) throw new Error('not an object');
    } catch {
      this.close(1007, 'Invalid JSON payload received. Unexpected token.');
      return;
    }
    if (!this.setup) {
      if (!message.setup) return this.close(1007, 'Request contains an invalid argument.');
      return this.onSetup(message.setup);
    }
    if (message.realtimeInput) this.onRealtimeInput(message.realtimeInput);
    else if (message.clientContent) this.onClientContent(message.clientContent);
    else if (message.toolResponse) this.onToolResponse(message.toolResponse);
    else if (message.contextUpdate) this.onContextUpdate(message.contextUpdate);
    else if (message.setup) this.close(1007, 'Request contains an invalid argument.');
  }

  private onSetup(clientSetup: Json): void {
    const setup = this.applyConstraints(clientSetup);
    this.setup = setup;
    const problem = this.checkSetup(setup);
    if (problem) return this.close(problem.code, problem.reason);
    const handle = setup.sessionResumption?.handle;
    if (this.token && !this.token.admit(Boolean(handle))) return this.close(1007, 'API key not valid. Please pass a valid API key.');
    if (handle) {
      const resumed = this.store.resume(handle);
      if (!resumed) return this.close(1008, 'Session resumption handle is invalid or has expired.');
      if (resumed.connected) return this.close(1011, 'Session is already in use by another connection.');
      const { refuseResumeAfterLifetimeRate, refuseAnyResumeRate } = this.options.behaviour;
      const refuseRate = resumed.endedByLifetime ? refuseResumeAfterLifetimeRate : refuseAnyResumeRate;
      if (refuseRate > 0 && this.options.random() < refuseRate) {
        return this.close(1007, 'Request contains an invalid argument.');
      }
      resumed.endedByLifetime = false;
      this.conversation = resumed;
    } else {
      this.conversation = this.store.create();
    }
    this.conversation.connected = true;
    const instruction = setup.systemInstruction?.parts?.map((p: Json) => p.text ?? '').join('') ?? '';
    if (instruction) this.conversation.systemInstruction = instruction;
    this.configureActivityDetection(setup.realtimeInputConfig ?? {});
    this.options.log(`setup model=${setup.model} conversation=${this.conversation.id}${handle ? ' (resumed)' : ''}`);
    if (this.options.faults.silentSetup) return;
    this.send({ setupComplete: {} });
    // A handle right away, so a connection that never completes a turn can still be resumed (a guess: the
    // service is reported to send updates "periodically"; none says when the first one comes).
    if (setup.sessionResumption) this.send({ sessionResumptionUpdate: { newHandle: this.store.issueHandle(this.conversation), resumable: true } });
    this.scheduleLifetime();
  }

  /**
   * An ephemeral token's setup wins: all of it with no field mask, else the masked fields
   * (dotted paths). The client's resumption handle is always its own: resuming is allowed.
   */
  private applyConstraints(clientSetup: Json): Json {
    if (!this.token?.setup) return clientSetup;
    const { setup, fieldMask } = this.token;
    const merged: Json = fieldMask?.length ? structuredClone(clientSetup) : { ...structuredClone(setup) };
    for (const path of fieldMask ?? []) {
      const keys = path.split('.');
      let from: Json | undefined = setup;
      let to: Json = merged;
      for (const key of keys.slice(0, -1)) {
        from = from?.[key];
        to = to[key] ??= {};
      }
      const last = keys[keys.length - 1];
      if (from && last in from) to[last] = from[last];
    }
    if (clientSetup.sessionResumption) merged.sessionResumption = clientSetup.sessionResumption;
    return merged;
  }

  private checkSetup(setup: Json): { code: number; reason: string } | undefined {
    const model = String(setup.model ?? '').replace(/^models\//, '');
    if (!this.options.models.includes(model)) {
      return bad(1008, `models/${model} is not found for API version v1beta, or is not supported for bidiGenerateContent. Call ListModels to see the list of available models and their supported methods.`);
    }
    const problem = modelConfigProblem(model, {
      thinking: setup.generationConfig?.thinkingConfig !== undefined,
      affectiveDialog: setup.generationConfig?.enableAffectiveDialog,
      proactiveAudio: setup.proactivity?.proactiveAudio,
    });
    if (problem) return bad(1007, 'Request contains an invalid argument.');
    const modalities: string[] = setup.generationConfig?.responseModalities ?? ['AUDIO'];
    if (!modalities.includes('AUDIO')) return bad(1007, 'Cannot extract voices from a non-audio request.');
    if (modalities.length > 1) return bad(1007, 'Request contains an invalid argument.');
    return undefined;
  }

  private configureActivityDetection(config: Json): void {
    const auto = config.automaticActivityDetection ?? {};
    this.manualActivity = auto.disabled === true;
    this.interruptible = config.activityHandling !== 'NO_INTERRUPTION';
    if (this.manualActivity) return;
    const silenceMs = auto.silenceDurationMs ?? (auto.endOfSpeechSensitivity === 'END_SENSITIVITY_LOW' ? 800 : 500);
    this.vad = new EnergyVad({
      thresholdDb: auto.startOfSpeechSensitivity === 'START_SENSITIVITY_LOW' ? 18 : 12,
      attackFrames: Math.max(1, Math.ceil((auto.prefixPaddingMs ?? 40) / 20)),
      hangoverFrames: Math.max(1, Math.ceil(silenceMs / 20)),
    });
  }

  private scheduleLifetime(): void {
    const { connectionLifetimeMs, goAwayLeadMs, faults, behaviour, random } = this.options;
    this.later(Math.max(0, connectionLifetimeMs - goAwayLeadMs), () => this.sendGoAway());
    this.later(connectionLifetimeMs, () => {
      if (this.conversation) this.conversation.endedByLifetime = true;
      this.close(1011, 'Deadline expired before operation could complete.');
    });
    if (behaviour.randomCloseMeanMs > 0) {
      const afterMs = -Math.log(1 - random()) * behaviour.randomCloseMeanMs;
      const [code, reason] = random() < 0.5 ? [1011, 'Internal error encountered.'] : [1008, OPERATION_NOT_SUPPORTED];
      this.later(afterMs, () => this.close(code, reason));
    }
    if (faults.closeAt) {
      const { ms, code, reason } = faults.closeAt;
      this.later(ms, () => this.close(code, reason));
    }
    if (faults.freezeAtMs !== undefined) {
      this.later(faults.freezeAtMs, () => {
        this.options.log('frozen');
        this.generation++;
        this.frozen = true;
      });
    }
    if (faults.malformedFrameAtMs !== undefined) {
      this.later(faults.malformedFrameAtMs, () => {
        if (!this.closed) this.ws.send(Buffer.from('{"serverContent": {"modelTurn": '));
      });
    }
  }

  private sendGoAway(): void {
    const left = Math.max(0, this.options.connectionLifetimeMs - (this.clock.now() - this.openedAt));
    this.send({ goAway: { timeLeft: `${Number((Math.min(left, this.options.goAwayLeadMs) / 1000).toFixed(3))}s` } });
  }

  /** While generating or while a call is pending the service offers no handle (docs/live-api-notes.md §5). */
  private sendUnresumable(): void {
    if (this.setup?.sessionResumption && this.options.behaviour.unresumableWhileBusy) this.send({ sessionResumptionUpdate: { resumable: false } });
  }

  // ------------------------------------------------------------------------------------------
  // Input

  private onRealtimeInput(input: Json): void {
    const pending = this.pendingTool;
    if (pending?.blocking && this.clock.now() - pending.sentAt > TOOL_CALL_GRACE_MS && this.options.behaviour.closeOnInputDuringBlockingCall && !LIVE_MODELS[this.model]?.liveInteractions) {
      return this.close(1008, OPERATION_NOT_SUPPORTED);
    }
    if (input.mediaChunks) return this.close(1007, 'realtime_input.media_chunks is deprecated. Use audio, video, or text instead.');
    if (input.audio) this.onAudio(input.audio);
    if (input.activityStart) {
      if (!this.manualActivity) return this.close(1007, 'Request contains an invalid argument.');
      this.startUserTurn();
    }
    if (input.activityEnd) {
      if (!this.manualActivity) return this.close(1007, 'Request contains an invalid argument.');
      this.endUserTurn();
    }
    if (input.audioStreamEnd && this.capturing && !this.manualActivity) {
      this.vad?.reset();
      this.endUserTurn();
    }
    if (typeof input.text === 'string') {
      this.conversation!.remember('user', input.text);
      void this.reply(new Int16Array(0), input.text);
    }
  }

  private onAudio(audio: Json): void {
    const rate = Number(/rate=(\d+)/.exec(String(audio.mimeType))?.[1] ?? 16000);
    const bytes = Buffer.from(String(audio.data ?? ''), 'base64');
    let samples = new Int16Array(bytes.length >> 1);
    Buffer.from(samples.buffer).set(bytes.subarray(0, samples.length * 2));
    if (rate !== 16000) {
      if (this.inputResampler?.inRateHz !== rate) this.inputResampler = new Resampler({ inRateHz: rate, outRateHz: 16000 });
      samples = this.inputResampler.process(samples);
    }
    this.conversation!.logAudio(samples);
    this.receivedSamples += samples.length;
    for (let i = 0; i < samples.length; ) {
      const take = Math.min(samples.length - i, 320 - this.frameFill);
      this.frame.set(samples.subarray(i, i + take), this.frameFill);
      this.frameFill += take;
      i += take;
      if (this.frameFill === 320) {
        this.onFrame(this.frame);
        this.frame = new Int16Array(320);
        this.frameFill = 0;
      }
    }
  }

  private onFrame(frame: Int16Array): void {
    if (this.capturing) {
      if (this.utteranceSamples < MAX_UTTERANCE_SAMPLES) {
        this.utterance.push(frame);
        this.utteranceSamples += frame.length;
      }
    } else {
      this.preRoll.push(frame);
      if (this.preRoll.length > PRE_ROLL_FRAMES) this.preRoll.shift();
    }
    if (!this.vad) return;
    const event = this.vad.push(frame);
    if (event === 'speechStart') this.startUserTurn();
    else if (event === 'speechEnd') this.endUserTurn();
  }

  private startUserTurn(): void {
    if (this.responding) {
      if (!this.interruptible) return;
      this.bargeIn();
    }
    this.capturing = true;
    this.utterance = [...this.preRoll];
    this.utteranceSamples = this.utterance.reduce((n, f) => n + f.length, 0);
    this.preRoll.length = 0;
  }

  private endUserTurn(): void {
    if (!this.capturing) return;
    this.capturing = false;
    const utterance = concatSamples(this.utterance, this.utteranceSamples);
    this.utterance = [];
    this.utteranceSamples = 0;
    void this.reply(utterance, undefined, this.hear(utterance, true));
  }

  private onClientContent(content: Json): void {
    for (const turn of content.turns ?? []) {
      const said = (turn.parts ?? []).map((p: Json) => p.text ?? '').join('');
      this.conversation!.remember(turn.role === 'model' ? 'model' : 'user', said);
      // History sent ahead of a turn (a re-seeded session): the scenario goes on where it was.
      if (content.turnComplete === false && turn.role !== 'model') this.conversation!.scenarioPosition++;
    }
    const text = (content.turns ?? []).flatMap((t: Json) => t.parts ?? []).map((p: Json) => p.text ?? '').join(' ');
    if (this.responding && this.interruptible) this.bargeIn(); // client content interrupts generation
    if (content.turnComplete !== false) void this.reply(new Int16Array(0), text);
  }

  private onToolResponse(response: Json): void {
    const { faults, behaviour, random } = this.options;
    const notFound = faults.notFoundAfterToolResponses ? faults.notFoundAfterToolResponses-- > 0 : random() < behaviour.notFoundAfterToolResponseRate;
    if (notFound) return this.close(1008, 'Requested entity was not found.');
    for (const r of response.functionResponses ?? []) {
      this.conversation?.rememberToolResponse({ name: r.name, response: r.response, willContinue: r.willContinue, scheduling: r.scheduling });
      if (!this.pendingTool || r.id !== this.pendingTool.id) continue;
      // willContinue: more responses for this call follow (a NON_BLOCKING call reporting progress); the call stays open.
      if (r.willContinue && !this.pendingTool.blocking) continue;
      this.pendingScheduling = r.scheduling;
      this.pendingTool.resolve(r.response);
      this.pendingTool = undefined; // now, not when the reply resumes: input right behind the response is fine
    }
  }

  private onContextUpdate(update: Json): void {
    const text = update.systemInstruction?.parts?.map((p: Json) => p.text ?? '').join('');
    if (typeof text === 'string' && this.conversation) this.conversation.systemInstruction = text;
  }

  // ------------------------------------------------------------------------------------------
  // Output

  private bargeIn(): void {
    this.generation++;
    this.responding = false;
    if (this.pendingTool) {
      this.send({ toolCallCancellation: { ids: [this.pendingTool.id] } });
      this.pendingTool.resolve(CANCELLED);
      this.pendingTool = undefined;
    }
    this.send({ serverContent: { interrupted: true } });
    this.send({ serverContent: { turnComplete: true, ...this.interaction('IDLE') } });
    this.finishAnswer();
    this.options.log('interrupted');
  }

  /** gemini-3.8 sends interactionStatus beside every turnComplete. */
  private interaction(status: 'IDLE' | 'IN_PROGRESS'): Json {
    return LIVE_MODELS[this.model]?.liveInteractions ? { interactionStatus: status } : {};
  }

  /** The user's transcript: whole and finished first (gentle), or in pieces later (harsh). */
  private planUserTranscript(text: string): void {
    const { behaviour, random } = this.options;
    if (!behaviour.realisticTranscripts) {
      this.send({ serverContent: { inputTranscription: { text, finished: true } } });
      return;
    }
    if (!text || random() < behaviour.emptyTranscriptRate) return;
    const words = text.split(/(?<= )/);
    const pieces = Math.min(words.length, 2 + Math.floor(random() * 2));
    const per = Math.ceil(words.length / pieces);
    for (let i = 0; i < words.length; i += per) this.userChunks.push(words.slice(i, i + per).join(''));
  }

  private sendUserChunk(all = false): void {
    do {
      const text = this.userChunks.shift();
      if (text === undefined) return;
      this.send({ serverContent: { inputTranscription: { text } } });
    } while (all);
  }

  private async reply(utterance: Int16Array, text?: string, heard?: HeardUtterance): Promise<void> {
    const conversation = this.conversation!;
    let generation = ++this.generation;
    this.finishAnswer();
    this.answering = heard;
    this.responding = true;
    this.userChunks = [];
    const plan = planReply(this.options.persona, this.options.scenario, conversation.scenarioPosition++, utterance);
    const turn = plan.turn;
    conversation.turns++;
    const userText = text ?? turn.userTranscript ?? `[${(utterance.length / 16000).toFixed(1)} s of speech]`;
    if (text === undefined) {
      conversation.remember('user', userText);
      this.planUserTranscript(userText);
    }
    if (turn.fail) return this.close(turn.fail.code, turn.fail.reason);
    if (turn.stall || this.options.faults.stall) {
      this.responding = false;
      return;
    }
    if (turn.malformedFrame && !this.closed) this.ws.send(Buffer.from('{"serverContent": ['));
    if (turn.addressed === false && LIVE_MODELS[this.model]?.proactiveAudio === 'always') {
      // Proactive audio: the model heard it was not meant for it and says nothing.
      this.sendUserChunk(true);
      return this.endTurn(conversation, 0, 'silent');
    }
    this.sendUnresumable();
    let toolResult: unknown;
    if (turn.toolCall) {
      const id = `function-call-${randomBytes(6).toString('hex')}`;
      const declared = (this.setup?.tools ?? []).flatMap((t: Json) => t.functionDeclarations ?? []).find((d: Json) => d.name === turn.toolCall!.name);
      const blocking = isBlockingCall(this.model, declared?.behavior);
      this.send({ toolCall: { functionCalls: [{ id, name: turn.toolCall.name, args: turn.toolCall.args ?? {} }] } });
      if (this.answering) this.answering.reply = 'partial'; // the model acted on it, whatever comes next
      this.sendUnresumable();
      const response = new Promise<unknown>((resolve) => {
        const timer = this.clock.after(TOOL_TIMEOUT_MS, () => resolve({ error: 'no tool response' }));
        this.pendingTool = {
          id,
          blocking,
          sentAt: this.clock.now(),
          resolve: (r) => {
            timer.cancel();
            resolve(r);
          },
        };
      });
      if (!blocking) {
        // Asynchronous call: the turn ends while the interaction stays open; the result is spoken when idle.
        this.sendUserChunk(true);
        this.responding = false;
        this.send({ serverContent: { turnComplete: true, ...this.interaction('IN_PROGRESS') }, usageMetadata: conversation.usage(0) });
      }
      if (turn.toolCall.cancelAfterMs !== undefined) {
        this.later(turn.toolCall.cancelAfterMs, () => {
          if (this.pendingTool?.id !== id) return;
          this.send({ toolCallCancellation: { ids: [id] } });
          this.pendingTool.resolve(CANCELLED);
          if (!blocking) return;
          this.responding = false;
          this.send({ serverContent: { turnComplete: true, ...this.interaction('IDLE') } });
        });
      }
      toolResult = await response;
      this.pendingTool = undefined;
      if (toolResult === CANCELLED || this.closed) return;
      if (!blocking && this.pendingScheduling === 'SILENT') {
        // SILENT: the result only enters the context, nothing is said. That the interaction then
        // ends with a turnComplete IDLE is a guess (the docs say nothing about it).
        this.send({ serverContent: { turnComplete: true, ...this.interaction('IDLE') } });
        return;
      }
      if (!blocking) {
        while (this.responding && !this.closed) await this.sleep(20); // scheduling WHEN_IDLE
        generation = ++this.generation;
        this.responding = true;
      } else if (generation !== this.generation) return;
    }
    if (turn.search && (this.setup?.tools ?? []).some((t: Json) => t.googleSearch)) {
      // Google Search grounding: serverContent.groundingMetadata (docs/live-api-notes.md §4; the fields are
      // the SDK's GroundingMetadata type). Sent on its own before the reply: where in the reply the
      // service puts it is not documented. The source URL is made up.
      this.send({ serverContent: { groundingMetadata: { webSearchQueries: [turn.search], groundingChunks: [{ web: { uri: 'https://example.org/search-result', title: 'example.org' } }] } } });
    }
    const audio = await plan.audio(toolResult);
    if (generation !== this.generation) return;
    const said = plan.transcript(toolResult);
    await this.stream(audio, said, generation);
    if (generation !== this.generation) return;
    conversation.remember('model', said);
    this.endTurn(conversation, audio.length, 'complete');
    if (turn.goAway) this.sendGoAway();
  }

  private endTurn(conversation: Conversation, responseSamples: number, reply: HeardUtterance['reply']): void {
    this.responding = false;
    this.sendUserChunk(true);
    this.send({ serverContent: { turnComplete: true, ...this.interaction('IDLE') }, usageMetadata: conversation.usage(responseSamples) });
    this.finishAnswer(reply);
    if (this.setup?.sessionResumption) {
      this.send({ sessionResumptionUpdate: { newHandle: this.store.issueHandle(conversation), resumable: true } });
    }
  }

  /** Sends audio in bursts faster than real time with the transcript interleaved, as the service does. */
  private async stream(audio: Int16Array, transcript: string, generation: number): Promise<void> {
    const { realtimeFactor, burstMs } = this.options;
    const chunk = (OUTPUT_RATE_HZ * CHUNK_MS) / 1000;
    const words = transcript ? transcript.split(/(?<= )/) : [];
    const durationMs = (audio.length / OUTPUT_RATE_HZ) * 1000;
    const started = this.clock.now();
    let wordsSent = 0;
    for (let at = 0; at < audio.length; at += chunk) {
      for (;;) {
        if (generation !== this.generation) return;
        const allowedMs = burstMs + realtimeFactor * (this.clock.now() - started);
        if ((at / OUTPUT_RATE_HZ) * 1000 < allowedMs && this.ws.bufferedAmount < 1 << 18) break;
        await this.sleep(10);
      }
      const part = audio.subarray(at, at + chunk);
      const data = Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64');
      this.send({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: `audio/pcm;rate=${OUTPUT_RATE_HZ}`, data } }] } } });
      if (this.answering) this.answering.reply = 'partial';
      if (at % (chunk * 4) === 0) this.sendUserChunk(); // the user's words trickle in after the reply began
      const due = Math.ceil(((at + chunk) / audio.length) * words.length);
      if (due > wordsSent) {
        this.send({ serverContent: { outputTranscription: { text: words.slice(wordsSent, due).join('') } } });
        wordsSent = due;
      }
    }
    if (wordsSent < words.length) this.send({ serverContent: { outputTranscription: { text: words.slice(wordsSent).join('') } } });
    this.send({ serverContent: { generationComplete: true } });
    // The model assumes the client plays in real time: turnComplete comes when playback would end.
    const remaining = durationMs - (this.clock.now() - started);
    if (remaining > 0) await this.sleep(remaining);
  }
}
