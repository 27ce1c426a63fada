/**
 * The WebSocket under the SDK's Live session, through the SDK's own WebSocketFactory extension
 * point. It differs from the SDK's Node adapter in one way that matters: a frame that is not
 * JSON is reported and dropped here, because inside the SDK it becomes an unhandled promise
 * rejection that ends the process (docs/live-api-notes.md §2). It also hands the session the raw socket,
 * so a connection stuck before setupComplete can be terminated.
 */
import { WebSocket } from 'ws';
import { EspLiveError } from '../errors.js';

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

/**
 * Puts our factory where the SDK's Live module keeps its own. @google/genai 3.1.0 takes a
 * WebSocketFactory in the Live constructor and keeps it in a field its TypeScript types call
 * private (`webSocketFactory`, read by `connect()`); there is no public option for it. So this
 * adapter checks that the field is there and is a factory before replacing it, and fails loudly
 * (LIVE_SDK_CHANGED) if an SDK update moved it, instead of silently using the SDK's own socket
 * (whose unguarded JSON parsing can end the process). test/live.socket.test.ts pins it with the
 * real SDK.
 */
export function installSocketFactory(live: object, factory: GuardedSocketFactory): void {
  const holder = live as { webSocketFactory?: { create?: unknown } };
  if (typeof holder.webSocketFactory?.create !== 'function') {
    throw new EspLiveError('LIVE_SDK_CHANGED', 'this version of @google/genai keeps its WebSocket factory elsewhere; esp-live needs the version in package.json (npm ci)');
  }
  holder.webSocketFactory = factory;
}
