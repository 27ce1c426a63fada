/** The emulator in a process of its own, so the bench can measure its CPU and memory alone. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LiveEmulator } from '../src/emulator/server.js';

const emulator = new LiveEmulator({ persona: 'echo', realtimeFactor: 4 });
const url = await emulator.start();
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let cpu = process.cpuUsage();
let at = performance.now();
process.send!({ url });
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stats') {
    const used = process.cpuUsage(cpu);
    const now = performance.now();
    process.send!({
      cpuPercent: ((used.user + used.system) / 1000 / (now - at)) * 100,
      rssMb: process.memoryUsage().rss / 1e6,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      connections: emulator.openConnections,
    });
    cpu = process.cpuUsage();
    at = now;
    delay.reset();
  } else if (message.cmd === 'exit') {
    void emulator.close().then(() => process.exit(0));
  }
});
