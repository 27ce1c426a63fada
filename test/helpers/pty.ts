/** A pair of linked pseudo-terminals made by socat: one end for the bridge, one for the simulator. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { sleep } from './live.js';

export class PtyPair {
  readonly host: string;
  readonly device: string;
  private socat: ChildProcess | undefined;

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'esp-live-pty-'));
    this.host = join(dir, 'host');
    this.device = join(dir, 'device');
  }

  /** Plugs the cable in (starts socat). */
  async plug(): Promise<void> {
    this.socat = spawn('socat', [`pty,raw,echo=0,link=${this.host}`, `pty,raw,echo=0,link=${this.device}`], { stdio: 'ignore' });
    for (let i = 0; i < 200 && !(existsSync(this.host) && existsSync(this.device)); i++) await sleep(10);
    if (!existsSync(this.host)) throw new Error('socat did not make the pty pair (is socat installed?)');
  }

  /** Pulls the cable (both ends of the pty pair vanish). */
  async unplug(): Promise<void> {
    const s = this.socat;
    this.socat = undefined;
    if (!s || s.exitCode !== null) return;
    const exited = new Promise((r) => s.once('exit', r));
    s.kill('SIGTERM');
    await exited;
  }
}

/**
 * A pseudo-terminal whose far end is held by a small Python process, which can hang the
 * terminal up the way the kernel does when a USB serial board is unplugged: from then on
 * read(2) on it returns 0 bytes. (vhangup(2) needs root, as CI is.)
 */
export class HangupPty {
  path = '';
  private readonly python: ChildProcess;
  private readonly lines: string[] = [];

  constructor() {
    const script = [
      'import os, sys, fcntl, termios, ctypes, signal',
      'signal.signal(signal.SIGHUP, signal.SIG_IGN)  # hanging up its own terminal would end it',
      'master, slave = os.openpty()',
      'print(os.ttyname(slave), flush=True)',
      'sys.stdin.readline()',
      'os.setsid()',
      'fcntl.ioctl(slave, termios.TIOCSCTTY, 0)',
      'print("hung up" if ctypes.CDLL(None, use_errno=True).vhangup() == 0 else f"vhangup failed: errno {ctypes.get_errno()}", flush=True)',
      'sys.stdin.readline()',
    ].join('\n');
    this.python = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.python.on('error', () => undefined);
    this.python.stdin!.on('error', () => undefined);
    createInterface({ input: this.python.stdout! }).on('line', (line) => this.lines.push(line));
  }

  private async line(index: number): Promise<string> {
    for (let i = 0; i < 500 && this.lines.length <= index; i++) await sleep(10);
    if (this.lines.length <= index) throw new Error('the pty helper (python3) did not answer');
    return this.lines[index];
  }

  async open(): Promise<string> {
    this.path = await this.line(0);
    return this.path;
  }

  /** Hangs the terminal up; the far end stays open. */
  async hangUp(): Promise<void> {
    this.python.stdin!.write('\n');
    const said = await this.line(1);
    if (said !== 'hung up') throw new Error(said);
  }

  close(): void {
    this.python.kill();
  }
}
