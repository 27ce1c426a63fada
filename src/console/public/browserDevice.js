// "Talk from this browser": this page becomes an esp-live device. It speaks PROTOCOL.md over
// the bridge's WebSocket device listener with the one device token the console hands out for
// it (sent as the subprotocol bearer.<token>: a browser cannot set an Authorization header).
// The AudioContext runs at the rate the device announces (16 kHz), so the browser resamples
// the microphone and the speaker itself; PCM both ways (a WebSocket does not limit the rate).
import { decodeMessage, encodeMessage, ErrorCode, Feature, MAX_MESSAGE_BYTES, PROTOCOL_REVISION, PROTOCOL_VERSION } from './protocol.js';

const RATE_HZ = 16000;
const BUFFER_MS = 300; // §4.5 recommends 200 ms or more over Wi-Fi
const HELLO_RESEND_MS = 2000;
const S16LE = 1;
const PCM_ONLY = 1 << 0;
const STATE_NAMES = ['idle', 'listening', 'thinking', 'speaking', 'error', 'connecting'];

function deviceId() {
  try {
    let id = localStorage.getItem('esp-live-browser-id');
    if (!id) localStorage.setItem('esp-live-browser-id', (id = `browser-${crypto.randomUUID().slice(0, 8)}`));
    return id;
  } catch {
    return `browser-${crypto.randomUUID().slice(0, 8)}`;
  }
}

const nowUs = () => Math.floor(performance.now() * 1000) >>> 0;

/** The AudioContext at the device's rate; a browser that cannot mix rates gets its own rate. */
async function openAudio(stream) {
  let ctx = new AudioContext({ sampleRate: RATE_HZ, latencyHint: 'interactive' });
  let source;
  try {
    source = ctx.createMediaStreamSource(stream);
  } catch {
    await ctx.close();
    ctx = new AudioContext({ latencyHint: 'interactive' });
    source = ctx.createMediaStreamSource(stream);
  }
  if (ctx.sampleRate < 8000 || ctx.sampleRate > 48000) throw new Error(`this browser's audio runs at ${ctx.sampleRate} Hz, outside 8000…48000`);
  await ctx.audioWorklet.addModule('/static/mic-worklet.js');
  await ctx.audioWorklet.addModule('/static/speaker-worklet.js');
  await ctx.resume();
  return { ctx, source };
}

