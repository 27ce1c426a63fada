/**
 * What `esp-live doctor` checks, each a function of an injected environment (the real one is
 * built in commands/doctor.ts; tests pass their own), so every failure path can be tested
 * without breaking this computer.
 */
import type { AppConfig } from '../config.js';
import type { PortInfo } from '../device/serialPorts.js';
import type { EspLiveError } from '../errors.js';
import { escapeText } from '../log.js';
import { PROTOCOL_REVISION, PROTOCOL_VERSION } from '../protocol/messages.js';
import { probeApi, type ApiProbeResult } from './apiProbe.js';
import { fail, ok, skip, warn, type CheckResult } from './check.js';
import type { HelloProbeOptions, HelloProbeResult } from './helloProbe.js';
import { satisfies } from './nodeVersion.js';

export interface DoctorEnv {
  nodeVersion: string;
  /** `engines.node` of esp-live and of @google/genai (undefined when not found). */
  engines: { espLive?: string; genai?: string };
  /** The configuration as the bridge would load it (it throws what loadConfig throws). */
  loadConfig(): AppConfig;
  uid: number;
  /** Supplementary groups of this process (what opening a port is judged by). */
  groups: number[];
  userName: string;
  /** The text of /etc/group, or undefined. */
  groupFile(): string | undefined;
  /** Path of esp-live's udev rule when installed. */
  udevRule(): string | undefined;
  listPorts(): Promise<PortInfo[]>;
  probeHello(options: HelloProbeOptions): Promise<HelloProbeResult>;
  probeAlsa(): Promise<EspLiveError | undefined>;
  fetch: typeof fetch;
  /** Wall-clock milliseconds since 1970 (Date.now). */
  wallClockMs(): number;
  /** Listens on host:port and closes again: the error, if any. */
  tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined>;
  /** Joins the mDNS multicast group on UDP 5353 as bonjour-service does, then leaves: the error, if any. */
  tryMdns(): Promise<Error | undefined>;
}

/** A clock this far from the API server's is worth fixing (token and handle expiry use it). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Earlier than this the clock has certainly not been set (a Pi without network or RTC boots in the past). */
const EARLIEST_SANE_YEAR = 2025;

export function checkNode(env: DoctorEnv): CheckResult[] {
  const results: CheckResult[] = [];
  for (const [who, range] of [['esp-live', env.engines.espLive], ['@google/genai', env.engines.genai]] as const) {
    const name = `Node for ${who}`;
    if (!range) {
      results.push(warn(name, `cannot read ${who}'s engines.node`, 'run npm ci in the esp-live folder'));
      continue;
    }
    const fits = satisfies(env.nodeVersion, range);
    if (fits === undefined) results.push(warn(name, `cannot tell whether Node ${env.nodeVersion} fits "${range}"`));
    else if (fits) results.push(ok(name, `Node ${env.nodeVersion} fits "${range}"`));
    else results.push(fail(name, `Node ${env.nodeVersion} does not fit "${range}"`, 'install Node 22 LTS (e.g. from nodesource.com or with nvm), then npm ci'));
  }
  return results;
}

export function checkConfig(env: DoctorEnv): { result: CheckResult; config?: AppConfig } {
  try {
    const config = env.loadConfig();
    return { result: ok('configuration', `valid (model ${config.live.model})`), config };
  } catch (error) {
    return { result: fail('configuration', escapeText((error as Error).message), 'fix the named field (README: Configuration), or move esp-live.json away to use the defaults') };
  }
}

function dialoutMembers(groupFile: string | undefined): { gid: number; members: string[] } | undefined {
  const line = groupFile?.split('\n').find((l) => l.startsWith('dialout:'));
  if (!line) return undefined;
  const [, , gid, members = ''] = line.split(':');
  return { gid: Number(gid), members: members.split(',').filter(Boolean) };
}

export function checkSerialAccess(env: DoctorEnv, config: AppConfig): CheckResult {
  const name = 'serial port access';
  if (!config.serial.enabled) return skip(name, 'serial is off in the configuration');
  const rule = env.udevRule();
  const ruleNote = rule ? `; udev rule ${rule} installed` : '; no esp-live udev rule (esp-live service install adds one, with /dev/esp-live-<serial> names)';
  if (env.uid === 0) return ok(name, `running as root${ruleNote}`);
  const dialout = dialoutMembers(env.groupFile());
  if (!dialout) return warn(name, `no dialout group on this system${ruleNote}`, 'make sure your user can open the board\'s port (ls -l /dev/ttyACM0)');
  if (env.groups.includes(dialout.gid)) return ok(name, `${env.userName} is in the dialout group${ruleNote}`);
  if (dialout.members.includes(env.userName)) return fail(name, `${env.userName} was added to dialout, but this login does not have it yet`, 'log out and back in (or reboot); `newgrp dialout` works for one shell');
  return fail(name, `${env.userName} is not in the dialout group: opening a board's port will be refused`, `sudo usermod -aG dialout ${env.userName}, then log out and back in`);
}

