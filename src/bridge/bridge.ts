/**
 * The bridge: every device link (USB serial, WebSocket) is introduced, matched to the device's
 * agent by its id, and given that agent's Live session, so a board that is unplugged and
 * plugged back within the grace period carries on the same conversation. One device's
 * failure never touches another's.
 */
import { appendFileSync } from 'node:fs';
import { escapeText } from '../log.js';
import { validateLiveConfig, type LiveConfig } from '../live/config.js';
import { LiveSession } from '../live/session.js';
import { DeviceConnection, type DeviceInfo } from '../device/deviceConnection.js';
import type { DeviceLink, TokenGrant } from '../device/link.js';
import { Feature, GoodbyeReason, type Hello } from '../protocol/messages.js';
import type { Logger } from '../log.js';
import { DeviceAgent } from './deviceAgent.js';
import type { ToolSource } from '../tools/toolSource.js';
import { recordTurns } from './recorder.js';
import { PIPELINE_RATE_HZ } from '../device/deviceAudio.js';
import { DEFAULT_PRICES, describeTotals, UsageMeter, WARN_AT, type Budget, type Prices } from './usageMeter.js';

export interface DeviceProfile {
  systemInstruction?: string;
  voice?: string;
}

export interface BridgeOptions {
  live: LiveConfig;
  /** Per-device settings by device id or name. */
  profiles?: Record<string, DeviceProfile>;
  /** How long a device that went away keeps its conversation (ms). */
  graceMs?: number;
  /** Devices served at once, over every link (default 10); each is a Live session that costs money. */
  maxDevices?: number;
  /** Every token's grant, so a deviceId listed for one token is refused to the others from the start. */
  grants?: TokenGrant[];
  log: Logger;
  /** Appends every transcript line here as JSON (one object a line). */
  conversationLog?: string;
  /** Keeps per-turn WAVs here. */
  recordDir?: string;
  /** Builds a device's Live session (by default a new LiveSession). */
  createLive?: (config: LiveConfig, deviceId: string) => LiveSession;
  /** Prices (USD per 1M tokens) and daily budgets for the usage meter. */
  pricing?: Partial<Prices>;
  budget?: { perDevice?: Budget; total?: Budget };
  /** Tools beside the device's own: MCP servers, the host's tools. A session starts once they are known. */
  toolSources?: ToolSource[];
}

/** How often each device's day so far is summed up in the log. */
const USAGE_SUMMARY_MS = 3_600_000;

export const DEFAULT_MAX_DEVICES = 10;

/**
 * The speech gate keeps passing audio after speech for longer than Gemini's own end-of-speech
 * wait (vad.silenceDurationMs; the service's default is not published, 500 ms is our guess), so
 * Gemini, not the gate, decides where the turn ends.
 */
function speechGateHangoverMs(config: LiveConfig): number {
  return Math.max(800, (config.vad.silenceDurationMs ?? 500) + 300);
}

/**
 * A device's id: what its HELLO says, or the link's name when it says nothing. For a device
 * with a token it is also what binds the conversation to that token.
 */
function deviceIdOf(hello: Hello, link: DeviceLink): string {
  return hello.deviceId || link.name;
}

export class Bridge {
  readonly agents = new Map<string, DeviceAgent>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  /** deviceId → the name of the token that owns it: listed in its grant, or the first to claim it. */
  private readonly owners = new Map<string, string>();
  private readonly reserved = new Map<string, string>();
  private closed = false;
  private readonly toolDetachers = new Map<string, (() => void)[]>();
  /** Tokens, audio seconds and estimated cost per device and per day; the budgets. */
  readonly usage: UsageMeter;
  private readonly summaryTimer: NodeJS.Timeout;

  constructor(private readonly options: BridgeOptions) {
    for (const grant of options.grants ?? []) for (const id of grant.deviceIds ?? []) this.reserved.set(id, grant.name);
    this.usage = new UsageMeter({ prices: { ...DEFAULT_PRICES, ...options.pricing }, ...options.budget });
    this.usage.on('budget', (level, device, totals) => {
      const who = device === undefined ? 'all devices together' : `device ${device}`;
      const line = `${who} used ${level === 'exhausted' ? 'all' : `${WARN_AT * 100} %`} of today's budget (${describeTotals(totals)})`;
      if (level === 'warning') options.log.log('warn', line);
      else options.log.log('error', `${line}: no more audio goes to Gemini from ${device === undefined ? 'any device' : 'it'} until tomorrow or a new budget`);
    });
    this.summaryTimer = setInterval(() => this.logUsage('so far today'), USAGE_SUMMARY_MS);
    this.summaryTimer.unref();
  }

  /** One line per device with today's usage. */
  private logUsage(when: string): void {
    for (const device of this.usage.devicesToday()) this.options.log.log('info', `usage ${when}: ${describeTotals(this.usage.today(device))}`, { device });
  }

