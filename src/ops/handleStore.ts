/**
 * Resumption handles kept across a restart of esp-live (a service restart, an upgrade, a crash):
 * every 30 s when they changed, and at a clean shutdown, each device's newest Live handle is
 * written to a small state file (mode 0600:
 * a handle resumes a conversation, so it is as private as the conversation), and on the next
 * start a device that comes back with the same id resumes where it was. The service keeps a
 * handle for 2 hours after the connection ends (docs/live-api-notes.md §5); an older entry is
 * dropped, and so is one for another model. Each entry is used once.
 */
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

export const HANDLE_TTL_MS = 2 * 3600_000;
/** Entries this close to expiry are not worth a refused resumption. */
const EXPIRY_MARGIN_MS = 5 * 60_000;
/** A state file bigger than this is not ours (or is damaged): ignored. */
const MAX_STATE_BYTES = 1 << 20;

export interface SavedHandle {
  handle: string;
  model: string;
  /** Wall-clock time of the shutdown (ms since 1970): the 2 hours count from when the connection ended. */
  savedAtMs: number;
}

interface StateFile {
  version: 1;
  handles: Record<string, SavedHandle>;
}

export class HandleStore {
  private handles = new Map<string, SavedHandle>();
  /** What the file holds now (as written by save), to skip writing it again. */
  private written = JSON.stringify([]);

  constructor(
    readonly path: string,
    private readonly wallClockMs: () => number = Date.now,
  ) {}

  /** Reads the file; returns a problem to log (a damaged file is set aside, never fatal). */
  load(): string | undefined {
    if (!existsSync(this.path)) return undefined;
    try {
      if (statSync(this.path).size > MAX_STATE_BYTES) return `${this.path} is larger than a state file can be; ignored`;
      const state = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<StateFile>;
      const now = this.wallClockMs();
      for (const [id, h] of Object.entries(state.handles ?? {})) {
        const valid = typeof h?.handle === 'string' && typeof h.model === 'string' && typeof h.savedAtMs === 'number';
        if (valid && now - h.savedAtMs < HANDLE_TTL_MS - EXPIRY_MARGIN_MS && h.savedAtMs <= now) this.handles.set(id, { handle: h.handle, model: h.model, savedAtMs: h.savedAtMs });
      }
      return undefined;
    } catch (error) {
      return `${this.path} could not be read (${(error as Error).message}); starting without saved conversations`;
    } finally {
      rmSync(this.path, { force: true }); // each handle is used once; a new shutdown writes the file again
    }
  }

  /** The saved handle for this device and model, once. */
  take(deviceId: string, model: string): string | undefined {
    const saved = this.handles.get(deviceId);
    this.handles.delete(deviceId);
    return saved && saved.model === model ? saved.handle : undefined;
  }

  /**
   * Writes the handles of the open conversations (at shutdown, and now and then while running,
   * so that a crash loses little); no file when there are none. Unchanged handles are not written again.
   */
  save(entries: { deviceId: string; handle: string; model: string }[]): void {
    const key = JSON.stringify(entries);
    if (key === this.written) return;
    this.written = key;
    if (entries.length === 0) {
      rmSync(this.path, { force: true });
      return;
    }
    const savedAtMs = this.wallClockMs();
    const state: StateFile = { version: 1, handles: Object.fromEntries(entries.map((e) => [e.deviceId, { handle: e.handle, model: e.model, savedAtMs }])) };
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }
}

/** How often a running bridge writes changed handles down. */
export const HANDLE_SAVE_MS = 30_000;

interface WithLive {
  live: { resumptionHandle: string | undefined; config: { model: string } };
}

/** Saves the handles of these conversations (device id → agent); a failure is reported, never thrown: the bridge runs on. */
export function keepHandles(store: HandleStore, agents: Iterable<[string, WithLive]>, warn: (message: string) => void): void {
  const open = [...agents].flatMap(([deviceId, { live }]) => (live.resumptionHandle ? [{ deviceId, handle: live.resumptionHandle, model: live.config.model }] : []));
  try {
    store.save(open);
  } catch (error) {
    warn(`could not keep the conversations for the next start (${(error as Error).message})`);
  }
}

/** The state file that belongs to a configuration file: esp-live.json → esp-live.state.json. */
export function stateFileFor(configFile: string): string {
  return configFile.replace(/(\.json)?$/i, '.state.json');
}
