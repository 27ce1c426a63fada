/**
 * The host side of PROTOCOL.md for one link: the handshake (HELLO_REQUEST → HELLO + TOOLs →
 * WELCOME, or ERROR + GOODBYE on a version mismatch), codec choice for the link, and typed
 * events for everything the device sends afterwards.
 */
import { randomInt } from 'node:crypto';
import { chooseCodec } from '../bridge/deviceAudio.js';
import { EspLiveError } from '../errors.js';
import {
  ErrorCode,
  GoodbyeReason,
  MIN_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type Credit,
  type Hello,
  type Message,
  type Tool,
} from '../protocol/messages.js';
import { TypedEmitter } from '../typedEmitter.js';
import type { DeviceLink } from './link.js';

export const FRAME_MS = 20;
const TOOLS_TIMEOUT_MS = 1000;
const HELLO_REQUEST_DELAY_MS = 300;
/** A HELLO this soon after WELCOME crossed it on the wire (the device repeats HELLO until welcomed). */
const CROSSED_HELLO_MS = 2500;

export interface DeviceInfo {
  hello: Hello;
  tools: Tool[];
  sessionId: number;
  micCodec: number;
  speakerCodec: number;
}

export interface DeviceConnectionEvents extends Record<string, unknown[]> {
  audio: [payload: Uint8Array, seq: number, captureTimeUs: number];
  credit: [credit: Credit];
  button: [down: boolean];
  toolResult: [callId: number, ok: boolean, resultJson: string];
  log: [level: number, text: string];
  deviceError: [code: number, message: string];
  pong: [rttMs: number];
  /** The device restarted (a new HELLO): the caller should hand over to a new handshake. */
  restarted: [];
  close: [reason: string];
}

export class DeviceConnection extends TypedEmitter<DeviceConnectionEvents> {
  info: DeviceInfo | undefined;
  /** AUDIO_IN frames the device sent that never arrived (sequence gaps). */
  lostFrames = 0;
  private lastSeq: number | undefined;
  private outSeq = 0;
  private readonly pings = new Map<number, number>();
  private closed = false;
  private welcomedAt = 0;

  constructor(readonly link: DeviceLink) {
    super();
    link.on('close', this.onClose);
  }

  private readonly onClose = (reason: string): void => {
    this.closed = true;
    this.emit('close', reason);
  };

