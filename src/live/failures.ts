/**
 * What a closed or failed Live connection means, and what to do about it. The phase decides:
 * 1007/1008 answering the `setup` are configuration errors, but the service also closes
 * healthy sessions with them later (1008 around tool calls, 1007 on a refused resume:
 * docs/live-api-notes.md "Corrections"; js-genai#1236, adk-python#4679, discuss thread 186392),
 * and then the conversation must go on over a new connection.
 */
import { EspLiveError } from '../errors.js';

/**
 * fatal: stop, tell the user. quota: retry slowly. transient: reconnect (resume).
 * handle: the resumption handle was refused; start a new session (re-seeded).
 * rejected: a mid-session 1007/1008; reconnect, but only so often (see CloseCap).
 */
export type FailureKind = 'fatal' | 'quota' | 'transient' | 'handle' | 'rejected';
export type Failure = { kind: FailureKind; error: EspLiveError };

/** `setup`: the close answered the setup (or the upgrade failed); `session`: it came after setupComplete. */
export type Phase = 'setup' | 'session';

export function classifyFailure(code: number | undefined, reason: string, model: string, phase: Phase = 'setup', resuming = false): Failure {
  const status = /Unexpected server response: (\d+)/.exec(reason)?.[1];
  const fatal = (errorCode: string, message: string): Failure => ({ kind: 'fatal', error: new EspLiveError(errorCode, message) });
  const said = `${code ?? 'no code'}${reason ? `: ${reason}` : ''}`;
  if (status === '401' || status === '403' || /API key not valid|unregistered callers/i.test(reason)) {
    return fatal('LIVE_AUTH', 'GEMINI_API_KEY was rejected by the Live API. Check the key (or the ephemeral token) and try again.');
  }
  if (status === '429' || /quota/i.test(reason)) {
    return { kind: 'quota', error: new EspLiveError('LIVE_QUOTA', `Live API quota exceeded (${reason || 'HTTP 429'}); retrying slowly. Check your plan, or close other Live sessions.`, { retryable: true }) };
  }
  if (status === '404') return fatal('LIVE_ENDPOINT', `no Live API at this address (HTTP 404). Check the base URL.`);
  if (status === '400') return fatal('LIVE_REJECTED', `the Live API refused the connection (HTTP 400): ${reason}`);
  const refused = (): Failure => ({
    kind: 'handle',
    error: new EspLiveError('LIVE_CONTEXT_LOST', `the Live API would not resume this conversation (${said}); starting a new one with the conversation so far.`, { retryable: true }),
  });
  if (/resumption handle/i.test(reason)) return refused();
  if (code === 1007 || code === 1008) {
    if (phase === 'session') {
      return { kind: 'rejected', error: new EspLiveError('LIVE_DISCONNECTED', `the Live API closed the connection mid-session (${said}); reconnecting.`, { retryable: true }) };
    }
    if (resuming) return refused();
    if (code === 1008 && /not found|not supported/i.test(reason)) {
      return fatal('LIVE_MODEL', `model ${model} is not available for Live (${reason}). Pick another model.`);
    }
    return fatal('LIVE_REJECTED', `the Live API rejected the session setup (${code}: ${reason || 'no reason given'}). Check the Live settings.`);
  }
  return { kind: 'transient', error: new EspLiveError('LIVE_DISCONNECTED', `the Live connection closed (${said}); reconnecting.`, { retryable: true }) };
}

/**
 * Counts events in a sliding window: the `limit`-th within `windowMs` means "give up". The
 * session clears it whenever the model answers: closes that come between answered turns are
 * the service's rough edges, not a session that can no longer work.
 */
export class CloseCap {
  private readonly times: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Records one at `nowMs`; true when it reaches the limit. */
  record(nowMs: number): boolean {
    this.times.push(nowMs);
    while (this.times.length && this.times[0] <= nowMs - this.windowMs) this.times.shift();
    return this.times.length >= this.limit;
  }

  clear(): void {
    this.times.length = 0;
  }
}
