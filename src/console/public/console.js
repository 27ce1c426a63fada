// The console page: one WebSocket (/live) brings snapshots, transcript and log lines; buttons
// send commands back. Every string shown comes from the bridge already escaped, and is only
// ever put into the page with textContent.
import { startBrowserDevice } from './browserDevice.js';

const $ = (id) => document.getElementById(id);
const cards = new Map(); // device id -> { root, fields }
const MAX_LOG_LINES = 200;
const MAX_TRANSCRIPT_LINES = 50;
let socket;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function send(command) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(command));
}

function row(dl, label, field) {
  const dd = el('dd', { 'data-field': field });
  dl.append(el('dt', { text: label }), dd);
  return dd;
}

/** A hold-to-talk button: pointer or keyboard (Space, Enter) down, then up. */
function holdButton(label, onChange) {
  const button = el('button', { type: 'button', class: 'ptt', text: label, 'aria-pressed': 'false' });
  let held = false;
  const set = (down) => {
    if (held === down) return;
    held = down;
    button.setAttribute('aria-pressed', String(down));
    onChange(down);
  };
  button.addEventListener('pointerdown', (e) => { button.setPointerCapture?.(e.pointerId); set(true); });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) button.addEventListener(type, () => set(false));
  button.addEventListener('keydown', (e) => { if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) { e.preventDefault(); set(true); } });
  button.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); set(false); } });
  button.addEventListener('blur', () => set(false));
  button.addEventListener('click', (e) => e.preventDefault());
  return button;
}

function card(device) {
  let c = cards.get(device.id);
  if (c) return c;
  const led = el('span', { class: 'led', role: 'img' });
  const name = el('span', { class: 'name' });
  const state = el('span', { class: 'state' });
  const info = el('dl');
  const health = el('dl');
  const live = el('dl');
  const inMeter = el('meter', { min: '-60', max: '0', low: '-20', high: '-6', optimum: '-30', value: '-60', class: 'in' });
  const outMeter = el('meter', { min: '-60', max: '0', low: '-20', high: '-6', optimum: '-30', value: '-60', class: 'out' });
  const inId = `in-${cards.size}`;
  const outId = `out-${cards.size}`;
  inMeter.id = inId;
  outMeter.id = outId;
  const volume = el('input', { type: 'range', min: '0', max: '100', step: '5', value: '100' });
  volume.addEventListener('change', () => send({ type: 'volume', device: device.id, percent: Number(volume.value) }));
  const transcript = el('ol', { class: 'transcript', 'aria-live': 'polite', 'aria-label': 'conversation' });
  const root = el(
    'article',
    { class: 'card', 'data-device': device.id },
    el('h3', {}, led, name, state),
    el('div', { class: 'meters' }, el('label', { for: inId, text: 'mic' }), inMeter, el('label', { for: outId, text: 'reply' }), outMeter),
    el(
      'div',
      { class: 'buttons' },
      holdButton('Hold to talk', (down) => send({ type: 'ptt', device: device.id, down })),
      el('button', { type: 'button', class: 'interrupt', text: 'Interrupt' }),
      el('label', { class: 'volume' }, 'Volume', volume),
    ),
    transcript,
    info,
    el('details', {}, el('summary', { text: 'Link and Live session health' }), health, live),
  );
  root.querySelector('button.interrupt').addEventListener('click', () => send({ type: 'interrupt', device: device.id }));
  c = {
    root, led, name, state, inMeter, outMeter, volume, transcript,
    link: row(info, 'link', 'link'), firmware: row(info, 'firmware', 'firmware'), codecs: row(info, 'audio', 'codecs'),
    buffer: row(health, 'device buffer', 'buffer'), underruns: row(health, 'underruns', 'underruns'), stale: row(health, 'stale frames', 'stale'), rtt: row(health, 'round trip', 'rtt'), dropped: row(health, 'dropped', 'dropped'),
    liveState: row(live, 'Live', 'liveState'), age: row(live, 'connected for', 'age'), handle: row(live, 'resumption handle', 'handle'), liveStats: row(live, 'session', 'liveStats'), causes: row(live, 'reconnects by cause', 'causes'), errors: row(live, 'errors', 'errors'),
    usage: row(info, 'today', 'usage'),
  };
  cards.set(device.id, c);
  $('devices').append(root);
  return c;
}

