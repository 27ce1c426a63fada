import { describe, expect, it } from 'vitest';
import { EnergyVad, peakDbfs, rmsDbfs } from '../src/audio/level.js';
import { fitSine, sine } from '../src/audio/measure.js';
import {
  applyGain,
  floatToS16,
  i2s32ToS16,
  monoToStereo,
  s16ToFloat,
  s16ToU8,
  stereoToMono,
  U8Ditherer,
  u8ToS16,
  volumeToGain,
} from '../src/audio/sampleFormat.js';
import { synthesizeSpeech } from '../src/audio/speech.js';

const tone = (hz: number, seconds: number, amplitude: number, rate = 16000) => floatToS16(sine(rate, hz, seconds, amplitude));

describe('sample formats', () => {
  it('s16 → float → s16 is lossless', () => {
    const x = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    expect(floatToS16(s16ToFloat(x))).toEqual(x);
  });

  it('stereo → mono averages the channels; mono → stereo duplicates', () => {
    expect(stereoToMono(Int16Array.from([100, 300, -32768, -32768, 32767, 32767]))).toEqual(Int16Array.from([200, -32768, 32767]));
    expect(monoToStereo(Int16Array.from([1, -2]))).toEqual(Int16Array.from([1, 1, -2, -2]));
  });

  it('volume maps 100 % to 0 dB, 50 % to about −25 dB, 0 % to silence', () => {
    expect(volumeToGain(100)).toBe(1);
    expect(20 * Math.log10(volumeToGain(50))).toBeCloseTo(-25.25, 1);
    expect(volumeToGain(0)).toBe(0);
    expect(volumeToGain(250)).toBe(1);
  });

  it('gain is linear below the knee and soft-clips above it without wrapping', () => {
    const quiet = tone(440, 0.1, 0.25);
    const fit = fitSine(applyGain(quiet, 2), 16000, 440);
    expect(fit.amplitude / 32768).toBeCloseTo(0.5, 3);
    const loud = applyGain(tone(440, 0.1, 0.9), 4); // 3.6 × full scale
    expect(Math.max(...loud)).toBeLessThanOrEqual(32767);
    expect(Math.min(...loud)).toBeGreaterThanOrEqual(-32767);
    // No wrap-around: the sign of every sample follows the input's.
    const input = tone(440, 0.1, 0.9);
    expect(loud.every((v, i) => Math.sign(v) === Math.sign(input[i]))).toBe(true);
  });

  it('8-bit DAC output with TPDF dither beats plain rounding on a quiet tone', () => {
    // A −40 dBFS tone: with plain rounding the error is distortion locked to the signal.
    const input = tone(997, 1, 0.01);
    const plain = u8ToS16(s16ToU8(input));
    const dithered = u8ToS16(new U8Ditherer().convert(input));
    // Dither keeps the tone's amplitude right (rounding loses it to the 8-bit staircase) ...
    const plainFit = fitSine(plain, 16000, 997);
    const ditherFit = fitSine(dithered, 16000, 997);
    expect(Math.abs(ditherFit.amplitude / 327.68 - 1)).toBeLessThan(0.03);
    expect(Math.abs(plainFit.amplitude / 327.68 - 1)).toBeGreaterThan(0.03);
    // ... and its error is uncorrelated noise, not harmonics: no error component at 3 × 997 Hz.
    const harmonic = (y: Int16Array) => fitSine(Int16Array.from(y, (v, i) => v - input[i]), 16000, 2991).amplitude;
    expect(harmonic(dithered)).toBeLessThan(harmonic(plain) / 4);
  });

  it('u8 silence is 0x80 and full scale survives', () => {
    expect(s16ToU8(Int16Array.from([0, 32767, -32768]))).toEqual(Uint8Array.from([128, 255, 0]));
    expect(u8ToS16(Uint8Array.from([128, 255, 0]))).toEqual(Int16Array.from([0, 32512, -32768]));
  });

  it('INMP441 32-bit left-justified words become s16, with optional gain and clamping', () => {
    // 24-bit sample 0x123456 left-justified: 0x12345600.
    expect(i2s32ToS16(Int32Array.from([0x12345600, -0x12345600, 0x7fffff00, -0x80000000]))).toEqual(
      Int16Array.from([0x1234, -0x1234, 32767, -32768]), // 0x5600 left over rounds down
    );
    expect(i2s32ToS16(Int32Array.from([0x01000000, 0x40000000]), 2)).toEqual(Int16Array.from([0x0400, 32767]));
  });

  it('rounds I2S words half up, as floor((word << gain) / 2^16 + 1/2): the firmware mic path computes the same', () => {
    // The host never sees 32-bit words (boards send s16); this is the model of the board's
    // conversion, in C: clamp((((int64_t)word << gain) + 0x8000) >> 16).
    expect(i2s32ToS16(Int32Array.from([0x8000, 0x7fff, -0x8000, -0x8001, 0x17fff, 0x18000]))).toEqual(Int16Array.from([1, 0, 0, -1, 1, 2]));
    expect(i2s32ToS16(Int32Array.from([0x4000, -0x4001, 0x7fff8000]), 1)).toEqual(Int16Array.from([1, -1, 32767]));
  });
});

describe('levels and voice activity', () => {
  it('measures RMS and peak in dBFS', () => {
    const t = tone(1000, 0.1, 0.5);
    expect(peakDbfs(t)).toBeCloseTo(-6.02, 1);
    expect(rmsDbfs(t)).toBeCloseTo(-9.03, 1);
    expect(rmsDbfs(new Int16Array(320))).toBe(-120);
  });

  it('finds the spoken part of a recording with steady background noise', async () => {
    const rate = 16000;
    const words = await synthesizeSpeech('Hello, what is the weather like today?', rate);
    const lead = rate; // 1 s of noise before and after
    const signal = new Int16Array(lead + words.length + lead);
    let seed = 1;
    for (let i = 0; i < signal.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      signal[i] = ((seed >>> 16) % 200) - 100; // about −55 dBFS of hiss
    }
    for (let i = 0; i < words.length; i++) signal[lead + i] += words[i];
    const vad = new EnergyVad();
    const events: [string, number][] = [];
    for (let at = 0; at + 320 <= signal.length; at += 320) {
      const e = vad.push(signal.subarray(at, at + 320));
      if (e) events.push([e, at / rate]);
    }
    expect(events.map((e) => e[0])).toEqual(['speechStart', 'speechEnd']);
    const [start, end] = events.map((e) => e[1]);
    const speechEnd = (lead + words.length) / rate;
    expect(start).toBeGreaterThan(0.95);
    expect(start).toBeLessThan(1.3);
    expect(end).toBeGreaterThan(speechEnd - 0.3); // the hangover carries it past the last word
    expect(end).toBeLessThan(speechEnd + 0.7);
  });

  it('does not call a loud steady hum speech after it has settled', () => {
    const vad = new EnergyVad();
    const hum = tone(100, 5, 0.01);
    let starts = 0;
    for (let at = 0; at + 320 <= hum.length; at += 320) if (vad.push(hum.subarray(at, at + 320)) === 'speechStart') starts++;
    expect(starts).toBeLessThanOrEqual(1);
    expect(vad.speaking).toBe(false);
  });
});

