/**
 * Who may use the console. On localhost without a password: anyone on this computer, but only
 * through a Host header naming this computer (a web page elsewhere cannot rebind a name to
 * 127.0.0.1 and drive it). With a password: a login form sets an HttpOnly, SameSite=Strict
 * session cookie; passwords are compared in constant time (as digests, so the length leaks
 * nothing either), never logged, and an address that keeps failing is blocked for a while.
 * Every WebSocket must come from the console's own page (its Origin is the Host it talks to).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Clock } from '../clock.js';
import { UpgradeLimiter } from '../device/upgradeLimiter.js';

export const SESSION_COOKIE = 'esp_live_console';
const SESSION_MS = 12 * 3600_000;
const MAX_SESSIONS = 64;
const LOCAL_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

export interface ConsoleAuthOptions {
  password?: string;
  /** True when the console listens on a loopback address only. */
  loopbackOnly: boolean;
  clock: Clock;
}

export class ConsoleAuth {
  private readonly digest: Buffer | undefined;
  /** Session id → when it expires (clock ms); the oldest goes first past MAX_SESSIONS. */
  private readonly sessions = new Map<string, number>();
  readonly limiter: UpgradeLimiter;

  constructor(private readonly options: ConsoleAuthOptions) {
    this.digest = options.password === undefined ? undefined : sha256(options.password);
    this.limiter = new UpgradeLimiter({ clock: options.clock, maxFailures: 10, windowMs: 60_000, blockMs: 60_000 });
  }

  get passwordRequired(): boolean {
    return this.digest !== undefined;
  }

  /** A Host header this console may answer: any with a password, this computer's names without. */
  hostAllowed(req: IncomingMessage): boolean {
    return this.passwordRequired || !this.options.loopbackOnly || LOCAL_HOST.test(req.headers.host ?? '');
  }

  /** A WebSocket from the console's own page (browsers always send Origin on a WebSocket). */
  sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return false;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  /** Checks a login; returns a new session id, or undefined (counted against the address). */
  login(password: string, address: string): string | undefined {
    if (!this.digest || this.limiter.isBlocked(address)) return undefined;
    if (!timingSafeEqual(sha256(password), this.digest)) {
      this.limiter.fail(address);
      return undefined;
    }
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, this.options.clock.now() + SESSION_MS);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return id;
  }

  /** Whether this request may see the console. */
  authorised(req: IncomingMessage): boolean {
    if (!this.digest) return true;
    const id = cookie(req, SESSION_COOKIE);
    if (!id) return false;
    // The map lookup is by a 256-bit random id: guessing it is the only way in, timing or not.
    const expires = this.sessions.get(id);
    if (expires === undefined) return false;
    if (this.options.clock.now() > expires) {
      this.sessions.delete(id);
      return false;
    }
    return true;
  }

  static sessionCookie(id: string): string {
    return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MS / 1000}`;
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
