/**
 * The web console in a real browser: Debian's Chromium, headless, driven by playwright-core
 * (which never downloads a browser here: it is given /usr/bin/chromium). Its microphone is a
 * fake device playing an espeak-ng WAV once. Against a real `esp-live` run (runCommand) with
 * the built-in emulator's echo persona: the page shows a simulated board live, push-to-talk
 * from the page frames a turn, and "talk from this browser" makes the page a device that
 * completes a spoken turn whose reply audio it records and we compare with what was said.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { alignedSnrDb } from '../src/audio/measure.js';
import { synthesizeSpeech } from '../src/audio/speech.js';
import { writeWavS16 } from '../src/audio/wav.js';
import { runCommand, type Running } from '../src/commands/run.js';
import { SimulatedDevice } from '../src/simulator/simulatedDevice.js';

const BOARD_TOKEN = 'board-token-0123456789abcdef';
const BROWSER_TOKEN = 'browser-token-0123456789abcdef';
const RATE_HZ = 16000;
const CHROMIUM = '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'esp-live-console-'));
export const SCREENSHOTS = dir;

let browser: BrowserContext;
let words: Int16Array;
const runs: Running[] = [];
const devices: SimulatedDevice[] = [];

/** esp-live as `npm start` runs it (no API key: the emulator, echo persona), plus the console. */
async function startEspLive(extraArgs: string[] = []): Promise<Running & { lines: string[] }> {
  const config = join(dir, `esp-live-${runs.length}.json`);
  writeFileSync(config, JSON.stringify({
    websocket: { host: '127.0.0.1', port: 0, mdns: false, tokens: { [BOARD_TOKEN]: 'board', [BROWSER_TOKEN]: 'browser' } },
    console: { enabled: true, port: 0, browserDevice: 'browser' },
  }));
  const lines: string[] = [];
  const running = (await runCommand(['--config', config, '--no-serial', ...extraArgs], (l) => lines.push(l), {}))!;
  runs.push(running);
  return Object.assign(running, { lines });
}

async function board(running: Running): Promise<SimulatedDevice> {
  const device = new SimulatedDevice({ deviceId: 'kitchen-board', name: 'kitchen' });
  devices.push(device);
  const welcomed = new Promise((r) => device.once('welcome', r));
  await device.connectWebSocket(running.wsUrl!, BOARD_TOKEN);
  await welcomed;
  return device;
}

async function page(url: string, width = 390): Promise<Page> {
  const p = await browser.newPage();
  await p.setViewportSize({ width, height: 844 });
  await p.goto(url);
  return p;
}

/**
 * Pearson correlation of the RMS envelopes (20 ms windows every 5 ms) of `reference` and
 * `actual`, at the best lag of `actual`.
 */
