/**
 * Audio between the device formats of PROTOCOL.md §3 and the pipeline's s16 mono:
 * MicDecoder turns AUDIO_IN payloads into 16 kHz s16 for Live; SpeakerEncoder turns Live's
 * 24 kHz s16 into AUDIO_OUT payloads of one frame each in the DAC's rate, format and codec.
 */
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '../audio/g711.js';
import { decodeImaBlock, ImaAdpcmEncoder, imaBlockSamples } from '../audio/imaAdpcm.js';
import { Resampler } from '../audio/resampler.js';
import { applyGain, monoToStereo, stereoToMono, U8Ditherer, u8ToS16 } from '../audio/sampleFormat.js';
import { Codec, SampleFormat, type AudioFormat } from '../protocol/messages.js';

export const PIPELINE_RATE_HZ = 16000;

/** Samples per channel in one frame; IMA ADPCM blocks hold an odd count. */
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
  private readonly resampler: Resampler;
  private readonly frame: Int16Array;
  private fill = 0;
  private readonly encoder: PayloadEncoder;
  /** Gain applied on the host (for devices that cannot set their own volume). */
  gain = 1;

  constructor(
    private readonly format: AudioFormat,
    codec: number,
    frameMs: number,
    inRateHz = 24000,
  ) {
    this.resampler = new Resampler({ inRateHz, outRateHz: format.sampleRateHz });
    this.samplesPerFrame = frameSamples(format.sampleRateHz, frameMs, codec);
    this.frame = new Int16Array(this.samplesPerFrame);
    this.encoder = new PayloadEncoder(format, codec);
  }

  /** Feeds model audio; returns the whole frames it completed. */
  push(samples: Int16Array): EncodedFrame[] {
    return this.frames(this.resampler.process(samples));
  }

  /** End of a reply: the resampler's tail and the last partial frame (padded with silence). */
  end(): EncodedFrame[] {
    const frames = this.frames(this.resampler.flush(new Int16Array(0)));
    if (this.fill > 0) {
      this.frame.fill(0, this.fill);
      frames.push(this.encode(this.frame));
      this.fill = 0;
    }
    return frames;
  }

  /** Barge-in: forget everything in progress. */
  reset(): void {
    this.resampler.reset();
    this.fill = 0;
  }

  private frames(samples: Int16Array): EncodedFrame[] {
    const out: EncodedFrame[] = [];
    for (let at = 0; at < samples.length; ) {
      const take = Math.min(samples.length - at, this.samplesPerFrame - this.fill);
      this.frame.set(samples.subarray(at, at + take), this.fill);
      this.fill += take;
      at += take;
      if (this.fill === this.samplesPerFrame) {
        out.push(this.encode(this.frame));
        this.fill = 0;
      }
    }
    return out;
  }

  private encode(mono: Int16Array): EncodedFrame {
    const pcm = this.gain === 1 ? mono : applyGain(mono, this.gain);
    const payload = this.encoder.encode(this.format.channels === 2 ? monoToStereo(pcm) : pcm);
    return { payload, samples: mono.length };
  }
}

/**
 * Picks the codec for one direction: PCM when the link carries it with room to spare,
 * otherwise the smallest the device has. `linkBytesPerSecond` undefined means no limit.
 */
export function chooseCodec(format: AudioFormat, frameMs: number, linkBytesPerSecond: number | undefined): number {
  const offered = [Codec.PCM, Codec.ULAW, Codec.ALAW, Codec.IMA_ADPCM].filter((c) => format.codecs & (1 << c));
  if (offered.length === 0) return Codec.PCM;
  if (linkBytesPerSecond === undefined) return offered.includes(Codec.PCM) ? Codec.PCM : offered[0];
  const perSecond = (codec: number) => (frameBytes(format, frameMs, codec) + 16) * (1000 / frameMs); // + header, CRC, COBS, CREDIT share
  const fits = offered.filter((c) => perSecond(c) <= 0.8 * linkBytesPerSecond);
  if (fits.length) return fits[0];
  return offered.reduce((best, c) => (perSecond(c) < perSecond(best) ? c : best));
}
