/** The bridge (and its device listener) alone in a process, so the bench can measure its CPU and memory. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Bridge } from '../src/bridge/bridge.js';
import { DeviceServer } from '../src/device/wsServer.js';
import { validateLiveConfig } from '../src/live/config.js';
import { createLogger } from '../src/log.js';

const [baseUrl, token] = process.argv.slice(2);
const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'bench', baseUrl }), log: createLogger({ json: false, write: () => undefined }) });
const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: { [token]: 'bench' }, mdns: false, onLink: (link) => void bridge.addLink(link) });
const url = await server.start();
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let cpu = process.cpuUsage();
let at = performance.now();
process.send!({ url });
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stats') {
    const used = process.cpuUsage(cpu);
    const now = performance.now();
    const agents = [...bridge.agents.values()];
    process.send!({
      cpuPercent: ((used.user + used.system) / 1000 / (now - at)) * 100,
      rssMb: process.memoryUsage().rss / 1e6,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      devices: agents.length,
      droppedFrames: agents.reduce((n, a) => n + a.stats.framesDroppedOverflow, 0),
    });
    cpu = process.cpuUsage();
    at = now;
    delay.reset();
  } else if (message.cmd === 'exit') {
    void bridge.close().then(() => server.close()).then(() => process.exit(0));
  }
});
