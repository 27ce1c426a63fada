/** `esp-live service`: the files install writes (under a temporary root), their modes, the unit verified by systemd, and the commands it runs. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceCommand, type ServiceDeps } from '../src/commands/service.js';
import { KNOWN_BOARDS } from '../src/device/serialPorts.js';

const KEY = 'AIzaSyA-test_key.0123456789abcdefghijkl';
const cliPath = join(process.cwd(), 'dist', 'src', 'cli.js');

function sandbox() {
  const base = mkdtempSync(join(tmpdir(), 'esp-live-service-'));
  const work = join(base, 'work');
  mkdirSync(work);
  writeFileSync(join(work, 'esp-live.json'), '{}');
  return { base, root: join(base, 'root'), work, home: join(base, 'home', 'pi') };
}

/** A program that records its arguments in `log` and exits with `code`. */
function fakeProgram(dir: string, name: string, code: number): { path: string; calls: () => string[] } {
  const path = join(dir, name);
  const log = join(dir, `${name}.log`);
  writeFileSync(path, `#!/bin/sh\necho "$@" >> '${log}'\necho "${name}: something went wrong" >&2\nexit ${code}\n`, { mode: 0o755 });
  return { path, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

function deps(s: ReturnType<typeof sandbox>, over: Partial<ServiceDeps> = {}): ServiceDeps {
  return {
    uid: 0,
    userName: 'root',
    home: s.home,
    cwd: s.work,
    env: { SUDO_USER: 'pi', GEMINI_API_KEY: KEY },
    nodePath: process.execPath,
    cliPath,
    systemctl: join(s.base, 'no-systemctl'),
    journalctl: join(s.base, 'no-journalctl'),
    udevadm: join(s.base, 'no-udevadm'),
    systemdRunning: () => false,
    ...over,
  };
}

async function service(args: string[], d: ServiceDeps): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await serviceCommand(args, (l) => lines.push(l), d.env, d);
  return { code, text: lines.join('\n') };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('service install (system, under a temporary root)', () => {
  it('writes the unit, the 0600 environment file with the key and the udev rule, says where, and runs nothing', async () => {
    const s = sandbox();
    const { code, text } = await service(['install', '--system', '--root', s.root], deps(s));
    expect(code).toBe(0);
    const unitPath = join(s.root, 'etc/systemd/system/esp-live.service');
    const envPath = join(s.root, 'etc/esp-live/env');
    const rulePath = join(s.root, 'etc/udev/rules.d/99-esp-live.rules');
    for (const path of [unitPath, envPath, rulePath]) expect(text).toContain(`writing ${path}`);
    const unit = readFileSync(unitPath, 'utf8');
    expect(unit).toContain('Restart=on-failure\nRestartSec=5\n');
    expect(unit).toContain('User=pi\nSupplementaryGroups=dialout\n');
    expect(unit).toContain(`WorkingDirectory=${s.work}\n`);
    expect(unit).toContain('EnvironmentFile=/etc/esp-live/env\n'); // the real path: --root only moves where it is written
    expect(unit).toContain(`ExecStart=${process.execPath} ${cliPath}\n`);
    expect(unit).toContain('WantedBy=multi-user.target');
    expect(mode(unitPath)).toBe(0o644);
    expect(readFileSync(envPath, 'utf8')).toContain(`\nGEMINI_API_KEY=${KEY}\n`);
    expect(mode(envPath)).toBe(0o600);
    expect(text).not.toContain(KEY); // printed as "<your key, N characters>"
    expect(text).toContain(`GEMINI_API_KEY=<your key, ${KEY.length} characters>`);
    expect(text).toContain(`run (not with --root): ${join(s.base, 'no-systemctl')} enable --now esp-live.service`);
    expect(text).not.toContain('running:');
  });

  it('the unit passes systemd-analyze verify', async (context) => {
    if (spawnSync('systemd-analyze', ['--version']).error) return context.skip('systemd-analyze is not installed (apt-get install systemd)');
    const s = sandbox();
    await service(['install', '--system', '--root', s.root], deps(s));
    const unitPath = join(s.root, 'etc/systemd/system/esp-live.service');
    const verify = (path: string) => spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
    const result = verify(unitPath);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // Paths with a space and a % (a systemd specifier) survive: quoted in ExecStart, taken whole elsewhere.
    const odd = join(s.base, 'my 100% node');
    mkdirSync(odd);
    symlinkSync(process.execPath, join(odd, 'node'));
    mkdirSync(join(s.work, 'a b%c'));
    await service(['install', '--system', '--root', join(s.base, 'odd'), '--dir', 'a b%c'], deps(s, { nodePath: join(odd, 'node') }));
    const oddUnit = join(s.base, 'odd/etc/systemd/system/esp-live.service');
    expect(readFileSync(oddUnit, 'utf8')).toContain(`WorkingDirectory=${s.work}/a b%%c\n`);
    expect(readFileSync(oddUnit, 'utf8')).toContain(`ExecStart="${odd.replace('%', '%%')}/node" ${cliPath}\n`);
    expect(verify(oddUnit).stderr).toBe('');
    // The same check sees a broken unit, so the pass above means something.
    const broken = join(s.base, 'esp-live.service');
    writeFileSync(broken, readFileSync(unitPath, 'utf8').replace(process.execPath, '/nonexistent/node'));
    expect(verify(broken).status).not.toBe(0);
  });

  it('the udev rule covers every known board once: dialout, 0660, a stable /dev/esp-live-<serial> name, ModemManager kept away', async () => {
    const s = sandbox();
    await service(['install', '--system', '--root', s.root], deps(s));
    const rules = readFileSync(join(s.root, 'etc/udev/rules.d/99-esp-live.rules'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    for (const board of KNOWN_BOARDS) {
      const matches = (l: string) => l.includes(`ATTRS{idVendor}=="${board.vendorId}"`) && (!l.includes('idProduct') || l.includes(`ATTRS{idProduct}=="${board.productId}"`));
      expect(rules.filter((l) => matches(l) && l.includes('MODE="0660", GROUP="dialout", ENV{ID_MM_DEVICE_IGNORE}="1"'))).toHaveLength(1);
      expect(rules.filter((l) => matches(l) && l.includes('ATTRS{serial}=="?*", SYMLINK+="esp-live-$attr{serial}"'))).toHaveLength(1);
    }
    for (const rule of rules) expect(rule).toMatch(/^SUBSYSTEM=="tty", (\w+(\{\w+\})?(==|\+?=)"[^"]*"(, |$))+$/);
  });

  it('--dry-run prints everything and writes nothing', async () => {
    const s = sandbox();
    const { code, text } = await service(['install', '--system', '--root', s.root, '--dry-run'], deps(s));
    expect(code).toBe(0);
    expect(existsSync(s.root)).toBe(false);
    expect(text).toContain(`would write ${join(s.root, 'etc/systemd/system/esp-live.service')}`);
    expect(text).toContain('  | Restart=on-failure');
    expect(text).toContain('would run: systemctl'.replace('systemctl', join(s.base, 'no-systemctl')));
    expect(text).not.toContain(KEY);
  });

  it('without a key in the environment, an existing environment file is kept (and made 0600)', async () => {
    const s = sandbox();
    const envPath = join(s.root, 'etc/esp-live/env');
    mkdirSync(join(s.root, 'etc/esp-live'), { recursive: true });
    writeFileSync(envPath, 'GEMINI_API_KEY=the-old-key\n', { mode: 0o644 });
    const { text } = await service(['install', '--system', '--root', s.root], deps(s, { env: { SUDO_USER: 'pi' } }));
    expect(readFileSync(envPath, 'utf8')).toBe('GEMINI_API_KEY=the-old-key\n');
    expect(mode(envPath)).toBe(0o600);
    expect(text).toContain(`keeping ${envPath}`);
  });

  it('refuses a key that systemd would misread (a pasted space or quote)', async () => {
    const s = sandbox();
    await expect(service(['install', '--system', '--root', s.root], deps(s, { env: { GEMINI_API_KEY: 'AIza "x y"' } }))).rejects.toThrow(/characters an API key does not have/);
  });
});

describe('service install (user)', () => {
  it('writes a user unit under ~/.config, leaves the udev rule to root, and runs systemctl --user (reporting its failure)', async () => {
    const s = sandbox();
    const systemctl = fakeProgram(s.base, 'systemctl', 1);
    const { code, text } = await service(['install', '--user'], deps(s, { uid: 1000, userName: 'pi', systemctl: systemctl.path, env: { GEMINI_API_KEY: KEY } }));
    const unitPath = join(s.home, '.config/systemd/user/esp-live.service');
    const unit = readFileSync(unitPath, 'utf8');
    expect(unit).not.toContain('User=');
    expect(unit).toContain(`EnvironmentFile=${join(s.home, '.config/esp-live/env')}\n`);
    expect(unit).toContain('WantedBy=default.target');
    expect(mode(join(s.home, '.config/esp-live/env'))).toBe(0o600);
    expect(text).toContain('not writing /etc/udev/rules.d/99-esp-live.rules: that needs root');
    expect(systemctl.calls()).toEqual(['--user daemon-reload', '--user enable --now esp-live.service']);
    expect(text).toContain('failed (exit 1): systemctl: something went wrong — systemd is not running on this computer');
    expect(text).toContain('sudo loginctl enable-linger pi');
    expect(code).toBe(1);
    const udevOnly = await service(['install', '--udev-only'], deps(s, { uid: 1000, userName: 'pi' }));
    expect(udevOnly.code).toBe(1);
    expect(udevOnly.text).toContain(`sudo ${process.execPath} ${cliPath} service install --udev-only`);
  });
});

describe('service uninstall', () => {
  it('removes the unit and the rule, keeps the key unless --purge', async () => {
    const s = sandbox();
    await service(['install', '--system', '--root', s.root], deps(s));
    const { text } = await service(['uninstall', '--system', '--root', s.root], deps(s));
    expect(existsSync(join(s.root, 'etc/systemd/system/esp-live.service'))).toBe(false);
    expect(existsSync(join(s.root, 'etc/udev/rules.d/99-esp-live.rules'))).toBe(false);
    expect(existsSync(join(s.root, 'etc/esp-live/env'))).toBe(true);
    expect(text).toContain('--purge deletes it');
    await service(['uninstall', '--system', '--root', s.root, '--purge'], deps(s));
    expect(existsSync(join(s.root, 'etc/esp-live/env'))).toBe(false);
  });
});

describe('service status and logs', () => {
  it('hand over to systemctl and journalctl with the unit, and pass their exit code on', async () => {
    const s = sandbox();
    const systemctl = fakeProgram(s.base, 'systemctl', 3);
    const journalctl = fakeProgram(s.base, 'journalctl', 0);
    const d = deps(s, { systemctl: systemctl.path, journalctl: journalctl.path, systemdRunning: () => true });
    expect((await service(['status', '--user'], d)).code).toBe(3);
    expect((await service(['logs', '-f', '-n', '20'], d)).code).toBe(0);
    expect(systemctl.calls()).toEqual(['--user status esp-live.service --no-pager']);
    expect(journalctl.calls()).toEqual(['-u esp-live.service -n 20 --no-pager -f']);
  });

  it('say clearly when systemd is not there', async () => {
    const s = sandbox();
    const { code, text } = await service(['status'], deps(s));
    expect(code).toBe(1);
    expect(text).toMatch(/no-systemctl was not found: systemd is not available on this computer\. Run esp-live in the foreground/);
    expect((await service(['logs'], deps(s))).text).toMatch(/no-journalctl was not found/);
  });

  it('runs from the command line (lazy import registered in cli.ts)', () => {
    const help = execFileSync(process.execPath, [cliPath, 'service', '--help'], { encoding: 'utf8' });
    expect(help).toContain('esp-live service install');
  });
});
