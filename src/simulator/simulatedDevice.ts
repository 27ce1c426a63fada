/**
 * A device written in TypeScript that speaks PROTOCOL.md over a serial port (e.g. one end of
 * a socat pty pair) or a WebSocket, the way the firmware does: it plays a recording as its
 * microphone at real-time pace, plays the host's audio from a buffer of fixed size at its DAC
 * rate in real time with honest credits, and counts what a listener would notice: underruns
 * (gaps inside a reply), overflows, and stale frames. It can press its button, run tools (an
 * LED), and be unplugged and plugged back. Over serial it paces its own bytes like a UART at
 * the given baud rate, both ways, because a pty would not.
 */
import { SerialPort } from 'serialport';
import { WebSocket } from 'ws';
import { concatSamples } from '../audio/sampleFormat.js';
import { decodePayload, frameSamples, PayloadEncoder } from '../bridge/deviceAudio.js';
import { decodeMessage, encodeMessage, payloadSamples } from '../protocol/codec.js';
import { AssistantState, Codec, DeviceEvent, Feature, PROTOCOL_VERSION, SampleFormat, type AudioFormat, type Message } from '../protocol/messages.js';
import { frameBytes, SerialFrameDecoder } from '../protocol/serialFraming.js';
import { TypedEmitter } from '../typedEmitter.js';

export interface SimulatedDeviceOptions {
  deviceId?: string;
  name?: string;
  mic?: AudioFormat;
  speaker?: AudioFormat;
  /** Playback buffer in samples at the speaker rate. Default 200 ms. */
  playbackBufferSamples?: number;
  features?: number;
  /** Declare the sample tools (set_led). Default true. */
  tools?: boolean;
  /** Serial: bytes per second are baud / 10 (both ways). Undefined: unthrottled. */
  baudRate?: number;
  /** Keep everything played in `playedAudio` (default true; long benchmarks turn it off). */
  keepPlayed?: boolean;
  /** Sees every byte on the link, both ways (for recording a session). */
  tap?: (direction: 'toHost' | 'fromHost', bytes: Uint8Array) => void;
  protocolVersion?: number;
}

export interface SimulatorStats {
  framesPlayed: number;
  underruns: number;
  overflows: number;
  staleFrames: number;
  flushes: number;
  micFramesSent: number;
  toolCalls: number;
  /** Most bytes the device ever held in its playback buffer (samples). */
  maxBufferedSamples: number;
}

export interface SimulatorEvents extends Record<string, unknown[]> {
  welcome: [sessionId: number];
  state: [state: number];
  /** Samples that the DAC played (s16 at the speaker rate), as they play. */
  played: [samples: Int16Array];
  flush: [generation: number];
  toolCall: [name: string, args: unknown];
  closed: [];
}

const DEFAULT_FORMAT: AudioFormat = { sampleRateHz: 16000, sampleFormat: SampleFormat.S16LE, channels: 1, codecs: 0b1111 };
const TICK_MS = 10;

interface Transport {
  write(bytes: Uint8Array): void;
  close(): void;
}

export class SimulatedDevice extends TypedEmitter<SimulatorEvents> {
  readonly stats: SimulatorStats = { framesPlayed: 0, underruns: 0, overflows: 0, staleFrames: 0, flushes: 0, micFramesSent: 0, toolCalls: 0, maxBufferedSamples: 0 };
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

  private transport: Transport | undefined;
  private micCodec = 0;
  private speakerCodec = 0;
  private frameMs = 20;
  // Playback buffer: decoded samples (s16, mono-equivalent per channel frame) in a queue.
  private buffer: Int16Array[] = [];
  private buffered = 0;
  private generation = 0;
  private released = 0;
  private played = 0;
  private lastCreditReleased = 0;
  private lastCreditAt = 0;
  private dryInReply = false;
  private ticker: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private playDebt = 0;
  private micSource: Int16Array = new Int16Array(0);
  private micAt = 0;
  private micSeq = 0;
  private micDebt = 0;
  private micEncoder = new PayloadEncoder(DEFAULT_FORMAT, Codec.PCM);
  // UART pacing
  private txQueue: Uint8Array[] = [];
  private rxQueue: Uint8Array[] = [];
  private txBudget = 0;
  private rxBudget = 0;
  private readonly decoder = new SerialFrameDecoder((m) => this.onMessage(m));
  private serial = false;

  constructor(private readonly options: SimulatedDeviceOptions = {}) {
    super();
    this.mic = options.mic ?? DEFAULT_FORMAT;
    this.speaker = options.speaker ?? DEFAULT_FORMAT;
    this.capacity = options.playbackBufferSamples ?? Math.round(this.speaker.sampleRateHz * 0.2);
  }

  // ------------------------------------------------------------------------------------------
  // Links

