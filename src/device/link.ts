/** A byte-exact path to one device, whatever carries it: USB serial or a WebSocket. */
import type { Message } from '../protocol/messages.js';
import { TypedEmitter } from '../typedEmitter.js';

export interface LinkEvents extends Record<string, unknown[]> {
  message: [message: Message];
  /** The link can take more after send() returned false. */
  drain: [];
  /** The link is gone (unplugged, socket closed); `reason` says why. */
  close: [reason: string];
}

export interface LinkStats {
  messagesIn: number;
  messagesOut: number;
  /** Frames or messages received that were damaged, oversize or of unknown type. */
  rejected: number;
}

/** What a device token allows (esp-live.json `websocket.tokens`). */
export interface TokenGrant {
  /** The device's name in logs. */
  name: string;
  /** The HELLO deviceIds this token may use; unset: the first one it presents becomes its own. */
  deviceIds?: string[];
  /** Devices this token may have at once (default 1). */
  maxSessions: number;
}

export abstract class DeviceLink extends TypedEmitter<LinkEvents> {
  abstract readonly kind: 'serial' | 'websocket' | 'local';
  /** For people: "/dev/ttyUSB0" or "ws 192.168.1.20". */
  abstract readonly name: string;
  /** What the link carries per direction, or undefined when that is no constraint (native USB, Wi-Fi). */
  abstract readonly bytesPerSecond: number | undefined;
  readonly stats: LinkStats = { messagesIn: 0, messagesOut: 0, rejected: 0 };
  /** The token the device proved, for links that need one (WebSocket); USB and local audio are trusted. */
  readonly grant: TokenGrant | undefined = undefined;
  /** Largest message the device accepts (from its HELLO). */
  maxMessageBytes = 2048;
  /**
   * Puts the device's receiver back in step before a request (serial: a 0x00 ends whatever
   * noise came before as one dropped frame, PROTOCOL.md §2). Message links need nothing.
   */
  resync(): void {}
  /** Sends one message; false means the link is backed up: wait for 'drain'. */
  abstract send(message: Message): boolean;
  abstract close(): void;
}
