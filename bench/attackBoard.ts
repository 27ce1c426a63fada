/**
 * The legitimate board of the attack campaign, in a process of its own so that the attacks'
 * loops cannot delay its playback clock: it connects, and on {cmd:'converse'} says a sentence
 * and answers with how long after its speech the reply came (undefined: none within 15 s).
 */
import { synthesizeSpeech } from '../src/audio/speech.js';
import { AssistantState } from '../src/protocol/messages.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';

const [url, token] = process.argv.slice(2);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const board = new SimulatedDevice({ deviceId: 'legit-board', name: 'kitchen', tools: false, keepPlayed: false });
const welcomed = new Promise((r) => board.once('welcome', r));
await board.connectWebSocket(url, token);
await welcomed;
let replies = 0;
let lastReplyAt = 0;
board.on('state', (s) => {
  if (s !== AssistantState.SPEAKING) return;
  replies++;
  lastReplyAt = performance.now();
});
const sentence = await synthesizeSpeech('What is the weather like today?', 16000);
const sentenceMs = (sentence.length / 16000) * 1000;

async function converse(): Promise<number | undefined> {
  const before = replies;
  const t0 = performance.now();
  board.speak(sentence);
  while (replies === before && performance.now() - t0 < 15_000) await sleep(20);
  if (replies === before) return undefined;
  while (board.hostState === AssistantState.SPEAKING) await sleep(20);
  return lastReplyAt - t0 - sentenceMs;
}

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'converse') void converse().then((latencyMs) => process.send!({ latencyMs, underruns: board.stats.underruns, connected: board.hostState !== undefined }));
  else if (m.cmd === 'exit') {
    board.close();
    process.exit(0);
  }
});
process.send!({ ready: true });
