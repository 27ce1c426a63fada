/**
 * What the console shows, read from the bridge without changing it: every device agent's link,
 * firmware, codecs, state, audio levels, link health and Live session health, from the events
 * they already emit and their public fields. Agents come and go: each snapshot picks up new
 * ones and lets go of those the bridge dropped. Every string that came from a board or a peer
 * (names, ids, firmware version, transcripts) is escaped here, before it reaches a page.
 */
import type { Bridge } from '../bridge/bridge.js';
import type { DeviceAgent } from '../bridge/deviceAgent.js';
import { InterruptReason } from '../bridge/replyPlayer.js';
import { rmsDbfs } from '../audio/level.js';
import { realClock, type Clock } from '../clock.js';
import type { DeviceConnection } from '../device/deviceConnection.js';
import type { LiveState } from '../live/session.js';
import { escapeText } from '../log.js';
import type { Credit } from '../protocol/messages.js';
import { TypedEmitter } from '../typedEmitter.js';

const STATE_NAMES = ['idle', 'listening', 'thinking', 'speaking', 'error', 'connecting'];
const CODEC_NAMES = ['PCM', 'ULAW', 'ALAW', 'IMA_ADPCM'];
const SILENCE_DBFS = -120;
const MAX_TRANSCRIPT_LINES = 100;

export interface TranscriptLine {
  time: number;
  device: string;
  who: 'user' | 'assistant';
  text: string;
}

export interface DeviceView {
  id: string;
  name: string;
  /** undefined while the device is away (its conversation waits for it). */
  link?: { kind: string; name: string };
  firmware: string;
  protocolRevision: number;
  mic: { rateHz: number; codec: string };
  speaker: { rateHz: number; codec: string };
  frameMs: number;
  state: string;
  /** Loudest 20 ms of the microphone sent to Live, and of the reply from Live, since the last snapshot. */
  levels: { inDbfs: number; outDbfs: number };
  health: {
    /** From the device's last CREDIT: its playback buffer now, and its capacity (ms). */
    bufferedMs?: number;
    capacityMs: number;
    underruns: number;
    staleFrames: number;
    rttMs?: number;
    /** AUDIO_IN frames lost on the way (sequence gaps), frames the link rejected, reply frames dropped, mic frames over rate. */
    micFramesLost: number;
    linkRejected: number;
    replyFramesDropped: number;
    micOverRate: number;
  };
  /** handleAgeMs: since the newest resumption handle came (the handle itself never leaves the host). */
  live: { state: LiveState; connectionAgeMs?: number; handleAgeMs?: number; reconnectsByCause: Record<string, number>; errorsByCode: Record<string, number>; stats: Record<string, number> };
  /** Today's usage from the bridge's meter: tokens of every kind, the estimated cost, whether the budget still allows more. */
  usage: { tokens: number; usdEstimate: number; audioSecondsUp: number; allowed: boolean };
  volumePercent?: number;
}

interface Tracked {
  agent: DeviceAgent;
  off: (() => void)[];
  connection?: DeviceConnection;
  connectionOff: (() => void)[];
  inDbfs: number;
  outDbfs: number;
  credit?: Credit;
  rttMs?: number;
  liveState: LiveState;
  openedAt?: number;
  handle?: string;
  handleAt?: number;
  errorsByCode: Record<string, number>;
  volumePercent?: number;
}

export interface BridgeViewEvents extends Record<string, unknown[]> {
  transcript: [line: TranscriptLine];
}

export class BridgeView extends TypedEmitter<BridgeViewEvents> {
  private readonly tracked = new Map<string, Tracked>();
  private readonly lines: TranscriptLine[] = [];

  constructor(
    private readonly bridge: Pick<Bridge, 'agents' | 'usage'>,
    private readonly clock: Clock = realClock,
  ) {
    super();
  }

  /** Every device now (and the levels since the last call). */
  snapshot(): DeviceView[] {
    this.sync();
    const now = this.clock.now();
    return [...this.tracked.values()].map((t) => {
      this.follow(t);
      const { agent } = t;
      const info = agent.info;
      const hello = info?.hello;
      const speakerRate = hello?.speaker.sampleRateHz ?? 16000;
      if (agent.live.resumptionHandle !== t.handle) {
        t.handle = agent.live.resumptionHandle;
        t.handleAt = now; // seen at the next snapshot: ages are within SNAPSHOT_MS
      }
      const view: DeviceView = {
        id: escapeText(agent.deviceId),
        name: escapeText(hello?.name || agent.deviceId),
        link: agent.connection ? { kind: agent.connection.link.kind, name: escapeText(agent.connection.link.name) } : undefined,
        firmware: escapeText(hello?.firmwareVersion ?? ''),
        protocolRevision: info?.protocolRevision ?? 0,
        mic: { rateHz: hello?.mic.sampleRateHz ?? 0, codec: CODEC_NAMES[info?.micCodec ?? 0] ?? String(info?.micCodec) },
        speaker: { rateHz: speakerRate, codec: CODEC_NAMES[info?.speakerCodec ?? 0] ?? String(info?.speakerCodec) },
        frameMs: info?.frameMs ?? 0,
        state: STATE_NAMES[agent.assistantState] ?? String(agent.assistantState),
        levels: { inDbfs: round1(t.inDbfs), outDbfs: round1(t.outDbfs) },
        health: {
          bufferedMs: t.credit ? Math.round((t.credit.bufferedSamples / speakerRate) * 1000) : undefined,
          capacityMs: Math.round(((hello?.playbackBufferSamples ?? 0) / speakerRate) * 1000),
          underruns: agent.stats.underrunsAtDevice,
          staleFrames: agent.stats.staleFramesAtDevice,
          rttMs: t.rttMs === undefined ? undefined : round1(t.rttMs),
          micFramesLost: agent.connection?.lostFrames ?? 0,
          linkRejected: agent.connection?.link.stats.rejected ?? 0,
          replyFramesDropped: agent.stats.framesDroppedOverflow,
          micOverRate: agent.stats.micOverRate,
        },
        live: {
          state: t.liveState,
          connectionAgeMs: t.liveState === 'open' && t.openedAt !== undefined ? Math.round(now - t.openedAt) : undefined,
          handleAgeMs: t.handle !== undefined && t.handleAt !== undefined ? Math.round(now - t.handleAt) : undefined,
          reconnectsByCause: { ...agent.live.stats.reconnectsByCause },
          errorsByCode: { ...t.errorsByCode },
          // Whatever the session counts today (other work adds to it): numbers only.
          stats: Object.fromEntries(Object.entries(agent.live.stats).filter(([, v]) => typeof v === 'number')),
        },
        usage: this.usage(agent.deviceId),
        volumePercent: t.volumePercent,
      };
      t.inDbfs = t.outDbfs = SILENCE_DBFS;
      return view;
    });
  }

