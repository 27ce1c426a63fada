/**
 * The systemd unit `esp-live service install` writes, as a user service (~/.config/systemd/user,
 * runs while the user is logged in, or always after `loginctl enable-linger`) or a system
 * service (/etc/systemd/system, runs at boot as the named user).
 */
export type ServiceScope = 'user' | 'system';

export const UNIT_NAME = 'esp-live.service';

export interface UnitOptions {
  scope: ServiceScope;
  /** Absolute paths: the Node binary and esp-live's cli.js. */
  nodePath: string;
  cliPath: string;
  /** Where esp-live.json is (and where relative paths in it point). */
  workingDirectory: string;
  /** The file holding GEMINI_API_KEY (mode 0600). */
  environmentFile: string;
  /** The account a system service runs as. */
  user?: string;
}

/** How long systemd waits before a restart, and how many restarts in what window before it gives up. */
export const RESTART_SEC = 5;
const START_LIMIT_BURST = 10;
const START_LIMIT_INTERVAL_SEC = 300;
/** esp-live stops within 10 s (cli.ts's shutdown deadline); systemd waits a little longer before SIGKILL. */
const TIMEOUT_STOP_SEC = 15;

/** A path in a setting that takes the rest of the line as is (WorkingDirectory=, EnvironmentFile=): only `%` (a specifier) is escaped. */
export function unitPath(value: string): string {
  return value.replace(/%/g, '%%');
}

/** A word of ExecStart=: with spaces, quotes or backslashes it goes in double quotes, escaped; `%` is doubled. */
export function quoteArg(value: string): string {
  if (/^[\w@%+=:,./-]+$/.test(value)) return unitPath(value);
  return `"${unitPath(value.replace(/\\/g, '\\\\').replace(/"/g, '\\"'))}"`;
}

export function systemdUnit(o: UnitOptions): string {
  const system = o.scope === 'system';
  return [
    '# Written by `esp-live service install`; removed by `esp-live service uninstall`.',
    '[Unit]',
    'Description=esp-live: ESP32 voice boards <-> Gemini Live',
    ...(system ? ['Wants=network-online.target', 'After=network-online.target'] : []),
    `StartLimitIntervalSec=${START_LIMIT_INTERVAL_SEC}`,
    `StartLimitBurst=${START_LIMIT_BURST}`,
    '',
    '[Service]',
    'Type=simple',
    ...(system && o.user ? [`User=${o.user}`, 'SupplementaryGroups=dialout'] : []),
    `WorkingDirectory=${unitPath(o.workingDirectory)}`,
    `EnvironmentFile=${unitPath(o.environmentFile)}`,
    `ExecStart=${quoteArg(o.nodePath)} ${quoteArg(o.cliPath)}`,
    'Restart=on-failure',
    `RestartSec=${RESTART_SEC}`,
    '# Exit code 2 is a configuration error: restarting cannot fix it (journalctl says which field).',
    'RestartPreventExitStatus=2',
    `TimeoutStopSec=${TIMEOUT_STOP_SEC}`,
    ...(system ? ['NoNewPrivileges=yes', 'PrivateTmp=yes', 'ProtectSystem=full'] : []),
    '',
    '[Install]',
    `WantedBy=${system ? 'multi-user.target' : 'default.target'}`,
    '',
  ].join('\n');
}

/** The environment file: the key (when known) and nothing else. Mode 0600: the key is a password. */
export function environmentFile(apiKey: string | undefined): string {
  return [
    '# esp-live service environment (mode 0600: it holds your Gemini API key).',
    '# Get a key at https://aistudio.google.com/apikey; then: esp-live service install again, or edit',
    '# this line and run: systemctl restart esp-live (add --user for a user service).',
    apiKey ? `GEMINI_API_KEY=${apiKey}` : '#GEMINI_API_KEY=',
    '',
  ].join('\n');
}
