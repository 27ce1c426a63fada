/**
 * The speech gate's evaluation, shared by its test and its bench: espeak-ng speech (several
 * voices, languages and rates, with pauses) mixed with room backgrounds at a given SNR, the
 * truth taken from the clean speech alone, and the share of speech and of non-speech the gate
 * sends.
 */
import { synthesizeSpeech, type SpeechVoice } from '../../src/audio/speech.js';
import { SpeechGate, type SpeechGateOptions } from '../../src/audio/speechGate.js';
import { fanNoise, musicTones, pinkNoise, seededRandom, whiteNoise } from './roomNoise.js';

export const RATE = 16000;
export const FRAME = 320; // 20 ms
/** A frame of the clean speech is speech when its level is within this of the loudest frame's. */
export const SPEECH_BELOW_PEAK_DB = 40;
/** A word starts after at least this much non-speech; its first ONSET_FRAMES frames are its onset. */
const WORD_GAP_FRAMES = 5;
export const ONSET_FRAMES = 5; // 100 ms
/** Active speech level of the clean corpus (dBFS): a voice a metre from a MEMS microphone. */
const SPEECH_LEVEL_DBFS = -26;

const UTTERANCES: [string, SpeechVoice][] = [
  ['Hello! Please turn on the kitchen light.', { voice: 'en-us', wordsPerMinute: 175 }],
  ['Wie wird das Wetter morgen in Berlin?', { voice: 'de', wordsPerMinute: 150 }],
  ["Bonjour, peux-tu mettre de la musique douce, s'il te plaît?", { voice: 'fr-fr', wordsPerMinute: 190 }],
  ['Stop.', { voice: 'en-us+f3', wordsPerMinute: 160 }],
  ['Set a timer for twelve minutes, then remind me to call Sam.', { voice: 'en-gb', wordsPerMinute: 140, pitch: 70 }],
  ['Ja.', { voice: 'de+f2', wordsPerMinute: 150 }],
  ['Four. Five. Six.', { voice: 'en-us+m3', wordsPerMinute: 120 }],
  ['Quelle heure est-il, et fait-il froid dehors?', { voice: 'fr-fr+f4', wordsPerMinute: 210 }],
];
const TV_TEXT =
  'Good evening. Here is the news. The council met today to discuss the new bridge, which is expected to open next spring. ' +
  'Weather tomorrow: cloudy in the morning, with sunny spells in the afternoon and a light breeze from the west. ' +
  'In sport, the home team won three to one after a late goal in the second half.';

export interface Corpus {
  /** Clean speech at SPEECH_LEVEL_DBFS active level, float (s16 scale). */
  speech: Float32Array;
  /** Per frame: 1 where the clean speech is speech. */
  isSpeech: Uint8Array;
  /** First frame of each word or utterance. */
  onsets: number[];
  /** Where each utterance starts (sample). */
  utteranceStarts: number[];
  /** A continuous second voice (a TV in the room), as long as `speech`, at unit active level. */
  tv: Float32Array;
}

function frameLevelsDb(x: ArrayLike<number>): Float64Array {
  const frames = Math.floor(x.length / FRAME);
  return Float64Array.from({ length: frames }, (_, f) => {
    let sum = 0;
    for (let i = f * FRAME; i < (f + 1) * FRAME; i++) sum += x[i] * x[i];
    return 10 * Math.log10(sum / FRAME + 1e-12);
  });
}

/** Speech frames of a clean signal: within SPEECH_BELOW_PEAK_DB of its loudest frame. */
export function speechFrames(x: ArrayLike<number>): Uint8Array {
  const levels = frameLevelsDb(x);
  const peak = Math.max(...levels);
  return Uint8Array.from(levels, (l) => (l >= peak - SPEECH_BELOW_PEAK_DB ? 1 : 0));
}

/** Mean power over the frames marked in `active`. */
function activePower(x: ArrayLike<number>, active: Uint8Array): number {
  let sum = 0;
  let count = 0;
  for (let f = 0; f < active.length; f++) {
    if (!active[f]) continue;
    for (let i = f * FRAME; i < (f + 1) * FRAME; i++) sum += x[i] * x[i];
    count += FRAME;
  }
  return sum / count;
}

