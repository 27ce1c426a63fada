/**
 * `esp-live service install|uninstall|status|logs`: esp-live as a systemd service, so the
 * assistant is there after every reboot, plus a udev rule so a fresh Pi user can open the
 * board's port and find it under a stable name. Prints every file it writes and every
 * command it runs; --dry-run prints without writing; --root DIR writes under DIR (tests).
 * The configuration and serialport modules are loaded only by install: status and logs stay
 * quick on a Pi (the configuration loads the Live SDK).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EspLiveError } from '../errors.js';
import { packageRoot } from '../ops/packageInfo.js';
import { environmentFile, systemdUnit, UNIT_NAME, type ServiceScope } from '../ops/systemdUnit.js';
import { UDEV_RULE_PATH, udevRule } from '../ops/udevRule.js';

export const SERVICE_HELP = `esp-live service — run esp-live as a systemd service

Usage:
  esp-live service install   [--user | --system] [--dir DIR] [--run-as USER] [--no-start] [--no-udev] [--udev-only] [--dry-run] [--root DIR]
  esp-live service uninstall [--user | --system] [--purge] [--dry-run] [--root DIR]
  esp-live service status    [--user | --system]
  esp-live service logs      [--user | --system] [-f] [-n LINES]

  --system        a system service: starts at boot, runs as --run-as USER (default: the user
                  who ran sudo), with the dialout group (the default when run as root)
  --user          a user service (~/.config/systemd/user): runs while you are logged in, or
                  always after: sudo loginctl enable-linger $USER (the default otherwise)
  --dir DIR       the folder with esp-live.json the service runs in (default: this folder)
  --no-start      write the files but do not enable and start the service
  --no-udev       do not write the udev rule; --udev-only writes only the rule (needs root)
  --purge         uninstall also deletes the environment file (your API key)
  --dry-run       print what would be written and run, change nothing
  --root DIR      write under DIR instead of / and run nothing (for tests and images)

The API key is taken from GEMINI_API_KEY (or GOOGLE_API_KEY) and written to the service's
environment file with mode 0600; without one, an existing file is kept as it is.
Files: system: /etc/systemd/system/${UNIT_NAME}, /etc/esp-live/env
       user:   ~/.config/systemd/user/${UNIT_NAME}, ~/.config/esp-live/env
       both:   ${UDEV_RULE_PATH} (boards: group dialout, /dev/esp-live-<USB serial>)
`;

export interface ServiceDeps {
  uid: number;
  userName: string;
  home: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  nodePath: string;
  cliPath: string;
  /** Program names (tests point them at fakes or at nothing). */
  systemctl: string;
  journalctl: string;
  udevadm: string;
  /** Whether systemd is this computer's init (/run/systemd/system exists). */
  systemdRunning(): boolean;
}

export function realServiceDeps(env: NodeJS.ProcessEnv): ServiceDeps {
  return {
    uid: process.getuid?.() ?? -1,
    userName: userInfo().username,
    home: homedir(),
    cwd: process.cwd(),
    env,
    nodePath: process.execPath,
    cliPath: join(packageRoot(), 'dist', 'src', 'cli.js'),
    systemctl: 'systemctl',
    journalctl: 'journalctl',
    udevadm: 'udevadm',
    systemdRunning: () => existsSync('/run/systemd/system'),
  };
}

interface Paths {
  unit: string;
  envFile: string;
}

function pathsFor(scope: ServiceScope, deps: ServiceDeps): Paths {
  if (scope === 'system') return { unit: `/etc/systemd/system/${UNIT_NAME}`, envFile: '/etc/esp-live/env' };
  const config = deps.env.XDG_CONFIG_HOME || join(deps.home, '.config');
  return { unit: join(config, 'systemd', 'user', UNIT_NAME), envFile: join(config, 'esp-live', 'env') };
}

/** What an API key can hold; anything else (a space, a quote) is a copy-paste accident, and would be misread by systemd. */
const API_KEY_CHARS = /^[\w.\-/]+$/;