  async connectSerial(path: string): Promise<void> {
    const port = new SerialPort({ path, baudRate: this.options.baudRate ?? 921600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    this.serial = true;
    this.decoder.reset();
    port.on('data', (chunk: Buffer) => {
      this.options.tap?.('fromHost', chunk);
      if (this.options.baudRate) this.rxQueue.push(chunk);
      else this.decoder.push(chunk);
    });
    port.on('close', () => this.onClosed());
    port.on('error', () => this.onClosed());
    this.transport = {
      write: (b) => {
        this.options.tap?.('toHost', b);
        port.write(b);
      },
      close: () => port.isOpen && port.close(),
    };
    this.start();
    this.sendRaw(Buffer.from([0]));
    this.sendHello();
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
    ws.on('close', () => this.onClosed());
    ws.on('error', () => this.onClosed());
    this.transport = { write: (b) => ws.send(b), close: () => ws.close() };
    this.start();
    this.sendHello();
  }

  /** Pulls the cable: the link goes away, the device keeps its settings. */
  unplug(): void {
    this.transport?.close();
    this.onClosed();
  }

  private onClosed(): void {
    if (!this.transport) return;
    this.transport = undefined;
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.buffer = [];
    this.buffered = 0;
    this.txQueue = [];
    this.rxQueue = [];
    this.sessionId = undefined;
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
    return Math.floor(performance.now() * 1000) >>> 0;
  }

  private start(): void {
    this.lastTick = performance.now();
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  private sendHello(): void {
    const tools = this.options.tools ?? true;
    this.send({
      type: 'hello',
      protocolVersion: this.options.protocolVersion ?? PROTOCOL_VERSION,
      features: this.options.features ?? Feature.BUTTON | Feature.LED | Feature.VOLUME,
      playbackBufferSamples: this.capacity,
      maxMessageBytes: 2048,
      mic: this.mic,
      speaker: this.speaker,
      toolCount: tools ? 1 : 0,
      deviceId: this.options.deviceId ?? 'sim-0001',
      name: this.options.name ?? 'simulator',
      firmwareVersion: 'sim-1',
    });
    if (tools) {
      this.send({
        type: 'tool',
        index: 0,
        name: 'set_led',
        description: 'Turn the status LED on or off.',
        parametersSchema: JSON.stringify({ type: 'object', properties: { on: { type: 'boolean' } }, required: ['on'] }),
      });
    }
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
    const now = performance.now();
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    if (this.serial && this.options.baudRate) this.pumpUart(elapsed);
    if (this.sessionId === undefined) return;
    this.playOut(elapsed);
    this.micOut(elapsed);
    if (this.released !== this.lastCreditReleased || (this.buffered > 0 && now - this.lastCreditAt > 100)) this.sendCredit();
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

  private playOut(elapsedMs: number): void {
    this.playDebt += (elapsedMs * this.speaker.sampleRateHz) / 1000;
    let want = Math.floor(this.playDebt);
    this.playDebt -= want;
    const wasBuffered = this.buffered;
    while (want > 0 && this.buffer.length) {
      const head = this.buffer[0];
      const n = Math.min(want, head.length);
      const chunk = head.subarray(0, n);
      if (this.options.keepPlayed ?? true) this.playedAudio.push(chunk);
      this.emit('played', chunk);
      this.buffered -= n;
      this.released = (this.released + n) >>> 0;
      this.played = (this.played + n) >>> 0;
      want -= n;
      if (n === head.length) this.buffer.shift();
      else this.buffer[0] = head.subarray(n);
    }
    if (wasBuffered > 0 && this.buffered === 0 && this.hostState === AssistantState.SPEAKING) this.dryInReply = true;
  }

  private micOut(elapsedMs: number): void {
    const perFrame = frameSamples(this.mic.sampleRateHz, this.frameMs, this.micCodec);
    this.micDebt += (elapsedMs * this.mic.sampleRateHz) / 1000;
    while (this.micDebt >= perFrame) {
      this.micDebt -= perFrame;
      const frame = new Int16Array(perFrame * this.mic.channels);
      const from = this.micSource.subarray(this.micAt, this.micAt + frame.length);
      frame.set(from);
      this.micAt += frame.length;
      this.send({ type: 'audioIn', seq: this.micSeq++ >>> 0, captureTimeUs: this.nowUs(), payload: this.micEncoder.encode(frame) });
      this.stats.micFramesSent++;
    }
  }

  private sendCredit(): void {
    this.lastCreditReleased = this.released;
    this.lastCreditAt = performance.now();
    this.send({
      type: 'credit',
      generation: this.generation,
      releasedSamples: this.released,
      playedSamples: this.played,
      bufferedSamples: this.buffered,
      underruns: this.stats.underruns & 0xffff,
      overflows: this.stats.overflows & 0xffff,
      staleFrames: this.stats.staleFrames & 0xffff,
    });
  }

  private onMessage(m: Message): void {
    switch (m.type) {
      case 'helloRequest':
        this.sessionId = undefined;
        this.buffer = [];
        this.buffered = 0;
        this.sendHello();
        break;
      case 'welcome':
        if (m.protocolVersion !== (this.options.protocolVersion ?? PROTOCOL_VERSION)) {
          this.send({ type: 'error', code: 1, message: `device speaks v${this.options.protocolVersion ?? PROTOCOL_VERSION}` });
          this.send({ type: 'goodbye', reason: 3 });
          return;
        }
        this.sessionId = m.sessionId;
        this.micCodec = m.micCodec;
        this.micEncoder = new PayloadEncoder(this.mic, m.micCodec);
        this.speakerCodec = m.speakerCodec;
        this.frameMs = m.frameMs || 20;
        this.generation = 0;
        this.released = 0;
        this.played = 0;
        this.micSeq = 0;
        this.sendCredit();
        this.emit('welcome', m.sessionId);
        break;
      case 'audioOut': {
        const samples = payloadSamples(m.payload.length, this.speakerCodec, this.speaker.sampleFormat, this.speaker.channels);
        if (m.generation !== this.generation) {
          this.stats.staleFrames++;
          this.released = (this.released + samples) >>> 0;
          return;
        }
        if (this.buffered + samples > this.capacity) {
          this.stats.overflows++;
          this.released = (this.released + samples) >>> 0;
          return;
        }
        const pcm = decodePayload(m.payload, this.speaker, this.speakerCodec);
        if (!pcm) return;
        if (this.dryInReply && this.hostState === AssistantState.SPEAKING) this.stats.underruns++;
        this.dryInReply = false;
        const mono = this.speaker.channels === 2 ? pcm.filter((_, i) => i % 2 === 0) : pcm;
        this.buffer.push(mono);
        this.buffered += mono.length;
        this.stats.framesPlayed++;
        this.stats.maxBufferedSamples = Math.max(this.stats.maxBufferedSamples, this.buffered);
        break;
      }
      case 'flush':
        this.stats.flushes++;
        this.released = (this.released + this.buffered) >>> 0;
        this.buffer = [];
        this.buffered = 0;
        this.generation = m.generation;
        this.dryInReply = false;
        this.sendCredit();
        this.emit('flush', m.generation);
        break;
      case 'state':
        this.hostState = m.state;
        if (m.state !== AssistantState.SPEAKING) this.dryInReply = false;
        this.emit('state', m.state);
        break;
      case 'setVolume':
        this.volumePercent = Math.min(100, m.volumePercent);
        break;
      case 'toolCall': {
        this.stats.toolCalls++;
        let args: Record<string, unknown> = {};
        try {
          args = JSON.parse(m.argsJson || '{}');
        } catch {
          this.send({ type: 'toolResult', callId: m.callId, status: 1, resultJson: JSON.stringify('arguments are not JSON') });
          return;
        }
        this.emit('toolCall', m.name, args);
        if (m.name === 'set_led') {
          this.ledOn = Boolean(args.on);
          this.send({ type: 'toolResult', callId: m.callId, status: 0, resultJson: JSON.stringify({ led: this.ledOn ? 'on' : 'off' }) });
        } else {
          this.send({ type: 'toolResult', callId: m.callId, status: 1, resultJson: JSON.stringify(`no tool named ${m.name}`) });
        }
        break;
      }
      case 'ping':
        this.send({ type: 'pong', nonce: m.nonce, pingTimeUs: m.timeUs, timeUs: this.nowUs() });
        break;
      case 'configSet': {
        const max = { 1: 32, 2: 64, 3: 96, 4: 64, 5: 32 }[m.key];
        if (max === undefined || Buffer.byteLength(m.value) > max) {
          this.send({ type: 'error', code: 5, message: `setting ${m.key} unknown or longer than ${max} bytes` });
          return;
        }
        if (m.value) this.settings.set(m.key, m.value);
        else this.settings.delete(m.key);
        break;
      }
      case 'configGet':
        this.send({
          type: 'configReport',
          entries: [1, 2, 3, 4, 5].map((key) => {
            const secret = key === 2 || key === 4;
            const value = this.settings.get(key);
            return { key, flags: (value ? 1 : 0) | (secret ? 2 : 0), value: secret || !value ? '' : value };
          }),
        });
        break;
      case 'goodbye':
        this.unplug();
        break;
    }
  }

  /** Everything played so far as one array. */
  playedSamples(): Int16Array {
    return concatSamples(this.playedAudio);
  }
}
