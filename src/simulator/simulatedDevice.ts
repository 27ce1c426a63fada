/**
 * A device written in TypeScript from PROTOCOL.md alone, speaking it over a serial port (e.g.
 * one end of a socat pty pair) or a WebSocket the way a board does: it plays a recording as its
 * microphone at real-time pace, plays the host's audio from a buffer of fixed size at its DAC
 * rate through the device role of §4.5 (devicePlayback.ts: exactly the CREDITs the spec
 * requires, prebuffering, REPLY_END), and counts what a listener would notice: underruns,
 * overflows, stale frames. It repeats HELLO every 2 s until welcomed, answers CONFIG_SET with
 * CONFIG_REPORT, can press its button, run tools (an LED), and be unplugged and plugged back.
 * Over serial it paces its own bytes like a UART at the given baud rate, both ways, because a
 * pty would not. Defaults follow the spec's example board (§4.1); options make it a 1.0 board
 * (`protocolRevision: 0`: no CREDIT when the buffer runs empty) or a chattier one.
 */
import { WebSocket } from 'ws';
import { FrameChunker } from '../audio/frameChunker.js';
import { concatSamples } from '../audio/sampleFormat.js';
import { realClock, type Clock, type Timer } from '../clock.js';
import { decodePayload, frameSamples, PayloadEncoder } from '../device/deviceAudio.js';
import { DevicePlayback } from '../device/devicePlayback.js';
import { newSerialPort } from '../device/serialBinding.js';
import { decodeMessage, encodeMessage } from '../protocol/codec.js';
import {
  AssistantState,
  Codec,
  ConfigFlag,
  ConfigKey,
  DeviceEvent,
  ErrorCode,
  Feature,
  GoodbyeReason,
  Limit,
  PROTOCOL_REVISION,
  PROTOCOL_VERSION,
  SampleFormat,
  ToolStatus,
  type AudioFormat,
  type Message,
  type Tool,
} from '../protocol/messages.js';
import { frameBytes, SerialFrameDecoder } from '../protocol/serialFraming.js';
import { TypedEmitter } from '../typedEmitter.js';

export type ToolDeclaration = Omit<Tool, 'type'>;

export interface SimulatedDeviceOptions {
  deviceId?: string;
  name?: string;
  mic?: AudioFormat;
  speaker?: AudioFormat;
  /** Playback buffer in samples at the speaker rate. Default 200 ms (the §4.1 example board). */
  playbackBufferSamples?: number;
  /** HELLO maxMessageBytes. Default 2048. */
  maxMessageBytes?: number;
  features?: number;
  /** The TOOLs it declares: true (default) the sample set_led, false none, or these (as given, for tests of bad ones). */
  tools?: boolean | ToolDeclaration[];
  /** Serial: bytes per second are baud / 10 (both ways). Undefined: unthrottled. */
  baudRate?: number;
  /** Keep everything played in `playedAudio` (default true; long benchmarks turn it off). */
  keepPlayed?: boolean;
  /** Sees every byte on the link, both ways (for recording a session). */
  tap?: (direction: 'toHost' | 'fromHost', bytes: Uint8Array) => void;
  protocolVersion?: number;
  /** 1 (default): a 1.1 board. 0: a 1.0 board (no revision byte in HELLO, no CREDIT when the buffer runs empty). */
  protocolRevision?: number;
  /** Send a CREDIT whenever anything was released, beyond what the spec requires (default false: a minimal board). */
  extraCredits?: boolean;
  /** Play a reply's first frame at once instead of prebuffering (§4.5 guidance). */
  noPrebuffer?: boolean;
  clock?: Clock;
}

export interface SimulatorStats {
  /** AUDIO_OUT frames accepted into the playback buffer. */
  framesPlayed: number;
  underruns: number;
  overflows: number;
  staleFrames: number;
  flushes: number;
  micFramesSent: number;
  toolCalls: number;
  /** Most samples the device ever held in its playback buffer. */
  maxBufferedSamples: number;
  /** HELLOs sent (on connect, on request, and every 2 s until welcomed). */
  hellos: number;
  /** ERROR messages the host sent, by code. */
  errorsFromHost: number;
}

