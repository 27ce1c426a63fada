/**
 * One MCP server, kept alive: connected with the official SDK client over stdio (a child
 * process) or Streamable HTTP, its tools listed at start and again on `tools/list_changed`,
 * calls run with a timeout, progress and cancellation. A server that crashes, closes, or
 * hangs (a call times out and a ping does not come back) is restarted with backoff; while it
 * is down its calls fail at once with an error that says so. Nothing here throws into the
 * caller's conversation: every failure is a rejected call or a log line.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ToolListChangedNotificationSchema, type CallToolResult, type JSONRPCMessage, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';
import { TypedEmitter } from '../typedEmitter.js';

/** How to reach a server: a command to run, or a URL (headers and env already resolved from the environment). */
export type McpEndpoint =
  | { command: string; args?: string[]; env?: Record<string, string>; cwd?: string; url?: undefined }
  | { url: string; headers?: Record<string, string>; command?: undefined };

export interface McpServerOptions {
  name: string;
  endpoint: McpEndpoint;
  log: Logger;
  /** Connecting and listing tools, each (default 10 s). */
  connectTimeoutMs?: number;
  /** First restart delay after a failure; doubles per failure up to restartMaxMs (defaults 1 s, 60 s). */
  restartInitialMs?: number;
  restartMaxMs?: number;
  /** A ping after a timed-out call must answer within this (default 2 s), or the server is restarted. */
  pingTimeoutMs?: number;
  /** Sees every message as it is handed to the transport or read from it (the bench times the bridge with it). */
  trace?: (direction: 'sent' | 'received', message: JSONRPCMessage) => void;
}

export type McpServerState = 'starting' | 'up' | 'down' | 'closed';

export interface McpServerEvents extends Record<string, unknown[]> {
  /** The server's tools, whole, each time they are (re)listed. */
  tools: [tools: Tool[]];
  state: [state: McpServerState];
}

export interface McpCallOptions {
  signal: AbortSignal;
  timeoutMs: number;
  /** The server reported progress (MCP `notifications/progress`). */
  onProgress?: (progress: number, total: number | undefined, message: string | undefined) => void;
}

/** Text from a server that goes to the model is capped here. */
const MAX_RESULT_CHARS = 32_000;
/** Pages of tools/list read at most (a server that pages forever is cut off). */
const MAX_LIST_PAGES = 50;
/** A server up this long before it failed starts its backoff again from the beginning. */
const STABLE_MS = 60_000;
const VERSION = '0.1.0';

export class McpServer extends TypedEmitter<McpServerEvents> {
  readonly name: string;
  state: McpServerState = 'starting';
  tools: Tool[] = [];
  /** Why the server is down, for the error its calls get meanwhile. */
  problem = 'it has not started yet';
  readonly stats = { restarts: 0, calls: 0, failedCalls: 0 };
  private client: Client | undefined;
  private failures = 0;
  private upSince = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private firstListing: Promise<void>;
  private listed!: () => void;
  private readonly options: Required<Omit<McpServerOptions, 'endpoint' | 'log' | 'name' | 'trace'>> & McpServerOptions;

  constructor(options: McpServerOptions) {
    super();
    this.name = options.name;
    this.options = { connectTimeoutMs: 10_000, restartInitialMs: 1000, restartMaxMs: 60_000, pingTimeoutMs: 2000, ...options };
    this.firstListing = new Promise((resolve) => (this.listed = resolve));
  }

  /** Starts connecting (and keeps trying); resolves once the first attempt has succeeded or failed. */
  start(): Promise<void> {
    void this.connect();
    return this.firstListing;
  }

  /** The child process's pid for a stdio server that is running. */
  get pid(): number | undefined {
    const transport = this.client?.transport;
    return transport instanceof StdioClientTransport ? (transport.pid ?? undefined) : undefined;
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', text: string): void {
    this.options.log.log(level, `MCP server ${this.name}: ${text}`);
  }

