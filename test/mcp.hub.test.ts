/** MCP servers from the npm registry, run for real over stdio and Streamable HTTP, behind McpHub. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ToolRegistry } from '../src/live/tools.js';
import type { LiveSession } from '../src/live/session.js';
import { createLogger } from '../src/log.js';
import { McpHub, type McpServerConfig } from '../src/tools/mcpHub.js';
import { until } from './helpers/bridge.js';
import { EVERYTHING, FILESYSTEM, startEverythingHttp } from './helpers/mcp.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function fakeSession(model = 'gemini-3.8-live') {
  return { tools: new ToolRegistry(), config: { model } } as unknown as LiveSession;
}

function hubOf(configs: McpServerConfig[], options = {}) {
  const logs: string[] = [];
  const hub = new McpHub(configs, createLogger({ json: false, debug: true, write: (l) => logs.push(l) }), options);
  closers.push(() => hub.close());
  return { hub, logs };
}

const call = (live: LiveSession, name: string, args: Record<string, unknown>, signal = new AbortController().signal) => live.tools.dispatch({ id: 'c1', name, args }, 8000, signal);

describe('McpHub with real MCP servers', () => {
  /** Two server-everything processes, one offering everything, one only echo to one board; started once for the tests that only read. */
  let sharedHub: Promise<ReturnType<typeof hubOf>> | undefined;
  const shared = () =>
    (sharedHub ??= (async () => {
      const stdio = { command: process.execPath, args: [EVERYTHING, 'stdio'] };
      const made = hubOf([
        { name: 'one', endpoint: stdio },
        { name: 'two', endpoint: stdio, allow: ['echo'], devices: ['kitchen-board'] },
      ]);
      closers.splice(closers.length - 1, 1); // closed after all tests, not after the first
      await made.hub.ready();
      return made;
    })());
  afterAll(async () => (await sharedHub)?.hub.close());

  it('lists server-everything (stdio), converts its schemas, runs a tool, and names a tool server__tool when two servers offer it', async () => {
    const { hub, logs } = await shared();
    const live = fakeSession();
    live.tools.register({ name: 'get-sum', description: 'the board adds' }, async () => 'board');
    hub.attach({ id: 'board', name: 'kitchen-board' }, live);
    const names = live.tools.declarations().map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['get-sum', 'one__get-sum', 'one__echo', 'two__echo', 'get-tiny-image']));
    expect(names).not.toContain('echo');
    const sum = live.tools.declarations().find((d) => d.name === 'one__get-sum');
    expect(sum?.parametersJsonSchema).toMatchObject({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] });
    expect(JSON.stringify(live.tools.declarations())).not.toContain('$schema');
    expect(await call(live, 'one__get-sum', { a: 2, b: 3 })).toMatchObject({ response: { result: 'The sum of 2 and 3 is 5.' } });
    expect(await call(live, 'get-sum', { a: 2, b: 3 })).toMatchObject({ response: { result: 'board' } }); // the board's own tool keeps its name
    expect(logs.join('\n')).toMatch(/MCP server one: \d+ of \d+ tools offered/);
  });

  it('lists the tools again when the server says they changed, and leaves out task-only tools', async () => {
    const { logs } = await shared();
    // server-everything registers more tools once initialized and sends notifications/tools/list_changed.
    await until(() => logs.filter((l) => l.startsWith('MCP server one:') && l.includes('tools offered')).length >= 2, 5000, 'a second listing');
    expect(logs.join('\n')).toContain('MCP server one: tool simulate-research-query left out: it only runs as an MCP task');
  });

  it('offers a server only to the devices it lists, by id or name', async () => {
    const { hub } = await shared();
    const [byName, byId, other] = [fakeSession(), fakeSession(), fakeSession()];
    hub.attach({ id: 'a1', name: 'kitchen-board' }, byName);
    hub.attach({ id: 'kitchen-board', name: '' }, byId);
    hub.attach({ id: 'hall', name: 'hall' }, other);
    expect(byName.tools.has('two__echo')).toBe(true);
    expect(byId.tools.has('two__echo')).toBe(true);
    expect(other.tools.has('two__echo')).toBe(false);
    expect(other.tools.has('echo')).toBe(true); // only one server offers it to this device: no prefix
  });

  it('cancels a running call when the model cancels it, and the server stays usable', async () => {
    const { hub, logs } = await shared();
    const live = fakeSession();
    hub.attach({ id: 'hall', name: '' }, live);
    const controller = new AbortController();
    const running = call(live, 'trigger-long-running-operation', { duration: 30, steps: 30 }, controller.signal);
    setTimeout(() => controller.abort(), 300);
    const t0 = Date.now();
    expect(await running).toMatchObject({ response: { error: 'trigger-long-running-operation was cancelled' } });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await call(live, 'echo', { message: 'still here' })).toMatchObject({ response: { result: 'Echo: still here' } });
    expect(logs.join('\n')).not.toContain('restarting');
  });

  it('runs a tool over Streamable HTTP', async () => {
    const { url, child } = await startEverythingHttp();
    closers.push(() => child.kill());
    const { hub } = hubOf([{ name: 'web', endpoint: { url } }]);
    await hub.ready();
    const live = fakeSession();
    hub.attach({ id: 'board', name: '' }, live);
    expect(await call(live, 'echo', { message: 'over http' })).toMatchObject({ response: { result: 'Echo: over http' } });
  });

  it('reads a file through server-filesystem in a temporary directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esp-live-fs-'));
    writeFileSync(join(dir, 'shopping.txt'), 'eggs, flour, milk');
    const { hub } = hubOf([{ name: 'files', endpoint: { command: process.execPath, args: [FILESYSTEM, dir] }, allow: ['read_text_file', 'list_directory'] }]);
    await hub.ready();
    const live = fakeSession();
    hub.attach({ id: 'board', name: '' }, live);
    expect(live.tools.declarations().map((d) => d.name).sort()).toEqual(['list_directory', 'read_text_file']);
    const outcome = await call(live, 'read_text_file', { path: join(dir, 'shopping.txt') });
    expect(JSON.stringify(outcome.response)).toContain('eggs, flour, milk');
  });

  it('restarts a crashed server with backoff; its tools say so meanwhile', async () => {
    const { hub, logs } = hubOf([{ name: 'everything', endpoint: { command: process.execPath, args: [EVERYTHING, 'stdio'] } }], { restartInitialMs: 500 });
    await hub.ready();
    const live = fakeSession();
    hub.attach({ id: 'board', name: '' }, live);
    const [server] = hub.servers;
    const pid = server.pid!;
    process.kill(pid, 'SIGKILL');
    await until(() => server.state === 'down', 5000, 'the crash to be seen');
    const meanwhile = await call(live, 'echo', { message: 'x' });
    expect(meanwhile.response).toMatchObject({ error: expect.stringMatching(/everything tools are unavailable right now \(its connection closed/) });
    await until(() => server.state === 'up', 10_000, 'the restart');
    expect(server.pid).not.toBe(pid);
    expect(server.stats.restarts).toBe(1);
    expect(await call(live, 'echo', { message: 'back' })).toMatchObject({ response: { result: 'Echo: back' } });
    expect(logs.join('\n')).toContain('restarting in 0.5 s');
  });

  it('restarts a server that hangs: a call times out, a ping gets no answer', async () => {
    const { hub, logs } = hubOf([{ name: 'everything', endpoint: { command: process.execPath, args: [EVERYTHING, 'stdio'] }, timeoutMs: 400 }], { restartInitialMs: 200, pingTimeoutMs: 300 });
    await hub.ready();
    const live = fakeSession();
    hub.attach({ id: 'board', name: '' }, live);
    const [server] = hub.servers;
    const pid = server.pid!;
    process.kill(pid, 'SIGSTOP'); // alive, but answers nothing
    closers.push(() => process.kill(pid, 'SIGKILL'));
    expect(await call(live, 'echo', { message: 'hello?' })).toMatchObject({ response: { error: 'echo did not answer within 400 ms' } });
    await until(() => server.state !== 'up', 3000, 'the hang to be seen');
    expect(logs.join('\n')).toContain('it did not answer a ping within 300 ms after a call timed out (hung)');
    await until(() => server.state === 'up', 15_000, 'the restart');
    expect(server.pid).not.toBe(pid);
    expect(await call(live, 'echo', { message: 'back' })).toMatchObject({ response: { result: 'Echo: back' } });
  });

  it('a server that cannot start leaves its devices their other tools and keeps retrying', async () => {
    const { hub, logs } = hubOf([{ name: 'broken', endpoint: { command: '/nonexistent/mcp-server' } }], { restartInitialMs: 200, restartMaxMs: 400 });
    await hub.ready();
    expect(hub.servers[0].state).toBe('down');
    await until(() => hub.servers[0].stats.restarts >= 2, 5000, 'two more tries');
    expect(logs.join('\n')).toMatch(/MCP server broken: could not start: .*ENOENT.*; restarting in 0\.2 s/);
    expect(logs.join('\n')).toContain('restarting in 0.4 s');
  });
});
