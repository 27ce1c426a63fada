/** `esp-live` (no command): the bridge, with every link the configuration enables. */
import { randomBytes } from 'node:crypto';
import { Bridge } from '../bridge/bridge.js';
import { loadConfig, RUN_HELP, type AppConfig } from '../config.js';
import { DeviceServer } from '../device/wsServer.js';
import { SerialWatcher } from '../device/serialWatcher.js';
import { LiveEmulator } from '../emulator/server.js';
import { createLogger, type Logger } from '../log.js';
import { LocalAudioLink, probeAlsa } from '../device/localAudio.js';
import { HostTools } from '../tools/hostTools.js';
import { ConsoleServer } from '../console/consoleServer.js';
import { LogRing } from '../console/logRing.js';
import { realClock, type Clock } from '../clock.js';
import { startIdleHint } from '../ops/idleHint.js';
import { HANDLE_SAVE_MS, HandleStore, keepHandles, stateFileFor } from '../ops/handleStore.js';
import { LiveSession } from '../live/session.js';

export interface Running {
  bridge: Bridge;
  config: AppConfig;
  wsUrl?: string;
  consoleUrl?: string;
  stop(): Promise<void>;
}

export async function runCommand(argv: string[], out: (line: string) => void, env: NodeJS.ProcessEnv = process.env, clock: Clock = realClock): Promise<Running | undefined> {
  const { config, help } = loadConfig(argv, env);
  if (help) {
    out(RUN_HELP);
    return undefined;
  }
  const terminal = createLogger({ json: config.json, debug: config.debug, write: (line) => out(line) });
  const logRing = config.console.enabled ? new LogRing(terminal, 200, config.debug) : undefined; // the console's recent lines
  const log: Logger = logRing ?? terminal;
  let emulator: LiveEmulator | undefined;
  let live = config.live;
  if (!config.apiKey) {
    emulator = new LiveEmulator({ persona: 'echo' });
    const url = await emulator.start();
    live = { ...live, baseUrl: url };
    log.log('warn', '*** No GEMINI_API_KEY: talking to the built-in Live API EMULATOR, not to Gemini. It echoes what you say. Set GEMINI_API_KEY to talk to Gemini. ***');
  }
  // Loaded only when configured: the MCP SDK is not needed otherwise.
  const mcp = config.mcp.length ? new (await import('../tools/mcpHub.js')).McpHub(config.mcp, log) : undefined;
  void mcp?.ready(); // servers start now, not when the first board arrives
  const hostTools = config.hostTools.time || config.hostTools.timers ? new HostTools({ ...config.hostTools, log }) : undefined;
  // Conversations open at the last shutdown (or crash) resume: handles kept next to the settings file.
  const handles = config.file ? new HandleStore(stateFileFor(config.file)) : undefined;
  const stateProblem = handles?.load();
  if (stateProblem) log.log('warn', stateProblem);
  const bridge = new Bridge({
    live,
    toolSources: [hostTools, mcp].filter((s) => s !== undefined),
    createLive: (liveConfig, deviceId) => {
      const session = new LiveSession({ config: liveConfig });
      session.resumptionHandle = handles?.take(deviceId, liveConfig.model);
      if (session.resumptionHandle) log.log('info', 'resuming the conversation from before the restart', { device: deviceId });
      return session;
    },
    profiles: config.profiles,
    graceMs: config.graceMs,
    maxDevices: config.maxDevices,
    pricing: config.pricing,
    budget: config.budget,
    grants: Object.values(config.websocket.tokens),
    log,
    conversationLog: config.conversationLog,
    recordDir: config.recordDir,
  });
  const stoppers: (() => Promise<void> | void)[] = [];
  const handleSaver = handles && clock.every(HANDLE_SAVE_MS, () => keepHandles(handles, bridge.agents, (m) => log.log('warn', m)));
  /** Goodbye to every board first, then the links and listeners, newest first, then the emulator. */
  const stopAll = async () => {
    handleSaver?.cancel();
    if (handles) keepHandles(handles, bridge.agents, (m) => log.log('warn', m));
    await bridge.close();
    await mcp?.close();
    await hostTools?.close();
    for (const stop of stoppers.splice(0).reverse()) await stop();
    await emulator?.close();
  };
  let wsUrl: string | undefined;
  let consoleUrl: string | undefined;
  try {
    if (config.serial.enabled) {
      const watcher = new SerialWatcher({ path: config.serial.port, baudRate: config.serial.baudRate, dtr: config.serial.dtr, rts: config.serial.rts, log, onLink: (link) => void bridge.addLink(link) });
      watcher.start();
      stoppers.push(() => watcher.stop());
    }
    if (config.websocket.enabled && Object.keys(config.websocket.tokens).length === 0) {
      log.log('info', 'WebSocket listener off: no device tokens in the configuration (websocket.tokens); boards on Wi-Fi need one each.');
    } else if (config.websocket.enabled) {
      const server = new DeviceServer({ ...config.websocket, log: (line) => log.log('warn', line), onLink: (link) => void bridge.addLink(link) });
      stoppers.push(() => server.close());
      wsUrl = await server.start();
      log.log('info', `boards on Wi-Fi: ${wsUrl} (advertised over mDNS as _esp-live._tcp)`);
    }
    if (config.console.enabled) {
      const { host, port, password, browserToken } = config.console;
      const listener = wsUrl ? new URL(wsUrl) : undefined;
      const browserDevice = browserToken && listener ? { token: browserToken, port: Number(listener.port), path: listener.pathname, tls: listener.protocol === 'wss:' } : undefined;
      const consoleServer = new ConsoleServer({ host, port, password, bridge, logRing, browserDevice, log: (line) => log.log('warn', line) });
      stoppers.push(() => consoleServer.close());
      consoleUrl = await consoleServer.start();
      log.log('info', `console: ${consoleUrl}${password ? ' (password required)' : ''}`);
    }
    if (config.localAudio.enabled) {
      const problem = await probeAlsa();
      if (problem) log.log('error', problem.message, { code: problem.code });
      else {
        const link = await LocalAudioLink.open({ log });
        void bridge.addLink(link);
        stoppers.push(() => link.close());
      }
    }
  } catch (error) {
    await stopAll(); // a fatal start-up error leaves nothing running behind it
    throw error;
  }
  log.log('info', `esp-live running (model ${live.model}${emulator ? ', EMULATOR' : ''}); Ctrl-C to stop`);
  const idleHint = startIdleHint({ clock, connected: () => [...bridge.agents.values()].some((a) => a.connection), say: (m) => log.log('info', m), wsUrl, consoleUrl });
  stoppers.push(() => idleHint.cancel());
  return {
    bridge,
    config,
    wsUrl,
    consoleUrl,
    stop: stopAll,
  };
}

export function newDeviceToken(): string {
  return randomBytes(24).toString('base64url');
}