const ms = (v) => (v === undefined ? '–' : `${v} ms`);
const counts = (o) => Object.entries(o).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ') || 'none';
function age(msValue) {
  if (msValue === undefined) return '–';
  const s = Math.floor(msValue / 1000);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function showDevices(devices) {
  const seen = new Set();
  for (const d of devices) {
    seen.add(d.id);
    const c = card(d);
    c.name.textContent = d.name;
    c.state.textContent = d.link ? d.state : `${d.state} (away)`;
    c.led.dataset.state = d.state;
    c.led.setAttribute('aria-label', `LED: ${d.state}`);
    c.inMeter.value = Math.max(-60, d.levels.inDbfs);
    c.outMeter.value = Math.max(-60, d.levels.outDbfs);
    c.link.textContent = d.link ? `${d.link.kind}: ${d.link.name}` : 'away (the conversation waits for it)';
    c.firmware.textContent = `${d.firmware || '?'} (protocol 1.${d.protocolRevision})`;
    c.codecs.textContent = `mic ${d.mic.rateHz} Hz ${d.mic.codec}, speaker ${d.speaker.rateHz} Hz ${d.speaker.codec}, ${d.frameMs} ms frames`;
    const h = d.health;
    c.buffer.textContent = `${ms(h.bufferedMs)} of ${h.capacityMs} ms`;
    c.underruns.textContent = String(h.underruns);
    c.stale.textContent = String(h.staleFrames);
    c.rtt.textContent = h.rttMs === undefined ? '–' : `${h.rttMs} ms`;
    c.dropped.textContent = `mic lost ${h.micFramesLost}, mic over rate ${h.micOverRate}, link rejected ${h.linkRejected}, reply overflow ${h.replyFramesDropped}`;
    c.liveState.textContent = d.live.state;
    c.age.textContent = age(d.live.connectionAgeMs);
    c.handle.textContent = d.live.handleAgeMs === undefined ? 'none yet' : `${age(d.live.handleAgeMs)} old`;
    c.liveStats.textContent = counts(d.live.stats);
    c.causes.textContent = counts(d.live.reconnectsByCause);
    c.errors.textContent = counts(d.live.errorsByCode);
    const u = d.usage;
    c.usage.textContent = `${u.tokens} tokens, about $${u.usdEstimate.toFixed(4)}, ${u.audioSecondsUp} s of microphone${u.allowed ? '' : ' (budget used up)'}`;
    if (d.volumePercent !== undefined && document.activeElement !== c.volume) c.volume.value = String(d.volumePercent);
  }
  for (const [id, c] of cards) {
    if (seen.has(id)) continue;
    c.root.remove();
    cards.delete(id);
  }
  $('no-devices').hidden = devices.length > 0;
}

function addTranscript(line) {
  const c = cards.get(line.device);
  if (!c) return;
  c.transcript.append(el('li', { class: line.who }, el('span', { class: 'who', text: line.who === 'user' ? 'you' : 'assistant' }), line.text));
  while (c.transcript.children.length > MAX_TRANSCRIPT_LINES) c.transcript.firstElementChild.remove();
  c.transcript.scrollTop = c.transcript.scrollHeight;
}

function addLog(line) {
  const time = new Date(line.time).toLocaleTimeString();
  const log = $('log');
  log.append(el('li', { class: line.level, text: `${time} ${line.level === 'info' ? '' : `${line.level.toUpperCase()} `}${line.device ? `[${line.device}] ` : ''}${line.text}` }));
  while (log.children.length > MAX_LOG_LINES) log.firstElementChild.remove();
  log.scrollTop = log.scrollHeight;
}

function connect() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live`;
  socket = new WebSocket(url);
  socket.addEventListener('open', () => ($('connection').textContent = 'live'));
  socket.addEventListener('close', () => {
    $('connection').textContent = 'disconnected; retrying…';
    setTimeout(connect, 2000);
  });
  socket.addEventListener('message', (event) => {
    const m = JSON.parse(event.data);
    if (m.type === 'hello') {
      showDevices(m.devices);
      for (const c of cards.values()) c.transcript.replaceChildren();
      $('log').replaceChildren();
      for (const line of m.transcript) addTranscript(line);
      for (const line of m.log) addLog(line);
      $('browser-device').hidden = !m.browserDevice;
    } else if (m.type === 'snapshot') showDevices(m.devices);
    else if (m.type === 'transcript') addTranscript(m.line);
    else if (m.type === 'log') addLog(m.line);
  });
}

let browserDevice;
$('talk').addEventListener('click', async () => {
  const button = $('talk');
  const status = (text) => ($('browser-status').textContent = text);
  if (browserDevice) {
    browserDevice.stop();
    browserDevice = undefined;
    button.setAttribute('aria-pressed', 'false');
    button.textContent = 'Talk from this browser';
    status('stopped');
    return;
  }
  button.setAttribute('aria-pressed', 'true');
  button.textContent = 'Stop talking from this browser';
  try {
    browserDevice = await startBrowserDevice({ onStatus: status, echoCancellation: $('aec').checked });
    window.espLiveBrowserDevice = browserDevice; // for the browser tests and the curious
  } catch (error) {
    status(`could not start: ${error.message}`);
    button.setAttribute('aria-pressed', 'false');
    button.textContent = 'Talk from this browser';
    browserDevice = undefined;
  }
});

connect();
