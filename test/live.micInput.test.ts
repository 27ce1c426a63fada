/** The microphone's way to the service, on a fake clock: held input paced out, replays, drops. */
import { describe, expect, it } from 'vitest';
import { MicInput } from '../src/live/micInput.js';
import { FakeClock } from './helpers/fakeClock.js';

const RATE = 16000;
/** A 20 ms chunk whose samples all carry `n` (to tell chunks apart). */
const chunk = (n: number) => new Int16Array(RATE / 50).fill(n);

function rig(maxHeldMs = 10_000) {
  const clock = new FakeClock();
  const stats = { micDroppedMs: 0, micHeldMs: 0, micReplayedMs: 0 };
  const sent: (number | string)[] = [];
  let open = false;
  let drops = 0;
  const mic: MicInput = new MicInput({
    maxHeldSamples: (maxHeldMs / 1000) * RATE,
    clock,
    stats,
    send: (samples) => {
      for (let i = 0; i < samples.length; i += RATE / 50) sent.push(samples[i]); // a replay comes as one piece
    },
    drainAgain: () => mic.drain(() => open),
    dropped: () => drops++,
  });
  /** What the mic gives next: sent while the connection is open and nothing waits, else held. */
  const speak = (n: number) => {
    const c = chunk(n);
    mic.push(c);
    if (open && mic.nothingHeld) mic.send(c);
    else mic.hold({ audio: c });
  };
  return { clock, stats, sent, mic, speak, setOpen: (o: boolean) => (open = o), drops: () => drops };
}

describe('MicInput', () => {
  it('sends held audio as a 1.5 s burst, then at 1.5 × real time, with the control messages in their places', () => {
    const { clock, sent, mic, speak, setOpen } = rig();
    for (let i = 0; i < 100; i++) speak(i); // 2 s held through an outage
    mic.hold({ send: () => sent.push('end') });
    setOpen(true);
    expect(mic.drain(() => true)).toBe(false);
    expect(sent).toEqual(Array.from({ length: 75 }, (_, i) => i)); // 1500 ms at once
    clock.advance(100); // 150 ms more may go
    expect(sent.length).toBe(75 + 8); // whole chunks: 1.5 s + 160 ms ≥ the budget of 1.65 s
    clock.advance(300);
    expect(sent).toEqual([...Array.from({ length: 100 }, (_, i) => i), 'end']);
    expect(mic.nothingHeld).toBe(true);
  });

  it('a control message never waits for the audio budget (only audio is paced)', () => {
    const { sent, mic, speak } = rig();
    for (let i = 0; i < 75; i++) speak(i); // exactly the burst
    mic.hold({ send: () => sent.push('toolResponse') });
    expect(mic.drain(() => true)).toBe(true);
    expect(sent.at(-1)).toBe('toolResponse');
  });

  it('replays an unanswered utterance whole, from its start, ahead of what is still held', () => {
    const { sent, mic, speak, setOpen, stats } = rig();
    setOpen(true);
    for (let i = 0; i < 50; i++) speak(i); // sent: samples 0 .. 16000
    setOpen(false);
    for (let i = 50; i < 60; i++) speak(i); // held
    sent.length = 0;
    mic.endStream(); // (a live stream would also replay its last 500 ms sent)
    mic.replay(20 * 320); // the utterance began at chunk 20
    setOpen(true);
    mic.drain(() => true);
    expect(sent).toEqual(Array.from({ length: 40 }, (_, i) => 20 + i));
    expect(stats.micReplayedMs).toBe(600); // chunks 20..49 again; 50..59 were never sent

    // An utterance that began in audio never sent: everything held stays, none of it is lost.
    const late = rig();
    late.setOpen(true);
    for (let i = 0; i < 50; i++) late.speak(i);
    late.setOpen(false);
    for (let i = 50; i < 60; i++) late.speak(i);
    late.mic.endStream();
    late.sent.length = 0;
    late.mic.replay(55 * 320);
    late.mic.drain(() => true);
    expect(late.sent).toEqual(Array.from({ length: 10 }, (_, i) => 50 + i));
  });

  it('with nothing unanswered, replays the last 500 ms sent of a live stream, never from before the stream began', () => {
    const { sent, mic, speak, setOpen } = rig();
    setOpen(true);
    for (let i = 0; i < 10; i++) speak(i);
    mic.endStream(); // audioStreamEnd: a new stream begins with the next chunk
    for (let i = 10; i < 60; i++) speak(i);
    sent.length = 0;
    mic.replay(undefined);
    mic.drain(() => true);
    expect(sent).toEqual(Array.from({ length: 25 }, (_, i) => 35 + i)); // 500 ms = 25 chunks

    const short = rig();
    short.setOpen(true);
    for (let i = 0; i < 10; i++) short.speak(i);
    short.mic.endStream();
    for (let i = 10; i < 15; i++) short.speak(i); // 100 ms into the new stream
    short.sent.length = 0;
    short.mic.replay(undefined);
    short.mic.drain(() => true);
    expect(short.sent).toEqual([10, 11, 12, 13, 14]);
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
    mic.drain(() => true);
    expect(sent).toEqual(Array.from({ length: 25 }, (_, i) => 35 + i));
  });

  it('drops the oldest held audio beyond its bound, counts it, and says so once per hold', () => {
    const { mic, speak, setOpen, stats, drops } = rig(100);
    for (let i = 0; i < 10; i++) speak(i); // 200 ms into a 100 ms hold
    expect(stats.micDroppedMs).toBe(100);
    expect(drops()).toBe(1);
    setOpen(true);
    mic.drain(() => true);
    setOpen(false);
    for (let i = 0; i < 10; i++) speak(i);
    expect(drops()).toBe(2); // a new hold, told again
  });
});
