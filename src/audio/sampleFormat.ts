/**
 * Sample-format conversions between what devices deliver or accept and the s16 mono the
 * pipeline carries. Every function writes into a caller-provided output and returns it.
 */

/** s16 → float in [−1, 1). */
export function s16ToFloat(input: Int16Array, out: Float32Array = new Float32Array(input.length)): Float32Array {
  for (let i = 0; i < input.length; i++) out[i] = input[i] / 32768;
  return out;
}

/** float → s16, rounded and clamped. */
export function floatToS16(input: Float32Array, out: Int16Array = new Int16Array(input.length)): Int16Array {
  for (let i = 0; i < input.length; i++) {
    const v = Math.round(input[i] * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** Interleaved stereo → mono (mean of the two channels). */
export function stereoToMono(input: Int16Array, out: Int16Array = new Int16Array(input.length >> 1)): Int16Array {
  for (let i = 0; i < out.length; i++) out[i] = (input[2 * i] + input[2 * i + 1]) >> 1;
  return out;
}

/** Mono → interleaved stereo (both channels the same). */
export function monoToStereo(input: Int16Array, out: Int16Array = new Int16Array(input.length * 2)): Int16Array {
  for (let i = 0; i < input.length; i++) out[2 * i] = out[2 * i + 1] = input[i];
  return out;
}

/**
 * Volume in percent → linear gain: 0 is silence, 1 % is −50 dB and 100 % is 0 dB, evenly
 * spaced in dB so that each step sounds alike.
 */
export function volumeToGain(volumePercent: number): number {
  const p = Math.min(100, Math.max(0, volumePercent));
  return p === 0 ? 0 : 10 ** ((-50 * (100 - p)) / 99 / 20);
}

/** Level above which the soft clipper starts to bend, as a fraction of full scale. */
const KNEE = 0.75;

/**
 * Applies `gain` with a soft clipper: linear up to 75 % of full scale, then a tanh curve that
 * approaches full scale without ever reaching it, so loud peaks round off instead of wrapping
 * or cracking.
 */
export function applyGain(input: Int16Array, gain: number, out: Int16Array = new Int16Array(input.length)): Int16Array {
  const knee = KNEE * 32767;
  const room = 32767 - knee;
  for (let i = 0; i < input.length; i++) {
    const v = input[i] * gain;
    const a = Math.abs(v);
    const shaped = a <= knee ? a : knee + room * Math.tanh((a - knee) / room);
    out[i] = Math.round(v < 0 ? -shaped : shaped);
  }
  return out;
}

/**
 * s16 → unsigned 8-bit for the ESP32's built-in DAC (0x80 is silence), with TPDF dither: the
 * sum of two uniform random values of ±½ LSB each is added before rounding, which turns the
 * signal-correlated distortion of plain truncation into a steady, benign noise floor.
 */
export class U8Ditherer {
  private state: number;

  constructor(seed = 0x9e3779b9) {
    this.state = seed >>> 0 || 1;
  }

  /** A uniform value in [0, 1) (xorshift32). */
  private random(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }

  convert(input: Int16Array, out: Uint8Array = new Uint8Array(input.length)): Uint8Array {
    for (let i = 0; i < input.length; i++) {
      const dither = this.random() - this.random(); // triangular, ±1 LSB of 8 bits
      const v = Math.round(input[i] / 256 + dither) + 128;
      out[i] = v > 255 ? 255 : v < 0 ? 0 : v;
    }
    return out;
  }
}

/** s16 → unsigned 8-bit by plain rounding, no dither (for comparison; prefer U8Ditherer). */
export function s16ToU8(input: Int16Array, out: Uint8Array = new Uint8Array(input.length)): Uint8Array {
  for (let i = 0; i < input.length; i++) {
    const v = Math.round(input[i] / 256) + 128;
    out[i] = v > 255 ? 255 : v;
  }
  return out;
}

/** Unsigned 8-bit → s16. */
export function u8ToS16(input: Uint8Array, out: Int16Array = new Int16Array(input.length)): Int16Array {
  for (let i = 0; i < input.length; i++) out[i] = (input[i] - 128) << 8;
  return out;
}

/**
 * 32-bit I2S words → s16. An INMP441 (and most I2S MEMS microphones) sends 24 significant
 * bits left-justified in a 32-bit slot; `gainBits` shifts left first (each bit is +6 dB, for
 * quiet microphones), then the top 16 bits are taken with rounding and clamping.
 */
export function i2s32ToS16(input: Int32Array, gainBits = 0, out: Int16Array = new Int16Array(input.length)): Int16Array {
  const scale = 2 ** (gainBits - 16);
  for (let i = 0; i < input.length; i++) {
    const v = Math.round(input[i] * scale);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** Joins chunks of samples into one array (one copy). */
export function concatSamples(parts: readonly Int16Array[], total = parts.reduce((n, p) => n + p.length, 0)): Int16Array {
  const out = new Int16Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
