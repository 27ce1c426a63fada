/**
 * The bridge: every device link (USB serial, WebSocket) is introduced, matched to the device's
 * agent by its id, and given that agent's Live session, so a board that is unplugged and
 * plugged back within the grace period carries on the same conversation. One device's
 * failure never touches another's.
 */
import { appendFileSync } from 'node:fs';
import { validateLiveConfig, type LiveConfig } from '../live/config.js';
import { LiveSession } from '../live/session.js';
import { DeviceConnection } from '../device/deviceConnection.js';
import type { DeviceLink } from '../device/link.js';
import { Feature, GoodbyeReason } from '../protocol/messages.js';
import type { Logger } from '../log.js';
import { DeviceAgent } from './deviceAgent.js';
import { recordTurns } from './recorder.js';

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
  log: Logger;
  /** Appends every transcript line here as JSON (one object a line). */
  conversationLog?: string;
  /** Keeps per-turn WAVs here. */
  recordDir?: string;
  createLive?: (config: LiveConfig) => LiveSession;
}

export class Bridge {
  readonly agents = new Map<string, DeviceAgent>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: BridgeOptions) {}

  /** Introduces a new link; resolves when it is attached to an agent (or refused). */
  async addLink(link: DeviceLink): Promise<DeviceAgent | undefined> {
    const { log } = this.options;
    const connection = new DeviceConnection(link);
    let info;
    try {
      info = await connection.handshake();
    } catch (error) {
      log.log('warn', (error as Error).message, { link: link.name, code: (error as { code?: string }).code });
      link.close();
      return undefined;
    }
    if (this.closed) {
      link.close();
      return undefined;
    }
    const { hello } = info;
    const id = hello.deviceId || link.name;
    const fields = { device: hello.name || id };
    clearTimeout(this.graceTimers.get(id));
    this.graceTimers.delete(id);
    let agent = this.agents.get(id);
    const resumed = agent !== undefined;
    agent ??= this.createAgent(id, hello.name, info.tools, hello.features);
    agent.attach(connection, info);
    log.log('info', `${resumed ? 'back' : 'connected'} on ${link.name}: firmware ${hello.firmwareVersion}, mic ${hello.mic.sampleRateHz} Hz, speaker ${hello.speaker.sampleRateHz} Hz, codecs mic/speaker ${info.micCodec}/${info.speakerCodec}, ${info.tools.length} tools`, fields);
    connection.on('restarted', () => {
      log.log('info', 'the device restarted; introducing it again', fields);
      connection.dispose();
      void this.addLink(link);
    });
    connection.on('close', (reason) => {
      if (agent.connection !== connection) return;
      agent.detach(reason);
      if (this.closed) return;
      const graceMs = this.options.graceMs ?? 120_000;
      log.log('warn', `link lost (${reason}); keeping the conversation for ${graceMs / 1000} s in case it comes back`, fields);
      this.graceTimers.set(id, setTimeout(() => {
        log.log('info', 'did not come back; conversation closed', fields);
        this.agents.get(id)?.close();
        this.agents.delete(id);
        this.graceTimers.delete(id);
      }, graceMs));
    });
    return agent;
  }

  private createAgent(id: string, name: string, tools: { name: string; description: string; parametersSchema: string }[], features: number): DeviceAgent {
    const { log } = this.options;
    const fields = { device: name || id };
    const profile = { ...this.options.profiles?.[id], ...(name ? this.options.profiles?.[name] : {}) };
    const config = validateLiveConfig({ ...this.options.live, ...profile });
    const live = this.options.createLive?.(config) ?? new LiveSession({ config });
    const agent = new DeviceAgent({ deviceId: id, live, pushToTalk: !config.vad.automatic });
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
      if (this.options.conversationLog) appendFileSync(this.options.conversationLog, `${JSON.stringify({ time: new Date().toISOString(), device: id, who, text })}\n`);
    });
    agent.on('log', (line) => log.log('info', line, fields));
    if (this.options.recordDir) recordTurns(agent, this.options.recordDir);
    live.on('error', (error) => log.log(error.retryable ? 'warn' : 'error', error.message, { ...fields, code: error.code }));
    live.start().catch((error: Error) => log.log('error', `Live session could not start: ${error.message}`, fields));
    this.agents.set(id, agent);
    return agent;
  }

  /** Says goodbye to every device and ends every conversation. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    for (const agent of this.agents.values()) {
      agent.connection?.send({ type: 'goodbye', reason: GoodbyeReason.SHUTDOWN });
      agent.connection?.link.close();
      agent.close();
    }
    this.agents.clear();
  }
}
