/**
 * The resampler's inner loop as a tiny WebAssembly module using 128-bit SIMD (four f32 lanes),
 * assembled here byte by byte so there is no build step and no binary in the repository.
 * Equivalent TypeScript: `Resampler.runScalar`. Returns undefined where WebAssembly SIMD is
 * unavailable, and the resampler falls back to TypeScript.
 *
 * run(c, x, advance, nextPhase, out, taps, need, end, phase, limit) → outputs written; stores
 * the new `need` at address 0 and `phase` at address 4. `taps` must be a multiple of 8, at
 * least 24. Four accumulators (sixteen taps per turn) keep four multiply-add chains in flight;
 * with two, each turn waited on the previous turn's add.
 */

const I32 = 0x7f;
const V128 = 0x7b;
// Local indices: the ten parameters, then five i32 and four v128 locals.
const [C, X, ADV, NPH, OUT, TAPS, NEED, END, PHASE, LIMIT, N, BASE, CB, K, KEND, ACC0, ACC1, ACC2, ACC3] = Array.from({ length: 19 }, (_, i) => i);

const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32 = (v: number) => [0x41, ...sleb(v)];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const ADD = 0x6a, SUB = 0x6b, MUL = 0x6c, AND = 0x71, SHL = 0x74, GE_S = 0x4e, LT_S = 0x48;
const lane = (l: number) => [...get(ACC0), ...simd(0x1f, l), 0xbb]; // f32x4.extract_lane l; f64.promote_f32
/** acc += c[cb + offset … +3] · x[base + offset … +3] (addresses and offset in bytes). */
const mac = (acc: number, offset: number) => [
  ...get(acc),
  ...get(CB), ...simd(0x00, 2, offset), // v128.load, the offset folded into the address
  ...get(BASE), ...simd(0x00, 2, offset),
  ...simd(0xe6), ...simd(0xe4), ...set(acc), // f32x4.mul, f32x4.add
];
/** cb += bytes; base += bytes */
const step = (bytes: number) => [...get(CB), ...i32(bytes), ADD, ...set(CB), ...get(BASE), ...i32(bytes), ADD, ...set(BASE)];

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(byte & 0x40)) || (v === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
const name = (s: string) => [s.length, ...Buffer.from(s)];

function body(): number[] {
  const code = [
    ...get(TAPS), ...i32(2), SHL, ...set(KEND),
    0x02, 0x40, // block
    0x03, 0x40, //   loop (one output per turn)
    ...get(NEED), ...get(END), GE_S, 0x0d, 1,
    ...get(N), ...get(LIMIT), GE_S, 0x0d, 1,
    ...get(X), ...get(NEED), ...get(TAPS), SUB, ...i32(1), ADD, ...i32(2), SHL, ADD, ...set(BASE),
    ...get(C), ...get(PHASE), ...get(KEND), MUL, ADD, ...set(CB),
    ...i32(0), ...simd(0x11), ...tee(ACC0), ...tee(ACC1), ...tee(ACC2), ...set(ACC3), // i32x4.splat 0 (all bits zero is 0.0f)
    ...get(CB), ...get(KEND), ADD, ...set(K), // K: the end of this phase's coefficients
    ...get(TAPS), ...i32(8), AND, 0x04, 0x40, //   if taps is an odd multiple of 8: its first 8 taps
    ...mac(ACC0, 0), ...mac(ACC1, 16), ...step(32),
    0x0b,
    0x03, 0x40, //     loop (sixteen taps per turn, four independent accumulators)
    ...mac(ACC0, 0), ...mac(ACC1, 16), ...mac(ACC2, 32), ...mac(ACC3, 48), ...step(64),
    ...get(CB), ...get(K), LT_S, 0x0d, 0,
    0x0b,
    ...get(ACC0), ...get(ACC1), ...simd(0xe4), ...get(ACC2), ...get(ACC3), ...simd(0xe4), ...simd(0xe4), ...set(ACC0),
    ...get(OUT), ...get(N), ...i32(2), SHL, ADD,
    ...lane(0), ...lane(1), 0xa0, ...lane(2), ...lane(3), 0xa0, 0xa0, 0xb6, // f64 sums, f32.demote_f64
    0x38, 2, 0, // f32.store
    ...get(N), ...i32(1), ADD, ...set(N),
    ...get(NEED), ...get(ADV), ...get(PHASE), ...i32(2), SHL, ADD, 0x28, 2, 0, ADD, ...set(NEED),
    ...get(NPH), ...get(PHASE), ...i32(2), SHL, ADD, 0x28, 2, 0, ...set(PHASE),
    0x0c, 0, // br 0
    0x0b,
    0x0b,
    ...i32(0), ...get(NEED), 0x36, 2, 0,
    ...i32(4), ...get(PHASE), 0x36, 2, 0,
    ...get(N),
    0x0b,
  ];
  const locals = [2, 5, I32, 4, V128];
  return [...uleb(locals.length + code.length), ...locals, ...code];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 10, ...new Array(10).fill(I32), 1, I32]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('run'), 0x00, 0]),
    ...section(10, [1, ...body()]),
  ]);
}

export type SimdRun = (c: number, x: number, adv: number, nph: number, out: number, taps: number, need: number, end: number, phase: number, limit: number) => number;

let compiled: WebAssembly.Module | null | undefined;

/** A fresh instance with `bytes` of memory, or undefined without WebAssembly SIMD. */
export function instantiateSimd(bytes: number): { memory: WebAssembly.Memory; run: SimdRun } | undefined {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(moduleBytes());
    } catch {
      compiled = null; // no SIMD support in this runtime: the TypeScript loop is used instead
    }
  }
  if (!compiled) return undefined;
  const instance = new WebAssembly.Instance(compiled);
  const memory = instance.exports.memory as WebAssembly.Memory;
  const pages = Math.ceil(bytes / 65536);
  if (pages > 1) memory.grow(pages - 1);
  return { memory, run: instance.exports.run as SimdRun };
}
