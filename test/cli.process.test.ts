/** The built `esp-live` command as a person runs it: a real process, real signals. */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';
import { until } from './helpers/bridge.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/src/cli.js');
const dir0 = mkdtempSync(join(tmpdir(), 'esp-live-proc-'));

beforeAll(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'ignore' });
}, 120_000);

describe('the esp-live process', () => {
  it('says goodbye to its boards and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esp-live-proc-'));
    const token = 'process-test-token-0123456789';
    writeFileSync(join(dir, 'esp-live.json'), JSON.stringify({ websocket: { host: '127.0.0.1', port: 0, mdns: false, tokens: { [token]: 'proc' } } }));
    const child = spawn(process.execPath, [cli, '--no-serial'], { cwd: dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    await until(() => /ws:\/\/127\.0\.0\.1:\d+\/device/.test(log), 15_000, 'the listener');
    const url = /(ws:\/\/127\.0\.0\.1:\d+\/device)/.exec(log)![1];
    const device = new SimulatedDevice({ deviceId: 'proc-board' });
    const welcomed = new Promise((r) => device.once('welcome', r));
    const closed = new Promise((r) => device.once('closed', r));
    await device.connectWebSocket(url, token);
    await welcomed;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await closed; // the board heard GOODBYE (or the socket closing) and let go
    expect(log).toMatch(/EMULATOR/);
  });

  it('shuts down at once on SIGTERM even while idle TCP connections are open on the listener', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esp-live-proc-'));
    writeFileSync(join(dir, 'esp-live.json'), JSON.stringify({ websocket: { host: '127.0.0.1', port: 0, mdns: false, tokens: { 'process-test-token-0123456789': 'proc' } } }));
    const child = spawn(process.execPath, [cli, '--no-serial'], { cwd: dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    await until(() => /ws:\/\/127\.0\.0\.1:\d+\/device/.test(log), 15_000, 'the listener');
    const port = Number(/127\.0\.0\.1:(\d+)\/device/.exec(log)![1]);
    const idle = [0, 1, 2].map(() => connect(port, '127.0.0.1').on('error', () => undefined)); // silent sockets
    const half = connect(port, '127.0.0.1').on('error', () => undefined);
    half.write('GET /device HTTP/1.1\r\nhost: x\r\n'); // a request that never ends
    await new Promise((r) => setTimeout(r, 200));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const result = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 8000))]);
    for (const s of [...idle, half]) s.destroy();
    if (result === 'still running') child.kill('SIGKILL');
    expect(result).toBe(0);
  });

  it('exits non-zero, naming the cause, when the listener cannot start (port in use, TLS key missing)', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as AddressInfo).port;
    const run = (config: unknown) => {
      const dir = mkdtempSync(join(tmpdir(), 'esp-live-proc-'));
      writeFileSync(join(dir, 'esp-live.json'), JSON.stringify(config));
      try {
        execFileSync(process.execPath, [cli, '--no-serial'], { cwd: dir, encoding: 'utf8', stdio: 'pipe', env: { PATH: process.env.PATH }, timeout: 15_000 });
        return { status: 0, stderr: '' };
      } catch (error) {
        return error as { status: number; stderr: string };
      }
    };
    const tokens = { 'process-test-token-0123456789': 'proc' };
    const inUse = run({ websocket: { host: '127.0.0.1', port, mdns: false, tokens } });
    taken.close();
    expect(inUse.status).toBe(1);
    expect(inUse.stderr).toMatch(new RegExp(`listener on 127\\.0\\.0\\.1:${port} is in use by another program`));
    const noKey = run({ websocket: { host: '127.0.0.1', port: 0, mdns: false, tokens, tls: { certFile: join(dir0, 'none.pem'), keyFile: join(dir0, 'none.key') } } });
    expect(noKey.status).toBe(1);
    expect(noKey.stderr).toMatch(/websocket\.tls: cannot read the certificate or key/);
  });

  it('prints help and its version', () => {
    expect(execFileSync(process.execPath, [cli, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(execFileSync(process.execPath, [cli, 'help'], { encoding: 'utf8' })).toMatch(/Commands:[\s\S]*devices[\s\S]*demo[\s\S]*provision/);
  });

  it('refuses a bad setting with exit code 2 and names it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esp-live-proc-'));
    writeFileSync(join(dir, 'esp-live.json'), JSON.stringify({ live: { temperature: 7 } }));
    try {
      execFileSync(process.execPath, [cli], { cwd: dir, encoding: 'utf8', stdio: 'pipe', env: { PATH: process.env.PATH } });
      expect.unreachable();
    } catch (error) {
      const e = error as { status: number; stderr: string };
      expect(e.status).toBe(2);
      expect(e.stderr).toMatch(/live\.temperature must be a number from 0 to 2/);
    }
  });
});
