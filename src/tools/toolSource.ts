/** Something that offers tools to each device's Live session: MCP servers, the host's own tools. */
import type { LiveSession } from '../live/session.js';
import type { Logger } from '../log.js';

export interface DeviceRef {
  id: string;
  name: string;
}

export interface ToolSource {
  /** Resolves once the source knows its tools (a session started earlier would miss them). */
  ready(): Promise<void>;
  /** Offers the tools to this device's session; returns the function that takes them away. */
  attach(device: DeviceRef, live: LiveSession, log: Logger): () => void;
  close(): Promise<void>;
}
