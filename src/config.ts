/**
 * esp-live's configuration: a JSON file, then the environment, then command-line flags, each
 * overriding the one before; validated once at start-up with an error that names the field.
 * The only module that reads process.env.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EspLiveError } from './errors.js';
import { validateLiveConfig, type LiveConfig } from './live/config.js';
import { z } from 'zod';
import { DEFAULT_MAX_DEVICES, type DeviceProfile } from './bridge/bridge.js';
import type { TokenGrant } from './device/link.js';
import type { Budget, Prices } from './bridge/usageMeter.js';
import { HOST_TOOLS_SCHEMA, MCP_SCHEMA, McpConfigProblem, resolveMcpServers } from './tools/toolsConfig.js';
import type { McpServerConfig } from './tools/mcpHub.js';

export interface AppConfig {
  /** The settings file read, if any. */
  file?: string;
  /** Gemini API key; undefined means: use the built-in emulator. */
  apiKey: string | undefined;
  live: LiveConfig;
  serial: { enabled: boolean; port?: string; baudRate: number; dtr: boolean; rts: boolean };
  websocket: { enabled: boolean; host: string; port: number; path: string; tokens: Record<string, TokenGrant>; tls?: { certFile: string; keyFile: string }; mdns: boolean; maxConnections?: number };
  localAudio: { enabled: boolean };
  console: ConsoleConfig;
  profiles: Record<string, DeviceProfile>;
  graceMs: number;
  maxDevices: number;
  pricing: Partial<Prices>;
  budget: { perDevice?: Budget; total?: Budget };
  conversationLog?: string;
  recordDir?: string;
  /** MCP servers whose tools the devices get (README "Tools"). */
  mcp: McpServerConfig[];
  /** The host's own tools; each on unless switched off. */
  hostTools: { time: boolean; timers: boolean; stateFile?: string };
  json: boolean;
  debug: boolean;
}

