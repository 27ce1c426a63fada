/**
 * The reply player on a fake clock, against a device that follows PROTOCOL.md §4.5 (the same
 * device role the simulator plays). Each test pins one behaviour that a barge-in or a board's
 * credits depend on; scripts/mutations.sh checks that removing it turns a test red.
 */
import { describe, expect, it } from 'vitest';
import { DevicePlayback } from '../src/device/devicePlayback.js';
import { decodePayload } from '../src/device/deviceAudio.js';
import { InterruptReason, LOST_AFTER_MS, ReplyPlayer, type ReplySink } from '../src/bridge/replyPlayer.js';
import { Codec, SampleFormat, type AudioFormat, type Message } from '../src/protocol/messages.js';
import { FakeClock } from './helpers/fakeClock.js';

const SPEAKER: AudioFormat = { sampleRateHz: 16000, sampleFormat: SampleFormat.S16LE, channels: 1, codecs: 1 };
const FRAME = 320; // 20 ms at 16 kHz
/** 20 ms of model audio at 16 kHz (no resampling), every sample `value`. */
const chunk = (frames: number, value = 1000) => new Int16Array(frames * FRAME).fill(value);

/** A sink that records what the player sends and delivers it to a spec-following device. */
class Board implements ReplySink {
  readonly sent: Message[] = [];
  readonly device: DevicePlayback;
  backedUp = false;
  /** AUDIO_OUT frames (by index) that a noisy link loses: the device never sees them. */
  lose = new Set<number>();
  private frames = 0;
  constructor(
    readonly clock: FakeClock,
    capacity: number,
    revision = 1,
  ) {
    this.device = new DevicePlayback({ capacitySamples: capacity, sampleRateHz: 16000, revision, noPrebuffer: true });
    this.device.welcome(FRAME, revision);
  }
  audioOut(generation: number, payload: Uint8Array): boolean {
    this.sent.push({ type: 'audioOut', seq: 0, generation, payload });
    if (this.lose.has(this.frames++)) return !this.backedUp;
    this.device.audioOut(generation, decodePayload(payload, SPEAKER, Codec.PCM)!, this.clock.now());
    return !this.backedUp;
  }
  send(message: Message): boolean {
    this.sent.push(message);
    if (message.type === 'flush') this.device.flush(message.generation);
    if (message.type === 'replyEnd') this.device.replyEnd(message.generation);
    return true;
  }
  audio(): Extract<Message, { type: 'audioOut' }>[] {
    return this.sent.filter((m): m is Extract<Message, { type: 'audioOut' }> => m.type === 'audioOut');
  }
}

function rig(options: { capacity?: number; revision?: number; queueMs?: number } = {}) {
  const clock = new FakeClock(0);
  const board = new Board(clock, options.capacity ?? 10 * FRAME, options.revision ?? 1);
  const player = new ReplyPlayer({
    sink: board,
    speaker: SPEAKER,
    speakerCodec: Codec.PCM,
    frameMs: 20,
    capacitySamples: options.capacity ?? 10 * FRAME,
    protocolRevision: options.revision ?? 1,
    queueMs: options.queueMs ?? 60_000,
    clock,
  });
  const playing: boolean[] = [];
  player.on('playing', (p) => playing.push(p));
  /** The device plays `ms` of audio in 10 ms steps and sends the CREDITs the spec requires. */
  const run = (ms: number) => {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(10);
      board.device.play(160, clock.now());
      const credit = board.device.creditDue(clock.now());
      if (credit) player.onCredit(credit);
    }
  };
  return { clock, board, player, playing, run };
}

describe('ReplyPlayer: credits', () => {
  it('never has more in flight than the device buffer holds, and sends the rest as credit comes back', () => {
    const { board, player, run } = rig({ capacity: 4 * FRAME });
    player.push(chunk(20), 16000);
    expect(board.audio()).toHaveLength(4); // 4 frames fill the buffer; 16 wait for credit
    run(200);
    // CREDITs come after each full frame released: at 160 (the first, after WELCOME), 480, …, 3040.
    expect(board.audio()).toHaveLength(4 + Math.floor(3040 / FRAME));
    expect(board.device.counters.overflows).toBe(0);
    run(500);
    expect(board.audio()).toHaveLength(20);
  });

  it('waits for the link to drain when it is backed up', () => {
    const { board, player } = rig();
    board.backedUp = true;
    player.push(chunk(5), 16000);
    expect(board.audio()).toHaveLength(1);
    board.backedUp = false;
    player.onDrain();
    expect(board.audio()).toHaveLength(5);
  });
});

