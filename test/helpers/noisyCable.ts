/**
 * A serial cable with a fault in the middle: two socat pty pairs joined by this relay, which
 * passes the bytes on both ways and, while `corrupt` is on, flips one bit in one byte of every
 * `everyBytes` that go toward the board (as a noisy line or a loose connector would), at most
 * `maxFlips` times.
 */
import { SerialPort } from 'serialport';
import { PtyPair } from './pty.js';

export class NoisyCable {
  /** Open this end as the host's port. */
  get host(): string {
    return this.hostSide.host;
  }
  /** Give this end to the board. */
  get device(): string {
    return this.boardSide.device;
  }
  corrupt = false;
  everyBytes = 500;
  maxFlips = Infinity;
  /** Bits flipped toward the board so far. */
  flipped = 0;
  private readonly hostSide = new PtyPair();
  private readonly boardSide = new PtyPair();
  private ports: SerialPort[] = [];
  private toBoardCount = 0;

  async plug(): Promise<void> {
    await this.hostSide.plug();
    await this.boardSide.plug();
    const open = (path: string) =>
      new Promise<SerialPort>((resolve, reject) => {
        const port = new SerialPort({ path, baudRate: 921600, autoOpen: false });
        port.on('error', () => undefined); // the cable's own ends: closing them is not an error worth reporting
        port.open((e) => (e ? reject(e) : resolve(port)));
      });
    const fromHost = await open(this.hostSide.device);
    const toBoard = await open(this.boardSide.host);
    this.ports = [fromHost, toBoard];
    fromHost.on('data', (chunk: Buffer) => {
      if (this.corrupt && this.flipped < this.maxFlips) {
        for (let i = 0; i < chunk.length; i++) {
          if (++this.toBoardCount % this.everyBytes !== 0 || this.flipped >= this.maxFlips) continue;
          chunk[i] ^= 0x10;
          this.flipped++;
        }
      }
      toBoard.write(chunk);
    });
    toBoard.on('data', (chunk: Buffer) => fromHost.write(chunk));
  }

  async unplug(): Promise<void> {
    for (const p of this.ports.splice(0)) if (p.isOpen) await new Promise((r) => p.close(r));
    await this.boardSide.unplug();
    await this.hostSide.unplug();
  }
}
