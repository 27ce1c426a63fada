/** The resamplers a user might otherwise pick, behind one streaming interface for the bench. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SpeexWasm from '@echogarden/speex-resampler-wasm/simd';
import libsamplerateJs from '@alexanderolsen/libsamplerate-js';
import waveResamplerJs from 'wave-resampler';
import { Resampler } from '../src/audio/resampler.js';
import { parseWav, wavS16Samples, writeWavS16 } from '../src/audio/wav.js';

/** Streams Int16 chunks; the returned array may be reused by the next call. */
export interface StreamResampler {
  process(chunk: Int16Array): Int16Array;
}

export interface Peer {
  name: string;
  /** False for peers without a streaming API: they are given the whole signal at once. */
  streaming: boolean;
  create(inRateHz: number, outRateHz: number): Promise<StreamResampler>;
}

function ours(simd: boolean): Peer {
  return {
    name: simd ? 'esp-live (WASM SIMD)' : 'esp-live (TypeScript)',
    streaming: true,
    async create(inRateHz, outRateHz) {
      const r = new Resampler({ inRateHz, outRateHz, simd });
      let out = new Int16Array(0);
      return {
        process(chunk) {
          if (out.length < r.maxOutputSamples(chunk.length)) out = new Int16Array(r.maxOutputSamples(chunk.length));
          return out.subarray(0, r.processInto(chunk, out));
        },
      };
    },
  };
}

type SpeexModule = Awaited<ReturnType<typeof SpeexWasm>> & Record<string, any>;
let speexModule: Promise<SpeexModule> | undefined;

function speex(quality: number): Peer {
  return {
    name: `speex-wasm q${quality}`,
    streaming: true,
    async create(inRateHz, outRateHz) {
      const m = await (speexModule ??= SpeexWasm() as Promise<SpeexModule>);
      const err = m._malloc(4);
      const state = m._speex_resampler_init(1, inRateHz, outRateHz, quality, err);
      const capacity = 1 << 16;
      const inPtr = m._malloc(capacity * 2);
      const outPtr = m._malloc(capacity * 2);
      const lengths = m._malloc(8);
      return {
        process(chunk) {
          m.HEAP16.set(chunk, inPtr >> 1);
          m.HEAPU32[lengths >> 2] = chunk.length;
          m.HEAPU32[(lengths >> 2) + 1] = capacity;
          m._speex_resampler_process_int(state, 0, inPtr, lengths, outPtr, lengths + 4);
          const n = m.HEAPU32[(lengths >> 2) + 1];
          return m.HEAP16.subarray(outPtr >> 1, (outPtr >> 1) + n);
        },
      };
    },
  };
}

function libsamplerate(name: string, converterType: number): Peer {
  return {
    name: `libsamplerate-js ${name}`,
    streaming: true,
    async create(inRateHz, outRateHz) {
      const src = await libsamplerateJs.create(1, inRateHz, outRateHz, { converterType: converterType as never });
      let floats = new Float32Array(0);
      let out = new Int16Array(0);
      return {
        process(chunk) {
          if (floats.length !== chunk.length) floats = new Float32Array(chunk.length);
          for (let i = 0; i < chunk.length; i++) floats[i] = chunk[i] / 32768;
          const y = src.full(floats);
          if (out.length < y.length) out = new Int16Array(y.length);
          for (let i = 0; i < y.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(y[i] * 32768)));
          return out.subarray(0, y.length);
        },
      };
    },
  };
}

const waveResampler: Peer = {
  name: 'wave-resampler sinc',
  streaming: false,
  async create(inRateHz, outRateHz) {
    return {
      process(chunk) {
        const y = waveResamplerJs.resample(chunk, inRateHz, outRateHz, { method: 'sinc' });
        return Int16Array.from(y as ArrayLike<number>, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
      },
    };
  },
};

const soxPeer: Peer = {
  name: 'sox (whole process)',
  streaming: false,
  async create(inRateHz, outRateHz) {
    const dir = mkdtempSync(join(tmpdir(), 'esp-live-bench-'));
    return {
      process(chunk) {
        writeFileSync(join(dir, 'in.wav'), writeWavS16(chunk, inRateHz));
        execFileSync('sox', ['-D', join(dir, 'in.wav'), '-r', String(outRateHz), join(dir, 'out.wav')]);
        return wavS16Samples(parseWav(readFileSync(join(dir, 'out.wav'))));
      },
    };
  },
};

export const PEERS: Peer[] = [
  ours(true),
  ours(false),
  speex(10),
  speex(5),
  libsamplerate('SINC_BEST', libsamplerateJs.ConverterType.SRC_SINC_BEST_QUALITY),
  libsamplerate('SINC_MEDIUM', libsamplerateJs.ConverterType.SRC_SINC_MEDIUM_QUALITY),
  waveResampler,
  soxPeer,
];