  private usage(id: string): DeviceView['usage'] {
    const u = this.bridge.usage.today(id);
    return { tokens: u.inputText + u.inputAudio + u.outputText + u.outputAudio, usdEstimate: Math.round(u.usd * 10_000) / 10_000, audioSecondsUp: Math.round(u.audioSecondsUp * 10) / 10, allowed: this.bridge.usage.allowed(id) };
  }

  transcript(): TranscriptLine[] {
    return [...this.lines];
  }

  /** The console's push-to-talk for one device; false if there is no such device. */
  pushToTalk(id: string, down: boolean): boolean {
    const t = this.find(id);
    t?.agent.pressButton(down);
    return t !== undefined;
  }

  interrupt(id: string): boolean {
    const t = this.find(id);
    t?.agent.bargeIn(InterruptReason.BUTTON);
    return t !== undefined;
  }

  setVolume(id: string, percent: number): boolean {
    const t = this.find(id);
    if (!t) return false;
    t.volumePercent = Math.max(0, Math.min(100, Math.round(percent)));
    t.agent.setVolume(t.volumePercent);
    return true;
  }

  close(): void {
    for (const id of [...this.tracked.keys()]) this.untrack(id);
  }

  /** Ids as the page knows them (escaped). */
  private find(id: string): Tracked | undefined {
    this.sync();
    return [...this.tracked.values()].find((t) => escapeText(t.agent.deviceId) === id);
  }

  private sync(): void {
    for (const [id, agent] of this.bridge.agents) if (this.tracked.get(id)?.agent !== agent) this.track(id, agent);
    for (const id of this.tracked.keys()) if (this.bridge.agents.get(id) !== this.tracked.get(id)!.agent) this.untrack(id);
  }

  private track(id: string, agent: DeviceAgent): void {
    this.untrack(id);
    const live = agent.live;
    const t: Tracked = { agent, off: [], connectionOff: [], inDbfs: SILENCE_DBFS, outDbfs: SILENCE_DBFS, liveState: live.isOpen ? 'open' : 'connecting', openedAt: live.isOpen ? this.clock.now() : undefined, errorsByCode: {} };
    t.off.push(
      agent.subscribe('heard', (samples) => (t.inDbfs = Math.max(t.inDbfs, rmsDbfs(samples)))),
      agent.subscribe('transcript', (who, text) => this.addLine({ time: Date.now(), device: escapeText(id), who, text: escapeText(text) })),
      live.subscribe('audio', (samples) => (t.outDbfs = Math.max(t.outDbfs, rmsDbfs(samples)))),
      live.subscribe('state', (state) => {
        if (state === 'open' && t.liveState !== 'open') t.openedAt = this.clock.now();
        t.liveState = state;
      }),
      live.subscribe('error', (error) => (t.errorsByCode[error.code] = (t.errorsByCode[error.code] ?? 0) + 1)),
    );
    this.tracked.set(id, t);
  }

  /** Listens to the agent's current connection (credits, round trips); a new one replaces it. */
  private follow(t: Tracked): void {
    const connection = t.agent.connection;
    if (connection === t.connection) return;
    for (const off of t.connectionOff.splice(0)) off();
    t.connection = connection;
    t.credit = undefined;
    t.rttMs = undefined;
    if (!connection) return;
    t.connectionOff.push(
      connection.subscribe('credit', (credit) => (t.credit = credit)),
      connection.subscribe('pong', (rttMs) => (t.rttMs = rttMs)),
    );
  }

  private untrack(id: string): void {
    const t = this.tracked.get(id);
    if (!t) return;
    for (const off of [...t.off, ...t.connectionOff]) off();
    this.tracked.delete(id);
  }

  private addLine(line: TranscriptLine): void {
    this.lines.push(line);
    if (this.lines.length > MAX_TRANSCRIPT_LINES) this.lines.shift();
    this.emit('transcript', line);
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
