/** An EventEmitter whose event names and argument lists are checked by the compiler. */
import { EventEmitter } from 'node:events';

export class TypedEmitter<Events extends Record<string, unknown[]>> {
  private readonly emitter = new EventEmitter();

  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Listens until the returned function is called. */
  subscribe<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): () => void {
    this.on(event, listener);
    return () => this.off(event, listener);
  }

  protected emit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    this.emitter.emit(event, ...args);
  }

  listenerCount(event: keyof Events & string): number {
    return this.emitter.listenerCount(event);
  }
}
