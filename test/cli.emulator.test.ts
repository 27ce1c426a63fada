import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emulatorCommand } from '../src/commands/emulator.js';
import type { LiveEmulator } from '../src/emulator/server.js';
import { tmp } from './helpers/audioFiles.js';
import { rawSdkSession } from './helpers/live.js';

let running: LiveEmulator | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('esp-live emulator', () => {
  it('--help documents personas, the scenario format, faults, and what it does not reproduce', async () => {
    const lines: string[] = [];
    expect(await emulatorCommand(['--help'], (l) => lines.push(l))).toBeUndefined();
    const help = lines.join('\n');
    for (const word of ['echo', 'tone', 'scenario', 'toolCall', 'goAway', 'stall', '--reject-upgrades', '--close-after', '--silent-setup', 'does not reproduce', "NOT Google's service"]) {
      expect(help).toContain(word);
    }
  });

  it('starts with a scenario file and the faults it was given, and says it is an emulator', async () => {
    const file = join(tmp, 'scenario.json');
    writeFileSync(file, JSON.stringify({ turns: [{ say: 'scripted reply', durationMs: 200 }] }));
    const lines: string[] = [];
    running = await emulatorCommand(['--port', '0', '--persona', 'scenario', '--scenario', file, '--reject-upgrades', '1', '--api-key', 'K'], (l) => lines.push(l));
    expect(lines[0]).toMatch(/EMULATOR \(not Google's service\) listening on http:\/\/127\.0\.0\.1:\d+/);
    await expect(rawSdkSession(running!, {}, 'K')).rejects.toThrow(/429/);
    const live = await rawSdkSession(running!, { outputAudioTranscription: {} }, 'K');
    live.session.sendRealtimeInput({ text: 'go' });
    await live.waitFor((m) => m.serverContent?.turnComplete === true);
    expect(live.messages.map((m) => m.serverContent?.outputTranscription?.text ?? '').join('')).toBe('scripted reply');
  });

  it('refuses bad options by name', async () => {
    await expect(emulatorCommand(['--persona', 'poet'], () => undefined)).rejects.toThrow(/--persona/);
    await expect(emulatorCommand(['--persona', 'scenario'], () => undefined)).rejects.toThrow(/--scenario FILE/);
    await expect(emulatorCommand(['--realtime-factor', 'fast'], () => undefined)).rejects.toThrow(/--realtime-factor/);
    writeFileSync(join(tmp, 'bad.json'), JSON.stringify({ turns: [{ sya: 'typo' }] }));
    await expect(emulatorCommand(['--persona', 'scenario', '--scenario', join(tmp, 'bad.json')], () => undefined)).rejects.toThrow(/turns\[0\]\.sya is not a scenario field/);
  });
});