export async function startBrowserDevice({ onStatus = () => undefined, echoCancellation = false } = {}) {
  const response = await fetch('/api/browser-device', { cache: 'no-store' });
  const info = response.ok ? await response.json() : null;
  if (!info) throw new Error('no browser device is configured (console.browserDevice)');
  if (!navigator.mediaDevices?.getUserMedia || !window.AudioWorkletNode) {
    throw new Error(window.isSecureContext ? 'this browser has no microphone API or AudioWorklet' : 'browsers allow the microphone only on HTTPS or localhost: open the console through an SSH tunnel or a TLS proxy (README, FAQ)');
  }
  onStatus('asking for the microphone…');
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation, noiseSuppression: false, autoGainControl: false } });
  const { ctx, source } = await openAudio(stream);
  const rateHz = ctx.sampleRate;
  const capacitySamples = Math.round((rateHz * BUFFER_MS) / 1000);
  const mic = new AudioWorkletNode(ctx, 'esp-live-mic', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
  const speaker = new AudioWorkletNode(ctx, 'esp-live-speaker', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1], processorOptions: { capacitySamples, sampleRateHz: rateHz } });
  const mute = new GainNode(ctx, { gain: 0 }); // the mic node must be pulled by the graph to run
  source.connect(mic).connect(mute).connect(ctx.destination);
  speaker.connect(ctx.destination);
  const aec = stream.getAudioTracks()[0]?.getSettings().echoCancellation === true;

  const stats = { micFrames: 0, audioOutFrames: 0, credits: 0, sessionId: undefined, state: 'connecting', errors: [] };
  const recorded = [];
  let ws;
  let session = false;
  let seq = 0;
  let helloTimer;
  let stopped = false;

  const send = (m) => {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(encodeMessage(m));
  };
  const hello = () => {
    send({
      type: 'hello', protocolVersion: PROTOCOL_VERSION, features: Feature.VOLUME | (aec ? Feature.AEC : 0), playbackBufferSamples: capacitySamples,
      maxMessageBytes: MAX_MESSAGE_BYTES, mic: { sampleRateHz: rateHz, sampleFormat: S16LE, channels: 1, codecs: PCM_ONLY },
      speaker: { sampleRateHz: rateHz, sampleFormat: S16LE, channels: 1, codecs: PCM_ONLY }, toolCount: 0,
      deviceId: deviceId(), name: 'browser', firmwareVersion: 'web-1', protocolRevision: PROTOCOL_REVISION,
    });
    clearTimeout(helloTimer);
    helloTimer = setTimeout(() => session || hello(), HELLO_RESEND_MS); // AWAIT_WELCOME: again every 2 s
  };
  const endSession = () => {
    session = false;
    mic.port.postMessage({ type: 'stop' });
    speaker.port.postMessage({ type: 'flush', generation: 0 });
  };

  mic.port.onmessage = (e) => {
    if (!session || e.data.type !== 'frame') return;
    const pcm = e.data.samples;
    send({ type: 'audioIn', seq: seq++ >>> 0, captureTimeUs: nowUs(), payload: new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength) });
    stats.micFrames++;
  };
  speaker.port.onmessage = (e) => {
    if (e.data.type === 'credit') {
      if (!session) return;
      const { type: _type, ...credit } = e.data;
      send({ type: 'credit', ...credit });
      stats.credits++;
    } else if (e.data.type === 'played') recorded.push(...e.data.chunks);
  };

  const onMessage = (m) => {
    switch (m.type) {
      case 'welcome': {
        if (m.protocolVersion !== PROTOCOL_VERSION) {
          send({ type: 'error', code: 1, message: `this browser speaks protocol v${PROTOCOL_VERSION}` });
          send({ type: 'goodbye', reason: 3 });
          return stop(`the host speaks protocol v${m.protocolVersion}`);
        }
        const frameSamples = Math.round((rateHz * m.frameMs) / 1000);
        session = true;
        seq = 0;
        stats.sessionId = m.sessionId;
        speaker.port.postMessage({ type: 'welcome', frameSamples, revision: m.protocolRevision ?? 0 });
        mic.port.postMessage({ type: 'start', frameSamples });
        onStatus(`connected as a device (${rateHz} Hz)`);
        break;
      }
      case 'helloRequest': endSession(); hello(); break;
      case 'audioOut':
        if (!session) return send({ type: 'error', code: ErrorCode.NOT_READY, message: 'no session yet' });
        if (m.payload.length % 2) return;
        stats.audioOutFrames++;
        // The payload is s16le: copy it out aligned (it may start at an odd offset) and hand it over.
        speaker.port.postMessage({ type: 'audio', generation: m.generation, samples: new Int16Array(m.payload.slice().buffer) });
        break;
      case 'replyEnd': if (session) speaker.port.postMessage({ type: 'replyEnd', generation: m.generation }); break;
      case 'flush':
        if (!session) return send({ type: 'error', code: ErrorCode.NOT_READY, message: 'no session yet' });
        speaker.port.postMessage({ type: 'flush', generation: m.generation });
        break;
      case 'setVolume': speaker.port.postMessage({ type: 'gain', gain: (Math.min(100, m.volumePercent) / 100) ** 2 }); break;
      case 'state':
        stats.state = STATE_NAMES[m.state] ?? String(m.state);
        speaker.port.postMessage({ type: 'state', state: m.state });
        onStatus(`connected as a device: ${stats.state}`);
        break;
      case 'toolCall': send({ type: 'error', code: session ? ErrorCode.TOOL_UNKNOWN : ErrorCode.NOT_READY, message: 'this browser declares no tools' }); break;
      case 'ping': send({ type: 'pong', nonce: m.nonce, pingTimeUs: m.timeUs, timeUs: nowUs() }); break;
      case 'error': stats.errors.push(`${m.code}: ${m.message}`); onStatus(`the host says: ${m.message}`); break;
      // §4.9, answered in every state: a browser keeps no settings, so its report lists no key.
      case 'configGet': send({ type: 'configReport', entries: [] }); break;
      case 'configSet': send({ type: 'error', code: ErrorCode.CONFIG_INVALID, message: `key ${m.key}: this browser keeps no settings` }); break;
      case 'goodbye': stop(m.reason === 4 ? 'the host refused this browser (its token is in use?)' : 'the host said goodbye'); break;
    }
  };

  const url = `${info.tls ? 'wss' : 'ws'}://${location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname}:${info.port}${info.path}`;
  ws = new WebSocket(url, ['esp-live', `bearer.${info.token}`]);
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('open', () => { onStatus('introducing this browser…'); hello(); });
  ws.addEventListener('message', (e) => {
    if (typeof e.data === 'string' || e.data.byteLength > MAX_MESSAGE_BYTES) return; // text is not part of the protocol
    onMessage(decodeMessage(new Uint8Array(e.data)));
  });
  ws.addEventListener('close', () => stop('the link closed'));
  ws.addEventListener('error', () => onStatus('could not reach the device listener'));

  function stop(why = 'stopped') {
    if (stopped) return;
    stopped = true;
    clearTimeout(helloTimer);
    if (ws.readyState === WebSocket.OPEN) send({ type: 'goodbye', reason: 0 });
    ws.close();
    endSession();
    for (const track of stream.getTracks()) track.stop();
    void ctx.close();
    onStatus(why);
  }

  return {
    stats,
    stop: () => stop(),
    /** Keeps what the speaker plays from now on (s16 at `rateHz`), for a test or a bug report. */
    record(on = true) { speaker.port.postMessage({ type: 'record', on }); },
    recorded() { const out = new Int16Array(recorded.reduce((n, c) => n + c.length, 0)); let at = 0; for (const c of recorded) { out.set(c, at); at += c.length; } return out; },
    rateHz,
  };
}
