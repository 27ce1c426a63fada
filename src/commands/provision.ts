/** `esp-live provision`: write a board's Wi-Fi, host and token over USB, and show them back. */
import { parseArgs } from 'node:util';
import { serialOpenError, SerialLink } from '../device/serialLink.js';
import { describeEntry, provision, type BoardSettings } from '../device/provision.js';
import { newDeviceToken } from './run.js';

export const PROVISION_HELP = `esp-live provision — write a board's settings over USB

Usage: esp-live provision --port PATH [settings]

  --ssid NAME          Wi-Fi network
  --password TEXT      Wi-Fi password ("-" reads it from standard input)
  --host-url URL       where the bridge is, e.g. ws://192.168.1.20:8765/device (empty: find it by mDNS)
  --token TOKEN        the board's token (must also be in the host's esp-live.json)
  --new-token          make a random token, write it, and print the line for esp-live.json
  --name NAME          the board's name
  --baud N             serial baud rate (default 921600)

With no settings it shows what the board has. Secrets are never read back.
`;

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.trim();
}

export async function provisionCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      port: { type: 'string' },
      baud: { type: 'string', default: '921600' },
      ssid: { type: 'string' },
      password: { type: 'string' },
      'host-url': { type: 'string' },
      token: { type: 'string' },
      'new-token': { type: 'boolean' },
      name: { type: 'string' },
    },
  });
  if (values.help || !values.port) {
    out(PROVISION_HELP);
    return values.help ? 0 : 2;
  }
  const token = values['new-token'] ? newDeviceToken() : values.token;
  const settings: BoardSettings = {
    wifiSsid: values.ssid,
    wifiPassword: values.password === '-' ? await readStdin() : values.password,
    hostUrl: values['host-url'],
    deviceToken: token,
    deviceName: values.name,
  };
  let link: SerialLink;
  try {
    link = await SerialLink.open({ path: values.port, baudRate: Number(values.baud) });
  } catch (error) {
    throw serialOpenError(values.port, error as Error);
  }
  try {
    const entries = await provision(link, settings);
    for (const entry of entries) out(`  ${describeEntry(entry)}`);
    if (values['new-token']) {
      out(`\nAdd this to "websocket": { "tokens": { … } } in esp-live.json on the host:`);
      out(`  ${JSON.stringify(token)}: ${JSON.stringify(values.name ?? 'board')}`);
    }
    return 0;
  } finally {
    link.close();
  }
}
