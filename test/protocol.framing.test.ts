import fc from 'fast-check';
import cobs from 'cobs';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../src/protocol/codec.js';
import { encodeFrame, frameBytes, MAX_FRAME_BYTES, SerialFrameDecoder } from '../src/protocol/serialFraming.js';
import { MessageType, type Message, type MessageName } from '../src/protocol/messages.js';
import { anyMessage, messageArbitrary } from './helpers/messageArbitraries.js';

function decodeAll(chunks: Uint8Array[]): { messages: Message[]; decoder: SerialFrameDecoder } {
  const messages: Message[] = [];
  const decoder = new SerialFrameDecoder((m) => messages.push(m));
  for (const chunk of chunks) decoder.push(chunk);
  return { messages, decoder };
}

/** Splits `bytes` at the given cut points. */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

/** An independent check of a frame body: the npm `cobs` decoder and a bit-by-bit CRC. */
function referenceCrcOk(body: Uint8Array): boolean {
  if (body.length === 0) return false;
  const decoded: Buffer = cobs.decode(Buffer.from(body));
  if (decoded.length < 3) return false;
  let crc = 0xffff;
  for (const byte of decoded.subarray(0, decoded.length - 2)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc === decoded.readUInt16LE(decoded.length - 2);
}

/** Garbage that ends at a delimiter and is not, by chance, a frame with a valid CRC. */
const garbage = fc
  .uint8Array({ min: 1, minLength: 1, maxLength: 300 })
  .filter((g) => !referenceCrcOk(g))
  .map((g) => Buffer.concat([g, Buffer.from([0])]));

describe('message encoding', () => {
  for (const type of Object.keys(MessageType) as MessageName[]) {
    it(`round-trips every ${type}`, () => {
      fc.assert(
        fc.property(messageArbitrary(type), (message) => {
          expect(decodeMessage(encodeMessage(message, 1 << 20))).toEqual({ ok: true, message });
        }),
        { numRuns: 200 },
      );
    });
  }

  it('names the field that does not fit its wire type', () => {
    expect(() => encodeMessage({ type: 'setVolume', volumePercent: 300 })).toThrow(/setVolume\.volumePercent/);
    expect(() => encodeMessage({ type: 'ping', nonce: -1, timeUs: 0 })).toThrow(/ping\.nonce/);
    expect(() => encodeMessage({ type: 'audioIn', seq: 0, captureTimeUs: 0, payload: new Uint8Array(4000) })).toThrow(/larger than the limit/);
  });

  it('reports every truncation of a message as malformed, never throws', () => {
    fc.assert(
      fc.property(anyMessage, (message) => {
        const bytes = encodeMessage(message, 1 << 20);
        const { protocolRevision, ...withoutRevision } = message as { protocolRevision?: number };
        // The one prefix that decodes: a v1.1 HELLO or WELCOME cut before its optional revision byte.
        const v10Length = protocolRevision === undefined ? -1 : bytes.length - 1;
        for (let length = 1; length < bytes.length; length++) {
          const result = decodeMessage(bytes.subarray(0, length));
          if (length === v10Length) expect(result).toEqual({ ok: true, message: withoutRevision });
          else expect(result.ok).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('serial frame decoder', () => {
  const frames = fc.array(anyMessage.filter((m) => encodeMessage(m, 1 << 20).length <= 2048), { minLength: 1, maxLength: 8 });

  it('gives the same messages however the stream is chunked (1 byte to 64 KiB)', () => {
    fc.assert(
      fc.property(frames, fc.array(fc.nat(), { maxLength: 40 }), (messages, cuts) => {
        const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));
        expect(decodeAll(chunked(stream, cuts)).messages).toEqual(messages);
      }),
    );
    const stream = Buffer.concat(Array.from({ length: 200 }, (_, i) => encodeFrame({ type: 'ping', nonce: i, timeUs: i * 3 })));
    const oneByOne = decodeAll([...stream].map((b) => Buffer.from([b]))).messages;
    expect(oneByOne).toEqual(decodeAll([stream]).messages);
    expect(oneByOne).toHaveLength(200);
  });

  it('delivers exactly the valid frames from a stream with garbage between them', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(garbage, anyMessage.filter((m) => encodeMessage(m, 1 << 20).length <= 2048))), fc.array(fc.nat()), (pairs, cuts) => {
        const stream = Buffer.concat(pairs.flatMap(([g, m]) => [g, encodeFrame(m)]));
        const { messages, decoder } = decodeAll(chunked(stream, cuts));
        expect(messages).toEqual(pairs.map(([, m]) => m));
        const s = decoder.stats;
        expect(s.badCrc + s.malformed + s.oversize).toBe(pairs.length);
      }),
    );
  });

  it('rejects and counts a frame with a lost byte or a flipped bit, and recovers at the next frame', () => {
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('lose' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    );
    fc.assert(
      fc.property(anyMessage.filter((m) => encodeMessage(m, 1 << 20).length <= 2048), damage, (message, d) => {
        const frame = encodeFrame(message);
        const body = Buffer.from(frame.subarray(0, frame.length - 1));
        const at = d.at % body.length;
        const damaged =
          d.kind === 'lose' ? Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]) : (body.writeUInt8(body[at] ^ (1 << d.bit), at), body);
        // Skip the 1-in-65536 case where the independent check says the damage went undetected.
        fc.pre(damaged.subarray(0, -1).every((b) => b !== 0) ? !referenceCrcOk(damaged) : true);
        const next: Message = { type: 'ping', nonce: 42, timeUs: 7 };
        const { messages, decoder } = decodeAll([Buffer.concat([damaged, Buffer.from([0]), encodeFrame(next)])]);
        expect(messages.filter((m) => m.type === 'ping' && m.nonce === 42 && m.timeUs === 7).length).toBeGreaterThanOrEqual(1);
        expect(messages.at(-1)).toEqual(next);
        const s = decoder.stats;
        expect(s.badCrc + s.malformed + s.oversize + s.unknown).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('drops an endless frame without holding more than MAX_FRAME_BYTES, then recovers', () => {
    const next: Message = { type: 'goodbye', reason: 0 };
    const endless = Buffer.alloc(1_000_000, 0x41);
    const { messages, decoder } = decodeAll([endless.subarray(0, 500_000), endless.subarray(500_000), Buffer.from([0]), encodeFrame(next)]);
    expect(messages).toEqual([next]);
    expect(decoder.stats.oversize).toBe(1);
    // In one chunk too:
    const single = decodeAll([Buffer.concat([Buffer.alloc(MAX_FRAME_BYTES, 0x41), Buffer.from([0]), encodeFrame(next)])]);
    expect(single.messages).toEqual([next]);
    expect(single.decoder.stats.oversize).toBe(1);
  });

  it('accepts the largest frame and refuses one byte more', () => {
    const largest: Message = { type: 'audioIn', seq: 1, captureTimeUs: 2, payload: Buffer.alloc(2048 - 11, 0x7f) };
    const frame = encodeFrame(largest);
    expect(decodeAll([frame]).messages).toEqual([largest]);
    expect(() => encodeFrame({ ...largest, payload: Buffer.alloc(2048 - 10, 0x7f) })).toThrow(/larger than the limit/);
  });

  it('skips a well-framed message of an unknown type and counts it', () => {
    const { messages, decoder } = decodeAll([frameBytes(Buffer.from([0x7f, 1, 2])), encodeFrame({ type: 'configGet' })]);
    expect(messages).toEqual([{ type: 'configGet' }]);
    expect(decoder.stats.unknown).toBe(1);
  });
});
