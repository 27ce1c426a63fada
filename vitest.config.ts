import { defineConfig } from 'vitest/config';

/**
 * Files that keep a core busy on their own (compiling and fuzzing the C core, QEMU, a browser,
 * DSP evaluations) run first, one at a time. The rest, mostly real-time audio that waits on
 * timers and sockets (a fraction of a core each), then run three at a time on the two cores;
 * that keeps the whole suite under 3 minutes.
 */
const EXCLUSIVE = ['test/firmware.test.ts', 'test/console.browser.test.ts', 'test/audio.speechGate.test.ts', 'test/audio.resampler.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'exclusive', include: EXCLUSIVE, fileParallelism: false, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: EXCLUSIVE, maxWorkers: 3, sequence: { groupOrder: 1 } } },
    ],
  },
});
