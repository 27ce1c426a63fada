/**
 * The host's side of the handshake (PROTOCOL.md §3.1, §4.1, §4.2, §5) on a fake clock and an
 * in-memory link: what it asks, what it refuses and how it says so, and what it chooses.
 */
import { describe, expect, it } from 'vitest';
import { DeviceConnection, type DeviceInfo } from '../src/device/deviceConnection.js';
import { Codec, ErrorCode, GoodbyeReason, SampleFormat, type Hello, type Message } from '../src/protocol/messages.js';
import { FakeClock } from './helpers/fakeClock.js';
import { FakeLink } from './helpers/fakeLink.js';

const S16 = { sampleRateHz: 16000, sampleFormat: SampleFormat.S16LE, channels: 1, codecs: 0b1111 };
function hello(overrides: Partial<Hello> = {}): Hello {
  return { type: 'hello', protocolVersion: 1, features: 7, playbackBufferSamples: 3200, maxMessageBytes: 2048, mic: S16, speaker: S16, toolCount: 0, deviceId: 'board', name: 'desk', firmwareVersion: '1', protocolRevision: 1, ...overrides };
}

function setup(kind: 'serial' | 'websocket' = 'serial', bytesPerSecond?: number) {
  const clock = new FakeClock(0);
  const link = new FakeLink(kind, bytesPerSecond);
  const connection = new DeviceConnection(link, { clock });
  const notices: string[] = [];
  connection.on('notice', (t) => notices.push(t));
  let result: DeviceInfo | Error | undefined;
  connection.handshake().then((info) => (result = info), (error: Error) => (result = error));
  return { clock, link, connection, notices, result: () => result };
}

const settle = () => new Promise((r) => setImmediate(r));

/** Handshake with one HELLO; the ERROR the host answered (if any) and the outcome. */
async function answer(h: Hello, kind: 'serial' | 'websocket' = 'serial', bytesPerSecond?: number) {
  const s = setup(kind, bytesPerSecond);
  s.link.deliver(h);
  await settle();
  return { ...s, error: s.link.of('error')[0], welcome: s.link.of('welcome')[0], outcome: s.result() };
}

describe('asking for a HELLO (§5)', () => {
  it('asks 0.3 s after opening, then again 0.5, 1, 2 and 4 s later, then every 5 s, each time after a 0x00 (serial)', () => {
    const { clock, link } = setup('serial');
    const asked: number[] = [];
    link.on('message', () => undefined);
    const origSend = link.send.bind(link);
    link.send = (m) => {
      if (m.type === 'helloRequest') asked.push(clock.now());
      return origSend(m);
    };
    clock.advance(20_000);
    expect(asked).toEqual([300, 800, 1800, 3800, 7800, 12800, 17800]);
    expect(link.wire.slice(0, 4)).toEqual(['0x00', 'helloRequest', '0x00', 'helloRequest']);
  });

  it('serial: never gives up (a board may boot late, or line noise may eat HELLOs); tells the user after 5 s', async () => {
    const { clock, link, notices, result } = setup('serial');
    clock.advance(4999);
    expect(notices).toEqual([]);
    clock.advance(1);
    expect(notices[0]).toMatch(/no board has introduced itself yet; still asking/);
    clock.advance(120_000);
    await settle();
    expect(result()).toBeUndefined();
    link.deliver(hello());
    await settle();
    expect(result()).toMatchObject({ frameMs: 20 });
  });

  it('WebSocket: a client that says nothing for 10 s is given up', async () => {
    const { clock, result } = setup('websocket');
    clock.advance(9999);
    await settle();
    expect(result()).toBeUndefined();
    clock.advance(1);
    await settle();
    expect(result()).toMatchObject({ code: 'DEVICE_NO_HELLO' });
  });

  it('stops asking once a HELLO came', () => {
    const { clock, link } = setup('serial');
    link.deliver(hello());
    clock.advance(30_000);
    expect(link.of('helloRequest')).toHaveLength(0);
  });
});