export interface SimulatorEvents extends Record<string, unknown[]> {
  welcome: [sessionId: number];
  state: [state: number];
  /** Samples that the DAC played (s16 at the speaker rate), as they play. */
  played: [samples: Int16Array];
  flush: [generation: number];
  replyEnd: [generation: number];
  toolCall: [name: string, args: unknown];
  /** The host sent ERROR (e.g. UNSUPPORTED_FORMAT naming a HELLO field). */
  hostError: [code: number, message: string];
  /** The host sent GOODBYE. */
  goodbye: [reason: number];
  closed: [];
}

/** The §4.1 example board: 16 kHz s16 mono both ways, every codec. */
const DEFAULT_FORMAT: AudioFormat = { sampleRateHz: 16000, sampleFormat: SampleFormat.S16LE, channels: 1, codecs: 0b1111 };
const TICK_MS = 10;
const SET_LED: ToolDeclaration = {
  index: 0,
  name: 'set_led',
  description: 'Turn the status LED on or off.',
  parametersSchema: JSON.stringify({ type: 'object', properties: { on: { type: 'boolean' } }, required: ['on'] }),
};
/** §4.9: key → longest value. */
const CONFIG_MAX_BYTES: Record<number, number> = { [ConfigKey.WIFI_SSID]: 32, [ConfigKey.WIFI_PASSWORD]: 64, [ConfigKey.HOST_URL]: 96, [ConfigKey.DEVICE_TOKEN]: 64, [ConfigKey.DEVICE_NAME]: 32 };
const SECRET_KEYS = new Set<number>([ConfigKey.WIFI_PASSWORD, ConfigKey.DEVICE_TOKEN]);

interface Transport {
  write(bytes: Uint8Array): void;
  close(): void;
}

type LinkState = 'down' | 'awaitWelcome' | 'session' | 'refused';

export class SimulatedDevice extends TypedEmitter<SimulatorEvents> {
  readonly stats: SimulatorStats = { framesPlayed: 0, underruns: 0, overflows: 0, staleFrames: 0, flushes: 0, micFramesSent: 0, toolCalls: 0, maxBufferedSamples: 0, hellos: 0, errorsFromHost: 0 };
  readonly mic: AudioFormat;
  readonly speaker: AudioFormat;
  readonly capacity: number;
  /** Everything the DAC played, in order (s16 at the speaker rate); silence is not kept. */
  readonly playedAudio: Int16Array[] = [];
  ledOn = false;
  /** Settings written over USB (PROTOCOL.md §4.9), as the firmware keeps them in NVS. */
  readonly settings = new Map<number, string>();
  volumePercent = 100;
  hostState = AssistantState.IDLE as number;
  sessionId: number | undefined;
  /** ERRORs the host sent, in order (for tests). */
  readonly hostErrors: { code: number; message: string }[] = [];
  /** Every message received from the host, in order, with audio payloads (for tests). */
  readonly received: Message[] = [];
  /** The WELCOME of the current session. */
  welcomeMessage: Extract<Message, { type: 'welcome' }> | undefined;

  private transport: Transport | undefined;
  private linkState: LinkState = 'down';
  private micCodec = 0;
  private speakerCodec = 0;
  private frameMs = 20;
  private playback: DevicePlayback;
  private ticker: Timer | undefined;
  private helloTimer: Timer | undefined;
  private lastTick = 0;
  private playDebt = 0;
  private micSource: Int16Array = new Int16Array(0);
  private micAt = 0;
  private micSeq = 0;
  private micDebt = 0;
  private micChunker = new FrameChunker(320);
  private micEncoder = new PayloadEncoder(DEFAULT_FORMAT, Codec.PCM);
  // UART pacing
  private txQueue: Uint8Array[] = [];
  private rxQueue: Uint8Array[] = [];
  private txBudget = 0;
  private rxBudget = 0;
  private readonly decoder = new SerialFrameDecoder((m) => this.onMessage(m));
  private serial = false;
  private readonly clock: Clock;

