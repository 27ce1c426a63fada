/**
 * PROTOCOL.md §7 is the one table of named constants: every TypeScript constant must be in it
 * with the same value, and every row of it must exist in TypeScript.
 */
import { describe, expect, it } from 'vitest';
import * as messages from '../src/protocol/messages.js';
import { cobsMaxEncodedBytes } from '../src/protocol/cobs.js';
import { MAX_FRAME_BYTES } from '../src/protocol/serialFraming.js';
import { docConstants } from './helpers/protocolDoc.js';

/** helloRequest → HELLO_REQUEST: the spec names message types in upper snake case. */
const upperSnake = (name: string) => name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

const GROUPS: Record<string, Record<string, number>> = {
  Limit: messages.Limit,
  MessageType: Object.fromEntries(Object.entries(messages.MessageType).map(([k, v]) => [upperSnake(k), v])),
  SampleFormat: messages.SampleFormat,
  Codec: messages.Codec,
  Feature: messages.Feature,
  AssistantState: messages.AssistantState,
  DeviceEvent: messages.DeviceEvent,
  LogLevel: messages.LogLevel,
  ToolStatus: messages.ToolStatus,
  ErrorCode: messages.ErrorCode,
  GoodbyeReason: messages.GoodbyeReason,
  ConfigKey: messages.ConfigKey,
  ConfigFlag: messages.ConfigFlag,
};

describe('PROTOCOL.md §7 named constants', () => {
  const doc = docConstants();

  it('has exactly the groups the TypeScript side defines', () => {
    expect([...doc.keys()].sort()).toEqual(Object.keys(GROUPS).sort());
  });

  for (const [group, ts] of Object.entries(GROUPS)) {
    it(`${group}: same names, same values`, () => {
      expect(Object.fromEntries(doc.get(group) ?? [])).toEqual(ts);
    });
  }

  it('MAX_FRAME_BYTES is what COBS makes of the largest message and its CRC, plus the delimiter', () => {
    expect(cobsMaxEncodedBytes(messages.Limit.MAX_MESSAGE_BYTES + 2) + 1).toBe(messages.Limit.MAX_FRAME_BYTES);
    expect(MAX_FRAME_BYTES).toBe(messages.Limit.MAX_FRAME_BYTES);
  });
});
