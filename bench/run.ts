/** `npm run bench`: every benchmark, each printing its own table. */
import { benchSerialDecoder } from './serialDecoder.js';

const sections: Record<string, () => Promise<void>> = {
  serial: benchSerialDecoder,
};

const only = process.argv.slice(2);
for (const [name, run] of Object.entries(sections)) {
  if (only.length === 0 || only.includes(name)) await run();
}