  constructor(private readonly options: SimulatedDeviceOptions = {}) {
    super();
    this.clock = options.clock ?? realClock;
    this.mic = options.mic ?? DEFAULT_FORMAT;
    this.speaker = options.speaker ?? DEFAULT_FORMAT;
    this.capacity = options.playbackBufferSamples ?? Math.round(this.speaker.sampleRateHz * 0.2);
    this.playback = this.newPlayback();
  }

  private get revision(): number {
    return this.options.protocolRevision ?? PROTOCOL_REVISION;
  }

  private newPlayback(): DevicePlayback {
    return new DevicePlayback({ capacitySamples: this.capacity, sampleRateHz: this.speaker.sampleRateHz, revision: this.revision, extraCredits: this.options.extraCredits, noPrebuffer: this.options.noPrebuffer });
  }

  // ------------------------------------------------------------------------------------------
  // Links

  async connectSerial(path: string): Promise<void> {
    const port = newSerialPort({ path, baudRate: this.options.baudRate ?? 921600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    this.serial = true;
    this.decoder.reset();
    const transport = {
      write: (b: Buffer) => {
        this.options.tap?.('toHost', b);
        port.write(b);
      },
      close: () => port.isOpen && port.close(),
    };
    // A port the board has left (unplugged, then replugged as a new one) neither feeds nor ends the new link:
    // the old port's close can come after the new one is open.
    port.on('data', (chunk: Buffer) => {
      if (this.transport !== transport) return;
      this.options.tap?.('fromHost', chunk);
      if (this.options.baudRate) this.rxQueue.push(chunk);
      else this.decoder.push(chunk);
    });
    port.on('close', () => this.onClosed(transport));
    port.on('error', () => this.onClosed(transport));
    this.transport = transport;
    this.linkUp();
  }

  async connectWebSocket(url: string, token: string): Promise<void> {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.serial = false;
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) return;
      const result = decodeMessage(data);
      if (result.ok) this.onMessage(result.message);
    });
    const transport = { write: (b: Buffer) => ws.send(b), close: () => ws.close() };
    ws.on('close', () => this.onClosed(transport));
    ws.on('error', () => this.onClosed(transport));
    this.transport = transport;
    this.linkUp();
  }

  /** §5 LINK_DOWN → link up: 0x00 (serial), HELLO + TOOLs → AWAIT_WELCOME. */
  private linkUp(): void {
    this.lastTick = this.clock.now();
    this.ticker?.cancel();
    this.ticker = this.clock.every(TICK_MS, () => this.tick());
    if (this.serial) this.sendRaw(Buffer.from([0]));
    this.sendHello();
  }

  /** The board reboots with its link still up: playback gone, 0x00 (serial), HELLO + TOOLs. */
  restart(): void {
    if (!this.transport) return;
    this.sessionId = undefined;
    this.playback = this.newPlayback();
    if (this.serial) this.sendRaw(Buffer.from([0]));
    this.sendHello();
  }

  /** Pulls the cable: the link goes away, the device keeps its settings. */
  unplug(): void {
    this.transport?.close();
    this.onClosed();
  }

  private onClosed(transport = this.transport): void {
    if (!this.transport || transport !== this.transport) return;
    this.transport = undefined;
    this.ticker?.cancel();
    this.helloTimer?.cancel();
    this.ticker = undefined;
    this.playback = this.newPlayback();
    this.txQueue = [];
    this.rxQueue = [];
    this.sessionId = undefined;
    this.linkState = 'down';
    this.emit('closed');
  }

  close(): void {
    this.unplug();
  }

  // ------------------------------------------------------------------------------------------
  // Microphone and button

  /** Plays `samples` (at the mic rate) as the microphone from now on; silence after it. */
  speak(samples: Int16Array): void {
    this.micSource = samples;
    this.micAt = 0;
  }

  get speaking(): boolean {
    return this.micAt < this.micSource.length;
  }

  press(): void {
    this.send({ type: 'event', event: DeviceEvent.BUTTON_DOWN, timeUs: this.nowUs() });
  }

  release(): void {
    this.send({ type: 'event', event: DeviceEvent.BUTTON_UP, timeUs: this.nowUs() });
  }

  // ------------------------------------------------------------------------------------------

  private nowUs(): number {
    return Math.floor(this.clock.now() * 1000) >>> 0;
  }

  private toolDeclarations(): ToolDeclaration[] {
    const tools = this.options.tools ?? true;
    return tools === true ? [SET_LED] : tools === false ? [] : tools;
  }

  /** HELLO and its TOOLs; repeated every 2 s until a WELCOME comes (§4.1). */
  private sendHello(): void {
    this.helloTimer?.cancel();
    this.linkState = 'awaitWelcome';
    const tools = this.toolDeclarations();
    this.stats.hellos++;
    this.send({
      type: 'hello',
      protocolVersion: this.options.protocolVersion ?? PROTOCOL_VERSION,
      features: this.options.features ?? Feature.BUTTON | Feature.LED | Feature.VOLUME,
      playbackBufferSamples: this.capacity,
      maxMessageBytes: this.options.maxMessageBytes ?? Limit.MAX_MESSAGE_BYTES,
      mic: this.mic,
      speaker: this.speaker,
      toolCount: tools.length,
      deviceId: this.options.deviceId ?? 'sim-0001',
      name: this.options.name ?? 'simulator',
      firmwareVersion: 'sim-1',
      ...(this.revision > 0 ? { protocolRevision: this.revision } : {}),
    });
    for (const tool of tools) this.send({ type: 'tool', ...tool });
    this.helloTimer = this.clock.after(Limit.HELLO_RESEND_MS, () => {
      if (this.linkState === 'awaitWelcome' && this.transport) this.sendHello();
    });
  }

  send(message: Message): void {
    const bytes = encodeMessage(message);
    this.sendRaw(this.serial ? frameBytes(bytes) : bytes);
  }

  /** Raw bytes to the host: straight out, or paced like a UART. */
  sendRaw(bytes: Uint8Array): void {
    if (!this.transport) return;
    if (this.serial && this.options.baudRate) this.txQueue.push(bytes);
    else this.transport.write(bytes);
  }

  private tick(): void {
    const now = this.clock.now();
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    if (this.serial && this.options.baudRate) this.pumpUart(elapsed);
    if (this.linkState !== 'session') return;
    this.playOut(elapsed, now);
    this.micOut(elapsed);
    const credit = this.playback.creditDue(now);
    if (credit) this.send(credit);
  }

  /** Moves bytes at baud/10 per second in each direction, like a UART would. */
  private pumpUart(elapsedMs: number): void {
    const perMs = this.options.baudRate! / 10 / 1000;
    this.txBudget = Math.min(this.txBudget + perMs * elapsedMs, 4096);
    this.rxBudget = Math.min(this.rxBudget + perMs * elapsedMs, 4096);
    while (this.txQueue.length && this.txBudget >= 1) {
      const head = this.txQueue[0];
      const n = Math.min(head.length, Math.floor(this.txBudget));
      this.transport?.write(head.subarray(0, n));
      this.txBudget -= n;
      if (n === head.length) this.txQueue.shift();
      else this.txQueue[0] = head.subarray(n);
    }
    while (this.rxQueue.length && this.rxBudget >= 1) {
      const head = this.rxQueue[0];
      const n = Math.min(head.length, Math.floor(this.rxBudget));
      this.decoder.push(head.subarray(0, n));
      this.rxBudget -= n;
      if (n === head.length) this.rxQueue.shift();
      else this.rxQueue[0] = head.subarray(n);
    }
  }

  private playOut(elapsedMs: number, now: number): void {
    this.playDebt += (elapsedMs * this.speaker.sampleRateHz) / 1000;
    const want = Math.floor(this.playDebt);
    this.playDebt -= want;
    for (const chunk of this.playback.play(want, now)) {
      if (this.options.keepPlayed ?? true) this.playedAudio.push(chunk);
      this.emit('played', chunk);
    }
    this.syncStats();
  }

  /** The microphone at real-time pace, cut into frames of the session's size. */
  private micOut(elapsedMs: number): void {
    this.micDebt += (elapsedMs * this.mic.sampleRateHz) / 1000;
    const due = Math.floor(this.micDebt);
    if (due === 0) return;
    this.micDebt -= due;
    const n = due * this.mic.channels;
    const samples = new Int16Array(n);
    samples.set(this.micSource.subarray(this.micAt, this.micAt + n));
    this.micAt += n;
    this.micChunker.push(samples, (frame) => {
      this.send({ type: 'audioIn', seq: this.micSeq++ >>> 0, captureTimeUs: this.nowUs(), payload: this.micEncoder.encode(frame) });
      this.stats.micFramesSent++;
    });
  }

  private syncStats(): void {
    const c = this.playback.counters;
    this.stats.framesPlayed = c.framesAccepted;
    this.stats.underruns = c.underruns;
    this.stats.overflows = c.overflows;
    this.stats.staleFrames = c.staleFrames;
    this.stats.maxBufferedSamples = c.maxBufferedSamples;
  }

  /** §5: a message that needs a session before WELCOME. */
  private notReady(what: string): void {
    this.send({ type: 'error', code: ErrorCode.NOT_READY, message: `${what} before WELCOME` });
  }

  private onMessage(m: Message): void {
    if (this.received.length >= 20_000) this.received.splice(0, 10_000);
    this.received.push(m);
    switch (m.type) {
      case 'helloRequest':
        this.sessionId = undefined;
        this.playback = this.newPlayback();
        this.sendHello();
        break;
      case 'welcome':
        this.onWelcome(m);
        break;
      case 'audioOut': {
        if (this.linkState !== 'session') return this.notReady('AUDIO_OUT');
        const pcm = decodePayload(m.payload, this.speaker, this.speakerCodec);
        if (!pcm) return;
        const mono = this.speaker.channels === 2 ? pcm.filter((_, i) => i % 2 === 0) : pcm;
        this.playback.audioOut(m.generation, mono, this.clock.now());
        this.syncStats();
        break;
      }
      case 'replyEnd':
        if (this.linkState !== 'session') return;
        this.playback.replyEnd(m.generation);
        this.emit('replyEnd', m.generation);
        break;
      case 'flush':
        if (this.linkState !== 'session') return this.notReady('FLUSH');
        this.stats.flushes++;
        this.playback.flush(m.generation);
        this.send(this.playback.creditDue(this.clock.now())!);
        this.emit('flush', m.generation);
        break;
      case 'state':
        this.hostState = m.state;
        this.playback.hostState(m.state);
        this.syncStats();
        this.emit('state', m.state);
        break;
      case 'setVolume':
        this.volumePercent = Math.min(100, m.volumePercent);
        break;
      case 'toolCall':
        if (this.linkState !== 'session') return this.notReady('TOOL_CALL');
        this.onToolCall(m.callId, m.name, m.argsJson);
        break;
      case 'ping':
        this.send({ type: 'pong', nonce: m.nonce, pingTimeUs: m.timeUs, timeUs: this.nowUs() });
        break;
      case 'configSet': {
        const max = CONFIG_MAX_BYTES[m.key];
        if (max === undefined || Buffer.byteLength(m.value) > max) {
          this.send({ type: 'error', code: ErrorCode.CONFIG_INVALID, message: max === undefined ? `unknown setting ${m.key}` : `setting ${m.key} is longer than ${max} bytes` });
          return;
        }
        if (m.value) this.settings.set(m.key, m.value);
        else this.settings.delete(m.key);
        this.send(this.configReport());
        break;
      }
      case 'configGet':
        this.send(this.configReport());
        break;
      case 'error':
        this.stats.errorsFromHost++;
        this.hostErrors.push({ code: m.code, message: m.message });
        this.emit('hostError', m.code, m.message);
        break;
      case 'goodbye':
        this.emit('goodbye', m.reason);
        if (m.reason === GoodbyeReason.ERROR || m.reason === GoodbyeReason.VERSION_MISMATCH) {
          this.helloTimer?.cancel(); // §5 REFUSED: no HELLO until asked or a new link
          this.linkState = 'refused';
        }
        this.unplug();
        break;
    }
  }

  /** §5: WELCOME in AWAIT_WELCOME or (1.1) in a session starts a session. */
  private onWelcome(m: Extract<Message, { type: 'welcome' }>): void {
    if (this.linkState === 'refused' || this.linkState === 'down') return;
    const version = this.options.protocolVersion ?? PROTOCOL_VERSION;
    if (m.protocolVersion !== version) {
      this.send({ type: 'error', code: ErrorCode.VERSION_MISMATCH, message: `device speaks v${version}` });
      this.send({ type: 'goodbye', reason: GoodbyeReason.VERSION_MISMATCH });
      this.linkState = 'refused';
      return;
    }
    this.helloTimer?.cancel();
    this.linkState = 'session';
    this.welcomeMessage = m;
    this.sessionId = m.sessionId;
    this.micCodec = m.micCodec;
    this.micEncoder = new PayloadEncoder(this.mic, m.micCodec);
    this.speakerCodec = m.speakerCodec;
    this.frameMs = m.frameMs || 20;
    this.micChunker = new FrameChunker(frameSamples(this.mic.sampleRateHz, this.frameMs, this.micCodec) * this.mic.channels);
    this.micSeq = 0;
    const sessionRevision = Math.min(this.revision, m.protocolRevision ?? 0);
    this.playback.welcome(frameSamples(this.speaker.sampleRateHz, this.frameMs, this.speakerCodec), sessionRevision);
    this.send(this.playback.creditDue(this.clock.now())!);
    this.emit('welcome', m.sessionId);
  }

  private onToolCall(callId: number, name: string, argsJson: string): void {
    this.stats.toolCalls++;
    let args: Record<string, unknown> = {};
    try {
      args = JSON.parse(argsJson || '{}');
    } catch {
      this.send({ type: 'toolResult', callId, status: ToolStatus.ERROR, resultJson: JSON.stringify('arguments are not JSON') });
      return;
    }
    this.emit('toolCall', name, args);
    if (name === 'set_led') {
      this.ledOn = Boolean(args.on);
      this.send({ type: 'toolResult', callId, status: ToolStatus.OK, resultJson: JSON.stringify({ led: this.ledOn ? 'on' : 'off' }) });
    } else {
      this.send({ type: 'toolResult', callId, status: ToolStatus.ERROR, resultJson: JSON.stringify(`no tool named ${name}`) });
    }
  }

  /** §4.9: every key the device knows, in key order; secrets only say whether they are set. */
  private configReport(): Message {
    return {
      type: 'configReport',
      entries: Object.keys(CONFIG_MAX_BYTES)
        .map(Number)
        .map((key) => {
          const secret = SECRET_KEYS.has(key);
          const value = this.settings.get(key);
          return { key, flags: (value ? ConfigFlag.SET : 0) | (secret ? ConfigFlag.SECRET : 0), value: secret || !value ? '' : value };
        }),
    };
  }

  /** Everything played so far as one array. */
  playedSamples(): Int16Array {
    return concatSamples(this.playedAudio);
  }
}
