/** The microphone's way to the service, on a fake clock: held input paced out, replays, drops. */
import { describe, expect, it } from 'vitest';
import { MicInput } from '../src/live/micInput.js';
import { FakeClock } from './helpers/fakeClock.js';

const RATE = 16000;
const CHUNK = RATE / 50;
/** A 20 ms chunk whose samples all carry `n` (to tell chunks apart). */
const chunk = (n: number) => new Int16Array(CHUNK).fill(n);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function rig(maxHeldMs = 10_000) {
  const clock = new FakeClock();
  const stats = { micDroppedMs: 0, micHeldMs: 0, micReplayedMs: 0 };
  const sent: (number | string)[] = [];
  let open = false;
  let drops = 0;
  let drained = 0;
  const mic = new MicInput({
    maxHeldSamples: (maxHeldMs / 1000) * RATE,
    clock,
    stats,
    canSend: () => open,
    transmit: (samples) => {
      for (let i = 0; i < samples.length; i += CHUNK) sent.push(samples[i]); // a replay comes as one piece
    },
    drained: () => drained++,
    dropped: () => drops++,
  });
  /** What the mic gives next: sent while the connection is open and nothing waits, else held. */
  const speak = (n: number) => {
    const c = chunk(n);
    mic.push(c);
    if (open && mic.nothingHeld) mic.send(c);
    else mic.hold({ audio: c });
  };
  return { clock, stats, sent, mic, speak, setOpen: (o: boolean) => (open = o), drops: () => drops, drained: () => drained };
}

describe('MicInput: held input', () => {
  it('goes out as a 1.5 s burst, then at 1.5 × real time, and says when all is sent', () => {
    const { clock, sent, mic, speak, setOpen, drained } = rig();
    for (let i = 0; i < 100; i++) speak(i); // 2 s held through an outage
    mic.hold({ send: () => sent.push('end') });
    setOpen(true);
    mic.drain();
    expect(sent).toEqual(range(0, 75)); // 1500 ms at once
    clock.advance(100); // 150 ms more may go
    expect(sent.length).toBe(75 + 8); // whole chunks: 1.5 s + 160 ms ≥ the budget of 1.65 s
    expect(drained()).toBe(0);
    clock.advance(300);
    expect(sent).toEqual([...range(0, 100), 'end']);
    expect(drained()).toBe(1);
    expect(mic.nothingHeld).toBe(true);
  });

  it('keeps control messages in their places; they never wait for the audio budget', () => {
    const { sent, mic, speak, setOpen } = rig();
    for (let i = 0; i < 75; i++) speak(i); // exactly the burst
    mic.hold({ send: () => sent.push('toolResponse') });
    speak(75);
    setOpen(true);
    mic.drain();
    expect(sent).toEqual([...range(0, 75), 'toolResponse']);
  });

  it('stops at once when a message it sends holds input back (a connection lost, a BLOCKING call)', () => {
    const { sent, mic, speak, setOpen, drained } = rig();
    speak(0);
    mic.hold({ send: () => (sent.push('call'), setOpen(false)) });
    speak(1);
    setOpen(true);
    mic.drain();
    expect(sent).toEqual([0, 'call']);
    expect(drained()).toBe(0);
  });

  it('goes on at its pace after a pause, without a second burst; close() stops it', () => {
    const { clock, sent, mic, speak, setOpen } = rig();
    for (let i = 0; i < 200; i++) speak(i);
    setOpen(true);
    mic.drain();
    setOpen(false);
    mic.drain(); // e.g. a tool call pending
    clock.advance(1000);
    setOpen(true);
    mic.drain();
    expect(sent.length).toBe(75); // the pacing starts again from here, with nothing in hand
    mic.close();
    clock.advance(1000);
    expect(sent.length).toBe(75);
  });

  it('drops the oldest audio beyond its bound, counts it, and says so once per hold', () => {
    const { mic, speak, setOpen, stats, drops } = rig(100);
    for (let i = 0; i < 10; i++) speak(i); // 200 ms into a 100 ms hold
    expect(stats.micDroppedMs).toBe(100);
    expect(drops()).toBe(1);
    setOpen(true);
    mic.drain();
    expect(stats.micHeldMs).toBe(100);
    setOpen(false);
    for (let i = 0; i < 10; i++) speak(i);
    expect(drops()).toBe(2); // a new hold, told again
  });
});

