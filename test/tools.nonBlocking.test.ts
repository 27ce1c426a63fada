/**
 * NON_BLOCKING MCP tools end to end (board → bridge → emulator): progress and "still working"
 * reach the model as responses with willContinue, the final one carries the scheduling the
 * configuration chose, SILENT results are not spoken, and a model that only calls
 * synchronously never sees `behavior`.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { McpHub, type McpServerConfig } from '../src/tools/mcpHub.js';
import { cleanup, spokenTurn } from './helpers/live.js';
import { startRig, until, type Rig } from './helpers/bridge.js';
import { EVERYTHING } from './helpers/mcp.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await cleanup();
});

const LONG = 'trigger-long-running-operation';
/** One server for every test here, each tool with its own settings (per-tool configuration). */
const config: McpServerConfig = {
  name: 'everything',
  endpoint: { command: process.execPath, args: [EVERYTHING, 'stdio'] },
  allow: [LONG, 'echo', 'get-sum'],
  behavior: 'NON_BLOCKING',
  tools: { [LONG]: { scheduling: 'WHEN_IDLE', stillWorkingMs: 300 }, echo: { scheduling: 'SILENT' } },
};
const hub = new McpHub([config], createLogger({ json: false, write: () => undefined }));
afterAll(() => hub.close());

describe('NON_BLOCKING tools', () => {
  it('sends progress and "still working" with willContinue, then the result with its scheduling', async () => {
    rig = await startRig({ persona: 'scenario', scenario: { turns: [{ toolCall: { name: LONG, args: { duration: 1.2, steps: 3 } }, say: 'Done: {result}' }] } }, { model: 'gemini-2.5-flash-native-audio-preview-12-2025' }, 30_000, { toolSources: [hub] });
    const device = await rig.device();
    device.speak(await spokenTurn());
    await until(() => rig!.logs.some((l) => l.includes('assistant: Done:')), 15_000, 'the reply');
    expect(rig.logs.join('\n')).toContain('Done: {"result":"Long running operation completed. Duration: 1.2 seconds, Steps: 3."}');
    const responses = rig.emulator.conversations[0].toolResponses;
    const interim = responses.filter((r) => r.willContinue);
    expect(interim).toContainEqual(expect.objectContaining({ scheduling: 'WHEN_IDLE', response: { result: { status: 'still working on it; the result will follow' } } }));
    expect(interim).toContainEqual(expect.objectContaining({ scheduling: 'SILENT', response: { result: { status: 'in progress', progress: 1, total: 3 } } }));
    expect(responses.at(-1)).toMatchObject({ scheduling: 'WHEN_IDLE', willContinue: undefined });
    const declared = [...rig.bridge.agents.values()][0].live.tools.declarations().find((d) => d.name === LONG);
    expect(declared?.behavior).toBe('NON_BLOCKING');
  });

  it('a SILENT result goes into the context and is not spoken', async () => {
    rig = await startRig({ persona: 'scenario', scenario: { turns: [{ toolCall: { name: 'echo', args: { message: 'quietly' } }, say: 'Spoken: {result}' }] } }, { model: 'gemini-2.5-flash-native-audio-preview-12-2025' }, 30_000, { toolSources: [hub] });
    const device = await rig.device();
    device.speak(await spokenTurn());
    await until(() => rig!.emulator.conversations[0]?.toolResponses.some((r) => !r.willContinue), 15_000, 'the result');
    expect(rig.emulator.conversations[0].toolResponses.at(-1)).toMatchObject({ scheduling: 'SILENT' });
    await new Promise((r) => setTimeout(r, 500));
    expect(rig.logs.join('\n')).not.toContain('Spoken:');
  });

  it('gemini-3.1-flash-live-preview calls synchronously only: no behavior is declared', async () => {
    rig = await startRig({ persona: 'scenario', scenario: { turns: [] } }, { model: 'gemini-3.1-flash-live-preview' }, 30_000, { toolSources: [hub] });
    await rig.device();
    await hub.ready();
    const declared = [...rig.bridge.agents.values()][0].live.tools.declarations().find((d) => d.name === 'get-sum');
    expect(declared).toBeDefined();
    expect(declared!.behavior).toBeUndefined();
  });
});
