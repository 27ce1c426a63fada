/**
 * How a tool runs in the conversation (Live API "Tool use", function calling): BLOCKING (the
 * model waits for the result) or NON_BLOCKING (it talks on; the result comes later with a
 * scheduling: INTERRUPT what it is saying, WHEN_IDLE, or SILENT into its context), per server
 * and per tool. Unset, the model's own default applies (src/live/models.ts).
 */
import type { ToolScheduling } from '../live/tools.js';

export type ToolBehaviorName = 'BLOCKING' | 'NON_BLOCKING';

export interface ToolBehavior {
  behavior?: ToolBehaviorName;
  /** For NON_BLOCKING calls: how the result enters the conversation (the service's default is WHEN_IDLE). */
  scheduling?: ToolScheduling;
  timeoutMs?: number;
  /** For NON_BLOCKING calls: after this long the model is told the tool is still working (willContinue). */
  stillWorkingMs?: number;
}

export interface ToolBehaviorConfig extends ToolBehavior {
  /** Per tool, by the server's name for it; wins over the server-wide settings. */
  tools?: Record<string, ToolBehavior>;
}

/** The settings for one tool: the server's, overridden by the tool's own. */
export function toolBehavior(config: ToolBehaviorConfig, tool: string): ToolBehavior {
  const { behavior, scheduling, timeoutMs, stillWorkingMs } = config;
  const own = config.tools?.[tool] ?? {};
  return { behavior: own.behavior ?? behavior, scheduling: own.scheduling ?? scheduling, timeoutMs: own.timeoutMs ?? timeoutMs, stillWorkingMs: own.stillWorkingMs ?? stillWorkingMs };
}