  /**
   * Runs the handshake; rejects with a clear error on timeout, version mismatch, or when
   * `admit` refuses the device (it returns the reason, sent to the device as ERROR NOT_ALLOWED).
   */
  handshake(timeoutMs = 5000, admit?: (hello: Hello) => string | undefined): Promise<DeviceInfo> {
    return new Promise((resolve, reject) => {
      let hello: Hello | undefined;
      const tools: Tool[] = [];
      let toolsTimer: NodeJS.Timeout | undefined;
      let ask: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => finish(new EspLiveError('DEVICE_NO_HELLO', `${this.link.name} did not introduce itself within ${timeoutMs / 1000} s. Is esp-live firmware on the board, at this baud rate?`, { retryable: true })), timeoutMs);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        clearTimeout(toolsTimer);
        clearTimeout(ask);
        this.link.off('message', onMessage);
        this.link.off('close', onClose);
        if (error) return reject(error);
        resolve(this.welcome(hello!, tools));
      };
      const onClose = (reason: string) => finish(new EspLiveError('DEVICE_GONE', `${this.link.name} went away during the handshake (${reason})`, { retryable: true }));
      const onMessage = (m: Message) => {
        if (m.type === 'hello') {
          if (m.protocolVersion !== PROTOCOL_VERSION) {
            const text = `device speaks protocol v${m.protocolVersion}, this host speaks v${PROTOCOL_VERSION}`;
            this.link.send({ type: 'error', code: ErrorCode.VERSION_MISMATCH, message: text });
            this.link.send({ type: 'goodbye', reason: GoodbyeReason.VERSION_MISMATCH });
            return finish(new EspLiveError('DEVICE_VERSION', `${this.link.name}: ${text}. Update ${m.protocolVersion > PROTOCOL_VERSION ? 'esp-live on the host' : 'the firmware'}.`));
          }
          const refusal = admit?.(m);
          if (refusal) {
            this.link.send({ type: 'error', code: ErrorCode.NOT_ALLOWED, message: refusal });
            this.link.send({ type: 'goodbye', reason: GoodbyeReason.UNAUTHORISED });
            return finish(new EspLiveError('DEVICE_REFUSED', `${this.link.name}: ${refusal}`));
          }
          hello = m;
          tools.length = 0;
          if (m.toolCount === 0) return finish();
          clearTimeout(toolsTimer);
          toolsTimer = setTimeout(() => finish(), TOOLS_TIMEOUT_MS); // go on with the tools that came
        } else if (m.type === 'tool' && hello) {
          if (!tools.some((t) => t.index === m.index)) tools.push(m);
          if (tools.length >= hello.toolCount) finish();
        } else if (m.type === 'ping') {
          this.link.send({ type: 'pong', nonce: m.nonce, pingTimeUs: m.timeUs, timeUs: this.nowUs() });
        }
      };
      this.link.on('message', onMessage);
      this.link.on('close', onClose);
      // A device says HELLO when its link comes up; one that booted long before (serial) is asked.
      ask = setTimeout(() => hello || this.link.send({ type: 'helloRequest' }), HELLO_REQUEST_DELAY_MS);
    });
  }

  private welcome(hello: Hello, tools: Tool[]): DeviceInfo {
    this.link.maxMessageBytes = Math.max(MIN_MESSAGE_BYTES, Math.min(hello.maxMessageBytes, 2048));
    const info: DeviceInfo = {
      hello,
      tools: tools.sort((a, b) => a.index - b.index),
      sessionId: randomInt(1, 0xffffffff),
      micCodec: chooseCodec(hello.mic, FRAME_MS, this.link.bytesPerSecond),
      speakerCodec: chooseCodec(hello.speaker, FRAME_MS, this.link.bytesPerSecond),
    };
    this.info = info;
    this.welcomedAt = performance.now();
    this.link.send({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, sessionId: info.sessionId, features: hello.features, micCodec: info.micCodec, speakerCodec: info.speakerCodec, frameMs: FRAME_MS });
    this.link.on('message', this.onMessage);
    return info;
  }

  /** Stops listening to the link (a new handshake on the same link takes over). */
  dispose(): void {
    this.link.off('message', this.onMessage);
    this.link.off('close', this.onClose);
  }

  private readonly onMessage = (m: Message): void => {
    switch (m.type) {
      case 'audioIn': {
        const gap = this.lastSeq === undefined ? 0 : (m.seq - this.lastSeq - 1) >>> 0;
        if (gap < 1000) this.lostFrames += gap; // a larger jump is a restarted counter, not loss
        this.lastSeq = m.seq;
        this.emit('audio', m.payload, m.seq, m.captureTimeUs);
        break;
      }
      case 'credit':
        this.emit('credit', m);
        break;
      case 'event':
        if (m.event === 1 || m.event === 2) this.emit('button', m.event === 1);
        break;
      case 'toolResult':
        this.emit('toolResult', m.callId, m.status === 0, m.resultJson);
        break;
      case 'log':
        this.emit('log', m.level, m.text);
        break;
      case 'error':
        this.emit('deviceError', m.code, m.message);
        break;
      case 'ping':
        this.link.send({ type: 'pong', nonce: m.nonce, pingTimeUs: m.timeUs, timeUs: this.nowUs() });
        break;
      case 'pong': {
        const sent = this.pings.get(m.nonce);
        this.pings.delete(m.nonce);
        if (sent !== undefined) this.emit('pong', performance.now() - sent);
        break;
      }
      case 'hello':
        if (performance.now() - this.welcomedAt > CROSSED_HELLO_MS) this.emit('restarted');
        break;
      case 'goodbye':
        this.link.close();
        break;
    }
  };

  private nowUs(): number {
    return Math.floor(performance.now() * 1000) >>> 0;
  }

  send(message: Message): boolean {
    return this.closed ? false : this.link.send(message);
  }

  audioOut(generation: number, payload: Uint8Array): boolean {
    return this.send({ type: 'audioOut', seq: this.outSeq++ >>> 0, generation, payload });
  }

  ping(): void {
    const nonce = randomInt(0, 0xffffffff);
    if (this.pings.size > 8) this.pings.clear();
    this.pings.set(nonce, performance.now());
    this.send({ type: 'ping', nonce, timeUs: this.nowUs() });
  }
}
