/**
 * For the bench only: a clock on the wire. Every WebSocket frame this process sends (the Live
 * SDK's and the device links') passes `hook` when it is sent; if the hook returns a function,
 * that function gets the time `ws` reports the frame written to the socket (its send callback).
 * So a latency ends when the bytes are on the link, not when a handler returned, and no
 * production code carries a timing hook.
 */
import { WebSocket } from 'ws';

export type WriteHook = (data: unknown) => ((writtenAtMs: number) => void) | undefined;

/** Installs `hook` on every WebSocket's send(); returns the function that removes it. */
export function timestampWebSocketWrites(hook: WriteHook): () => void {
  const original = WebSocket.prototype.send;
  WebSocket.prototype.send = function (this: WebSocket, data: unknown, options?: unknown, callback?: unknown) {
    if (typeof options === 'function') [callback, options] = [options, undefined];
    const written = hook(data);
    const done = callback as ((error?: Error) => void) | undefined;
    return original.call(this, data as Buffer, (options ?? {}) as object, (error?: Error) => {
      if (!error) written?.(performance.now());
      done?.(error);
    });
  } as typeof original;
  return () => {
    WebSocket.prototype.send = original;
  };
}
