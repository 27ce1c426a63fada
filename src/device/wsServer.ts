/**
 * The WebSocket listener for boards on Wi-Fi. Each device proves itself with its own token
 * (`Authorization: Bearer …` on the upgrade, or from a browser the subprotocol `bearer.…`);
 * anything else gets a bare 401, and an address that keeps failing is blocked for a while
 * (UpgradeLimiter). It runs on a home network, so nothing a peer sends can hurt the process: every socket has an 'error' listener from its
 * first moment, connections are capped, a link's inbound bytes are rate-limited by pausing its
 * socket (TCP pushes back on the sender), one message is at most 2 KiB, and a minute of
 * silence drops a link. TLS is optional; the service is advertised over mDNS/DNS-SD as
 * _esp-live._tcp so a board can find the host without a hard-coded address.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { Bonjour } from 'bonjour-service';
import { WebSocketServer, type WebSocket } from 'ws';
import { realClock, type Clock, type Timer } from '../clock.js';
import { EspLiveError } from '../errors.js';
import { decodeMessage, encodeMessage } from '../protocol/codec.js';
import { MAX_MESSAGE_BYTES, type Message } from '../protocol/messages.js';
import { escapeText } from '../log.js';
import { TokenBucket } from '../tokenBucket.js';
import { DeviceLink, type TokenGrant } from './link.js';
import { UpgradeLimiter } from './upgradeLimiter.js';

const HIGH_WATER_BYTES = 64 * 1024;
/** A busy ESP32 may not answer a ping for many seconds: only a whole minute of silence counts. */
const DEFAULT_SILENCE_LIMIT_MS = 60_000;
/** 48 kHz stereo PCM (the largest a board may send) is 192 kB/s; twice that, with a 1 s burst. */
const DEFAULT_INBOUND_BYTES_PER_SECOND = 400_000;
const DEFAULT_MAX_CONNECTIONS = 64;
/** How long shutdown waits for sockets to close before destroying them. */
const CLOSE_DEADLINE_MS = 2000;

export interface DeviceServerOptions {
  host?: string;
  port?: number;
  path?: string;
  /** Device token → what it grants (a plain string is the device's name, one session). */
  tokens: Record<string, TokenGrant | string>;
  tls?: { certFile: string; keyFile: string };
  /** Advertise over mDNS (default true). */
  mdns?: boolean;
  /** A device silent this long (no message, no pong) is dropped. Default 60 s. */
  silenceLimitMs?: number;
  /** TCP connections at once, with or without a token (default 64); more are dropped at once. */
  maxConnections?: number;
  /** Bytes a link may send per second before its socket is paused (default 400 kB/s). */
  inboundBytesPerSecond?: number;
  /** Failed upgrades an address may make before it is blocked (default 10 a minute, blocked a minute). */
  failedUpgrades?: { maxFailures?: number; windowMs?: number; blockMs?: number };
  clock?: Clock;
  log?: (line: string) => void;
  onLink: (link: WebSocketLink) => void;
}

/** A plain token entry ("token": "kitchen") is one device, one session. */
export function grantOf(entry: TokenGrant | string): TokenGrant {
  return typeof entry === 'string' ? { name: entry, maxSessions: 1 } : entry;
}

export class WebSocketLink extends DeviceLink {
  readonly kind = 'websocket' as const;
  readonly bytesPerSecond = undefined;
  lastHeardAt: number;
  private closed = false;
  private draining = false;
  /** Inbound bytes; the socket is paused while the bucket is in debt. */
  private readonly inbound: TokenBucket;
  private resumeTimer: Timer | undefined;
  /** Times the socket was paused for sending too fast. */
  throttled = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly name: string,
    override readonly grant: TokenGrant,
    private readonly clock: Clock,
    inboundBytesPerSecond: number,
  ) {
    super();
    this.lastHeardAt = clock.now();
    this.inbound = new TokenBucket(clock, inboundBytesPerSecond, inboundBytesPerSecond);
    ws.on('message', (data, isBinary) => {
      this.lastHeardAt = this.clock.now();
      this.spend((data as Buffer).length);
      if (!isBinary) {
        this.stats.rejected++;
        return;
      }
      const result = decodeMessage(data as Buffer);
      if (!result.ok) {
        this.stats.rejected++;
        return;
      }
      this.stats.messagesIn++;
      this.emit('message', result.message);
    });
    ws.on('pong', () => (this.lastHeardAt = this.clock.now()));
    ws.on('close', (code, reason) => this.gone(`socket closed (${code}${reason.length ? `: ${escapeText(reason.toString())}` : ''})`));
    ws.on('error', (error) => this.gone(`socket error: ${error.message}`));
  }

  /** Charges received bytes; past the budget the socket is paused until it has refilled. */
  private spend(bytes: number): void {
    const waitMs = this.inbound.charge(bytes);
    if (waitMs === 0 || this.resumeTimer || this.closed) return;
    this.throttled++;
    this.ws.pause();
    this.resumeTimer = this.clock.after(waitMs, () => {
      this.resumeTimer = undefined;
      if (!this.closed) this.ws.resume();
    });
  }

  send(message: Message): boolean {
    if (this.closed) return false;
    this.stats.messagesOut++;
    const backedUp = this.ws.bufferedAmount >= HIGH_WATER_BYTES;
    // ws calls back once this frame is handed to the socket, so everything before it is too.
    this.ws.send(encodeMessage(message, this.maxMessageBytes), backedUp && !this.draining ? () => this.drained() : undefined);
    if (!backedUp) return true;
    this.draining = true;
    return false;
  }

  private drained(): void {
    this.draining = false;
    if (!this.closed) this.emit('drain');
  }

  /** Pings a quiet device; drops one silent for `silenceLimitMs` (any message or pong is life). */
  heartbeat(now: number, silenceLimitMs: number): void {
    if (now - this.lastHeardAt > silenceLimitMs) {
      this.ws.terminate();
      this.gone(`no sign of life for ${silenceLimitMs / 1000} s`);
    } else if (now - this.lastHeardAt > silenceLimitMs / 6) {
      this.ws.ping();
    }
  }

  close(): void {
    if (this.closed) return;
    this.ws.close(1000, 'bye');
    this.gone('closed by the host');
  }

  /** Drops the connection without a closing handshake (shutdown deadline). */
  terminate(): void {
    this.ws.terminate();
    this.gone('terminated by the host');
  }

  private gone(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.resumeTimer?.cancel();
    this.emit('close', reason);
  }
}

