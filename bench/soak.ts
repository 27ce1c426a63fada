/**
 * Soak: one long conversation against the harsh emulator, faster than real time (emulator and
 * session share a scaled clock). Connections live 60 s (goAway 50 s before the end), closes
 * 1011/1008 come at random, a tool response is sometimes answered by 1008 "not found", a
 * resume after a lifetime close is refused half the time and any other resume one time in ten
 * (a stress setting, so that re-seeding is exercised: the switch-overs leave no lifetime closes). The user speaks unique utterances
 * (espeak-ng phrases, 1.5–3 s, each marked by its own faint noise) with 1–4 s of room noise
 * between them. The emulator reports which connection heard what, so every utterance can be
 * checked: heard whole by one connection and answered, or split, or never heard.
 *
 *   npm run bench -- soak                         30 min of conversation at 10×
 *   SOAK_MINUTES=5 SOAK_SPEED=8 SOAK_SEED=3 npm run bench -- soak
 */
import { Behavior } from '@google/genai';
import { synthesizeSpeech } from '../src/audio/speech.js';
import { seededRandom } from '../src/emulator/behaviour.js';
import type { HeardUtterance } from '../src/emulator/connection.js';
import { validateScenario } from '../src/emulator/personas.js';
import { scaledClock } from '../src/emulator/scaledClock.js';
import { LiveEmulator } from '../src/emulator/server.js';
import { validateLiveConfig } from '../src/live/config.js';
import { LiveSession } from '../src/live/session.js';
import { printTable } from './table.js';

const RATE = 16000;
const PHRASES = [
  'Please turn on the kitchen light',
  'What time is it now',
  'Tell me a short story about a cat',
  'How warm is it outside today',
  'Set a timer for ten minutes',
  'Play some quiet music in the bedroom',
  'What is on my calendar tomorrow',
  'Remind me to water the plants',
];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Sent {
  index: number;
  /** When its first and last samples went to the session (clock ms; for SOAK_DEBUG). */
  from: number;
  to: number;
  /** The loud part of the utterance, as bytes: it must reach one connection whole. */
  core: Buffer;
  heardWhole: boolean;
  answered: boolean;
  /** Where it was heard: connection and what became of the reply. */
  fates: string[];
}

/** The loud span of an utterance (frames above −40 dBFS), so espeak's quiet edges do not count. */
function loudSpan(samples: Int16Array): [number, number] {
  let first = -1;
  let last = -1;
  for (let f = 0; f + 320 <= samples.length; f += 320) {
    let sum = 0;
    for (let i = f; i < f + 320; i++) sum += samples[i] * samples[i];
    if (Math.sqrt(sum / 320) > 32768 * 0.01) {
      if (first < 0) first = f;
      last = f + 320;
    }
  }
  return [Math.max(0, first), Math.max(first, last)];
}

