/**
 * Encodes and decodes protocol messages (firmware/PROTOCOL.md §4). One table describes every
 * message's fields in wire order; the encoder and decoder both walk it.
 */
import { MAX_MESSAGE_BYTES, MessageType, type Message, type MessageName } from './messages.js';

export type FieldKind = 'u8' | 'u16' | 'u32' | 'str8' | 'str16' | 'bytes16' | 'format' | 'entries';
/**
 * A field in wire order. An `optional` field was appended in a later revision (v1.1): a sender
 * leaves it, and every field after it, out when the value is undefined, and a message that ends
 * before it decodes without it (PROTOCOL.md §0.1).
 */
export type Field = readonly [name: string, kind: FieldKind, optional?: 'optional'];

export const FORMAT_FIELDS: readonly Field[] = [
  ['sampleRateHz', 'u32'],
  ['sampleFormat', 'u8'],
  ['channels', 'u8'],
  ['codecs', 'u8'],
];
export const CONFIG_ENTRY_FIELDS: readonly Field[] = [
  ['key', 'u8'],
  ['flags', 'u8'],
  ['value', 'str8'],
];

export const MESSAGE_FIELDS: { readonly [K in MessageName]: readonly Field[] } = {
  hello: [
    ['protocolVersion', 'u16'],
    ['features', 'u32'],
    ['playbackBufferSamples', 'u32'],
    ['maxMessageBytes', 'u16'],
    ['mic', 'format'],
    ['speaker', 'format'],
    ['toolCount', 'u8'],
    ['deviceId', 'str8'],
    ['name', 'str8'],
    ['firmwareVersion', 'str8'],
    ['protocolRevision', 'u8', 'optional'],
  ],
  tool: [
    ['index', 'u8'],
    ['name', 'str8'],
    ['description', 'str16'],
    ['parametersSchema', 'str16'],
  ],
  welcome: [
    ['protocolVersion', 'u16'],
    ['sessionId', 'u32'],
    ['features', 'u32'],
    ['micCodec', 'u8'],
    ['speakerCodec', 'u8'],
    ['frameMs', 'u16'],
    ['protocolRevision', 'u8', 'optional'],
  ],
  helloRequest: [],
  audioIn: [
    ['seq', 'u32'],
    ['captureTimeUs', 'u32'],
    ['payload', 'bytes16'],
  ],
  audioOut: [
    ['seq', 'u32'],
    ['generation', 'u16'],
    ['payload', 'bytes16'],
  ],
  replyEnd: [['generation', 'u16']],
  credit: [
    ['generation', 'u16'],
    ['releasedSamples', 'u32'],
    ['playedSamples', 'u32'],
    ['bufferedSamples', 'u32'],
    ['underruns', 'u16'],
    ['overflows', 'u16'],
    ['staleFrames', 'u16'],
  ],
  flush: [['generation', 'u16']],
  setVolume: [['volumePercent', 'u8']],
  state: [['state', 'u8']],
  event: [
    ['event', 'u8'],
    ['timeUs', 'u32'],
  ],
  toolCall: [
    ['callId', 'u16'],
    ['name', 'str8'],
    ['argsJson', 'str16'],
  ],
  toolResult: [
    ['callId', 'u16'],
    ['status', 'u8'],
    ['resultJson', 'str16'],
  ],
  ping: [
    ['nonce', 'u32'],
    ['timeUs', 'u32'],
  ],
  pong: [
    ['nonce', 'u32'],
    ['pingTimeUs', 'u32'],
    ['timeUs', 'u32'],
  ],
  log: [
    ['level', 'u8'],
    ['text', 'str16'],
  ],
  error: [
    ['code', 'u16'],
    ['message', 'str16'],
  ],
  goodbye: [['reason', 'u8']],
  configSet: [
    ['key', 'u8'],
    ['value', 'str8'],
  ],
  configGet: [],
  configReport: [['entries', 'entries']],
};

const NAME_BY_CODE = new Map<number, MessageName>(
  Object.entries(MessageType).map(([name, code]) => [code, name as MessageName]),
);

type Record_ = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Encoding

const INT_MAX = { u8: 0xff, u16: 0xffff, u32: 0xffffffff } as const;

function fieldError(type: string, name: string, problem: string): TypeError {
  return new TypeError(`${type}.${name}: ${problem}`);
}

function sizeOf(fields: readonly Field[], value: Record_, type: string): number {
  let size = 0;
  for (const [name, kind, optional] of fields) {
    const v = value[name];
    if (optional && v === undefined) break;
    switch (kind) {
      case 'u8':
      case 'u16':
      case 'u32':
        if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > INT_MAX[kind]) {
          throw fieldError(type, name, `must be an integer from 0 to ${INT_MAX[kind]}, got ${String(v)}`);
        }
        size += kind === 'u8' ? 1 : kind === 'u16' ? 2 : 4;
        break;
      case 'str8':
      case 'str16': {
        if (typeof v !== 'string') throw fieldError(type, name, 'must be a string');
        const bytes = Buffer.byteLength(v);
        if (bytes > (kind === 'str8' ? 0xff : 0xffff)) throw fieldError(type, name, `is ${bytes} bytes, too long`);
        size += (kind === 'str8' ? 1 : 2) + bytes;
        break;
      }
      case 'bytes16':
        if (!(v instanceof Uint8Array)) throw fieldError(type, name, 'must be a Uint8Array');
        size += 2 + v.length;
        break;
      case 'format':
        size += sizeOf(FORMAT_FIELDS, v as Record_, `${type}.${name}`);
        break;
      case 'entries': {
        if (!Array.isArray(v) || v.length > 0xff) throw fieldError(type, name, 'must be an array of at most 255 entries');
        size += 1;
        for (const entry of v) size += sizeOf(CONFIG_ENTRY_FIELDS, entry as Record_, `${type}.${name}[]`);
        break;
      }
    }
  }
  return size;
}

