/**
 * Ephemeral tokens: a short-lived credential, minted on the host with the real API key, that a
 * device on Wi-Fi could use to reach the Live API directly without ever holding the key. The
 * Live setup is locked into the token, so the token cannot be used for anything else.
 */
import { GoogleGenAI } from '@google/genai';
import { EspLiveError } from '../errors.js';
import { toConnectConfig, type LiveConfig } from './config.js';

export interface EphemeralTokenOptions {
  /** New sessions this token may start (resuming one does not count). Default 1. */
  uses?: number;
  /** How long the token works at all. Default 30 minutes. */
  expireMs?: number;
  /** How long it may be used to start a new session. Default 60 s. */
  newSessionMs?: number;
  now?: () => number;
}

export interface EphemeralToken {
  /** `auth_tokens/…`: connect with it as the API key, API version v1alpha. */
  name: string;
  expireTime: string;
  newSessionExpireTime: string;
}

export async function mintEphemeralToken(config: LiveConfig, options: EphemeralTokenOptions = {}): Promise<EphemeralToken> {
  const now = options.now?.() ?? Date.now();
  const ai = new GoogleGenAI({ apiKey: config.apiKey, httpOptions: { apiVersion: 'v1alpha', ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}) } });
  const expireTime = new Date(now + (options.expireMs ?? 30 * 60_000)).toISOString();
  const newSessionExpireTime = new Date(now + (options.newSessionMs ?? 60_000)).toISOString();
  try {
    const token = await ai.authTokens.create({
      config: {
        uses: options.uses ?? 1,
        expireTime,
        newSessionExpireTime,
        liveConnectConstraints: { model: config.model, config: toConnectConfig(config, undefined, []) },
        lockAdditionalFields: [],
      },
    });
    if (!token.name) throw new Error('the response had no token name');
    return { name: token.name, expireTime, newSessionExpireTime };
  } catch (error) {
    throw new EspLiveError('LIVE_TOKEN', `could not mint an ephemeral token: ${(error as Error).message}`, { cause: error, retryable: true });
  }
}
