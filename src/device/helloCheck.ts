/**
 * What the host checks in a device's HELLO and TOOLs before it answers (PROTOCOL.md §4.1,
 * §4.2): each problem comes back as one sentence that names the field and the value, for an
 * ERROR to the device and the host's log.
 */
import { Limit, SampleFormat, type AudioFormat, type Hello, type Tool } from '../protocol/messages.js';
import { chooseAudio, usableCodecs, type AudioChoice } from './audioChoice.js';
import { frameSamples } from './deviceAudio.js';

const TOOL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function checkFormat(direction: 'mic' | 'speaker', f: AudioFormat): string | undefined {
  if (f.sampleRateHz < Limit.MIN_SAMPLE_RATE_HZ || f.sampleRateHz > Limit.MAX_SAMPLE_RATE_HZ) {
    return `${direction}.sampleRateHz ${f.sampleRateHz} is outside ${Limit.MIN_SAMPLE_RATE_HZ}…${Limit.MAX_SAMPLE_RATE_HZ}`;
  }
  if (f.sampleFormat !== SampleFormat.S16LE && f.sampleFormat !== SampleFormat.U8) return `${direction}.sampleFormat ${f.sampleFormat} is not 1 (S16LE) or 2 (U8)`;
  if (f.channels !== 1 && f.channels !== 2) return `${direction}.channels ${f.channels} is not 1 or 2`;
  if (usableCodecs(f).length === 0) return `${direction}.codecs 0x${f.codecs.toString(16)} offers no codec this host can use for ${f.channels} channel(s)`;
  return undefined;
}

/** The audio choice for a HELLO, or the first problem with it (§4.1 table, in order). */
export function checkHello(hello: Hello, linkBytesPerSecond: number | undefined): ({ ok: true } & AudioChoice) | { ok: false; problem: string } {
  const fail = (problem: string) => ({ ok: false as const, problem });
  if (hello.maxMessageBytes < Limit.MIN_MESSAGE_BYTES) return fail(`maxMessageBytes ${hello.maxMessageBytes} is below the minimum ${Limit.MIN_MESSAGE_BYTES}`);
  const format = checkFormat('mic', hello.mic) ?? checkFormat('speaker', hello.speaker);
  if (format) return fail(format);
  const maxMessageBytes = Math.min(hello.maxMessageBytes, Limit.MAX_MESSAGE_BYTES);
  const choice = chooseAudio(hello.mic, hello.speaker, maxMessageBytes, linkBytesPerSecond);
  if (!choice.ok) return choice;
  const rate = hello.speaker.sampleRateHz;
  const minSamples = Math.max(2 * frameSamples(rate, choice.frameMs, choice.speakerCodec), Math.ceil((rate * Limit.MIN_BUFFER_MS) / 1000));
  if (hello.playbackBufferSamples < minSamples) {
    return fail(`playbackBufferSamples ${hello.playbackBufferSamples} is less than 2 frames and ${Limit.MIN_BUFFER_MS} ms (${minSamples} samples at ${rate} Hz, ${choice.frameMs} ms frames)`);
  }
  const idBytes = Buffer.byteLength(hello.deviceId);
  if (idBytes < 1 || idBytes > Limit.MAX_DEVICE_ID_BYTES) return fail(`deviceId is ${idBytes} bytes, not 1…${Limit.MAX_DEVICE_ID_BYTES}`);
  for (const field of ['name', 'firmwareVersion'] as const) {
    const bytes = Buffer.byteLength(hello[field]);
    if (bytes > Limit.MAX_NAME_BYTES) return fail(`${field} is ${bytes} bytes, more than ${Limit.MAX_NAME_BYTES}`);
  }
  return choice;
}

/** Why a TOOL is refused (§4.2), or undefined; `earlier` are the tools accepted so far. */
export function checkTool(tool: Tool, toolCount: number, earlier: readonly Tool[]): string | undefined {
  const problem = toolProblem(tool, toolCount, earlier);
  return problem && `tool ${tool.index} ${JSON.stringify(tool.name)}: ${problem}`;
}

function toolProblem(tool: Tool, toolCount: number, earlier: readonly Tool[]): string | undefined {
  if (tool.index >= toolCount) return `the index is not below toolCount ${toolCount}`;
  if (earlier.some((t) => t.index === tool.index)) return 'the index repeats an earlier tool';
  if (!TOOL_NAME.test(tool.name)) return 'the name must match [a-zA-Z_][a-zA-Z0-9_]*';
  if (Buffer.byteLength(tool.name) > Limit.MAX_TOOL_NAME_BYTES) return `the name is longer than ${Limit.MAX_TOOL_NAME_BYTES} bytes`;
  if (earlier.some((t) => t.name === tool.name)) return 'the name repeats an earlier tool';
  if (tool.parametersSchema !== '') {
    let schema: unknown;
    try {
      schema = JSON.parse(tool.parametersSchema);
    } catch {
      return 'parametersSchema is not JSON';
    }
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'parametersSchema is not a JSON object';
  }
  return undefined;
}
