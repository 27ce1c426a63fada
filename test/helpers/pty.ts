/** A pair of linked pseudo-terminals made by socat: one end for the bridge, one for the simulator. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
