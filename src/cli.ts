#!/usr/bin/env node
/** The `esp-live` command line. */
import { readFileSync } from 'node:fs';
import { demoCommand } from './commands/demo.js';
import { devicesCommand } from './commands/devices.js';
import { emulatorCommand } from './commands/emulator.js';
import { provisionCommand } from './commands/provision.js';
import { runCommand } from './commands/run.js';
import { simulateCommand } from './commands/simulate.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const HELP = `esp-live ${pkg.version} — talk to Gemini Live through an ESP32 microphone + speaker board

Usage: esp-live [command] [options]

Commands:
  (none)           run the bridge: boards on USB and Wi-Fi talk to Gemini (esp-live --help-run)
  devices          list serial ports, marking likely boards
  demo             offline demo: emulator + simulated board; writes the reply to a WAV
  provision        write a board's Wi-Fi, host and token over USB (esp-live provision --help)
  simulate         a simulated board (esp-live simulate --help)
  emulator         the local Gemini Live API emulator (esp-live emulator --help)
  help, version
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  switch (command) {
    case 'version':
    case '--version':
    case '-v':
      out(pkg.version);
      return 0;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    case '--help-run':
      return (await runCommand(['--help'], out), 0);
    case 'devices':
      return devicesCommand(out);
    case 'demo':
      return demoCommand(rest, out);
    case 'simulate':
      return simulateCommand(rest, out);
    case 'provision':
      return provisionCommand(rest, out);
    case 'emulator': {
      const emulator = await emulatorCommand(rest, out);
      if (emulator) await untilSignal(() => emulator.close());
      return 0;
    }
    default: {
      if (command !== undefined && !command.startsWith('-')) {
        process.stderr.write(`esp-live: unknown command "${command}"\n\n${HELP}`);
        return 2;
      }
      const running = await runCommand(argv, (line) => process.stderr.write(`${line}\n`));
      if (running) await untilSignal(() => running.stop());
      return 0;
    }
  }
}

/** Waits for SIGINT/SIGTERM, then shuts down. */
function untilSignal(shutdown: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => void shutdown().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

// The last line of defence: a stray rejection is reported, and the bridge stays up.
process.on('unhandledRejection', (reason) => process.stderr.write(`esp-live: unexpected error (please report it): ${reason instanceof Error ? reason.stack : String(reason)}\n`));

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: Error & { code?: string }) => {
    process.stderr.write(`esp-live: ${error.message}\n`);
    process.exitCode = error instanceof TypeError || error.code === 'CONFIG_INVALID' ? 2 : 1;
  },
);