function writeFields(fields: readonly Field[], value: Record_, out: Buffer, offset: number): number {
  for (const [name, kind, optional] of fields) {
    const v = value[name];
    if (optional && v === undefined) break;
    switch (kind) {
      case 'u8':
        offset = out.writeUInt8(v as number, offset);
        break;
      case 'u16':
        offset = out.writeUInt16LE(v as number, offset);
        break;
      case 'u32':
        offset = out.writeUInt32LE(v as number, offset);
        break;
      case 'str8':
      case 'str16': {
        const lengthBytes = kind === 'str8' ? 1 : 2;
        const written = out.write(v as string, offset + lengthBytes, 'utf8');
        if (lengthBytes === 1) out.writeUInt8(written, offset);
        else out.writeUInt16LE(written, offset);
        offset += lengthBytes + written;
        break;
      }
      case 'bytes16': {
        const bytes = v as Uint8Array;
        offset = out.writeUInt16LE(bytes.length, offset);
        out.set(bytes, offset);
        offset += bytes.length;
        break;
      }
      case 'format':
        offset = writeFields(FORMAT_FIELDS, v as Record_, out, offset);
        break;
      case 'entries':
        offset = out.writeUInt8((v as unknown[]).length, offset);
        for (const entry of v as Record_[]) offset = writeFields(CONFIG_ENTRY_FIELDS, entry, out, offset);
        break;
    }
  }
  return offset;
}

/**
 * Encodes one message. Throws a TypeError naming the field when a value does not fit its wire
 * type, or when the message would exceed `maxMessageBytes`.
 */
export function encodeMessage(message: Message, maxMessageBytes = MAX_MESSAGE_BYTES): Buffer {
  const fields = MESSAGE_FIELDS[message.type];
  if (!fields) throw new TypeError(`unknown message type ${String((message as { type: unknown }).type)}`);
  const size = 1 + sizeOf(fields, message as unknown as Record_, message.type);
  if (size > maxMessageBytes) {
    throw new TypeError(`${message.type}: message is ${size} bytes, larger than the limit of ${maxMessageBytes}`);
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = MessageType[message.type];
  writeFields(fields, message as unknown as Record_, out, 1);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export type DecodeResult =
  | { ok: true; message: Message }
  | { ok: false; reason: 'unknown' | 'malformed'; typeCode: number };

class Malformed extends Error {}
const MALFORMED = new Malformed();

class Reader {
  offset = 0;
  constructor(readonly bytes: Buffer) {}
  need(n: number): number {
    const at = this.offset;
    if (at + n > this.bytes.length) throw MALFORMED;
    this.offset = at + n;
    return at;
  }
}

function readFields(fields: readonly Field[], r: Reader, into: Record_): Record_ {
  const b = r.bytes;
  for (const [name, kind, optional] of fields) {
    if (optional && r.offset >= b.length) break;
    switch (kind) {
      case 'u8':
        into[name] = b[r.need(1)];
        break;
      case 'u16':
        into[name] = b.readUInt16LE(r.need(2));
        break;
      case 'u32':
        into[name] = b.readUInt32LE(r.need(4));
        break;
      case 'str8':
      case 'str16': {
        const length = kind === 'str8' ? b[r.need(1)] : b.readUInt16LE(r.need(2));
        const at = r.need(length);
        into[name] = b.toString('utf8', at, at + length);
        break;
      }
      case 'bytes16': {
        const length = b.readUInt16LE(r.need(2));
        const at = r.need(length);
        into[name] = b.subarray(at, at + length);
        break;
      }
      case 'format':
        into[name] = readFields(FORMAT_FIELDS, r, {});
        break;
      case 'entries': {
        const count = b[r.need(1)];
        const entries: Record_[] = [];
        for (let i = 0; i < count; i++) entries.push(readFields(CONFIG_ENTRY_FIELDS, r, {}));
        into[name] = entries;
        break;
      }
    }
  }
  return into;
}

/**
 * Decodes one message. Never throws: unknown types and malformed messages come back as
 * `{ ok: false }`. Bytes after the last known field are ignored (forward compatibility).
 * Audio payloads are views into `bytes`, not copies.
 */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  if (bytes.length === 0) return { ok: false, reason: 'malformed', typeCode: -1 };
  const typeCode = bytes[0];
  const type = NAME_BY_CODE.get(typeCode);
  if (!type) return { ok: false, reason: 'unknown', typeCode };
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const reader = new Reader(buffer);
  reader.offset = 1;
  try {
    const message = readFields(MESSAGE_FIELDS[type], reader, { type });
    return { ok: true, message: message as unknown as Message };
  } catch (error) {
    if (error === MALFORMED) return { ok: false, reason: 'malformed', typeCode };
    throw error;
  }
}

/** Samples per channel carried by an audio payload (PROTOCOL.md §3), used for flow control. */
export function payloadSamples(payloadBytes: number, codec: number, sampleFormat: number, channels: number): number {
  switch (codec) {
    case 0:
      return Math.floor(payloadBytes / ((sampleFormat === 1 ? 2 : 1) * channels));
    case 1:
    case 2:
      return Math.floor(payloadBytes / channels);
    case 3:
      return payloadBytes < 4 ? 0 : 1 + 2 * (payloadBytes - 4);
    default:
      return 0;
  }
}
