/**
 * `esp-live demo`: everything offline in one process: the Live emulator (echo persona), the
 * bridge, and a simulated board on a real local WebSocket. The board speaks a generated
 * sentence; the demo writes what the board played to a WAV and prints a latency summary.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { alignedSnrDb } from '../audio/measure.js';
import { synthesizeSpeech } from '../audio/speech.js';
import { writeWavS16 } from '../audio/wav.js';
import { Bridge } from '../bridge/bridge.js';
import { DeviceServer } from '../device/wsServer.js';
import { LiveEmulator } from '../emulator/server.js';
import { validateLiveConfig } from '../live/config.js';
import { createLogger } from '../log.js';
import { AssistantState } from '../protocol/messages.js';
import { SimulatedDevice } from '../simulator/simulatedDevice.js';
import { newDeviceToken } from './run.js';

export async function demoCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string', default: 'esp-live-demo-reply.wav' }, text: { type: 'string', default: 'Hello! This is the esp-live demo, talking to the Live API emulator.' } } });
  const log = createLogger({ json: false, write: out });
  const emulator = new LiveEmulator({ persona: 'echo' });
  const baseUrl = await emulator.start();
  out(`Live API EMULATOR at ${baseUrl} (echo persona: it says back what it hears). Nothing leaves this machine.`);
  const bridge = new Bridge({ live: validateLiveConfig({ apiKey: 'demo', baseUrl }), log });
  const token = newDeviceToken();
  const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: { [token]: 'demo board' }, mdns: false, onLink: (link) => void bridge.addLink(link) });
  const url = await server.start();
  const device = new SimulatedDevice({ deviceId: 'demo-board', name: 'demo board' });
  try {
    const speech = await synthesizeSpeech(values.text!, 16000);
    const welcomed = new Promise((r) => device.once('welcome', r));
    await device.connectWebSocket(url, token);
    await welcomed;
    const utterance = new Int16Array(speech.length + 16000);
    utterance.set(speech);
    const spokeAt = performance.now();
    device.speak(utterance);
    const speechEndAt = spokeAt + (speech.length / 16000) * 1000;
    let firstAudioAt = 0;
    device.on('played', () => (firstAudioAt ||= performance.now()));
    const deadline = spokeAt + 30_000;
    while (performance.now() < deadline && !(firstAudioAt && device.hostState === AssistantState.LISTENING)) await new Promise((r) => setTimeout(r, 50));
    if (!firstAudioAt) throw new Error('no reply arrived within 30 s');
    const played = device.playedSamples();
    writeFileSync(values.out!, writeWavS16(played, device.speaker.sampleRateHz));
    const { snrDb } = alignedSnrDb(speech, played, 16000);
    out('');
    out(`said:   ${(speech.length / 16000).toFixed(2)} s of speech (espeak-ng)`);
    out(`reply:  ${(played.length / 16000).toFixed(2)} s written to ${values.out}`);
    out(`end of speech → first reply audio at the board: ${(firstAudioAt - speechEndAt).toFixed(0)} ms`);
    out(`round-trip fidelity (echo vs what was said): ${snrDb.toFixed(1)} dB SNR`);
    out(`board: ${device.stats.underruns} underruns, ${device.stats.overflows} overflows, ${device.stats.staleFrames} stale frames`);
    return 0;
  } finally {
    device.close();
    await bridge.close();
    await server.close();
    await emulator.close();
  }
}
