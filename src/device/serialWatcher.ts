/**
 * Keeps a board on USB serial connected: opens it, notices at once when it is unplugged (the
 * port closes), and re-opens the same board when it is back (same path, or on auto-detect the
 * same USB serial number), then hands each fresh link to the bridge.
 */
import { existsSync } from 'node:fs';
import type { Logger } from '../log.js';
import { listPorts, type PortInfo } from './serialPorts.js';
import { serialOpenError, SerialLink } from './serialLink.js';

export interface SerialWatcherOptions {
  /** A port path, or undefined to pick the first known board. */
  path?: string;
  baudRate?: number;
  dtr?: boolean;
  rts?: boolean;
  pollMs?: number;
  log: Logger;
  /** Lists the serial ports (tests pass their own). */
  listPorts?: () => Promise<PortInfo[]>;
  onLink: (link: SerialLink) => void;
}

export class SerialWatcher {
  private timer: NodeJS.Timeout | undefined;
  private link: SerialLink | undefined;
  private serialNumber: string | undefined;
  private stopped = false;
  private lastProblem = '';
  private listFailed = false;

  constructor(private readonly options: SerialWatcherOptions) {}

  start(): void {
    void this.tryOpen();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tryOpen(), this.options.pollMs ?? 500);
  }

  private async find(): Promise<{ path: string; nativeUsb: boolean } | undefined> {
    const ports = this.options.path && !this.serialNumber ? [] : await this.listPorts();
    if (this.options.path) {
      const info = ports.find((p) => p.path === this.options.path);
      return existsSync(this.options.path) ? { path: this.options.path, nativeUsb: info?.board?.nativeUsb ?? false } : undefined;
    }
    const match = ports.find((p) => p.board && (!this.serialNumber || p.serialNumber === this.serialNumber));
    if (match) this.serialNumber = match.serialNumber;
    return match ? { path: match.path, nativeUsb: match.board!.nativeUsb } : undefined;
  }

  /** The ports, or none if they cannot be listed (said once until listing works again). */
  private async listPorts(): Promise<PortInfo[]> {
    try {
      const ports = await (this.options.listPorts ?? listPorts)();
      this.listFailed = false;
      return ports;
    } catch (error) {
      if (!this.listFailed) this.options.log.log('error', `cannot list the serial ports (${(error as Error).message}); is udev installed? Retrying.`);
      this.listFailed = true;
      return [];
    }
  }

  private async tryOpen(): Promise<void> {
    if (this.stopped || this.link) return;
    const found = await this.find();
    if (!found) {
      this.note(`waiting for ${this.options.path ?? 'a board'} to appear`);
      return this.schedule();
    }
    try {
      const link = await SerialLink.open({ path: found.path, baudRate: this.options.baudRate, dtr: this.options.dtr, rts: this.options.rts, nativeUsb: found.nativeUsb });
      if (this.stopped) return link.close();
      this.link = link;
      this.lastProblem = '';
      link.on('close', (reason) => {
        this.link = undefined;
        this.options.log.log('warn', `${found.path}: ${reason}`);
        this.schedule();
      });
      this.options.onLink(link);
    } catch (error) {
      const problem = serialOpenError(found.path, error as Error);
      this.note(problem.message, 'error');
      this.schedule();
    }
  }

  /** Logs a problem once, not every poll. */
  private note(message: string, level: 'info' | 'error' = 'info'): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.options.log.log(level, message);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.link?.close();
  }
}
