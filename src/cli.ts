#!/usr/bin/env node
/** The `esp-live` command line. */
import { readFileSync } from 'node:fs';
import { emulatorCommand } from './commands/emulator.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const HELP = `esp-live ${pkg.version} — talk to Gemini Live through an ESP32 microphone + speaker board

Usage: esp-live [command] [options]

Commands:
  emulator         run the local Gemini Live API emulator (esp-live emulator --help)
  help             show this help
  version          print the version
`;

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
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
    case 'emulator': {
      const emulator = await emulatorCommand(rest, out);
      if (emulator) await untilSignal(() => emulator.close());
      return 0;
    }
    default:
      process.stderr.write(`esp-live: unknown command "${command}"\n\n${HELP}`);
      return 2;
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

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    process.stderr.write(`esp-live: ${error.message}\n`);
    process.exitCode = error instanceof TypeError ? 2 : 1;
  },
);
