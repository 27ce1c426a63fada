/**
 * One device's conversation: joins a device connection (which may come and go: unplug,
 * replug, Wi-Fi drop-outs) to a Live session (which outlives them). Mic frames are decoded,
 * gated against echo and sent to Live; Live's audio goes to the device session's ReplyPlayer
 * (encoding, credits, generations, barge-in). The agent keeps the assistant state for the LED,
 * changed only along the transitions of assistantState.ts.
 */
import type { LiveSession, LiveSessionEvents } from '../live/session.js';
import type { DeviceConnection, DeviceInfo } from '../device/deviceConnection.js';
import { AssistantState, Feature } from '../protocol/messages.js';
import { volumeToGain } from '../audio/sampleFormat.js';
import { realClock, type Clock, type Timer } from '../clock.js';
import { TypedEmitter } from '../typedEmitter.js';
import { TokenBucket } from '../tokenBucket.js';
import { MicDecoder, PIPELINE_RATE_HZ } from '../device/deviceAudio.js';
import { canTransition } from './assistantState.js';
import { EchoGate } from './echoGate.js';
import { MicUpstream } from './micUpstream.js';
import type { SpeechGateOptions } from '../audio/speechGate.js';
import { InterruptReason, newReplyStats, ReplyPlayer, type ReplyStats } from './replyPlayer.js';

export interface AgentOptions {
  deviceId: string;
  live: LiveSession;
  /** Longest reply audio held for the device (ms); beyond it frames are dropped and counted. */
  playbackQueueMs?: number;
  echoTailMs?: number;
  /** Push-to-talk: the button frames each turn (Live's automatic VAD is off). */
  pushToTalk: boolean;
  clock?: Clock;
  /** False while the device may send no audio to Gemini (its budget is spent). */
  upstreamAllowed?: () => boolean;
  /** Send only speech (undefined: every sample); see MicUpstream. */
  speechGate?: SpeechGateOptions;
  /** Sleep the Live connection after this long without speech (0: never). */
  idleCloseMs?: number;
}

/**
 * A board may send its microphone at most this much faster than real time (Wi-Fi bunches
 * frames up), plus a burst of MIC_BURST_MS; the rest is dropped and counted, so a runaway or
 * hostile board can neither run up the Gemini bill nor fill memory.
 */
export const MIC_MAX_SPEED = 1.5;
export const MIC_BURST_MS = 1000;

export interface AgentStats extends ReplyStats {
  micFrames: number;
  micMutedFrames: number;
  micUndecodable: number;
  /** Mic frames dropped for arriving faster than real time (MIC_MAX_SPEED). */
  micOverRate: number;
  /** Mic frames not sent because the budget is spent. */
  micOverBudget: number;
}

export interface AgentEvents extends Record<string, unknown[]> {
  transcript: [who: 'user' | 'assistant', text: string];
  state: [state: number];
  log: [line: string, debug?: boolean];
  /** Mic audio as sent to Live (16 kHz). */
  heard: [samples: Int16Array];
  turnComplete: [];
  /** A state change the transition table refuses (a bug upstream), for tests and logs. */
  refusedTransition: [from: number, to: number];
}

const SPEAKING_TAIL_MS = 200;

export class DeviceAgent extends TypedEmitter<AgentEvents> {
  readonly deviceId: string;
  readonly live: LiveSession;
  readonly stats: AgentStats = { micFrames: 0, micMutedFrames: 0, micUndecodable: 0, micOverRate: 0, micOverBudget: 0, ...newReplyStats() };
  connection: DeviceConnection | undefined;
  info: DeviceInfo | undefined;
  private mic: MicDecoder | undefined;
  /** The current device session's reply player. */
  private player: ReplyPlayer | undefined;
  private gain = 1;
  private gate = new EchoGate({ fullDuplex: false });
  private readonly clock: Clock;
  private overBudget = false;
  /** Live connection attempts keep failing: the LED stays on ERROR until one opens. */
  private liveUnreachable = false;
  /** What of the mic goes to Gemini (speech gate) and when Live may sleep. */
  private readonly upstream: MicUpstream;
  /** 16 kHz mic samples the device may still send now. */
  private micBudget: TokenBucket;
  private state: number = AssistantState.CONNECTING;
  private pttDown = false;
  /** Transcript fragments of the reply so far; printed whole. */
  private assistantText = '';
  private nextCallId = 1;
  private readonly calls = new Map<number, (ok: boolean, resultJson: string) => void>();
  private pingTimer: Timer | undefined;
  private speakingTimer: Timer | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  /** Listeners on the current connection, removed when it is detached. */
  private readonly detachListeners: (() => void)[] = [];

