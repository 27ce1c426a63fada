/**
 * The WebSocket listener for boards on Wi-Fi. Each device proves itself with its own token
 * (`Authorization: Bearer …` on the upgrade); anything else gets a bare 401 and a log line.
 * Sizes are bounded by the protocol (one message ≤ 2 KiB per binary frame), the heartbeat
 * forgives a busy ESP32 for a minute (a pong or any message is a sign of life), TLS is optional, and the service is advertised over
 * mDNS/DNS-SD as _esp-live._tcp so a board can find the host without a hard-coded address.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { Bonjour } from 'bonjour-service';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeMessage, encodeMessage } from '../protocol/codec.js';
import { MAX_MESSAGE_BYTES, type Message } from '../protocol/messages.js';
import { DeviceLink } from './link.js';

const HIGH_WATER_BYTES = 64 * 1024;
/** A busy ESP32 may not answer a ping for many seconds: only a whole minute of silence counts. */
const DEFAULT_SILENCE_LIMIT_MS = 60_000;

export interface DeviceServerOptions {
  host?: string;
  port?: number;
  path?: string;
  /** Device token → the device's name in logs. */
  tokens: Record<string, string>;
  tls?: { certFile: string; keyFile: string };
  /** Advertise over mDNS (default true). */
  mdns?: boolean;
  /** A device silent this long (no message, no pong) is dropped. Default 60 s. */
  silenceLimitMs?: number;
  log?: (line: string) => void;
  onLink: (link: WebSocketLink, deviceName: string) => void;
}

export class WebSocketLink extends DeviceLink {
  readonly kind = 'websocket' as const;
  readonly bytesPerSecond = undefined;
  lastHeardAt = Date.now();
  private closed = false;
  private draining = false;

  constructor(
    private readonly ws: WebSocket,
    readonly name: string,
  ) {
    super();
    ws.on('message', (data, isBinary) => {
      this.lastHeardAt = Date.now();
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
    ws.on('pong', () => (this.lastHeardAt = Date.now()));
    ws.on('close', (code, reason) => this.gone(`socket closed (${code}${reason.length ? `: ${reason}` : ''})`));
    ws.on('error', (error) => this.gone(`socket error: ${error.message}`));
  }

  send(message: Message): boolean {
    if (this.closed) return false;
    this.stats.messagesOut++;
    this.ws.send(encodeMessage(message, this.maxMessageBytes));
    if (this.ws.bufferedAmount < HIGH_WATER_BYTES) return true;
    if (!this.draining) {
      this.draining = true;
      const check = () => {
        if (this.closed) return;
        if (this.ws.bufferedAmount >= HIGH_WATER_BYTES / 2) return void setTimeout(check, 5);
        this.draining = false;
        this.emit('drain');
      };
      setTimeout(check, 5);
    }
    return false;
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

  private gone(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', reason);
  }
}

function tokenOf(req: IncomingMessage): string {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class DeviceServer {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly links = new Set<WebSocketLink>();
  private readonly heartbeat: NodeJS.Timeout;
  private bonjour: Bonjour | undefined;
  private readonly log: (line: string) => void;

  constructor(private readonly options: DeviceServerOptions) {
    this.log = options.log ?? (() => undefined);
    this.http = options.tls
      ? createHttpsServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) })
      : createHttpServer();
    this.http.on('request', (_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('esp-live: devices connect here with a WebSocket\n'));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    const silenceLimitMs = options.silenceLimitMs ?? DEFAULT_SILENCE_LIMIT_MS;
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      for (const link of this.links) link.heartbeat(now, silenceLimitMs);
    }, silenceLimitMs / 6);
    this.heartbeat.unref();
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port ?? 8765, this.options.host ?? '0.0.0.0', resolve);
    });
    const { port } = this.http.address() as AddressInfo;
    if (this.options.mdns ?? true) {
      this.bonjour = new Bonjour();
      this.bonjour.publish({ name: `esp-live on ${hostname()}`, type: 'esp-live', port, txt: { path: this.path, tls: this.options.tls ? '1' : '0', proto: '1' } });
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

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const from = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const reject = (status: string, why: string) => {
      this.log(`device connection from ${from} rejected: ${why}`);
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if ((req.url ?? '').split('?')[0] !== this.path) return reject('404 Not Found', `wrong path ${req.url}`);
    const token = tokenOf(req);
    const entry = Object.entries(this.options.tokens).find(([t]) => sameSecret(t, token));
    if (!token) return reject('401 Unauthorized', 'no token');
    if (!entry) return reject('401 Unauthorized', 'unknown token');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const link = new WebSocketLink(ws, `ws ${entry[1]} (${from})`);
      this.links.add(link);
      link.on('close', () => this.links.delete(link));
      this.options.onLink(link, entry[1]);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const link of this.links) link.close();
    await new Promise<void>((resolve) => (this.bonjour ? this.bonjour.unpublishAll(() => resolve()) : resolve()));
    this.bonjour?.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections?.();
  }
}
