/** The Live session's small parts, one by one: no network, no clock. */
import { describe, expect, it } from 'vitest';
import { classifyFailure, CloseCap } from '../src/live/failures.js';
import { HeldInput, MicHistory } from '../src/live/micBuffer.js';
import { ConversationHistory, UserTurnText } from '../src/live/transcripts.js';
import { emulatorCommand } from '../src/commands/emulator.js';

function userText() {
  const lines: string[] = [];
  const text = new UserTurnText({ turn: (t) => lines.push(t), late: (more) => lines.push(`+${more}`) });
  return { text, lines };
}

describe('UserTurnText: one line per user turn from chunks without `finished`', () => {
  it('gives the turn out at the reply, once, and appends what comes later', () => {
    const { text, lines } = userText();
    text.chunk('turn on ', false);
    text.chunk('the ', false);
    expect(lines).toEqual([]);
    text.replyStarted(); // first model audio
    text.chunk('light', false);
    text.replyStarted(); // generationComplete: already given
    text.turnComplete();
    expect(lines).toEqual(['turn on the', '+light']);
  });

  it('waits past an empty first boundary, and after turnComplete gives a late transcript at once', () => {
    const { text, lines } = userText();
    text.replyStarted(); // the reply began before any of the user's words came
    expect(lines).toEqual([]);
    text.chunk('what time', false);
    text.turnComplete();
    expect(lines).toEqual(['what time']);
    text.chunk(' is it', false); // still this turn: the user has not spoken since
    expect(lines).toEqual(['what time', '+ is it']);
    text.userSpoke();
    text.chunk('thanks', false); // the next turn
    text.turnComplete();
    expect(lines).toEqual(['what time', '+ is it', 'thanks']);
  });

  it('takes `finished` when a model sends it (gemini-3.1): the turn is given at once, the next chunk starts a new one', () => {
    const { text, lines } = userText();
    text.chunk('hello there', true);
    expect(lines).toEqual(['hello there']);
    text.chunk('again', true);
    expect(lines).toEqual(['hello there', 'again']);
  });

  it('gives nothing for a turn without words', () => {
    const { text, lines } = userText();
    text.replyStarted();
    text.turnComplete();
    expect(lines).toEqual([]);
  });
});

describe('ConversationHistory', () => {
  it('keeps the newest turns within its bounds, as clientContent turns, late words included', () => {
    const h = new ConversationHistory(3, 40);
    const first = h.add('user', 'one');
    h.add('model', 'reply one');
    h.extend(first, ' more');
    expect(h.toContents()).toEqual([
      { role: 'user', parts: [{ text: 'one more' }] },
      { role: 'model', parts: [{ text: 'reply one' }] },
    ]);
    h.add('user', 'two');
    h.add('model', 'reply two');
    expect(h.length).toBe(3);
    h.add('user', 'x'.repeat(39));
    expect(h.toContents().map((t) => t.parts[0].text)).toEqual(['x'.repeat(39)]); // the character bound
  });
});

describe('classifyFailure: the phase decides', () => {
  const m = 'gemini-3.8-live';
  it('1007/1008 answering the setup are configuration errors; a refused resume is not', () => {
    expect(classifyFailure(1007, 'Request contains an invalid argument.', m, 'setup').kind).toBe('fatal');
    expect(classifyFailure(1008, 'models/x is not found for API version v1beta', m, 'setup').error.code).toBe('LIVE_MODEL');
    expect(classifyFailure(1007, 'Request contains an invalid argument.', m, 'setup', true).kind).toBe('handle');
    expect(classifyFailure(1007, 'API key not valid. Please pass a valid API key.', m, 'setup', true).kind).toBe('fatal');
  });

  it('the same codes mid-session mean a lost connection', () => {
    expect(classifyFailure(1008, 'Operation is not implemented, or supported, or enabled.', m, 'session').kind).toBe('rejected');
    expect(classifyFailure(1008, 'Requested entity was not found.', m, 'session').kind).toBe('rejected');
    expect(classifyFailure(1011, 'Deadline expired before operation could complete.', m, 'session').kind).toBe('transient');
  });

  it('CloseCap: the limit-th close within the window ends it, older ones fall out', () => {
    const cap = new CloseCap(3, 1000);
    expect([cap.record(0), cap.record(100), cap.record(1200), cap.record(1300)]).toEqual([false, false, false, false]);
    expect(cap.record(1400)).toBe(true);
  });
});

describe('mic buffers', () => {
  it('HeldInput keeps audio and controls in order, drops the oldest audio beyond its bound and counts it', () => {
    const held = new HeldInput(1000);
    const sent: string[] = [];
    held.push({ audio: new Int16Array(600) });
    held.push({ send: () => sent.push('tool response') });
    held.push({ audio: new Int16Array(600) });
    expect(held.takeDropped()).toBe(600);
    expect(held.takeDropped()).toBe(0);
    expect(held.shift()!.send).toBeDefined();
    expect(held.shift()!.audio!.length).toBe(600);
    expect(held.length).toBe(0);
  });

  it('HeldInput.replaceAudio puts a replay first and keeps the controls', () => {
    const held = new HeldInput(1000);
    held.push({ audio: new Int16Array(100) });
    held.push({ send: () => undefined });
    held.replaceAudio(new Int16Array(1500).fill(7));
    expect(held.takeDropped()).toBe(500); // the replay's oldest part beyond the bound
    expect(held.heldSamples).toBe(1000);
    expect(held.shift()!.audio!.length).toBe(1000);
    expect(held.shift()!.send).toBeDefined();
  });

  it('MicHistory returns the audio since a sample index, within its bound', () => {
    const h = new MicHistory(1000);
    for (let i = 0; i < 5; i++) h.push(Int16Array.from({ length: 400 }, (_, k) => i * 400 + k));
    expect(h.end).toBe(2000);
    expect(Array.from(h.since(1500).subarray(0, 3))).toEqual([1500, 1501, 1502]);
    expect(h.since(0)[0]).toBe(800); // older audio is gone
  });
});

describe('esp-live emulator options', () => {
  it('--help names every service behaviour and how to switch each off', async () => {
    const lines: string[] = [];
    await emulatorCommand(['--help'], (l) => lines.push(l));
    const help = lines.join('\n');
    for (const word of ['--gentle', '--finished-transcripts', '--empty-transcript-rate', '--allow-input-during-tools', '--always-resumable', '--refuse-resume-rate', '--refuse-any-resume-rate', '--not-found-after-tool-rate', '--random-close-every', '--lifetime', '--freeze-after', 'interactionStatus', '50s', 'a guess']) {
      expect(help).toContain(word);
    }
  });

  it('refuses a bad lifetime or rate by name', async () => {
    await expect(emulatorCommand(['--lifetime', '10h'], () => undefined)).rejects.toThrow(/--lifetime/);
    await expect(emulatorCommand(['--refuse-resume-rate', '2'], () => undefined)).rejects.toThrow(/--refuse-resume-rate must be a share/);
  });
});
