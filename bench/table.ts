/** Prints benchmark rows as an aligned text table. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of cells.slice(1)) process.stdout.write(`${line(r)}\n`);
}

/** Runs `fn` repeatedly for about `ms` milliseconds after a warm-up; returns the best time of one run in ms. */
export async function bestTimeMs(fn: () => unknown, ms = 1500): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let best = Infinity;
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}
