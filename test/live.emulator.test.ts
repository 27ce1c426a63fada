/**
 * Conformance: the real @google/genai SDK against the emulator, one message type of
 * docs/live-api-notes.md after another.
 */
import { Behavior, GoogleGenAI, Modality, type LiveServerMessage } from '@google/genai';
import { gentle } from '../src/emulator/behaviour.js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { validateScenario } from '../src/emulator/personas.js';
import { cleanup, rawSdkSession, spokenTurn, startEmulator, sleep, talk, until } from './helpers/live.js';

afterEach(cleanup);

const audioOf = (m: { serverContent?: { modelTurn?: { parts?: { inlineData?: { data?: string; mimeType?: string } }[] } } }) =>
  m.serverContent?.modelTurn?.parts?.map((p) => p.inlineData).filter((d) => d?.data) ?? [];

describe('Live API emulator with the real SDK', () => {
  it('answers setup with setupComplete in a binary frame, on the SDK URL with its // path', async () => {
    const emu = await startEmulator();
    const frames: { binary: boolean; text: string }[] = [];
    const ws = new WebSocket(`${emu.baseUrl.replace('http', 'ws')}//ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent?key=k`);
    ws.on('message', (data, isBinary) => frames.push({ binary: isBinary, text: data.toString() }));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ setup: { model: 'models/gemini-3.8-live' } }));
    while (!frames.length) await sleep(5);
    expect(frames[0]).toEqual({ binary: true, text: '{"setupComplete":{}}' });
    ws.close();
  });

  it('hears a spoken turn and replies with 24 kHz audio, transcripts, generationComplete, turnComplete with usage, and a handle', async () => {
    const emu = await startEmulator({ persona: 'echo' });
    const live = await rawSdkSession(emu, { sessionResumption: {}, inputAudioTranscription: {}, outputAudioTranscription: {} });
    const turn = await spokenTurn();
    await talk(live.sendPcm, turn);
    await live.waitFor((m) => m.serverContent?.turnComplete === true);
    await live.waitFor((m) => m.sessionResumptionUpdate?.resumable === true && live.messages.indexOf(m) > 2);
    const kinds = live.messages.map((m) => Object.keys(m.serverContent ?? m).find((k) => k !== 'usageMetadata' && k !== 'interactionStatus'));
    expect(kinds[0]).toBe('setupComplete');
    expect(kinds).toContain('outputTranscription');
    const order = ['modelTurn', 'generationComplete', 'turnComplete'].map((k) => kinds.indexOf(k));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(kinds.lastIndexOf('sessionResumptionUpdate')).toBeGreaterThan(kinds.indexOf('turnComplete'));
    const parts = live.messages.flatMap(audioOf);
    expect(parts.every((p) => p!.mimeType === 'audio/pcm;rate=24000')).toBe(true);
    const replySamples = parts.reduce((n, p) => n + Buffer.from(p!.data!, 'base64').length / 2, 0);
    // The echo persona says back the utterance it heard, at 24 kHz: about 1.5 × the words' samples.
    const words = turn.length - 16000;
    expect(replySamples).toBeGreaterThan(words * 1.5 * 0.8);
    expect(replySamples).toBeLessThan(words * 1.5 * 1.6);
    const done = live.messages.find((m) => m.serverContent?.turnComplete)!;
    expect(done.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    // While the model is generating no handle is offered; after the turn, one is.
    const busy = live.messages.slice(kinds.indexOf('modelTurn') - 1, kinds.indexOf('turnComplete')).filter((m) => m.sessionResumptionUpdate);
    expect(busy.map((m) => m.sessionResumptionUpdate)).toEqual([{ resumable: false }]);
    expect(live.messages.at(-1)!.sessionResumptionUpdate).toMatchObject({ resumable: true, newHandle: expect.any(String) });
  });

  it('sends the reply faster than real time, and turnComplete only when playback would end', async () => {
    const emu = await startEmulator({ persona: 'tone', realtimeFactor: 4, burstMs: 200 });
    const live = await rawSdkSession(emu);
    const t0 = Date.now();
    live.session.sendRealtimeInput({ text: 'play the tone' });
    const lastAudio = await live.waitFor((m) => m.serverContent?.generationComplete === true);
    const generatedMs = Date.now() - t0;
    await live.waitFor((m) => m.serverContent?.turnComplete === true);
    const completeMs = Date.now() - t0;
    expect(lastAudio).toBeDefined();
    expect(generatedMs).toBeLessThan(500); // 1 s of audio at 4× plus a 200 ms burst
    expect(completeMs).toBeGreaterThanOrEqual(950);
  });

  it('takes push-to-talk activityStart/activityEnd when automatic VAD is off, and refuses them when it is on', async () => {
    const emu = await startEmulator({ persona: 'tone' });
    const live = await rawSdkSession(emu, { realtimeInputConfig: { automaticActivityDetection: { disabled: true } } });
    live.session.sendRealtimeInput({ activityStart: {} });
    await talk(live.sendPcm, new Int16Array(8000)); // silence: only the button frames the turn
    live.session.sendRealtimeInput({ activityEnd: {} });
    await live.waitFor((m) => m.serverContent?.turnComplete === true);
    const auto = await rawSdkSession(emu);
    auto.session.sendRealtimeInput({ activityStart: {} });
    while (!auto.closes.length) await sleep(5);
    expect(auto.closes[0].code).toBe(1007);
  });

  it('ends a turn on audioStreamEnd, answers realtime text and clientContent, and accepts contextUpdate', async () => {
    const emu = await startEmulator({ persona: 'tone' });
    const live = await rawSdkSession(emu);
    const turn = await spokenTurn();
    await talk(live.sendPcm, turn.subarray(0, turn.length - 16000)); // no trailing silence
    live.session.sendRealtimeInput({ audioStreamEnd: true });
    await live.waitFor((m) => m.serverContent?.modelTurn !== undefined, 3000);
    live.session.sendContextUpdate({ systemInstruction: 'Be brief.' });
    live.session.sendClientContent({ turns: 'Hi there' });
    await sleep(100);
    await live.waitFor((m) => m.serverContent?.turnComplete === true);
    expect(emu.conversations[0].systemInstruction).toBe('Be brief.');
  });

  it('calls a tool, waits for the response with the same id, and puts the result in the reply', async () => {
    const scenario = validateScenario({ turns: [{ toolCall: { name: 'set_led', args: { on: true } }, say: 'Done: {result}' }] });
    const emu = await startEmulator({ persona: 'scenario', scenario });
    const live = await rawSdkSession(emu, { outputAudioTranscription: {} });
    live.session.sendRealtimeInput({ text: 'light on' });
    const call = (await live.waitFor((m) => m.toolCall !== undefined)).toolCall!.functionCalls![0];
    expect(call).toMatchObject({ name: 'set_led', args: { on: true }, id: expect.stringMatching(/^function-call-/) });
    // gemini-3.8: the call is asynchronous; the turn ends with the interaction still open.
    await live.waitFor((m) => m.serverContent?.interactionStatus === 'IN_PROGRESS');
    live.session.sendToolResponse({ functionResponses: [{ id: call.id, name: call.name, response: { result: 'ok' } }] });
    await live.waitFor((m) => m.serverContent?.turnComplete === true && m.serverContent.interactionStatus === 'IDLE');
    const said = live.messages.map((m) => m.serverContent?.outputTranscription?.text ?? '').join('');
    expect(said).toBe('Done: {"result":"ok"}');
  });

  it('on barge-in sends interrupted then turnComplete without generationComplete, and cancels a pending tool call', async () => {
    const scenario = validateScenario({ turns: [{ say: 'a long answer', durationMs: 8000 }, { toolCall: { name: 'slow_tool' } }] });
    const emu = await startEmulator({ persona: 'scenario', scenario, realtimeFactor: 1 });
    // A BLOCKING call on gemini-3.8 is cancelled when new input arrives.
    const live = await rawSdkSession(emu, { tools: [{ functionDeclarations: [{ name: 'slow_tool', behavior: Behavior.BLOCKING }] }] });
    const turn = await spokenTurn();
    await talk(live.sendPcm, turn);
    await live.waitFor((m) => audioOf(m).length > 0);
    const before = live.messages.length;
    await talk(live.sendPcm, turn); // the user talks over the reply
    await live.waitFor((m) => m.serverContent?.interrupted === true);
    const after = live.messages.slice(before).map((m) => Object.keys(m.serverContent ?? m)[0]);
    const i = after.indexOf('interrupted');
    expect(after[i + 1]).toBe('turnComplete');
    expect(after.slice(0, i)).not.toContain('generationComplete');
    // Second turn: a tool call that the next speech cancels.
    const call = (await live.waitFor((m) => m.toolCall !== undefined)).toolCall!.functionCalls![0];
    await talk(live.sendPcm, turn);
    const cancel = await live.waitFor((m) => m.toolCallCancellation !== undefined);
    expect(cancel.toolCallCancellation!.ids).toEqual([call.id]);
  });

  it('sends goAway before the connection lifetime ends, then closes it', async () => {
    const emu = await startEmulator({ connectionLifetimeMs: 600, goAwayLeadMs: 400 });
    const live = await rawSdkSession(emu);
    const goAway = await live.waitFor((m) => m.goAway !== undefined, 2000);
    expect(goAway.goAway!.timeLeft).toMatch(/^\d+(\.\d+)?s$/);
    while (!live.closes.length) await sleep(10);
    expect(live.closes[0].code).toBe(1011);
  });

  it('rejects what the service rejects: a bad key (1007), an unknown model (1008), mediaChunks (1007), HTTP 429', async () => {
    const emu = await startEmulator({ apiKeys: ['GOOD'], rejectUpgrades: 1 });
    await expect(rawSdkSession(emu, {}, 'GOOD')).rejects.toThrow(/429/);
    await expect(rawSdkSession(emu, {}, 'WRONG')).rejects.toThrow(/1007.*API key not valid/);
    const ai = new GoogleGenAI({ apiKey: 'GOOD', httpOptions: { baseUrl: emu.baseUrl, apiVersion: 'v1beta' } });
    await expect(ai.live.connect({ model: 'gemini-9-imaginary', config: { responseModalities: [Modality.AUDIO] }, callbacks: { onmessage: () => undefined } })).rejects.toThrow(/1008.*not found/);
    const live = await rawSdkSession(emu, {}, 'GOOD');
    live.session.sendRealtimeInput({ media: { data: 'AAAA', mimeType: 'audio/pcm;rate=16000' } });
    while (!live.closes.length) await sleep(5);
    expect(live.closes[0]).toMatchObject({ code: 1007, reason: expect.stringMatching(/media_chunks is deprecated/) });
  });

  it('mints ephemeral tokens and admits them on the Constrained path, one new session per use', async () => {
    const emu = await startEmulator({ apiKeys: ['SERVER_KEY'] });
    const ai = new GoogleGenAI({ apiKey: 'SERVER_KEY', httpOptions: { baseUrl: emu.baseUrl, apiVersion: 'v1alpha' } });
    const token = await ai.authTokens.create({ config: { uses: 1, liveConnectConstraints: { model: 'gemini-3.8-live', config: { responseModalities: [Modality.AUDIO] } } } });
    expect(token.name).toMatch(/^auth_tokens\//);
    const first = await rawSdkSession(emu, {}, token.name!, 'v1alpha');
    await first.waitFor((m) => m.setupComplete !== undefined);
    await expect(rawSdkSession(emu, {}, token.name!, 'v1alpha')).rejects.toThrow(/1007/);
    await expect(rawSdkSession(emu, {}, 'auth_tokens/forged', 'v1alpha')).rejects.toThrow(/1007/);
  });

  it('restores the conversation from a resumption handle, and refuses an unknown one', async () => {
    const emu = await startEmulator({ persona: 'tone' });
    const first = await rawSdkSession(emu, { sessionResumption: {} });
    first.session.sendRealtimeInput({ text: 'one' });
    const handle = (await first.waitFor((m) => m.sessionResumptionUpdate?.resumable === true)).sessionResumptionUpdate!.newHandle!;
    first.session.close();
    await sleep(50);
    const second = await rawSdkSession(emu, { sessionResumption: { handle } });
    await second.waitFor((m) => m.setupComplete !== undefined);
    expect(emu.conversations).toHaveLength(1);
    expect(emu.conversations[0].turns).toBe(1);
    await expect(rawSdkSession(emu, { sessionResumption: { handle: 'emu-nope' } })).rejects.toThrow(/resumption handle/);
  });
});

