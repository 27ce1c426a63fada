import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Resampler } from '../src/audio/resampler.js';
import { fitSine, rms, sine, thdPlusNoiseDb, toDb } from '../src/audio/measure.js';

const PAIRS: [number, number, number][] = [
  // in, out, latency bound (ms)
  [24000, 16000, 4],
  [24000, 8000, 8],
  [24000, 22050, 4],
  [48000, 16000, 4],
  [44100, 16000, 4],
];

function resampleFloat(inRateHz: number, outRateHz: number, input: Float32Array, simd = true): Float32Array {
  return new Resampler({ inRateHz, outRateHz, simd }).process(input);
}

function toInt16(x: Float32Array): Int16Array {
  return Int16Array.from(x, (v) => Math.round(v * 32767));
}

/** Gain in dB of a tone through the resampler, measured on the output after the filter settles. */
function toneGainDb(inRateHz: number, outRateHz: number, frequencyHz: number): number {
  const amplitude = 0.5;
  const out = resampleFloat(inRateHz, outRateHz, sine(inRateHz, frequencyHz, 0.25, amplitude));
  const settle = Math.ceil(0.02 * outRateHz);
  return toDb(fitSine(out, outRateHz, frequencyHz, settle, out.length - settle).amplitude / amplitude);
}

/** Attenuation in dB of everything a tone above the output Nyquist leaves in the output. */
function stopbandDb(inRateHz: number, outRateHz: number, frequencyHz: number): number {
  const input = sine(inRateHz, frequencyHz, 0.2, 0.9);
  const out = resampleFloat(inRateHz, outRateHz, input);
  const settle = Math.ceil(0.02 * outRateHz);
  return toDb(rms(out, settle, out.length - settle) / rms(input));
}

describe.each(PAIRS)('resampler %i → %i Hz', (inRateHz, outRateHz, latencyBoundMs) => {
  const nyquist = Math.min(inRateHz, outRateHz) / 2;

  it('is flat within 0.1 dB peak to peak from 100 Hz to 0.9 × Nyquist', () => {
    const gains: number[] = [];
    for (let f = 100; f <= 0.9 * nyquist; f *= 1.12) gains.push(toneGainDb(inRateHz, outRateHz, f));
    gains.push(toneGainDb(inRateHz, outRateHz, 0.9 * nyquist));
    expect(Math.max(...gains) - Math.min(...gains)).toBeLessThanOrEqual(0.1);
  });

  it('attenuates every tone at or above the output Nyquist by at least 96 dB', () => {
    const worst: number[] = [];
    const top = inRateHz / 2 - 10;
    // Dense across the transition edge (Nyquist to 1.125 × Nyquist), then to the input Nyquist.
    for (let f = nyquist; f <= 1.125 * nyquist; f += nyquist / 200) worst.push(stopbandDb(inRateHz, outRateHz, f));
    for (let f = 1.125 * nyquist; f <= top; f += (top - 1.125 * nyquist) / 40) worst.push(stopbandDb(inRateHz, outRateHz, f));
    expect(Math.max(...worst)).toBeLessThanOrEqual(-96);
  });

  it('keeps THD+N of a 997 Hz tone at −1 dBFS ≤ −120 dB (float) and ≤ −94 dB (Int16)', () => {
    const amplitude = 10 ** (-1 / 20);
    const input = sine(inRateHz, 997, 0.5, amplitude);
    const settle = Math.ceil(0.02 * outRateHz);
    const outFloat = resampleFloat(inRateHz, outRateHz, input);
    expect(thdPlusNoiseDb(outFloat, outRateHz, 997, settle, outFloat.length - settle)).toBeLessThanOrEqual(-120);
    const outInt = new Resampler({ inRateHz, outRateHz }).process(toInt16(input));
    expect(thdPlusNoiseDb(outInt, outRateHz, 997, settle, outInt.length - settle)).toBeLessThanOrEqual(-94);
  });

  it(`delays by at most ${latencyBoundMs} ms, as it reports`, () => {
    const r = new Resampler({ inRateHz, outRateHz });
    const f = 100; // a period (10 ms) longer than any delay, so the phase is unambiguous
    const out = r.process(sine(inRateHz, f, 0.3, 0.5));
    const settle = Math.ceil(0.05 * outRateHz);
    // The output sine's phase lag against the input (phase 0 at t = 0) is the delay.
    const lagSeconds = -fitSine(out, outRateHz, f, settle, out.length).phase / (2 * Math.PI * f);
    const measuredMs = (((lagSeconds * f) % 1) + 1) % 1 / f * 1000;
    expect(measuredMs).toBeCloseTo(r.latencyMs, 2);
    expect(measuredMs).toBeLessThanOrEqual(latencyBoundMs);
  });

  it('turns every 20 ms chunk into exactly 20 ms of output, the first one included', () => {
    const r = new Resampler({ inRateHz, outRateHz });
    const chunk = toInt16(sine(inRateHz, 440, 0.02, 0.5));
    const out = new Int16Array(r.maxOutputSamples(chunk.length));
    for (let i = 0; i < 50; i++) expect(r.processInto(chunk, out)).toBe(outRateHz * 0.02);
  });

  it('gives bit-identical output for any chunking, 1-sample chunks included (SIMD and TypeScript)', () => {
    const input = toInt16(sine(inRateHz, 1234, 0.05, 0.8));
    for (const simd of [true, false]) {
      const whole = new Resampler({ inRateHz, outRateHz, simd }).process(input);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 30 }), (sizes) => {
          const r = new Resampler({ inRateHz, outRateHz, simd });
          const parts: number[] = [];
          let at = 0;
          for (let i = 0; at < input.length; i++) {
            const size = sizes[i % sizes.length];
            parts.push(...r.process(input.subarray(at, at + size)));
            at += size;
          }
          expect(Int16Array.from(parts)).toEqual(whole);
        }),
        { numRuns: 20 },
      );
      const r = new Resampler({ inRateHz, outRateHz, simd });
      const oneByOne: number[] = [];
      for (let i = 0; i < input.length; i++) oneByOne.push(...r.process(input.subarray(i, i + 1)));
      expect(Int16Array.from(oneByOne)).toEqual(whole);
    }
  });

  it('SIMD and TypeScript paths agree to within one LSB', () => {
    const input = toInt16(sine(inRateHz, 3000, 0.1, 0.9));
    const a = new Resampler({ inRateHz, outRateHz, simd: true }).process(input);
    const b = new Resampler({ inRateHz, outRateHz, simd: false }).process(input);
    expect(a.length).toBe(b.length);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThanOrEqual(1);
  });
});

