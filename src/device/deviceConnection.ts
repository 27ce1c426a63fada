/**
 * The host side of PROTOCOL.md for one link: the handshake (HELLO_REQUEST, asked again with
 * backoff → HELLO + TOOLs, checked → WELCOME; or ERROR + GOODBYE), the codec and frame choice
 * for the link (§3.1), and typed events for everything the device sends afterwards. A HELLO in
 * a session (the device restarted) is answered with WELCOME at once and reported as
 * 'restarted' with the new session's info.
 */
import { randomInt } from 'node:crypto';
import { realClock, type Clock, type Timer } from '../clock.js';
import { EspLiveError } from '../errors.js';
import {
  ErrorCode,
  GoodbyeReason,
  Limit,
  PROTOCOL_REVISION,
  PROTOCOL_VERSION,
  type Credit,
  type Hello,
  type Message,
  type Tool,
} from '../protocol/messages.js';
import { TypedEmitter } from '../typedEmitter.js';
import { checkHello, checkTool } from './helloCheck.js';
import type { DeviceLink } from './link.js';

/** §5: the first HELLO_REQUEST (unless a HELLO came first), then again after each of these, then every 5 s. */
const FIRST_ASK_MS = 300;
const ASK_AGAIN_MS = [500, 1000, 2000, 4000, 5000];
/** After this the user is told the host is still waiting (serial keeps asking; a WebSocket is closed at 10 s). */
const WAITING_NOTICE_MS = 5000;
const WEBSOCKET_SILENT_MS = 10_000;

export interface DeviceInfo {
  hello: Hello;
  tools: Tool[];
  sessionId: number;
  micCodec: number;
  speakerCodec: number;
  frameMs: number;
  /** The revision the session follows (§0.1): the lower of the device's and the host's. */
  protocolRevision: number;
}

export interface DeviceConnectionEvents extends Record<string, unknown[]> {
  audio: [payload: Uint8Array, seq: number, captureTimeUs: number];
  credit: [credit: Credit];
  button: [down: boolean];
  toolResult: [callId: number, ok: boolean, resultJson: string];
  log: [level: number, text: string];
  deviceError: [code: number, message: string];
  pong: [rttMs: number];
  /** Something the user should know about the handshake (still waiting, a refused TOOL). */
  notice: [text: string];
  /** The device restarted (a HELLO in the session) and was welcomed again: a new device session. */
  restarted: [info: DeviceInfo];
  close: [reason: string];
}

export interface DeviceConnectionOptions {
  clock?: Clock;
}

interface Introduction {
  hello: Hello;
  tools: Tool[];
  refused: Set<number>;
  timer: Timer;
}

export class DeviceConnection extends TypedEmitter<DeviceConnectionEvents> {
  info: DeviceInfo | undefined;
  /** AUDIO_IN frames the device sent that never arrived (sequence gaps). */
  lostFrames = 0;
  private lastSeq: number | undefined;
  private outSeq = 0;
  private readonly pings = new Map<number, number>();
  private closed = false;
  private intro: Introduction | undefined;
  /** A USB board was refused: the host no longer asks it for a HELLO (it may still send one). */
  private refused = false;
  private readonly clock: Clock;
  /** The host's say on whether this device may be served (token binding, limits): a refusal's reason. */
  private admit: ((hello: Hello) => string | undefined) | undefined;
  /** Settles the pending handshake() promise. */
  private settle: ((error: Error | undefined, info?: DeviceInfo) => void) | undefined;

  constructor(
    readonly link: DeviceLink,
    options: DeviceConnectionOptions = {},
  ) {
    super();
    this.clock = options.clock ?? realClock;
    link.on('message', this.onMessage);
    link.on('close', this.onClose);
  }

  private readonly onClose = (reason: string): void => {
    this.closed = true;
    this.intro?.timer.cancel();
    this.settle?.(new EspLiveError('DEVICE_GONE', `${this.link.name} went away during the handshake (${reason})`, { retryable: true }));
    this.emit('close', reason);
  };

