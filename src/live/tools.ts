/**
 * Functions the assistant may call: declarations for the Live setup, and handlers that run
 * with a timeout and can be cancelled (the model cancels a call when the user interrupts).
 */
import type { FunctionDeclaration } from '@google/genai';

/** `progress` reports how far a long call is (only NON_BLOCKING calls pass it on to the model). */
export type ToolHandler = (args: Record<string, unknown>, signal: AbortSignal, progress?: (update: Record<string, unknown>) => void) => Promise<unknown>;

/** How a NON_BLOCKING call's response enters the conversation (FunctionResponseScheduling). */
export type ToolScheduling = 'INTERRUPT' | 'WHEN_IDLE' | 'SILENT';

export interface ToolOptions {
  /** This tool's own limit instead of the session's toolTimeoutMs. */
  timeoutMs?: number;
  /** The final response's scheduling (NON_BLOCKING calls). */
  scheduling?: ToolScheduling;
  /** NON_BLOCKING calls: tell the model the tool is still working after this long (default 5 s). */
  stillWorkingMs?: number;
}

export interface ToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export interface ToolOutcome {
  id: string;
  name: string;
  response: { result: unknown } | { error: string };
  /** More responses follow for this call (NON_BLOCKING progress). */
  willContinue?: boolean;
  scheduling?: ToolScheduling;
}

export const STILL_WORKING_MS = 5000;

const NAME = /^[a-zA-Z_][a-zA-Z0-9_.-]{0,63}$/;

export class ToolRegistry {
  private readonly tools = new Map<string, { declaration: FunctionDeclaration; handler: ToolHandler; options: ToolOptions }>();

  /** Adds a tool; returns a function that removes it again. */
  register(declaration: FunctionDeclaration, handler: ToolHandler, options: ToolOptions = {}): () => void {
    const name = declaration.name ?? '';
    if (!NAME.test(name)) throw new TypeError(`tool name "${name}" must match ${NAME}`);
    if (this.tools.has(name)) throw new TypeError(`tool "${name}" is already registered`);
    const entry = { declaration, handler, options };
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

  /**
   * Runs a call; never throws: failures and timeouts become an `error` response the model can
   * read. With `interim` (a NON_BLOCKING call) the model also hears progress, and that the
   * tool is still working once it has taken stillWorkingMs, as responses with willContinue.
   */
  async dispatch(call: ToolCall, timeoutMs: number, signal: AbortSignal, interim?: (outcome: ToolOutcome) => void): Promise<ToolOutcome> {
    const tool = this.tools.get(call.name);
    const scheduling = interim ? tool?.options.scheduling : undefined;
    const answer = (response: ToolOutcome['response'], more?: Partial<ToolOutcome>): ToolOutcome => ({ id: call.id, name: call.name, response, ...(scheduling ? { scheduling } : {}), ...more });
    if (!tool) return answer({ error: `no tool named ${call.name}` });
    const limitMs = tool.options.timeoutMs ?? timeoutMs;
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal.addEventListener('abort', abort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let notice: NodeJS.Timeout | undefined;
    const progress = interim && ((update: Record<string, unknown>) => {
      if (!controller.signal.aborted) interim(answer({ result: { status: 'in progress', ...update } }, { willContinue: true, scheduling: 'SILENT' }));
    });
    const stillWorkingMs = tool.options.stillWorkingMs ?? STILL_WORKING_MS;
    if (interim && stillWorkingMs < limitMs) {
      notice = setTimeout(() => interim(answer({ result: { status: 'still working on it; the result will follow' } }, { willContinue: true, scheduling: 'WHEN_IDLE' })), stillWorkingMs);
    }
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new Error(`${call.name} did not answer within ${limitMs} ms`));
        }, limitMs);
      });
      return answer({ result: await Promise.race([tool.handler(call.args ?? {}, controller.signal, progress), timeout]) });
    } catch (error) {
      return answer({ error: (error as Error).message ?? String(error) });
    } finally {
      clearTimeout(timer);
      clearTimeout(notice);
      signal.removeEventListener('abort', abort);
    }
  }
}
