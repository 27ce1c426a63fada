/** A Live session that never connects: the test fires its events and sees the audio sent to it. */
import { validateLiveConfig } from '../../src/live/config.js';
import { LiveSession, type LiveSessionEvents } from '../../src/live/session.js';

export class ScriptedLive extends LiveSession {
  readonly heard: Int16Array[] = [];
  constructor() {
    super({ config: validateLiveConfig({ apiKey: 'K', baseUrl: 'http://127.0.0.1:9' }) });
  }
  fire<K extends keyof LiveSessionEvents & string>(event: K, ...args: LiveSessionEvents[K]): void {
    this.emit(event, ...args);
  }
  override sendAudio(samples: Int16Array): void {
    this.heard.push(Int16Array.from(samples));
  }
}
