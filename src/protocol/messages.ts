/**
 * Device wire protocol v1.1: message types and constants. The spec is firmware/PROTOCOL.md; its
 * §7 table is the one source of these numbers (test/protocol.constants.test.ts checks them).
 */

export const Limit = {
  PROTOCOL_VERSION: 1,
  PROTOCOL_REVISION: 1,
  MAX_MESSAGE_BYTES: 2048,
  MIN_MESSAGE_BYTES: 256,
  MAX_FRAME_BYTES: 2060,
  MIN_SAMPLE_RATE_HZ: 8000,
  MAX_SAMPLE_RATE_HZ: 48000,
  MIN_BUFFER_MS: 40,
  PREBUFFER_MS: 60,
  CREDIT_INTERVAL_MS: 100,
  PLAYOUT_MARGIN_MS: 250,
  HELLO_RESEND_MS: 2000,
  TOOLS_WAIT_MS: 1000,
  MAX_DEVICE_ID_BYTES: 64,
  MAX_NAME_BYTES: 32,
  MAX_TOOL_NAME_BYTES: 63,
} as const;
export const PROTOCOL_VERSION: number = Limit.PROTOCOL_VERSION;
export const PROTOCOL_REVISION: number = Limit.PROTOCOL_REVISION;
export const MAX_MESSAGE_BYTES: number = Limit.MAX_MESSAGE_BYTES;
export const MIN_MESSAGE_BYTES: number = Limit.MIN_MESSAGE_BYTES;

export const SampleFormat = { S16LE: 1, U8: 2 } as const;
export const Codec = { PCM: 0, ULAW: 1, ALAW: 2, IMA_ADPCM: 3 } as const;
export type CodecId = (typeof Codec)[keyof typeof Codec];
export const Feature = { BUTTON: 1, LED: 2, VOLUME: 4, BATTERY: 8, CAMERA: 16, AEC: 32 } as const;
export const AssistantState = { IDLE: 0, LISTENING: 1, THINKING: 2, SPEAKING: 3, ERROR: 4, CONNECTING: 5 } as const;
export const DeviceEvent = { BUTTON_DOWN: 1, BUTTON_UP: 2 } as const;
export const LogLevel = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 } as const;
export const GoodbyeReason = { SHUTDOWN: 0, RESTARTING: 1, ERROR: 2, VERSION_MISMATCH: 3, UNAUTHORISED: 4 } as const;
export const ErrorCode = {
  VERSION_MISMATCH: 1,
  BAD_MESSAGE: 2,
  UNSUPPORTED_FORMAT: 3,
  BUFFER_OVERFLOW: 4,
  CONFIG_INVALID: 5,
  TOOL_UNKNOWN: 6,
  NOT_READY: 7,
  INTERNAL: 8,
  NOT_ALLOWED: 9,
  TOOL_INVALID: 10,
} as const;
export const ToolStatus = { OK: 0, ERROR: 1 } as const;
export const ConfigKey = { WIFI_SSID: 1, WIFI_PASSWORD: 2, HOST_URL: 3, DEVICE_TOKEN: 4, DEVICE_NAME: 5 } as const;
export const ConfigFlag = { SET: 1, SECRET: 2 } as const;

/** The wire type byte of each message. */
export const MessageType = {
  hello: 0x01,
  tool: 0x02,
  welcome: 0x03,
  helloRequest: 0x04,
  audioIn: 0x10,
  audioOut: 0x11,
  credit: 0x12,
  replyEnd: 0x13,
  flush: 0x20,
  setVolume: 0x21,
  state: 0x22,
  event: 0x23,
  toolCall: 0x30,
  toolResult: 0x31,
  ping: 0x40,
  pong: 0x41,
  log: 0x50,
  error: 0x51,
  goodbye: 0x52,
  configSet: 0x60,
  configGet: 0x61,
  configReport: 0x62,
} as const;

export interface AudioFormat {
  sampleRateHz: number;
  sampleFormat: number;
  channels: number;
  /** Bit mask: bit `1 << codecId` for each codec the device handles in this direction. */
  codecs: number;
}

export interface Hello {
  type: 'hello';
  protocolVersion: number;
  features: number;
  playbackBufferSamples: number;
  maxMessageBytes: number;
  mic: AudioFormat;
  speaker: AudioFormat;
  toolCount: number;
  deviceId: string;
  name: string;
  firmwareVersion: string;
  /** v1.1; undefined in a 1.0 HELLO, which means revision 0. */
  protocolRevision?: number;
}
export interface Tool { type: 'tool'; index: number; name: string; description: string; parametersSchema: string }
export interface Welcome {
  type: 'welcome';
  protocolVersion: number;
  sessionId: number;
  features: number;
  micCodec: number;
  speakerCodec: number;
  frameMs: number;
  /** v1.1: the revision the session follows; undefined (a 1.0 host) means 0. */
  protocolRevision?: number;
}
export interface HelloRequest { type: 'helloRequest' }
export interface AudioIn { type: 'audioIn'; seq: number; captureTimeUs: number; payload: Uint8Array }
export interface AudioOut { type: 'audioOut'; seq: number; generation: number; payload: Uint8Array }
export interface Credit {
  type: 'credit';
  generation: number;
  releasedSamples: number;
  playedSamples: number;
  bufferedSamples: number;
  underruns: number;
  overflows: number;
  staleFrames: number;
}
export interface ReplyEnd { type: 'replyEnd'; generation: number }
export interface Flush { type: 'flush'; generation: number }
export interface SetVolume { type: 'setVolume'; volumePercent: number }
export interface State { type: 'state'; state: number }
export interface Event { type: 'event'; event: number; timeUs: number }
export interface ToolCall { type: 'toolCall'; callId: number; name: string; argsJson: string }
export interface ToolResult { type: 'toolResult'; callId: number; status: number; resultJson: string }
export interface Ping { type: 'ping'; nonce: number; timeUs: number }
export interface Pong { type: 'pong'; nonce: number; pingTimeUs: number; timeUs: number }
export interface Log { type: 'log'; level: number; text: string }
export interface ErrorMessage { type: 'error'; code: number; message: string }
export interface Goodbye { type: 'goodbye'; reason: number }
export interface ConfigSet { type: 'configSet'; key: number; value: string }
export interface ConfigGet { type: 'configGet' }
export interface ConfigEntry { key: number; flags: number; value: string }
export interface ConfigReport { type: 'configReport'; entries: ConfigEntry[] }

export type Message =
  | Hello
  | Tool
  | Welcome
  | HelloRequest
  | AudioIn
  | AudioOut
  | Credit
  | ReplyEnd
  | Flush
  | SetVolume
  | State
  | Event
  | ToolCall
  | ToolResult
  | Ping
  | Pong
  | Log
  | ErrorMessage
  | Goodbye
  | ConfigSet
  | ConfigGet
  | ConfigReport;

export type MessageName = Message['type'];
