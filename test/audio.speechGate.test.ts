import { beforeAll, describe, expect, it } from 'vitest';
import { SpeechGate, type SpeechGateEvent, type SpeechGateOptions } from '../src/audio/speechGate.js';
import { whiteNoise } from './helpers/roomNoise.js';
import { background, CONDITIONS, type Corpus, evaluate, FRAME, mix, RATE, speechCorpus } from './helpers/speechGateEval.js';

let corpus: Corpus;
beforeAll(async () => {
  corpus = await speechCorpus();
});

/** Pushes `input` in chunks of `chunk`, then flushes; returns every event in order. */
function gateEvents(input: Int16Array, chunk: number, options: SpeechGateOptions = {}, gate = new SpeechGate(options), flush = true): SpeechGateEvent[] {
  const events: SpeechGateEvent[] = [];
  for (let at = 0; at < input.length; at += chunk) events.push(...gate.push(input.subarray(at, at + chunk)));
  if (flush) events.push(...gate.flush());
  return events;
}

/** Whether `actual` holds exactly `expected` (faster than toEqual on long arrays). */
function sameSamples(actual: Int16Array, expected: Int16Array): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) return false;
  return true;
}

/** What was sent, as [start, end) sample ranges of the input, merged; and closes' positions. */
function sentRanges(events: SpeechGateEvent[]): { ranges: [number, number][]; closes: number[] } {
  const ranges: [number, number][] = [];
  const closes: number[] = [];
  for (const e of events) {
    if (e.type === 'close') closes.push(e.atSample);
    if (e.type !== 'audio') continue;
    const last = ranges.at(-1);
    if (last && last[1] === e.atSample) last[1] += e.samples.length;
    else ranges.push([e.atSample, e.atSample + e.samples.length]);
  }
  return { ranges, closes };
}

const ms = (samples: number) => (1000 * samples) / RATE;

/**
 * A voice-like buzz at `dbfs` RMS: harmonics up to 4 kHz of a pitch gliding 120–180 Hz at 3 Hz,
 * as intonation does; `held` keeps the pitch at 150 Hz (a held note).
 */
function buzz(samples: number, dbfs: number, held = false): Float32Array {
  const out = new Float32Array(samples);
  let phase = 0;
  for (let i = 0; i < samples; i++) {
    const f0 = held ? 150 : 150 + 30 * Math.sin((2 * Math.PI * 3 * i) / RATE);
    phase += (2 * Math.PI * f0) / RATE;
    for (let h = 1; 180 * h < 4000; h++) out[i] += Math.sin(h * phase + h);
  }
  let power = 0;
  for (const v of out) power += v * v;
  const gain = (32768 * 10 ** (dbfs / 20)) / Math.sqrt(power / samples);
  return out.map((v) => v * gain);
}

/** Quiet white noise (−60 dBFS) with `parts` laid over it at sample offsets. */
function scene(seconds: number, parts: [number, Float32Array][]): Int16Array {
  const noise = whiteNoise(seconds * RATE, 3);
  const out = Float32Array.from(noise, (v) => v * 32.768);
  for (const [at, part] of parts) for (let i = 0; i < part.length; i++) out[at + i] += part[i];
  return Int16Array.from(out, (v) => Math.round(v));
}

describe('speech gate on espeak-ng speech in a room', () => {
  // The figures the bench prints. Goals where the gate meets them; honest bounds where not.
  // falseSent: frames sent farther from speech than the pre-roll and hangover reach (alone: all frames).
  const bounds: Record<string, { speechSent: number; falseSentMax: number; aloneMax: number; falseSentMin?: number }> = {
    white: { speechSent: 0.99, falseSentMax: 0.05, aloneMax: 0.05 },
    pink: { speechSent: 0.99, falseSentMax: 0.05, aloneMax: 0.05 },
    fan: { speechSent: 0.99, falseSentMax: 0.05, aloneMax: 0.05 },
    // Known limits: chord changes still look like speech (held chords do not: steadiness), and a
    // second voice is speech to this gate.
    music: { speechSent: 0.99, falseSentMax: 0.6, aloneMax: 0.35 },
    tv: { speechSent: 0.99, falseSentMax: 1, aloneMax: 1, falseSentMin: 0.95 },
  };
  for (const condition of CONDITIONS) {
    const name = `${condition.background} ${condition.snrDb === null ? 'alone' : `at ${condition.snrDb} dB SNR`}`;
    it(name, () => {
      const score = evaluate(corpus, condition);
      const bound = bounds[condition.background];
      if (condition.snrDb !== null) {
        expect(score.speechSent).toBeGreaterThanOrEqual(bound.speechSent);
        expect(score.onsetsClipped).toBe(0);
        expect(score.onsets).toBeGreaterThanOrEqual(8);
      }
      expect(score.falseSent).toBeLessThanOrEqual(condition.snrDb === null ? bound.aloneMax : bound.falseSentMax);
      if (bound.falseSentMin !== undefined) expect(score.falseSent).toBeGreaterThanOrEqual(bound.falseSentMin);
    });
  }
});

