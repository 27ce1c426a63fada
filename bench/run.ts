/** `npm run bench [section …]`: every benchmark, each printing its own table. */
import { benchAttack } from './attack.js';
import { benchCostDay } from './costDay.js';
import { benchBridge } from './bridge.js';
import { benchCodecs } from './codecs.js';
import { benchLive } from './live.js';
import { benchResampler } from './resampler.js';
import { benchSerialDecoder } from './serialDecoder.js';
import { benchSoak } from './soak.js';
import { benchSpeechGate } from './speechGate.js';
import { benchTools } from './tools.js';

const sections: Record<string, () => Promise<void>> = {
  serial: benchSerialDecoder,
  resampler: benchResampler,
  codecs: benchCodecs,
  live: benchLive,
  bridge: benchBridge,
  attack: benchAttack,
  cost: benchCostDay,
  speechGate: benchSpeechGate,
  tools: benchTools,
  soak: benchSoak,
};

const only = process.argv.slice(2);
for (const [name, run] of Object.entries(sections)) {
  if (only.length === 0 || only.includes(name)) await run();
}