export async function checkBoards(env: DoctorEnv, config: AppConfig): Promise<CheckResult[]> {
  const name = 'boards on USB';
  if (!config.serial.enabled) return [skip(name, 'serial is off in the configuration')];
  let ports: PortInfo[];
  try {
    ports = await env.listPorts();
  } catch (error) {
    return [fail(name, `cannot list the serial ports (${escapeText((error as Error).message)})`, 'sudo apt-get install udev (serialport lists USB ports through udevadm)')];
  }
  const boards = config.serial.port ? ports.filter((p) => p.path === config.serial.port) : ports.filter((p) => p.board);
  if (boards.length === 0) {
    const wanted = config.serial.port ? `${config.serial.port} is not there` : 'no board with a known USB id is plugged in';
    return [warn(name, `${wanted} (${ports.length} serial port${ports.length === 1 ? '' : 's'} in all)`, 'plug the board in with a data (not charge-only) cable; `esp-live devices` lists the ports; boards on Wi-Fi need no USB')];
  }
  const results: CheckResult[] = [];
  for (const port of boards) {
    const label = `board at ${escapeText(port.path)}`;
    const ids = port.vendorId ? ` (USB ${escapeText(`${port.vendorId}:${port.productId ?? '?'}`)}${port.board ? `, ${port.board.chip}` : ''})` : '';
    const probe = await env.probeHello({ path: port.path, baudRate: config.serial.baudRate, nativeUsb: port.board?.nativeUsb, dtr: config.serial.dtr, rts: config.serial.rts });
    if ('hello' in probe) {
      const h = probe.hello;
      const version = `protocol v${h.protocolVersion}.${h.protocolRevision ?? 0}`;
      const who = `firmware ${escapeText(h.firmwareVersion)}, ${version}, device "${escapeText(h.deviceId || h.name)}"${ids}`;
      if (h.protocolVersion !== PROTOCOL_VERSION) {
        const update = h.protocolVersion > PROTOCOL_VERSION ? 'update esp-live on this computer (git pull && npm ci)' : 'flash the firmware from this esp-live (firmware/README.md)';
        results.push(fail(label, `${who}; this host speaks v${PROTOCOL_VERSION}.${PROTOCOL_REVISION}`, update));
      } else results.push(ok(label, who));
    } else if ('error' in probe) {
      const e = probe.error;
      if (e.code === 'SERIAL_PERMISSION') results.push(fail(label, escapeText(e.message)));
      else if (e.code === 'SERIAL_BUSY') results.push(warn(label, `${escapeText(e.message)}${ids}`, 'if esp-live runs as a service this is expected: esp-live service status'));
      else results.push(warn(label, `${escapeText(e.message)}${ids}`));
    } else {
      results.push(warn(label, `no HELLO within the wait${ids}: not esp-live firmware, a different baud rate, or the board is busy booting`, `flash the esp-live firmware (firmware/README.md); the baud rate is serial.baudRate (${config.serial.baudRate})`));
    }
  }
  return results;
}

export async function checkLocalAudio(env: DoctorEnv, config: AppConfig): Promise<CheckResult> {
  const name = 'local audio (ALSA)';
  if (!config.localAudio.enabled) return skip(name, 'local audio is off (--local-audio turns it on)');
  const problem = await env.probeAlsa();
  return problem ? fail(name, escapeText(problem.message)) : ok(name, 'a sound input and output answer on the default ALSA device');
}

