// The browser device's microphone: collects the AudioContext's input (already at the rate the
// device announced: the context runs at it) into frames of `frameSamples` s16 samples and
// posts each frame to the page, which sends it as AUDIO_IN.
class MicProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = undefined;
    this.at = 0;
    this.port.onmessage = (e) => {
      if (e.data.type === 'start') {
        this.frame = new Int16Array(e.data.frameSamples);
        this.at = 0;
      } else if (e.data.type === 'stop') this.frame = undefined;
    };
  }

  process(inputs) {
    const input = inputs[0]?.[0];
    if (!input || !this.frame) return true;
    for (let i = 0; i < input.length; i++) {
      const s = Math.max(-1, Math.min(1, input[i]));
      this.frame[this.at++] = s < 0 ? Math.round(s * 32768) : Math.round(s * 32767);
      if (this.at === this.frame.length) {
        const full = this.frame;
        this.frame = new Int16Array(full.length);
        this.at = 0;
        this.port.postMessage({ type: 'frame', samples: full, timeMs: currentTime * 1000 }, [full.buffer]);
      }
    }
    return true;
  }
}
registerProcessor('esp-live-mic', MicProcessor);
