/**
 * Audio between the device formats of PROTOCOL.md §3 and the pipeline's s16 mono: frame sizes,
 * payload coding, MicDecoder (AUDIO_IN payloads → 16 kHz s16 for Live) and SpeakerEncoder (the
 * model's audio → AUDIO_OUT payloads of one frame each in the DAC's rate, format and codec).
 * Shared by the host, the simulator and local audio.
 */
import { FrameChunker } from '../audio/frameChunker.js';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '../audio/g711.js';
import { decodeImaBlock, ImaAdpcmEncoder, imaBlockSamples } from '../audio/imaAdpcm.js';
import { Resampler } from '../audio/resampler.js';
import { applyGain, monoToStereo, stereoToMono, U8Ditherer, u8ToS16 } from '../audio/sampleFormat.js';
import { Codec, SampleFormat, type AudioFormat } from '../protocol/messages.js';

export const PIPELINE_RATE_HZ = 16000;

/** Samples per channel in one frame (§3 "Frame sizes"): an IMA ADPCM block holds an odd count. */
export function frameSamples(rateHz: number, frameMs: number, codec: number): number {
  const n = Math.round((rateHz * frameMs) / 1000);
  return codec === Codec.IMA_ADPCM && n % 2 === 0 ? n + 1 : n;
}

/** Bytes of one frame's payload on the wire. */
export function frameBytes(format: AudioFormat, frameMs: number, codec: number): number {
  const n = frameSamples(format.sampleRateHz, frameMs, codec);
  if (codec === Codec.IMA_ADPCM) return 4 + (n - 1) / 2;
  if (codec === Codec.ULAW || codec === Codec.ALAW) return n * format.channels;
  return n * format.channels * (format.sampleFormat === SampleFormat.U8 ? 1 : 2);
}

/** One audio payload → s16 samples (interleaved as sent), or undefined if it does not decode. */
export function decodePayload(payload: Uint8Array, format: AudioFormat, codec: number): Int16Array | undefined {
  switch (codec) {
    case Codec.ULAW:
      return decodeMulaw(payload);
    case Codec.ALAW:
      return decodeAlaw(payload);
    case Codec.IMA_ADPCM: {
      if (payload.length < 4 || format.channels !== 1) return undefined;
      const samples = new Int16Array(imaBlockSamples(payload.length));
      return decodeImaBlock(payload, samples) < 0 ? undefined : samples;
    }
    default: {
      if (format.sampleFormat === SampleFormat.U8) return u8ToS16(payload);
      const samples = new Int16Array(payload.length >> 1);
      new Uint8Array(samples.buffer).set(payload.subarray(0, samples.length * 2));
      return samples;
    }
  }
}

/** s16 samples (interleaved) → one audio payload; keeps ADPCM's step index and the dither between calls. */
export class PayloadEncoder {
  private readonly ditherer = new U8Ditherer();
  private readonly adpcm = new ImaAdpcmEncoder();

  constructor(
    private readonly format: AudioFormat,
    private readonly codec: number,
  ) {}

  encode(samples: Int16Array): Uint8Array {
    switch (this.codec) {
      case Codec.ULAW:
        return encodeMulaw(samples);
      case Codec.ALAW:
        return encodeAlaw(samples);
      case Codec.IMA_ADPCM:
        return this.adpcm.encodeBlock(samples);
      default:
        // A copy: callers reuse their frame buffers.
        return this.format.sampleFormat === SampleFormat.U8 ? this.ditherer.convert(samples) : new Uint8Array(Int16Array.from(samples).buffer);
    }
  }
}

export class MicDecoder {
  private readonly resampler: Resampler;

  constructor(
    private readonly format: AudioFormat,
    private readonly codec: number,
  ) {
    this.resampler = new Resampler({ inRateHz: format.sampleRateHz, outRateHz: PIPELINE_RATE_HZ });
  }

  /** One AUDIO_IN payload → 16 kHz s16 mono, or undefined for a payload that does not decode. */
  decode(payload: Uint8Array): Int16Array | undefined {
    const samples = decodePayload(payload, this.format, this.codec);
    if (!samples) return undefined;
    return this.resampler.process(this.format.channels === 2 ? stereoToMono(samples) : samples);
  }
}

export interface EncodedFrame {
  payload: Uint8Array;
  /** Samples per channel, for flow control. */
  samples: number;
}

export class SpeakerEncoder {
  readonly samplesPerFrame: number;
  private resampler: Resampler | undefined;
  private readonly chunker: FrameChunker;
  private readonly encoder: PayloadEncoder;
  /** Gain applied on the host (for devices that cannot set their own volume). */
  gain = 1;

  constructor(
    private readonly format: AudioFormat,
    codec: number,
    frameMs: number,
  ) {
    this.samplesPerFrame = frameSamples(format.sampleRateHz, frameMs, codec);
    this.chunker = new FrameChunker(this.samplesPerFrame);
    this.encoder = new PayloadEncoder(format, codec);
  }

  /** Feeds model audio at `rateHz` (the rate of the reply); returns the whole frames it completed. */
  push(samples: Int16Array, rateHz: number): EncodedFrame[] {
    if (this.resampler?.inRateHz !== rateHz) {
      this.resampler = new Resampler({ inRateHz: rateHz, outRateHz: this.format.sampleRateHz });
    }
    const out: EncodedFrame[] = [];
    this.chunker.push(this.resampler.process(samples), (frame) => out.push(this.encode(frame)));
    return out;
  }

  /** End of a reply: the resampler's tail and the last partial frame (padded with silence). */
  end(): EncodedFrame[] {
    const out: EncodedFrame[] = [];
    const onFrame = (frame: Int16Array) => out.push(this.encode(frame));
    if (this.resampler) this.chunker.push(this.resampler.flush(new Int16Array(0)), onFrame);
    this.chunker.flush(onFrame);
    return out;
  }

  /** Barge-in: forget everything in progress. */
  reset(): void {
    this.resampler?.reset();
    this.chunker.reset();
  }

  private encode(mono: Int16Array): EncodedFrame {
    const pcm = this.gain === 1 ? mono : applyGain(mono, this.gain);
    const payload = this.encoder.encode(this.format.channels === 2 ? monoToStereo(pcm) : pcm);
    return { payload, samples: mono.length };
  }
}
