/** Shared set-up for Live tests: an emulator, a session pointed at it, and a speaking user. */
import { GoogleGenAI, Modality, type LiveConnectConfig, type LiveServerMessage } from '@google/genai';
import { synthesizeSpeech } from '../../src/audio/speech.js';
import { validateLiveConfig, type LiveConfig } from '../../src/live/config.js';
import { LiveSession, type LiveState } from '../../src/live/session.js';
import { expect } from 'vitest';
import { LiveEmulator, type EmulatorOptions } from '../../src/emulator/server.js';
import type { TypedEmitter } from '../../src/typedEmitter.js';
import type { Clock } from '../../src/clock.js';

const emulators: LiveEmulator[] = [];
const sessions: LiveSession[] = [];

export async function startEmulator(options: EmulatorOptions = {}): Promise<LiveEmulator> {
  const emu = new LiveEmulator(options);
  await emu.start();
  emulators.push(emu);
  return emu;
}

export function sessionFor(emu: LiveEmulator, overrides: Partial<LiveConfig> = {}, clock?: Clock): LiveSession {
  const session = new LiveSession({ config: validateLiveConfig({ apiKey: 'TEST_KEY', baseUrl: emu.baseUrl, ...overrides }), clock });
  sessions.push(session);
  return session;
}

export async function cleanup(): Promise<void> {
  for (const s of sessions.splice(0)) s.close();
  for (const e of emulators.splice(0)) await e.close();
}

let utterance: Promise<Int16Array> | undefined;
/** "Please turn on the light" at 16 kHz, followed by a second of silence. */
export async function spokenTurn(): Promise<Int16Array> {
  const words = await (utterance ??= synthesizeSpeech('Please turn on the light.', 16000));
  const out = new Int16Array(words.length + 16000);
  out.set(words);
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Feeds audio to `send` in 20 ms chunks, `speed` times faster than real time. */
export async function talk(send: (chunk: Int16Array) => void, samples: Int16Array, speed = 4): Promise<void> {
  for (let at = 0; at < samples.length; at += 320) {
    send(samples.subarray(at, at + 320));
    if ((at / 320) % speed === 0) await sleep(20);
  }
}

export async function until(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function nextEvent<E extends Record<string, unknown[]>, K extends keyof E & string>(
  emitter: TypedEmitter<E>,
  event: K,
  timeoutMs = 10_000,
  predicate: (...args: E[K]) => boolean = () => true,
): Promise<E[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: E[K]) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    emitter.on(event, listener);
  });
}


/** The real SDK, connected straight to the emulator, recording every message. */
export async function rawSdkSession(emu: LiveEmulator, config: LiveConnectConfig = {}, apiKey = 'TEST_KEY', apiVersion = 'v1beta') {
  const messages: LiveServerMessage[] = [];
  const closes: { code: number; reason: string }[] = [];
  const ai = new GoogleGenAI({ apiKey, httpOptions: { baseUrl: emu.baseUrl, apiVersion } });
  const session = await ai.live.connect({
    model: 'gemini-3.8-live',
    config: { responseModalities: [Modality.AUDIO], ...config },
    callbacks: { onmessage: (m) => messages.push(m), onclose: (e: { code: number; reason: string }) => closes.push({ code: e.code, reason: e.reason }), onerror: () => undefined },
  });
  const waitFor = async (predicate: (m: LiveServerMessage) => boolean, timeoutMs = 10_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = messages.find(predicate);
      if (found) return found;
      if (Date.now() > until) throw new Error('message did not arrive');
      await sleep(10);
    }
  };
  const sendPcm = (chunk: Int16Array) =>
    session.sendRealtimeInput({ audio: { data: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('base64'), mimeType: 'audio/pcm;rate=16000' } });
  return { ai, session, messages, closes, waitFor, sendPcm };
}

/** A quiet mic signal (no speech to the detectors, −65 dBFS) whose samples count, so gaps and repeats show. */
export function counting(from: number, samples: number): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => ((from + i) % 64) - 32);
}

export function collect(session: LiveSession) {
  const seen = { audioSamples: 0, turns: 0, interrupted: 0, states: [] as LiveState[], errors: [] as string[], output: '' };
  session.on('audio', (s, rate) => {
    expect(rate).toBe(24000);
    seen.audioSamples += s.length;
  });
  session.on('turnComplete', () => seen.turns++);
  session.on('interrupted', () => seen.interrupted++);
  session.on('state', (s) => seen.states.push(s));
  session.on('error', (e) => seen.errors.push(e.code));
  session.on('outputTranscript', (t) => (seen.output += t));
  return seen;
}

