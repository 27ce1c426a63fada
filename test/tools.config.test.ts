/** The mcp and tools sections of esp-live.json: env placeholders, no secrets in the file, errors that name the field. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'esp-live-tools-config-'));
let n = 0;
function load(file: unknown, env: NodeJS.ProcessEnv = {}) {
  const path = join(dir, `c${n++}.json`);
  writeFileSync(path, JSON.stringify(file));
  return loadConfig(['--config', path], env).config;
}

describe('mcp and tools settings', () => {
  it('fills ${NAME} in headers and env from the environment', () => {
    const config = load(
      {
        mcp: {
          servers: [
            { name: 'home', url: 'http://ha.local:8123/api/mcp', headers: { Authorization: 'Bearer ${HA_TOKEN}' }, deny: ['HassTurnOff'], devices: ['kitchen'], behavior: 'NON_BLOCKING', tools: { HassLightSet: { scheduling: 'SILENT' } } },
            { name: 'files', command: 'npx', args: ['-y', 'server'], env: { ROOT: '${HOME_DIR}/notes' }, timeoutMs: 5000 },
          ],
        },
      },
      { HA_TOKEN: 'abc.def', HOME_DIR: '/home/pi' },
    );
    expect(config.mcp).toEqual([
      { name: 'home', endpoint: { url: 'http://ha.local:8123/api/mcp', headers: { Authorization: 'Bearer abc.def' } }, deny: ['HassTurnOff'], devices: ['kitchen'], behavior: 'NON_BLOCKING', tools: { HassLightSet: { scheduling: 'SILENT' } } },
      { name: 'files', endpoint: { command: 'npx', args: ['-y', 'server'], env: { ROOT: '/home/pi/notes' } }, timeoutMs: 5000 },
    ].map((s) => expect.objectContaining(s)));
    expect(config.hostTools).toMatchObject({ time: true, timers: true });
  });

  it('refuses a secret written into the file, a missing variable, and a server that is both or neither kind', () => {
    expect(() => load({ mcp: { servers: [{ name: 'home', url: 'http://x/mcp', headers: { Authorization: 'Bearer abc' } }] } })).toThrow(/mcp\.servers\[0\]\.headers\.Authorization must not hold a secret in the file: write \$\{NAME\}/);
    expect(() => load({ mcp: { servers: [{ name: 'home', url: 'http://x/mcp', headers: { Authorization: 'Bearer ${HA_TOKEN}' } }] } })).toThrow(/mcp\.servers\[0\]\.headers\.Authorization needs the environment variable HA_TOKEN, which is not set/);
    expect(() => load({ mcp: { servers: [{ name: 'x', url: 'http://x/mcp', command: 'y' }] } })).toThrow(/mcp\.servers\.0 needs either "command" \(a stdio server\) or "url"/);
    expect(() => load({ mcp: { servers: [{ name: 'x' }] } })).toThrow(/needs either "command"/);
    expect(() => load({ mcp: { servers: [{ name: 'a', command: 'x' }, { name: 'a', command: 'y' }] } })).toThrow(/mcp\.servers\[1\]\.name "a" is used by another server/);
    expect(() => load({ mcp: { servers: [{ name: 'a', command: 'x', scheduling: 'LATER' }] } })).toThrow(/mcp\.servers\.0\.scheduling must be INTERRUPT, WHEN_IDLE or SILENT/);
    expect(() => load({ tools: { timers: 'no' } })).toThrow(/tools\.timers must be true or false/);
  });

  it('switches host tools off', () => {
    expect(load({ tools: { time: false, timers: false } }).hostTools).toMatchObject({ time: false, timers: false });
  });
});