export async function checkApiKey(env: DoctorEnv, config: AppConfig): Promise<{ result: CheckResult; probe?: ApiProbeResult }> {
  const name = 'Gemini API key';
  if (!config.apiKey) return { result: warn(name, 'no GEMINI_API_KEY: the bridge will talk to its built-in emulator, not to Gemini', 'get a key at https://aistudio.google.com/apikey and put it in the environment (esp-live service install writes it to the service\'s environment file)') };
  if (config.apiKey.startsWith('auth_tokens/')) return { result: skip(name, 'an ephemeral token: only a Live connection can check it') };
  const { live } = config;
  const probe = await probeApi({ apiKey: config.apiKey, baseUrl: live.baseUrl, apiVersion: live.apiVersion, model: live.model, fetch: env.fetch });
  const o = probe.outcome;
  switch (o.kind) {
    case 'accepted':
      return { probe, result: o.liveCapable ? ok(name, `accepted; the API serves ${live.model}`) : warn(name, `accepted, but the API does not list bidiGenerateContent for ${live.model}`, 'choose a Live model (live.model; README: Configuration)') };
    case 'invalidKey':
      return { probe, result: fail(name, `the API refused the key (${o.message})`, 'copy the key again from https://aistudio.google.com/apikey (no quotes or spaces)') };
    case 'denied':
      return { probe, result: fail(name, `the key may not use the Gemini API (${o.message})`, 'in Google Cloud, enable the Generative Language API for the key\'s project and lift API/IP restrictions on the key') };
    case 'quota':
      return { probe, result: fail(name, `quota exhausted (${o.message})`, 'wait for the quota to reset, or raise it (billing) at https://aistudio.google.com') };
    case 'unknownModel':
      return { probe, result: warn(name, `the key is accepted but the API does not know ${live.model} (${o.message})`, 'choose another live.model (README: Configuration)') };
    case 'unexpected':
      return { probe, result: warn(name, `unexpected answer (${o.message})`, 'try again later; https://aistudio.google.com/status') };
    case 'clockTls':
      return { probe, result: fail(name, o.message, 'set the clock: sudo timedatectl set-ntp true') };
    case 'unreachable':
      return { probe, result: fail(name, `${o.message}: no network, DNS or a firewall`, 'check the network (ping 8.8.8.8, cat /etc/resolv.conf); HTTPS to generativelanguage.googleapis.com must be allowed') };
  }
}

export function checkClock(env: DoctorEnv, probe: ApiProbeResult | undefined): CheckResult {
  const name = 'clock';
  const now = env.wallClockMs();
  const year = new Date(now).getUTCFullYear();
  const fix = 'turn on time sync: sudo timedatectl set-ntp true (a Pi has no battery clock and needs the network for the time)';
  if (year < EARLIEST_SANE_YEAR) return fail(name, `this computer thinks it is ${new Date(now).toISOString()}: TLS certificates will look invalid`, fix);
  if (probe?.serverDateMs === undefined) return ok(name, `${new Date(now).toISOString()} (no server time to compare with)`);
  const skewMs = now - probe.serverDateMs;
  // The Date header has a one-second resolution and the request took some time: allow for both.
  if (Math.abs(skewMs) > MAX_CLOCK_SKEW_MS) return warn(name, `${Math.round(Math.abs(skewMs) / 1000)} s ${skewMs > 0 ? 'ahead of' : 'behind'} the API server's clock`, fix);
  return ok(name, `within ${Math.max(1, Math.ceil(Math.abs(skewMs) / 1000))} s of the API server's clock`);
}

export async function checkWebSocketPort(env: DoctorEnv, config: AppConfig): Promise<CheckResult> {
  const { host, port, enabled, tokens } = config.websocket;
  const name = `WebSocket port ${port}`;
  if (!enabled) return skip(name, 'the WebSocket listener is off');
  if (Object.keys(tokens).length === 0) return skip(name, 'no device tokens configured, so the listener stays off');
  const error = await env.tryListen(host, port);
  if (!error) return ok(name, `free on ${host}`);
  if (error.code === 'EADDRINUSE') return fail(name, `in use on ${host}`, 'another program (or esp-live itself: esp-live service status) has it; choose websocket.port or --ws-port');
  if (error.code === 'EACCES') return fail(name, `not allowed to listen on ${host}:${port}`, 'ports below 1024 need root: use a port from 1024 up');
  return fail(name, `cannot listen on ${host}:${port} (${escapeText(error.message)})`, 'check websocket.host: it must be an address of this computer, or 0.0.0.0');
}

export async function checkMdns(env: DoctorEnv, config: AppConfig): Promise<CheckResult> {
  const name = 'mDNS';
  if (!config.websocket.enabled || !config.websocket.mdns || Object.keys(config.websocket.tokens).length === 0) return skip(name, 'not used (no WebSocket listener, or websocket.mdns is false)');
  const error = await env.tryMdns();
  if (!error) return ok(name, 'UDP 5353 multicast works: boards on Wi-Fi can find this host as _esp-live._tcp');
  return warn(name, `cannot use mDNS (${escapeText(error.message)}); the bridge runs, but boards will not find it by themselves`, 'give boards the host address when provisioning (esp-live provision --host-url ws://ADDR:PORT/device), or allow UDP 5353 multicast');
}

/** Every check, in the order a person would fix them. */
export async function runChecks(env: DoctorEnv): Promise<CheckResult[]> {
  const results = checkNode(env);
  const { result, config } = checkConfig(env);
  results.push(result);
  if (!config) return results;
  results.push(checkSerialAccess(env, config));
  results.push(...(await checkBoards(env, config)));
  results.push(await checkLocalAudio(env, config));
  const api = await checkApiKey(env, config);
  results.push(api.result, checkClock(env, api.probe));
  results.push(await checkWebSocketPort(env, config), await checkMdns(env, config));
  return results;
}
