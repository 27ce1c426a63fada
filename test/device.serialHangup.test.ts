/**
 * An unplugged USB serial board hangs its tty up; serialport 13 then reads 0 bytes forever and
 * never reports the close (serialport/bindings-cpp#162). The port we open closes, as unplugged
 * (a socat pty whose far end is gone is hung up the same way);
 * and a port closed while its read was out is not polled again (that aborts the process).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newSerialPort, readUntilHangup } from '../src/device/serialBinding.js';
import { PtyPair } from './helpers/pty.js';
import { until } from './helpers/bridge.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

it('a port whose far end is gone closes as disconnected (read(2) returns 0 from then on)', async () => {
  const pty = new PtyPair();
  await pty.plug();
  closers.push(() => pty.unplug());
  const port = newSerialPort({ path: pty.host, baudRate: 921600, autoOpen: false });
  port.on('error', () => undefined);
  closers.push(() => void (port.isOpen && port.close()));
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  await pty.unplug(); // socat exits: the kernel hangs the pty up, as it does an unplugged USB serial port
  let closed: (Error & { disconnected?: boolean }) | null | undefined;
  port.on('close', (error: Error | null) => (closed = error));
  port.on('data', () => undefined); // the first read comes after the hang-up: it returns 0 bytes
  await until(() => closed !== undefined, 3000, 'the close');
  expect(closed?.disconnected).toBe(true);
});

describe('one read (a FIFO stands in for the port: its reads return EAGAIN, data, or 0 at the end)', () => {
  function fifo() {
    const dir = mkdtempSync(join(tmpdir(), 'esp-live-fifo-'));
    const path = join(dir, 'port');
    execFileSync('mkfifo', [path]);
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    let readable: ((error: Error | null) => void) | undefined;
    const polls: string[] = [];
    const port = {
      fd,
      isOpen: true,
      poller: {
        once(event: 'readable', callback: (error: Error | null) => void) {
          if (!port.isOpen) throw new Error('polled a closed port (the real poller aborts the process)');
          polls.push(event);
          readable = callback;
        },
      },
    };
    closers.push(() => closeSync(fd), () => rmSync(dir, { recursive: true }));
    return { port, writer, polls, wake: () => readable?.(null) };
  }

  it('waits on the poller while there is nothing to read, then returns what came; 0 bytes (the far end gone) ends it', { timeout: 5000 }, async () => {
    const { port, writer, polls, wake } = fifo();
    let writerOpen = true;
    closers.push(() => writerOpen && closeSync(writer));
    const buffer = Buffer.alloc(16);
    const read = readUntilHangup(port, buffer, 0, 16);
    await until(() => polls.length === 1, 2000, 'the poll');
    writeSync(writer, 'hi');
    wake();
    expect((await read).bytesRead).toBe(2);
    closeSync(writer);
    writerOpen = false;
    await expect(readUntilHangup(port, buffer, 0, 16)).rejects.toThrow(/hung up/);
  });

  it('a port closed while its read was out is not polled (its poller is gone): the read ends as canceled', async () => {
    const { port, writer, polls } = fifo();
    closers.push(() => closeSync(writer));
    const read = readUntilHangup(port, Buffer.alloc(16), 0, 16);
    port.isOpen = false; // closed while read(2) is in the thread pool; it comes back EAGAIN
    await expect(read).rejects.toMatchObject({ canceled: true });
    expect(polls).toEqual([]);
  });
});
