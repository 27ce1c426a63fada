/** The bridge (and its device listener) alone in a process, so the bench can measure its CPU and memory. */
import { Bridge } from '../src/bridge/bridge.js';
import { DeviceServer } from '../src/device/wsServer.js';
import { validateLiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';
import { serveStats } from './childStats.js';

const [baseUrl, tokenPrefix, boards] = process.argv.slice(2);
/** One token per board (a token is bound to the first board that uses it). */
const tokens = Object.fromEntries(Array.from({ length: Number(boards) }, (_, i) => [`${tokenPrefix}-${i}`, `board-${i}`]));
const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'bench', baseUrl }), log: createLogger({ json: false, write: () => undefined }), maxDevices: Number(boards) });
const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens, maxConnections: Number(boards) + 8, mdns: false, onLink: (link) => void bridge.addLink(link) });
const url = await server.start();
serveStats(
  () => ({ devices: bridge.agents.size, droppedFrames: [...bridge.agents.values()].reduce((n, a) => n + a.stats.framesDroppedOverflow, 0) }),
  async () => {
    await bridge.close();
    await server.close();
  },
);
process.send!({ url });
