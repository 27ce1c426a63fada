/**
 * A device on USB serial through the real `serialport` package. Opening the port must not
 * reset an ESP32: its auto-reset circuit pulls EN low when RTS is asserted without DTR, so the
 * lines are set together, once, to the configured levels (default both released), and HUPCL
 * is off so closing the port does not toggle them either.
 */
import type { SerialPort } from 'serialport';
import { EspLiveError } from '../errors.js';
import { encodeMessage } from '../protocol/codec.js';
import type { Message } from '../protocol/messages.js';
import { frameBytes, SerialFrameDecoder } from '../protocol/serialFraming.js';
import { DeviceLink } from './link.js';
import { newSerialPort } from './serialBinding.js';

export interface SerialLinkOptions {
  path: string;
  baudRate?: number;
  /** Modem lines after opening; default both false (no reset, no bootloader). */
  dtr?: boolean;
  rts?: boolean;
  /** True for native USB (ESP32-S3/C3/C6 USB-Serial/JTAG): the baud rate does not limit it. */
  nativeUsb?: boolean;
}

export class SerialLink extends DeviceLink {
  readonly kind = 'serial' as const;
  readonly name: string;
  readonly bytesPerSecond: number | undefined;
  private readonly decoder: SerialFrameDecoder;
  private closed = false;

  private constructor(private readonly port: SerialPort, options: SerialLinkOptions) {
    super();
    this.name = options.path;
    this.bytesPerSecond = options.nativeUsb ? undefined : (options.baudRate ?? 921600) / 10;
    this.decoder = new SerialFrameDecoder((m) => {
      this.stats.messagesIn++;
      this.emit('message', m);
    });
    port.on('data', (chunk: Buffer) => {
      const before = this.rejected();
      this.decoder.push(chunk);
      this.stats.rejected += this.rejected() - before;
    });
    port.on('drain', () => this.emit('drain'));
    port.on('close', (error?: Error & { disconnected?: boolean }) => this.gone(error?.disconnected ? 'unplugged' : 'port closed'));
    port.on('error', (error) => this.gone(`port error: ${error.message}`));
  }

  private rejected(): number {
    const s = this.decoder.stats;
    return s.badCrc + s.malformed + s.oversize + s.unknown;
  }

  static async open(options: SerialLinkOptions): Promise<SerialLink> {
    const port = newSerialPort({ path: options.path, baudRate: options.baudRate ?? 921600, autoOpen: false, hupcl: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    try {
      await new Promise<void>((resolve, reject) => port.set({ dtr: options.dtr ?? false, rts: options.rts ?? false }, (e) => (e ? reject(e) : resolve())));
    } catch {
      // Pseudo-terminals and some adapters have no modem lines; nothing to set there.
    }
    const link = new SerialLink(port, options);
    port.write(Buffer.from([0])); // ends whatever the device printed before (its boot log) as one dropped frame
    return link;
  }

  override resync(): void {
    if (!this.closed) this.port.write(Buffer.from([0]));
  }

  send(message: Message): boolean {
    if (this.closed) return false;
    this.stats.messagesOut++;
    return this.port.write(frameBytes(encodeMessage(message, this.maxMessageBytes)));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // What was written last (an ERROR and GOODBYE saying why) goes out before the port closes.
    if (this.port.isOpen) this.port.drain(() => this.port.isOpen && this.port.close());
    this.emit('close', 'closed by the host');
  }

  private gone(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', reason);
  }
}

/** Turns an open() failure into what the user should do about it. */
export function serialOpenError(path: string, error: Error): EspLiveError {
  const message = error.message;
  if (/permission denied|EACCES/i.test(message)) {
    return new EspLiveError(
      'SERIAL_PERMISSION',
      `permission denied opening ${path}. Add yourself to the dialout group (sudo usermod -aG dialout $USER), then log out and back in.`,
      { cause: error },
    );
  }
  if (/ENOENT|No such file/i.test(message)) {
    return new EspLiveError('SERIAL_NOT_FOUND', `${path} does not exist. Is the board plugged in? 'esp-live devices' lists the ports.`, { cause: error, retryable: true });
  }
  if (/busy|EBUSY|lock/i.test(message)) {
    return new EspLiveError('SERIAL_BUSY', `${path} is in use by another program (a serial monitor, or another esp-live). Close it and try again.`, { cause: error, retryable: true });
  }
  return new EspLiveError('SERIAL_OPEN', `could not open ${path}: ${message}`, { cause: error, retryable: true });
}
