/** Log lines for people (a terminal) or machines (--json, one object a line). */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(options: { json: boolean; debug?: boolean; write?: (line: string) => void }): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  return {
    log(level, message, fields = {}) {
      if (level === 'debug' && !options.debug) return;
      if (options.json) return write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
      const tag = 'device' in fields ? `[${String(fields.device)}] ` : '';
      write(`${level === 'info' ? '' : `${level.toUpperCase()}: `}${tag}${message}`);
    },
  };
}