  private setState(state: McpServerState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  private transport(): Transport {
    const { endpoint } = this.options;
    if (endpoint.url !== undefined) return new StreamableHTTPClientTransport(new URL(endpoint.url), { requestInit: { headers: endpoint.headers ?? {} } });
    const transport = new StdioClientTransport({ command: endpoint.command, args: endpoint.args, env: endpoint.env, cwd: endpoint.cwd, stderr: 'pipe' });
    const stderr = transport.stderr; // a PassThrough, there before the child starts
    stderr?.on('error', (error) => this.log('debug', `stderr: ${error.message}`));
    let pending = '';
    stderr?.on('data', (chunk: Buffer) => {
      pending = (pending + chunk.toString('utf8')).slice(-4096); // a line without an end is bounded
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.log('debug', `says: ${line.slice(0, 500)}`); // the logger escapes it
    });
    return transport;
  }

  private async connect(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('starting');
    const client = new Client({ name: 'esp-live', version: VERSION }, { capabilities: {} });
    this.client = client;
    client.onerror = (error) => this.log('debug', `transport: ${error.message}`);
    client.onclose = () => {
      if (this.client === client) this.down('its connection closed (the process exited or the server hung up)');
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      if (this.client === client) void this.listTools(client).catch((error: Error) => this.log('warn', `could not list its tools again: ${error.message}`));
    });
    try {
      const transport = this.transport();
      await client.connect(transport, { timeout: this.options.connectTimeoutMs });
      if (this.options.trace) traceTransport(transport, this.options.trace);
      if (this.client !== client) return;
      await this.listTools(client);
      if (this.client !== client) return;
      this.upSince = Date.now();
      this.problem = '';
      this.setState('up');
    } catch (error) {
      if (this.client === client) this.down(`could not start: ${(error as Error).message}`);
    } finally {
      this.listed();
    }
  }

  private async listTools(client: Client): Promise<void> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const result = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.options.connectTimeoutMs });
      tools.push(...result.tools);
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    if (this.client !== client) return;
    this.tools = tools;
    this.emit('tools', tools);
  }

  /** The server is gone or unusable: close what is left and try again after the backoff. */
  private down(problem: string): void {
    if (this.state === 'closed' || this.state === 'down') return;
    const client = this.client;
    this.client = undefined;
    this.problem = problem;
    this.setState('down');
    void client?.close().catch((error: Error) => this.log('debug', `close: ${error.message}`));
    if (this.upSince && Date.now() - this.upSince >= STABLE_MS) this.failures = 0;
    this.upSince = 0;
    const delayMs = Math.min(this.options.restartMaxMs, this.options.restartInitialMs * 2 ** this.failures++);
    this.log('warn', `${problem}; restarting in ${(delayMs / 1000).toFixed(1)} s (its tools answer with an error meanwhile)`);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.stats.restarts++;
      void this.connect();
    }, delayMs);
    this.restartTimer.unref();
  }

  /**
   * Calls a tool; resolves with what the model should read (structured content, or the text),
   * rejects with a readable error (the tool failed, timed out, was cancelled, or the server is down).
   */
  async call(tool: string, args: Record<string, unknown>, options: McpCallOptions): Promise<unknown> {
    const client = this.client;
    if (this.state !== 'up' || !client) throw new Error(`the ${this.name} tools are unavailable right now (${this.problem}); try again in a little while`);
    this.stats.calls++;
    let result: CallToolResult;
    try {
      result = (await client.callTool({ name: tool, arguments: args }, undefined, {
        signal: options.signal,
        timeout: options.timeoutMs,
        onprogress: options.onProgress && ((p) => options.onProgress!(p.progress, p.total, p.message)),
      })) as CallToolResult;
    } catch (error) {
      this.stats.failedCalls++;
      if (options.signal.aborted) {
        this.log('debug', `${tool} cancelled; the server was told (notifications/cancelled)`);
        throw new Error(`${tool} was cancelled`);
      }
      if ((error as { code?: number }).code === -32001) {
        void this.checkAlive(client);
        throw new Error(`${tool} did not answer within ${options.timeoutMs} ms`);
      }
      throw new Error(`${tool} failed: ${(error as Error).message}`);
    }
    const text = (result.content ?? []).map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n').slice(0, MAX_RESULT_CHARS);
    if (result.isError) {
      this.stats.failedCalls++;
      throw new Error(text || `${tool} failed`);
    }
    return result.structuredContent ?? text;
  }

  /** After a call timed out: a server that does not answer a ping either is hung, and restarted. */
  private async checkAlive(client: Client): Promise<void> {
    try {
      await client.ping({ timeout: this.options.pingTimeoutMs });
    } catch {
      if (this.client === client) this.down(`it did not answer a ping within ${this.options.pingTimeoutMs} ms after a call timed out (hung)`);
    }
  }

  /** Stops the server (a child process gets SIGTERM, then SIGKILL); idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('closed');
    clearTimeout(this.restartTimer);
    const client = this.client;
    this.client = undefined;
    this.listed();
    await client?.close().catch((error: Error) => this.log('debug', `close: ${error.message}`));
  }
}

function traceTransport(transport: Transport, trace: NonNullable<McpServerOptions['trace']>): void {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    trace('sent', message);
    return send(message, options);
  };
  const receive = transport.onmessage;
  transport.onmessage = (message, extra) => {
    trace('received', message);
    receive?.(message, extra);
  };
}
