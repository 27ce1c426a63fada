/** The device role of PROTOCOL.md §4.5 (simulator, local audio): exactly the CREDITs the spec requires. */
import { describe, expect, it } from 'vitest';
import { DevicePlayback } from '../src/device/devicePlayback.js';

const FRAME = 320;
const frame = () => new Int16Array(FRAME).fill(5);

function device(options: { revision?: number; extraCredits?: boolean; noPrebuffer?: boolean; capacity?: number } = {}) {
  const d = new DevicePlayback({ capacitySamples: options.capacity ?? 10 * FRAME, sampleRateHz: 16000, revision: options.revision ?? 1, extraCredits: options.extraCredits, noPrebuffer: options.noPrebuffer ?? true });
  d.welcome(FRAME, options.revision ?? 1);
  return d;
}

/** Plays in 10 ms steps; returns the releasedSamples of every CREDIT sent. */
function run(d: DevicePlayback, from: number, ms: number): number[] {
  const credits: number[] = [];
  for (let t = from + 10; t <= from + ms; t += 10) {
    d.play(160, t);
    const c = d.creditDue(t);
    if (c) credits.push(c.releasedSamples);
  }
  return credits;
}

describe('device playback (§4.5)', () => {
  it('credits after WELCOME, then after each full frame released', () => {
    const d = device();
    expect(d.creditDue(0)?.releasedSamples).toBe(0); // rule 1
    for (let i = 0; i < 4; i++) d.audioOut(0, frame(), 0);
    expect(run(d, 0, 60)).toEqual([320, 640, 960]); // rule 2
  });

  it('1.1: credits as soon as the buffer runs empty, with less than a frame released since the last CREDIT (rule 4)', () => {
    const d = device();
    d.creditDue(0);
    d.audioOut(0, new Int16Array(480), 0);
    expect(run(d, 0, 40)).toEqual([320, 480]);
  });

  it('1.0: says nothing for the last part (what made the next reply get lost)', () => {
    const d = device({ revision: 0 });
    d.creditDue(0);
    d.audioOut(0, new Int16Array(480), 0);
    expect(run(d, 0, 200)).toEqual([320]);
  });

  it('credits at least every 100 ms while audio is buffered (rule 3)', () => {
    const d = device();
    d.creditDue(0);
    d.audioOut(0, frame(), 0);
    const credits: number[] = [];
    for (let t = 10; t <= 100; t += 10) {
      const c = d.creditDue(t); // nothing plays (the DAC is stalled): only the 100 ms rule applies
      if (c) credits.push(t);
    }
    expect(credits).toEqual([100]);
  });

  it('drops and releases stale frames and frames that do not fit, and counts them', () => {
    const d = device({ capacity: 2 * FRAME });
    d.creditDue(0);
    d.audioOut(1, frame(), 0);
    d.audioOut(0, frame(), 0);
    d.audioOut(0, frame(), 0);
    d.audioOut(0, frame(), 0);
    expect(d.counters).toMatchObject({ staleFrames: 1, overflows: 1, framesAccepted: 2 });
    expect(d.creditDue(100)?.releasedSamples).toBe(2 * FRAME);
  });

  it('FLUSH releases the buffer, takes the generation as it comes, and credits at once; twice in a row is fine', () => {
    const d = device();
    d.creditDue(0);
    d.audioOut(0, frame(), 0);
    d.flush(5);
    expect(d.creditDue(0)).toMatchObject({ generation: 5, releasedSamples: FRAME, bufferedSamples: 0 });
    d.flush(6);
    expect(d.creditDue(0)).toMatchObject({ generation: 6, releasedSamples: FRAME });
  });

  it('counts an underrun when the buffer runs dry mid-reply (1.1), not at the reply end after REPLY_END', () => {
    const d = device();
    d.audioOut(0, frame(), 0);
    run(d, 0, 20);
    expect(d.counters.underruns).toBe(1);
    d.audioOut(0, frame(), 20);
    d.replyEnd(0);
    run(d, 20, 40);
    expect(d.counters.underruns).toBe(1);
  });

  it('1.0 session: an underrun only if the reply goes on after the gap (STATE ends it)', () => {
    const d = device({ revision: 0 });
    d.audioOut(0, frame(), 0);
    run(d, 0, 40);
    d.hostState(1); // listening: the reply is over
    d.audioOut(0, frame(), 40);
    expect(d.counters.underruns).toBe(0);
    run(d, 40, 40);
    d.audioOut(0, frame(), 80); // same reply, after a gap
    expect(d.counters.underruns).toBe(1);
  });

  it('prebuffers 60 ms before it starts a reply, or starts at REPLY_END', () => {
    const d = device({ noPrebuffer: false });
    d.audioOut(0, frame(), 0);
    expect(d.play(160, 10)).toEqual([]);
    d.audioOut(0, frame(), 10);
    d.audioOut(0, frame(), 10);
    expect(d.play(160, 20)).toHaveLength(1); // 960 ≥ 60 ms
    const e = device({ noPrebuffer: false });
    e.audioOut(0, frame(), 0);
    e.replyEnd(0);
    expect(e.play(160, 10)).toHaveLength(1);
  });

  it('starts anyway 100 ms after the first frame of a reply', () => {
    const d = device({ noPrebuffer: false });
    d.audioOut(0, frame(), 0);
    expect(d.play(160, 99)).toEqual([]);
    expect(d.play(160, 100)).toHaveLength(1);
  });
});
