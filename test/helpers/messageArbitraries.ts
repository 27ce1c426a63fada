/** fast-check arbitraries for every protocol message, built from each message's field table. */
import fc from 'fast-check';
import { CONFIG_ENTRY_FIELDS, FORMAT_FIELDS, MESSAGE_FIELDS, type Field } from '../../src/protocol/codec.js';
import type { Message, MessageName } from '../../src/protocol/messages.js';

const KIND: Record<string, fc.Arbitrary<unknown>> = {
  u8: fc.integer({ min: 0, max: 0xff }),
  u16: fc.integer({ min: 0, max: 0xffff }),
  u32: fc.integer({ min: 0, max: 0xffffffff }),
  str8: fc.string({ maxLength: 60, unit: 'grapheme' }),
  str16: fc.string({ maxLength: 300, unit: 'grapheme' }),
  bytes16: fc.uint8Array({ maxLength: 1200 }).map((a) => Buffer.from(a)),
};

function record(fields: readonly Field[], base: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<Record<string, unknown>> {
  const shape = { ...base };
  const optional: string[] = [];
  for (const [name, kind, isOptional] of fields) {
    shape[name] =
      kind === 'format' ? record(FORMAT_FIELDS) : kind === 'entries' ? fc.array(record(CONFIG_ENTRY_FIELDS), { maxLength: 5 }) : KIND[kind];
    if (isOptional) optional.push(name);
  }
  const required = Object.keys(shape).filter((k) => !optional.includes(k));
  return fc.record(shape, { requiredKeys: required });
}

export function messageArbitrary(type: MessageName): fc.Arbitrary<Message> {
  return record(MESSAGE_FIELDS[type], { type: fc.constant(type) }) as unknown as fc.Arbitrary<Message>;
}

export const anyMessage: fc.Arbitrary<Message> = fc.oneof(
  ...(Object.keys(MESSAGE_FIELDS) as MessageName[]).map(messageArbitrary),
);
