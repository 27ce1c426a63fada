/**
 * This computer's own microphone and speaker as a device, for a Raspberry Pi with a USB
 * headset and no board. It plays the device's part of PROTOCOL.md in-process (the same device
 * role as the simulator: devicePlayback.ts), so the bridge treats it like any board: the
 * microphone (arecord, through node-record-lpcm16) becomes AUDIO_IN, and AUDIO_OUT goes to the
 * `speaker` package (ALSA) at once, while a real-time clock releases it for credit. ALSA is probed first, because `speaker` aborts the whole process when ALSA
 * has no usable default device.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { FrameChunker } from '../audio/frameChunker.js';
import { applyGain, volumeToGain } from '../audio/sampleFormat.js';
import { realClock, type Clock, type Timer } from '../clock.js';
import { EspLiveError } from '../errors.js';
import type { Logger } from '../log.js';
import { Feature, PROTOCOL_REVISION, PROTOCOL_VERSION, SampleFormat, type Message } from '../protocol/messages.js';
import { frameSamples } from './deviceAudio.js';
import { DevicePlayback } from './devicePlayback.js';
import { DeviceLink } from './link.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

const MIC_RATE_HZ = 16000;
const SPEAKER_RATE_HZ = 24000;
const BUFFER_SAMPLES = SPEAKER_RATE_HZ / 4; // 250 ms
const TICK_MS = 10;
const MIC_BACKLOG_BYTES = MIC_RATE_HZ * 2 * 5;

/** Checks that ALSA can play and record on its default device; returns the problem, if any. */
export async function probeAlsa(device = 'default'): Promise<EspLiveError | undefined> {
  const tries: [string, string[]][] = [
    ['aplay', ['-q', '-D', device, '-t', 'raw', '-f', 'S16_LE', '-r', String(SPEAKER_RATE_HZ), '-c', '1', '/dev/null']],
    ['arecord', ['-q', '-D', device, '-t', 'raw', '-f', 'S16_LE', '-r', String(MIC_RATE_HZ), '-c', '1', '-s', '1', '/dev/null']],
  ];
  for (const [cmd, args] of tries) {
    try {
      await run(cmd, args, { timeout: 5000 });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') return new EspLiveError('AUDIO_TOOLS_MISSING', `${cmd} is not installed: sudo apt-get install alsa-utils`, { cause: error });
      return new EspLiveError('AUDIO_DEVICE', `no usable sound ${cmd === 'aplay' ? 'output' : 'input'} on ALSA device "${device}" (${(e.stderr ?? e.message).trim().split('\n')[0]}). Plug in a USB headset, or set the default device in ~/.asoundrc ('aplay -L' lists them).`, { cause: error });
    }
  }
  try {
    require('speaker');
  } catch (error) {
    return new EspLiveError('AUDIO_SPEAKER_MODULE', `the optional 'speaker' package is not installed or did not build: sudo apt-get install libasound2-dev && npm install speaker`, { cause: error });
  }
  return undefined;
}

interface Recording {
  stream(): NodeJS.ReadableStream;
  stop(): void;
  /** The arecord child process (node-record-lpcm16 sets it and listens to none of its errors). */
  process?: NodeJS.EventEmitter;
}

export class LocalAudioLink extends DeviceLink {
  readonly kind = 'local' as const; // in-process: no wire, no limit
  readonly name = 'local audio';
  readonly bytesPerSecond = undefined;
  private speaker: Writable | undefined;
  private recording: Recording | undefined;
  /** What ALSA holds, for credit: audio goes to ALSA when it comes and is released in real time. */
  private readonly playback = new DevicePlayback({ capacitySamples: BUFFER_SAMPLES, sampleRateHz: SPEAKER_RATE_HZ, revision: PROTOCOL_REVISION, extraCredits: true, noPrebuffer: true });
  private playDebt = 0;
  private ticker: Timer | undefined;
  private lastTick = 0;
  private seq = 0;
  private gain = 1;
  private micChunker = new FrameChunker(320);
  private readonly clock: Clock = realClock;
  private readonly micBacklog: Buffer[] = [];
  private micBacklogBytes = 0;
  private micSentSamples = 0;
  private micStartedAt = 0;
  /** Microphone bytes that arrived faster than real time beyond the backlog. */
  micDroppedBytes = 0;
  private closed = false;

  private constructor(private readonly log: Logger) {
    super();
  }

  /** Call probeAlsa() first: `speaker` aborts the process when ALSA has no device. */
  static async open(options: { log: Logger }): Promise<LocalAudioLink> {
    const link = new LocalAudioLink(options.log);
    setImmediate(() => link.hello());
    return link;
  }

  private deliver(message: Message): void {
    this.stats.messagesIn++;
    this.emit('message', message);
  }

  private hello(): void {
    const format = { sampleFormat: SampleFormat.S16LE, channels: 1, codecs: 1 };
    this.deliver({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      features: Feature.VOLUME,
      playbackBufferSamples: BUFFER_SAMPLES,
      maxMessageBytes: 2048,
      mic: { sampleRateHz: MIC_RATE_HZ, ...format },
      speaker: { sampleRateHz: SPEAKER_RATE_HZ, ...format },
      toolCount: 0,
      deviceId: 'local-audio',
      name: 'this computer',
      firmwareVersion: 'host',
      protocolRevision: PROTOCOL_REVISION,
    });
  }

