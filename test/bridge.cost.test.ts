/** Always on, without the bill, end to end: the bridge sends only speech and sleeps through the quiet. */
import { afterEach, describe, expect, it } from 'vitest';
import { AssistantState } from '../src/protocol/messages.js';
import { startRig, until, type Rig } from './helpers/bridge.js';
import { cleanup, sleep, spokenTurn } from './helpers/live.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await cleanup();
});

const heard = (r: Rig) => r.emulator.conversations.reduce((n, c) => n + c.audioDropped + c.receivedAudio().length, 0);

describe('the speech gate and sleep, through the bridge', () => {
  it('sends Gemini the utterance (with its pre-roll and hangover) and not the silence around it, and the reply comes', async () => {
    rig = await startRig({ persona: 'echo', realtimeFactor: 4 });
    const device = await rig.device({ tools: false });
    await sleep(2000); // the board streams silence
    expect(heard(rig)).toBe(0);
    const turn = await spokenTurn(); // the sentence, then 1 s of silence
    device.speak(turn);
    await until(() => device.stats.framesPlayed > 50 && device.hostState === AssistantState.LISTENING, 15_000, 'the reply');
    await sleep(1500);
    const sentMs = (heard(rig) / 16000) * 1000;
    const speechMs = ((turn.length - 16000) / 16000) * 1000;
    expect(sentMs).toBeGreaterThan(speechMs);
    expect(sentMs).toBeLessThan(speechMs + 400 + 800 + 200); // pre-roll, hangover, a frame or two
  });

  it('closes the Live connection while nobody speaks (the LED shows idle) and wakes for the next utterance', async () => {
    rig = await startRig({ persona: 'echo', realtimeFactor: 4 }, { idleCloseMs: 1000 });
    const device = await rig.device({ tools: false });
    const turn = await spokenTurn();
    device.speak(turn);
    await until(() => device.stats.framesPlayed > 50 && device.hostState === AssistantState.LISTENING, 15_000, 'the first reply');
    await until(() => rig!.emulator.openConnections === 0 && device.hostState === AssistantState.IDLE, 10_000, 'sleep');
    const agent = [...rig.bridge.agents.values()][0];
    expect(agent.live.state).toBe('asleep');
    const played = device.stats.framesPlayed;
    device.speak(turn);
    await until(() => device.stats.framesPlayed > played + 50 && device.hostState === AssistantState.LISTENING, 15_000, 'the reply after waking');
    expect(agent.live.stats).toMatchObject({ wakes: 1, micDroppedMs: 0 });
    expect(agent.live.stats.sleeps).toBeGreaterThanOrEqual(1); // (and maybe again, 1 s after this reply)
    expect(rig.logs.join('\n')).toMatch(/the Live connection sleeps until someone speaks/);
  });
});
