/**
 * A local stand-in for the Gemini Live API: the real @google/genai SDK, pointed at it with
 * `httpOptions.baseUrl`, cannot tell the difference for what esp-live uses. It is NOT Google's
 * service and says so when it starts. Also serves the ephemeral-token endpoint.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { realClock, type Clock } from '../clock.js';
import { LIVE_MODELS } from '../live/models.js';
import { HARSH, seededRandom, type EmulatorBehaviour } from './behaviour.js';
import { EmulatorConnection, type EmulatorFaults, type HeardUtterance, type TokenConstraints } from './connection.js';
import { ConversationStore, type Conversation } from './conversation.js';
import type { PersonaName, Scenario } from './personas.js';

const PATH = /\/ws\/google\.ai\.generativelanguage\.(v\w+)\.GenerativeService\.(BidiGenerateContent|BidiGenerateContentConstrained)$/;
const MAX_FRAME_BYTES = 16 << 20;
/** GET {version}/models/{model}: models.get. */
const MODEL_GET = /\/(v\w+)\/models\/([^/]+)$/;

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  persona?: PersonaName;
  scenario?: Scenario;
  /** API keys accepted; by default any non-empty key is. */
  apiKeys?: string[];
  models?: string[];
  /** How long a connection lives before the server ends it (after a goAway). Default 10 min. */
  connectionLifetimeMs?: number;
  /** How long before the end goAway is sent. Default 50 s (sokuji#179). */
  goAwayLeadMs?: number;
  /** The service's rough edges, all on by default (behaviour.ts); `gentle()` switches them off. */
  behaviour?: Partial<EmulatorBehaviour>;
  /** Time for lifetimes, pacing and handles; a faster clock runs the whole world faster (bench). */
  clock?: Clock;
  /** Called with each user utterance once its fate is known (which connection heard it, whether it was answered). */
  onHeard?: (utterance: HeardUtterance) => void;
  realtimeFactor?: number;
  burstMs?: number;
  /** How long a resumption handle stays valid. Default 2 h. */
  handleTtlMs?: number;
  /** Refuse this many WebSocket upgrades with HTTP 429 first. */
  rejectUpgrades?: number;
  faults?: EmulatorFaults;
  log?: (line: string) => void;
}

interface EphemeralToken {
  expiresAt: number;
  newSessionBefore: number;
  /** Infinity when the token was minted with `uses: 0`. */
  usesLeft: number;
  setup?: Record<string, unknown>;
  fieldMask?: string[];
}

/**
 * The SDK's paths start with `//` (docs/live-api-notes.md §1), which `new URL(path, base)` would read as a
 * host name, so path and query are split by hand.
 */
