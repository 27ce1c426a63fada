/** `esp-live simulate`: a simulated board on a serial port or a WebSocket URL. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { synthesizeSpeech } from '../audio/speech.js';
import { parseWav, wavS16Samples, writeWavS16 } from '../audio/wav.js';
import { resampleWhole } from '../audio/resampleWhole.js';
import { SampleFormat } from '../protocol/messages.js';
import { SimulatedDevice } from '../simulator/simulatedDevice.js';

export const SIMULATE_HELP = `esp-live simulate — a simulated board

Usage: esp-live simulate (--serial PATH | --ws URL --token TOKEN) [options]

  --serial PATH       the device end of a serial link (e.g. a socat pty)
  --ws URL --token T  a bridge's WebSocket listener and a device token from its config
  --baud N            pace bytes like a UART at N baud (serial)
  --mic FILE.wav      what the microphone hears (16-bit PCM WAV); default: a spoken sentence
  --out FILE.wav      write what the board played (default simulated-played.wav)
  --buffer-ms N       playback buffer (default 200)
  --speaker-rate N    DAC rate (default 16000)
  --u8                8-bit DAC (the classic ESP32's built-in one)
  --revision N        protocol revision the board speaks: 1 (default) or 0, a 1.0 board
                      (no CREDIT when its buffer runs empty, no revision in HELLO)
  --extra-credits     also CREDIT whenever anything was released (default: only the CREDITs
                      firmware/PROTOCOL.md requires, like a minimal board)
  --max-message N     HELLO maxMessageBytes (default 2048; the host picks frames that fit)
  --press-at S        press the button S seconds in (repeatable), released 0.5 s later
  --unplug-at S       pull the cable S seconds in, plug back 2 s later
  --seconds N         stop after N seconds (default 20)
`;

export async function simulateCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      serial: { type: 'string' },
      ws: { type: 'string' },
      token: { type: 'string' },
      baud: { type: 'string' },
      mic: { type: 'string' },
      out: { type: 'string', default: 'simulated-played.wav' },
      'buffer-ms': { type: 'string', default: '200' },
      'speaker-rate': { type: 'string', default: '16000' },
      u8: { type: 'boolean' },
      revision: { type: 'string', default: '1' },
      'extra-credits': { type: 'boolean' },
      'max-message': { type: 'string', default: '2048' },
      'press-at': { type: 'string', multiple: true },
      'unplug-at': { type: 'string' },
      seconds: { type: 'string', default: '20' },
    },
  });
  if (values.help || (!values.serial && !values.ws)) {
    out(SIMULATE_HELP);
    return values.help ? 0 : 2;
  }
  if (values.ws && !values.token) throw new TypeError('--ws needs --token');
  if (values.revision !== '0' && values.revision !== '1') throw new TypeError(`--revision must be 0 or 1, got ${values.revision}`);
  const maxMessage = Number(values['max-message']);
  if (!Number.isInteger(maxMessage) || maxMessage < 1 || maxMessage > 0xffff) throw new TypeError(`--max-message must be a whole number of bytes up to 65535, got ${values['max-message']}`);
  const speakerRate = Number(values['speaker-rate']);
  const device = new SimulatedDevice({
    baudRate: values.baud ? Number(values.baud) : undefined,
    playbackBufferSamples: Math.round((Number(values['buffer-ms']) / 1000) * speakerRate),
    speaker: { sampleRateHz: speakerRate, sampleFormat: values.u8 ? SampleFormat.U8 : SampleFormat.S16LE, channels: 1, codecs: 0b1111 },
    protocolRevision: Number(values.revision),
    extraCredits: values['extra-credits'] ?? false,
    maxMessageBytes: maxMessage,
  });
  device.on('hostError', (code, message) => out(`host error ${code}: ${JSON.stringify(message)}`));
  let mic: Int16Array;
  if (values.mic) {
    const info = parseWav(readFileSync(values.mic));
    mic = wavS16Samples(info);
    mic = resampleWhole(mic, info.sampleRateHz, 16000);
  } else {
    mic = await synthesizeSpeech('What is the weather like today?', 16000);
  }
  const connect = () => (values.serial ? device.connectSerial(values.serial) : device.connectWebSocket(values.ws!, values.token!));
  device.on('welcome', (id) => out(`welcomed: session ${id}`));
  device.on('state', (s) => out(`assistant state ${['idle', 'listening', 'thinking', 'speaking', 'error', 'connecting'][s] ?? s}`));
  await connect();
  device.speak(mic);
  for (const at of values['press-at'] ?? []) {
    setTimeout(() => device.press(), Number(at) * 1000);
    setTimeout(() => device.release(), Number(at) * 1000 + 500);
  }
  if (values['unplug-at']) {
    setTimeout(() => {
      out('unplugging');
      device.unplug();
      setTimeout(() => void connect().then(() => out('plugged back in')), 2000);
    }, Number(values['unplug-at']) * 1000);
  }
  await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
  device.close();
  writeFileSync(values.out!, writeWavS16(device.playedSamples(), speakerRate));
  out(`played ${(device.playedSamples().length / speakerRate).toFixed(2)} s → ${values.out}; ${JSON.stringify(device.stats)}`);
  return 0;
}