  private start(): void {
    const Speaker = require('speaker') as new (o: object) => Writable;
    this.speaker = new Speaker({ channels: 1, bitDepth: 16, sampleRate: SPEAKER_RATE_HZ, signed: true });
    this.speaker.on('error', (error) => this.log.log('error', `speaker: ${error.message}`));
    const recorder = require('node-record-lpcm16') as { record(o: object): Recording };
    this.recording = recorder.record({ sampleRate: MIC_RATE_HZ, channels: 1, audioType: 'raw', recorder: 'arecord' });
    this.recording.process?.on('error', (error: Error) => this.log.log('error', `microphone: arecord failed (${error.message})`));
    const stream = this.recording.stream();
    this.micStartedAt = this.clock.now();
    stream.on('data', (chunk: Buffer) => this.onMic(chunk));
    stream.on('error', (error) => this.log.log('error', `microphone: ${String(error)}`));
    this.lastTick = this.clock.now();
    this.ticker = this.clock.every(TICK_MS, () => this.tick());
  }

  /**
   * Microphone bytes are framed and passed on no faster than real time: a capture device that
   * delivers faster (a file, a misconfigured plugin) is held in a bounded backlog (5 s, the
   * excess dropped and counted), not passed on as a flood.
   */
  private onMic(chunk: Buffer): void {
    if (this.micBacklogBytes + chunk.length > MIC_BACKLOG_BYTES) {
      this.micDroppedBytes += chunk.length;
      return;
    }
    this.micBacklog.push(chunk);
    this.micBacklogBytes += chunk.length;
    this.drainMic();
  }

  private drainMic(): void {
    const frame = this.micChunker.frameSamples;
    const allowedSamples = ((this.clock.now() - this.micStartedAt) * MIC_RATE_HZ) / 1000 + frame;
    while (this.micBacklog.length && this.micSentSamples < allowedSamples) {
      const chunk = this.micBacklog[0];
      const take = Math.min(chunk.length >> 1, frame - this.micChunker.pending);
      const samples = new Int16Array(take);
      new Uint8Array(samples.buffer).set(chunk.subarray(0, take * 2));
      this.micSentSamples += take;
      this.micBacklogBytes -= take * 2;
      if (take * 2 >= chunk.length) this.micBacklog.shift();
      else this.micBacklog[0] = chunk.subarray(take * 2);
      this.micChunker.push(samples, (f) => this.deliver({ type: 'audioIn', seq: this.seq++ >>> 0, captureTimeUs: this.nowUs(), payload: new Uint8Array(Int16Array.from(f).buffer) }));
    }
  }

  private nowUs(): number {
    return Math.floor(this.clock.now() * 1000) >>> 0;
  }

  /** The speaker consumes in real time: that is when credit comes back. */
  private tick(): void {
    this.drainMic();
    const now = this.clock.now();
    this.playDebt += ((now - this.lastTick) * SPEAKER_RATE_HZ) / 1000;
    this.lastTick = now;
    const n = Math.floor(this.playDebt);
    this.playDebt -= n;
    this.playback.play(n, now); // already with ALSA: this only releases it
    this.credit();
  }

  private credit(): void {
    const credit = this.playback.creditDue(this.clock.now());
    if (credit) this.deliver(credit);
  }

  send(message: Message): boolean {
    if (this.closed) return false;
    this.stats.messagesOut++;
    switch (message.type) {
      case 'helloRequest':
        this.hello();
        break;
      case 'welcome':
        if (!this.speaker) this.start();
        this.micChunker = new FrameChunker(frameSamples(MIC_RATE_HZ, message.frameMs, message.micCodec));
        this.playback.welcome(frameSamples(SPEAKER_RATE_HZ, message.frameMs, message.speakerCodec), Math.min(PROTOCOL_REVISION, message.protocolRevision ?? 0));
        this.credit();
        break;
      case 'audioOut': {
        const samples = message.payload.length >> 1;
        let pcm: Int16Array = new Int16Array(samples);
        new Uint8Array(pcm.buffer).set(message.payload.subarray(0, samples * 2));
        const accepted = this.playback.counters.framesAccepted;
        this.playback.audioOut(message.generation, pcm, this.clock.now());
        if (this.playback.counters.framesAccepted === accepted) break; // stale, or no room
        if (this.gain !== 1) pcm = applyGain(pcm, this.gain);
        this.speaker?.write(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
        break;
      }
      case 'replyEnd':
        this.playback.replyEnd(message.generation);
        break;
      case 'state':
        this.playback.hostState(message.state);
        break;
      case 'flush':
        // Audio already handed to ALSA plays out (a few tens of ms); nothing more is written.
        this.playback.flush(message.generation);
        this.credit();
        break;
      case 'setVolume':
        this.gain = volumeToGain(message.volumePercent);
        break;
      case 'ping':
        this.deliver({ type: 'pong', nonce: message.nonce, pingTimeUs: message.timeUs, timeUs: this.nowUs() });
        break;
      case 'goodbye':
        this.close();
        break;
    }
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ticker?.cancel();
    this.recording?.stop();
    this.speaker?.end();
    this.emit('close', 'local audio stopped');
  }
}
