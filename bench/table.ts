import { readFileSync } from 'node:fs';

/** Prints benchmark rows as an aligned text table. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of cells.slice(1)) process.stdout.write(`${line(r)}\n`);
}

/** A median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * CPU time (user + system) used so far by this process and by the child processes it has
 * waited for (sox), in ms. CPU time, not wall time, so that other jobs on a shared machine
 * slow a run only through the caches and cores they share, not by taking turns on the CPU.
 */
export function cpuTimeMs(): number {
  const own = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const childTicks = Number(fields[13]) + Number(fields[14]); // cutime, cstime (fields 16, 17), in 1/100 s
  return (own.user + own.system) / 1000 + childTicks * 10;
}

/** Runs `fn` `warmUp` times, then `runs` full times; returns the median CPU time of one run in ms. */
export async function medianTimeMs(fn: () => unknown, runs: number, warmUp = 2): Promise<number> {
  for (let i = 0; i < warmUp; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = cpuTimeMs();
    await fn();
    times.push(cpuTimeMs() - t0);
  }
  return median(times);
}