describe('the emulator as harsh as the service (the default profile)', () => {
  const said = (messages: LiveServerMessage[]) => messages.map((m) => m.serverContent?.inputTranscription).filter((t) => t !== undefined);

  it("sends the user's transcript in pieces without `finished`, after the reply has begun; --gentle sends it whole and first", async () => {
    const scenario = validateScenario({ turns: [{ userTranscript: 'turn on the kitchen light please', say: 'ok' }] });
    const harsh = await startEmulator({ persona: 'scenario', scenario, behaviour: { emptyTranscriptRate: 0, seed: 3 } });
    const live = await rawSdkSession(harsh, { inputAudioTranscription: {} });
    await talk(live.sendPcm, await spokenTurn());
    await live.waitFor((m) => m.serverContent?.turnComplete === true);
    const pieces = said(live.messages);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((t) => t!.finished === undefined)).toBe(true);
    expect(pieces.map((t) => t!.text).join('')).toBe('turn on the kitchen light please');
    const firstAudio = live.messages.findIndex((m) => audioOf(m).length > 0);
    expect(live.messages.findIndex((m) => m.serverContent?.inputTranscription)).toBeGreaterThan(firstAudio);

    const soft = await startEmulator({ persona: 'scenario', scenario, behaviour: gentle() });
    const textbook = await rawSdkSession(soft, { inputAudioTranscription: {} });
    await talk(textbook.sendPcm, await spokenTurn());
    await textbook.waitFor((m) => m.serverContent?.turnComplete === true);
    expect(said(textbook.messages)).toEqual([{ text: 'turn on the kitchen light please', finished: true }]);
  });

  it('closes 1008 on input while a BLOCKING call is pending (gemini-2.5)', async () => {
    const scenario = validateScenario({ turns: [{ toolCall: { name: 'read_sensor' } }] });
    const emu = await startEmulator({ persona: 'scenario', scenario });
    const ai = new GoogleGenAI({ apiKey: 'K', httpOptions: { baseUrl: emu.baseUrl, apiVersion: 'v1beta' } });
    const closes: { code: number; reason: string }[] = [];
    const messages: LiveServerMessage[] = [];
    const session = await ai.live.connect({
      model: 'gemini-2.5-flash-native-audio-preview-12-2025',
      config: { responseModalities: [Modality.AUDIO] },
      callbacks: { onmessage: (m) => messages.push(m), onclose: (e: { code: number; reason: string }) => closes.push(e) },
    });
    session.sendRealtimeInput({ text: 'read it' });
    while (!messages.some((m) => m.toolCall)) await sleep(5);
    await sleep(300);
    session.sendRealtimeInput({ audio: { data: Buffer.alloc(640).toString('base64'), mimeType: 'audio/pcm;rate=16000' } });
    while (!closes.length) await sleep(5);
    expect(closes[0]).toMatchObject({ code: 1008, reason: 'Operation is not implemented, or supported, or enabled.' });
  });

  it('ends a connection at its lifetime with 1011 "Deadline expired", and may refuse to resume after it (1007)', async () => {
    const emu = await startEmulator({ connectionLifetimeMs: 400, behaviour: { refuseResumeAfterLifetimeRate: 1 } });
    const live = await rawSdkSession(emu, { sessionResumption: {} });
    const handle = (await live.waitFor((m) => m.sessionResumptionUpdate?.resumable === true)).sessionResumptionUpdate!.newHandle!;
    expect((await live.waitFor((m) => m.goAway !== undefined)).goAway!.timeLeft).toMatch(/^0\.\d+s$/); // the lead is 50 s, the lifetime shorter
    while (!live.closes.length) await sleep(5);
    expect(live.closes[0]).toEqual({ code: 1011, reason: 'Deadline expired before operation could complete.' });
    await expect(rawSdkSession(emu, { sessionResumption: { handle } })).rejects.toThrow(/1007/);
  });

  it('gemini-3.8: a turn not addressed to it ends in silence with interactionStatus; gemini-2.5 answers anyway', async () => {
    const scenario = validateScenario({ turns: [{ addressed: false, say: 'hm' }] });
    const emu = await startEmulator({ persona: 'scenario', scenario });
    const proactive = await rawSdkSession(emu);
    proactive.session.sendRealtimeInput({ text: 'talking to someone else' });
    const done = await proactive.waitFor((m) => m.serverContent?.turnComplete === true);
    expect(done.serverContent!.interactionStatus).toBe('IDLE');
    expect(proactive.messages.some((m) => audioOf(m).length > 0)).toBe(false);

    const ai = new GoogleGenAI({ apiKey: 'K', httpOptions: { baseUrl: emu.baseUrl, apiVersion: 'v1beta' } });
    const messages: LiveServerMessage[] = [];
    const older = await ai.live.connect({ model: 'gemini-2.5-flash-native-audio-preview-12-2025', config: { responseModalities: [Modality.AUDIO] }, callbacks: { onmessage: (m) => messages.push(m) } });
    older.sendRealtimeInput({ text: 'talking to someone else' });
    while (!messages.some((m) => m.serverContent?.turnComplete)) await sleep(5);
    expect(messages.some((m) => audioOf(m).length > 0)).toBe(true);
    expect(messages.find((m) => m.serverContent?.turnComplete)!.serverContent!.interactionStatus).toBeUndefined();
    older.close();
  });

  it('bills input audio by duration, silence included, and the context again each turn', async () => {
    const emu = await startEmulator({ persona: 'tone' });
    const live = await rawSdkSession(emu);
    for (let i = 0; i < 100; i++) live.sendPcm(new Int16Array(320)); // 2 s of silence: 64 tokens
    await sleep(100);
    live.session.sendRealtimeInput({ text: 'hi there' });
    const first = (await live.waitFor((m) => m.serverContent?.turnComplete === true)).usageMetadata!;
    expect(first.promptTokenCount).toBe(64 + 2); // "hi there": 8 characters ≈ 2 tokens
    expect(first.responseTokenCount).toBe(32); // a one-second tone
    expect(first.promptTokensDetails).toEqual([{ modality: 'AUDIO', tokenCount: 64 }, { modality: 'TEXT', tokenCount: 2 }]);
    live.session.sendRealtimeInput({ text: 'again' });
    await until(() => live.messages.filter((m) => m.serverContent?.turnComplete).length === 2, 5000, 'the second turn');
    const second = live.messages.filter((m) => m.serverContent?.turnComplete)[1].usageMetadata!;
    expect(second.promptTokenCount).toBe(first.totalTokenCount! + 2); // "again" ≈ 2 tokens, on top of all that came before
  });
});
