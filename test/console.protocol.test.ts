/** The browser device's hand-written protocol code (src/console/public/protocol.js) against PROTOCOL.md's golden vectors. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain browser JavaScript, no type declarations
import { decodeMessage, encodeMessage } from '../src/console/public/protocol.js';
import { docVectors } from './helpers/protocolDoc.js';

const SENT = new Set(['hello', 'audioIn', 'credit', 'event', 'pong', 'ping', 'log', 'error', 'goodbye', 'configReport']);
const RECEIVED = new Set(['welcome', 'helloRequest', 'audioOut', 'replyEnd', 'flush', 'setVolume', 'state', 'toolCall', 'ping', 'pong', 'log', 'error', 'goodbye', 'configSet', 'configGet', 'unknown', 'malformed']);

/** A decoded message as the spec's json shows it (payloads as hex). */
function asJson(m: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v]));
}

function fromJson(json: Record<string, unknown>): Record<string, unknown> {
  return { ...json, ...(typeof json.payload === 'string' ? { payload: Buffer.from(json.payload, 'hex') } : {}) };
}

describe('browser device protocol.js', () => {
  const vectors = docVectors();

  it('encodes every message a device sends byte for byte as PROTOCOL.md shows it', () => {
    const sent = vectors.filter((v) => v.kind === 'vector' && SENT.has(v.json.type as string));
    expect(sent.map((v) => v.name)).toEqual(expect.arrayContaining(['hello', 'hello-v1.1', 'audio-in', 'credit', 'event', 'pong', 'goodbye', 'config-report']));
    for (const v of sent) expect(Buffer.from(encodeMessage(fromJson(v.json))).toString('hex'), v.name).toBe(v.msg.toString('hex'));
  });

  it('decodes every message a device receives as PROTOCOL.md shows it, trailing fields, unknown types and malformed ones included', () => {
    const received = vectors.filter((v) => RECEIVED.has(v.json.type as string));
    expect(received.map((v) => v.name)).toEqual(expect.arrayContaining(['welcome', 'welcome-v1.1', 'audio-out', 'reply-end', 'flush', 'ping-with-trailing-field', 'unknown-type', 'malformed-string', 'config-set', 'config-get']));
    for (const v of received) expect(asJson(decodeMessage(new Uint8Array(v.msg))), v.name).toEqual(v.json);
  });
});