export async function benchSoak(): Promise<void> {
  const minutes = Number(process.env.SOAK_MINUTES ?? 30);
  const speed = Number(process.env.SOAK_SPEED ?? 10);
  const clock = scaledClock(speed);
  const seed = Number(process.env.SOAK_SEED ?? 7);
  const random = seededRandom(2019 + seed);
  const phrases = await Promise.all(PHRASES.map((p) => synthesizeSpeech(p, RATE)));

  // Replies: short spoken answers; every tenth turn asks for a tool first.
  const turns = Array.from({ length: 2000 }, (_, i) =>
    i % 10 === 9 ? { toolCall: { name: i % 20 === 9 ? 'read_sensor' : 'set_led', args: {} }, say: 'Done: {result}', durationMs: 800 } : { say: `Answer ${i}.`, durationMs: 600 + (i % 4) * 300 },
  );
  const sent: Sent[] = [];
  const pending = new Set<Sent>();
  let heardCut = 0;
  // SOAK_DEBUG: a timeline of what the session and the emulator did, to explain an unanswered utterance.
  const debug = Boolean(process.env.SOAK_DEBUG);
  const timeline: { at: number; what: string }[] = [];
  const note = (what: string) => debug && timeline.push({ at: clock.now(), what });
  const onHeard = (h: HeardUtterance) => {
    if (!h.whole) heardCut++;
    const bytes = Buffer.from(h.samples.buffer, h.samples.byteOffset, h.samples.byteLength);
    if (debug) {
      const parts = sent.filter((s) => bytes.indexOf(s.core.subarray(0, 3200)) >= 0 || bytes.indexOf(s.core.subarray(-3200)) >= 0).map((s) => `#${s.index}${bytes.indexOf(s.core) >= 0 ? '' : bytes.indexOf(s.core.subarray(0, 3200)) >= 0 ? '(start)' : '(end)'}`);
      note(`emulator connection ${h.connection} heard ${(h.samples.length / RATE).toFixed(2)} s ${h.whole ? 'whole' : 'CUT'} [${parts.join(' ')}] reply ${h.reply}`);
    }
    for (const s of pending) {
      if (bytes.indexOf(s.core) < 0) continue;
      s.heardWhole = true;
      s.fates.push(`${h.connection}:${h.reply}`);
      if (h.reply !== 'none') {
        s.answered = true;
        pending.delete(s);
      }
    }
  };
  const emulator = new LiveEmulator({
    persona: 'scenario',
    scenario: validateScenario({ turns }),
    connectionLifetimeMs: 60_000,
    goAwayLeadMs: 50_000,
    behaviour: { randomCloseMeanMs: 8 * 60_000, notFoundAfterToolResponseRate: 0.05, refuseAnyResumeRate: 0.1, seed },
    clock,
    onHeard,
    log: (line) => note(`emulator: ${line}`),
  });
  const baseUrl = await emulator.start();
  const session = new LiveSession({ config: validateLiveConfig({ apiKey: 'soak', baseUrl }), clock });
  // One tool the model must wait for (the mic is held meanwhile), one it need not.
  session.tools.register({ name: 'read_sensor', behavior: Behavior.BLOCKING }, async () => {
    await new Promise<void>((r) => clock.after(700, r));
    return 21.5;
  });
  session.tools.register({ name: 'set_led' }, async () => 'ok');
  const errors = new Map<string, number>();
  session.on('error', (e) => {
    errors.set(e.code, (errors.get(e.code) ?? 0) + 1);
    note(`session error ${e.code}: ${e.message}`);
  });
  if (debug) {
    session.on('state', (st) => note(`session state ${st}`));
    session.on('goAway', (ms) => note(`session goAway ${ms} ms`));
    session.on('notice', (n) => note(`session notice: ${n}`));
    session.on('userTurnEnded', () => note('session: user turn ended'));
    session.on('turnComplete', () => note('session: turnComplete'));
    session.on('toolCall', (c) => note(`session: toolCall ${c.map((x) => x.name).join()}`));
  }
  await session.start();

  // The user's microphone, generated as it goes: room noise, then an utterance, again and again.
  const room = () => Math.round((random() - 0.5) * 60);
  const endAt = minutes * 60 * RATE;
  let produced = 0;
  let queue = new Int16Array(0);
  const nextUtterance = () => {
    const gap = Int16Array.from({ length: Math.round(RATE * (1 + 3 * random())) }, room);
    const words = phrases[Math.floor(random() * phrases.length)];
    const marked = Int16Array.from(words, (x) => Math.max(-32768, Math.min(32767, x + Math.round((random() - 0.5) * 6)))); // unique bytes
    const [from, to] = loudSpan(marked);
    const start = t0 + ((produced + queue.length + gap.length) / RATE) * 1000;
    const s: Sent = { index: sent.length, from: start, to: start + (marked.length / RATE) * 1000, core: Buffer.from(marked.buffer, from * 2, (to - from) * 2), heardWhole: false, answered: false, fates: [] };
    sent.push(s);
    pending.add(s);
    const out = new Int16Array(gap.length + marked.length);
    out.set(gap);
    out.set(marked, gap.length);
    return out;
  };
  const t0 = clock.now();
  const wall0 = performance.now();
  while (produced < endAt) {
    const due = Math.min(endAt, Math.floor(((clock.now() - t0) / 1000) * RATE));
    while (produced + 640 <= due) {
      if (queue.length < 640) {
        const more = produced + 5 * RATE < endAt ? nextUtterance() : Int16Array.from({ length: 5 * RATE }, room);
        const joined = new Int16Array(queue.length + more.length);
        joined.set(queue);
        joined.set(more, queue.length);
        queue = joined;
      }
      session.sendAudio(queue.subarray(0, 640));
      queue = queue.subarray(640);
      produced += 640;
    }
    await sleep(5);
  }
  await sleep((10_000 / speed) | 0); // the last replies
  const wallS = (performance.now() - wall0) / 1000;
  const { stats } = session;
  session.close();
  await emulator.close();

  const answered = sent.filter((s) => s.answered).length;
  const split = sent.filter((s) => !s.heardWhole).length;
  printTable(
    `Soak: ${minutes} min of conversation against the harsh emulator at ${speed}× (${wallS.toFixed(0)} s wall; lifetime 60 s, goAway 50 s before; a random 1011/1008 with a mean of 8 min per connection; 1008 after 5 % of tool responses; 10 % of resumes refused; seed ${seed})`,
    ['utterances sent', 'answered', 'split or unheard', 'mic lost ms', 'mic held ms', 'mic replayed ms', 'goAway switches (forced)', 'reconnects by cause', 'handles refused', 're-seeds', 'stalls', 'errors'],
    [
      [
        sent.length,
        `${answered} (${((100 * answered) / Math.max(1, sent.length)).toFixed(1)} %)`,
        split,
        Math.round(stats.micDroppedMs),
        Math.round(stats.micHeldMs),
        Math.round(stats.micReplayedMs),
        `${stats.goAwaySwitches} (${stats.forcedSwitches})`,
        Object.entries(stats.reconnectsByCause).map(([k, v]) => `${k}: ${v}`).join(', '),
        stats.handlesRefused,
        stats.reseeds,
        stats.stalls,
        [...errors].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none',
      ],
    ],
  );
  for (const s of sent.filter((x) => !x.answered && debug)) {
    console.log(`unanswered #${s.index} (spoken ${((s.from - t0) / 1000).toFixed(2)}–${((s.to - t0) / 1000).toFixed(2)} s): ${s.fates.join(' ') || 'never heard whole'}`);
    for (const e of timeline.filter((x) => x.at > s.from - 8000 && x.at < s.to + 8000)) console.log(`  ${((e.at - t0) / 1000).toFixed(2)} ${e.what}`);
  }
  console.log(`${heardCut} times a connection closed while the user was speaking (that half was not answered; see "split or unheard" for whether the whole utterance reached the next one)`);
}
