/** The small parts of the hostile-network defences, each on its own with a fake clock. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWav } from '../src/audio/wav.js';
import { WavWriter } from '../src/audio/wavWriter.js';
import { describeEntry } from '../src/device/provision.js';
import { UpgradeLimiter } from '../src/device/upgradeLimiter.js';
import { createLogger, escapeText } from '../src/log.js';
import { ConfigFlag, ConfigKey } from '../src/protocol/messages.js';
import { TokenBucket } from '../src/tokenBucket.js';
import { FakeClock } from './helpers/fakeClock.js';

describe('UpgradeLimiter', () => {
  it('blocks an address after maxFailures in a window, for blockMs, logging the first three and the block', () => {
    const clock = new FakeClock(0);
    const limiter = new UpgradeLimiter({ clock, maxFailures: 5, windowMs: 10_000, blockMs: 30_000 });
    const logs = Array.from({ length: 5 }, () => limiter.fail('10.0.0.9').log);
    expect(logs).toEqual(['attempt', 'attempt', 'attempt', 'quiet', 'blocked']);
    expect(limiter.isBlocked('10.0.0.9')).toBe(true);
    expect(limiter.isBlocked('10.0.0.8')).toBe(false);
    clock.advance(29_999);
    expect(limiter.isBlocked('10.0.0.9')).toBe(true);
    clock.advance(1);
    expect(limiter.isBlocked('10.0.0.9')).toBe(false);
    expect(limiter.fail('10.0.0.9').log).toBe('attempt'); // a new window
  });

  it('forgets failures spread wider than the window, and keeps its table bounded', () => {
    const clock = new FakeClock(0);
    const limiter = new UpgradeLimiter({ clock, maxFailures: 3, windowMs: 1000, maxAddresses: 100 });
    for (let i = 0; i < 10; i++) {
      limiter.fail('10.0.0.1');
      clock.advance(600);
    }
    expect(limiter.isBlocked('10.0.0.1')).toBe(false);
    for (let i = 0; i < 1000; i++) limiter.fail(`10.1.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(100);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then the rate; take() refuses without spending, charge() goes into debt', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(clock, 1000, 500);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(1)).toBe(false);
    clock.advance(100);
    expect(bucket.take(100)).toBe(true);
    expect(bucket.take(1)).toBe(false);
    clock.advance(10_000);
    expect(bucket.take(501)).toBe(false); // never more than the burst
    expect(bucket.charge(700)).toBe(200); // 200 tokens in debt: 200 ms at 1000/s
    clock.advance(200);
    expect(bucket.charge(0)).toBe(0);
  });
});

describe('escaping what a board or a peer says', () => {
  it('writes control characters, separators and bidi overrides as escapes, and doubles backslashes', () => {
    expect(escapeText('a\nb\r\x1b[2J\x7f\x9b\u2028\u202e\\x0a ünï 🎤')).toBe('a\\x0ab\\x0d\\x1b[2J\\x7f\\x9b\\u2028\\u202e\\\\x0a ünï 🎤');
  });

  it('escapes the message and every string field, in text and in JSON', () => {
    const lines: string[] = [];
    createLogger({ json: false, write: (l) => lines.push(l) }).log('warn', 'x\ny', { device: 'a\rb' });
    createLogger({ json: true, write: (l) => lines.push(l) }).log('info', 'x\u009by', { device: 'a\u2028b' });
    expect(lines[0]).toBe('WARN: [a\\x0db] x\\x0ay');
    expect(JSON.parse(lines[1])).toMatchObject({ message: 'x\\x9by', device: 'a\\u2028b' });
    expect(lines[1]).not.toMatch(/[\u0080-\u009f\u2028]/);
  });
});

describe('provisioning output', () => {
  it('never prints a secret, even when the board forgets the SECRET flag', () => {
    expect(describeEntry({ key: ConfigKey.WIFI_PASSWORD, flags: ConfigFlag.SET, value: 'hunter2-hunter2' })).toBe('wifiPassword: (set)');
    expect(describeEntry({ key: ConfigKey.DEVICE_TOKEN, flags: ConfigFlag.SET, value: 'a-long-device-token' })).toBe('deviceToken: (set)');
    expect(describeEntry({ key: ConfigKey.WIFI_SSID, flags: ConfigFlag.SET, value: 'home\n' })).toBe('wifiSsid: "home\\\\n"');
  });
});

describe('WavWriter', () => {
  it('leaves a valid file after every chunk (as a crash would find it), and never overwrites', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esp-live-wav-'));
    const path = join(dir, 'take.wav');
    const errors: Error[] = [];
    const writer = new WavWriter(path, 16000, (e) => errors.push(e));
    const chunk = Int16Array.from({ length: 320 }, (_, i) => i * 50 - 8000);
    writer.write(chunk);
    writer.write(chunk);
    chunk.fill(0); // the caller reuses its array: what was written must not change
    await writer.flushed(); // no close(): the process "dies" here
    const file = parseWav(readFileSync(path));
    expect(file.sampleRateHz).toBe(16000);
    expect(file.data.length).toBe(2 * 640);
    expect(new Int16Array(file.data.buffer, file.data.byteOffset, 640)[1]).toBe(-7950);
    expect(readFileSync(path).readUInt32LE(4)).toBe(36 + 1280); // the RIFF size too
    await writer.close();

    writeFileSync(join(dir, 'old.wav'), 'precious');
    const again = new WavWriter(join(dir, 'old.wav'), 16000, (e) => errors.push(e));
    again.write(chunk);
    await again.close();
    expect(readFileSync(join(dir, 'old.wav'), 'utf8')).toBe('precious');
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['EEXIST']);
  });
});

describe('mDNS advertisement', () => {
  it('survives an error from the multicast socket (bonjour-service leaves it unlistened) and logs it', async () => {
    const { DeviceServer } = await import('../src/device/wsServer.js');
    const logs: string[] = [];
    const server = new DeviceServer({ host: '127.0.0.1', port: 0, tokens: {}, mdns: true, log: (l) => logs.push(l), onLink: () => undefined });
    await server.start();
    const mdns = (server as unknown as { bonjour: { server: { mdns: NodeJS.EventEmitter } } }).bonjour.server.mdns;
    mdns.emit('error', Object.assign(new Error('send EPERM 224.0.0.251:5353'), { code: 'EPERM' }));
    expect(logs).toEqual([expect.stringMatching(/^mDNS: send EPERM/)]);
    await server.close();
  });
});
