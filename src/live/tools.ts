/**
 * Functions the assistant may call: declarations for the Live setup, and handlers that run
 * with a timeout and can be cancelled (the model cancels a call when the user interrupts).
 */
import type { FunctionDeclaration } from '@google/genai';

export type ToolHandler = (args: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>;

export interface ToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export interface ToolOutcome {
  id: string;
  name: string;
  response: { result: unknown } | { error: string };
}

const NAME = /^[a-zA-Z_][a-zA-Z0-9_.-]{0,63}$/;

export class ToolRegistry {
  private readonly tools = new Map<string, { declaration: FunctionDeclaration; handler: ToolHandler }>();

  /** Adds a tool; returns a function that removes it again. */
  register(declaration: FunctionDeclaration, handler: ToolHandler): () => void {
    const name = declaration.name ?? '';
    if (!NAME.test(name)) throw new TypeError(`tool name "${name}" must match ${NAME}`);
    if (this.tools.has(name)) throw new TypeError(`tool "${name}" is already registered`);
    const entry = { declaration, handler };
    this.tools.set(name, entry);
    return () => {
      if (this.tools.get(name) === entry) this.tools.delete(name);
    };
  }

  declarations(): FunctionDeclaration[] {
    return [...this.tools.values()].map((t) => t.declaration);
  }

  /** The declaration's `behavior` (BLOCKING, NON_BLOCKING), if it says. */
  behavior(name: string): string | undefined {
    return this.tools.get(name)?.declaration.behavior;
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  /** Runs a call; never throws: failures and timeouts become an `error` response the model can read. */
  async dispatch(call: ToolCall, timeoutMs: number, signal: AbortSignal): Promise<ToolOutcome> {
    const tool = this.tools.get(call.name);
    const answer = (response: ToolOutcome['response']): ToolOutcome => ({ id: call.id, name: call.name, response });
    if (!tool) return answer({ error: `no tool named ${call.name}` });
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal.addEventListener('abort', abort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`${call.name} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      return answer({ result: await Promise.race([tool.handler(call.args ?? {}, controller.signal), timeout]) });
    } catch (error) {
      return answer({ error: (error as Error).message ?? String(error) });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
    }
  }
}
