/**
 * The `mcp` and `tools` sections of esp-live.json, as zod schemas for src/config.ts, and how a
 * server's headers and environment get their values: `${NAME}` is replaced by the environment
 * variable NAME, so a token never has to be written into the file (and a header that carries
 * one, such as Authorization, must come from the environment).
 */
import { z } from 'zod';
import type { McpServerConfig } from './mcpHub.js';

const str = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });
const ms = z.int({ error: 'must be a number of milliseconds from 100 to 3600000' }).min(100, { error: 'must be at least 100 ms' }).max(3_600_000, { error: 'must be at most 3600000 ms' });
const names = z.array(str, { error: 'must be a list of names' });
const behaviorFields = {
  behavior: z.enum(['BLOCKING', 'NON_BLOCKING'], { error: 'must be BLOCKING or NON_BLOCKING' }),
  scheduling: z.enum(['INTERRUPT', 'WHEN_IDLE', 'SILENT'], { error: 'must be INTERRUPT, WHEN_IDLE or SILENT' }),
  timeoutMs: ms,
  stillWorkingMs: ms,
};

const MCP_SERVER = z
  .strictObject(
    {
      name: z.string({ error: 'must be a string' }).regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,31}$/, { error: 'must be a short name: letters, digits, _ and -, starting with a letter' }),
      command: str.optional(),
      args: z.array(z.string({ error: 'must be a string' }), { error: 'must be a list of strings' }).optional(),
      env: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object' }).optional(),
      cwd: str.optional(),
      url: z.string({ error: 'must be a string' }).regex(/^https?:\/\/\S+$/, { error: 'must be an http(s) URL' }).optional(),
      headers: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object' }).optional(),
      allow: names.optional(),
      deny: names.optional(),
      devices: names.optional(),
      behavior: behaviorFields.behavior.optional(),
      scheduling: behaviorFields.scheduling.optional(),
      timeoutMs: behaviorFields.timeoutMs.optional(),
      stillWorkingMs: behaviorFields.stillWorkingMs.optional(),
      tools: z.record(z.string(), z.strictObject(behaviorFields, { error: 'must be an object' }).partial(), { error: 'must be an object' }).optional(),
    },
    { error: 'must be an object' },
  )
  .refine((s) => (s.command === undefined) !== (s.url === undefined), { error: 'needs either "command" (a stdio server) or "url" (Streamable HTTP), not both' });

export const MCP_SCHEMA = z.strictObject({ servers: z.array(MCP_SERVER, { error: 'must be a list of servers' }) }, { error: 'must be an object' }).partial();

export const HOST_TOOLS_SCHEMA = z
  .strictObject({ time: z.boolean({ error: 'must be true or false' }), timers: z.boolean({ error: 'must be true or false' }), stateFile: str }, { error: 'must be an object' })
  .partial();

export type McpFileSection = z.infer<typeof MCP_SCHEMA>;

/** Headers that carry credentials: their value must come from the environment. */
const SECRET_HEADER = /authorization|token|key|secret|cookie|password/i;

/** The servers with `${NAME}` filled from `env`; throws `[field, problem]` for the first bad one. */
export function resolveMcpServers(section: McpFileSection | undefined, env: NodeJS.ProcessEnv): McpServerConfig[] {
  const servers = section?.servers ?? [];
  const seen = new Set<string>();
  return servers.map((s, i) => {
    const at = `mcp.servers[${i}]`;
    if (seen.has(s.name)) throw new McpConfigProblem(`${at}.name`, `"${s.name}" is used by another server: give each its own name`);
    seen.add(s.name);
    const fill = (field: string, value: string) =>
      value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
        const found = env[name];
        if (found === undefined) throw new McpConfigProblem(field, `needs the environment variable ${name}, which is not set`);
        return found;
      });
    const fillAll = (field: string, record: Record<string, string> | undefined, secret: (key: string) => boolean) =>
      record &&
      Object.fromEntries(
        Object.entries(record).map(([k, v]) => {
          if (secret(k) && !v.includes('${')) throw new McpConfigProblem(`${field}.${k}`, 'must not hold a secret in the file: write ${NAME} and set NAME in the environment');
          return [k, fill(`${field}.${k}`, v)];
        }),
      );
    const endpoint = s.url !== undefined ? { url: s.url, headers: fillAll(`${at}.headers`, s.headers, (k) => SECRET_HEADER.test(k)) } : { command: s.command!, args: s.args, cwd: s.cwd, env: fillAll(`${at}.env`, s.env, () => false) };
    const { name, allow, deny, devices, behavior, scheduling, timeoutMs, stillWorkingMs, tools } = s;
    return { name, endpoint, allow, deny, devices, behavior, scheduling, timeoutMs, stillWorkingMs, tools } as McpServerConfig;
  });
}

export class McpConfigProblem extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}
