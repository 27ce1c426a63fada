/** Live API models esp-live knows, and the one it uses unless told otherwise. */

export const DEFAULT_LIVE_MODEL = 'gemini-3.8-live';

export interface LiveModelTraits {
  /** Takes `thinkingConfig.thinkingLevel` (true), `thinkingBudget` (false) or none (undefined). */
  thinkingLevel?: boolean;
  affectiveDialog: boolean;
  /** Proactive audio can be switched (true), is always on ('always') or is unavailable (false). */
  proactiveAudio: boolean | 'always';
  /**
   * Function declarations without `behavior` are NON_BLOCKING (gemini-3.8: asynchronous by
   * default, BLOCKING opt-in), and `turnComplete` comes with `interactionStatus`.
   */
  liveInteractions?: boolean;
  /** Function calling is synchronous only: no NON_BLOCKING declarations (Live "Tool use" page). */
  syncFunctionsOnly?: boolean;
}

export const LIVE_MODELS: Readonly<Record<string, LiveModelTraits>> = {
  'gemini-3.8-live': { affectiveDialog: false, proactiveAudio: 'always', liveInteractions: true },
  'gemini-3.8-live-extended-thinking': { thinkingLevel: true, affectiveDialog: false, proactiveAudio: 'always', liveInteractions: true },
  'gemini-3.1-flash-live-preview': { thinkingLevel: true, affectiveDialog: false, proactiveAudio: false, syncFunctionsOnly: true },
  'gemini-2.5-flash-native-audio-preview-09-2025': { thinkingLevel: false, affectiveDialog: true, proactiveAudio: true },
  'gemini-2.5-flash-native-audio-preview-12-2025': { thinkingLevel: false, affectiveDialog: true, proactiveAudio: true },
  'gemini-2.5-flash-native-audio-latest': { thinkingLevel: false, affectiveDialog: true, proactiveAudio: true },
};

/** What is wrong with `setup` for `model` (the field and the problem), or undefined. */
export function modelConfigProblem(
  model: string,
  setup: { thinking?: boolean; affectiveDialog?: boolean; proactiveAudio?: boolean },
): { field: string; problem: string } | undefined {
  const traits = LIVE_MODELS[model];
  if (!traits) return undefined;
  if (setup.affectiveDialog && !traits.affectiveDialog) return { field: 'affectiveDialog', problem: `is not supported by ${model}` };
  if (setup.proactiveAudio === false && traits.proactiveAudio === 'always') return { field: 'proactiveAudio', problem: `cannot be switched off on ${model}` };
  if (setup.proactiveAudio === true && traits.proactiveAudio === false) return { field: 'proactiveAudio', problem: `is not supported by ${model}` };
  if (setup.thinking && traits.thinkingLevel === undefined) return { field: 'thinking', problem: `is not taken by ${model}` };
  return undefined;
}

/** Whether the model waits for this function's response before it goes on (Behavior BLOCKING). */
export function isBlockingCall(model: string, behavior: string | undefined): boolean {
  if (behavior === 'NON_BLOCKING') return false;
  if (behavior === 'BLOCKING') return true;
  return !LIVE_MODELS[model]?.liveInteractions;
}

/** Whether `behavior: NON_BLOCKING` may be declared for this model (unknown models: yes). */
export function supportsAsyncFunctions(model: string): boolean {
  return !LIVE_MODELS[model]?.syncFunctionsOnly;
}