  constructor(private readonly options: AgentOptions) {
    super();
    this.deviceId = options.deviceId;
    this.live = options.live;
    this.clock = options.clock ?? realClock;
    this.micBudget = this.newMicBudget();
    this.upstream = new MicUpstream({
      live: options.live,
      clock: this.clock,
      gate: options.speechGate,
      idleCloseMs: options.idleCloseMs ?? 0,
      pushToTalk: options.pushToTalk,
      onSent: (samples) => this.emit('heard', samples),
      log: (line, debug) => this.emit('log', line, debug),
    });
    const on = <K extends keyof LiveSessionEvents & string>(event: K, fn: (...args: LiveSessionEvents[K]) => void) => this.unsubscribe.push(this.live.subscribe(event, fn));
    on('audio', (samples, rateHz) => this.player?.push(samples, rateHz));
    on('interrupted', () => this.bargeIn(InterruptReason.MODEL));
    on('generationComplete', () => this.player?.end());
    on('turnComplete', () => {
      this.upstream.busy();
      this.onTurnComplete();
    });
    on('userTranscript', (text) => this.emit('transcript', 'user', text));
    on('userTranscriptLate', (more) => this.emit('transcript', 'user', `… ${more.trim()}`));
    on('userTurnEnded', () => {
      this.upstream.busy();
      if (this.state === AssistantState.LISTENING) this.setState(AssistantState.THINKING);
    });
    on('outputTranscript', (text) => (this.assistantText += text));
    on('state', (s) => {
      if (s === 'open') this.liveUnreachable = false;
      if (s === 'open') this.setState(this.isPlaying() ? AssistantState.SPEAKING : AssistantState.LISTENING);
      else if (s === 'asleep') this.setState(AssistantState.IDLE);
      else if (s === 'failed') this.setState(AssistantState.ERROR);
      else if ((s === 'connecting' || s === 'reconnecting') && !this.liveUnreachable) this.setState(AssistantState.CONNECTING);
    });
    // Retrying still; the LED says Gemini is out of reach until a connection opens again (the
    // retries in between must not turn it back to CONNECTING).
    on('unreachable', () => {
      this.liveUnreachable = true;
      this.setState(AssistantState.ERROR);
    });
  }

  // ------------------------------------------------------------------------------------------
  // The device side

  /** A device connection (after its handshake) takes over from any earlier one. */
  attach(connection: DeviceConnection, info: DeviceInfo): void {
    this.detach('replaced');
    this.connection = connection;
    this.info = info;
    const { hello } = info;
    this.mic = new MicDecoder(hello.mic, info.micCodec);
    this.player = new ReplyPlayer({
      sink: connection,
      speaker: hello.speaker,
      speakerCodec: info.speakerCodec,
      frameMs: info.frameMs,
      capacitySamples: hello.playbackBufferSamples,
      protocolRevision: info.protocolRevision,
      queueMs: this.options.playbackQueueMs ?? 60_000,
      clock: this.clock,
      stats: this.stats,
    });
    this.player.gain = this.gain;
    this.player.on('playing', (playing) => this.onPlaying(playing));
    this.player.on('log', (line) => this.emit('log', line));
    this.gate = new EchoGate({ fullDuplex: (hello.features & Feature.AEC) !== 0, tailMs: this.options.echoTailMs });
    this.micBudget = this.newMicBudget();
    const player = this.player;
    this.detachListeners.push(
      connection.subscribe('audio', (payload) => this.onMicPayload(payload)),
      connection.subscribe('credit', (credit) => player.onCredit(credit)),
      connection.subscribe('button', (down) => this.onButton(down)),
      connection.subscribe('toolResult', (callId, ok, json) => {
        this.calls.get(callId)?.(ok, json);
        this.calls.delete(callId);
      }),
      connection.subscribe('log', (level, text) => this.emit('log', `device log [${['debug', 'info', 'warn', 'error'][level] ?? level}]: ${text}`)),
      connection.subscribe('deviceError', (code, message) => this.emit('log', `device error ${code}: ${message}`)),
      connection.link.subscribe('drain', () => player.onDrain()),
    );
    this.pingTimer = this.clock.every(5000, () => connection.ping());
    connection.send({ type: 'state', state: this.state });
  }

  /** The device is gone (for now). Its Live session carries on. */
  detach(reason: string): void {
    if (!this.connection) return;
    this.pingTimer?.cancel();
    for (const off of this.detachListeners.splice(0)) off();
    for (const reply of this.calls.values()) reply(false, JSON.stringify(`the device went away (${reason})`));
    this.calls.clear();
    this.player?.close();
    this.player = undefined;
    this.connection = undefined;
    this.gate.setPlaying(false, this.clock.now());
    this.upstream.end(); // the board's microphone stopped: end the stream upstream
  }

  private onMicPayload(payload: Uint8Array): void {
    const samples = this.mic?.decode(payload);
    if (!samples) {
      this.stats.micUndecodable++;
      return;
    }
    if (samples.length === 0) return;
    if (!this.micBudget.take(samples.length)) {
      if (this.stats.micOverRate++ % 500 === 0) this.emit('log', `the device sends its microphone faster than real time: ${this.stats.micOverRate} frame(s) dropped`);
      return;
    }
    this.stats.micFrames++;
    if (!this.checkBudget()) return;
    if (this.options.pushToTalk && !this.pttDown) return;
    const now = this.clock.now();
    const verdict = this.gate.check(samples, now);
    if (verdict === 'bargeIn') {
      // In the echo tail after a reply the user simply speaks again: nothing to interrupt, and
      // a barge-in there would mute the reply to what they are saying now.
      if (this.isPlaying()) this.bargeIn(InterruptReason.VOICE);
      this.gate.open(now);
    }
    if (verdict === 'mute') {
      this.stats.micMutedFrames++;
      samples.fill(0); // silence keeps the stream's timing; the echo never reaches Gemini
    }
    this.upstream.push(samples);
  }

