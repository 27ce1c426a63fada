/** The emulator in a process of its own, so the bench can measure its CPU and memory alone. */
import { LiveEmulator } from '../src/emulator/server.js';
import { serveStats } from './childStats.js';

const emulator = new LiveEmulator({ persona: 'echo', realtimeFactor: 4 });
const url = await emulator.start();
serveStats(() => ({ connections: emulator.openConnections }), () => emulator.close());
process.send!({ url });
