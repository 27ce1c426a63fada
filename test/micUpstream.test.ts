/** What of the microphone goes to Gemini, on a fake clock: speech only, the stream's end, and sleep. */
import { beforeAll, describe, expect, it } from 'vitest';
import { synthesizeSpeech } from '../src/audio/speech.js';
import { MicUpstream } from '../src/bridge/micUpstream.js';
import type { LiveState } from '../src/live/session.js';
import { FakeClock } from './helpers/fakeClock.js';

class FakeLive {
  state: LiveState = 'open';
  sent: Int16Array[] = [];
  calls: string[] = [];
  sleepAllowed = true;
  sendAudio(samples: Int16Array) {
    this.sent.push(samples.slice());
    this.calls.push('audio');
  }
  audioStreamEnd() {
    this.calls.push('end');
  }
  sleep() {
    this.calls.push('sleep');
    if (this.sleepAllowed) this.state = 'asleep';
    return this.sleepAllowed;
  }
  get sentSamples() {
    return this.sent.reduce((n, s) => n + s.length, 0);
  }
}

let words: Int16Array;
beforeAll(async () => {
  words = await synthesizeSpeech('Turn on the kitchen light, please.', 16000);
});

/** Feeds `samples` in 20 ms frames, moving the clock with them. */
function feed(up: MicUpstream, clock: FakeClock, samples: Int16Array) {
  for (let at = 0; at < samples.length; at += 320) {
    up.push(samples.subarray(at, Math.min(samples.length, at + 320)));
    clock.advance(20);
  }
}
const silence = (ms: number) => new Int16Array((ms / 1000) * 16000);

function rig(options: { pushToTalk?: boolean; idleCloseMs?: number; gate?: boolean } = {}) {
  const clock = new FakeClock(0);
  const live = new FakeLive();
  const heard: number[] = [];
  const up = new MicUpstream({ live, clock, gate: options.gate === false ? undefined : { hangoverMs: 800 }, idleCloseMs: options.idleCloseMs ?? 0, pushToTalk: options.pushToTalk ?? false, onSent: (s) => heard.push(s.length), log: () => undefined });
  return { clock, live, heard, up };
}

describe('MicUpstream', () => {
  it('sends only speech, from its pre-roll to the hangover, then ends the stream once', () => {
    const { clock, live, heard, up } = rig();
    feed(up, clock, silence(5000));
    expect(live.sentSamples).toBe(0);
    feed(up, clock, words);
    feed(up, clock, silence(5000));
    const sentMs = (live.sentSamples / 16000) * 1000;
    const wordsMs = (words.length / 16000) * 1000;
    expect(sentMs).toBeGreaterThan(wordsMs); // the words, whole
    expect(sentMs).toBeLessThan(wordsMs + 400 + 800 + 100); // plus at most the pre-roll and the hangover
    expect(live.calls.filter((c) => c === 'end')).toHaveLength(1);
    expect(live.calls.at(-1)).toBe('end');
    expect(heard.reduce((a, b) => a + b, 0)).toBe(live.sentSamples); // what is recorded and metered is what went up
  });

  it('sends every sample with the gate off, and in push-to-talk (the button frames the turn)', () => {
    for (const options of [{ gate: false }, { pushToTalk: true }]) {
      const { clock, live, up } = rig(options);
      feed(up, clock, silence(1000));
      expect(live.sentSamples).toBe(16000);
    }
  });

  it('puts the Live connection to sleep after idleCloseMs of quiet, never while someone speaks or something is going on', () => {
    const { clock, live, up } = rig({ idleCloseMs: 60_000 });
    feed(up, clock, words);
    feed(up, clock, silence(30_000));
    up.busy(); // a reply played
    feed(up, clock, silence(50_000));
    expect(live.calls).not.toContain('sleep');
    feed(up, clock, silence(20_000));
    expect(live.calls.filter((c) => c === 'sleep')).toHaveLength(1);
    expect(live.state).toBe('asleep');
    feed(up, clock, silence(120_000));
    expect(live.calls.filter((c) => c === 'sleep')).toHaveLength(1); // asleep: not asked again
  });

  it('asks again later when the session cannot sleep yet', () => {
    const { clock, live, up } = rig({ idleCloseMs: 10_000 });
    live.sleepAllowed = false;
    feed(up, clock, silence(12_000));
    live.sleepAllowed = true;
    feed(up, clock, silence(12_000));
    expect(live.calls.filter((c) => c === 'sleep').length).toBeGreaterThanOrEqual(2);
    expect(live.state).toBe('asleep');
  });
});
