/** Reads the golden vectors out of firmware/PROTOCOL.md, the one place they live. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROTOCOL_DOC = fileURLToPath(new URL('../../firmware/PROTOCOL.md', import.meta.url));

export interface DocVector {
  kind: 'vector' | 'decode';
  name: string;
  /** Tags after the name on the fence line, e.g. `v1.1` for a message new or changed in 1.1. */
  tags: string[];
  json: Record<string, unknown>;
  msg: Buffer;
  frame?: Buffer;
}

export function hexBytes(text: string): Buffer {
  return Buffer.from(text.replace(/[|\s]/g, ''), 'hex');
}

/** Expands `AA..BB` ranges as used in the COBS table. */
function rangeBytes(text: string): Buffer {
  const out: number[] = [];
  for (const token of text.trim().split(/\s+/)) {
    const range = /^([0-9a-f]{2})\.\.([0-9a-f]{2})$/i.exec(token);
    if (range) for (let b = parseInt(range[1], 16); b <= parseInt(range[2], 16); b++) out.push(b);
    else out.push(parseInt(token, 16));
  }
  return Buffer.from(out);
}

function blocks(kind: string): { info: string; lines: string[] }[] {
  const text = readFileSync(PROTOCOL_DOC, 'utf8');
  const found: { info: string; lines: string[] }[] = [];
  const re = new RegExp('^```' + kind + '(.*)\\n([\\s\\S]*?)^```', 'gm');
  for (let m = re.exec(text); m; m = re.exec(text)) found.push({ info: m[1].trim(), lines: m[2].split('\n').filter(Boolean) });
  return found;
}

export function docVectors(): DocVector[] {
  return (['vector', 'decode'] as const).flatMap((kind) =>
    blocks(kind).map(({ info, lines }) => {
      const field = (key: string) => lines.find((l) => l.startsWith(key + ' '))?.slice(key.length).trim();
      const frame = field('frame');
      const [name, ...tags] = info.split(/\s+/);
      return { kind, name, tags, json: JSON.parse(field('json')!), msg: hexBytes(field('msg')!), frame: frame ? hexBytes(frame) : undefined };
    }),
  );
}

export function docCobsExamples(): { data: Buffer; encoded: Buffer }[] {
  return blocks('cobs')[0].lines.map((line) => {
    const [data, encoded] = line.split('=>');
    return { data: rangeBytes(data), encoded: rangeBytes(encoded) };
  });
}

/** The named-constants table of §7: group → name → value. */
export function docConstants(): Map<string, Map<string, number>> {
  const text = readFileSync(PROTOCOL_DOC, 'utf8');
  const section = text.slice(text.indexOf('## 7. Named constants'));
  const groups = new Map<string, Map<string, number>>();
  for (const m of section.matchAll(/^\| (\w+) \| `(\w+)` \| (0x[0-9a-f]+|\d+) \|/gim)) {
    if (!groups.has(m[1])) groups.set(m[1], new Map());
    groups.get(m[1])!.set(m[2], Number(m[3]));
  }
  return groups;
}

/** The message as the TypeScript implementation represents it: hex payloads become bytes. */
export function jsonToMessage(json: Record<string, unknown>): any {
  return 'payload' in json ? { ...json, payload: Buffer.from(json.payload as string, 'hex') } : json;
}
