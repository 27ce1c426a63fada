/** live.googleSearch: the setup carries the googleSearch tool, and a grounded reply's search reaches the log. */
import { afterEach, describe, expect, it } from 'vitest';
import { toConnectConfig, validateLiveConfig } from '../src/live/config.js';
import { cleanup, spokenTurn } from './helpers/live.js';
import { startRig, until, type Rig } from './helpers/bridge.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await cleanup();
});

describe('Google Search grounding', () => {
  it('adds the googleSearch tool beside the function declarations', () => {
    const config = validateLiveConfig({ apiKey: 'k', googleSearch: true });
    expect(toConnectConfig(config, undefined, [{ name: 'f' }]).tools).toEqual([{ functionDeclarations: [{ name: 'f' }] }, { googleSearch: {} }]);
    expect(toConnectConfig(validateLiveConfig({ apiKey: 'k' }), undefined, []).tools).toBeUndefined();
    expect(() => validateLiveConfig({ apiKey: 'k', googleSearch: 'yes' as unknown as boolean })).toThrow('live.googleSearch must be true or false');
  });

  for (const on of [true, false]) {
    it(`a search-triggering question ${on ? 'is grounded, and the search is logged' : 'is answered without a search when googleSearch is off'}`, async () => {
      rig = await startRig({ persona: 'scenario', scenario: { turns: [{ search: 'opening hours of the city library', say: 'It opens at nine.' }] } }, { googleSearch: on });
      const device = await rig.device();
      device.speak(await spokenTurn());
      await until(() => rig!.logs.some((l) => l.includes('assistant: It opens at nine.')), 15_000, 'the reply');
      const searched = rig.logs.find((l) => l.includes('searched the web'));
      if (on) expect(searched).toBe('[simulator] searched the web for ["opening hours of the city library"]; sources: https://example.org/search-result');
      else expect(searched).toBeUndefined();
    });
  }
});
