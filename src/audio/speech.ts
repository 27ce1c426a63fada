/**
 * Synthesised speech from espeak-ng, for the offline demo, the simulator's default microphone
 * input, tests and benchmarks. espeak-ng writes 22,050 Hz s16; our resampler converts it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EspLiveError } from '../errors.js';
import { resampleWhole } from './resampleWhole.js';
import { parseWav, wavS16Samples } from './wav.js';

const run = promisify(execFile);

export interface SpeechVoice {
  /** An espeak-ng voice (`espeak-ng --voices`), e.g. 'de' or 'en-us+f3'. Default: espeak-ng's. */
  voice?: string;
  /** Speaking rate in words per minute (espeak-ng's default is 175). */
  wordsPerMinute?: number;
  /** Pitch 0–99 (espeak-ng's default is 50). */
  pitch?: number;
}

export async function synthesizeSpeech(text: string, sampleRateHz: number, voice: SpeechVoice = {}): Promise<Int16Array> {
  const args = ['--stdout'];
  if (voice.voice !== undefined) args.push('-v', voice.voice);
  if (voice.wordsPerMinute !== undefined) args.push('-s', String(voice.wordsPerMinute));
  if (voice.pitch !== undefined) args.push('-p', String(voice.pitch));
  let wav: Buffer;
  try {
    ({ stdout: wav } = await run('espeak-ng', [...args, '--', text], { encoding: 'buffer', maxBuffer: 64 << 20 }));
  } catch (error) {
    throw new EspLiveError('ESPEAK_MISSING', 'could not run espeak-ng to synthesise speech; install it (apt-get install espeak-ng)', { cause: error });
  }
  const info = parseWav(wav);
  const samples = wavS16Samples(info);
  // Without the filter delay at the start, the speech starts where espeak-ng put it.
  return resampleWhole(samples, info.sampleRateHz, sampleRateHz, { alignStart: true });
}
