/**
 * G.711 µ-law and A-law (ITU-T G.711): one byte per sample, 13/14-bit dynamic range, the
 * classic telephone codecs. Written from the standard's segment tables.
 */

/**
 * µ-law codes 14-bit samples: the s16 input is rounded to 14 bits first (as sox does), which
 * halves the error of plain truncation.
 */
export function linearToMulaw(sample: number): number {
  const v = (sample + 2) >> 2;
  const mask = v < 0 ? 0x7f : 0xff;
  const magnitude = Math.min(v < 0 ? -v : v, 8159) + 33;
  let segment = 0;
  while (magnitude >> (segment + 6)) segment++;
  return ((segment << 4) | ((magnitude >> (segment + 1)) & 0x0f)) ^ mask;
}

export function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << ((u >> 4) & 0x07)) - 0x84;
  return u & 0x80 ? -magnitude : magnitude;
}

/** A-law codes 13-bit samples (rounded from s16 like µ-law); even bits are inverted on the wire. */
export function linearToAlaw(sample: number): number {
  const v = (sample + 4) >> 3;
  const mask = v >= 0 ? 0xd5 : 0x55;
  const magnitude = Math.min(v >= 0 ? v : -v - 1, 0xfff);
  let segment = 0;
  while (magnitude >> (segment + 5)) segment++;
  const mantissa = (magnitude >> (segment < 2 ? 1 : segment)) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

export function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

const MULAW_DECODE = Int16Array.from({ length: 256 }, (_, b) => mulawToLinear(b));
const ALAW_DECODE = Int16Array.from({ length: 256 }, (_, b) => alawToLinear(b));

export function encodeMulaw(input: Int16Array, out: Uint8Array = new Uint8Array(input.length)): Uint8Array {
  for (let i = 0; i < input.length; i++) out[i] = linearToMulaw(input[i]);
  return out;
}

export function decodeMulaw(input: Uint8Array, out: Int16Array = new Int16Array(input.length)): Int16Array {
  for (let i = 0; i < input.length; i++) out[i] = MULAW_DECODE[input[i]];
  return out;
}

export function encodeAlaw(input: Int16Array, out: Uint8Array = new Uint8Array(input.length)): Uint8Array {
  for (let i = 0; i < input.length; i++) out[i] = linearToAlaw(input[i]);
  return out;
}

export function decodeAlaw(input: Uint8Array, out: Int16Array = new Int16Array(input.length)): Int16Array {
  for (let i = 0; i < input.length; i++) out[i] = ALAW_DECODE[input[i]];
  return out;
}
