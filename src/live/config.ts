/**
 * Live session configuration: every knob of the Live API setup message, validated once with an
 * error that names the bad field, and turned into the SDK's LiveConnectConfig.
 */
import {
  ActivityHandling,
  EndSensitivity,
  MediaResolution,
  Modality,
  StartSensitivity,
  ThinkingLevel,
  TurnCoverage,
  type FunctionDeclaration,
  type LiveConnectConfig,
} from '@google/genai';
import { EspLiveError } from '../errors.js';
import { DEFAULT_LIVE_MODEL, modelConfigProblem } from './models.js';

export interface LiveConfig {
  /** Gemini API key, or an ephemeral token (`auth_tokens/…`). Never leaves the host. */
  apiKey: string;
  /** Where the Live API is; unset means Google's. The emulator's URL for offline use. */
  baseUrl?: string;
  apiVersion: string;
  model: string;
  voice?: string;
  languageCode?: string;
  systemInstruction?: string;
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  mediaResolution?: 'low' | 'medium' | 'high';
  thinking?: { level?: 'minimal' | 'low' | 'medium' | 'high'; budget?: number; includeThoughts?: boolean };
  /** Gemini's own voice activity detection; `automatic: false` is push-to-talk. */
  vad: {
    automatic: boolean;
    startSensitivity?: 'high' | 'low';
    endSensitivity?: 'high' | 'low';
    prefixPaddingMs?: number;
    silenceDurationMs?: number;
  };
  /** Speech during a reply interrupts it (activityHandling START_OF_ACTIVITY_INTERRUPTS). */
  bargeIn: boolean;
  turnCoverage?: 'onlyActivity' | 'allInput' | 'audioActivityAndAllVideo';
  inputTranscription: boolean;
  outputTranscription: boolean;
  proactiveAudio?: boolean;
  affectiveDialog?: boolean;
  /** Session resumption (on by default): reconnects continue the same conversation. */
  resumption: boolean;
  /** Context-window compression (on by default), so a conversation is not capped at 15 minutes. */
  compression: false | { triggerTokens?: number; targetTokens?: number };
  connectTimeoutMs: number;
  /** Reconnect if the model says nothing this long after the user's turn ended. */
  stallTimeoutMs: number;
  /**
   * Microphone audio held while it cannot be sent (reconnecting, a switch-over, a BLOCKING tool
   * call pending), in milliseconds; beyond it the oldest is dropped and counted (micDroppedMs).
   */
  micBufferMs: number;
  /** WebSocket ping this often; a connection that answers nothing for two periods is frozen and replaced. 0: off. */
  keepaliveIntervalMs: number;
  /** This many mid-session 1007/1008 closes within `rejectedCloseWindowMs`, with no answer from the model between them, end the session with an error. */
  rejectedCloseLimit: number;
  rejectedCloseWindowMs: number;
  /** A goAway switch-over waits for a pause at most until this long before the deadline. */
  switchMarginMs: number;
  /** Turns of text kept to re-seed a new session when the old one cannot be resumed. */
  historyTurns: number;
  /**
   * Send Gemini only speech (on by default): the bridge's speech gate (src/audio/speechGate.ts)
   * passes audio from `preRollMs` before speech to `hangoverMs` after it, then ends the stream.
   * `false` sends every sample. Push-to-talk bypasses it.
   */
  speechGate: false | { openDb?: number; stayDb?: number; preRollMs?: number; hangoverMs?: number };
  /** With the speech gate on: close the Live connection (not the conversation) after this long without speech; 0 never. */
  idleCloseMs: number;
  reconnectInitialDelayMs: number;
  reconnectMaxDelayMs: number;
  /** Wait after a quota error before trying again. */
  quotaRetryDelayMs: number;
  toolTimeoutMs: number;
  /** Grounding with Google Search (the Live API's built-in googleSearch tool). */
  googleSearch?: boolean;
}

export const LIVE_DEFAULTS: Omit<LiveConfig, 'apiKey'> = {
  apiVersion: 'v1beta',
  model: DEFAULT_LIVE_MODEL,
  vad: { automatic: true },
  bargeIn: true,
  inputTranscription: true,
  outputTranscription: true,
  resumption: true,
  compression: {},
  connectTimeoutMs: 10_000,
  stallTimeoutMs: 15_000,
  micBufferMs: 10_000,
  keepaliveIntervalMs: 5_000,
  rejectedCloseLimit: 5,
  rejectedCloseWindowMs: 600_000,
  switchMarginMs: 5_000,
  historyTurns: 40,
  speechGate: {},
  idleCloseMs: 300_000,
  reconnectInitialDelayMs: 250,
  reconnectMaxDelayMs: 15_000,
  quotaRetryDelayMs: 30_000,
  toolTimeoutMs: 8_000,
};

