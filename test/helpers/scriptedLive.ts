/** A Live session that never connects: the test fires its events and sees the audio sent to it. */
import { DeviceAgent } from '../../src/bridge/deviceAgent.js';
import { DeviceConnection } from '../../src/device/deviceConnection.js';
import { validateLiveConfig } from '../../src/live/config.js';
import { LiveSession, type LiveSessionEvents } from '../../src/live/session.js';
import type { Hello } from '../../src/protocol/messages.js';
import { FakeClock } from './fakeClock.js';
import { FakeLink } from './fakeLink.js';

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

/**
 * A device agent on a fake clock: a real DeviceConnection over an in-memory link, introduced by
 * `hello`, and a ScriptedLive. Not yet attached: the caller listens first, then calls attach().
 */
export async function scriptedAgent(hello: Hello, pushToTalk = false) {
  const clock = new FakeClock(0);
  const link = new FakeLink('websocket');
  const connection = new DeviceConnection(link, { clock });
  const handshake = connection.handshake();
  link.deliver(hello);
  const info = await handshake;
  const live = new ScriptedLive();
  const agent = new DeviceAgent({ deviceId: hello.deviceId, live, pushToTalk, clock });
  return { clock, link, live, agent, attach: () => agent.attach(connection, info) };
}