describe('MicInput: replay after a lost connection', () => {
  it('replays an unanswered utterance whole, from its start, ahead of what is still held', () => {
    const { sent, mic, speak, setOpen, stats } = rig();
    setOpen(true);
    for (let i = 0; i < 50; i++) speak(i); // sent: samples 0 .. 16000
    setOpen(false);
    for (let i = 50; i < 60; i++) speak(i); // held
    mic.endStream(); // (a live stream would also replay its last 500 ms sent)
    sent.length = 0;
    mic.replay(20 * CHUNK); // the utterance began at chunk 20
    setOpen(true);
    mic.drain();
    expect(sent).toEqual(range(20, 60));
    expect(stats.micReplayedMs).toBe(600); // chunks 20..49 again; 50..59 were never sent

    // An utterance that began in audio never sent: everything held stays, none of it is lost.
    const late = rig();
    late.setOpen(true);
    for (let i = 0; i < 50; i++) late.speak(i);
    late.setOpen(false);
    for (let i = 50; i < 60; i++) late.speak(i);
    late.mic.endStream();
    late.sent.length = 0;
    late.mic.replay(55 * CHUNK);
    late.setOpen(true);
    late.mic.drain();
    expect(late.sent).toEqual(range(50, 60));
  });

  it('with nothing unanswered, replays the last 500 ms sent of a live stream, never from before the stream began', () => {
    const { sent, mic, speak, setOpen } = rig();
    setOpen(true);
    for (let i = 0; i < 10; i++) speak(i);
    mic.endStream(); // audioStreamEnd: a new stream begins with the next chunk
    for (let i = 10; i < 60; i++) speak(i);
    sent.length = 0;
    mic.replay(undefined);
    mic.drain();
    expect(sent).toEqual(range(35, 60)); // 500 ms = 25 chunks

    const short = rig();
    short.setOpen(true);
    for (let i = 0; i < 10; i++) short.speak(i);
    short.mic.endStream();
    for (let i = 10; i < 15; i++) short.speak(i); // 100 ms into the new stream
    short.sent.length = 0;
    short.mic.replay(undefined);
    short.mic.drain();
    expect(short.sent).toEqual([10, 11, 12, 13, 14]);
  });

  it('counts held audio sent as sent: a connection that was only sent the backlog gets its last 500 ms again', () => {
    const { sent, mic, speak, setOpen } = rig();
    for (let i = 0; i < 60; i++) speak(i); // 1.2 s held: all goes in the first burst
    setOpen(true);
    mic.drain();
    sent.length = 0;
    mic.replay(undefined);
    mic.drain();
    expect(sent).toEqual(range(35, 60));
  });

  it('the 500 ms of context never push held audio out of a full hold', () => {
    const { sent, mic, speak, setOpen, stats, drops } = rig(1000);
    setOpen(true);
    for (let i = 0; i < 50; i++) speak(i);
    setOpen(false);
    for (let i = 50; i < 100; i++) speak(i); // the hold is full: 1 s
    mic.replay(undefined);
    expect(stats.micDroppedMs).toBe(0);
    expect(drops()).toBe(0);
    sent.length = 0;
    setOpen(true);
    mic.drain();
    expect(sent).toEqual(range(50, 100));
  });

  it('an utterance longer than the hold keeps its newest part; the rest is counted as dropped, at once', () => {
    const { mic, speak, setOpen, stats, drops } = rig(100);
    setOpen(true);
    for (let i = 0; i < 50; i++) speak(i);
    mic.endStream();
    mic.replay(0);
    expect(stats.micDroppedMs).toBe(900);
    expect(drops()).toBe(1);
  });

  it('does not replay a stream that has ended, nor reach further back for an attempt that was sent nothing', () => {
    const ended = rig();
    ended.setOpen(true);
    for (let i = 0; i < 10; i++) ended.speak(i);
    ended.mic.endStream();
    ended.mic.replay(undefined);
    expect(ended.mic.nothingHeld).toBe(true);

    const { sent, mic, speak, setOpen } = rig();
    setOpen(true);
    for (let i = 0; i < 60; i++) speak(i);
    sent.length = 0;
    mic.replay(undefined); // the connection is lost: its last 500 ms go again
    mic.replay(undefined); // the next attempt failed before it was sent anything: nothing more
    mic.drain();
    expect(sent).toEqual(range(35, 60));
  });

  it('endStream() tells whether a stream was live (so audioStreamEnd is sent once, and not before any audio)', () => {
    const { mic, speak } = rig();
    expect(mic.endStream()).toBe(false);
    speak(0);
    expect(mic.endStream()).toBe(true);
    expect(mic.endStream()).toBe(false);
  });
});
