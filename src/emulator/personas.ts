/**
 * What the emulated model says. A persona turns each user turn into a reply plan: transcript,
 * audio (24 kHz s16), an optional tool call, and scripted events (goAway, failures, stalls).
 */
import { readFileSync } from 'node:fs';
import { resampleWhole } from '../audio/resampleWhole.js';
import { synthesizeSpeech } from '../audio/speech.js';

export const OUTPUT_RATE_HZ = 24000;

export type AudioKind = 'tone' | 'speech' | 'echo' | 'silence';

/** One scripted turn of a scenario file (see `esp-live emulator --help`). */
export interface ScenarioTurn {
  /** Transcript of the reply; with audio "speech" it is also spoken (espeak-ng). */
  say?: string;
  audio?: AudioKind;
  /** Reply length for tone and silence; default 60 ms per character of `say`, at least 400 ms. */
  durationMs?: number;
  /** Sent back as the input transcription of the user's turn. */
  userTranscript?: string;
  /**
   * Call this tool first and wait for its response; `{result}` in `say` becomes the response
   * JSON. `cancelAfterMs`: the server cancels the call itself after that long.
   */
  toolCall?: { name: string; args?: Record<string, unknown>; cancelAfterMs?: number };
  /** Send goAway right after this turn. */
  goAway?: boolean;
  /** Close the connection with this code and reason instead of replying. */
  fail?: { code: number; reason: string };
  /** Never answer this turn (a silent stall: the socket stays open). */
  stall?: boolean;
  /** Send a frame that is not JSON before the reply. */
  malformedFrame?: boolean;
  /**
   * false: the utterance was not meant for the assistant; a proactive model (gemini-3.8) stays
   * silent (turnComplete without audio), other models answer anyway.
   */
  addressed?: boolean;
  /** The model searches the web for this first, if the setup has the googleSearch tool. */
  search?: string;
}

export interface Scenario {
  turns: ScenarioTurn[];
}

export type PersonaName = 'echo' | 'tone' | 'scenario';

export interface ReplyPlan {
  turn: ScenarioTurn;
  /** Produces the reply audio (24 kHz); `toolResult` is the tool response if there was a call. */
  audio(toolResult: unknown): Promise<Int16Array>;
  transcript(toolResult: unknown): string;
}

export function loadScenario(path: string): Scenario {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`scenario ${path}: ${(error as Error).message}`);
  }
  return validateScenario(data, path);
}

export function validateScenario(data: unknown, where = 'scenario'): Scenario {
  const fail = (at: string, why: string): never => {
    throw new TypeError(`${where}: ${at} ${why}`);
  };
  if (typeof data !== 'object' || data === null || !Array.isArray((data as Scenario).turns)) fail('turns', 'must be an array');
  const turns = (data as Scenario).turns;
  turns.forEach((t, i) => {
    const at = `turns[${i}]`;
    if (typeof t !== 'object' || t === null) fail(at, 'must be an object');
    const known = ['say', 'audio', 'durationMs', 'userTranscript', 'toolCall', 'goAway', 'fail', 'stall', 'malformedFrame', 'addressed', 'search'];
    for (const key of Object.keys(t)) if (!known.includes(key)) fail(`${at}.${key}`, `is not a scenario field (known: ${known.join(', ')})`);
    if (t.say !== undefined && typeof t.say !== 'string') fail(`${at}.say`, 'must be a string');
    if (t.search !== undefined && typeof t.search !== 'string') fail(`${at}.search`, 'must be a string');
    if (t.audio !== undefined && !['tone', 'speech', 'echo', 'silence'].includes(t.audio)) fail(`${at}.audio`, 'must be tone, speech, echo or silence');
    if (t.durationMs !== undefined && !(Number.isFinite(t.durationMs) && t.durationMs > 0 && t.durationMs <= 60000)) fail(`${at}.durationMs`, 'must be 1 … 60000');
    if (t.toolCall !== undefined && (typeof t.toolCall?.name !== 'string' || !t.toolCall.name)) fail(`${at}.toolCall.name`, 'must be a function name');
    if (t.fail !== undefined && !(Number.isInteger(t.fail?.code) && t.fail.code >= 1000 && t.fail.code <= 4999)) fail(`${at}.fail.code`, 'must be a WebSocket close code');
  });
  return { turns };
}

export function toneAudio(durationMs: number, frequencyHz = 440, amplitude = 0.25): Int16Array {
  const n = Math.round((OUTPUT_RATE_HZ * durationMs) / 1000);
  const out = new Int16Array(n);
  const fade = Math.min(240, n >> 2); // 10 ms fades, no clicks
  for (let i = 0; i < n; i++) {
    const envelope = Math.min(1, i / fade, (n - 1 - i) / fade);
    out[i] = Math.round(32767 * amplitude * envelope * Math.sin((2 * Math.PI * frequencyHz * i) / OUTPUT_RATE_HZ));
  }
  return out;
}

function echoAudio(utterance16k: Int16Array): Int16Array {
  return resampleWhole(utterance16k, 16000, OUTPUT_RATE_HZ);
}

const fill = (text: string, result: unknown) => text.replace('{result}', JSON.stringify(result));

function audioFor(turn: ScenarioTurn, utterance16k: Int16Array): (result: unknown) => Promise<Int16Array> {
  const text = turn.say ?? '';
  const durationMs = turn.durationMs ?? Math.max(400, text.length * 60);
  switch (turn.audio ?? 'tone') {
    case 'echo':
      return async () => echoAudio(utterance16k);
    case 'silence':
      return async () => new Int16Array(Math.round((OUTPUT_RATE_HZ * durationMs) / 1000));
    case 'speech':
      return async (result) => synthesizeSpeech(fill(text, result) || 'okay', OUTPUT_RATE_HZ);
    default:
      return async () => toneAudio(durationMs);
  }
}

/** The reply plan for a user turn. `position` counts the conversation's turns so far. */
export function planReply(persona: PersonaName, scenario: Scenario | undefined, position: number, utterance16k: Int16Array): ReplyPlan {
  let turn: ScenarioTurn;
  if (persona === 'echo') {
    turn = { audio: 'echo', say: `You said something ${(utterance16k.length / 16000).toFixed(1)} seconds long.` };
  } else if (persona === 'tone') {
    turn = { audio: 'tone', durationMs: 1000, say: 'This is a test tone.' };
  } else {
    const turns = scenario?.turns ?? [];
    turn = position < turns.length ? turns[position] : { say: 'The scenario has ended.', audio: 'tone' };
  }
  return { turn, audio: audioFor(turn, utterance16k), transcript: (result) => fill(turn.say ?? '', result) };
}
