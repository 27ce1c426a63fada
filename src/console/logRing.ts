/**
 * The console's "recent log lines": a Logger that passes every line on to the real one and
 * keeps the last few (escaped, as the terminal shows them) for the page.
 */
import { escapeText, type Logger, type LogLevel } from '../log.js';

export interface LogLine {
  /** Wall-clock time, ms since the epoch (for people). */
  time: number;
  level: LogLevel;
  device?: string;
  text: string;
}

export class LogRing implements Logger {
  private readonly lines: LogLine[] = [];
  private readonly listeners = new Set<(line: LogLine) => void>();

  constructor(
    private readonly next: Logger,
    private readonly capacity = 200,
    private readonly debug = false,
  ) {}

  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    this.next.log(level, message, fields);
    if (level === 'debug' && !this.debug) return;
    const line: LogLine = { time: Date.now(), level, text: escapeText(message) };
    if (typeof fields.device === 'string') line.device = escapeText(fields.device);
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
    for (const listener of this.listeners) listener(line);
  }

  recent(): LogLine[] {
    return [...this.lines];
  }

  /** Calls `listener` for every new line until the returned function is called. */
  subscribe(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
