// The browser device's speaker: the device side of PROTOCOL.md §4.5, run on the audio thread.
// A playback buffer of fixed capacity; the current generation; cumulative released and played
// counts; stale and overflow drops; REPLY_END; prebuffering (60 ms, or REPLY_END, or 100 ms
// after the first frame); and the CREDITs the spec requires (rules 1–4), posted to the page,
// which sends them. Time is the audio clock (currentTime), the clock the samples play by.
const PREBUFFER_MS = 60;
const CREDIT_INTERVAL_MS = 100;
const SPEAKING = 3;

class SpeakerProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { capacitySamples, sampleRateHz } = options.processorOptions;
    this.capacity = capacitySamples;
    this.rateHz = sampleRateHz;
    this.gain = 1;
    this.recording = false;
    this.recorded = [];
    this.reset(320, 1);
    this.port.onmessage = (e) => this.onMessage(e.data);
  }

  reset(frameSamples, revision) {
    this.chunks = [];
    this.buffered = 0;
    this.generation = 0;
    this.released = 0;
    this.played = 0;
    this.frameSamples = frameSamples;
    this.revision = revision;
    this.underruns = 0;
    this.overflows = 0;
    this.staleFrames = 0;
    this.creditReleased = 0;
    this.creditAt = -Infinity;
    this.replyActive = this.replyEnded = this.started = this.dryInReply = false;
    this.fillingSince = undefined;
    this.creditNow = false;
  }

  onMessage(m) {
    const nowMs = currentTime * 1000;
    switch (m.type) {
      case 'welcome':
        this.reset(m.frameSamples, m.revision);
        this.creditNow = true; // rule 1
        break;
      case 'audio': this.audioOut(m.generation, m.samples, nowMs); break;
      case 'replyEnd':
        if (m.generation === this.generation && this.replyActive) {
          this.replyActive = false;
          this.replyEnded = true;
        }
        break;
      case 'flush':
        this.released = (this.released + this.buffered) >>> 0;
        this.chunks = [];
        this.buffered = 0;
        this.generation = m.generation;
        this.replyActive = this.replyEnded = this.started = this.dryInReply = false;
        this.fillingSince = undefined;
        this.creditNow = true; // rule 1
        break;
      case 'state': // a 1.0 session: anything but speaking ends the reply
        if (this.revision === 0 && m.state !== SPEAKING) this.replyActive = this.dryInReply = false;
        break;
      case 'gain': this.gain = m.gain; break;
      case 'record': this.recording = m.on; break;
    }
  }

  audioOut(generation, samples, nowMs) {
    const n = samples.length;
    if (generation !== this.generation) {
      this.staleFrames++;
      this.released = (this.released + n) >>> 0;
      return;
    }
    if (this.buffered + n > this.capacity) {
      this.overflows++;
      this.released = (this.released + n) >>> 0;
      return;
    }
    if (!this.replyActive) {
      this.replyActive = true;
      this.replyEnded = false;
    }
    if (!this.started && this.fillingSince === undefined) this.fillingSince = nowMs;
    if (this.dryInReply) this.underruns++;
    this.dryInReply = false;
    this.chunks.push(samples);
    this.buffered += n;
  }

  mayStart(nowMs) {
    if (this.replyEnded || !this.replyActive) return true;
    const prebuffer = Math.min((this.rateHz * PREBUFFER_MS) / 1000, this.capacity / 2);
    return this.buffered >= prebuffer || nowMs - (this.fillingSince ?? nowMs) >= CREDIT_INTERVAL_MS;
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    const nowMs = currentTime * 1000;
    out.fill(0);
    if (!this.started && this.buffered > 0 && this.mayStart(nowMs)) this.started = true;
    let at = 0;
    if (this.started) {
      while (at < out.length && this.chunks.length) {
        const head = this.chunks[0];
        const take = Math.min(out.length - at, head.length);
        for (let i = 0; i < take; i++) out[at + i] = (head[i] / 32768) * this.gain;
        if (this.recording) this.recorded.push(head.slice(0, take));
        if (take === head.length) this.chunks.shift();
        else this.chunks[0] = head.subarray(take);
        this.buffered -= take;
        this.released = (this.released + take) >>> 0;
        this.played = (this.played + take) >>> 0;
        at += take;
      }
      if (this.buffered === 0 && at > 0) this.ranDry();
    }
    if (this.recorded.length >= 16) this.flushRecorded();
    this.maybeCredit(nowMs);
    return true;
  }

  ranDry() {
    this.started = false; // after an underrun, prebuffer again
    this.fillingSince = undefined;
    if (this.replyActive) {
      if (this.revision >= 1) this.underruns++;
      else this.dryInReply = true;
    }
    if (this.released !== this.creditReleased) this.creditNow = true; // rule 4
    this.flushRecorded();
  }

  flushRecorded() {
    if (!this.recorded.length) return;
    this.port.postMessage({ type: 'played', chunks: this.recorded });
    this.recorded = [];
  }

  maybeCredit(nowMs) {
    const releasedSince = (this.released - this.creditReleased) >>> 0;
    const due = this.creditNow || releasedSince >= this.frameSamples || (this.buffered > 0 && nowMs - this.creditAt >= CREDIT_INTERVAL_MS);
    if (!due) return;
    this.creditNow = false;
    this.creditAt = nowMs;
    this.creditReleased = this.released;
    this.port.postMessage({
      type: 'credit',
      generation: this.generation,
      releasedSamples: this.released,
      playedSamples: this.played,
      bufferedSamples: this.buffered,
      underruns: this.underruns & 0xffff,
      overflows: this.overflows & 0xffff,
      staleFrames: this.staleFrames & 0xffff,
    });
  }
}
registerProcessor('esp-live-speaker', SpeakerProcessor);
