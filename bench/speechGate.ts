/**
 * Speech gate bench: for each room (white, pink, fan, music, a TV) at 20, 10 and 5 dB SNR and
 * alone, the share of speech frames sent, onsets clipped, the share of non-speech sent, and the
 * gate's CPU cost per second of audio.
 */
import { SpeechGate } from '../src/audio/speechGate.js';
import { background, CONDITIONS, evaluate, FRAME, mix, RATE, speechCorpus } from '../test/helpers/speechGateEval.js';
import { median, printTable } from './table.js';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export async function benchSpeechGate(): Promise<void> {
  const corpus = await speechCorpus();
  const seconds = corpus.speech.length / RATE;
  const rows = CONDITIONS.map((condition) => {
    const s = evaluate(corpus, condition);
    const speech = condition.snrDb !== null;
    return [
      condition.background,
      speech ? `${condition.snrDb} dB` : 'alone',
      speech ? pct(s.speechSent) : '–',
      speech ? `${s.onsetsClipped}/${s.onsets}` : '–',
      speech ? pct(s.nonSpeechSent) : pct(s.falseSent),
      pct(s.falseSent),
      s.opens,
    ];
  });
  printTable(
    `Speech gate (defaults) on ${seconds.toFixed(0)} s of espeak-ng speech (8 utterances, en/de/fr voices, 120–210 wpm) in a room; ` +
      'sent-beyond: frames sent farther from speech than the pre-roll and hangover reach',
    ['background', 'SNR', 'speech sent', 'onsets clipped', 'non-speech sent', 'sent beyond', 'opens'],
    rows,
  );

  // CPU time (user + system of this process), not wall time: the machine may be shared.
  const input = mix(corpus, background('pink', corpus), 10);
  const cpuMs: number[] = [];
  for (let run = 0; run < 17; run++) {
    const before = process.cpuUsage();
    const gate = new SpeechGate();
    for (let at = 0; at < input.length; at += FRAME) gate.push(input.subarray(at, at + FRAME));
    const used = process.cpuUsage(before);
    if (run >= 2) cpuMs.push((used.user + used.system) / 1000); // two warm-up runs
  }
  const ms = median(cpuMs);
  printTable('Speech gate CPU time (median of 15 full runs over the pink 10 dB input, 20 ms chunks)', ['audio', 'CPU ms', 'per second of audio', 'per 20 ms frame'], [
    [`${seconds.toFixed(1)} s`, ms.toFixed(1), `${(ms / seconds).toFixed(2)} ms`, `${((1000 * ms) / (seconds * 50)).toFixed(1)} µs`],
  ]);
}
