/**
 * `--record DIR`: for every turn, a WAV of what the device's microphone sent to Gemini
 * (16 kHz, after the echo gate) and one of Gemini's reply (24 kHz), bounded at 2 minutes each.
 * Both are written as the audio arrives (a crash leaves valid files, the interrupted turn
 * included) and never over an existing file: names carry the time the recorder started.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WavWriter } from '../audio/wavWriter.js';
import type { DeviceAgent } from './deviceAgent.js';

const MAX_SECONDS = 120;

/** The local time as 20261130-054512, for file names that sort by time. */
function stamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

export function recordTurns(agent: DeviceAgent, dir: string, log: (line: string) => void): void {
  mkdirSync(dir, { recursive: true });
  const prefix = join(dir, `${agent.deviceId.replace(/[^\w.-]/g, '_')}-${stamp(new Date())}`);
  let turn = 1;
  let heard: WavWriter | undefined;
  let reply: WavWriter | undefined;
  const onError = (error: Error) => log(`recording stopped: ${error.message}`);
  const file = (kind: string, rateHz: number) => new WavWriter(`${prefix}-${String(turn).padStart(4, '0')}-${kind}.wav`, rateHz, onError);
  agent.on('heard', (s) => {
    heard ??= file('heard', 16000);
    if (heard.seconds < MAX_SECONDS) heard.write(s);
  });
  agent.live.on('audio', (s) => {
    reply ??= file('reply', 24000);
    if (reply.seconds < MAX_SECONDS) reply.write(s);
  });
  agent.on('turnComplete', () => {
    void heard?.close();
    void reply?.close();
    heard = reply = undefined;
    turn++;
  });
}
