/** Log lines for people (a terminal) or machines (--json, one object a line). */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/**
 * C0/C1 controls, DEL, line/paragraph separators and bidirectional overrides: what lets a
 * string from a board or a peer start a new log line, move the cursor, recolour or reorder a
 * terminal. Escaped, never dropped, so the log still shows what was sent.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every unsafe character written as `\xNN` / `\uNNNN` (backslashes doubled). */
export function escapeText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

function escapeValue(value: unknown): unknown {
  return typeof value === 'string' ? escapeText(value) : value;
}

export function createLogger(options: { json: boolean; debug?: boolean; write?: (line: string) => void }): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  return {
    log(level, message, fields = {}) {
      if (level === 'debug' && !options.debug) return;
      const safe = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, escapeValue(v)]));
      // JSON escapes C0 controls itself, but not C1 or the separators a terminal acts on.
      if (options.json) return write(JSON.stringify({ time: new Date().toISOString(), level, message: escapeText(message), ...safe }));
      const tag = 'device' in safe ? `[${String(safe.device)}] ` : '';
      write(`${level === 'info' ? '' : `${level.toUpperCase()}: `}${tag}${escapeText(message)}`);
    },
  };
}
