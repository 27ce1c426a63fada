/**
 * The web console: a page served by the bridge that shows every device live and has buttons
 * for push-to-talk, interrupt and volume. Plain HTTP for the page, one WebSocket (/live) for
 * updates: a snapshot of every device ten times a second, transcript and log lines as they
 * happen. Off by default; on localhost unless configured otherwise, and then only behind a
 * password (ConsoleAuth). "Talk from this browser" gets the one device token meant for it
 * (console.browserDevice) from /api/browser-device, and no other.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Bridge } from '../bridge/bridge.js';
import { realClock, type Clock, type Timer } from '../clock.js';
import { EspLiveError } from '../errors.js';
import { BridgeView } from './bridgeView.js';
import { ConsoleAuth } from './consoleAuth.js';
import type { LogRing } from './logRing.js';
import { loadStaticFiles, type StaticFile } from './staticFiles.js';

const SNAPSHOT_MS = 100;
/** A page that does not keep up gets no snapshots until it has (they are replaced, not queued). */
const CLIENT_HIGH_WATER_BYTES = 256 * 1024;
const MAX_CLIENTS = 16;
const MAX_FORM_BYTES = 1024;
const HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; media-src 'self' blob:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface BrowserDeviceInfo {
  /** The device token the browser presents (as the subprotocol bearer.<token>). */
  token: string;
  /** The device listener: port, path and whether it speaks TLS (the page knows its host). */
  port: number;
  path: string;
  tls: boolean;
}

export interface ConsoleOptions {
  host: string;
  port: number;
  password?: string;
  bridge: Bridge;
  logRing?: LogRing;
  browserDevice?: BrowserDeviceInfo;
  clock?: Clock;
  log: (line: string) => void;
}

/** A command from the page. */
type Command = { type: 'ptt'; device: string; down: boolean } | { type: 'interrupt'; device: string } | { type: 'volume'; device: string; percent: number };

function parseCommand(text: string): Command | undefined {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null) return undefined;
  const c = m as Record<string, unknown>;
  if (typeof c.device !== 'string') return undefined;
  if (c.type === 'ptt' && typeof c.down === 'boolean') return { type: 'ptt', device: c.device, down: c.down };
  if (c.type === 'interrupt') return { type: 'interrupt', device: c.device };
  if (c.type === 'volume' && typeof c.percent === 'number' && Number.isFinite(c.percent)) return { type: 'volume', device: c.device, percent: c.percent };
  return undefined;
}

export class ConsoleServer {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  private readonly clients = new Set<WebSocket>();
  private readonly sockets = new Set<Socket>();
  private readonly files: Map<string, StaticFile>;
  private readonly auth: ConsoleAuth;
  private readonly view: BridgeView;
  private readonly clock: Clock;
  private ticker: Timer | undefined;
  private readonly offs: (() => void)[] = [];

