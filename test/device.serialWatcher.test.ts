/** The serial watcher when the ports cannot be listed (no udev, a broken sysfs): it says so, once, and keeps trying. */
import { describe, expect, it } from 'vitest';
import type { PortInfo } from '../src/device/serialPorts.js';
import { SerialWatcher } from '../src/device/serialWatcher.js';
import type { LogLevel } from '../src/log.js';

describe('SerialWatcher', () => {
  it('reports a failure to list the ports once, keeps polling, and reports it again after a recovery', async () => {
    const lines: { level: LogLevel; message: string }[] = [];
    // Listing fails three times, works twice (no board), then fails again.
    const script = ['fail', 'fail', 'fail', 'ok', 'ok', 'fail', 'fail'];
    let calls = 0;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const watcher = new SerialWatcher({
      pollMs: 1,
      log: { log: (level, message) => lines.push({ level, message }) },
      onLink: () => expect.unreachable('no board to link'),
      listPorts: async (): Promise<PortInfo[]> => {
        const step = script[calls++];
        if (calls === script.length) finished();
        if (calls > script.length) return [];
        if (step === 'fail') throw new Error('udevadm: not found');
        return [];
      },
    });
    watcher.start();
    await done;
    watcher.stop();
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.message)).toEqual([
      'cannot list the serial ports (udevadm: not found); is udev installed? Retrying.',
      'cannot list the serial ports (udevadm: not found); is udev installed? Retrying.',
    ]);
    expect(lines.filter((l) => l.message.includes('waiting for a board'))).toHaveLength(1);
  });
});
