/**
 * Reads and writes the WAV files esp-live meets: PCM s16/u8, G.711 µ-law/A-law and IMA ADPCM
 * (mono blocks). Sizes from the file are checked against the file before anything is sliced.
 */

export const WavFormat = { PCM: 1, ALAW: 6, MULAW: 7, IMA_ADPCM: 0x11, EXTENSIBLE: 0xfffe } as const;

export interface WavInfo {
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  bitsPerSample: number;
  blockAlign: number;
  /** The data chunk's bytes (a view into the file). */
  data: Uint8Array;
}

export function parseWav(file: Uint8Array): WavInfo {
  const view = Buffer.from(file.buffer, file.byteOffset, file.length);
  if (view.length < 12 || view.toString('latin1', 0, 4) !== 'RIFF' || view.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('not a WAV file (no RIFF/WAVE header)');
  }
  let fmt: Omit<WavInfo, 'data'> | undefined;
  for (let at = 12; at + 8 <= view.length; ) {
    const id = view.toString('latin1', at, at + 4);
    const size = view.readUInt32LE(at + 4);
    const body = at + 8;
    if (body + size > view.length && id !== 'data') throw new Error(`WAV chunk "${id}" runs past the end of the file`);
    if (id === 'fmt ') {
      if (size < 16) throw new Error('WAV fmt chunk is too short');
      let formatTag = view.readUInt16LE(body);
      if (formatTag === WavFormat.EXTENSIBLE && size >= 26) formatTag = view.readUInt16LE(body + 24);
      fmt = {
        formatTag,
        channels: view.readUInt16LE(body + 2),
        sampleRateHz: view.readUInt32LE(body + 4),
        blockAlign: view.readUInt16LE(body + 12),
        bitsPerSample: view.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data chunk comes before its fmt chunk');
      // Streams written while recording may leave the size unset: take what is there.
      return { ...fmt, data: file.subarray(body, Math.min(view.length, body + size)) };
    }
    at = body + size + (size & 1);
  }
  throw new Error('WAV file has no data chunk');
}

/** A 16-bit PCM WAV file. */
export function writeWavS16(samples: Int16Array, sampleRateHz: number, channels = 1): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  return Buffer.concat([wavHeader(WavFormat.PCM, channels, sampleRateHz, 16, 2 * channels, data.length), data]);
}

export function wavHeader(formatTag: number, channels: number, sampleRateHz: number, bitsPerSample: number, blockAlign: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(formatTag, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRateHz, 24);
  h.writeUInt32LE(Math.round((sampleRateHz * blockAlign) / (formatTag === WavFormat.IMA_ADPCM ? 1 + 2 * (blockAlign - 4) : 1)), 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bitsPerSample, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** The s16 samples of a PCM s16 WAV (a copy, so it is aligned). */
export function wavS16Samples(info: WavInfo): Int16Array {
  if (info.formatTag !== WavFormat.PCM || info.bitsPerSample !== 16) throw new Error(`expected 16-bit PCM WAV, got format ${info.formatTag}/${info.bitsPerSample} bits`);
  const out = new Int16Array(info.data.length >> 1);
  Buffer.from(out.buffer).set(info.data.subarray(0, out.length * 2));
  return out;
}

/** A mono IMA ADPCM WAV file from blocks of `blockAlign` bytes each. */
export function writeWavImaAdpcm(blocks: Uint8Array[], sampleRateHz: number, blockAlign: number): Buffer {
  const data = Buffer.concat(blocks);
  const samplesPerBlock = 1 + 2 * (blockAlign - 4);
  const h = Buffer.alloc(48);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(40 + data.length, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(20, 16);
  h.writeUInt16LE(WavFormat.IMA_ADPCM, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRateHz, 24);
  h.writeUInt32LE(Math.round((sampleRateHz * blockAlign) / samplesPerBlock), 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(4, 34);
  h.writeUInt16LE(2, 36); // cbSize
  h.writeUInt16LE(samplesPerBlock, 38);
  h.write('data', 40, 'latin1');
  h.writeUInt32LE(data.length, 44);
  return Buffer.concat([h, data]);
}
