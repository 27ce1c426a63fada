/**
 * The user's side of the conversation log (--log) against the harsh emulator: the service never
 * marks a transcript finished and sends the user's words in pieces after the reply has begun, yet
 * each turn gets its line (and late words follow it), and the board shows THINKING.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AssistantState } from '../src/protocol/messages.js';
import { startRig, until, type Rig } from './helpers/bridge.js';
import { cleanup, spokenTurn } from './helpers/live.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await cleanup();
});

describe('user transcripts in the log', () => {
  it('one line per turn, late words appended to it, THINKING on the board after each utterance', async () => {
    const said = ['turn on the kitchen light please', 'and the one in the hall'];
    const turns = said.map((userTranscript) => ({ userTranscript, say: 'okay', durationMs: 400 }));
    rig = await startRig({ persona: 'scenario', scenario: { turns }, behaviour: { emptyTranscriptRate: 0 } });
    const device = await rig.device({ tools: false });
    const states: number[] = [];
    device.on('state', (s) => states.push(s));
    for (let turn = 1; turn <= 2; turn++) {
      const played = device.stats.framesPlayed;
      device.speak(await spokenTurn());
      await until(() => device.stats.framesPlayed > played + 10 && device.hostState === AssistantState.LISTENING, 15_000, `reply ${turn}`);
    }
    const userLines = rig.logs.map((l) => /\byou: (.*)$/.exec(l)?.[1]).filter((t): t is string => t !== undefined);
    // Group: a line that does not start with "…" opens a turn; "…" lines add late words to it.
    const perTurn: string[] = [];
    for (const line of userLines) {
      if (line.startsWith('… ')) perTurn[perTurn.length - 1] += ` ${line.slice(2)}`;
      else perTurn.push(line);
    }
    expect(perTurn).toEqual(said);
    const thinking = states.filter((s) => s === AssistantState.THINKING).length;
    expect(thinking).toBe(2);
  });
});
