/**
 * Asks a board on a serial port who it is without starting a session and without resetting
 * it: the port is opened exactly as the bridge opens it (SerialLink: HUPCL off, DTR and RTS
 * released), HELLO_REQUEST is sent (PROTOCOL.md §4.3, again after 0.5 and 1 s as §5 says), the
 * first HELLO is the answer, and the port is closed without a WELCOME.
 */
import { serialOpenError, SerialLink } from '../device/serialLink.js';
import { EspLiveError } from '../errors.js';
import type { Hello } from '../protocol/messages.js';

export type HelloProbeResult = { hello: Hello } | { error: EspLiveError } | { silent: true };

export interface HelloProbeOptions {
  path: string;
  baudRate?: number;
  nativeUsb?: boolean;
  dtr?: boolean;
  rts?: boolean;
  /** How long to wait for HELLO (default 2.5 s: a board repeats HELLO every 2 s on its own). */
  timeoutMs?: number;
}

const ASK_AGAIN_MS = [500, 1000];

export async function probeHello(options: HelloProbeOptions): Promise<HelloProbeResult> {
  let link: SerialLink;
  try {
    link = await SerialLink.open(options);
  } catch (error) {
    return { error: serialOpenError(options.path, error as Error) };
  }
  try {
    return await new Promise<HelloProbeResult>((resolve) => {
      const done = (result: HelloProbeResult) => {
        for (const t of timers) clearTimeout(t);
        resolve(result);
      };
      const timers = [setTimeout(() => done({ silent: true }), options.timeoutMs ?? 2500)];
      for (const ms of ASK_AGAIN_MS) timers.push(setTimeout(() => link.send({ type: 'helloRequest' }), ms));
      link.on('message', (m) => m.type === 'hello' && done({ hello: m }));
      link.on('close', (reason) => done({ error: new EspLiveError('SERIAL_OPEN', `${options.path}: ${reason}`, { retryable: true }) }));
      link.send({ type: 'helloRequest' });
    });
  } finally {
    link.close();
  }
}
