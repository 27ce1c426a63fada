import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '../src/audio/g711.js';
import { decodeImaBlock, imaBlockSamples, ImaAdpcmEncoder } from '../src/audio/imaAdpcm.js';
import { snrDb } from '../src/audio/measure.js';
import { parseWav, WavFormat, writeWavImaAdpcm, writeWavS16 } from '../src/audio/wav.js';
import { synthesizeSpeech } from '../src/audio/speech.js';
import { sox, soxDecodeToS16, tmp, writeTmp } from './helpers/audioFiles.js';

const voice = await synthesizeSpeech('Turn on the kitchen light and set the volume to seven.', 8000);
const sweep = (() => {
  const out = new Int16Array(16000);
  for (let i = 0, phase = 0; i < out.length; i++) {
    phase += (2 * Math.PI * (100 + (3800 * i) / out.length)) / 8000;
    out[i] = Math.round(12000 * Math.sin(phase));
  }
  return out;
})();

describe.each([
  ['µ-law', 'u-law', WavFormat.MULAW, encodeMulaw, decodeMulaw],
  ['A-law', 'a-law', WavFormat.ALAW, encodeAlaw, decodeAlaw],
] as const)('G.711 %s against sox', (_name, soxEncoding, formatTag, encode, decode) => {
  it('decodes every byte exactly as sox does', () => {
    const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const wav = Buffer.concat([writeWavHeaderFor(formatTag, allBytes.length), allBytes]);
    expect(decode(allBytes)).toEqual(soxDecodeToS16(writeTmp(`all-${soxEncoding}.wav`, wav)));
  });

  it('encodes speech to the same bytes sox does', () => {
    const src = writeTmp(`voice-${soxEncoding}-src.wav`, writeWavS16(voice, 8000));
    const soxFile = join(tmp, `voice-${soxEncoding}.wav`);
    sox('-D', src, '-e', soxEncoding, soxFile); // -D: no dither, so sox's bytes are its plain encoding
    const soxBytes = parseWav(readFileSync(soxFile)).data;
    expect(Buffer.from(encode(voice))).toEqual(Buffer.from(soxBytes));
  });

  it('keeps speech and a sweep above 35 dB SNR', () => {
    expect(snrDb(voice, decode(encode(voice)))).toBeGreaterThan(35);
    expect(snrDb(sweep, decode(encode(sweep)))).toBeGreaterThan(35);
  });
});

function writeWavHeaderFor(formatTag: number, dataBytes: number): Buffer {
  const h = writeWavS16(new Int16Array(0), 8000).subarray(0, 44);
  h.writeUInt32LE(36 + dataBytes, 4);
  h.writeUInt16LE(formatTag, 20);
  h.writeUInt32LE(8000, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

describe('IMA ADPCM against sox', () => {
  const blockAlign = 256;
  const perBlock = imaBlockSamples(blockAlign); // 505 samples

  function ourDecode(data: Uint8Array): Int16Array {
    const out = new Int16Array((data.length / blockAlign) * perBlock);
    for (let b = 0; b * blockAlign < data.length; b++) {
      const n = decodeImaBlock(data.subarray(b * blockAlign, (b + 1) * blockAlign), out.subarray(b * perBlock));
      expect(n).toBe(perBlock);
    }
    return out;
  }

  it('decodes what sox encoded, sample for sample as sox decodes it', () => {
    const src = writeTmp('voice-ima-src.wav', writeWavS16(voice, 8000));
    const soxFile = join(tmp, 'voice-ima.wav');
    sox('-D', src, '-e', 'ima-adpcm', soxFile);
    const info = parseWav(readFileSync(soxFile));
    expect(info.formatTag).toBe(WavFormat.IMA_ADPCM);
    expect(info.blockAlign).toBe(blockAlign);
    const ours = ourDecode(info.data);
    const theirs = soxDecodeToS16(soxFile);
    expect(ours.subarray(0, theirs.length)).toEqual(theirs);
  });

  it('encodes blocks that sox decodes to exactly what we decode, within 1 dB of sox\'s own SNR', () => {
    for (const signal of [voice, sweep]) {
      const src = writeTmp(`snr-src-${signal.length}.wav`, writeWavS16(signal, 8000));
      const soxFile = join(tmp, `snr-sox-${signal.length}.wav`);
      sox('-D', src, '-e', 'ima-adpcm', soxFile);
      const soxDecoded = soxDecodeToS16(soxFile);
      const encoder = new ImaAdpcmEncoder();
      const blocks: Uint8Array[] = [];
      for (let at = 0; at + perBlock <= signal.length; at += perBlock) blocks.push(encoder.encodeBlock(signal.subarray(at, at + perBlock)));
      const file = writeTmp(`ours-${signal.length}.wav`, writeWavImaAdpcm(blocks, 8000, blockAlign));
      const theirs = soxDecodeToS16(file);
      const ours = ourDecode(Buffer.concat(blocks));
      expect(theirs).toEqual(ours);
      const soxSnr = snrDb(signal.subarray(0, soxDecoded.length), soxDecoded);
      expect(snrDb(signal.subarray(0, ours.length), ours)).toBeGreaterThan(soxSnr - 1);
    }
  });

  it('rejects a block with an impossible step index instead of decoding noise', () => {
    expect(decodeImaBlock(Uint8Array.from([0, 0, 89, 0, 0x12]), new Int16Array(3))).toBe(-1);
    expect(decodeImaBlock(Uint8Array.from([0, 0]), new Int16Array(3))).toBe(-1);
  });

  it('refuses an even number of samples per block', () => {
    expect(() => new ImaAdpcmEncoder().encodeBlock(new Int16Array(320))).toThrow(/odd number/);
  });
});
