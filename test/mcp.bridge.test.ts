/**
 * End to end: a simulated board speaks, the emulated model calls an MCP tool, the bridge runs
 * it on a real MCP server (server-everything over stdio), and the result reaches the model,
 * which says it. Also: the model cancels a call that hangs, and the server hears about it.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { McpHub } from '../src/tools/mcpHub.js';
import { cleanup, spokenTurn } from './helpers/live.js';
import { startRig, until, type Rig } from './helpers/bridge.js';
import { EVERYTHING } from './helpers/mcp.js';
import type { Scenario } from '../src/emulator/personas.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await cleanup();
});

/** One server-everything for every test here (it takes a second or more to start). */
const hubLogs: string[] = [];
const hub = new McpHub([{ name: 'everything', endpoint: { command: process.execPath, args: [EVERYTHING, 'stdio'] }, allow: ['echo', 'trigger-long-running-operation'] }], createLogger({ json: false, debug: true, write: (l) => hubLogs.push(l) }));
afterAll(() => hub.close());

async function rigWithEverything(scenario: Scenario, model?: string) {
  rig = await startRig({ persona: 'scenario', scenario }, model ? { model } : {}, 30_000, { toolSources: [hub] });
  return hubLogs;
}

describe('MCP tools through the bridge', () => {
  for (const model of ['gemini-3.8-live', 'gemini-2.5-flash-native-audio-preview-12-2025']) {
    it(`runs an MCP tool the model calls and gives the model its result (${model})`, async () => {
      await rigWithEverything({ turns: [{ toolCall: { name: 'echo', args: { message: 'kitchen light on' } }, say: 'The server says {result}' }] }, model);
      const device = await rig!.device();
      device.speak(await spokenTurn());
      await until(() => rig!.logs.some((l) => l.includes('assistant: The server says')), 15_000, 'the reply');
      expect(rig!.logs.join('\n')).toContain('The server says {"result":"Echo: kitchen light on"}');
    });
  }

  it('cancels a hanging MCP call when the model cancels it', async () => {
    const hubLogs = await rigWithEverything({ turns: [{ toolCall: { name: 'trigger-long-running-operation', args: { duration: 30, steps: 30 }, cancelAfterMs: 500 }, say: 'never said' }] }, 'gemini-2.5-flash-native-audio-preview-12-2025');
    const device = await rig!.device();
    device.speak(await spokenTurn());
    await until(() => hubLogs.some((l) => l.includes('trigger-long-running-operation cancelled; the server was told')), 15_000, 'the cancellation');
    expect(rig!.logs.join('\n')).not.toContain('never said');
  });
});
