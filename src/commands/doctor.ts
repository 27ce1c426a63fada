/** `esp-live doctor`: checks everything a first run needs; a line per check with the fix; exit 1 when something blocks a run. */
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { probeAlsa } from '../device/localAudio.js';
import { listPorts } from '../device/serialPorts.js';
import type { CheckResult } from '../ops/check.js';
import { runChecks, type DoctorEnv } from '../ops/doctorChecks.js';
import { probeHello } from '../ops/helloProbe.js';
import { enginesNode, packageRoot } from '../ops/packageInfo.js';
import { UDEV_RULE_PATH } from '../ops/udevRule.js';

export const DOCTOR_HELP = `esp-live doctor — check this computer for a first run

Usage: esp-live doctor [run options]

Checks Node, serial port access, boards on USB (each is asked for its HELLO without a reset
and without starting a session), local audio when on, the Gemini API key (one request to
the models endpoint), the clock, the WebSocket port and mDNS. Takes the same options as a
run (esp-live --help-run), so it checks the configuration you will run with.
Exit code 1 when something would stop a run, else 0 (warnings included).
`;

const MDNS_GROUP = '224.0.0.251';
const MDNS_PORT = 5353;

function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Binds UDP 5353 with address reuse and joins the mDNS group, as multicast-dns (bonjour-service) does. */
function tryMdns(): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    const finish = (error?: Error) => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined); // closing after a failure may report again; it is already said
      try {
        socket.close();
      } catch {
        // not bound: nothing to close
      }
      resolve(error);
    };
    socket.once('error', finish);
    socket.bind(MDNS_PORT, () => {
      try {
        socket.addMembership(MDNS_GROUP);
        finish();
      } catch (error) {
        finish(error as Error);
      }
    });
  });
}

export function realDoctorEnv(argv: string[], env: NodeJS.ProcessEnv): DoctorEnv {
  const root = packageRoot();
  return {
    nodeVersion: process.versions.node,
    engines: { espLive: enginesNode(join(root, 'package.json')), genai: enginesNode(join(root, 'node_modules', '@google', 'genai', 'package.json')) },
    loadConfig: () => loadConfig(argv, env).config,
    uid: process.getuid?.() ?? -1,
    groups: process.getgroups?.() ?? [],
    userName: userInfo().username,
    groupFile: () => (existsSync('/etc/group') ? readFileSync('/etc/group', 'utf8') : undefined),
    udevRule: () => (existsSync(UDEV_RULE_PATH) ? UDEV_RULE_PATH : undefined),
    listPorts,
    probeHello,
    probeAlsa: () => probeAlsa(),
    fetch: globalThis.fetch,
    wallClockMs: () => Date.now(),
    tryListen,
    tryMdns,
  };
}

const MARK: Record<CheckResult['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };

export function formatResults(results: CheckResult[]): string[] {
  const lines = results.flatMap((r) => [`${MARK[r.status]}  ${r.name}: ${r.detail}`, ...(r.fix && r.status !== 'ok' ? [`      fix: ${r.fix}`] : [])]);
  const failures = results.filter((r) => r.status === 'fail').length;
  const warnings = results.filter((r) => r.status === 'warn').length;
  lines.push('', failures ? `${failures} problem${failures === 1 ? '' : 's'} to fix before esp-live can run${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}.` : `ready to run${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}: npm start, or esp-live service install.`);
  return lines;
}

export async function doctorCommand(argv: string[], out: (line: string) => void, env: NodeJS.ProcessEnv = process.env, doctorEnv?: DoctorEnv): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(DOCTOR_HELP);
    return 0;
  }
  const results = await runChecks(doctorEnv ?? realDoctorEnv(argv, env));
  for (const line of formatResults(results)) out(line);
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
