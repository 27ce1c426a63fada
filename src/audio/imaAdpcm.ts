/**
 * IMA ADPCM (the IMA/DVI reference algorithm): 4 bits per sample. A block is what PROTOCOL.md
 * §3 and Microsoft's IMA ADPCM WAV files use for mono:
 *
 *   i16 first sample | u8 step index (0…88) | u8 0 | (n − 1) 4-bit codes, low nibble first
 *
 * so a block of `b` bytes holds 1 + 2 × (b − 4) samples and decodes on its own.
 */

const STEPS = Int16Array.from([
  7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 19, 21, 23, 25, 28, 31, 34, 37, 41, 45, 50, 55, 60, 66, 73, 80, 88, 97, 107, 118,
  130, 143, 157, 173, 190, 209, 230, 253, 279, 307, 337, 371, 408, 449, 494, 544, 598, 658, 724, 796, 876, 963, 1060,
  1166, 1282, 1411, 1552, 1707, 1878, 2066, 2272, 2499, 2749, 3024, 3327, 3660, 4026, 4428, 4871, 5358, 5894, 6484,
  7132, 7845, 8630, 9493, 10442, 11487, 12635, 13899, 15289, 16818, 18500, 20350, 22385, 24623, 27086, 29794, 32767,
]);
const INDEX_CHANGE = Int8Array.from([-1, -1, -1, -1, 2, 4, 6, 8]);
export const IMA_BLOCK_HEADER_BYTES = 4;

export const imaBlockSamples = (blockBytes: number) => 1 + 2 * (blockBytes - IMA_BLOCK_HEADER_BYTES);
export const imaBlockBytes = (samples: number) => IMA_BLOCK_HEADER_BYTES + Math.ceil((samples - 1) / 2);

/** Predictor state carried from sample to sample (and, in the encoder, from block to block). */
interface State {
  predictor: number;
  index: number;
}

function decodeNibble(state: State, code: number): number {
  const step = STEPS[state.index];
  let diff = step >> 3;
  if (code & 4) diff += step;
  if (code & 2) diff += step >> 1;
  if (code & 1) diff += step >> 2;
  let p = code & 8 ? state.predictor - diff : state.predictor + diff;
  p = p > 32767 ? 32767 : p < -32768 ? -32768 : p;
  state.predictor = p;
  const index = state.index + INDEX_CHANGE[code & 7];
  state.index = index < 0 ? 0 : index > 88 ? 88 : index;
  return p;
}

function encodeNibble(state: State, sample: number): number {
  const step = STEPS[state.index];
  let diff = sample - state.predictor;
  let code = 0;
  if (diff < 0) {
    code = 8;
    diff = -diff;
  }
  if (diff >= step) {
    code |= 4;
    diff -= step;
  }
  if (diff >= step >> 1) {
    code |= 2;
    diff -= step >> 1;
  }
  if (diff >= step >> 2) code |= 1;
  decodeNibble(state, code); // keeps the encoder's predictor identical to the decoder's
  return code;
}

/** Decodes one block into `out`; returns the number of samples, or -1 for a malformed block. */
export function decodeImaBlock(block: Uint8Array, out: Int16Array): number {
  if (block.length < IMA_BLOCK_HEADER_BYTES || block[2] > 88) return -1;
  const samples = imaBlockSamples(block.length);
  if (out.length < samples) return -1;
  const state: State = { predictor: (block[0] | (block[1] << 8)) << 16 >> 16, index: block[2] };
  out[0] = state.predictor;
  let n = 1;
  for (let i = IMA_BLOCK_HEADER_BYTES; i < block.length; i++) {
    out[n++] = decodeNibble(state, block[i] & 0x0f);
    out[n++] = decodeNibble(state, block[i] >> 4);
  }
  return samples;
}

/**
 * Encodes blocks. The step index carries over from block to block (as in the reference
 * encoder), so quality does not dip at each block start.
 */
export class ImaAdpcmEncoder {
  private index = 0;

  /** Encodes `input` as one block; a block holds an odd number of samples (321 for 20 ms at 16 kHz). */
  encodeBlock(input: Int16Array, out: Uint8Array = new Uint8Array(imaBlockBytes(input.length))): Uint8Array {
    if (input.length % 2 === 0) throw new RangeError(`an IMA ADPCM block holds an odd number of samples, got ${input.length}`);
    const state: State = { predictor: input[0], index: this.index };
    out[0] = input[0] & 0xff;
    out[1] = (input[0] >> 8) & 0xff;
    out[2] = this.index;
    out[3] = 0;
    for (let i = 1, o = IMA_BLOCK_HEADER_BYTES; i < input.length; i += 2, o++) {
      out[o] = encodeNibble(state, input[i]) | (encodeNibble(state, input[i + 1]) << 4);
    }
    this.index = state.index;
    return out;
  }

  reset(): void {
    this.index = 0;
  }
}