/** Writes via a temporary file and a rename, created with `mode`: a key is never readable by others, even for a moment. */
function writeFile(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

interface RunResult {
  code: number;
  stderr: string;
}

/** Runs a program; a missing program is a clear error, never a crash (the child has an 'error' listener). */
function run(command: string, args: string[], inherit: boolean): Promise<RunResult & { missing?: boolean }> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { stdio: inherit ? 'inherit' : ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.on('error', (error: NodeJS.ErrnoException) => resolvePromise({ code: 127, stderr: error.message, missing: error.code === 'ENOENT' }));
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stderr }));
  });
}

function noSystemd(program: string): string {
  return `${program} was not found: systemd is not available on this computer. Run esp-live in the foreground (npm start), or under this system's own service manager (esp-live service install --dry-run shows what the service needs).`;
}

export async function serviceCommand(argv: string[], out: (line: string) => void, env: NodeJS.ProcessEnv = process.env, deps: ServiceDeps = realServiceDeps(env)): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      user: { type: 'boolean' },
      system: { type: 'boolean' },
      dir: { type: 'string' },
      'run-as': { type: 'string' },
      'no-start': { type: 'boolean' },
      'no-udev': { type: 'boolean' },
      'udev-only': { type: 'boolean' },
      purge: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      root: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      lines: { type: 'string', short: 'n' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || action === undefined || ['help', '--help', '-h'].includes(action)) {
    out(SERVICE_HELP);
    return action === undefined ? 2 : 0;
  }
  if (values.user && values.system) throw new EspLiveError('SERVICE_USAGE', 'choose one of --user and --system');
  const root = values.root ? resolve(values.root) : undefined;
  const at = (path: string) => (root ? join(root, path) : path);
  const installedScope = (): ServiceScope => (existsSync(at(pathsFor('user', deps).unit)) ? 'user' : 'system');
  const scope: ServiceScope = values.user ? 'user' : values.system ? 'system' : action === 'install' ? (deps.uid === 0 ? 'system' : 'user') : installedScope();
  const paths = pathsFor(scope, deps);
  const dryRun = values['dry-run'] ?? false;
  const scopeArgs = scope === 'user' ? ['--user'] : [];

  /** Runs a command unless this is a dry run or a --root install; false when it failed. */
  const runStep = async (command: string, args: string[]): Promise<boolean> => {
    const line = [command, ...args].join(' ');
    if (dryRun || root) {
      out(`${dryRun ? 'would run' : 'run (not with --root)'}: ${line}`);
      return true;
    }
    out(`running: ${line}`);
    const result = await run(command, args, false);
    if (result.missing) {
      out(noSystemd(command));
      return false;
    }
    if (result.code !== 0) {
      out(`  failed (exit ${result.code}): ${result.stderr.trim().split('\n')[0] ?? ''}${deps.systemdRunning() ? '' : ' — systemd is not running on this computer (a container?)'}`);
      out(`  run it yourself once the problem is fixed: ${line}`);
      return false;
    }
    return true;
  };

  switch (action) {
    case 'install':
      return install();
    case 'uninstall':
      return uninstall();
    case 'status':
    case 'logs': {
      const [command, args] =
        action === 'status'
          ? [deps.systemctl, [...scopeArgs, 'status', UNIT_NAME, '--no-pager']]
          : [deps.journalctl, [...scopeArgs, '-u', UNIT_NAME, '-n', values.lines ?? '100', '--no-pager', ...(values.follow ? ['-f'] : [])]];
      const result = await run(command, args, true);
      if (result.missing) {
        out(noSystemd(command));
        return 1;
      }
      if (result.code !== 0 && !deps.systemdRunning()) out(`(systemd is not running on this computer: no service to ${action === 'status' ? 'show' : 'read logs from'})`);
      return result.code;
    }
    default:
      out(`unknown service action "${action}"\n`);
      out(SERVICE_HELP);
      return 2;
  }

  async function install(): Promise<number> {
    const writeOrShow = (path: string, text: string, mode: number, shown = text) => {
      out(`${dryRun ? 'would write' : 'writing'} ${at(path)} (mode ${mode.toString(8).padStart(4, '0')}):`);
      for (const line of shown.trimEnd().split('\n')) out(`  | ${line}`);
      if (!dryRun) writeFile(at(path), text, mode);
    };
    const udevOnly = values['udev-only'] ?? false;
    let ok = true;
    if (!udevOnly) {
      const workingDirectory = resolve(deps.cwd, values.dir ?? '.');
      const { CONFIG_FILE } = await import('../config.js');
      if (!existsSync(join(workingDirectory, CONFIG_FILE))) out(`note: no ${CONFIG_FILE} in ${workingDirectory}: the service will run with the defaults (README: Configuration)`);
      let user: string | undefined;
      if (scope === 'system') {
        user = values['run-as'] ?? deps.env.SUDO_USER ?? deps.userName;
        if (user === 'root') out('note: the service will run as root; --run-as USER runs it as that user (with the dialout group)');
      }
      const apiKey = deps.env.GEMINI_API_KEY || deps.env.GOOGLE_API_KEY || undefined;
      if (apiKey && !API_KEY_CHARS.test(apiKey)) throw new EspLiveError('SERVICE_KEY', 'GEMINI_API_KEY holds characters an API key does not have (a space or a quote?): copy it again from https://aistudio.google.com/apikey');
      writeOrShow(paths.unit, systemdUnit({ scope, nodePath: deps.nodePath, cliPath: deps.cliPath, workingDirectory, environmentFile: paths.envFile, user }), 0o644);
      if (apiKey || !existsSync(at(paths.envFile))) {
        const text = environmentFile(apiKey);
        writeOrShow(paths.envFile, text, 0o600, apiKey ? text.replace(apiKey, `<your key, ${apiKey.length} characters>`) : text);
        if (!apiKey) out('note: no GEMINI_API_KEY in the environment: the service will talk to the built-in emulator until you add the key to that file');
      } else {
        out(`keeping ${at(paths.envFile)} (no GEMINI_API_KEY in the environment to replace its key); mode set to 0600`);
        if (!dryRun) chmodSync(at(paths.envFile), 0o600);
      }
    }
    if (!values['no-udev']) {
      if (deps.uid === 0 || root || dryRun) {
        writeOrShow(UDEV_RULE_PATH, udevRule((await import('../device/serialPorts.js')).KNOWN_BOARDS), 0o644);
        ok = (await runStep(deps.udevadm, ['control', '--reload-rules'])) && ok;
        ok = (await runStep(deps.udevadm, ['trigger', '--subsystem-match=tty', '--action=add'])) && ok;
      } else {
        out(`not writing ${UDEV_RULE_PATH}: that needs root. Once: sudo ${deps.nodePath} ${deps.cliPath} service install --udev-only`);
        if (udevOnly) return 1; // asked for nothing else, and that could not be done
      }
    }
    if (udevOnly) return ok ? 0 : 1;
    ok = (await runStep(deps.systemctl, [...scopeArgs, 'daemon-reload'])) && ok;
    if (!values['no-start']) ok = (await runStep(deps.systemctl, [...scopeArgs, 'enable', '--now', UNIT_NAME])) && ok;
    if (scope === 'user') out(`to start it at boot without logging in: sudo loginctl enable-linger ${deps.userName}`);
    out(`then: esp-live service status, esp-live service logs -f${scope === 'user' ? ' (add --user if a system unit exists too)' : ''}`);
    return ok ? 0 : 1;
  }

  async function uninstall(): Promise<number> {
    let ok = await runStep(deps.systemctl, [...scopeArgs, 'disable', '--now', UNIT_NAME]);
    const remove = (path: string) => {
      if (!existsSync(at(path))) return;
      out(`${dryRun ? 'would remove' : 'removing'} ${at(path)}`);
      if (!dryRun) rmSync(at(path));
    };
    remove(paths.unit);
    if (values.purge) remove(paths.envFile);
    else if (existsSync(at(paths.envFile))) out(`keeping ${at(paths.envFile)} (your API key): --purge deletes it`);
    if (existsSync(at(UDEV_RULE_PATH))) {
      if (deps.uid === 0 || root || dryRun) {
        remove(UDEV_RULE_PATH);
        ok = (await runStep(deps.udevadm, ['control', '--reload-rules'])) && ok;
      } else out(`not removing ${UDEV_RULE_PATH}: that needs root (sudo rm ${UDEV_RULE_PATH})`);
    }
    ok = (await runStep(deps.systemctl, [...scopeArgs, 'daemon-reload'])) && ok;
    return ok ? 0 : 1;
  }
}

