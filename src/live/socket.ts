/**
 * The WebSocket under the SDK's Live session, through the SDK's own WebSocketFactory extension
 * point. It differs from the SDK's Node adapter in one way that matters: a frame that is not
 * JSON is reported and dropped here, because inside the SDK it becomes an unhandled promise
 * rejection that ends the process (docs/live-api-notes.md §2). It also hands the session the raw socket,
 * so a connection stuck before setupComplete can be terminated.
 */
import { WebSocket } from 'ws';

interface Callbacks {
  onopen: () => void;
  onerror: (e: unknown) => void;
  onmessage: (e: { data: string }) => void;
  onclose: (e: { code: number; reason: string }) => void;
}

export interface SocketHooks {
  onSocket(socket: WebSocket): void;
  onMalformed(sample: string): void;
}

export class GuardedSocketFactory {
  constructor(private readonly hooks: SocketHooks) {}

  create(url: string, headers: Record<string, string>, callbacks: Callbacks) {
    const { hooks } = this;
    let ws: WebSocket | undefined;
    return {
      connect() {
        ws = new WebSocket(url, { headers });
        hooks.onSocket(ws);
        ws.onopen = () => callbacks.onopen();
        ws.onerror = (e) => callbacks.onerror(e);
        ws.onclose = (e) => callbacks.onclose({ code: e.code, reason: e.reason });
        ws.onmessage = (e) => {
          const text = typeof e.data === 'string' ? e.data : Buffer.isBuffer(e.data) ? e.data.toString('utf8') : Buffer.from(e.data as ArrayBuffer).toString('utf8');
          try {
            JSON.parse(text);
          } catch {
            hooks.onMalformed(text.slice(0, 80));
            return;
          }
          callbacks.onmessage({ data: text });
        };
      },
      send(message: string) {
        if (!ws) throw new Error('WebSocket is not connected');
        ws.send(message);
      },
      close() {
        ws?.close();
      },
    };
  }
}
