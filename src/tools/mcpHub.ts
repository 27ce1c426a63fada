/**
 * Every configured MCP server, and which of their tools each device's Live session offers:
 * converted once per listing (a tool Gemini cannot take is dropped with one log line),
 * filtered by the server's allow/deny lists and devices, and renamed `server__tool` when a
 * name is taken by another server or by the device's own tools. The Live setup cannot change
 * mid-connection, so a re-listed server's tools reach a device's model on its next connection.
 */
import type { FunctionDeclaration } from '@google/genai';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { LiveSession } from '../live/session.js';
import { supportsAsyncFunctions } from '../live/models.js';
import type { Logger } from '../log.js';
import { toLiveParameters } from './jsonSchema.js';
import { McpServer, type McpEndpoint, type McpServerOptions } from './mcpServer.js';
import { toolBehavior, type ToolBehaviorConfig } from './behavior.js';
import type { DeviceRef, ToolSource } from './toolSource.js';

export interface McpServerConfig extends ToolBehaviorConfig {
  name: string;
  endpoint: McpEndpoint;
  /** Only these tools (by the server's names); default all. */
  allow?: string[];
  deny?: string[];
  /** Only these devices (ids or names) get the tools; default every device. */
  devices?: string[];
  /** Per call, unless `tools[name].timeoutMs` says otherwise (default 30 s). */
  timeoutMs?: number;
}

export const DEFAULT_MCP_TIMEOUT_MS = 30_000;
const NAME_MAX = 64;

interface Offered {
  tool: Tool;
  declaration: FunctionDeclaration;
}

/** A name Gemini takes: letters, digits, `_ . -`, at most 64 characters, not starting with a digit. */
export function liveToolName(name: string): string {
  const clean = name.replace(/[^a-zA-Z0-9_.-]/g, '_').slice(0, NAME_MAX);
  return /^[a-zA-Z_]/.test(clean) ? clean : `_${clean}`.slice(0, NAME_MAX);
}

export class McpHub implements ToolSource {
  readonly servers: McpServer[];
  private readonly offered = new Map<McpServer, Offered[]>();
  private readonly attached = new Set<() => void>();
  private started: Promise<void> | undefined;

  constructor(
    private readonly configs: McpServerConfig[],
    private readonly log: Logger,
    serverOptions: Partial<McpServerOptions> = {},
  ) {
    this.servers = configs.map((c) => new McpServer({ ...serverOptions, name: c.name, endpoint: c.endpoint, log }));
    this.servers.forEach((server, i) => {
      server.on('tools', (tools) => {
        this.offered.set(server, this.convert(configs[i], tools));
        for (const refresh of this.attached) refresh();
      });
    });
  }

  /** Starts every server (once); resolves when each has listed its tools or failed its first start. */
  ready(): Promise<void> {
    this.started ??= Promise.all(this.servers.map((s) => s.start())).then(() => undefined);
    return this.started;
  }

  private convert(config: McpServerConfig, tools: Tool[]): Offered[] {
    const out: Offered[] = [];
    for (const tool of tools) {
      if (config.allow && !config.allow.includes(tool.name)) continue;
      if (config.deny?.includes(tool.name)) continue;
      if (tool.execution?.taskSupport === 'required') {
        this.log.log('warn', `MCP server ${config.name}: tool ${tool.name} left out: it only runs as an MCP task, which esp-live does not call`);
        continue;
      }
      const converted = toLiveParameters(tool.inputSchema);
      if (!converted.ok) {
        this.log.log('warn', `MCP server ${config.name}: tool ${tool.name} left out: ${converted.problem}`);
        continue;
      }
      if (converted.removed.length) this.log.log('debug', `MCP server ${config.name}: tool ${tool.name}: schema keywords Gemini does not take were removed (${converted.removed.join(', ')})`);
      const behavior = toolBehavior(config, tool.name);
      out.push({
        tool,
        declaration: {
          name: tool.name,
          description: (tool.description ?? tool.title ?? tool.name).slice(0, 1024),
          ...(converted.schema ? { parametersJsonSchema: converted.schema } : {}),
          ...(behavior.behavior ? { behavior: behavior.behavior as FunctionDeclaration['behavior'] } : {}),
        },
      });
    }
    this.log.log('info', `MCP server ${config.name}: ${out.length} of ${tools.length} tools offered`);
    return out;
  }

  /**
   * Offers the servers' tools to one device's session, now and after every re-listing.
   * Returns the function that takes them away again.
   */
  attach(device: DeviceRef, live: LiveSession, log: Logger = this.log): () => void {
    const registry = live.tools;
    const asyncOk = supportsAsyncFunctions(live.config.model);
    let removers: (() => void)[] = [];
    const refresh = () => {
      for (const remove of removers) remove();
      removers = [];
      const mine = this.servers.map((server, i) => ({ server, config: this.configs[i] })).filter(({ config }) => !config.devices || config.devices.includes(device.id) || (device.name !== '' && config.devices.includes(device.name)));
      const counts = new Map<string, number>();
      for (const { server } of mine) for (const { tool } of this.offered.get(server) ?? []) counts.set(liveToolName(tool.name), (counts.get(liveToolName(tool.name)) ?? 0) + 1);
      for (const { server, config } of mine) {
        for (const { tool, declaration } of this.offered.get(server) ?? []) {
          const plain = liveToolName(tool.name);
          const name = (counts.get(plain) ?? 0) > 1 || registry.has(plain) ? liveToolName(`${config.name}__${tool.name}`) : plain;
          const behavior = toolBehavior(config, tool.name);
          const timeoutMs = behavior.timeoutMs ?? config.timeoutMs ?? DEFAULT_MCP_TIMEOUT_MS;
          try {
            removers.push(
              registry.register({ ...declaration, name, ...(asyncOk ? {} : { behavior: undefined }) }, (args, signal, progress) => server.call(tool.name, args, { signal, timeoutMs, onProgress: progress && ((done, total, message) => progress({ progress: done, total, message })) }), {
                timeoutMs: timeoutMs + 1000, // the server's own timeout answers first, with the better message
                scheduling: behavior.scheduling,
                stillWorkingMs: behavior.stillWorkingMs,
              }),
            );
          } catch (error) {
            log.log('warn', `MCP tool ${tool.name} of ${config.name} not offered: ${(error as Error).message}`);
          }
        }
      }
    };
    refresh();
    this.attached.add(refresh);
    return () => {
      this.attached.delete(refresh);
      for (const remove of removers) remove();
    };
  }

  async close(): Promise<void> {
    this.attached.clear();
    await Promise.all(this.servers.map((s) => s.close()));
  }
}