type Check = (value: unknown) => string | undefined;
const num = (min: number, max: number, integer = false): Check => (v) =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v)) ? undefined : `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
const oneOf = (...values: string[]): Check => (v) => (values.includes(v as string) ? undefined : `must be one of ${values.join(', ')}`);
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const text: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const nonEmpty: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'must be a non-empty string');

const CHECKS: Record<string, Check> = {
  apiKey: nonEmpty,
  baseUrl: (v) => (typeof v === 'string' && /^(https?|wss?):\/\//.test(v) ? undefined : 'must be an http(s) URL'),
  apiVersion: (v) => (typeof v === 'string' && /^v\w+$/.test(v) ? undefined : 'must look like v1beta'),
  model: nonEmpty,
  voice: nonEmpty,
  languageCode: (v) => (typeof v === 'string' && /^[a-z]{2,3}(-[A-Z]{2})?$/.test(v) ? undefined : 'must be a BCP-47 code such as en-US'),
  systemInstruction: text,
  temperature: num(0, 2),
  topP: num(0, 1),
  topK: num(1, 1000, true),
  maxOutputTokens: num(1, 65536, true),
  presencePenalty: num(-2, 2),
  frequencyPenalty: num(-2, 2),
  mediaResolution: oneOf('low', 'medium', 'high'),
  'thinking.level': oneOf('minimal', 'low', 'medium', 'high'),
  'thinking.budget': num(0, 32768, true),
  'thinking.includeThoughts': bool,
  'vad.automatic': bool,
  'vad.startSensitivity': oneOf('high', 'low'),
  'vad.endSensitivity': oneOf('high', 'low'),
  'vad.prefixPaddingMs': num(0, 2000, true),
  'vad.silenceDurationMs': num(0, 5000, true),
  bargeIn: bool,
  turnCoverage: oneOf('onlyActivity', 'allInput', 'audioActivityAndAllVideo'),
  inputTranscription: bool,
  outputTranscription: bool,
  proactiveAudio: bool,
  affectiveDialog: bool,
  resumption: bool,
  'compression.triggerTokens': num(1000, 1_000_000, true),
  'compression.targetTokens': num(500, 1_000_000, true),
  connectTimeoutMs: num(100, 120_000, true),
  stallTimeoutMs: num(100, 600_000, true),
  micBufferMs: num(0, 60_000, true),
  keepaliveIntervalMs: num(0, 600_000, true),
  rejectedCloseLimit: num(1, 1000, true),
  rejectedCloseWindowMs: num(1000, 86_400_000, true),
  switchMarginMs: num(0, 60_000, true),
  historyTurns: num(0, 1000, true),
  'speechGate.openDb': num(0, 40),
  'speechGate.stayDb': num(0, 40),
  'speechGate.preRollMs': num(300, 2000, true),
  'speechGate.hangoverMs': num(200, 10_000, true),
  idleCloseMs: num(0, 86_400_000, true),
  reconnectInitialDelayMs: num(1, 60_000, true),
  reconnectMaxDelayMs: num(1, 600_000, true),
  quotaRetryDelayMs: num(1, 3_600_000, true),
  toolTimeoutMs: num(100, 600_000, true),
  googleSearch: bool,
};

const KNOWN_KEYS = new Set(Object.keys(CHECKS).map((k) => k.split('.')[0]));

function configError(field: string, problem: string): EspLiveError {
  return new EspLiveError('CONFIG_INVALID', `live.${field} ${problem}`);
}

/** Fills defaults and checks every field; throws CONFIG_INVALID naming the first bad one. */
export function validateLiveConfig(input: Partial<LiveConfig> & { apiKey: string }): LiveConfig {
  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.has(key)) throw configError(key, `is not a Live setting (known: ${[...KNOWN_KEYS].join(', ')})`);
  }
  const config: LiveConfig = {
    ...LIVE_DEFAULTS,
    ...input,
    vad: { ...LIVE_DEFAULTS.vad, ...input.vad },
    compression: input.compression === false ? false : { ...(input.compression ?? {}) },
    speechGate: input.speechGate === false ? false : { ...(input.speechGate ?? {}) },
  };
  for (const [path, check] of Object.entries(CHECKS)) {
    const [head, tail] = path.split('.');
    const parent = (config as unknown as Record<string, unknown>)[head];
    const value = tail ? (parent && typeof parent === 'object' ? (parent as Record<string, unknown>)[tail] : undefined) : parent;
    if (value === undefined) continue;
    const problem = check(value);
    if (problem) throw configError(path, problem);
  }
  if (config.thinking?.level !== undefined && config.thinking.budget !== undefined) {
    throw configError('thinking', 'takes a level or a budget, not both');
  }
  if (config.reconnectMaxDelayMs < config.reconnectInitialDelayMs) throw configError('reconnectMaxDelayMs', 'must be at least reconnectInitialDelayMs');
  const problem = modelConfigProblem(config.model, {
    thinking: config.thinking !== undefined,
    affectiveDialog: config.affectiveDialog,
    proactiveAudio: config.proactiveAudio,
  });
  if (problem) throw configError(problem.field, problem.problem);
  return config;
}

const THINKING_LEVELS = { minimal: ThinkingLevel.MINIMAL, low: ThinkingLevel.LOW, medium: ThinkingLevel.MEDIUM, high: ThinkingLevel.HIGH };
const RESOLUTIONS = { low: MediaResolution.MEDIA_RESOLUTION_LOW, medium: MediaResolution.MEDIA_RESOLUTION_MEDIUM, high: MediaResolution.MEDIA_RESOLUTION_HIGH };
const COVERAGE = {
  onlyActivity: TurnCoverage.TURN_INCLUDES_ONLY_ACTIVITY,
  allInput: TurnCoverage.TURN_INCLUDES_ALL_INPUT,
  audioActivityAndAllVideo: TurnCoverage.TURN_INCLUDES_AUDIO_ACTIVITY_AND_ALL_VIDEO,
};

/** The SDK's connect config for this configuration, resuming `handle` if given. */
export function toConnectConfig(config: LiveConfig, handle: string | undefined, functions: FunctionDeclaration[]): LiveConnectConfig {
  const { vad } = config;
  const out: LiveConnectConfig = {
    responseModalities: [Modality.AUDIO],
    temperature: config.temperature,
    topP: config.topP,
    topK: config.topK,
    maxOutputTokens: config.maxOutputTokens,
    systemInstruction: config.systemInstruction,
    mediaResolution: config.mediaResolution && RESOLUTIONS[config.mediaResolution],
    enableAffectiveDialog: config.affectiveDialog,
    realtimeInputConfig: {
      automaticActivityDetection: {
        disabled: !vad.automatic,
        startOfSpeechSensitivity: vad.startSensitivity && (vad.startSensitivity === 'high' ? StartSensitivity.START_SENSITIVITY_HIGH : StartSensitivity.START_SENSITIVITY_LOW),
        endOfSpeechSensitivity: vad.endSensitivity && (vad.endSensitivity === 'high' ? EndSensitivity.END_SENSITIVITY_HIGH : EndSensitivity.END_SENSITIVITY_LOW),
        prefixPaddingMs: vad.prefixPaddingMs,
        silenceDurationMs: vad.silenceDurationMs,
      },
      activityHandling: config.bargeIn ? ActivityHandling.START_OF_ACTIVITY_INTERRUPTS : ActivityHandling.NO_INTERRUPTION,
      turnCoverage: config.turnCoverage && COVERAGE[config.turnCoverage],
    },
  };
  if (config.voice || config.languageCode) {
    out.speechConfig = { voiceConfig: config.voice ? { prebuiltVoiceConfig: { voiceName: config.voice } } : undefined, languageCode: config.languageCode };
  }
  if (config.presencePenalty !== undefined || config.frequencyPenalty !== undefined) {
    // Not fields of LiveConnectConfig: they travel in generationConfig (the SDK warns that it is deprecated).
    out.generationConfig = { presencePenalty: config.presencePenalty, frequencyPenalty: config.frequencyPenalty };
  }
  if (config.thinking) {
    const { level, budget, includeThoughts } = config.thinking;
    out.thinkingConfig = { thinkingLevel: level && THINKING_LEVELS[level], thinkingBudget: budget, includeThoughts };
  }
  if (config.inputTranscription) out.inputAudioTranscription = {};
  if (config.outputTranscription) out.outputAudioTranscription = {};
  if (config.proactiveAudio !== undefined) out.proactivity = { proactiveAudio: config.proactiveAudio };
  if (config.resumption) out.sessionResumption = handle ? { handle } : {};
  if (config.compression) {
    const { triggerTokens, targetTokens } = config.compression;
    out.contextWindowCompression = {
      slidingWindow: targetTokens !== undefined ? { targetTokens: String(targetTokens) } : {},
      triggerTokens: triggerTokens !== undefined ? String(triggerTokens) : undefined,
    };
  }
  if (functions.length) out.tools = [{ functionDeclarations: functions }];
  if (config.googleSearch) out.tools = [...(out.tools ?? []), { googleSearch: {} }];
  return out;
}