describe('resampler stream control', () => {
  it('flush() delivers the tail: the output covers the whole input plus the filter delay', () => {
    const r = new Resampler({ inRateHz: 24000, outRateHz: 16000 });
    const input = new Float32Array(2400); // 100 ms of silence with a 1 kHz burst in the last 10 ms
    input.set(sine(24000, 1000, 0.01, 0.5), 2160);
    const body = r.process(input);
    const tail = r.flush(input);
    expect(body.length + tail.length).toBe(Math.ceil(((2400 + r.delayInputSamples) * 2) / 3));
    expect(rms(tail)).toBeGreaterThan(0.1); // the burst's delayed end is in the tail
    // After a flush the resampler starts over: the same input gives the same output.
    expect(r.process(input)).toEqual(body);
  });

  it('reset() drops state at once: the next chunk comes out as from a fresh resampler', () => {
    const fresh = new Resampler({ inRateHz: 24000, outRateHz: 16000 }).process(toInt16(sine(24000, 700, 0.02, 0.5)));
    const r = new Resampler({ inRateHz: 24000, outRateHz: 16000 });
    r.process(toInt16(sine(24000, 3000, 0.05, 0.9)));
    r.reset();
    expect(r.process(toInt16(sine(24000, 700, 0.02, 0.5)))).toEqual(fresh);
  });

  it('passes audio through unchanged when the rates are equal', () => {
    const input = toInt16(sine(16000, 440, 0.02, 0.5));
    const r = new Resampler({ inRateHz: 16000, outRateHz: 16000 });
    expect(r.process(input)).toEqual(input);
    expect(r.latencyMs).toBe(0);
  });

  it('works for upsampling too (16 → 24, 24 → 44.1, 24 → 48, 8 → 16 kHz): flat passband, THD+N ≤ −120 dB', () => {
    // Upsampling leaves THD+N at −124…−133 dB, above the downsampling pairs' −131…−144: the
    // tone's image (input rate − 997 Hz) then lies at ≈ 1.9 × the lower Nyquist, where this
    // filter's stopband is 124–130 dB down (not a rounding effect: f64 arithmetic gives the same).
    for (const [i, o] of [[16000, 24000], [24000, 44100], [24000, 48000], [8000, 16000]]) {
      expect(Math.abs(toneGainDb(i, o, 1000))).toBeLessThan(0.05);
      const out = resampleFloat(i, o, sine(i, 997, 0.3, 0.89));
      expect(thdPlusNoiseDb(out, o, 997, 1000, out.length - 1000)).toBeLessThanOrEqual(-120);
    }
  });

  it('refuses rates outside 8–48 kHz, naming the option', () => {
    expect(() => new Resampler({ inRateHz: 96000, outRateHz: 16000 })).toThrow(/inRateHz/);
    expect(() => new Resampler({ inRateHz: 16000, outRateHz: 7999 })).toThrow(/outRateHz/);
  });
});
