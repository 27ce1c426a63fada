/**
 * What the Live API bills, per device and per day: every `usageMetadata` Gemini sends (one per
 * turn, with `turnComplete`) is added up by modality, priced, and checked against the budgets.
 *
 * Summing every per-turn report is what matches the bill: each turn re-bills the whole context,
 * and a user who reconciled per-turn reports with an invoice found only the sum within 3 % of it
 * (discuss.ai.google.dev thread 173248; docs/live-api-notes.md, "Cost"). Prompt tokens that no
 * modality detail covers (seen on gemini-3.8-live, thread 188765) are counted as text; thinking
 * tokens as output text.
 */
import { TypedEmitter } from '../typedEmitter.js';

/** USD per million tokens. */
export interface Prices {
  inputText: number;
  inputAudio: number;
  outputText: number;
  outputAudio: number;
  cached: number;
}

/**
 * ESTIMATES. Google's paid-tier prices for the Live API's native-audio model
 * gemini-2.5-flash-native-audio (ai.google.dev/gemini-api/docs/pricing, as listed in 2026):
 * $0.50 text in, $3.00 audio in, $2.00 text out, $12.00 audio out per 1M tokens. No public
 * price for gemini-3.8-live was found: these are a guess for it. Set `pricing` to your own.
 */
export const DEFAULT_PRICES: Prices = { inputText: 0.5, inputAudio: 3, outputText: 2, outputAudio: 12, cached: 0.125 };

export interface Budget {
  /** Per day, in USD of the estimated cost. */
  usdPerDay?: number;
  /** Per day, in tokens (all modalities). */
  tokensPerDay?: number;
}

export interface Totals {
  turns: number;
  inputText: number;
  inputAudio: number;
  outputText: number;
  outputAudio: number;
  cached: number;
  /** Seconds of microphone audio sent to Gemini. */
  audioSecondsUp: number;
  usd: number;
}

/** The part of LiveServerMessage.usageMetadata the meter reads. */
export interface UsageReport {
  promptTokenCount?: number;
  responseTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  promptTokensDetails?: { modality?: string; tokenCount?: number }[];
  responseTokensDetails?: { modality?: string; tokenCount?: number }[];
}

export type BudgetLevel = 'ok' | 'warning' | 'exhausted';

export interface UsageMeterEvents extends Record<string, unknown[]> {
  /** A device's (or, with device undefined, the whole host's) spending crossed 80 % or 100 % today. */
  budget: [level: BudgetLevel, device: string | undefined, totals: Totals];
}

const empty = (): Totals => ({ turns: 0, inputText: 0, inputAudio: 0, outputText: 0, outputAudio: 0, cached: 0, audioSecondsUp: 0, usd: 0 });
const tokensOf = (t: Totals) => t.inputText + t.inputAudio + t.outputText + t.outputAudio;
export const WARN_AT = 0.8;

export interface UsageMeterOptions {
  prices?: Prices;
  perDevice?: Budget;
  total?: Budget;
  /** Today's date, for the day's totals (injected in tests). */
  now?: () => Date;
}

export class UsageMeter extends TypedEmitter<UsageMeterEvents> {
  readonly prices: Prices;
  private day = '';
  private devices = new Map<string, Totals>();
  private all = empty();
  private levels = new Map<string, BudgetLevel>();
  private readonly now: () => Date;

  constructor(private readonly options: UsageMeterOptions = {}) {
    super();
    this.prices = options.prices ?? DEFAULT_PRICES;
    this.now = options.now ?? (() => new Date());
  }

  /** Adds one turn's report; returns that turn's tokens and estimated cost. */
  record(device: string, usage: UsageReport): Totals {
    const turn = empty();
    turn.turns = 1;
    const detail = (list: UsageReport['promptTokensDetails'], modality: string) => (list ?? []).filter((d) => d.modality === modality).reduce((n, d) => n + (d.tokenCount ?? 0), 0);
    turn.inputAudio = detail(usage.promptTokensDetails, 'AUDIO');
    turn.inputText = Math.max(0, (usage.promptTokenCount ?? 0) - turn.inputAudio); // text, and whatever no detail covers
    turn.outputAudio = detail(usage.responseTokensDetails, 'AUDIO');
    turn.outputText = Math.max(0, (usage.responseTokenCount ?? 0) - turn.outputAudio) + (usage.thoughtsTokenCount ?? 0);
    turn.cached = Math.min(usage.cachedContentTokenCount ?? 0, turn.inputText + turn.inputAudio);
    const p = this.prices;
    // Cached tokens are billed at the cached rate instead of their input rate (taken off text first).
    const cachedText = Math.min(turn.cached, turn.inputText);
    const cachedAudio = turn.cached - cachedText;
    turn.usd = ((turn.inputText - cachedText) * p.inputText + (turn.inputAudio - cachedAudio) * p.inputAudio + turn.outputText * p.outputText + turn.outputAudio * p.outputAudio + turn.cached * p.cached) / 1e6;
    this.add(device, turn);
    return turn;
  }

  /** Counts microphone audio sent upstream (for the figures; Gemini bills it as input audio tokens). */
  addAudioUp(device: string, seconds: number): void {
    this.add(device, { ...empty(), audioSecondsUp: seconds });
  }

  /** Today's totals for one device, or for the host. */
  today(device?: string): Totals {
    this.rollOver();
    return { ...(device === undefined ? this.all : (this.devices.get(device) ?? empty())) };
  }

  /** Whether a device may still send audio upstream today. */
  allowed(device: string): boolean {
    this.rollOver();
    return this.levels.get(device) !== 'exhausted' && this.levels.get('') !== 'exhausted';
  }

  devicesToday(): string[] {
    this.rollOver();
    return [...this.devices.keys()];
  }

  private add(device: string, t: Totals): void {
    this.rollOver();
    const d = this.devices.get(device) ?? empty();
    this.devices.set(device, d);
    for (const target of [d, this.all]) for (const k of Object.keys(t) as (keyof Totals)[]) target[k] += t[k];
    this.check(device, d, this.options.perDevice);
    this.check(undefined, this.all, this.options.total);
  }

  private check(device: string | undefined, totals: Totals, budget: Budget | undefined): void {
    if (!budget) return;
    const share = Math.max(budget.usdPerDay ? totals.usd / budget.usdPerDay : 0, budget.tokensPerDay ? tokensOf(totals) / budget.tokensPerDay : 0);
    const level: BudgetLevel = share >= 1 ? 'exhausted' : share >= WARN_AT ? 'warning' : 'ok';
    const key = device ?? '';
    if (level === (this.levels.get(key) ?? 'ok')) return;
    this.levels.set(key, level);
    if (level !== 'ok') this.emit('budget', level, device, { ...totals });
  }

  /** A new day starts from zero, budgets included. */
  private rollOver(): void {
    const d = this.now();
    const day = `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
    if (day === this.day) return;
    this.day = day;
    this.devices = new Map();
    this.all = empty();
    this.levels = new Map();
  }
}

/** "1,234 tokens in (1,100 audio), 456 out (400 audio), 37 s of mic audio, ≈ $0.0123 (estimate)" */
export function describeTotals(t: Totals): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return `${n(t.inputText + t.inputAudio)} tokens in (${n(t.inputAudio)} audio), ${n(t.outputText + t.outputAudio)} out (${n(t.outputAudio)} audio), ${t.audioSecondsUp.toFixed(0)} s of mic audio sent, ≈ $${t.usd.toFixed(4)} (estimate)`;
}
