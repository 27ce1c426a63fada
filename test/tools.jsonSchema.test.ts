/** MCP input schemas → what a Live function declaration's parametersJsonSchema takes. */
import { describe, expect, it } from 'vitest';
import { toLiveParameters } from '../src/tools/jsonSchema.js';
import { liveToolName } from '../src/tools/mcpHub.js';

describe('toLiveParameters', () => {
  it('keeps what Gemini documents and removes the rest, naming it', () => {
    const out = toLiveParameters({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { room: { type: 'string', pattern: '^[a-z]+$', minLength: 1, description: 'which room' }, level: { type: 'integer', minimum: 0, maximum: 100, exclusiveMaximum: 101 } },
      required: ['room'],
      additionalProperties: false,
    });
    expect(out).toEqual({
      ok: true,
      schema: { type: 'object', properties: { room: { type: 'string', description: 'which room' }, level: { type: 'integer', minimum: 0, maximum: 100 } }, required: ['room'], additionalProperties: false },
      removed: ['exclusiveMaximum', 'minLength', 'pattern'],
    });
  });

  it('turns oneOf into anyOf, const into enum, a list of types into anyOf', () => {
    const out = toLiveParameters({ type: 'object', properties: { mode: { const: 'auto' }, v: { oneOf: [{ type: 'string' }, { type: 'number' }] }, n: { type: ['string', 'null'] } } });
    expect(out).toMatchObject({ ok: true, schema: { properties: { mode: { type: 'string', enum: ['auto'] }, v: { anyOf: [{ type: 'string' }, { type: 'number' }] }, n: { anyOf: [{ type: 'string' }, { type: 'null' }] } } } });
  });

  it('inlines local $refs and merges allOf of objects', () => {
    const out = toLiveParameters({ $defs: { rgb: { type: 'array', items: { type: 'integer' }, maxItems: 3 } }, allOf: [{ type: 'object', properties: { color: { $ref: '#/$defs/rgb' } }, required: ['color'] }, { properties: { name: { type: 'string' } } }] });
    expect(out).toMatchObject({ ok: true, schema: { type: 'object', properties: { color: { type: 'array', items: { type: 'integer' }, maxItems: 3 }, name: { type: 'string' } }, required: ['color'] } });
  });

  it('drops what it cannot express, saying why', () => {
    expect(toLiveParameters({ type: 'object', properties: { node: { $ref: '#' } } })).toEqual({ ok: false, problem: 'its input schema is recursive (#)' });
    expect(toLiveParameters({ type: 'object', properties: { x: { $ref: 'https://example.com/s.json' } } })).toMatchObject({ ok: false, problem: expect.stringContaining('points outside itself') });
    expect(toLiveParameters({ type: 'object', properties: { x: { $ref: '#/$defs/missing' } } })).toMatchObject({ ok: false, problem: expect.stringContaining('does not define') });
    expect(toLiveParameters({ type: 'array' })).toMatchObject({ ok: false, problem: expect.stringContaining('"array", not an object') });
    expect(toLiveParameters('object')).toMatchObject({ ok: false });
    expect(toLiveParameters({ allOf: [{ type: 'string' }] })).toMatchObject({ ok: false, problem: expect.stringContaining('allOf') });
  });

  it('gives no parameters for a tool that takes none', () => {
    expect(toLiveParameters({ type: 'object', properties: {} })).toEqual({ ok: true, schema: undefined, removed: [] });
    expect(toLiveParameters(undefined)).toEqual({ ok: true, schema: undefined, removed: [] });
  });

  it('keeps only enums of strings or numbers', () => {
    expect(toLiveParameters({ type: 'object', properties: { b: { enum: [true, false] } } })).toMatchObject({ ok: true, schema: { properties: { b: {} } }, removed: ['enum'] });
  });
});

describe('liveToolName', () => {
  it('makes any MCP name a legal function name of at most 64 characters', () => {
    expect(liveToolName('get weather/now')).toBe('get_weather_now');
    expect(liveToolName('1st')).toBe('_1st');
    expect(liveToolName('x'.repeat(100))).toHaveLength(64);
  });
});