  constructor(private readonly options: ConsoleOptions) {
    this.clock = options.clock ?? realClock;
    this.files = loadStaticFiles();
    this.auth = new ConsoleAuth({ password: options.password, loopbackOnly: /^(127\.|::1$|localhost$)/.test(options.host), clock: this.clock });
    this.view = new BridgeView(options.bridge, this.clock);
    this.http = createServer({ headersTimeout: 10_000, requestTimeout: 10_000 });
    this.http.on('connection', (socket: Socket) => {
      socket.on('error', () => undefined); // a peer that resets: nothing to do, the close follows
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.http.on('clientError', (_error, socket) => socket.destroy());
    this.http.on('request', (req, res) => this.onRequest(req, res));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.wss.on('error', (error) => this.options.log(`console: ${error.message}`));
    this.offs.push(
      this.view.subscribe('transcript', (line) => this.broadcast({ type: 'transcript', line })),
      options.logRing?.subscribe((line) => this.broadcast({ type: 'log', line })) ?? (() => undefined),
    );
  }

  async start(): Promise<string> {
    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: NodeJS.ErrnoException) => {
        const why = error.code === 'EADDRINUSE' ? 'is in use by another program' : error.code === 'EACCES' ? 'needs privileges (use a port above 1023)' : `cannot be opened (${error.message})`;
        reject(new EspLiveError('LISTEN_FAILED', `the console on ${host}:${port} ${why} (console.port)`, { cause: error }));
      };
      this.http.once('error', fail);
      this.http.listen(port, host, () => {
        this.http.off('error', fail);
        this.http.on('error', (error) => this.options.log(`console: ${error.message}`));
        resolve();
      });
    });
    return this.url;
  }

  get url(): string {
    const { address, port } = this.http.address() as AddressInfo;
    const host = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
    return `http://${host}:${port}/`;
  }

  private send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...HEADERS, 'content-type': type, ...extra }).end(body);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', () => undefined);
    if (!this.auth.hostAllowed(req)) return this.send(res, 421, 'text/plain', 'esp-live console: this address is not served here\n');
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/login' && req.method === 'POST') return this.onLogin(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.send(res, 405, 'text/plain', 'method not allowed\n');
    const authorised = this.auth.authorised(req);
    if (path === '/' || path === '/index.html') {
      const page = this.files.get(authorised ? 'index.html' : 'login.html')!;
      return this.send(res, 200, page.type, page.body);
    }
    if (path === '/api/browser-device') {
      if (!authorised) return this.send(res, 401, 'text/plain', 'log in first\n');
      const body = JSON.stringify(this.options.browserDevice ?? null);
      return this.send(res, 200, 'application/json', body);
    }
    const file = path.startsWith('/static/') ? this.files.get(path.slice('/static/'.length)) : undefined;
    // The login page needs its stylesheet; everything else waits for a login.
    if (file && (authorised || path === '/static/console.css')) return this.send(res, 200, file.type, file.body);
    this.send(res, 404, 'text/plain', 'not found\n');
  }

  private onLogin(req: IncomingMessage, res: ServerResponse): void {
    let body = '';
    req.setEncoding('utf8');
    req.on('error', () => undefined);
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_FORM_BYTES) req.destroy();
    });
    req.on('end', () => {
      const password = new URLSearchParams(body).get('password') ?? '';
      const address = req.socket.remoteAddress ?? 'unknown';
      const session = this.auth.login(password, address);
      if (!session) {
        this.options.log(`console: a login from ${address} failed`);
        return this.send(res, 303, 'text/plain', '', { location: '/?failed' });
      }
      this.send(res, 303, 'text/plain', '', { location: '/', 'set-cookie': ConsoleAuth.sessionCookie(session) });
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const refuse = (status: string): void => void socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () => socket.destroy());
    if ((req.url ?? '').split('?')[0] !== '/live') return refuse('404 Not Found');
    if (!this.auth.hostAllowed(req) || !this.auth.sameOrigin(req)) return refuse('403 Forbidden');
    if (!this.auth.authorised(req)) return refuse('401 Unauthorized');
    if (this.clients.size >= MAX_CLIENTS) return refuse('503 Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onClient(ws));
  }

  private onClient(ws: WebSocket): void {
    ws.on('error', () => ws.terminate());
    this.clients.add(ws);
    ws.on('close', () => {
      this.clients.delete(ws);
      if (this.clients.size === 0) this.stopTicker();
    });
    ws.on('message', (data, isBinary) => {
      const command = isBinary ? undefined : parseCommand(data.toString());
      if (!command) return;
      const ok =
        command.type === 'ptt' ? this.view.pushToTalk(command.device, command.down) : command.type === 'interrupt' ? this.view.interrupt(command.device) : this.view.setVolume(command.device, command.percent);
      if (!ok) ws.send(JSON.stringify({ type: 'error', text: 'no such device' }));
    });
    ws.send(JSON.stringify({ type: 'hello', transcript: this.view.transcript(), log: this.options.logRing?.recent() ?? [], browserDevice: this.options.browserDevice !== undefined, devices: this.view.snapshot() }));
    this.ticker ??= this.clock.every(SNAPSHOT_MS, () => this.broadcast({ type: 'snapshot', devices: this.view.snapshot() }, true));
  }

  private stopTicker(): void {
    this.ticker?.cancel();
    this.ticker = undefined;
  }

  /** Sends to every page; a snapshot skips pages that are behind (the next one replaces it). */
  private broadcast(message: object, droppable = false): void {
    if (this.clients.size === 0) return;
    const text = JSON.stringify(message);
    for (const ws of this.clients) if (!droppable || ws.bufferedAmount < CLIENT_HIGH_WATER_BYTES) ws.send(text);
  }

  async close(): Promise<void> {
    this.stopTicker();
    for (const off of this.offs.splice(0)) off();
    this.view.close();
    for (const ws of this.clients) ws.close(1001, 'esp-live is stopping');
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
      }, 1000);
      this.http.close(() => {
        clearTimeout(deadline);
        resolve();
      });
      this.http.closeIdleConnections();
    });
  }
}