describe('speech gate', () => {
  it('sends the pre-roll before the first syllable, sample for sample', () => {
    const input = mix(corpus, background('pink', corpus), 10);
    const events = gateEvents(input, FRAME);
    for (const e of events) if (e.type === 'audio') expect(sameSamples(e.samples, input.subarray(e.atSample, e.atSample + e.samples.length))).toBe(true);
    const { ranges } = sentRanges(events);
    // Every utterance is sent from well before its first speech frame (the gate hears the
    // quietest first frames, 40 dB under the peak, only later: the pre-roll covers that).
    for (const start of corpus.utteranceStarts) {
      const first = corpus.isSpeech.indexOf(1, start / FRAME) * FRAME;
      const range = ranges.find(([from, to]) => from <= first && first < to);
      expect(range, `utterance at ${ms(first)} ms`).toBeDefined();
      expect(ms(first - range![0])).toBeGreaterThanOrEqual(250);
    }
    const open = events.find((e) => e.type === 'open');
    expect(open?.detail).toMatch(/^speech .* dB over the floor .* pre-roll 400 ms$/);
  });

  it('holds the hangover after the last speech frame, then closes once', () => {
    const burstAt = 2 * RATE;
    const burstSamples = 25 * FRAME; // 500 ms
    const input = scene(5, [[burstAt, buzz(burstSamples, -20)]]);
    for (const hangoverMs of [600, 1000]) {
      const events = gateEvents(input, FRAME, { hangoverMs });
      const closes = events.filter((e) => e.type === 'close');
      expect(closes).toHaveLength(1);
      expect(closes[0]).toMatchObject({ reason: 'hangover', atSample: burstAt + burstSamples + (hangoverMs * RATE) / 1000 });
      const { ranges } = sentRanges(events);
      expect(ranges).toEqual([[burstAt - 400 * 16, burstAt + burstSamples + hangoverMs * 16]]);
    }
  });

  it('ends the stream once per open, after the audio it ends', () => {
    const input = mix(corpus, background('fan', corpus), 10);
    const events = gateEvents(input, 1000);
    let open = false;
    let opens = 0;
    for (const e of events) {
      if (e.type === 'open') expect(open).toBe(false);
      if (e.type === 'audio') expect(open).toBe(true);
      if (e.type === 'close') expect(open).toBe(true);
      if (e.type === 'open') opens++;
      if (e.type !== 'audio') open = e.type === 'open';
    }
    expect(opens).toBeGreaterThanOrEqual(corpus.utteranceStarts.length - 2);
    expect(events.filter((e) => e.type === 'close')).toHaveLength(opens);
  });

  it('sends the same samples and closes at the same places whatever the chunk size', () => {
    const input = mix(corpus, background('white', corpus), 5).subarray(0, 15 * RATE);
    const reference = sentRanges(gateEvents(input, FRAME));
    expect(reference.ranges.length).toBeGreaterThanOrEqual(3);
    for (const chunk of [1, 7, 160, 333, 4096, input.length]) expect(sentRanges(gateEvents(input, chunk)), `chunks of ${chunk}`).toEqual(reference);
  });

  it('passes audio through as views of the input, and copies only the pre-roll', () => {
    const input = mix(corpus, background('white', corpus), 20);
    const events = gateEvents(input, input.length);
    const audio = events.filter((e) => e.type === 'audio');
    const views = audio.filter((e) => e.samples.buffer === input.buffer);
    expect(views.length).toBeGreaterThan(0);
    // The only copies are the pre-rolls, one per open, each at most pre-roll + the speech that opened.
    const copies = audio.filter((e) => e.samples.buffer !== input.buffer);
    expect(copies).toHaveLength(events.filter((e) => e.type === 'open').length);
    for (const copy of copies) expect(copy.samples.length).toBeLessThanOrEqual((400 + 60) * 16);
  });

  it('keeps bounded memory: however long it was closed, the pre-roll is the last pre-roll', () => {
    // 20 s of quiet, pushed a second at a time, then speech: what is sent before the speech
    // is exactly the configured pre-roll, and the pushed chunks are not kept (they are reused).
    const gate = new SpeechGate({ preRollMs: 300 });
    const chunk = new Int16Array(RATE);
    const quiet = scene(20, []);
    for (let at = 0; at < quiet.length; at += RATE) {
      chunk.set(quiet.subarray(at, at + RATE));
      expect(gate.push(chunk)).toHaveLength(0);
    }
    const speechAt = 20 * RATE;
    chunk.set(Int16Array.from(buzz(RATE, -20), Math.round));
    const events = gate.push(chunk);
    const preRoll = events.find((e) => e.type === 'audio')!;
    expect(preRoll.atSample).toBe(speechAt - 300 * 16);
    expect(sameSamples(preRoll.samples.subarray(0, 300 * 16), quiet.subarray(quiet.length - 300 * 16))).toBe(true);
    expect(gate.stats.framesIn).toBe(21 * 50);
  });

  it('ignores a click shorter than minSpeechMs', () => {
    const click = buzz(FRAME, -10);
    const input = scene(4, [[2 * RATE, click]]);
    expect(gateEvents(input, FRAME).filter((e) => e.type === 'open')).toHaveLength(0);
    expect(gateEvents(input, FRAME, { minSpeechMs: 20 }).filter((e) => e.type === 'open')).toHaveLength(1);
  });

  it('does not take muted frames (digital silence, as the echo gate sends) for the room', () => {
    const room = mix(corpus, background('pink', corpus), null).subarray(0, 6 * RATE);
    const input = room.slice();
    input.fill(0, 2 * RATE, 4 * RATE); // a reply played: the echo gate muted the microphone
    expect(gateEvents(input, FRAME).filter((e) => e.type === 'open')).toHaveLength(0);
  });

  it('does not open on a held tone, however loud', () => {
    const input = scene(5, [[2 * RATE, buzz(2 * RATE, -15, true)]]);
    expect(gateEvents(input, FRAME).filter((e) => e.type === 'open')).toHaveLength(0);
    expect(gateEvents(input, FRAME, { maxSteadiness: 2 }).filter((e) => e.type === 'open')).toHaveLength(1);
  });

  it('passes everything in bypass (push-to-talk), without opening or closing', () => {
    const input = mix(corpus, background('pink', corpus), 10).subarray(0, 10 * RATE);
    const events = gateEvents(input, 500, { bypass: true });
    expect(events.every((e) => e.type === 'audio')).toBe(true);
    expect(sentRanges(events).ranges).toEqual([[0, input.length]]);

    // Push-to-talk pressed while the gate is open closes it; released, the gate works again.
    const gate = new SpeechGate();
    const utterance = corpus.utteranceStarts[0];
    gateEvents(input.subarray(0, utterance + 8000), 320, {}, gate, false);
    expect(gate.open).toBe(true);
    expect(gate.setBypass(true)).toMatchObject([{ type: 'close', reason: 'bypass' }]);
    expect(gate.setBypass(true)).toHaveLength(0);
    expect(gate.setBypass(false)).toHaveLength(0);
    expect(gate.open).toBe(false);
    const later = gateEvents(input.subarray(utterance + 8000), 320, {}, gate);
    expect(later.filter((e) => e.type === 'open').length).toBeGreaterThanOrEqual(1);
  });

  it('counts frames in, frames sent and opens', () => {
    const input = mix(corpus, background('white', corpus), 10);
    const gate = new SpeechGate();
    const events = gateEvents(input, 640, {}, gate);
    const sentSamples = events.reduce((sum, e) => sum + (e.type === 'audio' ? e.samples.length : 0), 0);
    expect(gate.stats).toEqual({ framesIn: Math.floor(input.length / FRAME), framesSent: sentSamples / FRAME, opens: events.filter((e) => e.type === 'open').length });
  });

  it('rejects bad options with an error that names them', () => {
    expect(() => new SpeechGate({ preRollMs: -1 })).toThrow(/preRollMs/);
    expect(() => new SpeechGate({ hangoverMs: Number.NaN })).toThrow(/hangoverMs/);
  });
});
