/** Shared by the bench's child processes: answers {cmd:'stats'} with CPU, memory and event-loop delay. */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export function serveStats(extra: () => Record<string, number>, onExit: () => Promise<void>): void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let cpu = process.cpuUsage();
  let at = performance.now();
  process.on('message', (message: { cmd: string }) => {
    if (message.cmd === 'stats') {
      const used = process.cpuUsage(cpu);
      const now = performance.now();
      process.send!({
        cpuPercent: ((used.user + used.system) / 1000 / (now - at)) * 100,
        rssMb: process.memoryUsage().rss / 1e6,
        loopDelayP99Ms: delay.percentile(99) / 1e6,
        ...extra(),
      });
      cpu = process.cpuUsage();
      at = now;
      delay.reset();
    } else if (message.cmd === 'exit') {
      void onExit().then(() => process.exit(0));
    }
  });
}
