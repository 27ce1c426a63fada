/**
 * Tools bench: the latency the bridge adds to an MCP tool call, each way, over stdio and
 * Streamable HTTP (call dispatched as the Live session dispatches it → tools/call request
 * handed to the MCP transport; response read from the transport → outcome ready for the
 * toolResponse), p50/p99; and how fast a server's 100 tools are offered to a device at start.
 * The server is a tiny local one (bench/mcpToyServer.ts) that answers at once.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ToolRegistry } from '../src/live/tools.js';
import type { LiveSession } from '../src/live/session.js';
import { createLogger } from '../src/log.js';
import { McpHub } from '../src/tools/mcpHub.js';
import type { McpEndpoint } from '../src/tools/mcpServer.js';
import { freePort } from '../test/helpers/mcp.js';
import { median, printTable } from './table.js';

const TOY = fileURLToPath(new URL('./mcpToyServer.js', import.meta.url));
const CALLS = 400;
const WARM_UP = 50;
const RUNS = 3;
const quiet = createLogger({ json: false, write: () => undefined });

const fakeSession = () => ({ tools: new ToolRegistry(), config: { model: 'gemini-3.8-live' } }) as unknown as LiveSession;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** A toy server endpoint with `tools` tools; for HTTP the server process is started here. */
async function toy(kind: 'stdio' | 'http', tools: number): Promise<{ endpoint: McpEndpoint; stop: () => void }> {
  if (kind === 'stdio') return { endpoint: { command: process.execPath, args: [TOY, 'stdio', String(tools)] }, stop: () => undefined };
  const port = await freePort();
  const child = spawn(process.execPath, [TOY, 'http', String(port), String(tools)], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.on('error', () => undefined);
  child.stderr!.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`toy MCP server exited (${code})`)));
  });
  return { endpoint: { url: `http://127.0.0.1:${port}/mcp` }, stop: () => child.kill() };
}

/** One full run: CALLS calls in a row; the bridge's share of each, out and back, in ms. */
async function latencyRun(kind: 'stdio' | 'http'): Promise<{ out: number[]; back: number[]; total: number[] }> {
  const server = await toy(kind, 10);
  let sentAt = 0;
  let receivedAt = 0;
  const trace = (direction: 'sent' | 'received', message: JSONRPCMessage) => {
    if (direction === 'sent' && 'method' in message && message.method === 'tools/call') sentAt = performance.now();
    if (direction === 'received' && 'result' in message) receivedAt = performance.now();
  };
  const hub = new McpHub([{ name: 'toy', endpoint: server.endpoint }], quiet, { trace });
  try {
    await hub.ready();
    const live = fakeSession();
    hub.attach({ id: 'bench', name: '' }, live);
    const out: number[] = [];
    const back: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < WARM_UP + CALLS; i++) {
      const t0 = performance.now();
      const outcome = await live.tools.dispatch({ id: `c${i}`, name: 'tool_1', args: { text: 'hello', n: i } }, 8000, new AbortController().signal);
      const t3 = performance.now();
      if (!('result' in outcome.response)) throw new Error(`call failed: ${JSON.stringify(outcome.response)}`);
      if (i < WARM_UP) continue;
      out.push(sentAt - t0);
      back.push(t3 - receivedAt);
      total.push(t3 - t0);
    }
    return { out, back, total };
  } finally {
    await hub.close();
    server.stop();
  }
}

/** Start-up with a 100-tool server: spawn → tools offered to a device, and tools/list sent → offered. */
async function startupRun(): Promise<{ wholeMs: number; listMs: number; offered: number }> {
  let listSentAt = 0;
  const trace = (direction: 'sent' | 'received', message: JSONRPCMessage) => {
    if (direction === 'sent' && 'method' in message && message.method === 'tools/list') listSentAt = performance.now();
  };
  const t0 = performance.now();
  const hub = new McpHub([{ name: 'toy', endpoint: (await toy('stdio', 100)).endpoint }], quiet, { trace });
  try {
    await hub.ready();
    const live = fakeSession();
    hub.attach({ id: 'bench', name: '' }, live);
    const t1 = performance.now();
    return { wholeMs: t1 - t0, listMs: t1 - listSentAt, offered: live.tools.declarations().length };
  } finally {
    await hub.close();
  }
}

export async function benchTools(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const kind of ['stdio', 'http'] as const) {
    const runs: Awaited<ReturnType<typeof latencyRun>>[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(await latencyRun(kind));
    const stat = (pick: (run: (typeof runs)[number]) => number[], p: number) => median(runs.map((run) => percentile(pick(run), p))).toFixed(3);
    rows.push([kind, stat((r) => r.out, 50), stat((r) => r.out, 99), stat((r) => r.back, 50), stat((r) => r.back, 99), stat((r) => r.total, 50), stat((r) => r.total, 99)]);
  }
  printTable(
    `MCP tool calls: latency the bridge adds, ms (median over ${RUNS} full runs of ${CALLS} calls, after ${WARM_UP} warm-up; a local toy server that answers at once)`,
    ['transport', 'out p50', 'out p99', 'back p50', 'back p99', 'round trip p50', 'round trip p99'],
    rows,
  );
  const starts = [];
  for (let r = 0; r < 5; r++) starts.push(await startupRun());
  const whole = median(starts.map((s) => s.wholeMs));
  const list = median(starts.map((s) => s.listMs));
  printTable(
    'MCP start-up with a 100-tool server over stdio (median of 5 runs)',
    ['measure', 'ms', 'tools offered', 'tools per second'],
    [
      ['spawn → all tools offered to a device', whole.toFixed(1), starts[0].offered, Math.round((starts[0].offered / whole) * 1000)],
      ['tools/list sent → all tools offered', list.toFixed(1), starts[0].offered, Math.round((starts[0].offered / list) * 1000)],
    ],
  );
  process.stdout.write('out: dispatch → tools/call handed to the transport; back: response read from the transport → outcome ready for the toolResponse.\n');
}
