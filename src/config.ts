/**
 * esp-live's configuration: a JSON file, then the environment, then command-line flags, each
 * overriding the one before; validated once at start-up with an error that names the field.
 * The only module that reads process.env.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EspLiveError } from './errors.js';
import { validateLiveConfig, type LiveConfig } from './live/config.js';
import type { DeviceProfile } from './bridge/bridge.js';

export interface AppConfig {
  /** Gemini API key; undefined means: use the built-in emulator. */
  apiKey: string | undefined;
  live: LiveConfig;
  serial: { enabled: boolean; port?: string; baudRate: number; dtr: boolean; rts: boolean };
  websocket: { enabled: boolean; host: string; port: number; path: string; tokens: Record<string, string>; tls?: { certFile: string; keyFile: string }; mdns: boolean };
  localAudio: { enabled: boolean };
  profiles: Record<string, DeviceProfile>;
  graceMs: number;
  conversationLog?: string;
  recordDir?: string;
  json: boolean;
  debug: boolean;
}

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

Environment: GEMINI_API_KEY (or GOOGLE_API_KEY), ESP_LIVE_WS_PORT, ESP_LIVE_SERIAL_PORT.
`;

type Json = Record<string, unknown>;

function bad(where: string, field: string, problem: string): EspLiveError {
  return new EspLiveError('CONFIG_INVALID', `${where}: ${field} ${problem}`);
}

function readFile(path: string): Json {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EspLiveError('CONFIG_INVALID', `${path}: ${(error as Error).message}`, { cause: error });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad(path, '(top level)', 'must be a JSON object');
  const known = ['live', 'serial', 'websocket', 'localAudio', 'profiles', 'graceMs', 'conversationLog', 'recordDir'];
  for (const key of Object.keys(data)) if (!known.includes(key)) throw bad(path, key, `is not a setting (known: ${known.join(', ')})`);
  return data as Json;
}

function object(where: string, field: string, value: unknown): Json {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(where, field, 'must be an object');
  return value as Json;
}

function int(where: string, field: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw bad(where, field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
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
  const file = path ? readFile(path) : {};
  const where = path ?? 'settings';
  const serial = object(where, 'serial', file.serial);
  const ws = object(where, 'websocket', file.websocket);
  const liveFile = object(where, 'live', file.live);
  const tokens = object(where, 'websocket.tokens', ws.tokens);
  for (const [token, name] of Object.entries(tokens)) {
    if (token.length < 16) throw bad(where, `websocket.tokens["${token.slice(0, 4)}…"]`, 'must be at least 16 characters (a device token is a password)');
    if (typeof name !== 'string') throw bad(where, `websocket.tokens["${token.slice(0, 4)}…"]`, 'must map to the device name (a string)');
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
  const wsPort = values['ws-port'] ?? env.ESP_LIVE_WS_PORT ?? ws.port ?? 8765;
  const tls = ws.tls === undefined ? undefined : object(where, 'websocket.tls', ws.tls);
  if (tls && (typeof tls.certFile !== 'string' || typeof tls.keyFile !== 'string')) throw bad(where, 'websocket.tls', 'needs certFile and keyFile');
  const config: AppConfig = {
    apiKey,
    live,
    serial: {
      enabled: !values['no-serial'] && serial.enabled !== false,
      port: values.port ?? env.ESP_LIVE_SERIAL_PORT ?? (serial.port as string | undefined),
      baudRate: int(where, 'serial.baudRate', values.baud ?? serial.baudRate ?? 921600, 9600, 4_000_000),
      dtr: values.dtr ?? serial.dtr === true,
      rts: values.rts ?? serial.rts === true,
    },
    websocket: {
      enabled: !values['no-ws'] && ws.enabled !== false,
      host: values['ws-host'] ?? (ws.host as string | undefined) ?? '0.0.0.0',
      port: int(where, 'websocket.port', wsPort, 0, 65535),
      path: (ws.path as string | undefined) ?? '/device',
      tokens: tokens as Record<string, string>,
      tls: tls as AppConfig['websocket']['tls'],
      mdns: ws.mdns !== false,
    },
    localAudio: { enabled: values['local-audio'] ?? object(where, 'localAudio', file.localAudio).enabled === true },
    profiles: object(where, 'profiles', file.profiles) as Record<string, DeviceProfile>,
    graceMs: int(where, 'graceMs', file.graceMs ?? 120_000, 0, 3_600_000),
    conversationLog: values.log ?? (file.conversationLog as string | undefined),
    recordDir: values.record ?? (file.recordDir as string | undefined),
    json: values.json ?? false,
    debug: values.debug ?? false,
  };
  return { config, help: values.help ?? false };
}