  /** Appends one JSON line to the conversation log (--log), if there is one. */
  private logJson(record: Record<string, unknown>): void {
    if (this.options.conversationLog) appendFileSync(this.options.conversationLog, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  }

  /**
   * Whether this link may be this device; the reason when not. A token may be only the ids its
   * grant lists (or, without a list, ids no other token holds), and at most maxSessions of
   * them at once; USB and local audio are physical access and may be any id. The host serves
   * at most maxDevices in all.
   */
  private admit(link: DeviceLink, hello: Hello): string | undefined {
    const id = deviceIdOf(hello, link);
    const grant = link.grant;
    if (grant) {
      if (grant.deviceIds && !grant.deviceIds.includes(id)) return `token "${grant.name}" may not be device id "${id}"`;
      const owner = this.reserved.get(id) ?? this.owners.get(id);
      if (owner !== undefined && owner !== grant.name) return `device id "${id}" belongs to another token`;
      const held = [...this.owners].filter(([other, name]) => name === grant.name && other !== id).length;
      if (held >= grant.maxSessions) return `token "${grant.name}" already has ${held} device${held === 1 ? '' : 's'} (its limit, maxSessions, is ${grant.maxSessions})`;
    }
    const maxDevices = this.options.maxDevices ?? DEFAULT_MAX_DEVICES;
    if (!this.agents.has(id) && this.agents.size >= maxDevices) return `this host already serves ${this.agents.size} devices (maxDevices is ${maxDevices})`;
    return undefined;
  }

  /** Introduces a new link; resolves when it is attached to an agent (or refused). */
  async addLink(link: DeviceLink): Promise<DeviceAgent | undefined> {
    const { log } = this.options;
    const connection = new DeviceConnection(link);
    connection.on('notice', (text) => log.log('warn', text, { link: link.name }));
    let info;
    try {
      info = await connection.handshake((hello) => this.admit(link, hello));
    } catch (error) {
      const code = (error as { code?: string }).code;
      // A link that closed before introducing itself (often the host's own doing) is no news.
      log.log(code === 'DEVICE_GONE' ? 'debug' : 'warn', (error as Error).message, { link: link.name, code });
      link.close();
      return undefined;
    }
    return this.attachDevice(link, connection, info);
  }

  /** A welcomed device session goes to its conversation (a new one, or the one it left). */
  private attachDevice(link: DeviceLink, connection: DeviceConnection, info: DeviceInfo): DeviceAgent | undefined {
    const { log } = this.options;
    if (this.closed) {
      link.close();
      return undefined;
    }
    const { hello } = info;
    const id = deviceIdOf(hello, link);
    const fields = { device: hello.name || id };
    const refusal = this.admit(link, hello); // again: another link may have taken the id or a slot meanwhile
    if (refusal) {
      log.log('warn', `${link.name}: ${refusal}`, fields);
      link.close();
      return undefined;
    }
    if (link.grant) this.owners.set(id, link.grant.name);
    clearTimeout(this.graceTimers.get(id));
    this.graceTimers.delete(id);
    const existing = this.agents.get(id);
    let agent: DeviceAgent;
    try {
      agent = existing ?? this.createAgent(id, hello.name, info.tools, hello.features);
      agent.attach(connection, info);
    } catch (error) {
      // Whatever went wrong, the device's Live session must not outlive it.
      log.log('error', `${link.name}: could not start the device (${(error as Error).message})`, fields);
      if (!existing) this.endConversation(id);
      link.close();
      return undefined;
    }
    const resumed = existing !== undefined;
    log.log('info', `${resumed ? 'back' : 'connected'} on ${link.name}: firmware ${hello.firmwareVersion}, mic ${hello.mic.sampleRateHz} Hz, speaker ${hello.speaker.sampleRateHz} Hz, codecs mic/speaker ${info.micCodec}/${info.speakerCodec}, ${info.frameMs} ms frames, ${info.tools.length} tools`, fields);
    const listeners = [
      // PROTOCOL.md §5: the host already answered the restarted device's HELLO with WELCOME.
      connection.subscribe('restarted', (again) => {
        for (const off of listeners) off();
        log.log('info', 'the device said HELLO again (after a restart, or answering a HELLO_REQUEST); welcomed it: a new device session', fields);
        this.lost(id, agent, connection, 'the device restarted');
        this.attachDevice(link, connection, again);
      }),
      connection.subscribe('close', (reason) => this.lost(id, agent, connection, reason)),
    ];
    return agent;
  }

  /** The device's link is gone: its conversation waits graceMs for it, then ends. */
  private lost(id: string, agent: DeviceAgent, connection: DeviceConnection, reason: string): void {
    if (agent.connection !== connection) return;
    agent.detach(reason);
    if (this.closed) return;
    const { log } = this.options;
    const fields = { device: agent.info?.hello.name || id };
    const graceMs = this.options.graceMs ?? 120_000;
    log.log('warn', `link lost (${reason}); keeping the conversation for ${graceMs / 1000} s in case it comes back`, fields);
    clearTimeout(this.graceTimers.get(id));
    this.graceTimers.set(id, setTimeout(() => {
      log.log('info', 'did not come back; conversation closed', fields);
      this.endConversation(id);
    }, graceMs));
  }

  /** Ends a device's conversation and its Live session, and frees its token's slot. */
  private endConversation(id: string): void {
    clearTimeout(this.graceTimers.get(id));
    this.graceTimers.delete(id);
    for (const detach of this.toolDetachers.get(id) ?? []) detach();
    this.toolDetachers.delete(id);
    this.agents.get(id)?.close();
    this.agents.delete(id);
    this.owners.delete(id);
  }

  private createAgent(id: string, name: string, tools: { name: string; description: string; parametersSchema: string }[], features: number): DeviceAgent {
    const { log } = this.options;
    const fields = { device: name || id };
    const profile = { ...this.options.profiles?.[id], ...(name ? this.options.profiles?.[name] : {}) };
    const config = validateLiveConfig({ ...this.options.live, ...profile });
    const live = this.options.createLive?.(config, id) ?? new LiveSession({ config });
    const gate = config.speechGate && { ...config.speechGate, hangoverMs: config.speechGate.hangoverMs ?? speechGateHangoverMs(config) };
    const agent = new DeviceAgent({ deviceId: id, live, pushToTalk: !config.vad.automatic, upstreamAllowed: () => this.usage.allowed(id), speechGate: gate || undefined, idleCloseMs: config.idleCloseMs });
    for (const tool of tools) {
      let schema: unknown;
      try {
        schema = tool.parametersSchema ? JSON.parse(tool.parametersSchema) : undefined;
      } catch {
        log.log('warn', `tool ${tool.name} has a parameter schema that is not JSON; offering it without parameters`, fields);
      }
      try {
        live.tools.register({ name: tool.name, description: tool.description, parametersJsonSchema: schema }, (args, signal) => agent.callDeviceTool(tool.name, args, signal));
      } catch (error) {
        log.log('warn', `tool ${tool.name} skipped: ${(error as Error).message}`, fields);
      }
    }
    if (features & Feature.VOLUME && !live.tools.has('set_volume')) {
      live.tools.register(
        {
          name: 'set_volume',
          description: 'Set the speaker volume of this device, in percent (0 is silent, 100 is loudest).',
          parametersJsonSchema: { type: 'object', properties: { percent: { type: 'integer', minimum: 0, maximum: 100 } }, required: ['percent'] },
        },
        async (args) => {
          agent.setVolume(Number(args.percent));
          return { volumePercent: Number(args.percent) };
        },
      );
    }
    agent.on('transcript', (who, text) => {
      log.log('info', `${who === 'user' ? 'you' : 'assistant'}: ${text}`, fields);
      this.logJson({ device: escapeText(id), who, text: escapeText(text) });
    });
    agent.on('heard', (samples) => this.usage.addAudioUp(id, samples.length / PIPELINE_RATE_HZ));
    live.on('usage', (report) => {
      const turn = this.usage.record(id, report);
      log.log('debug', `turn usage: ${describeTotals(turn)}`, fields);
      this.logJson({ device: escapeText(id), who: 'usage', tokens: { inputText: turn.inputText, inputAudio: turn.inputAudio, outputText: turn.outputText, outputAudio: turn.outputAudio, cached: turn.cached }, usdEstimate: turn.usd });
    });
    agent.on('log', (line, debug) => log.log(debug ? 'debug' : 'info', line, fields));
    if (this.options.recordDir) recordTurns(agent, this.options.recordDir, (line) => log.log('warn', line, fields));
    live.on('grounding', (g) => {
      const sources = (g.groundingChunks ?? []).map((c) => c.web?.uri).filter(Boolean);
      log.log('info', `searched the web for ${JSON.stringify(g.webSearchQueries ?? [])}${sources.length ? `; sources: ${sources.slice(0, 5).join(' ')}` : ''}`, fields);
    });
    live.on('error', (error) => log.log(error.retryable ? 'warn' : 'error', error.message, { ...fields, code: error.code }));
    live.on('unreachable', (error) => log.log('warn', error.message, { ...fields, code: error.code }));
    live.on('notice', (message) => log.log('info', message, fields));
    const sources = this.options.toolSources ?? [];
    this.toolDetachers.set(id, sources.map((source) => source.attach({ id, name }, live, { log: (level, text, more) => log.log(level, text, { ...fields, ...more }) })));
    void Promise.all(sources.map((source) => source.ready()))
      .then(() => (live.state === 'idle' ? live.start() : undefined))
      .catch((error: Error) => log.log('error', `Live session could not start: ${error.message}`, fields));
    this.agents.set(id, agent);
    return agent;
  }

  /** Says goodbye to every device and ends every conversation. */
  async close(): Promise<void> {
    if (!this.closed) this.logUsage('today');
    this.closed = true;
    clearInterval(this.summaryTimer);
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    for (const agent of this.agents.values()) {
      agent.connection?.send({ type: 'goodbye', reason: GoodbyeReason.SHUTDOWN });
      agent.connection?.link.close();
      agent.close();
    }
    this.agents.clear();
  }
}
