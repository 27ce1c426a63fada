/** `esp-live emulator`: run the local Live API emulator. */
import { parseArgs } from 'node:util';
import { gentle, HARSH, type EmulatorBehaviour } from '../emulator/behaviour.js';
import { LiveEmulator, type EmulatorOptions } from '../emulator/server.js';
import { loadScenario, type PersonaName } from '../emulator/personas.js';

export const EMULATOR_HELP = `esp-live emulator — a local stand-in for the Gemini Live API (it is NOT Google's service)

Usage: esp-live emulator [options]

Point the real @google/genai SDK at it with httpOptions.baseUrl = the URL it prints (esp-live
does this by itself when GEMINI_API_KEY is unset). It speaks BidiGenerateContent: the same
WebSocket path, setup → setupComplete, realtime audio in (any rate), 24 kHz audio out in
bursts faster than real time with transcripts, generationComplete, turnComplete with usage,
resumption handles, goAway, tool calls, barge-in, and the ephemeral-token endpoint.

By default it is as rough as the service has been seen to be (docs/live-api-notes.md,
"Corrections"); --gentle switches all of that off, the options further down one thing each:
  - transcriptions in chunks without "finished"; the user's split in 2–3 pieces that come
    after the reply has begun (js-genai#1429, python-genai#1504); some turns get none
  - realtimeInput while a BLOCKING tool call is pending: close 1008 "Operation is not
    implemented, or supported, or enabled." (adk-python#4679; that this is the trigger is
    the explanation reported there, a guess; input within 200 ms of the toolCall is forgiven)
  - sessionResumptionUpdate {resumable:false} without a handle while generating or while a
    call is pending; a handle right after setup (a guess: none says when the first comes)
  - goAway {timeLeft:"50s"}, then close 1011 "Deadline expired before operation could
    complete." (sokuji#179)
  - a resume after such a lifetime close refused with 1007, at a rate (discuss thread 186392)
  - gemini-3.8: interactionStatus beside every turnComplete (IN_PROGRESS while an
    asynchronous call runs), tools NON_BLOCKING unless declared BLOCKING, a BLOCKING call
    cancelled by new input, silence (turnComplete, no audio) for a scenario turn with
    "addressed": false
  - usageMetadata: 32 tokens per second of input audio, silence included (discuss thread
    92653), output audio at the same rate (a guess), the whole context billed again each turn

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
                             addressed       false: not meant for the model (gemini-3.8 stays silent)
  --api-key KEY            accept only this key (repeatable; default: any non-empty key)
  --lifetime T             how long a connection lives: 600, 60s or 10m (default 10m);
                           goAway comes first (--connection-lifetime S is the same)
  --go-away-lead S         seconds between goAway and the end (default 50)
  --realtime-factor X      audio is sent X times faster than real time (default 4; 0.5 = slow)
  --burst-ms MS            audio sent at once before pacing (default 300)
  --handle-ttl S           how long a resumption handle stays valid (default 7200)

Service behaviour (all on unless --gentle):
  --gentle                     the textbook protocol: whole, finished transcripts before the
                               reply, input always welcome, always resumable, no refusals
  --finished-transcripts       the user's transcript whole, with finished:true, first
  --empty-transcript-rate R    share of turns without an input transcription (default 0.1)
  --allow-input-during-tools   no 1008 for input while a BLOCKING call is pending
  --always-resumable           a handle in every resumption update, busy or not
  --refuse-resume-rate R       share of resumes refused after a lifetime close (default 0.5)
  --refuse-any-resume-rate R   share of other resumes refused (default 0; a stress setting,
                               not something the service is reported to do)
  --not-found-after-tool-rate R  share of toolResponses answered by close 1008 "Requested
                               entity was not found" (default 0)
  --random-close-every S       close each connection at random, 1011 or 1008, on average
                               every S seconds (default: never)
  --seed N                     seed of the random choices (default 1)

Faults on demand:
  --reject-upgrades N      answer the first N connections with HTTP 429
  --close-after S[:CODE[:REASON]]  close each connection S seconds after setup (default 1011)
  --silent-setup           never answer setup (clients must time out)
  --stall                  never answer a user turn
  --malformed-after S      send a frame that is not JSON S seconds after setup
  --freeze-after S         S seconds after setup, go silent with the socket open (no
                           messages, no pongs)
  Keys (--api-key) give 1007 "API key not valid"; unknown models give 1008.

What it does not reproduce: speech understanding (replies are scripted, echoed or tones),
real voices, token accounting beyond an estimate (32 tokens per second of audio), context-
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
      lifetime: { type: 'string' },
      'connection-lifetime': { type: 'string', default: '600' },
      'go-away-lead': { type: 'string', default: '50' },
      gentle: { type: 'boolean' },
      'finished-transcripts': { type: 'boolean' },
      'empty-transcript-rate': { type: 'string' },
      'allow-input-during-tools': { type: 'boolean' },
      'always-resumable': { type: 'boolean' },
      'refuse-resume-rate': { type: 'string' },
      'refuse-any-resume-rate': { type: 'string' },
      'not-found-after-tool-rate': { type: 'string' },
      'random-close-every': { type: 'string' },
      seed: { type: 'string' },
      'freeze-after': { type: 'string' },
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
    connectionLifetimeMs: values.lifetime ? parseLifetime(values.lifetime) : number('connection-lifetime', values['connection-lifetime']!, 1) * 1000,
    behaviour: behaviourFrom(values, number),
    goAwayLeadMs: number('go-away-lead', values['go-away-lead']!, 0) * 1000,
    realtimeFactor: number('realtime-factor', values['realtime-factor']!, 0.1),
    burstMs: number('burst-ms', values['burst-ms']!, 0),
    handleTtlMs: number('handle-ttl', values['handle-ttl']!, 1) * 1000,
    rejectUpgrades: number('reject-upgrades', values['reject-upgrades']!, 0),
    faults: {
      silentSetup: values['silent-setup'],
      stall: values.stall,
      malformedFrameAtMs: values['malformed-after'] ? number('malformed-after', values['malformed-after'], 0) * 1000 : undefined,
      freezeAtMs: values['freeze-after'] ? number('freeze-after', values['freeze-after'], 0) * 1000 : undefined,
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

/** "600" (seconds), "60s", "10m" → milliseconds. */
function parseLifetime(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(text);
  if (!m || Number(m[1]) <= 0) throw new TypeError(`--lifetime must be like 600, 60s or 10m, got "${text}"`);
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
}

function behaviourFrom(values: Record<string, string | boolean | string[] | undefined>, number: (name: string, text: string, min: number) => number): EmulatorBehaviour {
  const b = values.gentle ? gentle() : { ...HARSH };
  const rate = (name: string) => {
    const r = number(name, values[name] as string, 0);
    if (r > 1) throw new TypeError(`--${name} must be a share from 0 to 1, got "${values[name]}"`);
    return r;
  };
  if (values['finished-transcripts']) b.realisticTranscripts = false;
  if (values['empty-transcript-rate'] !== undefined) b.emptyTranscriptRate = rate('empty-transcript-rate');
  if (values['allow-input-during-tools']) b.closeOnInputDuringBlockingCall = false;
  if (values['always-resumable']) b.unresumableWhileBusy = false;
  if (values['refuse-resume-rate'] !== undefined) b.refuseResumeAfterLifetimeRate = rate('refuse-resume-rate');
  if (values['refuse-any-resume-rate'] !== undefined) b.refuseAnyResumeRate = rate('refuse-any-resume-rate');
  if (values['not-found-after-tool-rate'] !== undefined) b.notFoundAfterToolResponseRate = rate('not-found-after-tool-rate');
  if (values['random-close-every'] !== undefined) b.randomCloseMeanMs = number('random-close-every', values['random-close-every'] as string, 0) * 1000;
  if (values.seed !== undefined) b.seed = number('seed', values.seed as string, 0);
  return b;
}