describe('HELLO checks (§4.1): UNSUPPORTED_FORMAT naming the field, GOODBYE, link closed, no WELCOME', () => {
  const cases: [string, Partial<Hello>, RegExp][] = [
    ['maxMessageBytes below the minimum', { maxMessageBytes: 100 }, /^maxMessageBytes 100 is below the minimum 256$/],
    ['a mic rate of 0', { mic: { ...S16, sampleRateHz: 0 } }, /^mic\.sampleRateHz 0 is outside 8000…48000$/],
    ['a speaker rate of 4294967295', { speaker: { ...S16, sampleRateHz: 4294967295 } }, /^speaker\.sampleRateHz 4294967295 is outside/],
    ['a 96 kHz speaker', { speaker: { ...S16, sampleRateHz: 96000 } }, /^speaker\.sampleRateHz 96000 is outside 8000…48000$/],
    ['speaker codec mask 0', { speaker: { ...S16, codecs: 0 } }, /^speaker\.codecs 0x0 offers no codec/],
    ['only IMA ADPCM for a stereo speaker', { speaker: { ...S16, channels: 2, codecs: 1 << Codec.IMA_ADPCM } }, /^speaker\.codecs 0x8 offers no codec this host can use for 2 channel/],
    ['3 channels', { mic: { ...S16, channels: 3 } }, /^mic\.channels 3 is not 1 or 2$/],
    ['an unknown sample format', { mic: { ...S16, sampleFormat: 9 } }, /^mic\.sampleFormat 9 is not 1/],
    ['a buffer smaller than a frame (200)', { playbackBufferSamples: 200 }, /^playbackBufferSamples 200 is less than 2 frames and 40 ms \(640 samples at 16000 Hz, 20 ms frames\)$/],
    ['a buffer of exactly one frame (320)', { playbackBufferSamples: 320 }, /^playbackBufferSamples 320 /],
    ['an empty deviceId', { deviceId: '' }, /^deviceId is 0 bytes/],
    ['a name longer than 32 bytes', { name: 'x'.repeat(33) }, /^name is 33 bytes, more than 32$/],
  ];
  for (const [what, overrides, message] of cases) {
    it(`refuses ${what}`, async () => {
      const { error, welcome, link, outcome } = await answer(hello(overrides), 'websocket');
      expect(error).toMatchObject({ code: ErrorCode.UNSUPPORTED_FORMAT, message: expect.stringMatching(message) });
      expect(link.of('goodbye')).toEqual([{ type: 'goodbye', reason: GoodbyeReason.ERROR }]);
      expect(welcome).toBeUndefined();
      expect(link.closed).toBe(true);
      expect(outcome).toMatchObject({ code: 'DEVICE_UNSUPPORTED' });
    });
  }

  it('on USB keeps the port but stops talking to it; a board that restarts with a good HELLO is welcomed', async () => {
    const s = await answer(hello({ playbackBufferSamples: 200 }), 'serial');
    expect(s.error).toMatchObject({ code: ErrorCode.UNSUPPORTED_FORMAT });
    expect(s.link.closed).toBe(false);
    expect(s.notices[0]).toMatch(/cannot be served: playbackBufferSamples 200/);
    s.clock.advance(60_000);
    expect(s.link.of('helloRequest')).toHaveLength(0); // no asking a board the host refused
    expect(s.notices).toHaveLength(1);
    s.link.deliver(hello());
    await settle();
    expect(s.result()).toMatchObject({ frameMs: 20 });
  });

  it('accepts a buffer of exactly 2 frames, and treats maxMessageBytes above 2048 as 2048', async () => {
    const { welcome, link } = await answer(hello({ playbackBufferSamples: 640, maxMessageBytes: 65535 }));
    expect(welcome).toBeDefined();
    expect(link.maxMessageBytes).toBe(2048);
  });
});

describe('codecs and frame size (§3.1)', () => {
  it('PCM whenever the link does not limit the rate', async () => {
    const { welcome } = await answer(hello(), 'websocket');
    expect(welcome).toMatchObject({ micCodec: Codec.PCM, speakerCodec: Codec.PCM, frameMs: 20 });
  });

  it('maxMessageBytes 256 with a PCM-only board: 5 ms frames (169-byte messages)', async () => {
    const pcm = { ...S16, codecs: 1 };
    const { welcome, link } = await answer(hello({ maxMessageBytes: 256, mic: pcm, speaker: pcm }), 'websocket');
    expect(welcome).toMatchObject({ micCodec: Codec.PCM, speakerCodec: Codec.PCM, frameMs: 5 });
    expect(link.maxMessageBytes).toBe(256);
  });

  it('maxMessageBytes 256 with PCM and µ-law: PCM still, in smaller frames (best sound first)', async () => {
    const { welcome } = await answer(hello({ maxMessageBytes: 256, mic: { ...S16, codecs: 3 }, speaker: { ...S16, codecs: 3 } }), 'websocket');
    expect(welcome).toMatchObject({ speakerCodec: Codec.PCM, frameMs: 5 });
  });

  it('an ERROR when nothing fits: 48 kHz stereo PCM in 256 bytes', async () => {
    const big = { sampleRateHz: 48000, sampleFormat: SampleFormat.S16LE, channels: 2, codecs: 1 };
    const { error } = await answer(hello({ maxMessageBytes: 256, speaker: big }), 'websocket');
    expect(error).toMatchObject({ code: ErrorCode.UNSUPPORTED_FORMAT, message: 'speaker: no codec the device offers fits maxMessageBytes 256 (PCM needs 969 bytes at 5 ms)' });
  });

  it('at 115200 baud: IMA ADPCM (the only codec whose 16 kHz wire rate fits 80 % of 11,520 B/s)', async () => {
    const { welcome } = await answer(hello(), 'serial', 11520);
    expect(welcome).toMatchObject({ micCodec: Codec.IMA_ADPCM, speakerCodec: Codec.IMA_ADPCM, frameMs: 20 });
  });

  it('a link with room for µ-law but not PCM: µ-law (in order PCM, ULAW, ALAW, IMA_ADPCM)', async () => {
    const { welcome } = await answer(hello(), 'serial', 25_000); // µ-law 16,800 B/s ≤ 20,000; PCM 32,800 is not
    expect(welcome).toMatchObject({ micCodec: Codec.ULAW, speakerCodec: Codec.ULAW });
  });
});

