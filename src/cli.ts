#!/usr/bin/env node
/**
 * The `esp-live` command line. Each command's module is imported only when that command runs,
 * so `--version` or `devices` do not pay for the Live SDK, the WebSocket server or the audio
 * code (a cold start on a Raspberry Pi is otherwise more than a second).
 */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const HELP = `esp-live ${pkg.version} — talk to Gemini Live through an ESP32 microphone + speaker board

Usage: esp-live [command] [options]

Commands:
  (none)           run the bridge: boards on USB and Wi-Fi talk to Gemini (esp-live --help-run)
  devices          list serial ports, marking likely boards
  doctor           check this computer for a run, with the fix for each problem
  service          run esp-live as a systemd service (esp-live service --help)
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
    case '--help-run': {
      const { runCommand } = await import('./commands/run.js');
      return (await runCommand(['--help'], out), 0);
    }
    case 'devices':
      return (await import('./commands/devices.js')).devicesCommand(out);
    case 'doctor':
      return (await import('./commands/doctor.js')).doctorCommand(rest, out);
    case 'service':
      return (await import('./commands/service.js')).serviceCommand(rest, out);
    case 'demo':
      return (await import('./commands/demo.js')).demoCommand(rest, out);
    case 'simulate':
      return (await import('./commands/simulate.js')).simulateCommand(rest, out);
    case 'provision':
      return (await import('./commands/provision.js')).provisionCommand(rest, out);
    case 'emulator': {
      const { emulatorCommand } = await import('./commands/emulator.js');
      const emulator = await emulatorCommand(rest, out);
      if (emulator) await untilSignal(() => emulator.close());
      return 0;
    }
    default: {
      if (command !== undefined && !command.startsWith('-')) {
        process.stderr.write(`esp-live: unknown command "${command}"\n\n${HELP}`);
        return 2;
      }
      const { runCommand } = await import('./commands/run.js');
      const running = await runCommand(argv, (line) => process.stderr.write(`${line}\n`));
      if (running) await untilSignal(() => running.stop());
      return 0;
    }
  }
}

/** Waits for SIGINT/SIGTERM, then shuts down. */
/** A shutdown that takes longer than this is cut short (exit 1): a service manager must not wait on us. */
const SHUTDOWN_DEADLINE_MS = 10_000;

function untilSignal(shutdown: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      setTimeout(() => {
        process.stderr.write(`esp-live: shutdown took longer than ${SHUTDOWN_DEADLINE_MS / 1000} s; stopping now\n`);
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS).unref();
      void shutdown().then(resolve);
    };
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
    // Exit now: a fatal start-up error must not leave a process running that serves nothing.
    process.exit(error instanceof TypeError || error.code === 'CONFIG_INVALID' ? 2 : 1);
  },
);