/**
 * A browser cannot set an Authorization header on a WebSocket: it offers the subprotocols
 * `esp-live` and `bearer.<token>` instead (the console's "talk from this browser"). The server
 * answers with `esp-live` only, so the token is never echoed.
 */
export const DEVICE_SUBPROTOCOL = 'esp-live';
const TOKEN_SUBPROTOCOL = /(?:^|,)\s*bearer\.([^\s,]+)\s*(?:,|$)/;

function tokenOf(req: IncomingMessage): string {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return bearer ?? TOKEN_SUBPROTOCOL.exec(req.headers['sec-websocket-protocol'] ?? '')?.[1] ?? '';
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class DeviceServer {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, handleProtocols: (offered) => (offered.has(DEVICE_SUBPROTOCOL) ? DEVICE_SUBPROTOCOL : false) });
  private readonly links = new Set<WebSocketLink>();
  /** Every open TCP connection, upgraded or not, with its peer's address (read while it is there). */
  private readonly sockets = new Map<Socket, string>();
  private readonly tokens: [string, TokenGrant][];
  private readonly heartbeat: Timer;
  private readonly clock: Clock;
  private readonly limiter: UpgradeLimiter;
  private bonjour: Bonjour | undefined;
  private readonly log: (line: string) => void;
  /** What the listener turned away, for status and tests. */
  readonly refused = { blocked: 0, overCapacity: 0, unauthorised: 0, socketErrors: 0, tokenOverflow: 0 };

  constructor(private readonly options: DeviceServerOptions) {
    this.log = options.log ?? (() => undefined);
    this.clock = options.clock ?? realClock;
    this.limiter = new UpgradeLimiter({ clock: this.clock, ...options.failedUpgrades });
    this.tokens = Object.entries(options.tokens).map(([token, entry]) => [token, grantOf(entry)]);
    let tls: { cert: Buffer; key: Buffer } | undefined;
    if (options.tls) {
      try {
        tls = { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) };
      } catch (error) {
        throw new EspLiveError('LISTEN_TLS', `websocket.tls: cannot read the certificate or key (${(error as Error).message})`, { cause: error });
      }
    }
    const timeouts = { headersTimeout: 10_000, requestTimeout: 10_000 };
    this.http = tls ? createHttpsServer({ ...tls, ...timeouts }) : createHttpServer(timeouts);
    this.http.on('connection', (socket: Socket) => this.onConnection(socket));
    this.http.on('clientError', (_error, socket) => socket.destroy());
    this.http.on('request', (_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('esp-live: devices connect here with a WebSocket\n'));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    const silenceLimitMs = options.silenceLimitMs ?? DEFAULT_SILENCE_LIMIT_MS;
    this.heartbeat = this.clock.every(silenceLimitMs / 6, () => {
      const now = this.clock.now();
      for (const link of this.links) link.heartbeat(now, silenceLimitMs);
    });
  }

  async start(): Promise<string> {
    const port = this.options.port ?? 8765;
    const host = this.options.host ?? '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      const fail = (error: NodeJS.ErrnoException) => {
        const why = error.code === 'EADDRINUSE' ? 'is in use by another program (another esp-live?)' : error.code === 'EACCES' ? 'needs privileges (use a port above 1023)' : `cannot be opened (${error.message})`;
        reject(new EspLiveError('LISTEN_FAILED', `the WebSocket listener on ${host}:${port} ${why}`, { cause: error }));
      };
      this.http.once('error', fail);
      this.http.listen(port, host, () => {
        this.http.off('error', fail);
        this.http.on('error', (error) => this.log(`listener error: ${error.message}`));
        resolve();
      });
    });
    if (this.options.mdns ?? true) {
      const onError = (error: Error) => this.log(`mDNS: ${error.message} (boards may not find this host by name; see the FAQ)`);
      this.bonjour = new Bonjour({}, onError); // its default error callback throws
      // multicast-dns emits 'error' (EACCES, EADDRINUSE, send failures) on an emitter bonjour-service
      // keeps private and never listens to: without a listener that would end the process.
      const mdns = (this.bonjour as unknown as { server?: { mdns?: NodeJS.EventEmitter } }).server?.mdns;
      if (!mdns?.on) throw new EspLiveError('LISTEN_FAILED', 'mDNS: bonjour-service no longer has the shape esp-live expects; set websocket.mdns to false');
      mdns.on('error', onError);
      this.bonjour.publish({ name: `esp-live on ${hostname()}`, type: 'esp-live', port: (this.http.address() as AddressInfo).port, txt: { path: this.path, tls: this.options.tls ? '1' : '0', proto: '1' } });
    }
    return this.url;
  }

  get path(): string {
    return this.options.path ?? '/device';
  }

  get url(): string {
    const { address, port } = this.http.address() as AddressInfo;
    const host = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
    return `${this.options.tls ? 'wss' : 'ws'}://${host}:${port}${this.path}`;
  }

  /** Every TCP connection, before anything is parsed: an 'error' listener, the block list and the cap. */
  private onConnection(socket: Socket): void {
    socket.on('error', () => this.refused.socketErrors++);
    const address = socket.remoteAddress ?? 'unknown';
    if (this.limiter.isBlocked(address)) {
      this.refused.blocked++;
      return void socket.destroy();
    }
    if (this.sockets.size >= (this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS)) {
      this.refused.overCapacity++;
      return void socket.destroy();
    }
    this.sockets.set(socket, address);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => this.refused.socketErrors++); // the TLS socket, or a raw one the HTTP server let go of
    const address = this.sockets.get(req.socket as Socket) ?? req.socket.remoteAddress ?? 'unknown';
    const from = req.socket.remotePort ? `${address}:${req.socket.remotePort}` : address;
    const reject = (status: string, why: string) => {
      this.refused.unauthorised++;
      const { log, failures } = this.limiter.fail(address);
      if (log === 'attempt') this.log(`device connection from ${from} rejected: ${why}`);
      else if (log === 'blocked') this.log(`device connections from ${address} rejected ${failures} times: blocked for a minute (last: ${why})`);
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () => socket.destroy());
    };
    if ((req.url ?? '').split('?')[0] !== this.path) return reject('404 Not Found', `wrong path ${escapeText((req.url ?? '').slice(0, 80))}`);
    const token = tokenOf(req);
    if (!token) return reject('401 Unauthorized', 'no token');
    const grant = this.tokens.find(([t]) => sameSecret(t, token))?.[1];
    if (!grant) return reject('401 Unauthorized', 'unknown token');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const link = new WebSocketLink(ws, `ws ${grant.name} (${from})`, grant, this.clock, this.options.inboundBytesPerSecond ?? DEFAULT_INBOUND_BYTES_PER_SECOND);
      // A token holds at most maxSessions links, plus one for a board that reconnects before
      // its old socket is noticed dead: beyond that the oldest of its links goes.
      const mine = [...this.links].filter((l) => l.grant === grant);
      if (mine.length >= grant.maxSessions + 1) {
        if (this.refused.tokenOverflow++ % 100 === 0) this.log(`token "${grant.name}" opened more connections than it may hold (${grant.maxSessions + 1}); closing its oldest (${this.refused.tokenOverflow} so far)`);
        mine[0].close();
      }
      this.links.add(link);
      link.on('close', () => this.links.delete(link));
      this.options.onLink(link);
    });
  }

  /** Closes every link and socket, waiting at most a short deadline for boards to say goodbye. */
  async close(): Promise<void> {
    this.heartbeat.cancel();
    for (const link of this.links) link.close();
    const unpublished = new Promise<void>((resolve) => (this.bonjour ? this.bonjour.unpublishAll(() => resolve()) : resolve()));
    await Promise.race([unpublished, new Promise((r) => setTimeout(r, CLOSE_DEADLINE_MS).unref())]);
    this.bonjour?.destroy();
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        for (const socket of this.sockets.keys()) socket.destroy(); // half-sent requests, boards that never answered the close
      }, CLOSE_DEADLINE_MS);
      this.http.close(() => {
        clearTimeout(deadline);
        resolve();
      });
      this.http.closeIdleConnections(); // connected, sent nothing
    });
  }
}