  /**
   * Runs the handshake: asks for a HELLO with backoff until one comes (a WebSocket that stays
   * silent for 10 s is given up), checks it, collects the TOOLs, sends WELCOME. Rejects with a
   * clear error on a version mismatch, a HELLO the host cannot serve, the link closing, or when
   * `admit` refuses the device (it returns the reason, sent to the device as ERROR NOT_ALLOWED);
   * `admit` is asked again for every later HELLO (a restart).
   */
  handshake(admit?: (hello: Hello) => string | undefined): Promise<DeviceInfo> {
    this.admit = admit;
    return new Promise((resolve, reject) => {
      const timers: Timer[] = [];
      this.settle = (error, info) => {
        this.settle = undefined;
        for (const t of timers) t.cancel();
        if (error) reject(error);
        else resolve(info!);
      };
      if (this.closed) return this.settle(new EspLiveError('DEVICE_GONE', `${this.link.name} is closed`, { retryable: true }));
      let attempt = 0;
      const ask = (delayMs: number) => {
        timers.push(
          this.clock.after(delayMs, () => {
            if (this.intro || this.info || this.refused) return;
            this.link.resync();
            this.send({ type: 'helloRequest' });
            ask(ASK_AGAIN_MS[Math.min(attempt++, ASK_AGAIN_MS.length - 1)]);
          }),
        );
      };
      ask(FIRST_ASK_MS);
      timers.push(this.clock.after(WAITING_NOTICE_MS, () => this.intro || this.info || this.refused || this.emit('notice', `${this.link.name}: no board has introduced itself yet; still asking. Is esp-live firmware on it, at this baud rate?`)));
      if (this.link.kind === 'websocket') {
        timers.push(this.clock.after(WEBSOCKET_SILENT_MS, () => this.settle?.(new EspLiveError('DEVICE_NO_HELLO', `${this.link.name} did not introduce itself within ${WEBSOCKET_SILENT_MS / 1000} s`, { retryable: true }))));
      }
    });
  }

  // ------------------------------------------------------------------------------------------
  // Introduction: HELLO, TOOLs, WELCOME

