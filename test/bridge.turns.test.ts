/** Turn-taking as people do it: speaking again the moment the assistant stops. */
import { afterEach, describe, expect, it } from 'vitest';
import { synthesizeSpeech } from '../src/audio/speech.js';
import { AssistantState } from '../src/protocol/messages.js';
import { startRig, until, type Rig } from './helpers/bridge.js';
import { cleanup } from './helpers/live.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await cleanup();
});

describe('turn-taking', () => {
  it('answers a user who speaks again within the echo tail, right as the reply ends (no barge-in, no muted reply)', async () => {
    rig = await startRig({ persona: 'echo', realtimeFactor: 4 });
    const device = await rig.device({ tools: false });
    const sentence = await synthesizeSpeech('Is it raining?', 16000);
    for (let turn = 1; turn <= 2; turn++) {
      const played = device.stats.framesPlayed;
      device.speak(sentence);
      await until(() => device.stats.framesPlayed > played + 50 && device.hostState === AssistantState.LISTENING, 15_000, `reply ${turn}`);
    }
    const agent = [...rig.bridge.agents.values()][0];
    expect(agent.stats.bargeIns).toBe(0);
    expect(device.stats.flushes).toBe(0);
  });
});
