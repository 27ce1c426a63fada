/**
 * `--record DIR`: for every turn, a WAV of what the device's microphone sent to Gemini
 * (16 kHz, after the echo gate) and one of Gemini's reply (24 kHz), bounded at 2 minutes each.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concatSamples } from '../audio/sampleFormat.js';
import { writeWavS16 } from '../audio/wav.js';
import type { DeviceAgent } from './deviceAgent.js';

const MAX_SECONDS = 120;

class Take {
  private parts: Int16Array[] = [];
  private samples = 0;

  constructor(private readonly rateHz: number) {}

  add(samples: Int16Array): void {
    if (this.samples + samples.length > this.rateHz * MAX_SECONDS) return;
    this.parts.push(Int16Array.from(samples));
    this.samples += samples.length;
  }

  /** The take so far, and a fresh start. */
  take(): Int16Array {
    const out = concatSamples(this.parts, this.samples);
    this.parts = [];
    this.samples = 0;
    return out;
  }
}

export function recordTurns(agent: DeviceAgent, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const heard = new Take(16000);
  const reply = new Take(24000);
  let turn = 0;
  const safeId = agent.deviceId.replace(/[^\w.-]/g, '_');
  agent.on('heard', (s) => heard.add(s));
  agent.live.on('audio', (s) => reply.add(s));
  agent.on('turnComplete', () => {
    turn++;
    const base = join(dir, `${safeId}-${String(turn).padStart(4, '0')}`);
    writeFileSync(`${base}-heard.wav`, writeWavS16(heard.take(), 16000));
    writeFileSync(`${base}-reply.wav`, writeWavS16(reply.take(), 24000));
  });
}
