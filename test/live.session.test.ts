/** LiveSession against the emulator under every fault it has to survive (or report). */
import { afterEach, describe, expect, it } from 'vitest';
import { validateLiveConfig } from '../src/live/config.js';
import { classifyFailure } from '../src/live/session.js';
import { validateScenario } from '../src/emulator/personas.js';
import { cleanup, collect, counting, nextEvent, sessionFor, sleep, spokenTurn, startEmulator, talk, until } from './helpers/live.js';

afterEach(cleanup);

describe('LiveSession', () => {
  it('holds a spoken conversation: 24 kHz audio, transcripts, turnComplete', async () => {
    const emu = await startEmulator({ persona: 'echo' });
    const session = sessionFor(emu);
    const seen = collect(session);
    await session.start();
    expect(session.state).toBe('open');
    const done = nextEvent(session, 'turnComplete');
    await talk((c) => session.sendAudio(c), await spokenTurn());
    await done;
    expect(seen.audioSamples).toBeGreaterThan(24000);
    expect(seen.output).toMatch(/You said something/);
  });

  it('switches to a new connection on goAway losing no mic sample, repeating only the last 500 ms at each switch', async () => {
    const short = validateScenario({ turns: [{ say: 'hi', durationMs: 200 }] });
    const emu = await startEmulator({ persona: 'scenario', scenario: short, connectionLifetimeMs: 1000, goAwayLeadMs: 700 });
    const session = sessionFor(emu);
    const seen = collect(session);
    await session.start();
    session.sendText('hello'); // a turn, so that a resumable handle exists
    await nextEvent(session, 'turnComplete');
    // Quiet audio whose every 20 ms chunk is unique, so each can be found in what the emulator received.
    const quiet = (from: number) => Int16Array.from({ length: 320 }, (_, i) => (Math.imul(from + i, 2654435761) >>> 26) - 32);
    const sent: Buffer[] = [];
    const until = Date.now() + 3000; // crosses at least two connection lifetimes
    while (Date.now() < until) {
      const chunk = quiet(sent.length * 320);
      sent.push(Buffer.from(chunk.buffer));
      session.sendAudio(chunk);
      await sleep(20);
    }
    await sleep(300);
    expect(session.stats.goAwaySwitches).toBeGreaterThanOrEqual(2);
    expect(emu.conversations).toHaveLength(1); // one conversation, resumed each time
    const received = Buffer.from(emu.conversations[0].receivedAudio().buffer);
    // Every chunk arrived, in order; the only extra audio is the 500 ms (8000 samples) before each switch.
    let at = 0;
    for (const chunk of sent) {
      at = received.indexOf(chunk, Math.max(0, at - 16000));
      expect(at).toBeGreaterThanOrEqual(0);
    }
    expect(received.length / 2).toBe(sent.length * 320 + session.stats.micReplayedMs * 16);
    expect(session.stats.micReplayedMs).toBeGreaterThan(0);
    expect(session.stats.micReplayedMs).toBeLessThanOrEqual(session.stats.goAwaySwitches * 500);
    expect(seen.errors).toEqual([]);
  });

  it('reconnects after 1011 and an abrupt drop, resuming the same conversation', async () => {
    const emu = await startEmulator({ persona: 'tone' });
    const session = sessionFor(emu, { reconnectInitialDelayMs: 20 });
    const seen = collect(session);
    await session.start();
    session.sendText('first');
    await nextEvent(session, 'turnComplete');
    emu.dropAll(1011, 'Internal error encountered.');
    await nextEvent(session, 'state', 5000, (s) => s === 'open');
    for (const ws of (emu as unknown as { wss: { clients: Set<{ terminate(): void }> } }).wss.clients) ws.terminate(); // 1006
    await nextEvent(session, 'state', 5000, (s) => s === 'open');
    session.sendText('second');
    await nextEvent(session, 'turnComplete');
    expect(emu.conversations).toHaveLength(1);
    expect(emu.conversations[0].turns).toBe(2);
    expect(session.stats.resumed).toBe(2);
    expect(seen.errors).toEqual(['LIVE_DISCONNECTED', 'LIVE_DISCONNECTED']);
  });

  it('fails fast, without retrying, on a rejected key or an unknown model', async () => {
    const emu = await startEmulator({ apiKeys: ['GOOD'] });
    const bad = sessionFor(emu, { apiKey: 'WRONG' });
    await expect(bad.start()).rejects.toMatchObject({ code: 'LIVE_AUTH', message: expect.stringMatching(/GEMINI_API_KEY was rejected/) });
    expect(bad.state).toBe('failed');
    const unknown = sessionFor(emu, { apiKey: 'GOOD', model: 'gemini-0-nonexistent' });
    await expect(unknown.start()).rejects.toMatchObject({ code: 'LIVE_MODEL', message: expect.stringMatching(/gemini-0-nonexistent is not available/) });
    await sleep(300);
    expect(bad.stats.reconnects + unknown.stats.reconnects).toBe(0);
  });

  it('says so clearly on quota (HTTP 429) and retries slowly until it gets through', async () => {
    const emu = await startEmulator({ rejectUpgrades: 2 });
    const session = sessionFor(emu, { quotaRetryDelayMs: 150 });
    const seen = collect(session);
    const notices: string[] = [];
    session.on('notice', (n) => notices.push(n));
    const unreachable = nextEvent(session, 'unreachable');
    const t0 = Date.now();
    await session.start();
    expect(seen.errors).toEqual(['LIVE_QUOTA']); // one line, not one per attempt
    expect((await unreachable)[0].message).toMatch(/cannot reach the Live API \(Live API quota exceeded/);
    expect(notices).toEqual([expect.stringMatching(/reached the Live API again after 2 failed attempts/)]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('gives up on a server that never completes setup after connectTimeoutMs, and keeps trying', async () => {
    const emu = await startEmulator({ faults: { silentSetup: true } });
    const session = sessionFor(emu, { connectTimeoutMs: 200, reconnectInitialDelayMs: 20, reconnectMaxDelayMs: 50 });
    const seen = collect(session);
    void session.start().catch(() => undefined);
    await sleep(1000);
    expect(session.stats.reconnectsByCause.timeout).toBeGreaterThanOrEqual(3);
    expect(seen.errors).toEqual(['LIVE_CONNECT_TIMEOUT']);
    expect(emu.openConnections).toBeLessThanOrEqual(1); // stuck sockets are terminated, not leaked
  });

  it('reconnects (resuming) when the model stalls after the user spoke', async () => {
    const scenario = validateScenario({ turns: [{ say: 'one' }, { stall: true }, { say: 'three' }] });
    const emu = await startEmulator({ persona: 'scenario', scenario });
    const session = sessionFor(emu, { stallTimeoutMs: 400, reconnectInitialDelayMs: 20 });
    const seen = collect(session);
    await session.start();
    session.sendText('one');
    await nextEvent(session, 'turnComplete');
    session.sendText('two');
    await nextEvent(session, 'state', 3000, (s) => s === 'open');
    expect(seen.errors).toContain('LIVE_STALLED');
    session.sendText('three');
    await nextEvent(session, 'turnComplete');
    expect(seen.output).toContain('three');
    expect(emu.conversations).toHaveLength(1);
  });

  it('survives a frame that is not JSON: reports it, the process and the conversation carry on', async () => {
    const scenario = validateScenario({ turns: [{ say: 'fine', malformedFrame: true }] });
    const emu = await startEmulator({ persona: 'scenario', scenario });
    const session = sessionFor(emu);
    const seen = collect(session);
    await session.start();
    session.sendText('go');
    await nextEvent(session, 'turnComplete');
    expect(seen.errors).toEqual(['LIVE_MALFORMED']);
    expect(session.stats.malformedFrames).toBe(1);
    expect(seen.output).toBe('fine');
  });

  it('starts a new conversation when its resumption handle has expired, and says the context was lost', async () => {
    const emu = await startEmulator({ persona: 'tone', handleTtlMs: 50 });
    const session = sessionFor(emu, { reconnectInitialDelayMs: 20 });
    const seen = collect(session);
    await session.start();
    session.sendText('hi');
    await nextEvent(session, 'turnComplete');
    await sleep(100);
    emu.dropAll();
    await nextEvent(session, 'state', 5000, (s) => s === 'open');
    expect(seen.errors).toContain('LIVE_CONTEXT_LOST');
    expect(emu.conversations).toHaveLength(2);
  });

  it('dispatches tool calls to registered handlers with the ids preserved, and aborts them when the server cancels', async () => {
    const scenario = validateScenario({
      turns: [
        { toolCall: { name: 'get_temp', args: { unit: 'C' } }, say: 'It is {result}' },
        { toolCall: { name: 'wait_forever', cancelAfterMs: 300 }, say: 'never' },
      ],
    });
    const emu = await startEmulator({ persona: 'scenario', scenario });
    const session = sessionFor(emu);
    let cancelled = false;
    session.tools.register({ name: 'get_temp', parametersJsonSchema: { type: 'object' } }, async (args) => ({ celsius: 21, asked: args.unit }));
    session.tools.register({ name: 'wait_forever' }, (_args, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => ((cancelled = true), reject(new Error('aborted'))))));
    const seen = collect(session);
    await session.start();
    session.sendText('temperature?');
    await until(() => seen.output.length > 0 && seen.turns >= 2, 5000, 'the reply after the tool'); // gemini-3.8: the call is asynchronous
    expect(seen.output).toBe('It is {"result":{"celsius":21,"asked":"C"}}');
    session.sendText('wait');
    const [calls] = await nextEvent(session, 'toolCall');
    const [cancelledIds] = await nextEvent(session, 'toolCallCancellation');
    expect(cancelledIds).toEqual([calls[0].id]);
    expect(cancelled).toBe(true);
  });

  it('crosses several connection lifetimes in one long conversation', async () => {
    const turns = Array.from({ length: 5 }, (_, i) => ({ say: `reply ${i}`, durationMs: 250 }));
    const emu = await startEmulator({ persona: 'scenario', scenario: validateScenario({ turns }), connectionLifetimeMs: 900, goAwayLeadMs: 600 });
    const session = sessionFor(emu);
    const seen = collect(session);
    await session.start();
    for (let turn = 0; turn < 5; turn++) {
      session.sendText(`turn ${turn}`);
      await nextEvent(session, 'turnComplete');
      await sleep(300); // the user thinks: connections keep expiring meanwhile
    }
    expect(seen.output).toBe('reply 0reply 1reply 2reply 3reply 4');
    expect(session.stats.goAwaySwitches).toBeGreaterThanOrEqual(3);
    expect(emu.conversations).toHaveLength(1);
    expect(emu.conversations[0].turns).toBe(5);
    expect(seen.turns).toBe(5);
    expect(seen.errors).toEqual([]);
  });
});

describe('Live configuration', () => {
  it('fills defaults: a current model, resumption and compression on', () => {
    const c = validateLiveConfig({ apiKey: 'k' });
    expect(c).toMatchObject({ model: 'gemini-3.8-live', apiVersion: 'v1beta', resumption: true, compression: {} });
  });

  it('names the bad field before any connection is made', () => {
    expect(() => validateLiveConfig({ apiKey: 'k', temperature: 3 })).toThrow(/live\.temperature must be a number from 0 to 2/);
    expect(() => validateLiveConfig({ apiKey: 'k', vad: { automatic: true, silenceDurationMs: -1 } })).toThrow(/live\.vad\.silenceDurationMs/);
    expect(() => validateLiveConfig({ apiKey: '' })).toThrow(/live\.apiKey/);
    expect(() => validateLiveConfig({ apiKey: 'k', affectiveDialog: true })).toThrow(/live\.affectiveDialog is not supported by gemini-3.8-live/);
    expect(() => validateLiveConfig({ apiKey: 'k', temprature: 1 } as never)).toThrow(/live\.temprature is not a Live setting/);
  });

  it('sorts close codes into give-up, slow-retry and reconnect', () => {
    expect(classifyFailure(1007, 'API key not valid. Please pass a valid API key.', 'm').kind).toBe('fatal');
    expect(classifyFailure(1011, 'You exceeded your current quota, please check your plan', 'm').kind).toBe('quota');
    expect(classifyFailure(1011, 'Internal error encountered.', 'm').kind).toBe('transient');
    expect(classifyFailure(1000, '', 'm').kind).toBe('transient');
    expect(classifyFailure(undefined, 'Unexpected server response: 403', 'm').error.code).toBe('LIVE_AUTH');
  });
});

describe('ephemeral tokens', () => {
  it('lets a session connect with a minted token (never the key) and resume with it; a used-up token is refused', async () => {
    const { mintEphemeralToken } = await import('../src/live/tokens.js');
    const short = validateScenario({ turns: [{ say: 'hi', durationMs: 200 }] });
    const emu = await startEmulator({ apiKeys: ['HOST_KEY'], persona: 'scenario', scenario: short, connectionLifetimeMs: 1200, goAwayLeadMs: 800 });
    const hostConfig = validateLiveConfig({ apiKey: 'HOST_KEY', baseUrl: emu.baseUrl });
    const token = await mintEphemeralToken(hostConfig, { uses: 1 });
    expect(token.name).toMatch(/^auth_tokens\//);
    const device = sessionFor(emu, { apiKey: token.name, apiVersion: 'v1alpha' });
    await device.start();
    device.sendText('hello');
    await nextEvent(device, 'turnComplete');
    await until(() => device.stats.resumed >= 1, 5000, 'the goAway switch-over'); // it resumes on the same token
    expect(device.stats.resumed).toBeGreaterThanOrEqual(1);
    const second = sessionFor(emu, { apiKey: token.name, apiVersion: 'v1alpha' });
    await expect(second.start()).rejects.toMatchObject({ code: 'LIVE_AUTH' });
  });
});

describe('LiveSession with a slow or failing server', () => {
  it('carries on when the server closes every connection with 1011 a moment after setup', async () => {
    const short = validateScenario({ turns: [{ say: 'one', durationMs: 200 }, { say: 'two', durationMs: 200 }] });
    const emu = await startEmulator({ persona: 'scenario', scenario: short, faults: { closeAt: { ms: 900, code: 1011, reason: 'Internal error encountered.' } } });
    const session = sessionFor(emu, { reconnectInitialDelayMs: 20 });
    const seen = collect(session);
    await session.start();
    session.sendText('one');
    await nextEvent(session, 'turnComplete');
    await nextEvent(session, 'state', 5000, (s) => s === 'open'); // after the 1011, resumed
    session.sendText('two');
    await nextEvent(session, 'turnComplete');
    expect(seen.output).toBe('onetwo');
    expect(seen.errors).toContain('LIVE_DISCONNECTED');
    expect(emu.conversations).toHaveLength(1);
  });

  it('receives every sample of a reply that arrives slower than real time', async () => {
    const emu = await startEmulator({ persona: 'tone', realtimeFactor: 0.5, burstMs: 0 });
    const session = sessionFor(emu);
    const seen = collect(session);
    await session.start();
    const t0 = Date.now();
    session.sendText('slowly');
    await nextEvent(session, 'turnComplete', 10_000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900); // 1 s of audio at half speed
    expect(seen.audioSamples).toBe(24000);
  });
});
