/** The host's end-of-speech detector, tuned on espeak-ng speech and on noise (sox). */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeech } from '../src/audio/speech.js';
import { parseWav, wavS16Samples } from '../src/audio/wav.js';
import { SpeechDetector, type SpeechEvent } from '../src/live/speechDetector.js';
import { sox, tmp } from './helpers/audioFiles.js';

const RATE = 16000;

function noise(kind: 'whitenoise' | 'pinknoise' | 'brownnoise', seconds: number, volume: number): Int16Array {
  const path = join(tmp, `${kind}-${volume}.wav`);
  sox('-R', '-n', '-r', String(RATE), '-b', '16', '-c', '1', path, 'synth', String(seconds), kind, 'vol', String(volume));
  return wavS16Samples(parseWav(readFileSync(path)));
}

/** Adds `b` (looped) to `a`, saturating. */
function mix(a: Int16Array, b: Int16Array): Int16Array {
  return Int16Array.from(a, (x, i) => Math.max(-32768, Math.min(32767, x + b[i % b.length])));
}

function detect(samples: Int16Array, chunk = 640): SpeechEvent[] {
  const d = new SpeechDetector();
  const events: SpeechEvent[] = [];
  for (let at = 0; at < samples.length; at += chunk) events.push(...d.push(samples.subarray(at, at + chunk)));
  return events;
}

const silence = (seconds: number) => new Int16Array(seconds * RATE);
const join3 = (...parts: Int16Array[]) => {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

describe('SpeechDetector', () => {
  let one: Int16Array;
  let two: Int16Array;
  beforeAll(async () => {
    one = await synthesizeSpeech('Please turn on the light in the kitchen.', RATE);
    two = await synthesizeSpeech('What is the weather like tomorrow morning?', RATE);
  });

  it('finds each utterance once, its start before the words and its end after them', () => {
    const stream = join3(silence(1), one, silence(2), two, silence(2));
    const events = detect(stream);
    expect(events.map((e) => e.type)).toEqual(['start', 'end', 'start', 'end']);
    const firstLoud = (s: Int16Array, from: number) => from + s.findIndex((x) => Math.abs(x) > 1000);
    expect(events[0].atSample).toBeLessThanOrEqual(firstLoud(one, RATE));
    expect(events[1].atSample).toBeGreaterThan(RATE + one.length - RATE * 0.5);
    expect(events[2].atSample).toBeLessThanOrEqual(firstLoud(two, RATE * 3 + one.length));
  });

  it('still finds them in steady noise 20 dB below the speech', () => {
    // Volumes that put each noise near −40 dBFS, the speech being about −21 dBFS.
    for (const [kind, volume] of [['whitenoise', 0.03], ['pinknoise', 0.045], ['brownnoise', 0.018]] as const) {
      const bed = noise(kind, 3, volume);
      const events = detect(mix(join3(silence(1), one, silence(2), two, silence(2)), bed));
      const where = events.map((e) => `${e.type}@${(e.atSample / RATE).toFixed(2)}`).join(' ');
      expect(events.map((e) => e.type), `${kind}: ${where}`).toEqual(['start', 'end', 'start', 'end']);
    }
  });

  it('hears no speech in noise alone, quiet or loud', () => {
    for (const kind of ['whitenoise', 'pinknoise', 'brownnoise'] as const) {
      for (const volume of [0.003, 0.05, 0.3]) expect(detect(noise(kind, 4, volume)), `${kind} ${volume}`).toEqual([]);
    }
  });

  it('ends an utterance in progress when the stream stops', () => {
    const d = new SpeechDetector();
    d.push(one.subarray(0, one.length >> 1));
    expect(d.speaking).toBe(true);
    expect(d.end()?.type).toBe('end');
    expect(d.end()).toBeUndefined();
  });
});