describe('versions (§0.1)', () => {
  it('a 1.1 board gets revision 1 in WELCOME, a 1.0 board revision 0', async () => {
    expect((await answer(hello())).welcome.protocolRevision).toBe(1);
    const { protocolRevision: _, ...v10 } = hello();
    const old = await answer(v10);
    expect(old.welcome.protocolRevision).toBe(0);
    expect((old.outcome as DeviceInfo).protocolRevision).toBe(0);
  });

  it('another major version: VERSION_MISMATCH and GOODBYE, and the user is told which side to update', async () => {
    const { error, link, outcome } = await answer(hello({ protocolVersion: 2 }), 'websocket');
    expect(error).toMatchObject({ code: ErrorCode.VERSION_MISMATCH });
    expect(link.of('goodbye')[0].reason).toBe(GoodbyeReason.VERSION_MISMATCH);
    expect((outcome as Error).message).toMatch(/Update esp-live on the host/);
  });
});

describe('TOOL checks (§4.2)', () => {
  it('refuses bad declarations with TOOL_INVALID naming the tool, keeps the good ones, and welcomes at once', async () => {
    const s = setup();
    s.link.deliver(hello({ toolCount: 4 }));
    const tool = (index: number, name: string, parametersSchema = '') => s.link.deliver({ type: 'tool', index, name, description: 'd', parametersSchema });
    tool(0, 'set-led');
    tool(1, 'ok_tool', '{"type":"object"}');
    tool(2, 'bad_schema', '{not json');
    tool(7, 'out_of_range');
    tool(3, 'ok_tool');
    await settle();
    expect(s.link.of('error').map((e) => [e.code, e.message])).toEqual([
      [ErrorCode.TOOL_INVALID, 'tool 0 "set-led": the name must match [a-zA-Z_][a-zA-Z0-9_]*'],
      [ErrorCode.TOOL_INVALID, 'tool 2 "bad_schema": parametersSchema is not JSON'],
      [ErrorCode.TOOL_INVALID, 'tool 7 "out_of_range": the index is not below toolCount 4'],
      [ErrorCode.TOOL_INVALID, 'tool 3 "ok_tool": the name repeats an earlier tool'],
    ]);
    expect((s.result() as DeviceInfo).tools.map((t) => t.name)).toEqual(['ok_tool']);
    expect(s.link.of('welcome')).toHaveLength(1);
  });

  it('a schema that is JSON but not an object is refused too', async () => {
    const s = setup();
    s.link.deliver(hello({ toolCount: 1 }));
    s.link.deliver({ type: 'tool', index: 0, name: 'x', description: '', parametersSchema: '[1]' });
    await settle();
    expect(s.link.of('error')[0].message).toBe('tool 0 "x": parametersSchema is not a JSON object');
  });

  it('goes on without the tools that have not come 1 s after HELLO', async () => {
    const s = setup();
    s.link.deliver(hello({ toolCount: 2 }));
    s.link.deliver({ type: 'tool', index: 0, name: 'a', description: '', parametersSchema: '' });
    s.clock.advance(999);
    expect(s.link.of('welcome')).toHaveLength(0);
    s.clock.advance(1);
    await settle();
    expect((s.result() as DeviceInfo).tools.map((t) => t.name)).toEqual(['a']);
  });
});

describe('a HELLO during a session (§5)', () => {
  it('is answered with WELCOME at once (no HELLO_REQUEST round trip) and reported as a restart', async () => {
    const s = setup();
    s.link.deliver(hello());
    await settle();
    const restarted: DeviceInfo[] = [];
    s.connection.on('restarted', (info) => restarted.push(info));
    s.link.deliver(hello({ firmwareVersion: '2' }));
    expect(s.link.sent.slice(-1)[0]).toMatchObject({ type: 'welcome' });
    expect(s.link.of('helloRequest')).toHaveLength(0);
    expect(restarted).toHaveLength(1);
    expect(restarted[0].hello.firmwareVersion).toBe('2');
    expect(restarted[0].sessionId).not.toBe((s.result() as DeviceInfo).sessionId);
  });

  it('the same HELLO again right after WELCOME (it answers a HELLO_REQUEST that crossed the first one) is welcomed too', async () => {
    const s = setup();
    s.link.deliver(hello());
    await settle();
    const restarted: DeviceInfo[] = [];
    s.connection.on('restarted', (info) => restarted.push(info));
    s.clock.advance(10);
    s.link.deliver(hello()); // the device went back to AWAIT_WELCOME: ignoring it would leave it there
    expect(s.link.of('welcome')).toHaveLength(2);
    expect(restarted).toHaveLength(1);
  });

  it('is checked like the first one', async () => {
    const s = setup();
    s.link.deliver(hello());
    await settle();
    s.clock.advance(3000);
    s.link.deliver(hello({ speaker: { ...S16, sampleRateHz: 96000 } }));
    expect(s.link.of('error')[0]).toMatchObject({ code: ErrorCode.UNSUPPORTED_FORMAT });
    expect(s.link.closed).toBe(true);
  });
});
