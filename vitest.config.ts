import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // One file at a time: many tests run audio in real time (UART pacing, playback clocks) and
    // must not compete with the fuzzer or each other for the machine's two cores.
    fileParallelism: false,
  },
});