let corpus: Promise<Corpus> | undefined;

/** The corpus, synthesised once per process (espeak-ng, about a second). */
export function speechCorpus(): Promise<Corpus> {
  return (corpus ??= buildCorpus());
}

async function buildCorpus(): Promise<Corpus> {
  const random = seededRandom(13);
  const clips = await Promise.all(UTTERANCES.map(([text, voice]) => synthesizeSpeech(text, RATE, voice)));
  // Utterances, each at its own level (±4 dB), between pauses of 1.2–3 s, after 2 s of room.
  const gains = clips.map(() => 10 ** ((8 * random() - 4) / 20));
  const pauses = clips.map(() => Math.round((1.2 + 1.8 * random()) * RATE / FRAME) * FRAME);
  const lead = 2 * RATE;
  const length = lead + clips.reduce((sum, c, i) => sum + Math.ceil(c.length / FRAME) * FRAME + pauses[i], 0);
  const speech = new Float32Array(length);
  const utteranceStarts: number[] = [];
  let at = lead;
  clips.forEach((clip, i) => {
    utteranceStarts.push(at);
    for (let j = 0; j < clip.length; j++) speech[at + j] = clip[j] * gains[i];
    at += Math.ceil(clip.length / FRAME) * FRAME + pauses[i];
  });
  const isSpeech = speechFrames(speech);
  const scale = (32768 * 10 ** (SPEECH_LEVEL_DBFS / 20)) / Math.sqrt(activePower(speech, isSpeech));
  for (let i = 0; i < length; i++) speech[i] *= scale;
  const onsets: number[] = [];
  for (let f = 0, gap = Infinity; f < isSpeech.length; f++) {
    if (isSpeech[f] && gap >= WORD_GAP_FRAMES) onsets.push(f);
    gap = isSpeech[f] ? 0 : gap + 1;
  }
  // The TV: a news reader in another voice, looped, with its own pauses.
  const reader = await synthesizeSpeech(TV_TEXT, RATE, { voice: 'en-gb-scotland', wordsPerMinute: 165 });
  const tv = new Float32Array(length);
  for (let i = 0; i < length; i++) tv[i] = reader[i % reader.length];
  const tvActive = speechFrames(tv);
  const tvScale = 1 / Math.sqrt(activePower(tv, tvActive));
  for (let i = 0; i < length; i++) tv[i] *= tvScale;
  return { speech, isSpeech, onsets, utteranceStarts, tv };
}

export type Background = 'white' | 'pink' | 'fan' | 'music' | 'tv';
export const BACKGROUNDS: Background[] = ['white', 'pink', 'fan', 'music', 'tv'];

const backgrounds = new Map<string, Float32Array>();

/** A background as long as the corpus, at unit power (the TV: unit active level). Made once. */
export function background(kind: Background, c: Corpus, seed = 7): Float32Array {
  const key = `${kind}/${seed}/${c.speech.length}`;
  let noise = backgrounds.get(key);
  if (!noise) backgrounds.set(key, (noise = makeBackground(kind, c, seed)));
  return noise;
}

function makeBackground(kind: Background, c: Corpus, seed: number): Float32Array {
  const n = c.speech.length;
  switch (kind) {
    case 'white': return whiteNoise(n, seed);
    case 'pink': return pinkNoise(n, seed);
    case 'fan': return fanNoise(n, seed, RATE);
    case 'music': return musicTones(n, seed, RATE);
    case 'tv': return c.tv;
  }
}

/**
 * Speech plus a background `snrDb` below the speech's active level, as s16. Without speech
 * (`snrDb` null), the background alone at the level it has at 5 dB SNR.
 */
export function mix(c: Corpus, noise: Float32Array, snrDb: number | null): Int16Array {
  const speechPower = activePower(c.speech, c.isSpeech);
  const gain = Math.sqrt(speechPower / 10 ** ((snrDb ?? 5) / 10));
  return Int16Array.from(c.speech, (s, i) => Math.max(-32768, Math.min(32767, Math.round((snrDb === null ? 0 : s) + gain * noise[i]))));
}

