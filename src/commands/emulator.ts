/** `esp-live emulator`: run the local Live API emulator. */
import { parseArgs } from 'node:util';
import { LiveEmulator, type EmulatorOptions } from '../emulator/server.js';
import { loadScenario, type PersonaName } from '../emulator/personas.js';

export const EMULATOR_HELP = `esp-live emulator — a local stand-in for the Gemini Live API (it is NOT Google's service)

Usage: esp-live emulator [options]

Point the real @google/genai SDK at it with httpOptions.baseUrl = the URL it prints (esp-live
does this by itself when GEMINI_API_KEY is unset). It speaks BidiGenerateContent: the same
WebSocket path, setup → setupComplete, realtime audio in (any rate), 24 kHz audio out in
bursts faster than real time with transcripts, generationComplete, turnComplete with usage,
resumption handles, goAway, tool calls, barge-in, and the ephemeral-token endpoint.

Options:
  --host ADDR              listen address (default 127.0.0.1)
  --port N                 port (default 8765; 0 picks a free one)
  --persona NAME           who answers (default echo):
                             echo      plays your own utterance back at 24 kHz
                             tone      a one-second 440 Hz tone
                             scenario  the turns of --scenario FILE, in order
  --scenario FILE          a JSON file: {"turns": [TURN, …]}; each TURN may have
                             say             transcript of the reply ("{result}" = the tool response)
                             audio           "tone" | "speech" (espeak-ng) | "echo" | "silence"
                             durationMs      length of a tone or silence reply
                             userTranscript  sent back as the input transcription
                             toolCall        {"name": …, "args": {…}}: call it, wait for the response
                             goAway          true: send goAway after this turn
                             fail            {"code": 1011, "reason": "…"}: close instead of replying
                             stall           true: never answer (the socket stays open)
                             malformedFrame  true: send a frame that is not JSON first
                             search          "query": with live.googleSearch on, a groundingMetadata
                                             naming the query and a made-up source comes first
  --api-key KEY            accept only this key (repeatable; default: any non-empty key)
  --connection-lifetime S  seconds a connection lives (default 600); goAway comes first
  --go-away-lead S         seconds between goAway and the end (default 50)
  --realtime-factor X      audio is sent X times faster than real time (default 4; 0.5 = slow)
  --burst-ms MS            audio sent at once before pacing (default 300)
  --handle-ttl S           how long a resumption handle stays valid (default 7200)

Faults on demand:
  --reject-upgrades N      answer the first N connections with HTTP 429
  --close-after S[:CODE[:REASON]]  close each connection S seconds after setup (default 1011)
  --silent-setup           never answer setup (clients must time out)
  --stall                  never answer a user turn
  --malformed-after S      send a frame that is not JSON S seconds after setup
  Keys (--api-key) give 1007 "API key not valid"; unknown models give 1008.

What it does not reproduce: speech understanding (replies are scripted, echoed or tones),
real voices, token accounting beyond an estimate (25 tokens per second of audio), context-
window compression, video input, Google Search and code execution, affective dialog, the
service's exact VAD (an energy detector honours the setup's sensitivities, padding and
silence), and close reasons the service has never been seen to send.
`;

export async function emulatorCommand(argv: string[], out: (line: string) => void): Promise<LiveEmulator | undefined> {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8765' },
      persona: { type: 'string', default: 'echo' },
      scenario: { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      'connection-lifetime': { type: 'string', default: '600' },
      'go-away-lead': { type: 'string', default: '50' },
      'realtime-factor': { type: 'string', default: '4' },
      'burst-ms': { type: 'string', default: '300' },
      'handle-ttl': { type: 'string', default: '7200' },
      'reject-upgrades': { type: 'string', default: '0' },
      'close-after': { type: 'string' },
      'silent-setup': { type: 'boolean' },
      stall: { type: 'boolean' },
      'malformed-after': { type: 'string' },
    },
  });
  if (values.help) {
    out(EMULATOR_HELP);
    return undefined;
  }
  const number = (name: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) throw new TypeError(`--${name} must be a number ≥ ${min}, got "${text}"`);
    return n;
  };
  const persona = values.persona as PersonaName;
  if (!['echo', 'tone', 'scenario'].includes(persona)) throw new TypeError(`--persona must be echo, tone or scenario, got "${persona}"`);
  if (persona === 'scenario' && !values.scenario) throw new TypeError('--persona scenario needs --scenario FILE');
  const options: EmulatorOptions = {
    host: values.host,
    port: number('port', values.port!, 0),
    persona,
    scenario: values.scenario ? loadScenario(values.scenario) : undefined,
    apiKeys: values['api-key'],
    connectionLifetimeMs: number('connection-lifetime', values['connection-lifetime']!, 1) * 1000,
    goAwayLeadMs: number('go-away-lead', values['go-away-lead']!, 0) * 1000,
    realtimeFactor: number('realtime-factor', values['realtime-factor']!, 0.1),
    burstMs: number('burst-ms', values['burst-ms']!, 0),
    handleTtlMs: number('handle-ttl', values['handle-ttl']!, 1) * 1000,
    rejectUpgrades: number('reject-upgrades', values['reject-upgrades']!, 0),
    faults: {
      silentSetup: values['silent-setup'],
      stall: values.stall,
      malformedFrameAtMs: values['malformed-after'] ? number('malformed-after', values['malformed-after'], 0) * 1000 : undefined,
      closeAt: values['close-after'] ? parseCloseAfter(values['close-after']) : undefined,
    },
    log: (line) => out(`emulator: ${line}`),
  };
  const emulator = new LiveEmulator(options);
  const url = await emulator.start();
  out(`Gemini Live API EMULATOR (not Google's service) listening on ${url}, persona ${persona}`);
  out(`point the SDK at it: new GoogleGenAI({ apiKey: 'any', httpOptions: { baseUrl: '${url}', apiVersion: 'v1beta' } })`);
  return emulator;
}

function parseCloseAfter(text: string): { ms: number; code: number; reason: string } {
  const [seconds, code = '1011', ...reason] = text.split(':');
  const ms = Number(seconds) * 1000;
  if (!Number.isFinite(ms) || ms < 0) throw new TypeError(`--close-after must be SECONDS[:CODE[:REASON]], got "${text}"`);
  return { ms, code: Number(code), reason: reason.join(':') || 'Internal error encountered.' };
}
