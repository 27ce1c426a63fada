import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../src/protocol/codec.js';
import { cobsDecode, cobsEncode } from '../src/protocol/cobs.js';
import { crc16 } from '../src/protocol/crc16.js';
import { encodeFrame, SerialFrameDecoder } from '../src/protocol/serialFraming.js';
import { MessageType, type Message } from '../src/protocol/messages.js';
import { docCobsExamples, docVectors, jsonToMessage } from './helpers/protocolDoc.js';

const vectors = docVectors();

describe('PROTOCOL.md golden vectors', () => {
  it('covers every message type in the spec', () => {
    const covered = new Set(vectors.filter((v) => v.kind === 'vector').map((v) => v.json.type));
    expect([...covered].sort()).toEqual(Object.keys(MessageType).sort());
  });

  it('shows v1.1 messages: HELLO and WELCOME with their revision, REPLY_END', () => {
    const v11 = vectors.filter((v) => v.tags.includes('v1.1')).map((v) => v.name);
    expect(v11).toEqual(expect.arrayContaining(['hello-v1.1', 'welcome-v1.1', 'reply-end', 'error-tool-invalid', 'config-report']));
  });

  it('a 1.0 HELLO decodes without a revision, and a 1.1 HELLO read by a 1.0 reader is the 1.0 HELLO', () => {
    const v10 = vectors.find((v) => v.name === 'hello')!;
    const v11 = vectors.find((v) => v.name === 'hello-v1.1')!;
    const decoded = decodeMessage(v10.msg);
    expect(decoded.ok && 'protocolRevision' in decoded.message).toBe(false);
    // The 1.1 bytes are the 1.0 bytes plus one appended byte, which a 1.0 reader ignores (§4).
    expect(v11.msg.subarray(0, v10.msg.length)).toEqual(v10.msg);
    expect(v11.msg.length).toBe(v10.msg.length + 1);
  });

  for (const v of vectors.filter((v) => v.kind === 'vector')) {
    describe(v.name, () => {
      const message = jsonToMessage(v.json) as Message;
      it('encodes to the documented bytes', () => {
        expect(encodeMessage(message).toString('hex')).toBe(v.msg.toString('hex'));
      });
      it('decodes the documented bytes', () => {
        expect(decodeMessage(v.msg)).toEqual({ ok: true, message });
      });
      it('frames to the documented serial frame, which decodes back', () => {
        expect(encodeFrame(message).toString('hex')).toBe(v.frame!.toString('hex'));
        const got: Message[] = [];
        new SerialFrameDecoder((m) => got.push(m)).push(v.frame!);
        expect(got).toEqual([message]);
      });
    });
  }

  for (const v of vectors.filter((v) => v.kind === 'decode')) {
    it(`decode example: ${v.name}`, () => {
      const result = decodeMessage(v.msg);
      if (v.json.type === 'unknown') expect(result).toEqual({ ok: false, reason: 'unknown', typeCode: v.json.code });
      else if (v.json.type === 'malformed') expect(result).toMatchObject({ ok: false, reason: 'malformed' });
      else expect(result).toEqual({ ok: true, message: jsonToMessage(v.json) });
    });
  }
});

describe('the independent generator (firmware/tools/vectors.py)', () => {
  it('computes every vector\'s msg and frame lines as PROTOCOL.md has them', () => {
    const script = fileURLToPath(new URL('../firmware/tools/vectors.py', import.meta.url));
    const run = spawnSync('python3', [script], { encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    expect(run.stdout).not.toMatch(/MISMATCH/);
    expect(run.stdout.match(/: ok$/gm)).toHaveLength(vectors.filter((v) => v.kind === 'vector').length);
    expect(run.status).toBe(0);
  });
});

describe('CRC-16/CCITT-FALSE', () => {
  it('has the standard check value 0x29B1 for "123456789"', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x29b1);
  });
  it('is 0xFFFF (its initial value) for no bytes', () => {
    expect(crc16(new Uint8Array(0))).toBe(0xffff);
  });
});

describe('COBS reference examples', () => {
  for (const { data, encoded } of docCobsExamples()) {
    const label = `${data.length} bytes starting ${data.subarray(0, 4).toString('hex')}`;
    it(`encodes ${label}`, () => expect(Buffer.from(cobsEncode(data)).toString('hex')).toBe(encoded.toString('hex')));
    it(`decodes ${label}`, () => expect(Buffer.from(cobsDecode(encoded)!).toString('hex')).toBe(data.toString('hex')));
  }
  it('accepts the redundant trailing code byte after a final 254-byte block', () => {
    const data = Buffer.from(Array.from({ length: 254 }, (_, i) => i + 1));
    expect(Buffer.from(cobsDecode(Buffer.concat([Buffer.from([0xff]), data, Buffer.from([1])]))!)).toEqual(data);
  });
  it('rejects a code byte that points past the end', () => {
    expect(cobsDecode(Buffer.from([0x05, 0x11, 0x22]))).toBeUndefined();
  });
});
