/**
 * An MCP tool's input schema (any JSON Schema) turned into what a Live function declaration's
 * `parametersJsonSchema` takes. Gemini documents a subset of JSON Schema for it (the
 * structured-output page, "JSON Schema support", which function declarations share): type,
 * format, title, description, enum, properties, required, additionalProperties, items,
 * prefixItems, minItems, maxItems, minimum, maximum, anyOf, $ref/$defs. Everything else is
 * removed (the MCP server still validates the arguments itself), `oneOf` becomes `anyOf`,
 * `const` a one-value `enum`, a list of types an `anyOf`, and local `$ref`s are inlined
 * (whether Live resolves `$ref` is not documented, so we do not rely on it). A schema that
 * cannot be expressed (not an object at the root, a recursive or external `$ref`, an `allOf`
 * that is not a plain merge of objects) makes the tool unusable: the caller drops it.
 */

type Schema = Record<string, unknown>;

export type Conversion = { ok: true; schema: Schema | undefined; removed: string[] } | { ok: false; problem: string };

const KEPT = new Set(['type', 'format', 'title', 'description', 'enum', 'properties', 'required', 'additionalProperties', 'items', 'prefixItems', 'minItems', 'maxItems', 'minimum', 'maximum', 'anyOf']);
/** Keywords that only annotate or point elsewhere: removing them loses nothing worth a log line. */
const SILENT = new Set(['$schema', '$id', '$defs', 'definitions', '$comment', 'default', 'examples', 'readOnly', 'writeOnly', 'deprecated']);
const MAX_DEPTH = 24;

class Unusable extends Error {}

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Converts `input` (an MCP tool's inputSchema); `undefined` and `{}` mean "no parameters". */
export function toLiveParameters(input: unknown): Conversion {
  if (input === undefined) return { ok: true, schema: undefined, removed: [] };
  if (!isObject(input)) return { ok: false, problem: 'its input schema is not a JSON object' };
  const removed = new Set<string>();
  try {
    const schema = convert(input, input, removed, [], 0);
    if (schema.type === undefined && schema.properties !== undefined) schema.type = 'object';
    if (schema.type !== 'object') return { ok: false, problem: `its input schema describes ${JSON.stringify(schema.type ?? 'anything')}, not an object of named arguments` };
    const empty = !isObject(schema.properties) || Object.keys(schema.properties).length === 0;
    return { ok: true, schema: empty ? undefined : schema, removed: [...removed].sort() };
  } catch (error) {
    if (error instanceof Unusable) return { ok: false, problem: error.message };
    throw error;
  }
}

function convert(node: unknown, root: Schema, removed: Set<string>, refs: string[], depth: number): Schema {
  if (depth > MAX_DEPTH) throw new Unusable(`its input schema nests deeper than ${MAX_DEPTH} levels`);
  if (node === true || (isObject(node) && Object.keys(node).length === 0)) return {};
  if (!isObject(node)) throw new Unusable(`its input schema has ${JSON.stringify(node)} where a schema belongs`);
  if (typeof node.$ref === 'string') return convert(resolve(node.$ref, root, refs), root, removed, [...refs, node.$ref], depth + 1);
  const out: Schema = {};
  let allOf: Schema[] | undefined;
  const sub = (s: unknown) => convert(s, root, removed, refs, depth + 1);
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && isObject(value)) out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sub(v)]));
    else if (key === 'items' && !Array.isArray(value)) out.items = sub(value);
    else if ((key === 'prefixItems' || (key === 'items' && Array.isArray(value))) && Array.isArray(value)) out.prefixItems = value.map(sub);
    else if (key === 'additionalProperties') out.additionalProperties = typeof value === 'boolean' ? value : sub(value);
    else if ((key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) out.anyOf = value.map(sub);
    else if (key === 'allOf' && Array.isArray(value)) allOf = value.map(sub);
    else if (key === 'const') out.enum = [value];
    else if (key === 'type' && Array.isArray(value)) out.anyOf = value.map((t) => ({ type: t }));
    else if (KEPT.has(key)) out[key] = value;
    else if (!SILENT.has(key)) removed.add(key);
  }
  if (allOf) Object.assign(out, mergeAll([out, ...allOf]));
  if (Array.isArray(out.enum) && !out.enum.every((v) => typeof v === 'string' || typeof v === 'number')) {
    delete out.enum; // Gemini takes enums of strings or numbers only
    removed.add('enum');
  }
  if (Array.isArray(out.enum) && out.type === undefined) out.type = typeof out.enum[0] === 'number' ? 'number' : 'string';
  return out;
}

/** A local reference (`#/$defs/x`, `#/definitions/x`, `#`); anything else cannot be followed. */
function resolve(ref: string, root: Schema, seen: string[]): unknown {
  if (seen.includes(ref)) throw new Unusable(`its input schema is recursive (${ref})`);
  if (!ref.startsWith('#')) throw new Unusable(`its input schema points outside itself (${ref})`);
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  if (node === undefined) throw new Unusable(`its input schema refers to ${ref}, which it does not define`);
  return node;
}

/** `allOf` of objects: one object with every property and every requirement. */
function mergeAll(parts: Schema[]): Schema {
  const out: Schema = { type: 'object', properties: {}, required: [] };
  for (const part of parts) {
    if ((part.type !== undefined && part.type !== 'object') || part.anyOf !== undefined) throw new Unusable('its input schema uses allOf beyond merging objects');
    Object.assign(out.properties as Schema, part.properties);
    (out.required as unknown[]).push(...(Array.isArray(part.required) ? part.required : []));
    for (const key of ['title', 'description', 'additionalProperties']) if (part[key] !== undefined) out[key] ??= part[key];
  }
  return out;
}
