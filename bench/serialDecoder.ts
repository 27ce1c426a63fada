/**
 * Serial decoder throughput: our SerialFrameDecoder against the npm `cobs` package behind
 * @serialport/parser-delimiter, both doing the whole job (split, unstuff, CRC, decode).
 */
import { createRequire } from 'node:module';
import { DelimiterParser } from '@serialport/parser-delimiter';
import { decodeMessage } from '../src/protocol/codec.js';
import { crc16 } from '../src/protocol/crc16.js';
import { encodeFrame, SerialFrameDecoder } from '../src/protocol/serialFraming.js';
import { medianTimeMs, printTable } from './table.js';

const RUNS = 21;

const cobs = createRequire(import.meta.url)('cobs') as { decode(b: Buffer): Buffer };

/** 60 s of 16 kHz s16le mic audio in 20 ms frames with a CREDIT every frame and a PING every second. */
function realisticStream(): { bytes: Buffer; messages: number } {
  const frames: Buffer[] = [];
  let phase = 0;
  for (let i = 0; i < 3000; i++) {
    const pcm = Buffer.alloc(640);
    for (let s = 0; s < 320; s++) pcm.writeInt16LE(Math.round(8000 * Math.sin((phase += 0.0785)) + (Math.random() - 0.5) * 200), s * 2);
    frames.push(encodeFrame({ type: 'audioIn', seq: i, captureTimeUs: i * 20000, payload: pcm }));
    frames.push(encodeFrame({ type: 'credit', generation: 1, releasedSamples: i * 320, playedSamples: i * 320, bufferedSamples: 960, underruns: 0, overflows: 0, staleFrames: 0 }));
    if (i % 50 === 0) frames.push(encodeFrame({ type: 'ping', nonce: i, timeUs: i * 20000 }));
  }
  return { bytes: Buffer.concat(frames), messages: frames.length };
}

function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function ours(input: Buffer[], expected: number): void {
  let n = 0;
  const decoder = new SerialFrameDecoder(() => n++);
  for (const c of input) decoder.push(c);
  if (n !== expected) throw new Error(`ours decoded ${n} of ${expected}`);
}

function peer(input: Buffer[], expected: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const parser = new DelimiterParser({ delimiter: Buffer.from([0]) });
    parser.on('data', (frame: Buffer) => {
      const decoded = cobs.decode(frame);
      if (decoded.length < 3) return;
      const body = decoded.subarray(0, decoded.length - 2);
      if (crc16(body) !== decoded.readUInt16LE(decoded.length - 2)) return;
      const result = decodeMessage(body);
      if (result.ok) n++;
    });
    parser.on('end', () => (n === expected ? resolve() : reject(new Error(`peer decoded ${n} of ${expected}`))));
    parser.on('error', reject);
    for (const c of input) parser.write(c);
    parser.end();
    parser.resume();
  });
}

export async function benchSerialDecoder(): Promise<void> {
  const { bytes, messages } = realisticStream();
  const rows: (string | number)[][] = [];
  for (const chunkBytes of [64, 1024, 65536]) {
    const input = chunks(bytes, chunkBytes);
    const oursMs = await medianTimeMs(() => ours(input, messages), RUNS);
    const peerMs = await medianTimeMs(() => peer(input, messages), RUNS);
    const mbps = (ms: number) => (bytes.length / 1e6 / (ms / 1000)).toFixed(1);
    rows.push([`${chunkBytes} B chunks`, mbps(oursMs), mbps(peerMs), (peerMs / oursMs).toFixed(1) + '×']);
  }
  printTable(
    `Serial frame decoder: ${(bytes.length / 1e6).toFixed(2)} MB = 60 s of 16 kHz mic audio in 20 ms frames + CREDIT + PING (${messages} frames); median CPU time of ${RUNS} full runs`,
    ['input', 'esp-live MB/s', 'cobs + DelimiterParser MB/s', 'speed-up'],
    rows,
  );
}