  /** Whether mic audio may go upstream; says so once when that changes (the LED shows ERROR meanwhile). */
  private checkBudget(): boolean {
    const allowed = this.options.upstreamAllowed?.() ?? true;
    if (allowed === !this.overBudget) {
      if (!allowed) this.stats.micOverBudget++;
      return allowed;
    }
    this.overBudget = !allowed;
    this.emit('log', allowed ? 'a new budget: listening again' : "today's budget is spent: the microphone is not sent to Gemini");
    this.setState(allowed ? AssistantState.LISTENING : AssistantState.ERROR);
    return allowed;
  }

  private newMicBudget(): TokenBucket {
    return new TokenBucket(this.clock, MIC_MAX_SPEED * PIPELINE_RATE_HZ, (MIC_BURST_MS / 1000) * PIPELINE_RATE_HZ);
  }

  /** The console's push-to-talk button: does what the device's own button does. */
  pressButton(down: boolean): void {
    this.onButton(down);
  }

  private onButton(down: boolean): void {
    if (down && this.isPlaying()) {
      this.bargeIn(InterruptReason.BUTTON);
      this.gate.open(this.clock.now());
    }
    if (!this.options.pushToTalk) return;
    this.pttDown = down;
    if (down) this.live.activityStart();
    else {
      this.live.activityEnd();
      this.setState(AssistantState.THINKING);
    }
  }

  // ------------------------------------------------------------------------------------------
  // The model side

  private onTurnComplete(): void {
    this.player?.turnComplete(); // an interrupted turn has no generationComplete
    if (this.assistantText.trim()) this.emit('transcript', 'assistant', this.assistantText.trim());
    this.assistantText = '';
    if (!this.isPlaying() && this.state !== AssistantState.ERROR) this.setState(AssistantState.LISTENING);
    this.emit('turnComplete');
  }

  /** Stops the reply now (see ReplyPlayer.interrupt). */
  bargeIn(reason: InterruptReason): void {
    this.player?.interrupt(reason);
  }

  private isPlaying(): boolean {
    return this.player?.isPlaying() ?? false;
  }

  private onPlaying(playing: boolean): void {
    this.upstream.busy();
    this.gate.setPlaying(playing, this.clock.now());
    this.speakingTimer?.cancel();
    if (playing) this.setState(AssistantState.SPEAKING);
    else if (this.state === AssistantState.SPEAKING) {
      this.speakingTimer = this.clock.after(SPEAKING_TAIL_MS, () => {
        if (!this.isPlaying() && this.state === AssistantState.SPEAKING) this.setState(AssistantState.LISTENING);
      });
    }
  }

  private setState(state: number): void {
    if (this.state === state) return;
    if (!canTransition(this.state, state)) {
      this.emit('refusedTransition', this.state, state);
      return;
    }
    this.state = state;
    this.connection?.send({ type: 'state', state });
    this.emit('state', state);
  }

  get assistantState(): number {
    return this.state;
  }

  // ------------------------------------------------------------------------------------------
  // Tools

  /** Calls a tool the device declared; the Live tool registry adds the timeout. */
  callDeviceTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const conn = this.connection;
    if (!conn) return Promise.reject(new Error('the device is not connected right now'));
    const callId = this.nextCallId;
    this.nextCallId = (this.nextCallId % 0xffff) + 1;
    return new Promise((resolve, reject) => {
      const done = (ok: boolean, json: string) => {
        signal.removeEventListener('abort', onAbort);
        let value: unknown = json;
        try {
          value = JSON.parse(json);
        } catch {
          // not JSON: pass the text on as it is
        }
        if (ok) resolve(value);
        else reject(new Error(typeof value === 'string' ? value : JSON.stringify(value)));
      };
      const onAbort = () => {
        this.calls.delete(callId);
        reject(new Error('cancelled'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.calls.set(callId, done);
      conn.send({ type: 'toolCall', callId, name, argsJson: JSON.stringify(args) });
    });
  }

  /** The built-in volume tool: the device sets its own volume, or the host scales the audio. */
  setVolume(percent: number): void {
    const volumePercent = Math.max(0, Math.min(100, Math.round(percent)));
    if (this.info && this.info.hello.features & Feature.VOLUME) this.connection?.send({ type: 'setVolume', volumePercent });
    else {
      this.gain = volumeToGain(volumePercent);
      if (this.player) this.player.gain = this.gain;
    }
  }

  close(): void {
    this.detach('closed');
    for (const off of this.unsubscribe) off();
    this.speakingTimer?.cancel();
    this.upstream.close();
    this.live.close();
  }
}
