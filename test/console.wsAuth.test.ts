/** A browser proves its device token with a subprotocol, since it cannot set an Authorization header. */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DeviceServer } from '../src/device/wsServer.js';
import type { WebSocketLink } from '../src/device/wsServer.js';

const TOKEN = 'browser-token-0123456789';
let server: DeviceServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<{ url: string; links: WebSocketLink[]; logs: string[] }> {
  const links: WebSocketLink[] = [];
  const logs: string[] = [];
  server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: { [TOKEN]: 'browser' }, mdns: false, log: (l) => logs.push(l), onLink: (link) => links.push(link) });
  return { url: await server.start(), links, logs };
}

/** Opens a socket offering `protocols`; resolves with the HTTP status (101 when it opened) and the chosen subprotocol. */
function open(url: string, protocols: string[]): Promise<{ status: number; protocol: string; error?: string }> {
  const ws = new WebSocket(url, protocols);
  return new Promise((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, protocol: '' }));
    ws.on('open', () => {
      resolve({ status: 101, protocol: ws.protocol });
      ws.close();
    });
    ws.on('error', (error) => resolve({ status: -1, protocol: '', error: error.message }));
  });
}

describe('device listener: the token as a WebSocket subprotocol', () => {
  it('accepts bearer.<token> next to esp-live and answers with esp-live only (the token is never echoed)', async () => {
    const { url, links } = await start();
    const result = await open(url, ['esp-live', `bearer.${TOKEN}`]);
    expect(result).toEqual({ status: 101, protocol: 'esp-live' });
    expect(links).toHaveLength(1);
    expect(links[0].grant?.name).toBe('browser');
  });

  it('refuses a wrong or missing token with a bare 401, and logs no token', async () => {
    const { url, links, logs } = await start();
    expect((await open(url, ['esp-live', 'bearer.browser-token-0123456788'])).status).toBe(401);
    expect((await open(url, ['esp-live'])).status).toBe(401);
    expect((await open(url, ['esp-live', `xbearer.${TOKEN}`])).status).toBe(401);
    expect(links).toHaveLength(0);
    expect(logs.join('\n')).not.toContain('browser-token');
  });

  it('a client that does not offer esp-live gets no subprotocol (a browser then drops the socket)', async () => {
    const { url } = await start();
    const result = await open(url, [`bearer.${TOKEN}`]);
    expect(result.status).toBe(-1);
    expect(result.error).toMatch(/subprotocol/i);
  });
});