// --- console (issue 15 §3) ---
export interface ConsoleConfig {
  enabled: boolean;
  host: string;
  port: number;
  /** Required when `host` is not a loopback address. */
  password?: string;
  /** The device token "talk from this browser" uses: the one named by console.browserDevice. */
  browserToken?: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
/** Characters a WebSocket subprotocol may carry (RFC 6455 §4.1: an HTTP token); base64url fits. */
const SUBPROTOCOL_SAFE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// --- end console ---

export const CONFIG_FILE = 'esp-live.json';

export const RUN_HELP = `esp-live — run the bridge

Usage: esp-live [options]

Without GEMINI_API_KEY it talks to the built-in Live API emulator (it says so loudly).

Options:
  --config FILE            settings file (default ./${CONFIG_FILE} if it exists)
  --port PATH              serial port of the board (default: find one by its USB id)
  --baud N                 serial baud rate (default 921600; native USB ignores it)
  --dtr, --rts             assert these lines after opening (default: both released, no reset)
  --no-serial              do not look for a board on USB
  --ws-port N              WebSocket port for boards on Wi-Fi (default 8765)
  --ws-host ADDR           WebSocket listen address (default 0.0.0.0)
  --no-ws                  no WebSocket listener
  --local-audio            use this computer's microphone and speaker as a device
  --console                serve the web console (default http://127.0.0.1:8780)
  --model NAME             Live model
  --voice NAME             voice
  --instructions TEXT      system instruction
  --push-to-talk           the board's button frames each turn (Gemini's VAD off)
  --no-barge-in            speech does not interrupt the assistant
  --log FILE               append every transcript line to FILE (JSON lines)
  --record DIR             keep per-turn WAVs of what was heard and played
  --json                   log JSON lines instead of text
  --debug                  more log lines
  -h, --help               this help

Environment: GEMINI_API_KEY (or GOOGLE_API_KEY), ESP_LIVE_WS_PORT, ESP_LIVE_SERIAL_PORT,
ESP_LIVE_CONSOLE_PASSWORD.
`;

type Json = Record<string, unknown>;

const str = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });
const bool = z.boolean({ error: 'must be true or false' });
const intIn = (min: number, max: number) => {
  const error = `must be an integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};
const grant = z.strictObject({
  name: str,
  deviceIds: z.array(str, { error: 'must be a list of device ids' }).min(1, { error: 'must list at least one device id' }).optional(),
  maxSessions: intIn(1, 100).optional(),
});

const price = z.number({ error: 'must be a price in USD per million tokens' }).min(0, { error: 'must not be negative' });
const budget = z.strictObject({ usdPerDay: z.number({ error: 'must be a number of USD' }).positive({ error: 'must be above 0' }), tokensPerDay: intIn(1, 1e12) }, { error: 'must be an object' }).partial();

/** esp-live.json, all of it: an unknown key or a wrong type anywhere is an error naming the field. */
const FILE_SCHEMA = z.strictObject({
  live: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(), // checked by validateLiveConfig
  serial: z.strictObject({ enabled: bool, port: str, baudRate: intIn(9600, 4_000_000), dtr: bool, rts: bool }, { error: 'must be an object' }).partial().optional(),
  websocket: z
    .strictObject(
      {
        enabled: bool,
        host: str,
        port: intIn(0, 65535),
        path: z.string({ error: 'must be a string' }).regex(/^\/[\w./~-]*$/, { error: 'must start with / (e.g. "/device")' }),
        tokens: z.record(z.string(), z.union([str, grant], { error: 'must be the device name, or { "name": …, "deviceIds": […], "maxSessions": n }' }), { error: 'must be an object' }),
        tls: z.strictObject({ certFile: str, keyFile: str }, { error: 'needs certFile and keyFile' }),
        mdns: bool,
        maxConnections: intIn(1, 10_000),
      },
      { error: 'must be an object' },
    )
    .partial()
    .optional(),
  localAudio: z.strictObject({ enabled: bool }, { error: 'must be an object' }).partial().optional(),
  console: z.strictObject({ enabled: bool, host: str, port: intIn(0, 65535), password: z.string({ error: 'must be a string' }).min(8, { error: 'must be at least 8 characters' }), browserDevice: str }, { error: 'must be an object' }).partial().optional(),
  profiles: z.record(z.string(), z.strictObject({ systemInstruction: z.string({ error: 'must be a string' }), voice: str }, { error: 'must be an object' }).partial(), { error: 'must be an object' }).optional(),
  graceMs: intIn(0, 3_600_000).optional(),
  maxDevices: intIn(1, 1000).optional(),
  pricing: z.strictObject({ inputText: price, inputAudio: price, outputText: price, outputAudio: price, cached: price }, { error: 'must be an object' }).partial().optional(),
  budget: z.strictObject({ perDevice: budget, total: budget }, { error: 'must be an object' }).partial().optional(),
  conversationLog: str.optional(),
  recordDir: str.optional(),
  // --- tools (issue 14): src/tools/toolsConfig.ts
  mcp: MCP_SCHEMA.optional(),
  tools: HOST_TOOLS_SCHEMA.optional(),
  // ---
}, { error: 'must be a JSON object' });

function bad(where: string, field: string, problem: string): EspLiveError {
  return new EspLiveError('CONFIG_INVALID', `${where}: ${field} ${problem}`);
}

/** The first problem zod found, as "field problem, got value" (a token, being a password, is never shown). */
function describeIssue(where: string, data: unknown, issue: z.core.$ZodIssue): EspLiveError {
  const path = issue.path.map(String);
  const inTokens = path[0] === 'websocket' && path[1] === 'tokens' && path.length > 2;
  const field = inTokens ? `websocket.tokens["${path[2].slice(0, 4)}…"]${path.slice(3).map((p) => `.${p}`).join('')}` : path.join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const prefix = path.length ? `${field}.` : '';
    return bad(where, `${prefix}${issue.keys[0]}`, 'is not a setting (see the configuration table in README.md)');
  }
  let value: unknown = data;
  for (const key of issue.path) value = value === undefined || value === null ? undefined : (value as Record<PropertyKey, unknown>)[key as PropertyKey];
  const got = value === undefined || inTokens ? '' : `, got ${JSON.stringify(value)?.slice(0, 60)}`;
  return bad(where, field, `${issue.message}${got}`);
}

function readFile(path: string): z.infer<typeof FILE_SCHEMA> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EspLiveError('CONFIG_INVALID', `${path}: ${(error as Error).message}`, { cause: error });
  }
  const result = FILE_SCHEMA.safeParse(data);
  if (!result.success) throw describeIssue(path, data, result.error.issues[0]);
  return result.data;
}

/** A number from a flag or the environment (a string), checked like the file's. */
function int(where: string, field: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw bad(where, field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

function consoleConfig(where: string, flag: boolean | undefined, c: NonNullable<z.infer<typeof FILE_SCHEMA>['console']>, tokens: Record<string, TokenGrant>, env: NodeJS.ProcessEnv): ConsoleConfig {
  const config: ConsoleConfig = { enabled: flag ?? c.enabled === true, host: c.host ?? '127.0.0.1', port: c.port ?? 8780, password: env.ESP_LIVE_CONSOLE_PASSWORD || c.password };
  if (config.enabled && !LOOPBACK.test(config.host) && !config.password) throw bad(where, 'console.password', `is required when console.host is ${config.host} (not this computer only): set it or ESP_LIVE_CONSOLE_PASSWORD`);
  if (c.browserDevice !== undefined) {
    const token = Object.entries(tokens).find(([, grant]) => grant.name === c.browserDevice)?.[0];
    if (!token) throw bad(where, 'console.browserDevice', `names no device in websocket.tokens, got ${JSON.stringify(c.browserDevice).slice(0, 60)}`);
    if (!SUBPROTOCOL_SAFE.test(token)) throw bad(where, 'console.browserDevice', 'names a token a browser cannot send (use letters, digits, - and _ only, e.g. from `esp-live provision --new-token`)');
    config.browserToken = token;
  }
  return config;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): { config: AppConfig; help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      config: { type: 'string' },
      port: { type: 'string' },
      baud: { type: 'string' },
      dtr: { type: 'boolean' },
      rts: { type: 'boolean' },
      'no-serial': { type: 'boolean' },
      'ws-port': { type: 'string' },
      'ws-host': { type: 'string' },
      'no-ws': { type: 'boolean' },
      'local-audio': { type: 'boolean' },
      console: { type: 'boolean' },
      model: { type: 'string' },
      voice: { type: 'string' },
      instructions: { type: 'string' },
      'push-to-talk': { type: 'boolean' },
      'no-barge-in': { type: 'boolean' },
      log: { type: 'string' },
      record: { type: 'string' },
      json: { type: 'boolean' },
      debug: { type: 'boolean' },
    },
  });
  const path = values.config ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  if (values.config && !existsSync(values.config)) throw new EspLiveError('CONFIG_INVALID', `--config ${values.config}: no such file`);
  const file = path ? readFile(path) : ({} as z.infer<typeof FILE_SCHEMA>);
  const where = path ?? 'settings';
  const { serial = {}, websocket: ws = {}, live: liveFile = {} } = file;
  const tokens: Record<string, TokenGrant> = {};
  const names = new Set<string>();
  for (const [token, entry] of Object.entries(ws.tokens ?? {})) {
    const field = `websocket.tokens["${token.slice(0, 4)}…"]`;
    if (token.length < 16) throw bad(where, field, 'must be at least 16 characters (a device token is a password)');
    const grant = typeof entry === 'string' ? { name: entry, maxSessions: 1 } : { ...entry, maxSessions: entry.maxSessions ?? 1 };
    if (names.has(grant.name)) throw bad(where, field, `names the device "${grant.name}" like another token: give each token its own name`);
    names.add(grant.name);
    tokens[token] = grant;
  }
  const apiKey = env.GEMINI_API_KEY || env.GOOGLE_API_KEY || undefined;
  const liveInput: Json = { ...liveFile };
  if (values.model) liveInput.model = values.model;
  if (values.voice) liveInput.voice = values.voice;
  if (values.instructions) liveInput.systemInstruction = values.instructions;
  if (values['push-to-talk']) liveInput.vad = { ...(liveInput.vad as Json), automatic: false };
  if (values['no-barge-in']) liveInput.bargeIn = false;
  if ('apiKey' in liveInput) throw bad(where, 'live.apiKey', 'must not be in a file: set GEMINI_API_KEY in the environment');
  const live = validateLiveConfig({ apiKey: apiKey ?? 'emulator', ...(liveInput as Partial<LiveConfig>) });
  let mcp: McpServerConfig[];
  try {
    mcp = resolveMcpServers(file.mcp, env);
  } catch (error) {
    if (error instanceof McpConfigProblem) throw bad(where, error.field, error.problem);
    throw error;
  }
  const config: AppConfig = {
    file: path,
    apiKey,
    live,
    serial: {
      enabled: !values['no-serial'] && serial.enabled !== false,
      port: values.port ?? env.ESP_LIVE_SERIAL_PORT ?? serial.port,
      baudRate: int(values.baud ? '--baud' : where, 'serial.baudRate', values.baud ?? serial.baudRate ?? 921600, 9600, 4_000_000),
      dtr: values.dtr ?? serial.dtr === true,
      rts: values.rts ?? serial.rts === true,
    },
    websocket: {
      enabled: !values['no-ws'] && ws.enabled !== false,
      host: values['ws-host'] ?? ws.host ?? '0.0.0.0',
      port: int(values['ws-port'] ? '--ws-port' : env.ESP_LIVE_WS_PORT ? 'ESP_LIVE_WS_PORT' : where, 'websocket.port', values['ws-port'] ?? env.ESP_LIVE_WS_PORT ?? ws.port ?? 8765, 0, 65535),
      path: ws.path ?? '/device',
      tokens,
      tls: ws.tls,
      mdns: ws.mdns !== false,
      maxConnections: ws.maxConnections,
    },
    localAudio: { enabled: values['local-audio'] ?? file.localAudio?.enabled === true },
    console: consoleConfig(where, values.console, file.console ?? {}, tokens, env),
    profiles: file.profiles ?? {},
    graceMs: file.graceMs ?? 120_000,
    maxDevices: file.maxDevices ?? DEFAULT_MAX_DEVICES,
    pricing: file.pricing ?? {},
    budget: file.budget ?? {},
    conversationLog: values.log ?? file.conversationLog,
    recordDir: values.record ?? file.recordDir,
    mcp,
    hostTools: { time: file.tools?.time !== false, timers: file.tools?.timers !== false, stateFile: file.tools?.stateFile ?? join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'esp-live', 'timers.json') },
    json: values.json ?? false,
    debug: values.debug ?? false,
  };
  return { config, help: values.help ?? false };
}
