/**
 * Writes a board's settings over USB (PROTOCOL.md §4.9) and reads them back: Wi-Fi name and
 * password, the host's address, the board's token and name. Secrets are never read back.
 */
import { EspLiveError } from '../errors.js';
import { ConfigFlag, ConfigKey, ErrorCode, type ConfigEntry, type Message } from '../protocol/messages.js';
import { escapeText } from '../log.js';
import type { DeviceLink } from './link.js';

export interface BoardSettings {
  wifiSsid?: string;
  wifiPassword?: string;
  hostUrl?: string;
  deviceToken?: string;
  deviceName?: string;
}

const LIMITS: Record<keyof BoardSettings, { key: number; maxBytes: number }> = {
  wifiSsid: { key: ConfigKey.WIFI_SSID, maxBytes: 32 },
  wifiPassword: { key: ConfigKey.WIFI_PASSWORD, maxBytes: 64 },
  hostUrl: { key: ConfigKey.HOST_URL, maxBytes: 96 },
  deviceToken: { key: ConfigKey.DEVICE_TOKEN, maxBytes: 64 },
  deviceName: { key: ConfigKey.DEVICE_NAME, maxBytes: 32 },
};

export const SETTING_NAMES: Record<number, keyof BoardSettings> = Object.fromEntries(
  Object.entries(LIMITS).map(([name, { key }]) => [key, name as keyof BoardSettings]),
);

/** Checks the settings against the protocol's limits; throws naming the bad one. */
export function checkSettings(settings: BoardSettings): void {
  for (const [name, value] of Object.entries(settings) as [keyof BoardSettings, string | undefined][]) {
    if (value === undefined) continue;
    const limit = LIMITS[name];
    if (!limit) throw new TypeError(`${name} is not a board setting`);
    if (Buffer.byteLength(value) > limit.maxBytes) throw new TypeError(`${name} is ${Buffer.byteLength(value)} bytes; the board keeps at most ${limit.maxBytes}`);
    if (name === 'hostUrl' && value && !/^wss?:\/\/[^/\s]+/.test(value)) throw new TypeError('hostUrl must look like ws://192.168.1.20:8765/device');
    if (name === 'deviceToken' && value && value.length < 16) throw new TypeError('deviceToken must be at least 16 characters');
  }
}

/**
 * Sends the settings, then asks for them back; resolves with the first report that shows all
 * of them. A 1.1 board answers every CONFIG_SET with a full CONFIG_REPORT (PROTOCOL.md §4.9) and
 * a 1.0 board may not, so a report is not matched to a request: it is taken when it shows what
 * was sent (earlier reports show the settings only partly written).
 */
export function provision(link: DeviceLink, settings: BoardSettings, timeoutMs = 3000): Promise<ConfigEntry[]> {
  checkSettings(settings);
  const sent = (Object.entries(settings) as [keyof BoardSettings, string | undefined][]).filter((e): e is [keyof BoardSettings, string] => e[1] !== undefined);
  const shows = (entries: ConfigEntry[]) =>
    sent.every(([name, value]) => {
      const entry = entries.find((e) => e.key === LIMITS[name].key);
      const set = entry !== undefined && (entry.flags & ConfigFlag.SET) !== 0;
      return set === (value !== '') && (SECRET_KEYS.has(LIMITS[name].key) || !set || entry.value === value);
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new EspLiveError('PROVISION_TIMEOUT', `${link.name} did not confirm the settings within ${timeoutMs / 1000} s. Is esp-live firmware on the board?`)), timeoutMs);
    const done = (error?: Error, entries?: ConfigEntry[]) => {
      clearTimeout(timer);
      link.off('message', onMessage);
      if (error) reject(error);
      else resolve(entries!);
    };
    const onMessage = (m: Message) => {
      if (m.type === 'error' && m.code === ErrorCode.CONFIG_INVALID) done(new EspLiveError('PROVISION_REFUSED', `the board refused a setting: ${escapeText(m.message)}`));
      else if (m.type === 'configReport' && shows(m.entries)) done(undefined, m.entries);
    };
    link.on('message', onMessage);
    for (const [name, value] of sent) link.send({ type: 'configSet', key: LIMITS[name].key, value });
    link.send({ type: 'configGet' });
  });
}

/** The keys whose values are secrets, whatever a board's flags say: never printed. */
const SECRET_KEYS: ReadonlySet<number> = new Set([ConfigKey.WIFI_PASSWORD, ConfigKey.DEVICE_TOKEN]);

/** One reported setting for people: secrets only as set / not set, other values escaped. */
export function describeEntry(entry: ConfigEntry): string {
  const name = SETTING_NAMES[entry.key] ?? `key ${entry.key}`;
  const set = (entry.flags & ConfigFlag.SET) !== 0;
  if (SECRET_KEYS.has(entry.key) || entry.flags & ConfigFlag.SECRET) return `${name}: ${set ? '(set)' : '(not set)'}`;
  return `${name}: ${set ? escapeText(JSON.stringify(entry.value)) : '(not set)'}`;
}