  private onHello(hello: Hello): void {
    this.intro?.timer.cancel();
    this.intro = undefined;
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      const text = `device speaks protocol v${hello.protocolVersion}, this host speaks v${PROTOCOL_VERSION}`;
      this.send({ type: 'error', code: ErrorCode.VERSION_MISMATCH, message: text });
      this.send({ type: 'goodbye', reason: GoodbyeReason.VERSION_MISMATCH });
      return this.refuse(new EspLiveError('DEVICE_VERSION', `${this.link.name}: ${text}. Update ${hello.protocolVersion > PROTOCOL_VERSION ? 'esp-live on the host' : 'the firmware'}.`));
    }
    const checked = checkHello(hello, this.link.bytesPerSecond);
    if (!checked.ok) {
      this.send({ type: 'error', code: ErrorCode.UNSUPPORTED_FORMAT, message: checked.problem });
      this.send({ type: 'goodbye', reason: GoodbyeReason.ERROR });
      return this.refuse(new EspLiveError('DEVICE_UNSUPPORTED', `${this.link.name} cannot be served: ${checked.problem}. Fix the firmware's HELLO (see firmware/PROTOCOL.md §4.1).`));
    }
    const refusal = this.admit?.(hello);
    if (refusal) {
      this.send({ type: 'error', code: ErrorCode.NOT_ALLOWED, message: refusal });
      this.send({ type: 'goodbye', reason: GoodbyeReason.UNAUTHORISED });
      return this.refuse(new EspLiveError('DEVICE_REFUSED', `${this.link.name}: ${refusal}`));
    }
    this.refused = false;
    const intro: Introduction = { hello, tools: [], refused: new Set(), timer: this.clock.after(Limit.TOOLS_WAIT_MS, () => this.welcome(intro)) };
    this.intro = intro;
    if (hello.toolCount === 0) this.welcome(intro);
  }

  private onTool(tool: Tool): void {
    const intro = this.intro;
    if (!intro) return;
    const problem = checkTool(tool, intro.hello.toolCount, intro.tools);
    if (problem) {
      if (tool.index < intro.hello.toolCount) intro.refused.add(tool.index);
      this.send({ type: 'error', code: ErrorCode.TOOL_INVALID, message: problem });
      this.emit('notice', `${this.link.name}: ${problem}; the tool is left out`);
    } else {
      intro.tools.push(tool);
    }
    if (intro.tools.length + intro.refused.size >= intro.hello.toolCount) this.welcome(intro);
  }

  private welcome(intro: Introduction): void {
    if (this.intro !== intro) return;
    intro.timer.cancel();
    this.intro = undefined;
    const { hello } = intro;
    const checked = checkHello(hello, this.link.bytesPerSecond);
    if (!checked.ok) return; // checked when the HELLO came; cannot change
    this.link.maxMessageBytes = Math.min(hello.maxMessageBytes, Limit.MAX_MESSAGE_BYTES);
    const info: DeviceInfo = {
      hello,
      tools: intro.tools.sort((a, b) => a.index - b.index),
      sessionId: randomInt(1, 0xffffffff),
      micCodec: checked.micCodec,
      speakerCodec: checked.speakerCodec,
      frameMs: checked.frameMs,
      protocolRevision: Math.min(PROTOCOL_REVISION, hello.protocolRevision ?? 0),
    };
    const restarted = this.info !== undefined;
    this.info = info;
    this.lastSeq = undefined;
    this.outSeq = 0;
    this.send({
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      sessionId: info.sessionId,
      features: hello.features,
      micCodec: info.micCodec,
      speakerCodec: info.speakerCodec,
      frameMs: info.frameMs,
      protocolRevision: info.protocolRevision,
    });
    if (this.settle) this.settle(undefined, info);
    else if (restarted) this.emit('restarted', info);
  }

  /**
   * Refuses the device. A WebSocket is closed (the board reconnects later, §5 REFUSED). A USB
   * port is kept but the host stops talking to it (§4.1): closing it would only make the port
   * watcher open it again and ask again; a board that restarts (reflashed) says HELLO by
   * itself and is checked again.
   */
  private refuse(error: EspLiveError): void {
    if (this.settle && this.link.kind === 'serial') {
      this.refused = true;
      this.emit('notice', error.message);
      return;
    }
    if (this.settle) this.settle(error);
    else this.emit('notice', error.message);
    this.link.close();
  }

  // ------------------------------------------------------------------------------------------
  // The session

  private readonly onMessage = (m: Message): void => {
    switch (m.type) {
      case 'hello':
        return this.onHello(m);
      case 'tool':
        return this.onTool(m);
      case 'ping':
        this.send({ type: 'pong', nonce: m.nonce, pingTimeUs: m.timeUs, timeUs: this.nowUs() });
        return;
      case 'goodbye':
        this.link.close();
        return;
    }
    if (!this.info || this.intro) return; // session messages before WELCOME (or from before a restart)
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
      case 'pong': {
        const sent = this.pings.get(m.nonce);
        this.pings.delete(m.nonce);
        if (sent !== undefined) this.emit('pong', this.clock.now() - sent);
        break;
      }
    }
  };

  /** Stops listening to the link. */
  dispose(): void {
    this.link.off('message', this.onMessage);
    this.link.off('close', this.onClose);
    this.intro?.timer.cancel();
  }

  private nowUs(): number {
    return Math.floor(this.clock.now() * 1000) >>> 0;
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
    this.pings.set(nonce, this.clock.now());
    this.send({ type: 'ping', nonce, timeUs: this.nowUs() });
  }
}