function envelopeCorrelation(reference: Int16Array, actual: Int16Array): number {
  const [window, hop] = [320, 80];
  const envelope = (x: Int16Array) => Array.from({ length: Math.max(0, Math.floor((x.length - window) / hop) + 1) }, (_, i) => Math.sqrt(x.subarray(i * hop, i * hop + window).reduce((sum, v) => sum + v * v, 0) / window));
  const a = envelope(reference);
  const b = envelope(actual);
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  let best = -1;
  for (let lag = 0; lag + a.length <= b.length; lag++) {
    const seg = b.slice(lag, lag + a.length);
    const [ma, mb] = [mean(a), mean(seg)];
    let num = 0, da = 0, db = 0;
    for (let i = 0; i < a.length; i++) {
      num += (a[i] - ma) * (seg[i] - mb);
      da += (a[i] - ma) ** 2;
      db += (seg[i] - mb) ** 2;
    }
    best = Math.max(best, num / Math.sqrt(da * db || 1));
  }
  return best;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-system-packages.sh (it installs Debian's chromium)`);
  const speech = await synthesizeSpeech('Please turn on the light.', RATE_HZ);
  words = speech;
  // The fake microphone, played once from getUserMedia on: 1.5 s of silence (the device is
  // introduced meanwhile), the words, 2.5 s of silence.
  const file = new Int16Array(Math.round(RATE_HZ * 1.5) + speech.length + RATE_HZ * 2.5);
  file.set(speech, Math.round(RATE_HZ * 1.5));
  const wav = join(dir, 'mic.wav');
  writeFileSync(wav, writeWavS16(file, RATE_HZ));
  // A fresh profile (playwright passes it as --user-data-dir); never a downloaded browser.
  browser = await chromium.launchPersistentContext(mkdtempSync(join(dir, 'profile-')), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', // a container's /dev/shm is often 64 MB
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}%noloop`,
    ],
  });
});

afterAll(async () => {
  for (const d of devices) d.close();
  for (const r of runs) await r.stop();
  await browser?.close();
});

describe('web console in Chromium', () => {
  it('shows a simulated board live; push-to-talk from the page frames a turn; the transcript appears; the meters move', async () => {
    const running = await startEspLive(['--push-to-talk']);
    expect(running.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const device = await board(running);
    const p = await page(running.consoleUrl!);
    const card = p.locator('article.card[data-device="kitchen-board"]');
    await card.waitFor();
    // The loudest the meters ever showed (they are redrawn ten times a second).
    await p.evaluate(() => {
      const w = window as unknown as { loudest: Record<string, number> };
      w.loudest = { in: -60, out: -60 };
      setInterval(() => {
        for (const k of ['in', 'out']) w.loudest[k] = Math.max(w.loudest[k], (document.querySelector(`meter.${k}`) as HTMLMeterElement).value);
      }, 20);
    });
    const loudest = () => p.evaluate(() => (window as unknown as { loudest: Record<string, number> }).loudest);
    await expect.poll(() => card.locator('h3 .name').textContent()).toBe('kitchen');
    await expect.poll(() => card.locator('.led').getAttribute('data-state')).toBe('listening');
    expect(await card.locator('dl').first().textContent()).toContain('websocket');

    // Every control is reachable with Tab, in reading order.
    const reached: string[] = [];
    for (let i = 0; i < 6; i++) {
      await p.keyboard.press('Tab');
      reached.push(await p.evaluate(() => {
        const e = document.activeElement as HTMLInputElement;
        return e.id || e.className || `${e.tagName.toLowerCase()}${e.type ? `:${e.type}` : ''}`;
      }));
    }
    expect(reached).toEqual(['talk', 'aec', 'ptt', 'interrupt', 'input:range', 'summary']);
    // Push-to-talk from the keyboard: Space held while the board speaks.
    const ptt = card.locator('button.ptt');
    await ptt.focus();
    await p.keyboard.down(' ');
    await expect.poll(() => ptt.getAttribute('aria-pressed')).toBe('true');
    device.speak(words);
    await expect.poll(async () => (await loudest()).in, { timeout: 5000 }).toBeGreaterThan(-40);
    await p.screenshot({ path: join(dir, 'console-ptt.png'), fullPage: true });
    await new Promise((r) => setTimeout(r, (words.length / RATE_HZ) * 1000 + 200));
    await p.keyboard.up(' ');
    await card.locator('ol.transcript li.assistant').waitFor({ timeout: 10_000 });
    expect(await card.locator('ol.transcript li.assistant').first().textContent()).toMatch(/You said something/);
    await expect.poll(async () => (await loudest()).out, { timeout: 5000 }).toBeGreaterThan(-40);
    await expect.poll(() => card.locator('.led').getAttribute('data-state')).toMatch(/speaking|listening/);
    expect(await p.locator('#log li').count()).toBeGreaterThan(0);
    await p.screenshot({ path: join(dir, 'console-phone.png'), fullPage: true });
    // Nothing is wider than the phone's screen.
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await p.setViewportSize({ width: 1280, height: 800 });
    await p.screenshot({ path: join(dir, 'console-desktop.png') });
  });

  it('the browser as a device: a spoken turn from the fake microphone, and the echoed reply recorded from its speaker', async () => {
    const running = await startEspLive();
    const p = await page(running.consoleUrl!);
    await p.locator('#browser-device').waitFor({ state: 'visible' });
    await p.locator('#talk').click();
    await p.waitForFunction(() => 'espLiveBrowserDevice' in window);
    await p.evaluate(() => (window as unknown as { espLiveBrowserDevice: { record(): void } }).espLiveBrowserDevice.record());
    const card = p.locator('article.card[data-device^="browser-"]');
    await card.waitFor({ timeout: 5000 });
    await card.locator('ol.transcript li.assistant').waitFor({ timeout: 15_000 });
    type Device = { stats: { state: string; credits: number; audioOutFrames: number }; recorded(): Int16Array };
    await p.waitForFunction(() => (window as unknown as { espLiveBrowserDevice: Device }).espLiveBrowserDevice.stats.state === 'listening', undefined, { timeout: 10_000 });
    const { played, stats } = await p.evaluate(() => {
      const d = (window as unknown as { espLiveBrowserDevice: Device }).espLiveBrowserDevice;
      return { played: Array.from(d.recorded()), stats: d.stats };
    });
    await card.locator('summary').click(); // link and Live session health
    await expect.poll(() => card.locator('dd[data-field="underruns"]').textContent()).toBe('0'); // underruns, from the page's own CREDITs
    await p.screenshot({ path: join(dir, 'console-browser-device.png'), fullPage: true });
    expect(stats.audioOutFrames).toBeGreaterThan(50);
    expect(stats.credits).toBeGreaterThan(10);
    writeFileSync(join(dir, 'played.wav'), writeWavS16(Int16Array.from(played), RATE_HZ));
    writeFileSync(join(dir, 'words.wav'), writeWavS16(words, RATE_HZ));
    const { snrDb } = alignedSnrDb(words, Int16Array.from(played), RATE_HZ);
    const similarity = envelopeCorrelation(words, Int16Array.from(played));
    console.log(`browser device: ${played.length} samples played; against the words said: envelope correlation ${similarity.toFixed(3)}, SNR ${snrDb.toFixed(1)} dB`);
    expect(played.length).toBeGreaterThan(words.length);
    // The same words: 0.97-1.0 measured in 8 runs (36 dB SNR on a quiet machine; at load 20 the
    // fake microphone glitches and drifts by a few ms, which costs SNR, once down to 0.4 dB, but
    // hardly the envelope). "Please turn off the lights now" against "Please turn on the light"
    // scores 0.62.
    expect(similarity).toBeGreaterThan(0.9);
  });
});
