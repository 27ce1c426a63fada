#!/usr/bin/env node
/** The `esp-live` command line. */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const HELP = `esp-live ${pkg.version} — talk to Gemini Live through an ESP32 microphone + speaker board

Usage: esp-live [command] [options]

Commands:
  help             show this help
  version          print the version

Options:
  -h, --help       show this help
  -v, --version    print the version
`;

export function main(argv: string[]): number {
  const [command = 'help'] = argv;
  if (command === 'version' || command === '-v' || command === '--version') {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (command === 'help' || command === '-h' || command === '--help') {
    process.stdout.write(HELP);
    return 0;
  }
  process.stderr.write(`esp-live: unknown command "${command}"\n\n${HELP}`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
