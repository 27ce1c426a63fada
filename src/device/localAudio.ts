/**
 * This computer's own microphone and speaker as a device, for a Raspberry Pi with a USB
 * headset and no board. It plays the device's part of PROTOCOL.md in-process, so the bridge
 * treats it like any board: the microphone (arecord, through node-record-lpcm16) becomes
 * AUDIO_IN, and AUDIO_OUT goes to the `speaker` package (ALSA) as fast as a real-time clock
 * releases credit. ALSA is probed first, because `speaker` aborts the whole process when ALSA
 * has no usable default device.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { applyGain, volumeToGain } from '../audio/sampleFormat.js';
import { EspLiveError } from '../errors.js';
import type { Logger } from '../log.js';
import { Feature, PROTOCOL_VERSION, SampleFormat, type Message } from '../protocol/messages.js';
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
}

export class LocalAudioLink extends DeviceLink {
  readonly kind = 'local' as const; // in-process: no wire, no limit
  readonly name = 'local audio';
  readonly bytesPerSecond = undefined;
  private speaker: Writable | undefined;
  private recording: Recording | undefined;
  private generation = 0;
  private released = 0;
  private buffered = 0;
  private playDebt = 0;
  private ticker: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private seq = 0;
  private gain = 1;
  private micFrame = new Int16Array(320);
  private micFill = 0;
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
    });
  }

  private start(): void {
    const Speaker = require('speaker') as new (o: object) => Writable;
    this.speaker = new Speaker({ channels: 1, bitDepth: 16, sampleRate: SPEAKER_RATE_HZ, signed: true });
    this.speaker.on('error', (error) => this.log.log('error', `speaker: ${error.message}`));
    const recorder = require('node-record-lpcm16') as { record(o: object): Recording };
    this.recording = recorder.record({ sampleRate: MIC_RATE_HZ, channels: 1, audioType: 'raw', recorder: 'arecord' });
    const stream = this.recording.stream();
    this.micStartedAt = performance.now();
    stream.on('data', (chunk: Buffer) => this.onMic(chunk));
    stream.on('error', (error) => this.log.log('error', `microphone: ${String(error)}`));
    this.lastTick = performance.now();
    this.ticker = setInterval(() => this.tick(), TICK_MS);
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
    const allowedSamples = ((performance.now() - this.micStartedAt) * MIC_RATE_HZ) / 1000 + 320;
    while (this.micBacklog.length && this.micSentSamples < allowedSamples) {
      const chunk = this.micBacklog[0];
      const take = Math.min(chunk.length >> 1, 320 - this.micFill);
      const view = new Int16Array(take);
      new Uint8Array(view.buffer).set(chunk.subarray(0, take * 2));
      this.micFrame.set(view, this.micFill);
      this.micFill += take;
      this.micSentSamples += take;
      this.micBacklogBytes -= take * 2;
      if (take * 2 >= chunk.length) this.micBacklog.shift();
      else this.micBacklog[0] = chunk.subarray(take * 2);
      if (this.micFill === 320) {
        const frame = this.micFrame;
        this.micFrame = new Int16Array(320);
        this.micFill = 0;
        this.deliver({ type: 'audioIn', seq: this.seq++ >>> 0, captureTimeUs: Math.floor(performance.now() * 1000) >>> 0, payload: new Uint8Array(frame.buffer) });
      }
    }
  }

  /** The speaker consumes in real time: that is when credit comes back. */
  private tick(): void {
    this.drainMic();
    const now = performance.now();
    this.playDebt += ((now - this.lastTick) * SPEAKER_RATE_HZ) / 1000;
    this.lastTick = now;
    const n = Math.min(this.buffered, Math.floor(this.playDebt));
    this.playDebt = this.buffered > 0 ? this.playDebt - n : 0;
    if (n > 0) {
      this.buffered -= n;
      this.released = (this.released + n) >>> 0;
      this.credit();
    }
  }

  private credit(): void {
    this.deliver({ type: 'credit', generation: this.generation, releasedSamples: this.released, playedSamples: this.released, bufferedSamples: this.buffered, underruns: 0, overflows: 0, staleFrames: 0 });
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
        this.credit();
        break;
      case 'audioOut': {
        const samples = message.payload.length >> 1;
        if (message.generation !== this.generation) {
          this.released = (this.released + samples) >>> 0;
          break;
        }
        let pcm: Int16Array = new Int16Array(samples);
        new Uint8Array(pcm.buffer).set(message.payload.subarray(0, samples * 2));
        if (this.gain !== 1) pcm = applyGain(pcm, this.gain);
        this.speaker?.write(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
        this.buffered += samples;
        break;
      }
      case 'flush':
        // Audio already handed to ALSA plays out (a few tens of ms); nothing more is written.
        this.released = (this.released + this.buffered) >>> 0;
        this.buffered = 0;
        this.generation = message.generation;
        this.credit();
        break;
      case 'setVolume':
        this.gain = volumeToGain(message.volumePercent);
        break;
      case 'ping':
        this.deliver({ type: 'pong', nonce: message.nonce, pingTimeUs: message.timeUs, timeUs: Math.floor(performance.now() * 1000) >>> 0 });
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
    clearInterval(this.ticker);
    this.recording?.stop();
    this.speaker?.end();
    this.emit('close', 'local audio stopped');
  }
}
