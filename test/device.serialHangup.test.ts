/**
 * An unplugged USB serial board hangs its tty up; serialport 13 then reads 0 bytes forever and
 * never reports the close (serialport/bindings-cpp#162). The port we open closes, as unplugged.
 */
import { afterEach, expect, it } from 'vitest';
import { newSerialPort } from '../src/device/serialBinding.js';
import { HangupPty } from './helpers/pty.js';
import { until } from './helpers/bridge.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

it.skipIf(process.getuid?.() !== 0)('a port that hangs up closes as disconnected (read(2) returns 0 from then on)', async () => {
  const pty = new HangupPty();
  closers.push(() => pty.close());
  const port = newSerialPort({ path: await pty.open(), baudRate: 921600, autoOpen: false });
  port.on('error', () => undefined);
  closers.push(() => port.isOpen && port.close());
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  await pty.hangUp();
  let closed: (Error & { disconnected?: boolean }) | null | undefined;
  port.on('close', (error: Error | null) => (closed = error));
  port.on('data', () => undefined); // the first read comes after the hang-up: it returns 0 bytes
  await until(() => closed !== undefined, 3000, 'the close');
  expect(closed?.disconnected).toBe(true);
});
