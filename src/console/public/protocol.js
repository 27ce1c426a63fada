// PROTOCOL.md (v1.1) for the browser as a device: the messages a device sends and receives
// over a WebSocket (one message per binary WebSocket message, little-endian, no padding).
// Written from the spec for the browser (no build step); test/console.protocol.test.ts checks
// it against the spec's golden vectors.

export const PROTOCOL_VERSION = 1;
export const PROTOCOL_REVISION = 1;
export const MAX_MESSAGE_BYTES = 2048;
export const Feature = { BUTTON: 1, LED: 2, VOLUME: 4, BATTERY: 8, CAMERA: 16, AEC: 32 };
export const ErrorCode = { NOT_READY: 7, TOOL_UNKNOWN: 6, BAD_MESSAGE: 2, CONFIG_INVALID: 5 };

const TYPE = {
  hello: 0x01, tool: 0x02, welcome: 0x03, helloRequest: 0x04, audioIn: 0x10, audioOut: 0x11, credit: 0x12, replyEnd: 0x13,
  flush: 0x20, setVolume: 0x21, state: 0x22, event: 0x23, toolCall: 0x30, toolResult: 0x31, ping: 0x40, pong: 0x41,
  log: 0x50, error: 0x51, goodbye: 0x52, configSet: 0x60, configGet: 0x61, configReport: 0x62,
};
const NAME = Object.fromEntries(Object.entries(TYPE).map(([name, code]) => [code, name]));

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

class Writer {
  constructor() { this.bytes = new Uint8Array(MAX_MESSAGE_BYTES); this.view = new DataView(this.bytes.buffer); this.at = 0; }
  u8(v) { this.view.setUint8(this.at, v); this.at += 1; return this; }
  u16(v) { this.view.setUint16(this.at, v, true); this.at += 2; return this; }
  u32(v) { this.view.setUint32(this.at, v >>> 0, true); this.at += 4; return this; }
  raw(b) { this.bytes.set(b, this.at); this.at += b.length; return this; }
  str8(s) { const b = utf8.encode(s); return this.u8(b.length).raw(b); }
  str16(s) { const b = utf8.encode(s); return this.u16(b.length).raw(b); }
  bytes16(b) { return this.u16(b.length).raw(b); }
  format(f) { return this.u32(f.sampleRateHz).u8(f.sampleFormat).u8(f.channels).u8(f.codecs); }
  done() { return this.bytes.slice(0, this.at); }
}

class Reader {
  constructor(bytes) { this.bytes = bytes; this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength); this.at = 1; }
  need(n) { if (this.at + n > this.bytes.length) throw new RangeError('short'); }
  get more() { return this.at < this.bytes.length; }
  u8() { this.need(1); return this.view.getUint8(this.at++); }
  u16() { this.need(2); const v = this.view.getUint16(this.at, true); this.at += 2; return v; }
  u32() { this.need(4); const v = this.view.getUint32(this.at, true); this.at += 4; return v; }
  take(n) { this.need(n); const b = this.bytes.subarray(this.at, this.at + n); this.at += n; return b; }
  str8() { return fromUtf8.decode(this.take(this.u8())); }
  str16() { return fromUtf8.decode(this.take(this.u16())); }
  bytes16() { return this.take(this.u16()); }
}

/** One message as bytes. Only what a device sends is encoded. */
export function encodeMessage(m) {
  const w = new Writer().u8(TYPE[m.type]);
  switch (m.type) {
    case 'hello':
      w.u16(m.protocolVersion).u32(m.features).u32(m.playbackBufferSamples).u16(m.maxMessageBytes).format(m.mic).format(m.speaker).u8(m.toolCount).str8(m.deviceId).str8(m.name).str8(m.firmwareVersion);
      if (m.protocolRevision !== undefined) w.u8(m.protocolRevision);
      break;
    case 'audioIn': w.u32(m.seq).u32(m.captureTimeUs).bytes16(m.payload); break;
    case 'credit': w.u16(m.generation).u32(m.releasedSamples).u32(m.playedSamples).u32(m.bufferedSamples).u16(m.underruns).u16(m.overflows).u16(m.staleFrames); break;
    case 'event': w.u8(m.event).u32(m.timeUs); break;
    case 'pong': w.u32(m.nonce).u32(m.pingTimeUs).u32(m.timeUs); break;
    case 'ping': w.u32(m.nonce).u32(m.timeUs); break;
    case 'log': w.u8(m.level).str16(m.text); break;
    case 'error': w.u16(m.code).str16(m.message); break;
    case 'goodbye': w.u8(m.reason); break;
    case 'configReport':
      w.u8(m.entries.length);
      for (const e of m.entries) w.u8(e.key).u8(e.flags).str8(e.value);
      break;
    default: throw new TypeError(`a device does not send ${m.type}`);
  }
  return w.done();
}

/**
 * One message from bytes: what a device receives, plus the housekeeping both sides send.
 * Unknown types come back as { type: 'unknown', code }; a short or overrunning message as
 * { type: 'malformed' } (§4: dropped and counted, never fatal). Fields after the known ones are ignored.
 */
export function decodeMessage(bytes) {
  if (bytes.length === 0) return { type: 'malformed' };
  const r = new Reader(bytes);
  const type = NAME[bytes[0]];
  try {
    switch (type) {
      case 'welcome': {
        const m = { type, protocolVersion: r.u16(), sessionId: r.u32(), features: r.u32(), micCodec: r.u8(), speakerCodec: r.u8(), frameMs: r.u16() };
        if (r.more) m.protocolRevision = r.u8();
        return m;
      }
      case 'helloRequest': return { type };
      case 'audioOut': return { type, seq: r.u32(), generation: r.u16(), payload: r.bytes16() };
      case 'replyEnd': return { type, generation: r.u16() };
      case 'flush': return { type, generation: r.u16() };
      case 'setVolume': return { type, volumePercent: r.u8() };
      case 'state': return { type, state: r.u8() };
      case 'toolCall': return { type, callId: r.u16(), name: r.str8(), argsJson: r.str16() };
      case 'ping': return { type, nonce: r.u32(), timeUs: r.u32() };
      case 'pong': return { type, nonce: r.u32(), pingTimeUs: r.u32(), timeUs: r.u32() };
      case 'log': return { type, level: r.u8(), text: r.str16() };
      case 'error': return { type, code: r.u16(), message: r.str16() };
      case 'goodbye': return { type, reason: r.u8() };
      case 'configSet': return { type, key: r.u8(), value: r.str8() };
      case 'configGet': return { type };
      case undefined: return { type: 'unknown', code: bytes[0] };
      default: return { type: 'unknown', code: bytes[0] }; // a message a device never receives
    }
  } catch {
    return { type: 'malformed' };
  }
}
