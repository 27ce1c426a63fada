/**
 * This computer's microphone and speaker as a device, through real ALSA: an ~/.asoundrc (in a
 * temporary HOME) routes the default capture device to a file we fill with speech and the
 * default playback device to a file we read back.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rms } from '../src/audio/measure.js';
import { runCommand, type Running } from '../src/commands/run.js';
import { probeAlsa } from '../src/device/localAudio.js';
import { until } from './helpers/bridge.js';
import { spokenTurn } from './helpers/live.js';

const dir = mkdtempSync(join(tmpdir(), 'esp-live-alsa-'));
const originalHome = process.env.HOME;

function useAsoundrc(name: string, text: string): void {
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.asoundrc'), text);
  process.env.HOME = home;
}

let running: Running | undefined;
afterAll(async () => {
  await running?.stop();
  process.env.HOME = originalHome;
});

describe('local audio through ALSA', () => {
  it('refuses clearly, and stays up, when ALSA has no usable sound card', async () => {
    useAsoundrc('nocard', 'pcm.!default { type hw card 7 device 0 }\n');
    const problem = await probeAlsa();
    expect(problem?.code).toBe('AUDIO_DEVICE');
    expect(problem?.message).toMatch(/no usable sound output .*Plug in a USB headset/);
    const lines: string[] = [];
    running = await runCommand(['--no-serial', '--no-ws', '--local-audio'], (l) => lines.push(l), {});
    expect(lines.join('\n')).toMatch(/no usable sound output/);
    await running!.stop();
    running = undefined;
  });

  it('hears the microphone and plays the reply on the speaker', async () => {
    const mic = join(dir, 'mic.raw');
    const played = join(dir, 'played.raw');
    const turn = await spokenTurn();
    // The file plugin delivers the "recording" as fast as it can read it, not in real time;
    // the link passes on the first 5 s at real-time pace.
    const withSilence = new Int16Array(turn.length + 16000);
    withSilence.set(turn);
    writeFileSync(mic, Buffer.from(withSilence.buffer));
    useAsoundrc(
      'files',
      `pcm.!default { type asym playback.pcm "espout" capture.pcm "espin" }
pcm.espout { type file slave.pcm "null" file "${played}" format "raw" }
pcm.espin { type file slave.pcm "null" file "/dev/null" infile "${mic}" format "raw" }
`,
    );
    expect(await probeAlsa()).toBeUndefined();
    const lines: string[] = [];
    running = await runCommand(['--no-serial', '--no-ws', '--local-audio'], (l) => lines.push(l), {});
    await until(() => lines.some((l) => l.includes('assistant: You said something')), 20_000, 'the reply');
    await until(() => existsSync(played) && statSync(played).size > 24000 * 2, 10_000, 'audio at the speaker');
    await new Promise((r) => setTimeout(r, 1500));
    const bytes = readFileSync(played);
    const samples = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
    expect(rms(samples) / 32768).toBeGreaterThan(0.01); // the echoed speech, not silence
  });
});
