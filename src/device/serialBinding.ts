/**
 * The `serialport` binding, with one fix: an unplugged port closes.
 *
 * On Linux (and macOS) a USB serial port that is unplugged, or a pty whose other end is gone,
 * is hung up: read(2) returns 0 bytes from then on. serialport 13's reader takes 0 bytes as
 * "try again" and reads again at once, forever (serialport/bindings-cpp#162; espmonitor saw
 * the same on ttyUSB/ttyACM, esp-rs/espmonitor#12): the port never reports its close and a
 * thread spins until a write happens to fail. A port opened non-blocking with no data waiting
 * says EAGAIN, never 0, so here 0 bytes means what it says: the device is gone, and the stream
 * closes the port as disconnected (SerialLink reports "unplugged").
 */
import { read } from 'node:fs';
import { promisify } from 'node:util';
import { SerialPort, type SerialPortOpenOptions } from 'serialport';

const readAsync = promisify(read);

type Binding = typeof SerialPort.binding;
type Port = Awaited<ReturnType<Binding['open']>>;
/** The platform's binding (method parameters are bivariant, so the union of the three fits this shape). */
const base: { list: Binding['list']; open(options: object): Promise<Port> } = SerialPort.binding;

/** What the unix port bindings have besides the interface: the descriptor and its poller. */
interface UnixPort {
  fd: number | null;
  isOpen: boolean;
  poller: { once(event: 'readable', callback: (error: Error | null) => void): unknown };
}

const TRY_AGAIN = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

/** Why a read ended when the port was closed on purpose (`canceled` tells the stream so). */
const notOpen = () => Object.assign(new Error('Port is not open'), { canceled: true });

/** One read, as serialport's own (waits for data on the poller), except that 0 bytes means the port hung up. */
export async function readUntilHangup(port: UnixPort, buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
  for (;;) {
    if (!port.isOpen || port.fd === null) throw notOpen();
    let bytesRead: number;
    try {
      ({ bytesRead } = await readAsync(port.fd, buffer, offset, length, null));
    } catch (error) {
      if (!TRY_AGAIN.has((error as NodeJS.ErrnoException).code ?? '')) throw error; // the stream closes the port as disconnected
      // The port may have been closed while the read was out; its poller is gone with it.
      if (!port.isOpen) throw notOpen();
      await new Promise<void>((resolve, reject) => port.poller.once('readable', (e) => (e ? reject(e) : resolve())));
      continue;
    }
    if (bytesRead === 0) throw new Error('the port hung up (the device was unplugged)');
    return { buffer, bytesRead };
  }
}

/** The platform's binding, with reads that end when the port hangs up. */
const hangupAwareBinding = {
  list: () => base.list(),
  async open(options: object) {
    const port = await base.open(options);
    if ('poller' in port) port.read = (buffer, offset, length) => readUntilHangup(port, buffer, offset, length); // Windows has no poller
    return port;
  },
};

/**
 * `new SerialPort(options)`, whose port closes as disconnected when its device is unplugged.
 * Not with `vmin: 0` nor `highWaterMark: 0`: a healthy idle port (or a 0-byte read) would then
 * read 0 bytes too, and be taken for unplugged.
 */
export function newSerialPort(options: Omit<SerialPortOpenOptions<Binding>, 'vmin' | 'vtime' | 'highWaterMark'>): SerialPort {
  const withBinding = { ...options, binding: hangupAwareBinding }; // SerialPort takes `binding` though its type leaves it out
  return new SerialPort(withBinding);
}
