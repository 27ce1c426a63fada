/**
 * PROTOCOL.md §3.1, the one rule for choosing a codec per direction and one frame size for
 * both, from the device's HELLO and what the link carries.
 */
import { Codec, type AudioFormat } from '../protocol/messages.js';
import { frameBytes } from './deviceAudio.js';

/** Best sound first. */
const CODEC_ORDER = [Codec.PCM, Codec.ULAW, Codec.ALAW, Codec.IMA_ADPCM] as const;
const CODEC_NAMES = ['PCM', 'ULAW', 'ALAW', 'IMA_ADPCM'];
export const FRAME_MS_CHOICES = [20, 10, 5] as const;
/** Header bytes of an audio message: type, seq, generation or capture time, payload length. */
export const AUDIO_OUT_HEADER_BYTES = 9;
export const AUDIO_IN_HEADER_BYTES = 11;
/** Per-frame bytes beyond the payload in the wire-rate estimate (header, CRC, COBS, delimiter, CREDITs). */
const WIRE_OVERHEAD_BYTES = 16;
/** Share of the link's byte rate the audio may use. */
const LINK_SHARE = 0.8;

export interface AudioChoice {
  micCodec: number;
  speakerCodec: number;
  frameMs: number;
}

export type AudioChoiceResult = ({ ok: true } & AudioChoice) | { ok: false; problem: string };

export function codecName(codec: number): string {
  return CODEC_NAMES[codec] ?? `codec ${codec}`;
}

/** The codecs of §3 that can carry `format` (IMA ADPCM is mono only). */
export function usableCodecs(format: AudioFormat): number[] {
  return CODEC_ORDER.filter((c) => format.codecs & (1 << c) && (c !== Codec.IMA_ADPCM || format.channels === 1));
}

function wireBytesPerSecond(format: AudioFormat, codec: number): number {
  return (frameBytes(format, 20, codec) + WIRE_OVERHEAD_BYTES) * 50;
}

function chooseCodec(direction: 'mic' | 'speaker', format: AudioFormat, headerBytes: number, maxMessageBytes: number, linkBytesPerSecond: number | undefined): number | string {
  const usable = usableCodecs(format);
  const candidates = usable.filter((c) => headerBytes + frameBytes(format, 5, c) <= maxMessageBytes);
  if (candidates.length === 0) {
    const smallest = usable.reduce((a, b) => (frameBytes(format, 5, b) < frameBytes(format, 5, a) ? b : a), usable[0]);
    return `${direction}: no codec the device offers fits maxMessageBytes ${maxMessageBytes} (${codecName(smallest)} needs ${headerBytes + frameBytes(format, 5, smallest)} bytes at 5 ms)`;
  }
  if (linkBytesPerSecond === undefined) return candidates[0];
  const fits = candidates.find((c) => wireBytesPerSecond(format, c) <= LINK_SHARE * linkBytesPerSecond);
  return fits ?? candidates.reduce((a, b) => (wireBytesPerSecond(format, b) < wireBytesPerSecond(format, a) ? b : a));
}

/**
 * §3.1: per direction, the first of PCM, ULAW, ALAW, IMA_ADPCM the device offers whose frames
 * can fit `maxMessageBytes` and whose wire rate fits 80 % of the link (else the lowest rate);
 * then the largest frameMs of 20, 10, 5 at which both directions' audio messages fit.
 * Call with formats that passed checkHello (at least one usable codec each).
 */
export function chooseAudio(mic: AudioFormat, speaker: AudioFormat, maxMessageBytes: number, linkBytesPerSecond: number | undefined): AudioChoiceResult {
  const micCodec = chooseCodec('mic', mic, AUDIO_IN_HEADER_BYTES, maxMessageBytes, linkBytesPerSecond);
  if (typeof micCodec === 'string') return { ok: false, problem: micCodec };
  const speakerCodec = chooseCodec('speaker', speaker, AUDIO_OUT_HEADER_BYTES, maxMessageBytes, linkBytesPerSecond);
  if (typeof speakerCodec === 'string') return { ok: false, problem: speakerCodec };
  const frameMs = FRAME_MS_CHOICES.find(
    (ms) => AUDIO_IN_HEADER_BYTES + frameBytes(mic, ms, micCodec) <= maxMessageBytes && AUDIO_OUT_HEADER_BYTES + frameBytes(speaker, ms, speakerCodec) <= maxMessageBytes,
  )!; // 5 ms fits: every candidate was checked at 5 ms
  return { ok: true, micCodec, speakerCodec, frameMs };
}
