/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker). Encoding removes every 0x00 so that
 * 0x00 can delimit frames; see firmware/PROTOCOL.md §2 and §6.
 */

/** Largest encoded size of `length` bytes (without the delimiter). */
export function cobsMaxEncodedBytes(length: number): number {
  return length + 1 + Math.floor(length / 254);
}

/** Encodes `src` into `dst` at `offset`; returns the offset after the last byte written. */
export function cobsEncodeInto(src: Uint8Array, dst: Uint8Array, offset = 0): number {
  let codeAt = offset;
  let out = offset + 1;
  let code = 1;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i];
    if (byte === 0) {
      dst[codeAt] = code;
      codeAt = out++;
      code = 1;
      continue;
    }
    dst[out++] = byte;
    if (++code === 0xff) {
      dst[codeAt] = code;
      if (i === src.length - 1) return out; // a full block at the very end needs no code byte
      codeAt = out++;
      code = 1;
    }
  }
  dst[codeAt] = code;
  return out;
}

export function cobsEncode(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(cobsMaxEncodedBytes(src.length));
  return dst.subarray(0, cobsEncodeInto(src, dst));
}

/**
 * Decodes `src[start, end)` (one frame, no delimiter) into `dst`. Returns the decoded length,
 * or -1 if the encoding is invalid (a zero byte, or a code pointing past the end).
 * `dst` must hold at least `end - start` bytes; it may be `src` itself with `start` = 0.
 */
export function cobsDecodeInto(src: Uint8Array, start: number, end: number, dst: Uint8Array): number {
  let out = 0;
  let i = start;
  while (i < end) {
    const code = src[i++];
    if (code === 0) return -1;
    const blockEnd = i + code - 1;
    if (blockEnd > end) return -1;
    while (i < blockEnd) {
      const byte = src[i++];
      if (byte === 0) return -1;
      dst[out++] = byte;
    }
    if (code !== 0xff && i < end) dst[out++] = 0;
  }
  return out;
}

export function cobsDecode(src: Uint8Array): Uint8Array | undefined {
  const dst = new Uint8Array(src.length);
  const length = cobsDecodeInto(src, 0, src.length, dst);
  return length < 0 ? undefined : dst.subarray(0, length);
}
