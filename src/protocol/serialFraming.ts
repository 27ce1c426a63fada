/**
 * Serial framing (PROTOCOL.md §2): COBS(message ‖ CRC-16 little-endian) ‖ 0x00, and a
 * streaming decoder that resynchronises on the next 0x00 after any damage.
 */
import { cobsDecodeInto, cobsEncodeInto, cobsMaxEncodedBytes } from './cobs.js';
import { crc16 } from './crc16.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { MAX_MESSAGE_BYTES, type Message } from './messages.js';

/** Largest frame on the wire, delimiter included: 2060 bytes. */
export const MAX_FRAME_BYTES = cobsMaxEncodedBytes(MAX_MESSAGE_BYTES + 2) + 1;

/** Frames already-encoded message bytes. */
export function frameBytes(message: Uint8Array): Buffer {
  const withCrc = Buffer.allocUnsafe(message.length + 2);
  withCrc.set(message);
  withCrc.writeUInt16LE(crc16(message), message.length);
  const out = Buffer.allocUnsafe(cobsMaxEncodedBytes(withCrc.length) + 1);
  const end = cobsEncodeInto(withCrc, out);
  out[end] = 0;
  return out.subarray(0, end + 1);
}

export function encodeFrame(message: Message, maxMessageBytes = MAX_MESSAGE_BYTES): Buffer {
  return frameBytes(encodeMessage(message, maxMessageBytes));
}

export interface FrameStats {
  /** Messages decoded and delivered. */
  messages: number;
  badCrc: number;
  oversize: number;
  malformed: number;
  /** Well-formed frames whose message type this version does not know (skipped). */
  unknown: number;
}

/**
 * Turns a serial byte stream into messages. Accepts chunks of any size; one byte at a time or
 * 64 KiB at a time gives the same messages. Never throws on bad input and never holds more than
 * MAX_FRAME_BYTES of a frame.
 */
export class SerialFrameDecoder {
  readonly stats: FrameStats = { messages: 0, badCrc: 0, oversize: 0, malformed: 0, unknown: 0 };
  /** Bytes of a frame that began in an earlier chunk. */
  private readonly partial = new Uint8Array(MAX_FRAME_BYTES);
  private partialBytes = 0;
  /** True while skipping the rest of an oversize frame. */
  private skipping = false;

  constructor(private readonly onMessage: (message: Message) => void) {}

  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length) {
      const zero = chunk.indexOf(0, start);
      const end = zero < 0 ? chunk.length : zero;
      if (zero >= 0 && this.partialBytes === 0 && !this.skipping) {
        this.finishFrame(chunk, start, end); // the whole frame is in this chunk: decode in place
      } else {
        this.append(chunk, start, end);
        if (zero >= 0) {
          if (!this.skipping) this.finishFrame(this.partial, 0, this.partialBytes);
          this.partialBytes = 0;
          this.skipping = false;
        }
      }
      if (zero < 0) return;
      start = zero + 1;
    }
  }

  /** Forgets a frame in progress (e.g. after the link was re-opened). */
  reset(): void {
    this.partialBytes = 0;
    this.skipping = false;
  }

  private append(chunk: Uint8Array, start: number, end: number): void {
    if (this.skipping) return;
    const length = end - start;
    // The delimiter still has to fit, so a frame body may use MAX_FRAME_BYTES - 1 bytes.
    if (this.partialBytes + length > MAX_FRAME_BYTES - 1) {
      this.stats.oversize++;
      this.skipping = true;
      this.partialBytes = 0;
      return;
    }
    this.partial.set(chunk.subarray(start, end), this.partialBytes);
    this.partialBytes += length;
  }

  private finishFrame(src: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (length === 0) return; // empty frame between two delimiters: ignored
    if (length > MAX_FRAME_BYTES - 1) {
      this.stats.oversize++;
      return;
    }
    // Each message gets its own buffer so that audio payloads can be views into it.
    const decoded = Buffer.allocUnsafe(length);
    const decodedBytes = cobsDecodeInto(src, start, end, decoded);
    if (decodedBytes < 3) {
      this.stats.malformed++;
      return;
    }
    const messageBytes = decodedBytes - 2;
    if (messageBytes > MAX_MESSAGE_BYTES) {
      this.stats.oversize++;
      return;
    }
    if (crc16(decoded, 0, messageBytes) !== decoded.readUInt16LE(messageBytes)) {
      this.stats.badCrc++;
      return;
    }
    const result = decodeMessage(decoded.subarray(0, messageBytes));
    if (!result.ok) {
      this.stats[result.reason]++;
      return;
    }
    this.stats.messages++;
    this.onMessage(result.message);
  }
}