/** Runs the gate over `input` in chunks of `chunk` samples; returns per frame whether it was sent. */
export function runGate(input: Int16Array, options: SpeechGateOptions, chunk = FRAME): { sentFrames: Uint8Array; gate: SpeechGate; closes: number } {
  const gate = new SpeechGate(options);
  const sentFrames = new Uint8Array(Math.ceil(input.length / FRAME));
  let closes = 0;
  for (let at = 0; at < input.length; at += chunk) {
    for (const event of gate.push(input.subarray(at, at + chunk))) {
      if (event.type === 'close') closes++;
      if (event.type !== 'audio') continue;
      for (let f = Math.floor(event.atSample / FRAME); f * FRAME < event.atSample + event.samples.length; f++) sentFrames[f] = 1;
    }
  }
  return { sentFrames, gate, closes };
}

export interface GateScore {
  /** Share of speech frames sent. */
  speechSent: number;
  onsets: number;
  /** Onsets with any of their first ONSET_FRAMES frames not sent. */
  onsetsClipped: number;
  /** Share of non-speech frames sent (includes the pre-roll and hangover around speech). */
  nonSpeechSent: number;
  /**
   * Share of frames sent that an ideal gate with the same pre-roll and hangover would not send
   * (farther from speech than those), among all such frames: the gate's false alarms.
   */
  falseSent: number;
  opens: number;
}

export function scoreGate(sentFrames: Uint8Array, c: Corpus | undefined, preRollMs: number, hangoverMs: number, opens: number): GateScore {
  const frames = sentFrames.length;
  const speech = c ? c.isSpeech : new Uint8Array(frames);
  const near = new Uint8Array(frames); // within the pre-roll before or the hangover after speech
  const before = Math.ceil(preRollMs / 20);
  const after = Math.ceil(hangoverMs / 20);
  for (let f = 0; f < frames; f++) {
    if (!speech[f]) continue;
    for (let g = Math.max(0, f - before); g <= Math.min(frames - 1, f + after); g++) near[g] = 1;
  }
  let speechCount = 0, speechSent = 0, otherCount = 0, otherSent = 0, farCount = 0, farSent = 0;
  for (let f = 0; f < frames; f++) {
    if (speech[f]) {
      speechCount++;
      speechSent += sentFrames[f];
    } else {
      otherCount++;
      otherSent += sentFrames[f];
    }
    if (!near[f]) {
      farCount++;
      farSent += sentFrames[f];
    }
  }
  const onsets = c?.onsets ?? [];
  const onsetsClipped = onsets.filter((o) => {
    for (let f = o; f < o + ONSET_FRAMES; f++) if (!sentFrames[f]) return true;
    return false;
  }).length;
  return {
    speechSent: speechCount ? speechSent / speechCount : 1,
    onsets: onsets.length,
    onsetsClipped,
    nonSpeechSent: otherCount ? otherSent / otherCount : 0,
    falseSent: farCount ? farSent / farCount : 0,
    opens,
  };
}

export interface Condition {
  background: Background;
  /** null: the background alone. */
  snrDb: number | null;
}

export const CONDITIONS: Condition[] = [
  ...BACKGROUNDS.flatMap((background) => [20, 10, 5].map((snrDb) => ({ background, snrDb }))),
  ...BACKGROUNDS.map((background) => ({ background, snrDb: null })),
];

/** Mixes and gates one condition with the gate's options; returns its score. */
export function evaluate(c: Corpus, condition: Condition, options: SpeechGateOptions = {}): GateScore {
  const input = mix(c, background(condition.background, c), condition.snrDb);
  const { sentFrames, gate } = runGate(input, options);
  return scoreGate(sentFrames, condition.snrDb === null ? undefined : c, gate.preRollFrames * 20, gate.hangoverFrames * 20, gate.stats.opens);
}
