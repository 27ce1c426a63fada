/**
 * How harsh the emulator is. By default it behaves as the Live service has been seen to behave
 * (docs/live-api-notes.md, "Corrections"): every behaviour below is on. `gentle()` switches them
 * all off, for a test that needs the textbook protocol; each can also be set on its own.
 * Random choices come from a seeded generator, so a run can be repeated exactly.
 */
export interface EmulatorBehaviour {
  /**
   * Transcriptions as the service sends them: chunks without `finished`, the user's split in
   * pieces that arrive after the model started answering (js-genai#1429, python-genai#1504).
   * Off: one input transcription with `finished: true` before the reply (the SDK's types).
   */
  realisticTranscripts: boolean;
  /** Share of user turns whose input transcription never comes (0 … 1). */
  emptyTranscriptRate: number;
  /**
   * `realtimeInput` while a BLOCKING tool call is pending closes the connection with 1008
   * "Operation is not implemented, or supported, or enabled." (adk-python#4679, js-genai#1236;
   * that this is the trigger is the explanation reported there, not a documented rule).
   */
  closeOnInputDuringBlockingCall: boolean;
  /** `sessionResumptionUpdate {resumable: false}` without a handle while generating or while a call is pending. */
  unresumableWhileBusy: boolean;
  /** Share of resumes after a connection-lifetime close that are refused with 1007 (discuss thread 186392). */
  refuseResumeAfterLifetimeRate: number;
  /**
   * Share of any other resume refused with 1007: a stress setting (the soak uses it to exercise
   * re-seeding); no public report says the service refuses resumes outside the lifetime close.
   */
  refuseAnyResumeRate: number;
  /** Share of `toolResponse`s answered by close 1008 "Requested entity was not found" (discuss thread 109319). */
  notFoundAfterToolResponseRate: number;
  /** Mean time between random mid-session closes (1011 or 1008) per connection, ms; 0 = none. */
  randomCloseMeanMs: number;
  /** Seed of the random choices. */
  seed: number;
}

export const HARSH: EmulatorBehaviour = {
  realisticTranscripts: true,
  emptyTranscriptRate: 0.1,
  closeOnInputDuringBlockingCall: true,
  unresumableWhileBusy: true,
  refuseResumeAfterLifetimeRate: 0.5,
  refuseAnyResumeRate: 0,
  notFoundAfterToolResponseRate: 0,
  randomCloseMeanMs: 0,
  seed: 1,
};

export function gentle(overrides: Partial<EmulatorBehaviour> = {}): EmulatorBehaviour {
  return {
    realisticTranscripts: false,
    emptyTranscriptRate: 0,
    closeOnInputDuringBlockingCall: false,
    unresumableWhileBusy: false,
    refuseResumeAfterLifetimeRate: 0,
    refuseAnyResumeRate: 0,
    notFoundAfterToolResponseRate: 0,
    randomCloseMeanMs: 0,
    seed: 1,
    ...overrides,
  };
}

/** mulberry32: a small, fast, seedable generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