function parseRequestUrl(raw = '/'): { pathname: string; searchParams: URLSearchParams } {
  const q = raw.indexOf('?');
  return { pathname: q < 0 ? raw : raw.slice(0, q), searchParams: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

/** A new session spends one use and must start in time; resuming spends nothing. */
function tokenConstraints(token: EphemeralToken): TokenConstraints {
  return {
    setup: token.setup,
    fieldMask: token.fieldMask,
    admit(resuming) {
      if (resuming) return true;
      if (token.usesLeft <= 0 || token.newSessionBefore < Date.now()) return false;
      token.usesLeft--;
      return true;
    },
  };
}

export class LiveEmulator {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, autoPong: false }); // connections answer pings (unless frozen)
  readonly store: ConversationStore;
  private readonly tokens = new Map<string, EphemeralToken>();
  private upgradesToReject: number;
  private readonly connections = new Set<EmulatorConnection>();
  private readonly log: (line: string) => void;
  private readonly behaviour: EmulatorBehaviour;
  private readonly random: () => number;
  private readonly clock: Clock;
  /** The caller's faults, copied: the ones that count down do so here. */
  private readonly faults: EmulatorFaults;
  private connectionCount = 0;
  /** The last 200 utterances heard, oldest first (see HeardUtterance). */
  readonly heard: HeardUtterance[] = [];

  constructor(private readonly options: EmulatorOptions = {}) {
    this.behaviour = { ...HARSH, ...options.behaviour };
    this.random = seededRandom(this.behaviour.seed);
    this.clock = options.clock ?? realClock;
    this.faults = { ...options.faults };
    this.store = new ConversationStore(options.handleTtlMs ?? 2 * 3600_000, () => this.clock.now());
    this.upgradesToReject = options.rejectUpgrades ?? 0;
    this.log = options.log ?? (() => undefined);
    this.http = createServer((req, res) => this.onHttp(req, res));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve);
    });
    return this.baseUrl;
  }

  /** The base URL to give the SDK as `httpOptions.baseUrl`. */
  get baseUrl(): string {
    const { address, port } = this.http.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  get conversations(): readonly Conversation[] {
    return this.store.all;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Ends every connection with `code` (e.g. 1011 to test reconnection). */
  dropAll(code = 1011, reason = 'Internal error encountered.'): void {
    for (const c of this.connections) c.close(code, reason);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close(1001, 'Emulator shutting down.');
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
  }

  private keyValid(key: string | null): boolean {
    if (!key) return false;
    return this.options.apiKeys ? this.options.apiKeys.includes(key) : true;
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = parseRequestUrl(req.url);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && MODEL_GET.test(url.pathname)) return this.onModelGet(req, url, reply);
    if (req.method !== 'POST' || !url.pathname.endsWith('/auth_tokens')) {
      return reply(404, { error: { code: 404, message: 'Not found (esp-live Live API emulator).', status: 'NOT_FOUND' } });
    }
    if (!this.keyValid(String(req.headers['x-goog-api-key'] ?? url.searchParams.get('key') ?? ''))) {
      return reply(400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } });
    }
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk;
      if (body.length > 1 << 20) req.destroy();
    });
    req.on('end', () => {
      let request: Record<string, any>;
      try {
        request = JSON.parse(body || '{}');
      } catch {
        return reply(400, { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } });
      }
      const now = Date.now();
      const expiresAt = request.expireTime ? Date.parse(request.expireTime) : now + 30 * 60_000;
      const newSessionBefore = request.newSessionExpireTime ? Date.parse(request.newSessionExpireTime) : now + 60_000;
      const name = `auth_tokens/${randomBytes(16).toString('hex')}`;
      this.tokens.set(name, {
        expiresAt,
        newSessionBefore,
        usesLeft: request.uses === 0 ? Infinity : (request.uses ?? 1),
        setup: request.bidiGenerateContentSetup,
        fieldMask: typeof request.fieldMask === 'string' ? request.fieldMask.split(',').filter(Boolean) : request.fieldMask,
      });
      reply(200, { name, expireTime: new Date(expiresAt).toISOString(), newSessionExpireTime: new Date(newSessionBefore).toISOString(), uses: request.uses ?? 1 });
    });
  }

  /**
   * models.get (https://ai.google.dev/api/models#method:-models.get), which `esp-live doctor`
   * uses to check a key: the Model resource, with only name, displayName and
   * supportedGenerationMethods filled in (the service adds version, token limits and sampling
   * defaults); a bad key gets the service's 400 with reason API_KEY_INVALID (its body as quoted
   * in continuedev/continue#8516); a model it does not serve gets 404 NOT_FOUND (the text is a
   * guess modelled on the 1008 close text for an unknown Live model).
   */
  private onModelGet(req: IncomingMessage, url: { pathname: string; searchParams: URLSearchParams }, reply: (status: number, body: unknown) => void): void {
    const [, version, model] = MODEL_GET.exec(url.pathname)!;
    if (!this.keyValid(String(req.headers['x-goog-api-key'] ?? url.searchParams.get('key') ?? ''))) {
      const message = 'API key not valid. Please pass a valid API key.';
      return reply(400, { error: { code: 400, message, status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } }] } });
    }
    const name = decodeURIComponent(model);
    if (!(this.options.models ?? Object.keys(LIVE_MODELS)).includes(name)) {
      return reply(404, { error: { code: 404, message: `models/${name} is not found for API version ${version}, or is not supported for GET. Call ListModels to see the list of available models and their supported methods.`, status: 'NOT_FOUND' } });
    }
    reply(200, { name: `models/${name}`, displayName: name, supportedGenerationMethods: ['bidiGenerateContent'] });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = parseRequestUrl(req.url);
    const match = PATH.exec(url.pathname);
    if (!match) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    if (this.upgradesToReject > 0) {
      this.upgradesToReject--;
      socket.end('HTTP/1.1 429 Too Many Requests\r\nconnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // Like the service: the upgrade succeeds, then a bad credential closes the socket.
      const constrained = match[2] === 'BidiGenerateContentConstrained';
      let constraints: TokenConstraints | undefined;
      let rejected = false;
      if (constrained) {
        const token = this.tokens.get(url.searchParams.get('access_token') ?? '');
        if (!token || token.expiresAt < Date.now()) rejected = true;
        else constraints = tokenConstraints(token);
      } else {
        rejected = !this.keyValid(url.searchParams.get('key'));
      }
      if (rejected) {
        ws.close(1007, 'API key not valid. Please pass a valid API key.');
        return;
      }
      const connection = new EmulatorConnection(ws, this.store, {
        id: ++this.connectionCount,
        behaviour: this.behaviour,
        random: this.random,
        clock: this.clock,
        onHeard: (u) => {
          this.heard.push(u);
          if (this.heard.length > 200) this.heard.shift();
          this.options.onHeard?.(u);
        },
        persona: this.options.persona ?? 'echo',
        scenario: this.options.scenario,
        models: this.options.models ?? Object.keys(LIVE_MODELS),
        connectionLifetimeMs: this.options.connectionLifetimeMs ?? 600_000,
        goAwayLeadMs: this.options.goAwayLeadMs ?? 50_000,
        realtimeFactor: this.options.realtimeFactor ?? 4,
        burstMs: this.options.burstMs ?? 300,
        faults: this.faults,
        log: this.log,
      }, constraints);
      this.connections.add(connection);
      ws.on('close', () => this.connections.delete(connection));
    });
  }
}
