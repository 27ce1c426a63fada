/**
 * A 16-bit mono WAV file written as the audio arrives, whose header is rewritten after every
 * chunk, so a crash (even kill -9) leaves a valid file holding everything written so far. The
 * file is created exclusively: an existing file is never overwritten. Writes are asynchronous
 * and done in order; the first failure stops the writer and is reported once.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { WavFormat, wavHeader } from './wav.js';

const HEADER_BYTES = 44;

export class WavWriter {
  private readonly handle: Promise<FileHandle>;
  private chain: Promise<unknown>;
  private dataBytes = 0;
  private failed = false;

  constructor(
    readonly path: string,
    private readonly sampleRateHz: number,
    private readonly onError: (error: Error) => void,
  ) {
    this.handle = open(path, 'wx'); // wx: fail if it exists
    this.chain = this.handle.then((h) => h.write(this.header(), 0, HEADER_BYTES, 0));
    this.chain.catch((error: Error) => this.fail(error));
  }

  /** Appends a copy of `samples` (the caller may reuse its array). */
  write(samples: Int16Array): void {
    if (this.failed || samples.length === 0) return;
    const data = Buffer.from(samples.buffer.slice(samples.byteOffset, samples.byteOffset + samples.byteLength));
    const at = HEADER_BYTES + this.dataBytes;
    this.dataBytes += data.length;
    const header = this.header();
    this.chain = this.chain.then(async () => {
      const h = await this.handle;
      await h.write(data, 0, data.length, at);
      await h.write(header, 0, HEADER_BYTES, 0);
    });
    this.chain.catch((error: Error) => this.fail(error));
  }

  get seconds(): number {
    return this.dataBytes / 2 / this.sampleRateHz;
  }

  /** Resolves once everything written so far is in the file (header included). */
  async flushed(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  /** Waits for every write, then closes the file. */
  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    await (await this.handle.catch(() => undefined))?.close();
  }

  private header(): Buffer {
    return wavHeader(WavFormat.PCM, 1, this.sampleRateHz, 16, 2, this.dataBytes);
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.onError(error);
  }
}