describe('ReplyPlayer: frames lost on the link', () => {
  it('writes off what never arrived once the device reports an empty buffer and then nothing, so the next reply still plays', () => {
    const { board, player, run } = rig({ capacity: 10 * FRAME });
    for (let i = 0; i < 30; i += 3) board.lose.add(i); // 10 of 30 frames lost: a whole buffer's worth
    player.push(chunk(30), 16000);
    player.end();
    run(5 * LOST_AFTER_MS);
    expect(board.audio()).toHaveLength(30); // the lost frames' credit came back by write-off
    expect(player.stats.samplesLostOnLink).toBe(10 * FRAME); // exactly what was lost, nothing that arrived
    player.push(chunk(20), 16000);
    player.end();
    run(1000);
    expect(board.audio()).toHaveLength(50); // the window is whole again: the next reply is sent in full
    expect(board.device.counters.overflows).toBe(0);
  });

  it('writes nothing off while frames may still be on their way (something was sent after the empty report)', () => {
    const { board, player, run, clock } = rig({ capacity: 10 * FRAME });
    board.lose.add(0);
    player.push(chunk(2), 16000);
    run(100); // frame 1 played, frame 0 lost: an empty CREDIT with one frame in flight
    clock.advance(LOST_AFTER_MS - 100);
    player.push(chunk(1), 16000); // a new frame goes out just before the write-off would be due
    clock.advance(200);
    expect(player.stats.samplesLostOnLink).toBe(0);
  });
});

describe('ReplyPlayer: the end of a reply', () => {
  it('pads the last partial frame, then marks the end with REPLY_END (1.1 session)', () => {
    const { board, player } = rig();
    player.push(new Int16Array(FRAME + 100).fill(7), 16000);
    player.end();
    const types = board.sent.map((m) => m.type);
    expect(types).toEqual(['audioOut', 'audioOut', 'replyEnd']);
    const last = decodePayload(board.audio()[1].payload, SPEAKER, Codec.PCM)!;
    expect(last).toHaveLength(FRAME);
    expect(last.subarray(100).every((s) => s === 0)).toBe(true);
  });

  it('sends REPLY_END only after the frames still waiting for credit, and only once per reply', () => {
    const { board, player, run } = rig({ capacity: 2 * FRAME });
    player.push(chunk(6), 16000);
    player.end();
    player.turnComplete(); // generationComplete then turnComplete: still one REPLY_END
    expect(board.sent.map((m) => m.type)).toEqual(['audioOut', 'audioOut']);
    run(300);
    expect(board.sent.map((m) => m.type)).toEqual([...Array(6).fill('audioOut'), 'replyEnd']);
  });

  it('sends no REPLY_END in a 1.0 session', () => {
    const { board, player } = rig({ revision: 0 });
    player.push(chunk(2), 16000);
    player.end();
    expect(board.sent.map((m) => m.type)).toEqual(['audioOut', 'audioOut']);
  });

  it('a 1.1 board reports the last partial frame when its buffer runs empty: playing ends with the audio', () => {
    const { player, playing, run } = rig();
    player.push(chunk(3), 16000);
    player.end();
    expect(playing).toEqual([true]);
    run(60);
    expect(player.isPlaying()).toBe(false);
    expect(playing).toEqual([true, false]);
  });

  it('a 1.0 board that never reports the last part: playing ends by time, (unreleased / rate) + 250 ms after its last CREDIT', () => {
    const { board, clock, player, playing, run } = rig({ revision: 0 });
    // 2.5 frames of audio (padded to 3): the device credits after each full frame released,
    // then runs dry with less than a frame released since its last CREDIT and says nothing more.
    player.push(chunk(3), 16000);
    player.end();
    run(30); // released 480: one CREDIT at 320
    const lastCreditAt = clock.now() - 10;
    run(100); // plays out the rest; a 1.0 board sends no CREDIT for it
    expect(board.device.bufferedSamples).toBe(0);
    expect(player.isPlaying()).toBe(true);
    // 640 unreleased at the last CREDIT (t = 20 ms): 40 ms + 250 ms.
    clock.advance(lastCreditAt + 40 + 250 - clock.now() - 1);
    expect(player.isPlaying()).toBe(true);
    clock.advance(1);
    expect(player.isPlaying()).toBe(false);
    expect(playing).toEqual([true, false]);
  });

  it('does not end a reply by time while the model has not finished it', () => {
    const { clock, player } = rig({ revision: 0 });
    player.push(chunk(1), 16000);
    clock.advance(5000);
    expect(player.isPlaying()).toBe(true);
  });
});

