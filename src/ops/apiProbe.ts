/**
 * One cheap authenticated request to the Gemini API: `models.get` for the configured Live model
 * (GET {base}/{version}/models/{model}, https://ai.google.dev/api/models#method:-models.get).
 * It proves the key is accepted, tells whether the service knows the model, and brings the
 * server's `Date` header for the clock check. The key goes in the `x-goog-api-key` header (as
 * the SDK sends it), never in the URL, so it cannot end up in a proxy's log.
 */
import { escapeText } from '../log.js';

export const GEMINI_API_BASE = 'https://generativelanguage.googleapis.com';

export type ApiProbeOutcome =
  | { kind: 'accepted'; liveCapable: boolean }
  | { kind: 'invalidKey' | 'denied' | 'quota' | 'unknownModel' | 'unexpected'; message: string }
  | { kind: 'unreachable' | 'clockTls'; message: string };

export interface ApiProbeResult {
  outcome: ApiProbeOutcome;
  /** The server's clock (its `Date` header), when it answered. */
  serverDateMs?: number;
}

export interface ApiProbeOptions {
  apiKey: string;
  baseUrl?: string;
  apiVersion: string;
  model: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** TLS failures that mean this computer's clock is wrong, not the server's certificate. */
const CLOCK_TLS_CODES = new Set(['CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED']);

interface GoogleError {
  error?: { code?: number; message?: string; status?: string; details?: { reason?: string }[] };
}

export async function probeApi(options: ApiProbeOptions): Promise<ApiProbeResult> {
  const base = (options.baseUrl ?? GEMINI_API_BASE).replace(/\/+$/, '');
  const model = options.model.replace(/^models\//, '');
  const url = `${base}/${options.apiVersion}/models/${encodeURIComponent(model)}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { headers: { 'x-goog-api-key': options.apiKey }, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  } catch (error) {
    return { outcome: networkFailure(base, error as Error) };
  }
  const date = Date.parse(response.headers.get('date') ?? '');
  const serverDateMs = Number.isNaN(date) ? undefined : date;
  const text = await response.text().catch(() => '');
  if (response.ok) {
    let methods: unknown;
    try {
      methods = (JSON.parse(text) as { supportedGenerationMethods?: unknown }).supportedGenerationMethods;
    } catch {
      methods = undefined;
    }
    return { outcome: { kind: 'accepted', liveCapable: !Array.isArray(methods) || methods.includes('bidiGenerateContent') }, serverDateMs };
  }
  let body: GoogleError = {};
  try {
    body = JSON.parse(text) as GoogleError;
  } catch {
    // not Google's JSON error shape (a proxy's page?): reported by status alone
  }
  const reason = body.error?.details?.find((d) => d.reason)?.reason;
  const message = escapeText(`HTTP ${response.status}${body.error?.status ? ` ${body.error.status}` : ''}: ${body.error?.message ?? text}`.slice(0, 300));
  const s = response.status;
  const kind =
    reason === 'API_KEY_INVALID' || (s === 400 && /api key/i.test(body.error?.message ?? '')) ? 'invalidKey'
    : s === 401 || s === 403 ? 'denied'
    : s === 429 ? 'quota'
    : s === 404 ? 'unknownModel'
    : 'unexpected';
  return { outcome: { kind, message }, serverDateMs };
}

function networkFailure(base: string, error: Error): ApiProbeOutcome {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (error.name === 'TimeoutError' ? 'timed out' : undefined);
  const what = escapeText(`${code ?? cause?.message ?? error.message}`);
  if (code && CLOCK_TLS_CODES.has(code)) return { kind: 'clockTls', message: `TLS to ${base} failed (${what}): this computer's clock is probably wrong` };
  return { kind: 'unreachable', message: `cannot reach ${base} (${what})` };
}
