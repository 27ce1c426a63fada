/** A device link in memory: records what the host sends, delivers what a test says the device sent. */
import { DeviceLink } from '../../src/device/link.js';
import type { Message } from '../../src/protocol/messages.js';

export class FakeLink extends DeviceLink {
  readonly name = 'fake';
  readonly sent: Message[] = [];
  /** What went out, with a '0x00' entry for each resync. */
  readonly wire: string[] = [];
  closed = false;
  constructor(
    readonly kind: 'serial' | 'websocket' | 'local' = 'serial',
    readonly bytesPerSecond: number | undefined = undefined,
  ) {
    super();
  }
  send(message: Message): boolean {
    this.sent.push(message);
    this.wire.push(message.type);
    return true;
  }
  override resync(): void {
    this.wire.push('0x00');
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', 'closed by the host');
  }
  deliver(message: Message): void {
    this.emit('message', message);
  }
  of<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
    return this.sent.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }
}