describe('ReplyPlayer: interrupt', () => {
  it('sends FLUSH with the next generation at once, and the next reply uses it', () => {
    const { board, player } = rig();
    player.push(chunk(2), 16000);
    player.interrupt(InterruptReason.MODEL);
    expect(board.sent.at(-1)).toEqual({ type: 'flush', generation: 1 });
    player.push(chunk(1), 16000);
    expect(board.audio().map((m) => m.generation)).toEqual([0, 0, 1]);
    expect(board.device.counters.staleFrames).toBe(0);
    expect(board.device.counters.framesAccepted).toBe(3);
  });

  it('drops the queued rest of the interrupted reply: none of it is ever sent', () => {
    const { board, player, run } = rig({ capacity: 2 * FRAME });
    player.push(chunk(10, 111), 16000);
    expect(board.audio()).toHaveLength(2);
    player.interrupt(InterruptReason.MODEL);
    expect(player.isPlaying()).toBe(false); // nothing of it is held any more
    run(500);
    expect(board.audio()).toHaveLength(2);
    player.push(chunk(1, 222), 16000);
    const values = board.audio().map((m) => decodePayload(m.payload, SPEAKER, Codec.PCM)![0]);
    expect(values).toEqual([111, 111, 222]);
  });

  it('drops what the resampler and the partial frame held of the old reply', () => {
    const { board, player } = rig();
    player.push(new Int16Array(100).fill(111), 24000);
    player.interrupt(InterruptReason.MODEL);
    player.push(new Int16Array(FRAME).fill(222), 16000);
    player.end();
    const samples = board.audio().flatMap((m) => [...decodePayload(m.payload, SPEAKER, Codec.PCM)!]);
    expect(samples.filter((s) => s !== 222 && s !== 0)).toEqual([]);
  });

  it('after a local interruption (button, voice) plays nothing more of that turn, then the next turn again', () => {
    const { board, player } = rig();
    player.push(chunk(1), 16000);
    player.interrupt(InterruptReason.BUTTON);
    player.push(chunk(3), 16000); // Gemini has not heard of the barge-in yet
    player.end();
    expect(board.audio()).toHaveLength(1);
    player.turnComplete();
    player.push(chunk(1), 16000);
    expect(board.audio()).toHaveLength(2);
  });

  it('a model interruption does not mute: the reply Gemini starts next plays', () => {
    const { board, player } = rig();
    player.push(chunk(1), 16000);
    player.interrupt(InterruptReason.MODEL);
    player.push(chunk(1), 16000);
    expect(board.audio()).toHaveLength(2);
  });

  it('stops playing at once and starts again with the next reply, so the echo gate closes for it', () => {
    const { player, playing } = rig();
    player.push(chunk(5), 16000);
    player.interrupt(InterruptReason.VOICE);
    player.turnComplete();
    player.push(chunk(1), 16000);
    expect(playing).toEqual([true, false, true]);
  });

  it('advances the generation on every interrupt, wrapping at 16 bits', () => {
    const { board, player } = rig();
    for (let i = 0; i < 0x10001; i++) player.interrupt(InterruptReason.MODEL);
    expect(board.sent.at(-1)).toEqual({ type: 'flush', generation: 1 });
    expect(player.stats.bargeIns).toBe(0x10001);
  });
});

describe('ReplyPlayer: bounds', () => {
  it('holds at most queueMs of audio, dropping and counting the rest', () => {
    const { board, player } = rig({ capacity: 2 * FRAME, queueMs: 100 });
    player.push(chunk(20), 16000);
    expect(board.audio()).toHaveLength(2);
    // 100 ms is 5 frames: the burst of 20 keeps 5 (2 sent at once, 3 waiting), drops 15.
    expect(player.stats.framesDroppedOverflow).toBe(15);
  });
});
